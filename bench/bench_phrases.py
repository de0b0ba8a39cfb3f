"""Phrase detection, wordvec against gensim: time to learn, time to apply, and the phrases found.

Usage::

    python bench/bench_phrases.py                      # the whole of wiki100m.txt
    python bench/bench_phrases.py --bytes 20000000     # its first 20 MB (while developing)
    python bench/bench_phrases.py --scoring npmi --passes 2 --top 30

Both systems read the same file: the corpus cut into lines of 1,000 tokens (gensim needs lines;
one 100 MB line would be a single 17M-token sentence), so both must find the same phrases with
the same scores, and the script checks that they do. Learning is timed from the file to the
finished model (wordvec: ``Phrases.fit``; gensim: ``Phrases(LineSentence(...))``); applying from
the model to a corpus written back to disk (wordvec: ``transform_file``; gensim: its frozen
model over ``LineSentence``, each sentence joined and written). Numba compilation is excluded by
a warm-up on a tiny corpus. With ``--passes 2`` gensim learns its second model from the output of
its first, as its documentation shows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "wiki100m.txt"
LINE_TOKENS = 1000


def word2phrase_scorer(
    worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count
):
    """The C tool's score, as a gensim scoring function (gensim has no word2phrase scorer)."""
    if worda_count < min_count or wordb_count < min_count or bigram_count < min_count:
        return float("-inf")
    return (bigram_count - min_count) / worda_count / wordb_count * corpus_word_count


def split_corpus(src: Path, dst: Path, n_bytes: int) -> int:
    """Write the first ``n_bytes`` of ``src`` (0 = all) to ``dst``, 1,000 tokens a line."""
    with open(src, "rb") as f:
        data = f.read(n_bytes) if n_bytes else f.read()
    if n_bytes:
        data = data[: max(data.rfind(b" "), 0)]  # never cut a word in two
    tokens = data.split()
    with open(dst, "wb") as f:
        for i in range(0, len(tokens), LINE_TOKENS):
            f.write(b" ".join(tokens[i : i + LINE_TOKENS]) + b"\n")
    return len(tokens)


def run_wordvec(corpus: Path, out: Path, params: dict):
    from wordvec.corpus.phrases import Phrases

    t0 = time.perf_counter()
    model = Phrases(**params).fit(corpus)
    t1 = time.perf_counter()
    model.transform_file(corpus, out)
    t2 = time.perf_counter()
    return model, t1 - t0, t2 - t1


def run_gensim(corpus: Path, out: Path, params: dict):
    """gensim's models (one per pass), learn seconds, freeze seconds, apply seconds."""
    from gensim.models.phrases import Phrases as GensimPhrases
    from gensim.models.word2vec import LineSentence

    gparams = dict(params)
    passes = gparams.pop("passes")
    scoring = gparams.pop("scoring")
    gparams["scoring"] = {"gensim": "default", "npmi": "npmi"}.get(scoring, word2phrase_scorer)
    if gparams.get("threshold") is None:
        gparams["threshold"] = {"gensim": 10.0, "npmi": 0.5, "word2phrase": 100.0}[scoring]

    def phrased(models):
        stream = LineSentence(str(corpus))
        for m in models:
            stream = m[stream]
        return stream

    t0 = time.perf_counter()
    models = []
    for _ in range(passes):
        models.append(GensimPhrases(phrased(models), **gparams))
    t1 = time.perf_counter()
    # freezing is gensim's fast path for applying, but only right for a first pass: its
    # export_phrases splits a token such as new_york_city back into new, york, city
    appliers = [models[0].freeze()] if passes == 1 else models
    t2 = time.perf_counter()
    with open(out, "w", encoding="utf-8") as f:
        for sent in phrased(appliers):
            f.write(" ".join(sent) + "\n")
    t3 = time.perf_counter()
    return models, t1 - t0, t2 - t1, t3 - t2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--bytes", type=int, default=0, help="use only the first N bytes (0 = all)")
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--scoring", choices=("gensim", "npmi", "word2phrase"), default="gensim")
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--no-gensim", action="store_true")
    args = ap.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"corpus not found: {args.corpus}")
    params = dict(
        min_count=args.min_count, threshold=args.threshold, scoring=args.scoring, passes=args.passes
    )

    from wordvec.corpus.phrases import Phrases

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        split = tmp / "split.txt"
        n_tokens = split_corpus(args.corpus, split, args.bytes)
        warm = [["new", "york", "city"], ["new", "york"]] * 5
        w = Phrases(min_count=1, threshold=0.0, passes=args.passes).fit(warm)  # compile/load
        list(w.transform(warm))
        (tmp / "w.txt").write_text("new york city\nnew york\n" * 5)
        w.transform_file(tmp / "w.txt", tmp / "w.out")
        size_mb = split.stat().st_size / 1e6
        print(
            f"corpus: {args.corpus.name}, {size_mb:.1f} MB, {n_tokens:,} tokens, "
            f"{LINE_TOKENS:,} tokens a line; {params}"
        )

        model, ours_learn, ours_apply = run_wordvec(split, tmp / "ours.txt", params)
        rows = [("wordvec", ours_learn, ours_apply)]
        notes = []
        if not args.no_gensim:
            gmodels, g_learn, g_freeze, g_apply = run_gensim(split, tmp / "gensim.txt", params)
            rows.append(("gensim", g_learn, g_apply))
            same_text = (tmp / "ours.txt").read_bytes() == (tmp / "gensim.txt").read_bytes()
            ours1 = Phrases(**{**params, "passes": 1}).fit(split).export_phrases()
            theirs1 = gmodels[0].export_phrases()
            worst = max(
                (abs(ours1[k] - v) / abs(v) for k, v in theirs1.items() if k in ours1 and v),
                default=0.0,
            )
            notes += [
                f"pass-1 phrases: wordvec {len(ours1):,}, gensim {len(theirs1):,}, sets "
                f"{'identical' if ours1.keys() == theirs1.keys() else 'DIFFER'}, largest "
                f"relative score difference {worst:.1e}",
                f"phrased corpora (all passes): {'identical' if same_text else 'DIFFER'}",
            ]
            if args.passes == 1:
                notes.append(f"gensim freeze() before applying: {g_freeze:.2f} s, not counted")

    print()
    print(f"| {'system':8} | {'learn s':>8} | {'apply s':>8} |")
    print(f"|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    for name, learn, apply in rows:
        print(f"| {name:8} | {learn:8.2f} | {apply:8.2f} |")
    if len(rows) == 2:
        (_, ol, oa), (_, gl, ga) = rows
        print(f"| {'speedup':8} | {gl / ol:7.1f}x | {ga / oa:7.1f}x |")
    per_pass = ", ".join(f"{len(x):,}" for x in model.layers_)
    print(f"\nwordvec: {len(model):,} phrases ({per_pass} per pass)")
    for note in notes:
        print(note)
    print()
    print(f"top {args.top} phrases by count (wordvec):")
    for text, count, score in model.top_phrases(args.top):
        print(f"  {count:9,}  {score:10.4g}  {text}")


if __name__ == "__main__":
    main()
