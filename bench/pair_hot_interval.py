"""How often 2 replicas must merge their frequent rows (``replicas.PAIR_ROUND_WORDS``).

    python bench/pair_hot_interval.py --every 100000,200000,500000,1000000 --seeds 1,2 \\
        --modes sg-ns,cbow-ns

Each run is a fresh process training ``Word2Vec(vector_size=100, window=5, sample=1e-4,
epochs=5, workers=2)`` (deterministic, 2 replicas, rounds of ``--round-words`` tokens in all,
default 1,000,000; ``--rows`` frequent rows, default 8,192) on wiki100m.txt
with the frequent rows merged every ``--every`` tokens in all (1,000,000: only at the round's
end); prints one markdown row a run: seconds of ``fit``, analogy % (3CosAdd, 30,000 words),
WS353 Spearman and the last epoch's loss.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MODES = {"sg-ns": dict(sg=1), "cbow-ns": dict(sg=0)}
RUN = """
import json, sys, time
import wordvec.core.replicas as replicas
from wordvec import Word2Vec
from wordvec.vectors.evaluate import evaluate_analogies, evaluate_word_pairs
spec = json.loads(sys.argv[1])
replicas.PAIR_ROUND_WORDS = spec["every"]
replicas.PAIR_HOT_ROWS = spec["rows"]
t0 = time.perf_counter()
m = Word2Vec(vector_size=100, window=5, sample=1e-4, epochs=5, workers=2, seed=spec["seed"],
             round_words=spec["round_words"], **spec["params"]).fit(spec["data"] + "/wiki100m.txt")
s = time.perf_counter() - t0
a = evaluate_analogies(m.wv, spec["data"] + "/questions-words.txt").accuracy
p = evaluate_word_pairs(m.wv, spec["data"] + "/wordsim353.tsv").spearman
print(json.dumps({"seconds": s, "analogy": 100 * a, "ws": float(p),
                  "loss": float(m.loss_history_[-1])}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--every", default="100000,200000")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--modes", default="sg-ns,cbow-ns")
    ap.add_argument("--round-words", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=8192, help="frequent rows (PAIR_HOT_ROWS)")
    ap.add_argument("--data", type=Path, default=DATA)
    a = ap.parse_args(argv)
    print(f"rounds of {a.round_words:,} tokens in all, {a.rows:,} frequent rows")
    print("| mode | seed | every (tokens in all) | seconds | analogy % | WS353 | loss |")
    print("|---|---|---|---|---|---|---|")
    for mode in a.modes.split(","):
        for seed in (int(s) for s in a.seeds.split(",")):
            for every in (int(e) for e in a.every.split(",")):
                spec = {
                    "every": every,
                    "seed": seed,
                    "params": MODES[mode],
                    "data": str(a.data),
                    "round_words": a.round_words,
                    "rows": a.rows,
                }
                out = subprocess.run(
                    [sys.executable, "-c", RUN, json.dumps(spec)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"| {mode} | {seed} | {every:,} | {r['seconds']:.1f} | {r['analogy']:.2f} "
                    f"| {r['ws']:.4f} | {r['loss']:.4f} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
