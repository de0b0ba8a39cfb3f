"""wordvec side by side with gensim and fastText: speed, memory and quality, in one run.

    python bench/compare.py --corpus ../shared/data/wiki100m.txt     # full run, writes the report
    python bench/compare.py --quick --repeat 1                        # 10 MB slice, 1 epoch
    python bench/compare.py --report                                  # BENCHMARKS.md from the JSON

Each training runs in a process of its own (bench/run_one.py), so peak memory is that system's
alone, and the systems take turns (for each repeat and configuration: wordvec, gensim,
gensim-file, fastText) so that noise from the machine falls on all of them alike. Every system
writes word2vec binary vectors, and the same code scores every file: ``wordvec.load_word2vec``,
then ``wordvec.vectors.evaluate`` (3CosAdd analogies over the 30,000 most frequent words,
case-insensitive; WordSim-353 Spearman).

gensim reads a copy of the corpus cut into lines of 1,000 tokens (made once, kept in
bench/.cache): its iterator mode silently drops every token past 10,000 in a line, and its
``corpus_file`` mode trains on almost nothing from a one-line file. wordvec and fastText read the
original file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = HERE / ".cache"
RESULTS = HERE / "results"

SYSTEMS = ["wordvec", "wordvec-det", "gensim", "gensim-file", "fasttext"]
BASELINE = "gensim"  # ratios are to gensim in its usual (iterator) mode
CONFIGS = {
    "sg-ns": dict(sg=1, hs=0, negative=5, alpha=0.025),
    "cbow-ns": dict(sg=0, hs=0, negative=5, alpha=0.05),
    "sg-hs": dict(sg=1, hs=1, negative=0, alpha=0.025),
}
COMMON = dict(vector_size=100, window=5, min_count=5, sample=1e-4, seed=1)
QUICK_BYTES = 10_000_000
SPLIT_TOKENS = 1_000


# -- corpus -----------------------------------------------------------------------------------
def _blocks(path: Path, limit: int | None = None, size: int = 1 << 23):
    """Yield the file's bytes in blocks that end on whitespace (no token cut), up to ``limit``
    bytes (cut back to the last whitespace)."""
    carry, left = b"", limit
    with open(path, "rb") as f:
        while True:
            block = f.read(size if left is None else min(size, left))
            if left is not None:
                left -= len(block)
            if not block:
                break
            block = carry + block
            cut = max(block.rfind(b" "), block.rfind(b"\n"))
            if cut < 0:
                carry = block
                continue
            carry = block[cut + 1 :]
            yield block[: cut + 1]
            if left == 0:
                return  # a slice: the cut-off word in ``carry`` is dropped
    if carry:
        yield carry


def prepare_corpus(src: Path, quick: bool) -> tuple[Path, Path, int]:
    """The corpus wordvec and fastText read, the split copy gensim reads, and the token count.

    Quick mode takes the first 10 MB of ``src``, cut on whitespace. Both files are kept in
    bench/.cache and remade when the source's size or mtime changes."""
    CACHE.mkdir(exist_ok=True)
    st = src.stat()
    stem = src.stem + ("-10mb" if quick else "")
    meta_path = CACHE / f"{stem}.json"
    key = {"source": str(src.resolve()), "size": st.st_size, "mtime": st.st_mtime}
    corpus = CACHE / f"{stem}.txt" if quick else src
    split = CACHE / f"{stem}.split{SPLIT_TOKENS}.txt"
    if meta_path.exists() and corpus.exists() and split.exists():
        meta = json.loads(meta_path.read_text())
        if meta["key"] == key:
            return corpus, split, meta["tokens"]
    print(f"preparing {split} ...", file=sys.stderr)
    tokens, pending = 0, []
    with open(split, "wb") as out, open(corpus, "wb") if quick else nullcontext() as sliced:
        for block in _blocks(src, QUICK_BYTES if quick else None):
            if sliced is not None:
                sliced.write(block)
            pending.extend(block.split())
            full = len(pending) - len(pending) % SPLIT_TOKENS
            for i in range(0, full, SPLIT_TOKENS):
                out.write(b" ".join(pending[i : i + SPLIT_TOKENS]) + b"\n")
            tokens += full
            del pending[:full]
        if pending:
            out.write(b" ".join(pending) + b"\n")
            tokens += len(pending)
    meta_path.write_text(json.dumps({"key": key, "tokens": tokens}))
    return corpus, split, tokens


# -- running and scoring ----------------------------------------------------------------------
def run_one(s: dict) -> dict:
    """Run bench/run_one.py in a fresh interpreter; return its JSON plus the process wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(HERE / "run_one.py"), json.dumps(s)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{s['system']} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["seconds_process"] = time.perf_counter() - t0
    return result


def score(vectors: Path, questions: Path, wordsim: Path) -> dict:
    """The one evaluator every system's output goes through."""
    from wordvec import load_word2vec
    from wordvec.vectors import evaluate

    kv = load_word2vec(vectors)
    a = evaluate.evaluate_analogies(
        kv, questions, restrict_vocab=30000, method="3cosadd", case_insensitive=True
    )
    w = evaluate.evaluate_word_pairs(kv, wordsim)
    return dict(
        analogy=a.accuracy,
        semantic=a.semantic,
        syntactic=a.syntactic,
        analogy_questions=a.total,
        ws353=w.spearman,
        ws353_oov=w.oov_ratio,
    )


def spec(system: str, config: str, epochs: int, workers: int, files: tuple, out=None) -> dict:
    """What bench/run_one.py is told: one system, one configuration, the common settings."""
    corpus, split = files
    return {
        "system": system,
        **COMMON,
        **CONFIGS[config],
        "epochs": epochs,
        "workers": workers,
        "corpus": str(corpus),
        "split": str(split),
        "out": out and str(out),
    }


def warm_up(configs: list[str], corpus: Path) -> None:
    """Compile wordvec's Numba kernels into Numba's on-disk cache before anything is timed (a
    user pays that once per install, not per run); loading the cached kernels is still timed."""
    tiny = CACHE / "warmup.txt"
    if not tiny.exists():
        tiny.write_bytes(next(_blocks(corpus, 200_000)))
    for config in configs:
        run_one(spec("wordvec", config, 1, 1, (tiny, tiny)))


def _stats(values: list) -> dict | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise(runs: list[dict], tokens: int) -> dict:
    """Median and min-max of every measure for each (configuration, system)."""
    measures = [
        "seconds_total",
        "seconds_vocab",
        "seconds_train",
        "tokens_per_sec",
        "peak_rss_mb",
        "analogy",
        "semantic",
        "syntactic",
        "ws353",
        "ws353_oov",
    ]
    cells: dict = {}
    for r in runs:
        r["tokens_per_sec"] = tokens * r["epochs"] / r["seconds_total"]
        cells.setdefault(r["config"], {}).setdefault(r["system"], []).append(r)
    out: dict = {}
    for config, systems in cells.items():
        base = systems.get(BASELINE)
        for system, rs in systems.items():
            cell = {m: _stats([r.get(m) for r in rs]) for m in measures}
            if base:
                b = {m: _stats([r.get(m) for r in base]) for m in measures}
                cell["speedup"] = b["seconds_total"]["median"] / cell["seconds_total"]["median"]
                cell["memory_ratio"] = cell["peak_rss_mb"]["median"] / b["peak_rss_mb"]["median"]
                cell["analogy_diff"] = cell["analogy"]["median"] - b["analogy"]["median"]
            out.setdefault(config, {})[system] = cell
    return out


# -- environment ------------------------------------------------------------------------------
def _version(*dists: str) -> str | None:
    for d in dists:
        try:
            return (
                f"{metadata.version(d)} ({d})" if d.startswith("fasttext") else metadata.version(d)
            )
        except metadata.PackageNotFoundError:
            pass
    return None


def environment() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "versions": {
            "python": platform.python_version(),
            "numpy": _version("numpy"),
            "numba": _version("numba"),
            "gensim": _version("gensim"),
            "fasttext": _version("fasttext-wheel", "fasttext", "fasttext-numpy2-wheel"),
            "wordvec": f"{_version('wordvec')} ({commit})" if commit else _version("wordvec"),
        },
    }


# -- main -------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=DATA / "wiki100m.txt")
    p.add_argument(
        "--questions",
        type=Path,
        default=None,
        help="default: beside the corpus' data dir, questions-words.txt",
    )
    p.add_argument("--wordsim", type=Path, default=None, help="default: wordsim353.tsv")
    p.add_argument(
        "--quick",
        action="store_true",
        help="first 10 MB, 1 epoch (about a minute "
        "per configuration); results go to bench/results/quick.*",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs per cell; median and min-max")
    p.add_argument("--configs", default=",".join(CONFIGS), help="from " + ",".join(CONFIGS))
    p.add_argument("--systems", default=",".join(SYSTEMS), help="from " + ",".join(SYSTEMS))
    p.add_argument("--epochs", type=int, default=None, help="default 5 (1 with --quick)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--scaling",
        default="auto",
        help="wordvec worker counts to time (1 epoch, "
        "first config), e.g. 1,2,4; 'auto': 1, 2, 4 ... up to the cores; 'none'",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results JSON (default bench/results/latest.json, or quick.json with --quick)",
    )
    p.add_argument("--report", action="store_true", help="only write BENCHMARKS.md from the JSON")
    p.add_argument(
        "--markdown",
        type=Path,
        default=ROOT / "BENCHMARKS.md",
        help="where the report goes (a partial run can keep the full report)",
    )
    args = p.parse_args(argv)
    args.questions = args.questions or args.corpus.parent / "questions-words.txt"
    args.wordsim = args.wordsim or args.corpus.parent / "wordsim353.tsv"
    args.epochs = args.epochs or (1 if args.quick else 5)
    args.out = args.out or RESULTS / ("quick.json" if args.quick else "latest.json")
    args.configs = args.configs.split(",")
    args.systems = args.systems.split(",")
    for name in args.configs:
        if name not in CONFIGS:
            p.error(f"unknown configuration {name!r}; choose from {', '.join(CONFIGS)}")
    for name in args.systems:
        if name not in SYSTEMS:
            p.error(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    if args.scaling == "auto":
        n, w = os.cpu_count() or 1, [1]
        while w[-1] * 2 <= n:
            w.append(w[-1] * 2)
        args.scaling = sorted({*w, n}) if n > 1 else [1, 2]
    elif args.scaling == "none":
        args.scaling = []
    else:
        args.scaling = [int(x) for x in args.scaling.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    import report

    args = parse_args(argv)
    if args.report:
        if not args.out.exists():
            sys.exit(f"no results at {args.out}: run the benchmark first (or give --out)")
        report.write_markdown(json.loads(args.out.read_text()), args.out, args.markdown)
        return 0
    for path in (args.corpus, args.questions, args.wordsim):
        if not path.exists():
            sys.exit(f"not found: {path}")
    corpus, split, tokens = prepare_corpus(args.corpus, args.quick)
    files = (corpus, split)
    if "wordvec" in args.systems or args.scaling:
        warm_up(args.configs, corpus)
    load_start = os.getloadavg()
    started = datetime.now(UTC)
    vec_dir = CACHE / "vectors"
    vec_dir.mkdir(exist_ok=True)

    runs = []
    for rep in range(args.repeat):
        for config in args.configs:
            for system in args.systems:  # interleaved, so machine noise hits every system
                out = vec_dir / f"{system}-{config}.bin"
                r = run_one(spec(system, config, args.epochs, args.workers, files, out))
                r.update(system=system, config=config, repeat=rep, epochs=args.epochs)
                r.update(score(out, args.questions, args.wordsim))
                out.unlink()
                runs.append(r)
                print(
                    f"[{rep + 1}/{args.repeat}] {config:8s} {system:12s} "
                    f"{r['seconds_total']:7.1f} s {r['peak_rss_mb']:6.0f} MB  analogy "
                    f"{r['analogy']:.4f}  WS353 {r['ws353']:.3f}",
                    file=sys.stderr,
                )

    scaling = []  # training only, one epoch of the first configuration
    for rep in range(args.repeat if args.scaling else 0):
        for w in args.scaling:
            r = run_one(spec("wordvec", args.configs[0], 1, w, files))
            tps = tokens / r["seconds_train"]
            scaling.append(
                dict(
                    workers=w,
                    repeat=rep,
                    config=args.configs[0],
                    tokens_per_sec=tps,
                    seconds_train=r["seconds_train"],
                )
            )
            print(f"[scaling] {w} workers: {tps:,.0f} tokens/s", file=sys.stderr)

    results = {
        "date": started.isoformat(timespec="seconds"),
        "seconds": (datetime.now(UTC) - started).total_seconds(),
        "command": "python bench/compare.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": environment(),
        "load_average": {"start": load_start, "end": os.getloadavg()},
        "corpus": {
            "path": str(args.corpus),
            "used": str(corpus),
            "split_copy": str(split),
            "tokens": tokens,
            "quick": args.quick,
        },
        "settings": {
            **COMMON,
            "epochs": args.epochs,
            "workers": args.workers,
            "configs": {c: CONFIGS[c] for c in args.configs},
        },
        "runs": runs,
        "summary": summarise(runs, tokens),
        "scaling": scaling,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    report.chart(results, report.chart_path(args.out))
    print(report.tables(results))
    if not args.quick:
        report.write_markdown(results, args.out, args.markdown)
    print(f"wrote {args.out} and {report.chart_path(args.out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
