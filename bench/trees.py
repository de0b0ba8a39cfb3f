"""One source tree against another, side by side: quality and time of one configuration (#23).

    git worktree add /tmp/before HEAD~1      # or any copy of the source to compare against
    python bench/trees.py --tree before=/tmp/before/src --tree after=src --config cbow-ns \
        --bytes 0 --epochs 5 --seeds 1,2,3 --modes det,hogwild

Each run is a fresh process that imports ``wordvec`` from its tree's ``src`` (``PYTHONPATH``)
and trains ``Word2Vec(vector_size=100, window=5, min_count=5, sample=1e-4, workers=2)`` with
the configuration's settings (``bench/compare.py``'s ``CONFIGS``: sg-ns, cbow-ns, sg-hs) on the
first ``--bytes`` of the corpus (cut on whitespace, kept in bench/.cache; 0: the whole file),
then scores it as bench/compare.py does: 3CosAdd analogies over the 30,000 most frequent words,
case-insensitive, and WordSim-353's Spearman. The trees take turns run by run, so machine noise
falls on each alike. Prints one row a run, then the medians per tree and mode and, against the
first tree, the median of the time ratios of the runs that alternated. The time is ``fit``'s
wall time (vocabulary + training) inside the process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare import CACHE, CONFIGS, DATA, _blocks  # noqa: E402 (bench/ is not a package)
from core_speed import one  # noqa: E402

RUN = """
import json, sys, time
from wordvec import Word2Vec
from wordvec.vectors import evaluate
spec = json.loads(sys.argv[1])
t0 = time.perf_counter()
m = Word2Vec(vector_size=100, window=5, min_count=5, sample=1e-4, workers=spec["workers"],
             epochs=spec["epochs"], seed=spec["seed"], deterministic=spec["deterministic"],
             **spec["config"])
m.fit(spec["corpus"])
seconds = time.perf_counter() - t0
a = evaluate.evaluate_analogies(m.wv, spec["questions"], restrict_vocab=30000,
                                method="3cosadd", case_insensitive=True)
w = evaluate.evaluate_word_pairs(m.wv, spec["wordsim"])
print(json.dumps({"seconds": seconds, "analogy": 100 * a.accuracy, "ws353": w.spearman,
                  "file": __import__("wordvec").__file__}))
"""


def corpus_slice(src: Path, size: int) -> Path:
    """The first ``size`` bytes of ``src``, cut on whitespace, made once in bench/.cache (0:
    ``src`` itself)."""
    if size == 0:
        return src
    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"{src.stem}-{size}.txt"
    if not out.exists():
        with open(out, "wb") as f:
            for block in _blocks(src, size):
                f.write(block)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DATA / "wiki100m.txt")
    ap.add_argument("--tree", action="append", required=True, help="NAME=PATH of a src folder")
    ap.add_argument("--config", default="sg-hs", choices=sorted(CONFIGS))
    ap.add_argument("--bytes", type=int, default=25_000_000, help="0: the whole corpus")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--modes", default="det,hogwild")
    args = ap.parse_args(argv)
    trees = dict(t.split("=", 1) for t in args.tree)
    corpus = corpus_slice(args.corpus, args.bytes)
    print("| mode | seed | tree | seconds | analogy % | WS353 |\n|---|---|---|---|---|---|")
    got: dict = {}
    for mode in args.modes.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            for name, src in trees.items():
                spec = dict(
                    corpus=str(corpus),
                    questions=str(args.corpus.parent / "questions-words.txt"),
                    wordsim=str(args.corpus.parent / "wordsim353.tsv"),
                    workers=args.workers,
                    epochs=args.epochs,
                    seed=seed,
                    deterministic=mode == "det",
                    config=CONFIGS[args.config],
                )
                r = one(Path(src).resolve(), spec, RUN)
                got.setdefault((mode, name), []).append(r)
                print(
                    f"| {mode} | {seed} | {name} | {r['seconds']:.1f} | {r['analogy']:.2f} "
                    f"| {r['ws353']:.3f} |",
                    flush=True,
                )
    first = next(iter(trees))
    print(
        f"\n| mode | tree | runs | seconds | analogy % | WS353 | time / {first}'s, per run: "
        "median (each) |\n|---|---|---|---|---|---|---|"
    )
    for (mode, name), rs in got.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("seconds", "analogy", "ws353")}
        ratios = [r["seconds"] / b["seconds"] for r, b in zip(rs, got[mode, first], strict=True)]
        each = ", ".join(f"{x:.3f}" for x in ratios)
        print(
            f"| {mode} | {name} | {len(rs)} | {med['seconds']:.1f} | {med['analogy']:.2f} "
            f"| {med['ws353']:.3f} | {statistics.median(ratios):.3f} ({each}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
