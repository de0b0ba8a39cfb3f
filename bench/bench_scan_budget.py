"""A vocabulary scan of a corpus with tens of millions of distinct strings, within a budget.

    python bench/bench_scan_budget.py --distinct 20000000 --max-memory-mb 256

The corpus is synthetic (made once in ``--work``, never stored in the repository): every one of
``--distinct`` strings once (hex ids: log lines, URLs, typos), plus as many tokens drawn from a
Zipf law (exponent 1.1) over 100,000 common words, shuffled, 1,000 tokens a line. Each case is
a process of its own running ``Word2Vec.build_vocab`` (``min_count=5``): without a budget (the
default: what the machine has free) and with ``max_memory``. Peak = the child's ``VmHWM``;
baseline = its ``VmRSS`` after importing wordvec and loading the kernels (a tiny fit). Prints a
markdown table (``--markdown FILE`` writes it too).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

MiB = 1 << 20
COMMON = 100_000


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def make_corpus(work: Path, distinct: int, seed: int = 0) -> Path:
    path = work / f"distinct-{distinct}.txt"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    ranks = np.minimum(rng.zipf(1.1, distinct), COMMON) - 1  # common words: c0 .. c99999
    ids = np.concatenate([np.arange(distinct) + COMMON, ranks])  # rare strings: ids >= COMMON
    rng.shuffle(ids)
    tmp = path.with_suffix(".part")
    with open(tmp, "w") as f:
        for a in range(0, ids.shape[0], 1000):
            f.write(" ".join(f"c{i}" if i < COMMON else f"u{i:x}" for i in ids[a : a + 1000]))
            f.write("\n")
    tmp.rename(path)
    return path


def child(corpus: str, max_memory: int | None) -> None:
    from wordvec import Word2Vec

    Word2Vec(vector_size=8, min_count=1, epochs=1, workers=2).fit([["a", "b", "c"] * 10] * 10)
    baseline = _status("VmRSS:")
    t0 = time.perf_counter()
    m = Word2Vec(min_count=5, workers=2, max_memory=max_memory).build_vocab(corpus)
    r = m.report_
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - t0,
                "peak": _status("VmHWM:"),
                "baseline": baseline,
                "raw_tokens": r.raw_tokens,
                "vocab": len(m.wv),
                "pruned": r.words_pruned_while_scanning,
                "disk": r.disk,
            }
        )
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--distinct", type=int, default=20_000_000)
    ap.add_argument("--max-memory-mb", type=int, default=256)
    ap.add_argument("--work", default="/tmp")
    ap.add_argument("--markdown")
    ap.add_argument("--child", nargs=2)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child[0], None if a.child[1] == "none" else int(a.child[1]))
        return 0
    t0 = time.perf_counter()
    corpus = make_corpus(Path(a.work), a.distinct)
    made = time.perf_counter() - t0
    rows = []
    for name, mm in (
        ("no budget", "none"),
        (f"max_memory {a.max_memory_mb} MB", str(a.max_memory_mb * MiB)),
    ):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(corpus), mm], capture_output=True, text=True
        )
        if out.returncode:
            print(out.stderr[-3000:], file=sys.stderr)
            return 1
        res = json.loads(out.stdout.strip().splitlines()[-1])
        print(name, res, file=sys.stderr, flush=True)
        rows.append((name, res))
    from wordvec.core.memory import SCAN_WORD_BYTES, scan_word_limit

    with open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    lines = [
        f"Vocabulary scan (`Word2Vec.build_vocab`, min_count 5, 2 workers) of a synthetic corpus: "
        f"{a.distinct:,} distinct strings once each + {a.distinct:,} Zipf tokens over {COMMON:,} "
        f"common words ({corpus.stat().st_size / 1e6:,.0f} MB, made in {made:.0f} s); {cpu}, "
        f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. With "
        f"max_memory the scan keeps at most {scan_word_limit(a.max_memory_mb * MiB):,} words "
        f"(a quarter of the budget at {SCAN_WORD_BYTES} B a word).",
        "",
        "| case | seconds | peak MB | baseline MB | peak - baseline MB | words pruned | vocabulary "
        "| corpus |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['seconds']:.1f} | {r['peak'] / MiB:,.0f} | "
            f"{r['baseline'] / MiB:,.0f} | "
            f"{(r['peak'] - r['baseline']) / MiB:,.0f} | {r['pruned']:,} | {r['vocab']:,} | "
            f"{r['disk'] or 'in memory'} |"
        )
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        Path(a.markdown).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
