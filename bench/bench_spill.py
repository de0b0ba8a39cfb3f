"""A corpus bigger than the memory budget: Word2Vec with its encoded corpus on disk against the
same run in memory (issue #24's first target).

    python bench/bench_spill.py --copies 8 --max-memory-mb 256 --rounds 3

The corpus is ``--copies`` copies of ``wiki100m.txt`` (made once in ``--work``, one copy a line),
``min_count`` scaled by the copies (5 a copy: the 68k words of one copy). Each run is a process
of its own; the cases take turns (memory, disk, memory, disk ...). Peak = the child's
``VmHWM``; ``baseline`` = its ``VmRSS`` after importing wordvec and loading the training kernels
(a tiny fit), before the timed fit; ``over`` = peak - baseline, what ``max_memory`` bounds.
The digest is a SHA-256 of the trained input and output vectors: equal digests are equal bits.
Prints a markdown table (``--markdown FILE`` writes it too).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wiki100m.txt"
MiB = 1 << 20


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def child(corpus: str, max_memory: int | None, params: dict) -> None:
    import numpy as np

    from wordvec import Word2Vec

    Word2Vec(vector_size=8, min_count=1, epochs=1, workers=2).fit([["a", "b", "c"] * 10] * 10)
    baseline = _status("VmRSS:")
    t0 = time.perf_counter()
    m = Word2Vec(max_memory=max_memory, **params).fit(corpus)
    wall = time.perf_counter() - t0
    peak = _status("VmHWM:")  # before the digest, which reads the weights without copying
    h = hashlib.sha256(memoryview(np.ascontiguousarray(m.wv.vectors)))
    h.update(memoryview(np.ascontiguousarray(m.syn1neg_)))
    print(
        json.dumps(
            {
                "wall": wall,
                "vocab_s": m.report_.seconds_vocab,
                "train_s": sum(e.seconds for e in m.report_.epochs),
                "peak": peak,
                "baseline": baseline,
                "digest": h.hexdigest()[:16],
                "disk": m.report_.disk,
                "vocab": len(m.wv),
                "tokens": m.report_.vocab_tokens,
                "estimate": m.estimate_memory()["total"],
            }
        )
    )


def make_corpus(work: Path, copies: int) -> Path:
    path = work / f"wiki100m-x{copies}.txt"
    if not path.exists() or path.stat().st_size != copies * (DATA.stat().st_size + 1):
        with open(path, "wb") as out:
            for _ in range(copies):
                with open(DATA, "rb") as f:
                    while block := f.read(1 << 24):
                        out.write(block)
                out.write(b"\n")
    return path


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--max-memory-mb", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--hogwild", action="store_true")
    ap.add_argument("--work", default="/tmp")
    ap.add_argument("--markdown")
    ap.add_argument("--child", nargs=3, metavar=("CORPUS", "MAXMEM", "PARAMS"))
    a = ap.parse_args(argv)
    if a.child:
        mm = None if a.child[1] == "none" else int(a.child[1])
        child(a.child[0], mm, json.loads(a.child[2]))
        return 0
    corpus = make_corpus(Path(a.work), a.copies)
    params = dict(
        sg=1,
        vector_size=100,
        window=5,
        negative=5,
        sample=1e-4,
        min_count=5 * a.copies,
        epochs=a.epochs,
        workers=a.workers,
        deterministic=not a.hogwild,
        seed=1,
    )
    cases = {"in memory": "none", f"max_memory {a.max_memory_mb} MB": str(a.max_memory_mb * MiB)}
    got: dict[str, list[dict]] = {k: [] for k in cases}
    for r in range(a.rounds):
        for name, mm in cases.items():
            cmd = [sys.executable, __file__, "--child", str(corpus), mm, json.dumps(params)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode:
                print(out.stderr[-2000:], file=sys.stderr)
                return 1
            res = json.loads(out.stdout.strip().splitlines()[-1])
            got[name].append(res)
            print(f"round {r + 1} {name}: {res}", file=sys.stderr, flush=True)
    base = got["in memory"]
    lines = [
        f"Word2Vec on {a.copies} copies of wiki100m.txt ({corpus.stat().st_size / 1e6:,.0f} MB, "
        f"{base[0]['tokens']:,} tokens, {base[0]['vocab']:,} words), "
        f"{'Hogwild' if a.hogwild else 'deterministic'}, skip-gram NS, d 100, {a.epochs} epochs, "
        f"{a.workers} workers; {cpu_model()}, {os.cpu_count()} CPUs; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; medians of {a.rounds} "
        "alternating whole-process runs.",
        "",
        "| case | wall s | vocabulary s | training s | peak MB | baseline MB | peak - baseline MB "
        "| estimate MB | on disk | digest |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in got.items():

        def med(key: str, runs=runs) -> float:
            return statistics.median(r[key] for r in runs)

        digests = sorted({r["digest"] for r in runs})
        lines.append(
            f"| {name} | {med('wall'):.1f} | {med('vocab_s'):.1f} | {med('train_s'):.1f} | "
            f"{med('peak') / MiB:,.0f} | {med('baseline') / MiB:,.0f} | "
            f"{statistics.median(r['peak'] - r['baseline'] for r in runs) / MiB:,.0f} | "
            f"{med('estimate') / MiB:,.0f} | {runs[0]['disk'] or '-'} | {', '.join(digests)} |"
        )
    disk = got[list(cases)[1]]
    ratios = [d["wall"] / m["wall"] for d, m in zip(disk, base, strict=True)]
    lines += [
        "",
        f"disk / memory wall time, pair by pair: {', '.join(f'{x:.3f}' for x in ratios)} "
        f"(median {statistics.median(ratios):.3f})",
    ]
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        Path(a.markdown).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
