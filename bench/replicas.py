"""How the deterministic merge holds up as replicas grow: analogy and WS353 of the same seeded
training with 1, 2, 4, 8 replicas (more replicas than cores is fine: this measures quality,
not speed), for each way of combining rows several replicas moved, next to Hogwild.

    python bench/replicas.py --mb 20 --epochs 3 --modes sg-ns,cbow-ns,sg-hs \\
        --settings hogwild@2,sum@1,default@2,default@8@@2500,capped@8@20000@2500@2500

A setting is MERGE@REPLICAS[@ROUND_WORDS[@MAX_SENTENCE_LENGTH[@BATCH_WORDS]]] (``hogwild@N``:
N threads, no replicas; ``sum@1`` is the serial run; ``default``: the estimator's merge; a
``-nohot`` suffix: no merges of the frequent rows within a round; an empty field: the
default). The slice is the first MB of the corpus, cut at a space. Prints one table: mode,
setting, analogy (3CosAdd, 30k words), WS353 Spearman, the loss of each epoch, seconds.
bench/results/replicas-20mb.md and replicas-hot-20mb.md hold runs' tables.
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


def run(corpus: Path, mode: str, epochs: int, setting: str, seed: int):
    from wordvec import Word2Vec
    from wordvec.vectors.evaluate import evaluate_analogies, evaluate_word_pairs

    merge, n, *rest = setting.split("@")
    params = dict(
        vector_size=100,
        window=5,
        sample=1e-4,
        min_count=5,
        epochs=epochs,
        seed=seed,
        workers=int(n),
        deterministic=merge != "hogwild",
        **MODES[mode],
    )
    if rest and rest[0]:
        params["round_words"] = int(rest[0])
    if len(rest) > 1:
        params["max_sentence_length"] = int(rest[1])
    if len(rest) > 2:
        params["batch_words"] = int(rest[2])
    model = Word2Vec(**params)
    if merge.endswith("-nohot"):  # no merges of the frequent rows within a round
        model._hot_rows, merge = 0, merge[: -len("-nohot")]
    if merge not in ("hogwild", "default"):
        model._replica_merge = merge
    t0 = time.perf_counter()
    model.fit(corpus)
    seconds = time.perf_counter() - t0
    analogy = evaluate_analogies(model.wv, DATA / "questions-words.txt").accuracy
    ws = evaluate_word_pairs(model.wv, DATA / "wordsim353.tsv").spearman
    return analogy, ws, model.loss_history_, seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DATA / "wiki100m.txt")
    ap.add_argument("--mb", type=int, default=20, help="the first MB of the corpus")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs")
    ap.add_argument("--settings", default="hogwild@2,sum@1,sum@2,sum@8,capped@8")
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
            "| mode | setting | analogy % | WS353 | loss per epoch | seconds |",
            "|---|---|---|---|---|---|",
        ]
        print("\n".join(rows), flush=True)
        for mode in args.modes.split(","):
            for setting in args.settings.split(","):
                a, ws, losses, sec = run(corpus, mode, args.epochs, setting, args.seed)
                loss = ", ".join(f"{x:.4g}" for x in losses)
                row = f"| {mode} | {setting} | {100 * a:.2f} | {ws:.3f} | {loss} | {sec:.0f} |"
                rows.append(row)
                print(row, flush=True)
    if args.markdown:
        args.markdown.write_text("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
