"""PPMI of a co-occurrence matrix row block by row block (``wordvec.count.ppmi.ppmi_matrix``):
the marginals in one pass, then the positive PMI cells counted and written, so a matrix mapped
from disk is read a block at a time and never copied whole.

Shapes (V rows, p columns, nnz non-zeros): the counts ``Csr``: ``indptr`` int32/int64[V + 1],
``indices`` int32/int64[nnz], ``data`` float32/float64[nnz], sorted unique columns in each row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class Csr(NamedTuple):  # a CSR matrix's arrays
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


class Marginals(NamedTuple):  # what PMI subtracts
    log_row: np.ndarray  # float64[V] log #(w)
    log_col: np.ndarray  # float64[p] log #(c)**cds
    log_total: float  # log sum_c #(c)**cds
    log_shift: float  # log k


@njit(cache=True, nogil=True)
def marginals(m, r0, r1, row, col):
    """``row[i]`` = the sum of row ``i`` for ``r0 <= i < r1``; ``col[j] +=`` those rows' column
    sums (float64). Returns False when a row's columns are not strictly increasing (duplicates
    or unsorted: the caller sums them first)."""
    ok = True
    for i in range(r0, r1):
        s = 0.0
        last = -1
        for t in range(m.indptr[i], m.indptr[i + 1]):
            j = m.indices[t]
            x = np.float64(m.data[t])
            s += x
            col[j] += x
            if j <= last:
                ok = False
            last = j
        row[i] = s
    return ok


@njit(cache=True, nogil=True, inline="always")
def _ppmi(x, i, j, mg):
    # PMI = log(#(w, c) * total / (#(w) #(c)**cds)), in the order ppmi_matrix always used
    pmi = np.log(np.float64(x)) + mg.log_total - mg.log_row[i] - mg.log_col[j]
    return max(pmi - mg.log_shift, 0.0)


@njit(cache=True, nogil=True)
def ppmi_counts(m, mg, r0, r1, counts):
    """``counts[i + 1]`` = the positive PPMI cells of row ``i`` (int64[V + 1])."""
    for i in range(r0, r1):
        c = 0
        for t in range(m.indptr[i], m.indptr[i + 1]):
            if _ppmi(m.data[t], i, m.indices[t], mg) > 0.0:
                c += 1
        counts[i + 1] = c


@njit(cache=True, nogil=True)
def ppmi_fill(m, mg, r0, r1, out):
    """Write rows ``r0 .. r1 - 1``'s positive PPMI cells into ``out`` (a ``Csr`` whose
    ``indptr`` is complete; float32 data)."""
    for i in range(r0, r1):
        o = out.indptr[i]
        for t in range(m.indptr[i], m.indptr[i + 1]):
            v = _ppmi(m.data[t], i, m.indices[t], mg)
            if v > 0.0:
                out.indices[o] = m.indices[t]
                out.data[o] = v
                o += 1
