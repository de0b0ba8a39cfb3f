"""The streaming k-way merge of co-occurrence runs into a CSR matrix, in row order, a block at a
time (``wordvec.count.spill`` reads the runs from disk and writes the blocks out).

Shapes (V words, k runs, b entries a run block, o entries an output block):

- a run is sorted unique ``keys = i * V + j`` (int64) with their sums (float64); its current
  block is ``Blocks.keys[r, :lens[r]]`` / ``Blocks.vals[r, :lens[r]]``, read at ``pos[r]``;
- the dense table (``wordvec.kernels.cooccur.Table``'s ``width``, ``offset``, ``dense``) holds
  row ``i``'s columns ``j < width[i]``; the runs hold only columns ``j >= width[i]``, so a row is
  its dense non-zeros then its run entries, both ascending;
- the output block ``Out.indices[:fill]`` (int32 or int64), ``Out.data[:fill]`` (float32, the sum
  divided by ``scale``), and ``Out.indptr`` (int64[V + 1], filled as rows end).

``merge_csr`` (and ``merge_runs``, which merges runs into one run when there are too many to
merge at once) runs until it must hand control back: an output block is full (``FLUSH``: write
``fill`` entries, add them to ``st[BASE]``, set ``st[FILL] = 0``), a run's block is used up
(``REFILL``: read its next block into row ``st[NEED]`` and set ``lens``; 0 when the run is done),
or the matrix is done (``DONE``). All its state is in ``st`` and ``heap``, so it resumes where it
stopped. Sums of equal keys from several runs are added in float64 (exact integers: see
``wordvec.kernels.cooccur``), so the matrix is bit-identical to the in-memory one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

DONE, FLUSH, REFILL = 0, 1, 2  # what ``merge_csr`` returns
ROW, PHASE, FILL, BASE, NEED, HEAP_N, PEND = range(7)  # the slots of its state ``st``: int64[8]
# PHASE: 0 the row's dense part is still to write, 1 its run part; PEND: key being summed or -1


class Blocks(NamedTuple):  # the current block of every run
    keys: np.ndarray  # int64[k, b]
    vals: np.ndarray  # float64[k, b]
    lens: np.ndarray  # int64[k] entries in the block (0: the run is done)
    pos: np.ndarray  # int64[k] the next entry to read


class Dense(NamedTuple):  # the dense table of frequent pairs
    width: np.ndarray  # int64[V]
    offset: np.ndarray  # int64[V]
    dense: np.ndarray  # float64[sum(width)]


class Out(NamedTuple):  # the output block and the row pointer
    indices: np.ndarray  # int32[o] or int64[o]
    data: np.ndarray  # float32[o]
    indptr: np.ndarray  # int64[V + 1]


def new_state() -> np.ndarray:
    """A merge's state before its first call: row 0, nothing pending, no run to push."""
    st = np.zeros(8, np.int64)
    st[NEED] = -1
    st[PEND] = -1
    return st


@njit(cache=True, nogil=True, inline="always")
def _less(blocks, a, b):
    return blocks.keys[a, blocks.pos[a]] < blocks.keys[b, blocks.pos[b]]


@njit(cache=True, nogil=True)
def _sift_down(heap, n, t, blocks):
    """Restore the min-heap (of run numbers, by current key) below slot ``t``."""
    while True:
        c = 2 * t + 1
        if c >= n:
            return
        if c + 1 < n and _less(blocks, heap[c + 1], heap[c]):
            c += 1
        if not _less(blocks, heap[c], heap[t]):
            return
        heap[c], heap[t] = heap[t], heap[c]
        t = c


@njit(cache=True, nogil=True)
def _push(heap, n, r, blocks):
    """Add run ``r`` to the heap of ``n`` runs; returns n + 1."""
    t = n
    heap[t] = r
    while t > 0:
        up = (t - 1) >> 1
        if not _less(blocks, heap[t], heap[up]):
            break
        heap[t], heap[up] = heap[up], heap[t]
        t = up
    return n + 1


@njit(cache=True, nogil=True)
def start_heap(blocks, heap):
    """Put every run with a non-empty block in the heap; returns how many."""
    n = 0
    for r in range(blocks.lens.shape[0]):
        blocks.pos[r] = 0
        if blocks.lens[r] > 0:
            n = _push(heap, n, r, blocks)
    return n


@njit(cache=True, nogil=True, inline="always")
def _rejoin(heap, st, blocks):
    """Back from a refill of run ``st[NEED]`` (if any): it rejoins the heap unless it is done.
    Returns the heap's size."""
    n = st[HEAP_N]
    r = st[NEED]
    if r >= 0:
        st[NEED] = -1
        blocks.pos[r] = 0
        if blocks.lens[r] > 0:
            n = _push(heap, n, r, blocks)
    return n


@njit(cache=True, nogil=True, inline="always")
def _advance(heap, n, r, blocks):
    """Move run ``r`` (the heap's top, of ``n``) past its current entry. True when its block is
    used up: it is then out of the heap (``n - 1`` runs) until its next block is read."""
    blocks.pos[r] += 1
    if blocks.pos[r] < blocks.lens[r]:
        _sift_down(heap, n, 0, blocks)
        return False
    heap[0] = heap[n - 1]
    _sift_down(heap, n - 1, 0, blocks)
    return True


@njit(cache=True, nogil=True)
def merge_csr(blocks, table, out, heap, st, pend, n_words, scale):
    """Merge the runs (``Blocks``) and the dense table (``Dense``) into CSR rows (``Out``) until
    a block must be written or read (see the module docstring). ``pend``: float64[1] the sum of
    key ``st[PEND]``. Returns ``DONE``, ``FLUSH`` or ``REFILL``."""
    width, offset, dense = table.width, table.offset, table.dense
    indices, data, indptr = out.indices, out.data, out.indptr
    cap = indices.shape[0]
    n = _rejoin(heap, st, blocks)
    fill, row = st[FILL], st[ROW]
    while row < n_words:
        if st[PHASE] == 0:
            if fill + width[row] > cap:
                st[FILL], st[HEAP_N] = fill, n
                return FLUSH
            base = offset[row]
            for j in range(width[row]):
                v = dense[base + j]
                if v != 0.0:
                    indices[fill] = j
                    data[fill] = v / scale
                    fill += 1
            st[PHASE] = 1
        while n > 0:
            r = heap[0]
            key = blocks.keys[r, blocks.pos[r]]
            if key // n_words != row:
                break
            if key != st[PEND]:
                if st[PEND] >= 0:  # a new key: the summed one is final
                    if fill == cap:
                        st[FILL], st[HEAP_N] = fill, n
                        return FLUSH
                    indices[fill] = st[PEND] - row * n_words
                    data[fill] = pend[0] / scale
                    fill += 1
                st[PEND] = key
                pend[0] = 0.0
            pend[0] += blocks.vals[r, blocks.pos[r]]
            if _advance(heap, n, r, blocks):  # its block is used up: read it again
                st[FILL], st[HEAP_N], st[NEED] = fill, n - 1, r
                return REFILL
        if st[PEND] >= 0:
            if fill == cap:
                st[FILL], st[HEAP_N] = fill, n
                return FLUSH
            indices[fill] = st[PEND] - row * n_words
            data[fill] = pend[0] / scale
            fill += 1
            st[PEND] = -1
        indptr[row + 1] = st[BASE] + fill
        row += 1
        st[ROW], st[PHASE] = row, 0
    st[FILL], st[HEAP_N] = fill, n
    return DONE


@njit(cache=True, nogil=True)
def merge_runs(blocks, heap, st, pend, keys, vals):
    """Merge the runs (``Blocks``) into one sorted run, equal keys summed, a block at a time:
    ``keys``/``vals`` (int64[o], float64[o]) filled to ``st[FILL]``. Returns ``FLUSH`` (write
    them, set ``st[FILL] = 0``), ``REFILL`` (as ``merge_csr``) or ``DONE``."""
    cap = keys.shape[0]
    n = _rejoin(heap, st, blocks)
    fill = st[FILL]
    while n > 0:
        r = heap[0]
        key = blocks.keys[r, blocks.pos[r]]
        if key != st[PEND]:
            if st[PEND] >= 0:
                if fill == cap:
                    st[FILL], st[HEAP_N] = fill, n
                    return FLUSH
                keys[fill] = st[PEND]
                vals[fill] = pend[0]
                fill += 1
            st[PEND] = key
            pend[0] = 0.0
        pend[0] += blocks.vals[r, blocks.pos[r]]
        if _advance(heap, n, r, blocks):
            st[FILL], st[HEAP_N], st[NEED] = fill, n - 1, r
            return REFILL
    if st[PEND] >= 0:
        if fill == cap:
            st[FILL], st[HEAP_N] = fill, n
            return FLUSH
        keys[fill] = st[PEND]
        vals[fill] = pend[0]
        fill += 1
        st[PEND] = -1
    st[FILL], st[HEAP_N] = fill, n
    return DONE
