"""NCE against negative sampling on a real corpus: time, analogy accuracy, WordSim-353, what the
output layer predicts and how close NCE's scores are to normalised.

Usage::

    python bench/bench_nce.py [--corpus ../shared/data/wiki100m.txt] [--seeds 1 2] [--sg 1]
                              [--epochs 5] [--out bench/results/nce.md]

Each training runs in a process of its own, negative sampling and NCE alternating seed by seed
(the machine is shared: side by side is what makes the ratio fair). Settings: d=100, window 5,
5 noise words, sample 1e-4, 2 workers, the deterministic default. Prints a markdown table and
writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CONTEXTS = [
    ["united", "states"],
    ["new", "york"],
    ["prime", "minister"],
    ["the", "king", "of"],
    ["world", "war"],
    ["he", "was", "born", "in"],
]


def child(spec: dict) -> dict:
    """One training and its measurements (run in a fresh process)."""
    import numpy as np

    from wordvec import Word2Vec

    model = Word2Vec(
        vector_size=100,
        window=5,
        negative=5,
        sample=1e-4,
        workers=2,
        epochs=spec["epochs"],
        sg=spec["sg"],
        nce=spec["nce"],
        seed=spec["seed"],
    )
    t0 = time.perf_counter()
    model.build_vocab(spec["corpus"])
    t1 = time.perf_counter()
    model.train()
    t2 = time.perf_counter()
    analogy, _ = model.wv.evaluate_word_analogies(
        DATA / "questions-words.txt", restrict_vocab=30000
    )
    rho = model.wv.evaluate_word_pairs(DATA / "wordsim353.tsv")[1][0]
    out = {
        "train_s": t2 - t1,
        "vocab_s": t1 - t0,
        "analogy": analogy,
        "rho": float(rho),
        "loss": model.loss_history_,
        "words": len(model.wv),
    }
    out["predict"] = {
        " ".join(c): [w for w, _ in model.predict_output_word(c, topn=5)] for c in CONTEXTS
    }
    if spec["nce"]:  # how far exp(s) is from normalised, over 1,000 random input words
        rng = np.random.default_rng(0)
        rows = rng.choice(min(len(model.wv), 30000), 1000, replace=False)
        s = model.wv.vectors[rows] @ model.syn1neg_.T + model.nce_bias_
        s = s.astype(np.float64)
        top = s.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(s - top).sum(axis=1))
        out["log_z"] = [float(lse.mean()), float(lse.std()), float(np.median(np.abs(lse)))]
    return out


def run(spec: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(DATA / "wiki100m.txt"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--sg", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "nce.md"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    load0 = os.getloadavg()[0]
    results: dict[str, list[dict]] = {"negative sampling": [], "NCE": []}
    rows = []
    for seed in args.seeds:
        for name, nce in (("negative sampling", False), ("NCE", True)):
            spec = {
                "corpus": args.corpus,
                "seed": seed,
                "sg": args.sg,
                "nce": nce,
                "epochs": args.epochs,
            }
            r = run(spec)
            results[name].append(r)
            rows.append(
                f"| {name} | {seed} | {r['train_s']:.1f} | {100 * r['analogy']:.2f} | "
                f"{r['rho']:.3f} | {r['loss'][0]:.3f} -> {r['loss'][-1]:.3f} |"
            )
            print(rows[-1], flush=True)
    ns, nce = results["negative sampling"], results["NCE"]
    med = {k: statistics.median(r["train_s"] for r in v) for k, v in results.items()}
    mean_acc = {k: 100 * statistics.mean(r["analogy"] for r in v) for k, v in results.items()}
    model = "skip-gram" if args.sg else "CBOW"
    lines = [
        f"# NCE against negative sampling ({model}), bench/bench_nce.py",
        "",
        f"{Path(args.corpus).name}, d=100, window 5, 5 noise words, sample 1e-4, "
        f"{args.epochs} epochs, 2 workers (deterministic default), {nce[0]['words']:,} words; "
        f"run {time.strftime('%Y-%m-%d %H:%M')} UTC, load average {load0:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end. Negative sampling and NCE alternate seed by seed.",
        "",
        "| objective | seed | training s | analogy % (30k) | WordSim rho | loss per pair |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"- Analogy: NCE {mean_acc['NCE']:.2f} % against {mean_acc['negative sampling']:.2f} % "
        f"(mean of {len(args.seeds)} seeds): "
        f"{mean_acc['NCE'] - mean_acc['negative sampling']:+.2f} points.",
        f"- Time: median {med['NCE']:.1f} s against {med['negative sampling']:.1f} s: "
        f"{med['NCE'] / med['negative sampling']:.2f}x.",
        "- How normalised NCE's scores are, log sum_w exp(s_w) over 1,000 input words "
        "(0 = normalised; mean, sd, median |.|): "
        + "; ".join(
            f"seed {s}: {r['log_z'][0]:+.2f}, {r['log_z'][1]:.2f}, {r['log_z'][2]:.2f}"
            for s, r in zip(args.seeds, nce, strict=True)
        ),
        "",
        "predict_output_word, top 5 (first seed):",
        "",
        "| context | negative sampling | NCE |",
        "|---|---|---|",
        *(
            f"| {c} | {', '.join(ns[0]['predict'][c])} | {', '.join(nce[0]['predict'][c])} |"
            for c in ns[0]["predict"]
        ),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
