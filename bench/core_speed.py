"""Two versions of wordvec side by side on the same corpus: did the training core's
restructure (issue #10) keep the speed, and what does the deterministic default cost?

    git worktree add /tmp/old 795da02   # the last published version
    python bench/core_speed.py --old /tmp/old/src --repeat 2 --markdown bench/results/core-speed.md

Each run is a fresh process (``python -c``) that imports wordvec from one source tree, trains
``Word2Vec(sg, negative=5, window=5, sample=1e-4, vector_size=100, epochs=5, workers=2)`` in
Hogwild and in the deterministic mode, and reports the vocabulary + training time and the
analogy accuracy (3CosAdd, 30k words). Versions alternate run by run, so both see the same
machine. Prints medians and the new/old ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NEW = Path(__file__).resolve().parents[1] / "src"
RUN = """
import json, sys, time
import wordvec
from wordvec import Word2Vec
try:
    from wordvec.vectors.evaluate import evaluate_analogies
except ImportError:  # a version before the folders by concern (issue #25)
    from wordvec.evaluate import evaluate_analogies
spec = json.loads(sys.argv[1])
t0 = time.perf_counter()
m = Word2Vec(vector_size=100, window=5, sample=1e-4, negative=5, epochs=5, workers=2, seed=1,
             sg=spec["sg"], deterministic=spec["det"], **spec["extra"]).fit(spec["corpus"])
seconds = time.perf_counter() - t0
acc = evaluate_analogies(m.wv, spec["questions"]).accuracy
print(json.dumps({"seconds": seconds, "analogy": acc, "file": wordvec.__file__}))
"""


def one(src: Path, spec: dict, code: str = RUN) -> dict:
    """Run ``code`` (which prints a JSON line with ``wordvec.__file__`` as ``file`` last) in a
    fresh process importing ``wordvec`` from ``src``, with ``spec`` as its argument."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(spec)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["file"].startswith(str(src)), f"imported {result['file']}, not from {src}"
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", type=Path, required=True, help="src/ of the other version")
    ap.add_argument("--corpus", type=Path, default=DATA / "wiki100m.txt")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--modes", default="sg-ns,cbow-ns")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    modes = {"sg-ns": dict(sg=1, extra={}), "cbow-ns": dict(sg=0, extra={"alpha": 0.05})}
    # warm up: compile (or load) each version's kernels before anything is timed
    tiny = Path(os.environ.get("TMPDIR", "/tmp")) / "core_speed_warmup.txt"
    with open(args.corpus, "rb") as f:
        data = f.read(1_000_000)
    tiny.write_bytes(data[: data.rfind(b" ")])
    for src in (args.old, NEW):
        for mode in args.modes.split(","):
            for det in (False, True):
                one(
                    src,
                    {
                        **modes[mode],
                        "det": det,
                        "corpus": str(tiny),
                        "questions": str(DATA / "questions-words.txt"),
                    },
                )
    rows = [
        "| mode | version | seconds (runs) | median | analogy % | new / old |",
        "|---|---|---|---|---|---|",
    ]
    for mode in args.modes.split(","):
        for det in (False, True):
            runs: dict[str, list[dict]] = {"old": [], "new": []}
            for _ in range(args.repeat):
                for name, src in (("old", args.old), ("new", NEW)):
                    spec = {
                        **modes[mode],
                        "det": det,
                        "corpus": str(args.corpus),
                        "questions": str(DATA / "questions-words.txt"),
                    }
                    runs[name].append(one(src, spec))
                    print(name, mode, "det" if det else "hogwild", runs[name][-1], flush=True)
            med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
            for name in ("old", "new"):
                secs = ", ".join(f"{r['seconds']:.1f}" for r in runs[name])
                acc = ", ".join(f"{100 * r['analogy']:.2f}" for r in runs[name])
                ratio = f"{med['new'] / med['old']:.2f}" if name == "new" else ""
                label = f"{mode} {'deterministic' if det else 'Hogwild'}"
                rows.append(f"| {label} | {name} | {secs} | {med[name]:.1f} | {acc} | {ratio} |")
    print("\n".join(rows))
    if args.markdown:
        args.markdown.write_text(
            f"corpus: {args.corpus.name}, d=100, window 5, negative 5, sample 1e-4, 5 epochs, "
            f"2 workers; old = {args.old}, new = {NEW}\n\n" + "\n".join(rows) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
