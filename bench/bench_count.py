"""Count-based models side by side: wordvec's GloVe against the reference GloVe C code, PPMI-SVD,
and wordvec's SGNS as the predictive baseline, on one corpus.

    python bench/bench_count.py --glove-bin GLOVE/build --markdown bench/results/count-wiki100m.md
    python bench/bench_count.py --glove-bin ... --quick --repeat 1     # a 10 MB slice

``--glove-bin`` is the folder holding the reference's four programs (``vocab_count``,
``cooccur``, ``shuffle``, ``glove``) built from github.com/stanfordnlp/GloVe; they are not part of
wordvec and are never fetched or built by this script. Without it the reference row is skipped.

Each wordvec run is a process of its own (peak memory = ``VmHWM`` of that process; the time is
the ``fit``, vocabulary included, imports excluded); the reference is its four programs in turn
(time = their sum, peak memory = the largest of the four, from ``wait4``). The systems take turns
for each repeat so the machine's noise falls on all alike. Every system's vectors are scored by
the same code: ``wordvec.vectors.evaluate`` (3CosAdd analogies over the 30,000 most frequent words,
WordSim-353 Spearman).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
SYSTEMS = ["wordvec-glove", "glove-c", "ppmi-svd", "sgns"]
QUICK_BYTES = 10_000_000


def child(system: str, corpus: str, out: str, s: dict) -> None:
    """Train one wordvec system in this process; print one JSON line."""
    t0 = time.perf_counter()
    if system == "wordvec-glove":
        from wordvec.count.glove import GloVe

        model = GloVe(
            vector_size=s["size"],
            window=s["window"],
            min_count=s["min_count"],
            x_max=s["x_max"],
            epochs=s["iter"],
            workers=2,
            seed=1,
            deterministic=not s["hogwild"],
            max_memory=s.get("max_memory"),
        ).fit(corpus)
        extra = {"loss": model.loss_history_[-1], "parts": model.seconds_}
    elif system == "ppmi-svd":
        from wordvec.count.ppmi import PPMI

        model = PPMI(vector_size=s["ppmi_size"], min_count=s["min_count"], workers=2).fit(corpus)
        extra = {"parts": model.seconds_}
    else:
        from wordvec import Word2Vec

        model = Word2Vec(
            vector_size=100,
            sg=1,
            negative=5,
            window=5,
            sample=1e-4,
            workers=2,
            epochs=5,
            min_count=s["min_count"],
            seed=1,
        ).fit(corpus)
        extra = {}
    seconds = time.perf_counter() - t0
    peak = _peak_mb()
    from wordvec.io import save_word2vec

    save_word2vec(model.wv, out, binary=True)
    print(json.dumps({"seconds": seconds, "peak_mb": peak, **extra}))


def _peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_wordvec(system: str, corpus: Path, work: Path, s: dict) -> dict:
    out = work / f"{system}.bin"
    cmd = [
        sys.executable,
        __file__,
        "--child",
        system,
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        "--settings",
        json.dumps(s),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode:
        raise RuntimeError(f"{system} failed: {res.stderr.strip()[-2000:]}")
    row = json.loads(res.stdout.strip().splitlines()[-1])
    row["vectors"] = str(out)
    return row


def _timed(cmd: list[str], stdin: Path | None, stdout: Path | None) -> tuple[float, float]:
    """Run one program: (seconds, peak resident MB)."""
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    fout = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    finally:
        for f in (fin, fout):
            if hasattr(f, "close"):
                f.close()
    if p.returncode:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def run_reference(bin_dir: Path, corpus: Path, work: Path, s: dict) -> dict:
    """vocab_count + cooccur + shuffle + glove with the same settings."""
    b = str(bin_dir)
    mem = str(s["ref_memory"])
    steps = [
        (
            [f"{b}/vocab_count", "-min-count", str(s["min_count"]), "-verbose", "0"],
            corpus,
            work / "vocab.txt",
        ),
        (
            [
                f"{b}/cooccur",
                "-memory",
                mem,
                "-vocab-file",
                str(work / "vocab.txt"),
                "-verbose",
                "0",
                "-window-size",
                str(s["window"]),
                "-overflow-file",
                str(work / "overflow"),
            ],
            corpus,
            work / "cooc.bin",
        ),
        (
            [
                f"{b}/shuffle",
                "-memory",
                mem,
                "-verbose",
                "0",
                "-temp-file",
                str(work / "temp_shuffle"),
            ],
            work / "cooc.bin",
            work / "cooc.shuf.bin",
        ),
        (
            [
                f"{b}/glove",
                "-save-file",
                str(work / "ref"),
                "-threads",
                "2",
                "-input-file",
                str(work / "cooc.shuf.bin"),
                "-x-max",
                str(s["x_max"]),
                "-iter",
                str(s["iter"]),
                "-vector-size",
                str(s["size"]),
                "-binary",
                "0",
                "-vocab-file",
                str(work / "vocab.txt"),
                "-verbose",
                "0",
                "-seed",
                "1",
            ],
            None,
            None,
        ),
    ]
    parts, peak = {}, 0.0
    for (cmd, fin, fout), name in zip(
        steps, ("vocab_count", "cooccur", "shuffle", "glove"), strict=True
    ):
        sec, mb = _timed(cmd, fin, fout)
        parts[name], peak = sec, max(peak, mb)
    for f in ("cooc.bin", "cooc.shuf.bin"):
        (work / f).unlink(missing_ok=True)
    return {
        "seconds": sum(parts.values()),
        "peak_mb": peak,
        "parts": parts,
        "vectors": str(work / "ref.txt"),
    }


def evaluate(path: str) -> dict:
    from wordvec.io import load_glove, load_word2vec
    from wordvec.vectors.evaluate import evaluate_analogies, evaluate_word_pairs

    kv = load_glove(path) if path.endswith(".txt") else load_word2vec(path)
    a = evaluate_analogies(kv, DATA / "questions-words.txt", restrict_vocab=30_000)
    w = evaluate_word_pairs(kv, DATA / "wordsim353.tsv")
    return {"analogy": a.accuracy, "ws353": w.spearman, "vocab": len(kv)}


def table(results: dict[str, list[dict]], s: dict) -> str:
    lines = [
        "| system | wall s (median) | runs | peak MB | analogy 3CosAdd | WS353 Spearman |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        if not rows:
            continue
        secs = [r["seconds"] for r in rows]
        lines.append(
            f"| {name} | {statistics.median(secs):.1f} | "
            f"{', '.join(f'{x:.1f}' for x in secs)} | {max(r['peak_mb'] for r in rows):.0f} | "
            f"{100 * rows[-1]['analogy']:.2f} % | {rows[-1]['ws353']:.4f} |"
        )
    if results.get("wordvec-glove") and results.get("glove-c"):
        ratio = statistics.median(r["seconds"] for r in results["glove-c"]) / statistics.median(
            r["seconds"] for r in results["wordvec-glove"]
        )
        lines.append(
            f"\nwordvec GloVe is {ratio:.2f}x faster than the reference end to end (medians)."
        )
    lines.append(f"\nsettings: {json.dumps(s)}")
    for name, rows in results.items():
        for r in rows:
            if "parts" in r:
                parts = ", ".join(f"{k} {v:.1f} s" for k, v in r["parts"].items())
                lines.append(f"- {name}: {parts}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(DATA / "wiki100m.txt"))
    ap.add_argument("--glove-bin", help="folder with the reference's built programs")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--iter", type=int, default=15)
    ap.add_argument("--x-max", type=float, default=10.0, help="10: the reference demo's value")
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--ppmi-size", type=int, default=100)
    ap.add_argument("--ref-memory", type=float, default=2.0, help="GiB for cooccur/shuffle")
    ap.add_argument("--hogwild", action="store_true", help="wordvec GloVe's Hogwild mode")
    ap.add_argument("--max-memory-mb", type=int, help="wordvec GloVe's max_memory (MiB)")
    ap.add_argument("--quick", action="store_true", help=f"first {QUICK_BYTES:,} bytes only")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temp folder)")
    ap.add_argument("--markdown", help="write the table here too")
    ap.add_argument("--json", help="write every run here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--settings", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child, a.corpus, a.out, json.loads(a.settings))
        return 0
    s = {
        "window": a.window,
        "size": a.size,
        "iter": a.iter,
        "x_max": a.x_max,
        "min_count": a.min_count,
        "ppmi_size": a.ppmi_size,
        "ref_memory": a.ref_memory,
        "hogwild": a.hogwild,
        "max_memory": a.max_memory_mb << 20 if a.max_memory_mb else None,
    }
    systems = [x for x in a.systems.split(",") if x]
    if "glove-c" in systems and not a.glove_bin:
        print("no --glove-bin: the reference row is skipped", file=sys.stderr)
        systems.remove("glove-c")
    work = Path(a.workdir or tempfile.mkdtemp(prefix="bench_count."))
    work.mkdir(parents=True, exist_ok=True)
    corpus = Path(a.corpus)
    if a.quick:
        raw = corpus.read_bytes()[:QUICK_BYTES]
        corpus = work / "quick.txt"
        corpus.write_bytes(raw[: raw.rfind(b" ")])
    results: dict[str, list[dict]] = {x: [] for x in systems}
    for rep in range(a.repeat):
        for system in systems:
            if system == "glove-c":
                row = run_reference(Path(a.glove_bin), corpus, work, s)
            else:
                row = run_wordvec(system, corpus, work, s)
            row.update(evaluate(row["vectors"]))
            results[system].append(row)
            print(
                f"[{rep + 1}/{a.repeat}] {system}: {row['seconds']:.1f} s, "
                f"{row['peak_mb']:.0f} MB, analogy {100 * row['analogy']:.2f} %, "
                f"WS353 {row['ws353']:.4f}",
                file=sys.stderr,
                flush=True,
            )
    report = table(results, s)
    print(report)
    if a.markdown:
        where = Path(a.corpus).name + (f", first {QUICK_BYTES:,} bytes" if a.quick else "")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        Path(a.markdown).write_text(
            f"# Count-based models on {where}\n\n"
            f"`python bench/bench_count.py {' '.join(argv)}`\n\n"
            f"load average at the end: {load} ({os.cpu_count()} CPUs)\n\n" + report
        )
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
