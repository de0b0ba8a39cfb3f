"""GloVe kernels: the training entries laid out in shuffled blocks, and one AdaGrad pass.

Shapes (V words, d dimensions, n non-zeros of the co-occurrence matrix, S strata):

- The layout, read from the CSR matrix a ``Chunk`` of rows at a time (``indptr``: int64,
  ``indices``: int32, ``data``: float32): ``check_chunk`` validates a chunk, ``count_blocks``
  counts its non-zeros per block, ``fill_blocks`` writes those of some blocks to ``Entries``
  (``rows``/``cols``: int32, ``logx``: float32 log X_ij, ``fx``: float32 the weight
  f(X_ij) = min(1, (X_ij / x_max) ** alpha)) and ``shuffle_blocks`` shuffles each block with a
  seeded Fisher-Yates whose seed depends on the block only. Block
  ``b = ((j % S - i % S) mod S) * S + i % S`` holds the entries of row group ``i % S`` and
  column group ``j % S``; the ``S`` blocks of one round (same first factor) touch disjoint rows
  of W and disjoint rows of C, so they can run on any threads at once with no race (stratified
  SGD), and the result never depends on ``workers``. ``S = 1`` is one block shuffled whole:
  the in-memory Hogwild layout. Laying out all blocks at once or a round at a time (GloVe's
  entries on disk) gives the same entries in the same order.
- ``train_range``: entries ``start .. end - 1`` of ``Entries`` (laid out as above), steps on
  ``Params`` (word and context vectors ``w``, ``c``: float32[V, d], biases ``bw``, ``bc``:
  float32[V]) with ``Params`` of the same shapes holding their AdaGrad sums of squared steps
  (start at 1, as the reference C code). Returns the loss sum.

The update is the reference C code's (``glove.c`` at d8173f7): ``diff = w_i . c_j + bw_i + bc_j
- log X``, ``g = f(X) * diff``; each coordinate's gradient ``g * c_jk`` (resp. ``g * w_ik``) is
clipped to ``[-clip, clip]`` and times ``eta`` is the raw step, divided by the square root of its
AdaGrad sum, then squared into it. The biases step by ``g / sqrt(sum)`` with ``g ** 2`` added to
the sum: the reference does not scale them by ``eta``, and neither do we (for equal results). The
loss is ``0.5 * f(X) * diff ** 2`` per entry, summed in float64.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

# reassociation lets LLVM vectorise the dot product; no 'nnan'/'ninf': the NaN guard must stay
_FAST = {"reassoc", "contract", "nsz", "arcp"}
# the step only sees finite values (AdaGrad sums >= 1): 'nnan' turns sqrtf calls into the
# vectorisable sqrt instruction
_FAST_NNAN = _FAST | {"nnan"}


class Chunk(NamedTuple):  # rows row0 .. row0 + m - 1 of a CSR matrix
    indptr: np.ndarray  # int64[m + 1] where each row starts in indices/data (from 0)
    indices: np.ndarray  # int32[nnz] columns
    data: np.ndarray  # float32[nnz] values
    row0: int  # the first row's index


class Entries(NamedTuple):  # the training entries, in the order they are trained
    rows: np.ndarray  # int32[n] i
    cols: np.ndarray  # int32[n] j
    logx: np.ndarray  # float32[n] log X_ij
    fx: np.ndarray  # float32[n] f(X_ij)


class Params(NamedTuple):  # what trains (or its AdaGrad sums of squared steps, same shapes)
    w: np.ndarray  # float32[V, d] word vectors
    c: np.ndarray  # float32[V, d] context vectors
    bw: np.ndarray  # float32[V] word biases
    bc: np.ndarray  # float32[V] context biases


@njit(cache=True, nogil=True, inline="always")
def _next(state):
    """splitmix64: advance ``state`` (uint64[1]) and return a random uint64."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    x = state[0]
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def _block(i, j, strata):
    """The block of entry (i, j): round ``(j % S - i % S) mod S`` times ``S`` plus ``i % S``."""
    gi = i % strata
    return ((j % strata - gi) % strata) * strata + gi


@njit(cache=True, nogil=True)
def check_chunk(chunk, n_words):
    """What a ``Chunk`` holds: 0 each row's columns strictly increasing and in ``[0, n_words)``,
    values >= 0; 1 a row's columns not strictly increasing (unsorted or duplicated: the caller
    sums them first); 2 a column out of range; 3 a negative or NaN value."""
    indptr, indices, data = chunk.indptr, chunk.indices, chunk.data
    code = 0
    for r in range(indptr.shape[0] - 1):
        prev = -1
        for t in range(indptr[r], indptr[r + 1]):
            j = indices[t]
            if j < 0 or j >= n_words:
                return 2
            if not data[t] >= 0:
                return 3
            if j <= prev:
                code = 1
            prev = j
    return code


@njit(cache=True, nogil=True)
def count_blocks(chunk, strata, counts):
    """Add to ``counts`` (int64[S * S]) the non-zero entries of ``chunk`` in each block."""
    indptr, indices, data = chunk.indptr, chunk.indices, chunk.data
    for r in range(indptr.shape[0] - 1):
        i = chunk.row0 + r
        for t in range(indptr[r], indptr[r + 1]):
            if data[t] != 0:
                counts[_block(i, indices[t], strata)] += 1


@njit(cache=True, nogil=True)
def fill_blocks(chunk, strata, b0, b1, x_max, alpha, cursor, out):
    """Append the non-zero entries of ``chunk`` that fall in blocks ``b0 .. b1 - 1`` to ``out``
    (``Entries``): block ``b``'s next entry goes to ``cursor[b - b0]`` (int64[b1 - b0], moved
    on). Entries keep the matrix's order inside a block (row by row, column by column)."""
    indptr, indices, data = chunk.indptr, chunk.indices, chunk.data
    for r in range(indptr.shape[0] - 1):
        i = chunk.row0 + r
        for t in range(indptr[r], indptr[r + 1]):
            x = data[t]
            if x == 0:
                continue
            j = indices[t]
            b = _block(i, j, strata)
            if b < b0 or b >= b1:
                continue
            k = cursor[b - b0]
            cursor[b - b0] = k + 1
            out.rows[k] = i
            out.cols[k] = j
            out.logx[k] = math.log(x)
            out.fx[k] = 1.0 if x >= x_max else (x / x_max) ** alpha


@njit(cache=True, nogil=True, inline="always")
def _mix(b):
    """splitmix64's finaliser of ``b`` (uint64): 0 for 0, well spread otherwise."""
    x = np.uint64(b)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def shuffle_blocks(out, starts, b0, seed):
    """Fisher-Yates inside each block of ``out`` (``Entries``): block ``b0 + k`` is
    ``starts[k] .. starts[k + 1] - 1`` (int64). Its generator starts at ``seed + mix(b)``, so a
    block's order depends on the seed and the block only, whichever blocks are laid out
    together (block 0, the Hogwild layout's only one, starts at ``seed`` itself)."""
    rows, cols, logx, fx = out.rows, out.cols, out.logx, out.fx
    state = np.zeros(1, np.uint64)
    for k in range(starts.shape[0] - 1):
        state[0] = np.uint64(seed) + _mix(b0 + k)
        a = starts[k]
        for t in range(starts[k + 1] - 1, a, -1):
            u = a + np.int64(_next(state) % np.uint64(t - a + 1))
            rows[t], rows[u] = rows[u], rows[t]
            cols[t], cols[u] = cols[u], cols[t]
            logx[t], logx[u] = logx[u], logx[t]
            fx[t], fx[u] = fx[u], fx[t]


@njit(cache=True, nogil=True, fastmath=_FAST_NNAN)
def _step_vectors(w, c, gw, gc, i, j, fdiff, eta, clip):
    """AdaGrad steps of ``w[i]`` and ``c[j]`` for one entry whose ``f(X) * diff`` is ``fdiff``
    (finite: the caller checked). Both steps use the rows as they were before it."""
    for k in range(w.shape[1]):  # fdiff * c_jk is d loss / d w_ik; clipped, then times eta
        wk = w[i, k]
        ck = c[j, k]
        g1 = min(max(fdiff * ck, -clip), clip) * eta
        g2 = min(max(fdiff * wk, -clip), clip) * eta
        w[i, k] = wk - g1 / math.sqrt(gw[i, k])
        c[j, k] = ck - g2 / math.sqrt(gc[j, k])
        gw[i, k] += g1 * g1
        gc[j, k] += g2 * g2


@njit(cache=True, nogil=True, fastmath=_FAST)
def train_range(entries, params, sums, start, end, eta, clip):
    """One AdaGrad step per entry ``start .. end - 1`` of ``entries`` (``Entries``), on
    ``params`` (``Params``) whose AdaGrad sums are ``sums`` (``Params``), in order (see the
    module docstring). ``eta``, ``clip``: float32. Returns float64, the sum of the entries'
    losses."""
    rows, cols, logx, fx = entries.rows, entries.cols, entries.logx, entries.fx
    w, c, bw, bc = params.w, params.c, params.bw, params.bc
    gw, gc, gbw, gbc = sums.w, sums.c, sums.bw, sums.bc
    d = w.shape[1]
    loss = 0.0
    for t in range(start, end):
        i = rows[t]
        j = cols[t]
        diff = bw[i] + bc[j] - logx[t]
        for k in range(d):
            diff += w[i, k] * c[j, k]
        fdiff = fx[t] * diff
        if not math.isfinite(fdiff):
            continue  # as the C code: skip an update that overflowed
        loss += 0.5 * fdiff * diff
        _step_vectors(w, c, gw, gc, i, j, fdiff, eta, clip)
        # the biases: the reference's step, not scaled by eta (AdaGrad bounds it)
        bw[i] -= fdiff / math.sqrt(gbw[i])
        bc[j] -= fdiff / math.sqrt(gbc[j])
        gbw[i] += fdiff * fdiff
        gbc[j] += fdiff * fdiff
    return loss
