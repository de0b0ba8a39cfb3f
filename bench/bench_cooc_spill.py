"""Co-occurrence counting under a hard memory budget (issue #24): the in-memory count against one
with a small ``max_memory`` that sends the runs (and the result) to disk.

Each case runs in a process of its own: it first counts a tiny corpus twice (once in memory, once
spilled) so that Python, NumPy, SciPy, Numba and every kernel are loaded, then resets the peak
(``/proc/self/clear_refs``), reads the baseline (``VmRSS``), fits, and reads the peak
(``VmHWM``) before anything else touches the matrix. The matrix is then hashed (SHA-256 of data,
indices and indptr, dtypes included) so the cases can be compared bit for bit.

    python bench/bench_cooc_spill.py [--corpus PATH] [--window 10] [--budgets none,256]

Prints a markdown table (budget in MiB, ``none`` = the free memory).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import hashlib, json, sys, tempfile, time
import numpy as np
from wordvec.count.cooccurrence import Cooccurrence

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

cfg = json.loads(sys.argv[1])
tiny = [[f"w{(i * 7 + j * 3) % 50}" for j in range(40)] for i in range(300)]
Cooccurrence(window=3, min_count=1).fit(tiny)
Cooccurrence(window=3, min_count=1, max_memory=1 << 20).fit(tiny)  # loads the spill kernels
open("/proc/self/clear_refs", "w").write("5")
base = status("VmRSS:")
t = time.perf_counter()
c = Cooccurrence(
    window=cfg["window"], weighting="harmonic", context="symmetric", min_count=5, workers=2,
    max_memory=cfg["budget"],
).fit(cfg["corpus"])
secs = time.perf_counter() - t
peak = status("VmHWM:")
m = c.matrix_
h = hashlib.sha256()
for a in (m.data, m.indices, m.indptr):
    h.update(str(a.dtype).encode())
    for s in range(0, a.shape[0], 1 << 22):
        h.update(np.ascontiguousarray(a[s : s + (1 << 22)]).tobytes())
out = dict(
    base=base, peak=peak, seconds=secs, count_seconds=c.seconds_["count"], nnz=int(m.nnz),
    words=m.shape[0], digest=h.hexdigest()[:16], spill=c.spill_.as_dict(),
    mapped=type(m.data.base).__name__ != "NoneType" and not m.data.flags.writeable,
)
if cfg["ppmi"]:  # PPMI + SVD of that matrix, its own peak above what the count left
    from wordvec.count.ppmi import PPMI, ppmi_matrix
    from wordvec.count.spill import drop_pages
    for a in (m.data, m.indices, m.indptr):
        drop_pages(a)
    open("/proc/self/clear_refs", "w").write("5")
    base2 = status("VmRSS:")
    t = time.perf_counter()
    pm = ppmi_matrix(m)
    out["ppmi_matrix_peak"] = status("VmHWM:") - base2
    out["ppmi_nnz"] = int(pm.nnz)
    del pm
    for a in (m.data, m.indices, m.indptr):
        drop_pages(a)
    open("/proc/self/clear_refs", "w").write("5")
    base2 = status("VmRSS:")
    t = time.perf_counter()
    model = PPMI(vector_size=100, seed=1, workers=2).fit(c)
    out["ppmi_seconds"] = time.perf_counter() - t
    out["ppmi_base"], out["ppmi_peak"] = base2, status("VmHWM:")
    out["ppmi_digest"] = hashlib.sha256(model.wv.vectors.tobytes()).hexdigest()[:16]
print(json.dumps(out))
"""


def run(corpus: str, window: int, budget: int | None, ppmi: bool) -> dict:
    cfg = json.dumps(dict(corpus=corpus, window=window, budget=budget, ppmi=ppmi))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, cfg], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"case {budget} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="/work/shared/data/wiki100m.txt")
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--budgets", default="none,256", help="MiB, comma-separated; none = free")
    ap.add_argument("--ppmi", action="store_true", help="then PPMI + SVD (100 dims) of each")
    args = ap.parse_args()
    mib = 1 << 20
    rows = []
    for b in args.budgets.split(","):
        budget = None if b == "none" else int(float(b) * mib)
        r = run(args.corpus, args.window, budget, args.ppmi)
        rows.append((b, budget, r))
        print(f"# done {b}: {json.dumps(r)}", file=sys.stderr)
    ref = rows[0][2]
    print(
        "| max_memory | baseline MiB | peak MiB | peak - baseline MiB | bound MiB | fit s "
        "| count s | spilled runs | written MiB | read MiB | write s | merge s | matrix | nnz "
        "| digest | same |"
    )
    print("|---" * 16 + "|")
    for b, budget, r in rows:
        s = r["spill"]
        over = (r["peak"] - r["base"]) / mib
        bound = "-" if budget is None else f"{budget / mib:,.0f}"
        print(
            f"| {'free memory' if budget is None else f'{b} MiB'} | {r['base'] / mib:,.0f} "
            f"| {r['peak'] / mib:,.0f} | {over:,.0f} | {bound} | {r['seconds']:.1f} "
            f"| {r['count_seconds']:.1f} | {s['runs']} | {s['written'] / mib:,.0f} "
            f"| {s['read'] / mib:,.0f} | {s['write_seconds']:.1f} | {s['merge_seconds']:.1f} "
            f"| {s['result']} | {r['nnz']:,} | {r['digest']} | {r['digest'] == ref['digest']} |"
        )
    if not args.ppmi:
        return
    print()
    print(
        "| matrix from | ppmi_matrix peak MiB | PPMI.fit peak MiB | above MiB | PPMI nnz "
        "| PPMI.fit s | vectors digest | same |"
    )
    print("|---" * 8 + "|")
    for b, budget, r in rows:
        print(
            f"| {'free memory' if budget is None else f'{b} MiB'} "
            f"| {r['ppmi_matrix_peak'] / mib:,.0f} | {r['ppmi_peak'] / mib:,.0f} "
            f"| {(r['ppmi_peak'] - r['ppmi_base']) / mib:,.0f} | {r['ppmi_nnz']:,} "
            f"| {r['ppmi_seconds']:.1f} | {r['ppmi_digest']} "
            f"| {r['ppmi_digest'] == ref['ppmi_digest']} |"
        )


if __name__ == "__main__":
    main()
