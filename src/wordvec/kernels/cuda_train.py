"""GPU training kernels (Numba CUDA): skip-gram and CBOW with negative sampling.

Importing this module imports ``numba.cuda`` (NVIDIA's ``numba-cuda`` when installed, which
takes over that name; otherwise Numba's built-in target); only ``wordvec.core.executors.cuda``
imports it. The maths and the tables are the CPU kernels' (``kernels.train``): the
xorshift64* generator, the alias-table noise draw, the subsampling thresholds, the window
reduction, the tabulated sigmoid and its loss, and the skip-gram block update of Ji et al.
2016 (one centre word: all its context rows against the centre word and ``negative`` noise
words shared by the window, every gradient taken from the weights as they were before the
block). What changes is where things run:

- **One thread block per sentence** (sentences are at most ``max_sentence_length`` tokens).
  The block's threads subsample the sentence together (``_prepare``): each token has its own
  random stream, so the keep decisions are drawn in parallel, and a block-wide prefix sum
  packs the kept words (and resolves the rare-id escapes) into a scratch array.
- **One warp per run of centre words.** The kept sentence is cut into as many contiguous
  segments as the block has warps; a warp walks its segment in order. Lane ``l`` owns
  dimensions ``l, l + 32, ...`` of every row, so a dot product is a per-lane partial sum and
  a butterfly of warp shuffles (``_warp_sum``), and every update is lane-local: no lane ever
  reads a dimension another lane writes. The window's gradients (2 window x (1 + negative)
  numbers) live in shared memory, the centre's noise words in registers; each row of the
  block is written back once per window.
- **Random choices on the device.** Token ``p`` of sentence ``s`` in a job with seed ``seed``
  draws from xorshift64* started at ``mix(mix(seed ^ s) ^ p)`` (splitmix64's finaliser): first
  the keep test, then, if kept, the window reduction and the ``negative`` noise words, in the
  CPU kernels' order and formulas. The random choices (and so the pairs, the kept words and
  the learning rates) depend on (seed, epoch, job, sentence, position) only.

Reproducibility: the random choices are reproducible; the vectors are not bit-for-bit.
Sentences run concurrently and the warps of a sentence overlap at segment edges and on
frequent rows without locks (Hogwild, as the CPU's ``deterministic=False``), so runs differ
in the last bits and beyond: statistically equivalent, not identical. With one warp per block
and one block at a time (the simulator) the updates are ordered and match a sequential NumPy
reference (``tests/test_cuda.py``).

Hierarchical softmax and the full softmax are not built: the Huffman nodes near the root are
on every path, so a block of 32 lanes per window would serialise on them, and keeping them
out keeps the NS kernels free of that branch.

Arguments: the CPU kernels' bundles where the fields are the same, two of this module's for
the launch (V words, d dimensions, S sentences of the corpus, B sentences in the launch, J jobs
in the launch, T tokens of those sentences); ``KERNELS[kind](corpus, weights, tables, opts,
launch, scratch, stats)``:

- ``corpus``: ``kernels.bundles.Corpus``: ``ids`` uint16[n] (``ESCAPE``: the next id of ``rare``
  int32[r]), ``rare_starts`` int64[S + 1], ``bounds`` int64[S + 1] (see ``wordvec.corpus.encoded``)
- ``weights``: ``kernels.bundles.Weights``: ``syn0``, ``syn1neg`` float32[V, d], updated in
  place; ``syn1`` unused (float32[1, d])
- ``tables``: ``kernels.bundles.Tables``: ``keep`` uint64[V], ``noise_p`` uint64[V],
  ``noise_a`` int32[V]; the Huffman and NCE fields unused (one-element placeholders)
- ``opts``: ``kernels.bundles.Options``: ``window``, ``shrink`` (0/1), ``negative``
  (1 .. MAX_OUT - 1), ``cbow_mean`` (0/1) are read; ``hs``, ``nce`` are 0 and ``sg`` is the
  kernel's
- ``launch``: ``Launch``: the block of each sentence and the jobs they belong to
- ``scratch``: ``Scratch``: the kept words and their random states, T slots
- ``stats``: float64[B, 3] gets each sentence's (loss sum, pairs, words kept)
- dynamic shared memory: ``shared_bytes(warps, window, negative)``

Shared with the CPU kernels (``kernels.train``, imported, not copied): ``_next``
(xorshift64*), ``_noise`` (the alias draw) and ``_grad_and_loss`` (the tabulated sigmoid and
its loss, whose tables Numba freezes into constant memory): the same ``@njit`` functions,
compiled for the device by Numba's CUDA target (in the simulator, their Python). ``_mix``
stays here, as ``kernels.train`` has none to share (its host twin, on Python ints, is
``wordvec.core.schedule._mix64``); so does everything that names a thread, a warp or shared memory.

Compiled once a process, at the first launch: the kernels are ``@cuda.jit`` without
``cache=True``. Numba's on-disk cache keys a kernel on its own source file only, so a cached
kernel would keep an old copy of a helper edited in ``kernels.train``; without the cache there
is no copy to go stale. The cost is a few seconds a run (typing and NVVM: about 3 s for the
first kernel, 1 s for the second on a 2-core machine, as ``tests/test_cuda_compile.py``
prints), plus the driver's assembly of the PTX.
"""

import os
import threading
import weakref
from typing import NamedTuple

import numpy as np
from numba import cuda, float32, float64, int32, int64
from numba.core import config

from wordvec.kernels import ESCAPE
from wordvec.kernels.train import _grad_and_loss, _next, _noise

SIMULATOR = bool(config.ENABLE_CUDASIM)
# lanes a warp. In the simulator every lane is a Python thread and every warp barrier costs
# milliseconds, so its warps are 4 lanes (WORDVEC_CUDASIM_WARP: 32 to run the GPU's width)
WARP = int(os.environ.get("WORDVEC_CUDASIM_WARP", "4")) if SIMULATOR else 32
MAX_OUT = 32  # 1 + negative: the centre word and its noise words, in registers
MAX_DL = 32  # CBOW: dimensions a lane holds (d <= 1024)
MAX_THREADS = 1024  # a block: the prefix-sum buffer
MAX_BLOCK_WARPS = MAX_THREADS // WARP
FULL_MASK = 0xFFFFFFFF

if SIMULATOR:  # the simulator runs device code as Python, on arrays compiled code cannot take
    _grad_and_loss, _next, _noise = _grad_and_loss.py_func, _next.py_func, _noise.py_func


class Launch(NamedTuple):
    """One round's launch: B blocks (one a sentence) over J jobs."""

    sents: np.ndarray  # int64[B] the sentence of each block
    offs: np.ndarray  # int64[B] its first slot in the scratch
    job_of: np.ndarray  # int32[B] its job: an index into the job_ arrays
    job_s0: np.ndarray  # int64[J] a job's sentences: s0 .. s1 - 1
    job_s1: np.ndarray  # int64[J]
    job_alpha0: np.ndarray  # float64[J] learning rate at the job's first token
    job_alpha1: np.ndarray  # float64[J] ... and after its last
    job_seed: np.ndarray  # uint64[J]


class Scratch(NamedTuple):
    """Where a block leaves its sentence's kept words: slots ``offs[b] ..`` of T."""

    kept_ids: np.ndarray  # int32[T]
    kept_state: np.ndarray  # uint64[T] each one's random state after its keep test


# -- warp primitives -------------------------------------------------------------------------
if not SIMULATOR:

    @cuda.jit(device=True)
    def _warp_sum(v, n):
        """Replace ``v[0:n]`` (float32, one set per lane) by their sums over the warp's 32
        lanes (a butterfly of shuffles: every lane ends with the same sums)."""
        for q in range(n):
            x = v[q]
            x += cuda.shfl_xor_sync(FULL_MASK, x, 16)
            x += cuda.shfl_xor_sync(FULL_MASK, x, 8)
            x += cuda.shfl_xor_sync(FULL_MASK, x, 4)
            x += cuda.shfl_xor_sync(FULL_MASK, x, 2)
            x += cuda.shfl_xor_sync(FULL_MASK, x, 1)
            v[q] = x

    @cuda.jit(device=True)
    def _warp_sync():
        cuda.syncwarp(FULL_MASK)

else:  # Numba's simulator has no warp shuffles: the same butterfly on a per-warp buffer
    _warps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    _warps_lock = threading.Lock()
    _LANE_XOR = [np.arange(WARP) ^ (WARP >> b) for b in range(1, WARP.bit_length())]

    def _warp_state():
        """(lane, the warp's two buffers float32[2, WARP, MAX_OUT], its barrier, the thread)."""
        th = threading.current_thread()  # a simulator BlockThread: one CUDA thread
        tid = th.threadIdx.x
        with _warps_lock:
            per_block = _warps.setdefault(th._manager, {})
            if tid // WARP not in per_block:
                per_block[tid // WARP] = (
                    np.zeros((2, WARP, MAX_OUT), np.float32),
                    threading.Barrier(WARP, timeout=300),
                )
            buf, bar = per_block[tid // WARP]
        return tid % WARP, buf, bar, th

    def _warp_sum(v, n):
        lane, buf, bar, th = _warp_state()
        # two buffers used in turn: one barrier a call (a lane cannot write a buffer again
        # before every lane has passed the next call's barrier, after reading it)
        side = th.__dict__.get("wordvec_side", 0)
        th.wordvec_side = 1 - side
        buf[side, lane, :n] = v[:n]
        bar.wait()
        x = buf[side, :, :n].copy()
        for perm in _LANE_XOR:  # lane l adds lane l ^ m, in the shuffles' order
            x = x + x[perm]
        v[:n] = x[lane]

    def _warp_sync():
        _warp_state()[2].wait()


# -- what one update needs: the CPU kernels' maths (_next, _noise, _grad_and_loss imported) -
@cuda.jit(device=True)
def _mix(x):
    """splitmix64's finaliser: a well-spread, non-zero 64-bit state from any integer."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    if x == np.uint64(0):
        x = np.uint64(1)
    return x


@cuda.jit(device=True)
def _draws(w, state, opts, tables, outs):
    """A kept centre word's choices, from its random state after the keep test: the window
    reduction (uniform in 0 .. window - 1 with ``opts.shrink``), then ``opts.negative`` noise
    words. ``outs[0] = w``, then the noise words that are not ``w``. Returns (outputs,
    reduction)."""
    cut = 0
    if opts.shrink:
        state, r = _next(state)
        cut = np.int64((r >> np.uint64(33)) % np.uint64(opts.window))
    outs[0] = w
    k = 1
    for _ in range(opts.negative):
        state, r = _next(state)
        o = _noise(r, tables.noise_p, tables.noise_a)
        if o != w:
            outs[k] = o
            k += 1
    return k, cut


# -- the per-sentence preparation: all threads of the block ----------------------------------
@cuda.jit(device=True)
def _block_scan(v, buf):
    """Exclusive prefix sum of one int per thread over the block, and the block's total
    (Hillis-Steele in shared memory ``buf``: int32[>= blockDim])."""
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    buf[tid] = v
    cuda.syncthreads()
    off = 1
    while off < nt:
        x = buf[tid - off] if tid >= off else 0
        cuda.syncthreads()
        buf[tid] += x
        cuda.syncthreads()
        off *= 2
    incl = buf[tid]
    total = buf[nt - 1]
    cuda.syncthreads()
    return incl - v, total


@cuda.jit(device=True)
def _prepare(corpus, keep, s, seed, scratch, out):
    """Subsample sentence ``s`` of ``corpus`` with the keep thresholds ``keep``: every thread
    takes every ``blockDim``-th token, draws its keep test from its own stream (started from
    ``seed``), and a prefix sum packs the kept words (and their random states after the test)
    in order into ``scratch`` from slot ``out``. Returns the number kept."""
    ids, rare, kept_ids, kept_state = corpus.ids, corpus.rare, scratch.kept_ids, scratch.kept_state
    start, end = corpus.bounds[s], corpus.bounds[s + 1]
    r0 = corpus.rare_starts[s]  # the sentence's first escaped id, if it has any
    escapes = corpus.rare_starts[s + 1] > r0
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    buf = cuda.shared.array(MAX_THREADS, int32)
    run = cuda.shared.array(2, int64)  # kept so far, escapes so far
    if tid == 0:
        run[0] = 0
        run[1] = 0
    cuda.syncthreads()
    for c0 in range(0, end - start, nt):
        p = c0 + tid
        valid = start + p < end
        w = np.int64(0)
        esc = 0
        before, n_esc = 0, 0
        if valid:
            w = np.int64(ids[start + p])
            if w == ESCAPE:
                esc = 1
        if escapes:  # the rare ids of this chunk, in order
            before, n_esc = _block_scan(esc, buf)
            if esc:
                w = np.int64(rare[r0 + run[1] + before])
        kept = 0
        state = np.uint64(0)
        if valid:
            state, r = _next(_mix(seed ^ np.uint64(p)))
            if (r >> np.uint64(32)) < keep[w]:
                kept = 1
        before, n_kept = _block_scan(kept, buf)
        if kept:
            kept_ids[out + run[0] + before] = w
            kept_state[out + run[0] + before] = state
        cuda.syncthreads()
        if tid == 0:
            run[0] += n_kept
            if escapes:
                run[1] += n_esc
        cuda.syncthreads()
    n = run[0]
    cuda.syncthreads()
    return n


@cuda.jit(device=True)
def _finish(stats, b, loss, pairs, n):
    """Sum the warps' loss and pairs in warp order into ``stats[b]`` with the kept count."""
    tid = cuda.threadIdx.x
    w_loss = cuda.shared.array(MAX_BLOCK_WARPS, float64)
    w_pairs = cuda.shared.array(MAX_BLOCK_WARPS, int64)
    if tid % WARP == 0:
        w_loss[tid // WARP] = loss
        w_pairs[tid // WARP] = pairs
    cuda.syncthreads()
    if tid == 0:
        total, count = 0.0, 0
        for w in range(cuda.blockDim.x // WARP):
            total += w_loss[w]
            count += w_pairs[w]
        stats[b, 0] = total
        stats[b, 1] = count
        stats[b, 2] = n


# -- which pairs exist: one kernel per objective ---------------------------------------------
@cuda.jit
def train_sg_ns(corpus, weights, tables, opts, launch, scratch, stats):
    """Skip-gram with negative sampling, one block per sentence ``launch.sents[blockIdx]``: for
    each kept centre word, every context row of its window against the centre word's output
    row and its noise words' (the block update; see the module docstring)."""
    b = cuda.blockIdx.x
    s = launch.sents[b]
    jb = launch.job_of[b]
    bounds = corpus.bounds
    start, end = bounds[s], bounds[s + 1]
    out = launch.offs[b]
    n = _prepare(corpus, tables.keep, s, _mix(launch.job_seed[jb] ^ np.uint64(s)), scratch, out)
    kept_ids, kept_state = scratch.kept_ids, scratch.kept_state
    syn0, syn1neg = weights.syn0, weights.syn1neg
    window = opts.window
    lane = cuda.threadIdx.x % WARP
    warp = cuda.threadIdx.x // WARP
    n_warps = cuda.blockDim.x // WARP
    d = syn0.shape[1]
    n_out = opts.negative + 1
    g = cuda.shared.array(0, float32)  # per warp: float32[2 window, 1 + negative]
    g0 = warp * 2 * window * n_out
    outs = cuda.local.array(MAX_OUT, int64)
    part = cuda.local.array(MAX_OUT, float32)
    dy = cuda.local.array(MAX_OUT, float32)
    # the learning rate falls linearly over the job's raw tokens, the sentence's kept tokens
    # spread evenly over its raw length (as on the CPU). These lines and the sentence's above
    # are written out in both kernels: a device function returning them took skip-gram from 75
    # registers a thread to 90 (ptxas, sm_90), two blocks an SM instead of three
    t0 = bounds[launch.job_s0[jb]]
    step = (launch.job_alpha1[jb] - launch.job_alpha0[jb]) / max(bounds[launch.job_s1[jb]] - t0, 1)
    frac = (end - start) / max(n, 1)
    seg = (n + n_warps - 1) // n_warps
    loss = 0.0
    pairs = 0
    for i in range(warp * seg, min(n, (warp + 1) * seg)):
        w = np.int64(kept_ids[out + i])
        k, cut = _draws(w, kept_state[out + i], opts, tables, outs)
        lo = max(0, i - window + cut)
        hi = min(n, i + window + 1 - cut)
        m = hi - lo - 1
        if m <= 0:
            continue
        alpha = launch.job_alpha0[jb] + step * (start - t0 + i * frac)
        # scores and gradients (times the learning rate) of all pairs, from the old rows
        j = 0
        for c in range(lo, hi):
            if c == i:
                continue
            row = kept_ids[out + c]
            for q in range(k):
                part[q] = 0.0
            for t in range(lane, d, WARP):
                x = syn0[row, t]
                for q in range(k):
                    part[q] += x * syn1neg[outs[q], t]
            _warp_sum(part, k)
            for q in range(k):
                gq, lq = _grad_and_loss(part[q], 1.0 if q == 0 else 0.0, alpha)
                g[g0 + j * n_out + q] = gq
                loss += lq
            j += 1
        pairs += m
        # each lane moves its own dimensions: output steps from the old inputs, input steps
        # from the old outputs, then the outputs move (a repeated row gets every step)
        for t in range(lane, d, WARP):
            for q in range(k):
                dy[q] = 0.0
            j = 0
            for c in range(lo, hi):
                if c == i:
                    continue
                x = syn0[kept_ids[out + c], t]
                for q in range(k):
                    dy[q] += g[g0 + j * n_out + q] * x
                j += 1
            j = 0
            for c in range(lo, hi):
                if c == i:
                    continue
                e = float32(0.0)
                for q in range(k):
                    e += g[g0 + j * n_out + q] * syn1neg[outs[q], t]
                syn0[kept_ids[out + c], t] += e
                j += 1
            for q in range(k):
                syn1neg[outs[q], t] += dy[q]
        _warp_sync()  # the window's gradients are free for the next centre word
    _finish(stats, b, loss, pairs, n)


@cuda.jit
def train_cbow_ns(corpus, weights, tables, opts, launch, scratch, stats):
    """CBOW with negative sampling, one block per sentence: the sum (or mean) of the window's
    context rows predicts the centre word against its noise words, one output at a time (as
    the C tool); the summed input step is added to every context row."""
    b = cuda.blockIdx.x
    s = launch.sents[b]
    jb = launch.job_of[b]
    bounds = corpus.bounds
    start, end = bounds[s], bounds[s + 1]
    out = launch.offs[b]
    n = _prepare(corpus, tables.keep, s, _mix(launch.job_seed[jb] ^ np.uint64(s)), scratch, out)
    kept_ids, kept_state = scratch.kept_ids, scratch.kept_state
    syn0, syn1neg = weights.syn0, weights.syn1neg
    window = opts.window
    lane = cuda.threadIdx.x % WARP
    warp = cuda.threadIdx.x // WARP
    n_warps = cuda.blockDim.x // WARP
    d = syn0.shape[1]
    outs = cuda.local.array(MAX_OUT, int64)
    part = cuda.local.array(1, float32)
    h = cuda.local.array(MAX_DL, float32)  # this lane's dimensions of the window's input
    e = cuda.local.array(MAX_DL, float32)  # ... and of its step
    n_dims = (d - lane + WARP - 1) // WARP  # dimensions lane, lane + WARP, ... below d
    # the learning rate falls linearly over the job's raw tokens, the sentence's kept tokens
    # spread evenly over its raw length (as on the CPU)
    t0 = bounds[launch.job_s0[jb]]
    step = (launch.job_alpha1[jb] - launch.job_alpha0[jb]) / max(bounds[launch.job_s1[jb]] - t0, 1)
    frac = (end - start) / max(n, 1)
    seg = (n + n_warps - 1) // n_warps
    loss = 0.0
    pairs = 0
    for i in range(warp * seg, min(n, (warp + 1) * seg)):
        w = np.int64(kept_ids[out + i])
        k, cut = _draws(w, kept_state[out + i], opts, tables, outs)
        lo = max(0, i - window + cut)
        hi = min(n, i + window + 1 - cut)
        m = hi - lo - 1
        if m <= 0:
            continue
        alpha = launch.job_alpha0[jb] + step * (start - t0 + i * frac)
        inv = float32(1.0 / m)
        for u in range(n_dims):  # dimension t = lane + u WARP
            acc = float32(0.0)
            for c in range(lo, hi):
                if c != i:
                    acc += syn0[kept_ids[out + c], lane + u * WARP]
            h[u] = acc * inv if opts.cbow_mean else acc
            e[u] = 0.0
        for q in range(k):
            o = outs[q]
            acc = float32(0.0)
            for u in range(n_dims):
                acc += h[u] * syn1neg[o, lane + u * WARP]
            part[0] = acc
            _warp_sum(part, 1)
            gq, lq = _grad_and_loss(part[0], 1.0 if q == 0 else 0.0, alpha)
            loss += lq
            gq = float32(gq)
            for u in range(n_dims):
                y = syn1neg[o, lane + u * WARP]
                e[u] += gq * y
                syn1neg[o, lane + u * WARP] = y + gq * h[u]
        for c in range(lo, hi):
            if c != i:
                row = kept_ids[out + c]
                for u in range(n_dims):
                    syn0[row, lane + u * WARP] += e[u]
        pairs += 1
        _warp_sync()
    _finish(stats, b, loss, pairs, n)


# objective kind -> kernel; both take (corpus, weights, tables, opts, launch, scratch, stats)
KERNELS = {"sg": train_sg_ns, "cbow": train_cbow_ns}


def shared_bytes(warps: int, window: int, negative: int) -> int:
    """Dynamic shared memory of a launch: each warp's window gradients."""
    return 4 * warps * 2 * window * (negative + 1)
