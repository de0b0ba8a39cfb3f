"""GPU trainer benchmark (issue #14): wordvec device="cuda" next to the CPU trainer on one corpus.

    python bench/bench_gpu.py ../shared/data/wiki100m.txt results-gpu/ \\
        [--questions ../shared/data/questions-words.txt] [--pairs ../shared/data/wordsim353.tsv]

Runs on a machine with an NVIDIA GPU and ``pip install -e ".[gpu,test]"`` done beforehand:
nothing is downloaded or installed at run time. It stops starting new runs after ``--budget``
seconds (default 480) so the whole script ends well inside 10 minutes, and rewrites
``OUT/bench_gpu.json`` after every step, so a partial run still leaves its results.

Steps:
1. the device checks: ``tests/test_cuda.py`` with its real-GPU test (the kernels against the
   NumPy reference on the device), if pytest is installed;
2. a warm-up training on a tiny corpus: the kernels' compile time, kept out of the timings;
3. for each configuration (default SG-NS and CBOW-NS; d=100, window 5, 5 noise words, sample
   1e-4, min_count 5, ``--epochs`` 5): the GPU run, then the CPU runs (``--cpu-workers``,
   default 2 and every core, Hogwild: the CPU trainer's fastest mode); each records the
   vocabulary and training time, seconds per epoch, words/s, the loss per epoch, analogy
   accuracy (3CosAdd, 30,000 most frequent words, wordvec.vectors.evaluate) and WS353 Spearman; the
   GPU runs also the device memory (the executor's arrays, and the context's peak use seen at
   epoch ends).

Words/s: ``words_per_sec`` counts corpus tokens of vocabulary words, before subsampling, per
second of training (the figure of the CPU tables: ``EpochStats.words_per_sec``);
``raw_words_per_sec`` counts every token read, out-of-vocabulary ones too.

Targets (issue #14): SG-NS >= 100M words/s on an H200, analogy within 1 point of the CPU's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CONFIGS = {
    "sg-ns": dict(sg=1, negative=5, hs=0),
    "cbow-ns": dict(sg=0, negative=5, hs=0, alpha=0.05),
}
COMMON = dict(vector_size=100, window=5, min_count=5, sample=1e-4, seed=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("out", type=Path, help="folder for bench_gpu.json")
    ap.add_argument("--questions", type=Path, default=DATA / "questions-words.txt")
    ap.add_argument("--pairs", type=Path, default=DATA / "wordsim353.tsv")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--configs", default="sg-ns,cbow-ns")
    ap.add_argument(
        "--cpu-workers",
        default=f"2,{os.cpu_count()}",
        help="CPU runs to compare with ('' for none)",
    )
    ap.add_argument("--budget", type=float, default=480.0, help="no new run after this (s)")
    ap.add_argument("--no-tests", action="store_true", help="skip the device tests")
    ap.add_argument("--vector-size", type=int, default=100, help=argparse.SUPPRESS)  # smoke tests
    args = ap.parse_args(argv)
    COMMON["vector_size"] = args.vector_size
    args.out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    results: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "corpus": str(args.corpus),
        "epochs": args.epochs,
        "params": COMMON,
        "runs": [],
        "skipped": [],
    }
    out_file = args.out / "bench_gpu.json"

    def save() -> None:
        results["seconds_total"] = time.perf_counter() - t_start
        tmp = out_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=2, default=str))
        tmp.replace(out_file)

    def budget_left() -> bool:
        return time.perf_counter() - t_start < args.budget

    results["machine"] = machine()
    save()
    if not args.no_tests:
        results["device_tests"] = device_tests()
        save()
    results["warmup"] = warmup()
    save()
    workers = [int(w) for w in args.cpu_workers.split(",") if w.strip()]
    for name in args.configs.split(","):
        runs = [("cuda", os.cpu_count())] + [("cpu", w) for w in workers]
        for device, n in runs:
            label = f"{name} {device}" + (f" workers={n}" if device == "cpu" else "")
            if not budget_left():
                results["skipped"].append(f"{label}: past the {args.budget:.0f} s budget")
                save()
                continue
            print(f"-- {label}", flush=True)
            try:
                run = train_and_score(name, device, n, args)
            except Exception as e:  # record it and go on with the other runs
                run = {"config": name, "device": device, "error": f"{type(e).__name__}: {e}"}
            results["runs"].append(run)
            print(
                json.dumps({k: v for k, v in run.items() if k != "epochs"}, default=str), flush=True
            )
            save()
    results["summary"] = summary(results["runs"])
    save()
    print(json.dumps(results["summary"], indent=2))
    return 0


def machine() -> dict:
    import numba

    info = {
        "python": sys.version.split()[0],
        "numba": numba.__version__,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        from importlib.metadata import version

        info["numba_cuda"] = version("numba-cuda")
    except Exception:
        info["numba_cuda"] = None
    try:
        from numba import cuda

        dev = cuda.get_current_device()
        name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
        free, total = cuda.current_context().get_memory_info()
        info.update(
            gpu=name,
            compute_capability=list(dev.compute_capability),
            gpu_memory_gb=total / 2**30,
            gpu_free_gb=free / 2**30,
        )
    except Exception as e:
        info["gpu_error"] = f"{type(e).__name__}: {e}"
    return info


def device_tests() -> dict:
    """tests/test_cuda.py on this machine: its real-GPU test runs the kernels on the device
    against the NumPy reference (the simulator tests run too)."""
    try:
        import pytest  # noqa: F401
    except ImportError:
        return {"skipped": "pytest is not installed"}
    t0 = time.perf_counter()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests" / "test_cuda.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return {
        "returncode": r.returncode,
        "seconds": time.perf_counter() - t0,
        "output_tail": (r.stdout + r.stderr)[-4000:],
    }


def warmup() -> dict:
    """Compile the kernels on a tiny corpus (cached on disk for the next run)."""
    from wordvec import Word2Vec

    words = [f"w{i}" for i in range(50)]
    n = 4 if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else 200  # the simulator is slow
    sentences = [[words[(i * 7 + j * 3) % 50] for j in range(40)] for i in range(n)]
    out = {}
    for name, cfg in CONFIGS.items():
        t0 = time.perf_counter()
        Word2Vec(**{**COMMON, **cfg, "min_count": 1, "epochs": 1, "device": "cuda"}).fit(sentences)
        out[f"{name}_seconds"] = time.perf_counter() - t0
    return out


class Watch:
    """A callback: seconds of each epoch and the device memory in use at its end."""

    def __init__(self, device: str):
        self.device = device
        self.epochs: list[dict] = []
        self.peak_used = 0
        self.executor_bytes = 0

    def on_train_begin(self, model) -> None: ...
    def on_epoch_begin(self, model, epoch) -> None: ...
    def on_train_end(self, model) -> None: ...

    def on_epoch_end(self, model, stats) -> None:
        row = {
            "epoch": stats.epoch,
            "seconds": stats.seconds,
            "loss": stats.loss,
            "words_per_sec": stats.words_per_sec,
            "words_kept": stats.words_kept,
        }
        if self.device == "cuda":
            from numba import cuda

            free, total = cuda.current_context().get_memory_info()
            self.peak_used = max(self.peak_used, total - free)
            ex = getattr(model, "_executor", None)
            self.executor_bytes = max(self.executor_bytes, getattr(ex, "device_bytes", 0))
        self.epochs.append(row)


def train_and_score(name: str, device: str, workers: int, args) -> dict:
    from wordvec import Word2Vec
    from wordvec.vectors.evaluate import evaluate_analogies, evaluate_word_pairs

    base_used = 0
    if device == "cuda":
        from numba import cuda

        free, total = cuda.current_context().get_memory_info()
        base_used = total - free
    model = Word2Vec(
        **COMMON,
        **CONFIGS[name],
        epochs=args.epochs,
        workers=workers,
        deterministic=False,
        device=device,
    )
    t0 = time.perf_counter()
    model.build_vocab(args.corpus)
    t1 = time.perf_counter()
    watch = Watch(device)
    model.train(callbacks=[watch])
    t2 = time.perf_counter()
    rep = model.report_
    train_s = t2 - t1
    run = {
        "config": name,
        "device": device,
        "workers": workers if device == "cpu" else None,
        "vocab_size": len(model.wv),
        "raw_tokens": rep.raw_tokens,
        "vocab_tokens": rep.vocab_tokens,
        "seconds_vocab": t1 - t0,
        "seconds_train": train_s,
        "seconds_per_epoch": train_s / args.epochs,
        "words_per_sec": rep.vocab_tokens * args.epochs / train_s,
        "raw_words_per_sec": rep.raw_tokens * args.epochs / train_s,
        "loss_history": model.loss_history_,
        "epochs": watch.epochs,
    }
    if device == "cuda":
        from wordvec.core.executors.cuda import gpu_bytes

        c = model.corpus_
        run["gpu_executor_mb"] = watch.executor_bytes / 2**20
        run["gpu_context_peak_mb"] = watch.peak_used / 2**20
        run["gpu_context_base_mb"] = base_used / 2**20
        run["gpu_estimate_mb"] = (
            gpu_bytes(
                len(model.wv),
                model.vector_size,
                c.n_tokens,
                int(c.rare.shape[0]),
                int(c.bounds.shape[0] - 1),
            )
            / 2**20
        )
        run["gpu_bytes_per_vocab_word"] = 2 * 4 * model.vector_size + 20
    if args.questions.exists():
        a = evaluate_analogies(model.wv, args.questions, restrict_vocab=30_000)
        run["analogy"] = a.accuracy
        run["analogy_questions"] = a.total
    if args.pairs.exists():
        p = evaluate_word_pairs(model.wv, args.pairs)
        run["ws353_spearman"] = p.spearman
    return run


def summary(runs: list[dict]) -> dict:
    """Per configuration: the GPU's words/s and analogy against the best CPU run's."""
    out = {}
    for name in CONFIGS:
        gpu = [
            r
            for r in runs
            if r.get("config") == name and r["device"] == "cuda" and "error" not in r
        ]
        cpu = [
            r for r in runs if r.get("config") == name and r["device"] == "cpu" and "error" not in r
        ]
        if not gpu:
            continue
        g = gpu[0]
        row = {"gpu_words_per_sec": g["words_per_sec"], "gpu_analogy": g.get("analogy")}
        if cpu:
            best = max(cpu, key=lambda r: r["words_per_sec"])
            two = [r for r in cpu if r["workers"] == 2]
            row.update(
                cpu_best_words_per_sec=best["words_per_sec"],
                cpu_best_workers=best["workers"],
                speedup_vs_best_cpu=g["words_per_sec"] / best["words_per_sec"],
                cpu_analogy=best.get("analogy"),
            )
            if two:
                row["speedup_vs_2_workers"] = g["words_per_sec"] / two[0]["words_per_sec"]
            if g.get("analogy") is not None and best.get("analogy") is not None:
                row["analogy_gap_points"] = 100 * (g["analogy"] - best["analogy"])
        if name == "sg-ns":
            row["target_100M_words_per_sec"] = g["words_per_sec"] >= 100e6
        out[name] = row
    return out


if __name__ == "__main__":
    sys.exit(main())
