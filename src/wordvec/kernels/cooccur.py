"""Co-occurrence counting kernels: which tokens (decode + subsample), which pairs (windows), and
where a pair's weight goes (a dense table for frequent pairs, a buffer of (key, weight) for the
rest, sorted and summed in place into runs), and the CSR matrix of an in-memory count (the
streaming merge of runs on disk is ``wordvec.kernels.spill``).

Shapes (V words, n tokens, s sentences):

- ``decode``: ``ids``: uint16[n] with ``ESCAPE`` standing for the next id of ``rare``: int32[r];
  ``bounds``: int64[s + 1] sentence starts -> ``tokens``: int32[m] kept ids, ``out_bounds``:
  int64[s' + 1] (sentences left with fewer than two tokens are dropped).
- ``count_range``: the focal positions ``p0 .. p1 - 1`` whose word ``i`` has
  ``i % n_parts == part`` (so workers own disjoint rows and never write the same memory), over
  the ``Tokens`` that ``decode`` wrote, with a ``Window`` and into a ``Table``. The pair (i, j)
  at distance ``d`` adds ``weights[d]`` to row ``i``: into ``dense[offset[i] + j]`` when
  ``j < width[i]`` (the GloVe C tool's rule: frequent x frequent pairs, ``(i + 1) * (j + 1)``
  small, live in a dense table), else as ``keys[fill] = i * V + j``, ``vals[fill] = w`` in the
  overflow buffer.

Weights are integers held in float64 (the caller scales 1/d and (window - d + 1)/window by the
least common multiple of their denominators), so every sum is exact and the result does not
depend on the order of the additions: 1 or 2 workers, any buffer size, give the same bits.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class Tokens(NamedTuple):  # the decoded corpus: ``decode``'s output
    tokens: np.ndarray  # int32[m] kept word ids
    bounds: np.ndarray  # int64[s' + 1] sentence starts


class Window(NamedTuple):  # which pairs count, and how much
    size: int  # the window: pairs up to ``size`` tokens apart
    left: int  # 1: count the contexts before the focal word
    right: int  # 1: count those after it
    weights: np.ndarray  # float64[size + 1] integer weight of distance d


class Table(NamedTuple):  # where a pair's weight goes
    width: np.ndarray  # int64[V] row i's dense columns: 0 .. width[i] - 1
    offset: np.ndarray  # int64[V] row i's start in ``dense``
    dense: np.ndarray  # float64[sum(width)] the dense table, shared by the workers
    keys: np.ndarray  # int64[cap] the overflow buffer, one a worker: ``i * V + j``
    vals: np.ndarray  # float64[cap] and the weight


@njit(cache=True, nogil=True, inline="always")
def _mix(x):
    """splitmix64's finaliser: a uint64 hash (the random number of one token position)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def decode(ids, rare, bounds, escape, keep, seed, tokens, out_bounds):
    """Unpack the corpus to int32 ids, dropping each token with the subsampling probability.

    A token at corpus position ``p`` is kept when the low 32 bits of ``hash(seed, p)`` are below
    ``keep[id]`` (uint64[V], ``wordvec.corpus.vocab.keep_thresholds``): the draw depends on the
    position only. Returns (tokens written, sentences written); ``out_bounds[0] = 0``.
    """
    r = 0
    m = 0
    s_out = 0
    out_bounds[0] = 0
    base = _mix(np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15))
    for s in range(bounds.shape[0] - 1):
        start = m
        for p in range(bounds[s], bounds[s + 1]):
            w = np.int64(ids[p])
            if w == escape:
                w = np.int64(rare[r])
                r += 1
            u = _mix(base ^ np.uint64(p)) & np.uint64(0xFFFFFFFF)
            if u < keep[w]:
                tokens[m] = w
                m += 1
        if m - start >= 2:
            s_out += 1
            out_bounds[s_out] = m
        else:
            m = start  # a sentence of one token has no pair
    return m, s_out


@njit(cache=True, nogil=True)
def count_range(corpus, win, table, p0, p1, part, n_parts, fill):
    """Add the window pairs of focal positions ``p0 .. p1 - 1`` owned by ``part``.

    ``corpus``: ``Tokens``; ``win``: ``Window``; ``table``: ``Table``, its overflow buffer
    filled up to ``fill``. Stops early, before the overflow buffer could overflow. Returns
    (next focal position, new fill).
    """
    tokens, bounds = corpus.tokens, corpus.bounds
    window, left, right, weights = win.size, win.left, win.right, win.weights
    width, offset, dense = table.width, table.offset, table.dense
    keys, vals = table.keys, table.vals
    n_words = np.int64(width.shape[0])
    cap = keys.shape[0]
    s = np.searchsorted(bounds, p0, side="right") - 1
    p = p0
    while p < p1:
        while bounds[s + 1] <= p:
            s += 1
        i = np.int64(tokens[p])
        if i % n_parts != part:
            p += 1
            continue
        if fill + 2 * window > cap:
            return p, fill
        lo, hi = bounds[s], bounds[s + 1]
        wi, oi = width[i], offset[i]
        if left:
            for d in range(1, window + 1):
                q = p - d
                if q < lo:
                    break
                j = np.int64(tokens[q])
                if j < wi:
                    dense[oi + j] += weights[d]
                else:
                    keys[fill] = i * n_words + j
                    vals[fill] = weights[d]
                    fill += 1
        if right:
            for d in range(1, window + 1):
                q = p + d
                if q >= hi:
                    break
                j = np.int64(tokens[q])
                if j < wi:
                    dense[oi + j] += weights[d]
                else:
                    keys[fill] = i * n_words + j
                    vals[fill] = weights[d]
                    fill += 1
        p += 1
    return p, fill


@njit(cache=True, nogil=True, inline="always")
def _swap(keys, vals, a, b):
    k = keys[a]
    keys[a] = keys[b]
    keys[b] = k
    v = vals[a]
    vals[a] = vals[b]
    vals[b] = v


@njit(cache=True, nogil=True)
def _sort_pairs(keys, vals, n):
    """Sort ``keys[:n]`` ascending in place, ``vals[:n]`` moved along: quicksort (median of
    three, Hoare's partition, the smaller side first so the stack stays O(log n)), insertion sort
    below 24 entries. No extra memory."""
    stack = np.empty(128, np.int64)
    top = 0
    stack[0], stack[1] = 0, n - 1
    top = 2
    while top > 0:
        top -= 2
        lo, hi = stack[top], stack[top + 1]
        while hi - lo >= 24:
            mid = (lo + hi) >> 1
            if keys[mid] < keys[lo]:
                _swap(keys, vals, mid, lo)
            if keys[hi] < keys[lo]:
                _swap(keys, vals, hi, lo)
            if keys[hi] < keys[mid]:
                _swap(keys, vals, hi, mid)
            pivot = keys[mid]
            a, b = lo - 1, hi + 1
            while True:
                a += 1
                while keys[a] < pivot:
                    a += 1
                b -= 1
                while keys[b] > pivot:
                    b -= 1
                if a >= b:
                    break
                _swap(keys, vals, a, b)
            # [lo, b] <= pivot <= [b + 1, hi]: loop on the smaller side, push the larger
            if b - lo < hi - b - 1:
                stack[top], stack[top + 1] = b + 1, hi
                hi = b
            else:
                stack[top], stack[top + 1] = lo, b
                lo = b + 1
            top += 2
        for t in range(lo + 1, hi + 1):
            k, v = keys[t], vals[t]
            u = t - 1
            while u >= lo and keys[u] > k:
                keys[u + 1] = keys[u]
                vals[u + 1] = vals[u]
                u -= 1
            keys[u + 1] = k
            vals[u + 1] = v


@njit(cache=True, nogil=True)
def sort_reduce(keys, vals, n):
    """Sort the first ``n`` (key, weight) entries by key and sum equal keys, in place: returns
    ``u``, and ``keys[:u]`` (int64) is sorted and unique, ``vals[:u]`` (float64) their sums."""
    if n == 0:
        return 0
    _sort_pairs(keys, vals, n)
    u = 0
    for t in range(1, n):
        if keys[t] == keys[u]:
            vals[u] += vals[t]
        else:
            u += 1
            keys[u] = keys[t]
            vals[u] = vals[t]
    return u + 1


@njit(cache=True, nogil=True)
def dense_row_counts(dense, width, offset, counts):
    """``counts[i + 1] += `` the non-zeros of row ``i`` of the dense table (int64[V + 1])."""
    for i in range(width.shape[0]):
        c = 0
        base = offset[i]
        for j in range(width[i]):
            if dense[base + j] != 0.0:
                c += 1
        counts[i + 1] += c


@njit(cache=True, nogil=True)
def run_row_counts(run_keys, n_words, counts):
    """``counts[i + 1] += `` the entries of row ``i`` in a run (keys ``i * V + j``)."""
    for t in range(run_keys.shape[0]):
        counts[run_keys[t] // n_words + 1] += 1


@njit(cache=True, nogil=True)
def fill_dense(dense, width, offset, scale, cursor, indices, data):
    """Write each row's dense non-zeros (columns below ``width[i]``, ascending) at
    ``cursor[i]`` (int64[V], advanced); ``data = sum / scale`` as float32."""
    for i in range(width.shape[0]):
        base = offset[i]
        for j in range(width[i]):
            v = dense[base + j]
            if v != 0.0:
                indices[cursor[i]] = j
                data[cursor[i]] = v / scale
                cursor[i] += 1


@njit(cache=True, nogil=True)
def fill_run(run_keys, run_vals, n_words, scale, cursor, indices, data):
    """Write a sorted run's entries (columns at or above the row's dense width) at
    ``cursor[i]``, after the dense ones; ``data = sum / scale`` as float32."""
    for t in range(run_keys.shape[0]):
        i = run_keys[t] // n_words
        indices[cursor[i]] = run_keys[t] - i * n_words
        data[cursor[i]] = run_vals[t] / scale
        cursor[i] += 1


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def spmm_rows(indptr, indices, data, x, out, r0, r1):
    """``out[r0:r1] = M[r0:r1] @ x`` for a CSR matrix M and a dense float32[p, k] ``x`` (the
    sparse products of the randomized SVD, split by rows over threads)."""
    k = x.shape[1]
    for i in range(r0, r1):
        for c in range(k):
            out[i, c] = 0.0
        for t in range(indptr[i], indptr[i + 1]):
            j = indices[t]
            v = data[t]
            for c in range(k):
                out[i, c] += v * x[j, c]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def spmm_t_cols(indptr, indices, data, x, out, c0, c1):
    """``out[c0:c1] = (M^T @ x)[c0:c1]`` for a CSR matrix M with sorted columns in each row and a
    dense float32[n, k] ``x``, without M^T: every row is read, its entries in columns
    ``c0 .. c1 - 1`` (found by bisection) scattered. Each ``out[j]`` sums over rows i ascending,
    as ``spmm_rows`` over M^T in CSR does: the same bits, without the transpose's copy."""
    k = x.shape[1]
    for j in range(c0, c1):
        for c in range(k):
            out[j, c] = 0.0
    for i in range(indptr.shape[0] - 1):
        a, b = indptr[i], indptr[i + 1]
        t = a + np.searchsorted(indices[a:b], c0)
        while t < b and indices[t] < c1:
            j = indices[t]
            v = data[t]
            for c in range(k):
                out[j, c] += v * x[i, c]
            t += 1
