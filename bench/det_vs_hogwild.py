"""What the deterministic default costs against Hogwild, side by side (issue #10).

    python bench/det_vs_hogwild.py --modes sg-ns,cbow-ns --seeds 1,2 --markdown out.md

Each run is a fresh process training ``Word2Vec(vector_size=100, window=5, sample=1e-4,
epochs=5, workers=2)`` on the corpus (wiki100m.txt by default) in one mode, Hogwild and
deterministic alternating run by run so both see the same machine; it reports the wall time of
``fit`` (vocabulary + training) and the analogy accuracy (3CosAdd, 30,000 words). Prints one
row a run, then per mode the medians, the ratio of the times and the difference of accuracy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MODES = {
    "sg-ns": dict(sg=1, negative=5, hs=0),
    "cbow-ns": dict(sg=0, negative=5, hs=0),
    "sg-hs": dict(sg=1, negative=0, hs=1),
}
RUN = """
import json, sys, time
from wordvec import Word2Vec
from wordvec.vectors.evaluate import evaluate_analogies
spec = json.loads(sys.argv[1])
t0 = time.perf_counter()
m = Word2Vec(vector_size=100, window=5, sample=1e-4, epochs=5, workers=2, **spec["params"])
m.fit(spec["corpus"])
seconds = time.perf_counter() - t0
acc = evaluate_analogies(m.wv, spec["questions"]).accuracy
print(json.dumps({"seconds": seconds, "analogy": 100 * acc}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DATA / "wiki100m.txt")
    ap.add_argument("--modes", default="sg-ns")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument(
        "--det-params",
        default="{}",
        help="JSON: extra parameters of the deterministic runs, e.g. round_words",
    )
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    rows = ["| mode | seed | run | seconds | analogy % |", "|---|---|---|---|---|"]
    print("\n".join(rows), flush=True)
    got: dict = {}
    for mode in args.modes.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            for det in (False, True):
                params = {
                    **MODES[mode],
                    "seed": seed,
                    "deterministic": det,
                    **(json.loads(args.det_params) if det else {}),
                }
                spec = {
                    "params": params,
                    "corpus": str(args.corpus),
                    "questions": str(DATA / "questions-words.txt"),
                }
                out = subprocess.run(
                    [sys.executable, "-c", RUN, json.dumps(spec)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                got.setdefault((mode, det), []).append(r)
                name = "deterministic" if det else "Hogwild"
                rows.append(
                    f"| {mode} | {seed} | {name} | {r['seconds']:.1f} | {r['analogy']:.2f} |"
                )
                print(rows[-1], flush=True)
    rows += [
        "",
        "| mode | Hogwild s (median) | deterministic s | ratio | analogy Hogwild "
        "(mean) | deterministic | difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode in args.modes.split(","):
        h, d = got[(mode, False)], got[(mode, True)]
        hs = statistics.median(r["seconds"] for r in h)
        ds = statistics.median(r["seconds"] for r in d)
        ha = statistics.mean(r["analogy"] for r in h)
        da = statistics.mean(r["analogy"] for r in d)
        rows.append(
            f"| {mode} | {hs:.1f} | {ds:.1f} | {ds / hs:.3f} | {ha:.2f} | {da:.2f} | "
            f"{da - ha:+.2f} |"
        )
    print("\n".join(rows[-(len(args.modes.split(",")) + 3) :]))
    if args.markdown:
        args.markdown.write_text("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
