"""How the deterministic merge holds up as replicas grow: analogy and WS353 of the same seeded
training with 1, 2, 4, 8 replicas (more replicas than cores is fine: this measures quality,
not speed), for each way of combining rows several replicas moved, next to Hogwild.

    python bench/replicas.py --mb 30 --epochs 3 --modes sg-ns,cbow-ns,sg-hs \\
        --replicas 1,2,4,8 --merges sum,mean [--markdown bench/results/replicas.md]

Prints one table: mode, setting, analogy (3CosAdd, 30k words), WS353 Spearman, the last
epoch's mean loss per pair (a less noisy sign of over- or under-stepping than the benchmarks),
seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MODES = {
    "sg-ns": dict(sg=1, negative=5, hs=0),
    "cbow-ns": dict(sg=0, negative=5, hs=0, alpha=0.05),
    "sg-hs": dict(sg=1, negative=0, hs=1),
}


def run(corpus: Path, mode: str, epochs: int, replicas: int, merge: str | None, seed: int):
    from wordvec import Word2Vec
    from wordvec.evaluate import evaluate_analogies, evaluate_word_pairs

    params = dict(vector_size=100, window=5, sample=1e-4, min_count=5, epochs=epochs, seed=seed,
                  **MODES[mode])  # fmt: skip
    if merge is None:  # Hogwild on 2 threads
        model = Word2Vec(workers=2, deterministic=False, **params)
    else:
        model = Word2Vec(workers=replicas, deterministic=True, **params)
        model._replica_merge = merge
    t0 = time.perf_counter()
    model.fit(corpus)
    seconds = time.perf_counter() - t0
    analogy = evaluate_analogies(model.wv, DATA / "questions-words.txt").accuracy
    ws = evaluate_word_pairs(model.wv, DATA / "wordsim353.tsv").spearman
    return analogy, ws, model.loss_history_[-1], seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DATA / "wiki100m.txt")
    ap.add_argument("--mb", type=int, default=30, help="the first MB of the corpus")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs")
    ap.add_argument("--replicas", default="1,2,4,8")
    ap.add_argument("--merges", default="sum,mean,adaptive")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "slice.txt"
        with open(args.corpus, "rb") as f:
            data = f.read(args.mb * 1_000_000)
        corpus.write_bytes(data[: data.rfind(b" ")])  # no word cut in half
        rows = [
            f"corpus: first {args.mb} MB of {args.corpus.name}, {args.epochs} epochs, "
            f"d=100, window 5, sample 1e-4, seed {args.seed}",
            "",
            "| mode | setting | analogy % | WS353 | last epoch's loss | seconds |",
            "|---|---|---|---|---|---|",
        ]
        print("\n".join(rows), flush=True)
        for mode in args.modes.split(","):
            settings = [("hogwild, 2 threads", 2, None)]
            for n in map(int, args.replicas.split(",")):
                for merge in args.merges.split(",") if n > 1 else ["sum"]:
                    label = "1 replica" if n == 1 else f"{n} replicas, {merge}"
                    settings.append((label, n, merge))
            for label, n, merge in settings:
                a, ws, loss, sec = run(corpus, mode, args.epochs, n, merge, args.seed)
                row = f"| {mode} | {label} | {100 * a:.2f} | {ws:.3f} | {loss:.4f} | {sec:.1f} |"
                rows.append(row)
                print(row, flush=True)
    if args.markdown:
        args.markdown.write_text("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
