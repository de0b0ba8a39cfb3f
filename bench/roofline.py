"""Know the limit: how close wordvec's CPU kernels come to what this machine can do.

    python bench/roofline.py --quick                       # a smoke test, seconds
    python bench/roofline.py --markdown bench/results/roofline.md   # 20 MB of wiki100m, 1 epoch

Three tables, each in markdown:

1. **The machine's ceilings**, measured here with kernels of this file (``@njit(nogil=True)``,
   compiled before anything is timed, median of ``--repeat`` runs), with 1 thread and with 2
   (each thread its own work, at once):

   - *FMA*: ``x[i] = p(x[i])`` over float32[1024] (4 KB, stays in L1), ``p`` a polynomial by
     Horner's rule: 16 fused multiply-adds in a chain per element, vectorised across ``i``, the
     chains of neighbouring elements overlapping. 32 flops an element: GFLOP/s, and flops a
     cycle at the clock /proc/cpuinfo names (AVX2 with two FMA pipes peaks at 32).
   - *stream*: the triad ``a = b + s c`` (12 bytes an element, the STREAM count: no
     write-allocate) and a read-only sum (4 bytes), over arrays of ``--stream-mb`` each, far
     past the last-level cache: GB/s.
   - *gather*: rows of float32[V, d] (``d`` = 100: 400-byte rows, the vectors' own) at uniform
     random indices, ``V`` = ``--gather-rows`` (1,000,000: 400 MB), summed into one row
     (read) or each moved by a vector (update: read and write back, what training does), with
     no prefetch and with a software prefetch ``--prefetch`` rows ahead (the training kernels'
     own ``prefetch_row``, 8 lines for writing): rows/s and GB/s of row bytes. With a corpus, one
     more: a matrix of the corpus's vocabulary size, indices drawn from the noise distribution
     (what negative sampling reads; frequent rows stay in the caches).

2. **What a trained token costs**, from the parameters (d, window, negative; the vocabulary's
   counts when a corpus is read). Per *kept* centre word (subsampling has dropped the others
   before they cost anything), with ``m`` its context rows, ``K`` the output rows of negative
   sampling and ``L`` its Huffman code length, counting a multiply-add as 2 flops and a row as
   ``4 d`` bytes, read and written (read + write = ``8 d``):

   - *SG-NS*, a window as one block (``_logistic_block6``; ``_logistic_block`` when K != 6):
     ``m K`` scores (2d each), ``m K`` input-error axpys into ``e`` (2d), ``m K`` output-row
     axpys (2d), ``m`` input rows plus ``e`` (d): **flops = m d (6K + 1)**; pairs = m.
   - *SG-NCE*: the same blocks with K = 1 + negative always (a noise word equal to the centre
     word is kept), plus the biases (K shifts, m K gradient sums): **m d (6K + 1) + K (m + 1)**.
   - *CBOW-NS* (mean, ``_logistic_vec``): the sum of ``m`` rows (m d), the mean (d), per output
     a score, ``e += g y`` and ``y += g h`` (6d), the error added to the ``m`` rows (m d):
     **flops = d (2m + 1 + 6K)**; pairs = 1.
   - *SG-HS* (``_logistic_vec`` per context, the path's rows moving at once, as the C tool):
     per context 6d per node and d for the input: **flops = m d (6L + 1)**; pairs = m.

   Rows touched per centre word (each read and written, ``8 d`` bytes): ``m + K`` (NS, NCE,
   CBOW) or ``m + L`` (HS; each of the m contexts re-reads the L path rows from L1). Rows that
   must come from beyond the core's caches: the window slides one word, so **1 new input row,
   plus the K output rows** (centre word and noise words, random rows; ``1 + L`` for HS, an
   upper bound: the nodes near the root are on every path). Means over the corpus:
   ``m = window + 1`` (shrink_windows: the reduced window b is uniform in 1..window, m = 2b;
   ``2 window`` without), ``K = 1 + negative (1 - sum_w q_w P_n(w))`` (a noise draw equal to the
   centre word is dropped; ``q`` the kept-token distribution, ``P_n`` the noise distribution),
   ``L = sum_w q_w len_w``. Without a corpus K = 1 + negative and L = ``--code-length``.
   The bound on kept words/s per core is the lower of the FMA ceiling / flops and the best
   gather-update ceiling (1 thread) / new rows.

3. **What wordvec reaches**: ``Word2Vec(vector_size=d, window, negative, sample, epochs)``
   trained on a prefix of ``--corpus`` (``--max-bytes``), per mode with 1 worker, and with 2
   workers deterministic (2 replicas, the default) and Hogwild. From ``model.report_.epochs``:
   words/s (corpus tokens in the vocabulary a second), ``words_kept`` (after subsampling) and
   ``pairs``; flops from the formulas above (SG: ``pairs d (6K + 1)``, so the measured mean
   context is used; CBOW: ``m`` taken from the SG-NS run's pairs / kept, else window + 1), row
   bytes and new rows from the kept words. Rates are over the whole epoch (scheduling, merges
   and the per-sentence preparation included), per core = total / workers, and each fraction is
   against the ceiling measured with as many threads as workers (gather: uniform over
   ``--gather-rows`` / the vocabulary's noise distribution).

Concessions: the flop counts leave out the sigmoid lookups, the random draws, subsampling and
the loss (per output, not per dimension); the FMA ceiling is a pure FMA chain, while the
kernels' dot products also load, so no kernel can reach it; the uniform gather is a pessimistic
ceiling (noise words follow the unigram^0.75 distribution and the centre word is in the
window's rows), the noise-distribution gather the realistic one; the two "cores" of a virtual
machine may be two hyperthreads of one core (the topology line says which).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from wordvec.kernels.prefetch import prefetch_row

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "wiki100m.txt"
FMA_N = 1024  # float32 elements of the FMA loop's array: 4 KB, in L1
FMA_CHAIN = 16  # fused multiply-adds per element and pass
MODES = {  # name -> Word2Vec parameters (negative = --negative where it is > 0)
    "sg-ns": dict(sg=1, hs=0, nce=False),
    "cbow-ns": dict(sg=0, hs=0, nce=False),
    "sg-hs": dict(sg=1, hs=1, negative=0, nce=False),
    "sg-nce": dict(sg=1, hs=0, nce=True),
}


# -- the ceilings' kernels -----------------------------------------------------------------------
@njit(cache=True, nogil=True, fastmath=True)
def fma_chain(x, passes):
    """``passes`` times over x (float32[n]): x[i] = p(x[i]), p of degree 15 by Horner's rule
    plus a final scale: 16 FMAs a pass. With x in [0, 0.5] every value stays in [0.25, 0.5]."""
    half, quarter, eighth = np.float32(0.5), np.float32(0.25), np.float32(0.125)
    for _p in range(passes):
        for i in range(x.shape[0]):
            v = x[i]
            a = v
            for _k in range(FMA_CHAIN - 1):  # unrolled by LLVM; a stays in [0.5, 1]
                a = a * v + half
            x[i] = a * quarter + eighth


@njit(cache=True, nogil=True, fastmath=True)
def triad(a, b, c, s):
    """a = b + s c over float32[n]: 2 reads and 1 write an element."""
    for i in range(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(cache=True, nogil=True, fastmath=True)
def read_sum(b):
    """The sum of float32[n]: 1 read an element."""
    s = np.float32(0.0)
    for i in range(b.shape[0]):
        s += b[i]
    return s


@njit(cache=False, nogil=True, fastmath=True)  # inlines kernels.train's prefetch_row: no cache
def gather(rows, idx, acc, update, ahead):
    """For each j: row ``rows[idx[j]]`` (float32[V, d]) is added to ``acc`` (float32[d])
    (``update`` 0) or moved by ``acc`` (1: read and written back); with ``ahead`` > 0 the row
    ``ahead`` reads later is prefetched first."""
    n, d = idx.shape[0], rows.shape[1]
    for j in range(n):
        if ahead > 0 and j + ahead < n:
            prefetch_row(rows, idx[j + ahead])
        r = rows[idx[j]]
        if update:
            for t in range(d):
                r[t] += acc[t]
        else:
            for t in range(d):
                acc[t] += r[t]


# -- measuring -----------------------------------------------------------------------------------
def median_seconds(work, threads: int, repeat: int) -> float:
    """Median wall time of ``work(k)`` for k in 0 .. threads - 1, all at once (one warm-up)."""
    times = []
    with ThreadPoolExecutor(threads) as pool:
        for i in range(repeat + 1):
            t0 = time.perf_counter()
            list(pool.map(work, range(threads)))
            if i:
                times.append(time.perf_counter() - t0)
    return statistics.median(times)


@dataclass
class Ceiling:
    name: str
    threads: int
    rate: float  # GFLOP/s, GB/s or rows/s
    unit: str
    gbytes: float = 0.0  # GB/s of row bytes (gathers)
    note: str = ""


def fma_ceiling(threads: int, repeat: int, seconds: float) -> Ceiling:
    xs = [np.linspace(0.0, 0.5, FMA_N).astype(np.float32) for _ in range(threads)]
    fma_chain(xs[0][:8].copy(), 1)  # compile
    t0 = time.perf_counter()
    fma_chain(xs[0], 100)
    per_pass = max((time.perf_counter() - t0) / 100, 1e-9)
    passes = max(1, int(seconds / per_pass))
    t = median_seconds(lambda k: fma_chain(xs[k], passes), threads, repeat)
    flops = 2 * FMA_CHAIN * FMA_N * passes * threads
    return Ceiling("FMA, float32[1024] in L1", threads, flops / t / 1e9, "GFLOP/s")


def stream_ceilings(threads: int, repeat: int, mb: int) -> list[Ceiling]:
    n = mb * 2**20 // 4
    a, b, c = (np.full(n, 1.0, np.float32) for _ in range(3))
    triad(a[:8], b[:8], c[:8], np.float32(0.5))  # compile
    read_sum(b[:8])
    part = n // threads
    cut = [slice(k * part, (k + 1) * part) for k in range(threads)]
    s = np.float32(0.5)
    t = median_seconds(lambda k: triad(a[cut[k]], b[cut[k]], c[cut[k]], s), threads, repeat)
    t_read = median_seconds(lambda k: read_sum(b[cut[k]]), threads, repeat)
    moved = part * threads * 4
    return [
        Ceiling(f"stream triad, 3 x {mb} MB", threads, 3 * moved / t / 1e9, "GB/s"),
        Ceiling(f"stream read, {mb} MB", threads, moved / t_read / 1e9, "GB/s"),
    ]


def gather_ceilings(
    rows: np.ndarray, index_sets: list[np.ndarray], label: str, repeat: int, prefetch: int
) -> list[Ceiling]:
    """Gathers over ``rows`` with one index array per thread."""
    threads, d = len(index_sets), rows.shape[1]
    accs = [np.full(d, 1e-7, np.float32) for _ in range(threads)]
    gather(rows, index_sets[0][:8], accs[0], 0, 0)  # compile
    out = []
    for update in (0, 1):
        for ahead in (0, prefetch):
            t = median_seconds(
                lambda k, u=update, a=ahead: gather(rows, index_sets[k], accs[k], u, a),
                threads,
                repeat,
            )
            n = sum(i.shape[0] for i in index_sets)
            kind = "update (r+w)" if update else "read"
            how = f"prefetch {ahead} ahead" if ahead else "no prefetch"
            out.append(
                Ceiling(
                    f"gather {kind}, {label}, {how}",
                    threads,
                    n / t,
                    "rows/s",
                    n * d * 4 / t / 1e9,
                    note="update" if update else "read",
                )
            )
    return out


def best_gather(ceilings: list[Ceiling], threads: int, label: str) -> float:
    """The best gather-update rate (rows/s) with ``threads`` threads over ``label``'s matrix."""
    rates = [
        c.rate
        for c in ceilings
        if c.threads == threads and c.note == "update" and f", {label}," in c.name
    ]
    return max(rates, default=float("nan"))


# -- what a token costs --------------------------------------------------------------------------
@dataclass
class Cost:
    """Per kept centre word (see the module docstring)."""

    mode: str
    m: float  # context rows
    outputs: float  # K or L
    flops: float
    flops_per_pair: float
    rows: float  # touched, each read and written
    new_rows: float  # from beyond the caches


def cost(mode: str, d: int, m: float, k: float, k_nce: float, code_len: float) -> Cost:
    if mode == "sg-ns":
        flops, out, per_pair = m * d * (6 * k + 1), k, d * (6 * k + 1)
    elif mode == "sg-nce":
        flops, out = m * d * (6 * k_nce + 1) + k_nce * (m + 1), k_nce
        per_pair = flops / m
    elif mode == "cbow-ns":
        flops, out = d * (2 * m + 1 + 6 * k), k
        per_pair = flops  # one pair a centre word
    else:  # sg-hs
        flops, out, per_pair = m * d * (6 * code_len + 1), code_len, d * (6 * code_len + 1)
    return Cost(mode, m, out, flops, per_pair, m + out, 1 + out)


@dataclass
class VocabStats:
    size: int
    k: float  # mean output rows of negative sampling
    general_share: float  # centre words whose K < 1 + negative (the general block)
    code_len: float  # mean Huffman code length of a kept token
    noise: np.ndarray  # float64[V] P_n


def vocab_stats(counts: np.ndarray, sample: float, negative: int, exponent: float) -> VocabStats:
    """K, L and the noise distribution over the kept-token distribution of ``counts``."""
    from wordvec.core.huffman import build_huffman
    from wordvec.corpus.vocab import keep_thresholds

    q = counts * (keep_thresholds(counts, sample) / 2.0**32)
    q /= q.sum()
    pn = counts.astype(np.float64) ** exponent
    pn /= pn.sum()
    k = 1 + negative * (1 - float(q @ pn))
    general = float(q @ (1 - (1 - pn) ** negative))
    code_len = float(q @ build_huffman(counts).lengths)
    return VocabStats(counts.shape[0], k, general, code_len, pn)


# -- what wordvec reaches ------------------------------------------------------------------------
@dataclass
class Run:
    mode: str
    label: str
    workers: int
    words_per_sec: float
    kept_per_sec: float
    pairs_per_kept: float
    seconds: float


def prefix(corpus: Path, max_bytes: int, out: Path) -> Path:
    """The first ``max_bytes`` of ``corpus`` cut at a space, written to ``out``."""
    with open(corpus, "rb") as f:
        data = f.read(max_bytes)
    cut = data.rfind(b" ")
    out.write_bytes(data[: cut if cut > 0 else len(data)])
    return out


def train(path: Path, mode: str, workers: int, det: bool, args) -> tuple[Run, object]:
    from wordvec import Word2Vec

    params = {"negative": args.negative, **MODES[mode]}
    model = Word2Vec(
        vector_size=args.dim,
        window=args.window,
        sample=args.sample,
        epochs=args.epochs,
        workers=workers,
        deterministic=det,
        seed=1,
        **params,
    ).fit(str(path))
    ep = model.report_.epochs
    secs = sum(e.seconds for e in ep)
    kept, pairs = sum(e.words_kept for e in ep), sum(e.pairs for e in ep)
    label = "1 worker" if workers == 1 else f"{workers}, {'det.' if det else 'Hogwild'}"
    run = Run(
        mode,
        label,
        workers,
        sum(e.words_per_sec * e.seconds for e in ep) / secs,
        kept / secs,
        pairs / max(kept, 1),
        secs,
    )
    return run, model


def log(what: Ceiling | Run | str) -> None:
    """Progress, on stderr (the tables go to stdout)."""
    if isinstance(what, Ceiling):
        what = f"{what.name}, {what.threads} thread(s): {fmt(what.rate)} {what.unit}"
    elif isinstance(what, Run):
        what = f"{what.mode}, {what.label}: {fmt(what.words_per_sec)} words/s"
    print(what, file=sys.stderr, flush=True)


# -- the tables ----------------------------------------------------------------------------------
def fmt(x: float, digits: int = 3) -> str:
    """A number with ``digits`` significant digits and thousands separators."""
    if x != x:
        return "n/a"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    return f"{x:,.{max(0, digits - 1 - int(np.floor(np.log10(abs(x) or 1))))}f}"


def machine() -> tuple[str, float]:
    """A line naming the CPU (/proc/cpuinfo's model name), and its clock in MHz (0: unknown)."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    field = {}
    for line in info.splitlines():
        key, _, value = line.partition(":")
        field.setdefault(key.strip(), value.strip())
    flags = set(field.get("flags", "").split())
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    topo = Path("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list")
    llc = Path("/sys/devices/system/cpu/cpu0/cache/index3/size")
    mhz = float(field.get("cpu MHz", 0) or 0)
    return (
        f"CPU: {field.get('model name', platform.processor())}, {os.cpu_count()} logical CPUs, "
        f"{simd}{', FMA' if 'fma' in flags else ''}, {field.get('cpu MHz', '?')} MHz named; "
        f"cpu0 shares its core with CPUs {topo.read_text().strip() if topo.exists() else '?'}; "
        f"last-level cache {llc.read_text().strip() if llc.exists() else '?'}"
    ), mhz


def ceiling_table(ceilings: list[Ceiling], mhz: float) -> list[str]:
    rows = ["| ceiling | threads | rate | GB/s of rows | per thread | flops a cycle a thread |"]
    rows.append("|---|---|---|---|---|---|")
    for c in ceilings:
        per_cycle = ""
        if c.unit == "GFLOP/s" and mhz:
            per_cycle = fmt(c.rate * 1e3 / mhz / c.threads)
        rate = fmt(c.rate / 1e6) + " M rows/s" if c.unit == "rows/s" else f"{fmt(c.rate)} {c.unit}"
        per = c.rate / c.threads
        per_s = fmt(per / 1e6) + " M" if c.unit == "rows/s" else fmt(per)
        gb = fmt(c.gbytes) if c.gbytes else ""
        rows.append(f"| {c.name} | {c.threads} | {rate} | {gb} | {per_s} | {per_cycle} |")
    return rows


def cost_table(costs: list[Cost], d: int, fma1: float, gather1: float) -> list[str]:
    rows = [
        "| mode | m | K or L | flops / kept word | flops / pair | rows touched (KB r+w) "
        "| new rows (KB r+w) | flops / new-row byte | bound, M kept words/s a core: "
        "FMA / gather |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in costs:
        kb, kb_new = c.rows * 8 * d / 1e3, c.new_rows * 8 * d / 1e3
        bound_c, bound_g = fma1 * 1e9 / c.flops / 1e6, gather1 / c.new_rows / 1e6
        rows.append(
            f"| {c.mode} | {fmt(c.m)} | {fmt(c.outputs)} | {fmt(c.flops)} "
            f"| {fmt(c.flops_per_pair)} | {fmt(c.rows)} ({fmt(kb)}) | {fmt(c.new_rows)} "
            f"({fmt(kb_new)}) | {fmt(c.flops / (c.new_rows * 8 * d))} "
            f"| {fmt(bound_c)} / {fmt(bound_g)} |"
        )
    return rows


def run_table(runs, costs, d, fma, gather_uniform, gather_vocab, m_sg) -> list[str]:
    rows = [
        "| mode | workers | s | words/s | kept/s | pairs / kept | GFLOP/s (a core) "
        "| % FMA ceiling | rows touched GB/s | new rows M/s | % gather ceiling "
        "(uniform / vocab) | ns a kept word a core |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        c = costs[r.mode]
        if r.mode in ("sg-ns", "sg-nce", "sg-hs"):  # flops per pair: the measured contexts
            flops = r.pairs_per_kept * c.flops_per_pair * r.kept_per_sec
        else:
            flops = cost(r.mode, d, m_sg, c.outputs, 0, 0).flops * r.kept_per_sec
        new = c.new_rows * r.kept_per_sec
        touched = c.rows * 8 * d * r.kept_per_sec
        w = r.workers
        pct_g = (
            f"{fmt(100 * new / gather_uniform.get(w, np.nan))} / "
            f"{fmt(100 * new / gather_vocab.get(w, np.nan))}"
        )
        rows.append(
            f"| {r.mode} | {r.label} | {r.seconds:.2f} | {fmt(r.words_per_sec)} "
            f"| {fmt(r.kept_per_sec)} | {fmt(r.pairs_per_kept)} | {fmt(flops / 1e9)} "
            f"({fmt(flops / 1e9 / w)}) | {fmt(100 * flops / 1e9 / fma.get(w, np.nan))} "
            f"| {fmt(touched / 1e9)} | {fmt(new / 1e6)} | {pct_g} "
            f"| {fmt(w / r.kept_per_sec * 1e9)} |"
        )
    return rows


# -- main ----------------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test (seconds)")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="'none': no training")
    ap.add_argument("--max-bytes", type=int, default=20_000_000, help="the corpus prefix")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs,sg-nce", help="or 'none'")
    ap.add_argument("--workers", default="1,2", help="worker counts (> 1: det. and Hogwild)")
    ap.add_argument("--threads", default=None, help="ceilings' thread counts (default 1,2)")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--sample", type=float, default=1e-4)
    ap.add_argument("--ns-exponent", type=float, default=0.75)
    ap.add_argument("--code-length", type=float, default=14.0, help="L without a corpus")
    ap.add_argument("--gather-rows", type=int, default=1_000_000, help="V of the uniform gather")
    ap.add_argument("--gather-reads", type=int, default=2_000_000, help="rows a thread a run")
    ap.add_argument("--prefetch", type=int, default=16, help="rows ahead of the prefetch")
    ap.add_argument("--stream-mb", type=int, default=128, help="MB each stream array")
    ap.add_argument("--seconds", type=float, default=0.2, help="FMA run length")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--markdown", type=Path, help="also write the tables here")
    args = ap.parse_args(argv)
    if args.quick:
        args.max_bytes = min(args.max_bytes, 1_000_000)
        args.gather_rows, args.gather_reads = 250_000, 200_000
        args.stream_mb, args.seconds, args.repeat = 48, 0.02, 3
    threads = [int(t) for t in (args.threads or f"1,{min(2, os.cpu_count() or 1)}").split(",")]
    threads = sorted(set(threads))
    workers = [int(w) for w in args.workers.split(",")]
    modes = [] if args.modes == "none" else args.modes.split(",")
    corpus = None if str(args.corpus) == "none" else args.corpus
    if corpus is not None and not corpus.exists():
        print(f"no corpus at {corpus}: no training", file=sys.stderr)
        corpus = None
    head, mhz = machine()
    log(head)
    rng = np.random.default_rng(1)

    # 1. the ceilings
    ceilings: list[Ceiling] = []
    for t in threads:
        ceilings.append(fma_ceiling(t, args.repeat, args.seconds))
    for t in threads:
        ceilings += stream_ceilings(t, args.repeat, args.stream_mb)
    big = np.full((args.gather_rows, args.dim), 1.0, np.float32)
    uniform = f"V={args.gather_rows:,} uniform"
    for t in threads:
        idx = [rng.integers(0, args.gather_rows, args.gather_reads) for _ in range(t)]
        ceilings += gather_ceilings(big, idx, uniform, args.repeat, args.prefetch)
    del big
    for c in ceilings:
        log(c)

    # 3. wordvec's runs (before 2: the vocabulary gives K and L)
    runs: list[Run] = []
    stats = model = None
    with tempfile.TemporaryDirectory() as tmp:
        if corpus is not None:
            path = prefix(corpus, args.max_bytes, Path(tmp) / "corpus.txt")
            warm = prefix(corpus, min(args.max_bytes, 200_000), Path(tmp) / "warm.txt")
            for mode in modes:
                for w in workers:
                    for det in (True, False) if w > 1 else (True,):
                        train(warm, mode, w, det, args)  # compile, or load, the kernels
                        run, model = train(path, mode, w, det, args)
                        runs.append(run)
                        log(run)
            if runs:  # every run has the vocabulary of the same prefix (min_count 5)
                counts = model.vocab_.counts
            else:
                from wordvec import Word2Vec

                counts = Word2Vec().build_vocab(str(path)).vocab_.counts
            stats = vocab_stats(counts, args.sample, args.negative, args.ns_exponent)
    vocab_label = ""
    if stats is not None:  # the realistic gather: the vocabulary's rows, noise-distributed
        vocab_label = f"V={stats.size:,} noise-distributed"
        rows = np.full((stats.size, args.dim), 1.0, np.float32)
        for t in threads:
            idx = [rng.choice(stats.size, args.gather_reads, p=stats.noise) for _ in range(t)]
            got = gather_ceilings(rows, idx, vocab_label, args.repeat, args.prefetch)
            ceilings += got
            for c in got:
                log(c)

    # 2. the costs
    m = args.window + 1
    k = stats.k if stats else 1 + args.negative
    code_len = stats.code_len if stats else args.code_length
    all_modes = modes or list(MODES)
    costs = {md: cost(md, args.dim, m, k, 1 + args.negative, code_len) for md in all_modes}
    fma = {c.threads: c.rate for c in ceilings if c.unit == "GFLOP/s"}
    g_uniform = {t: best_gather(ceilings, t, uniform) for t in threads}
    g_vocab = {t: best_gather(ceilings, t, vocab_label) for t in threads} if stats else {}
    g1 = g_vocab.get(1, g_uniform.get(1, np.nan))
    sg_runs = [r for r in runs if r.mode == "sg-ns"]
    m_sg = sg_runs[0].pairs_per_kept if sg_runs else m

    out = [f"# Know the limit\n\n{head}\n", "## 1. The machine's ceilings\n"]
    out += ceiling_table(ceilings, mhz)
    source = (
        f"the vocabulary of {args.max_bytes:,} bytes of {corpus.name} ({stats.size:,} words; "
        f"K = {fmt(k)}, {100 * stats.general_share:.1f} % of centre words with a noise word "
        f"dropped, so not 6 outputs; L = {fmt(code_len)})"
        if stats
        else f"parameters only (K = 1 + negative, L = --code-length {code_len:g})"
    )
    out += [
        "",
        f"## 2. What a kept word costs (d={args.dim}, window {args.window}, negative "
        f"{args.negative}, sample {args.sample:g})\n",
        f"m = window + 1 = {m}; K, L from {source}. Bound a core: 1-thread FMA ceiling / "
        f"flops, and best 1-thread gather-update ({'vocabulary' if stats else 'uniform'}) / "
        "new rows.\n",
    ]
    out += cost_table(list(costs.values()), args.dim, fma.get(1, np.nan), g1)
    if runs:
        out += [
            "",
            f"## 3. What wordvec reaches ({args.max_bytes:,} bytes of {corpus.name}, "
            f"{args.epochs} epoch{'s' * (args.epochs != 1)}, seed 1)\n",
            f"Fractions against the ceilings with as many threads as workers; CBOW's m = "
            f"SG-NS's pairs / kept = {fmt(m_sg)}.\n",
        ]
        out += run_table(runs, costs, args.dim, fma, g_uniform, g_vocab, m_sg)
    text = "\n".join(out) + "\n"
    print("\n" + text)
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
