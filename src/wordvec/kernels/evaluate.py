"""Analogy scoring kernels for ``wordvec.vectors.evaluate``: many questions against all
candidates."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def scores_3cosadd(cos, ia, ib, ic, ex_ptr, ex_rows, out, eps):
    """3CosAdd scores of a few questions.

    ``cos``: float32[k, n] cosines of k question words with the n candidates; ``ia/ib/ic``:
    int64[m] rows of ``cos`` for a, b, c. Writes ``out``: float32[m, n], ``cos(x, b) + cos(x, c)
    - cos(x, a)``, and -inf for the candidates ``ex_rows[ex_ptr[i]:ex_ptr[i + 1]]`` of question i.
    ``eps`` is unused (the kernels share one signature).
    """
    n = cos.shape[1]
    for i in range(ia.shape[0]):
        ca, cb, cc, s = cos[ia[i]], cos[ib[i]], cos[ic[i]], out[i]
        for j in range(n):
            s[j] = (cb[j] + cc[j]) - ca[j]  # gensim's order of the sums
        for r in ex_rows[ex_ptr[i] : ex_ptr[i + 1]]:
            s[r] = -np.inf


@njit(cache=True, nogil=True)
def scores_3cosmul(cos, ia, ib, ic, ex_ptr, ex_rows, out, eps):
    """As ``scores_3cosadd`` with s(x, b) s(x, c) / (s(x, a) + eps), s = (1 + cos) / 2
    (``eps``: float32, ``evaluate.COSMUL_EPSILON``)."""
    n = cos.shape[1]
    half, one = np.float32(0.5), np.float32(1.0)
    for i in range(ia.shape[0]):
        ca, cb, cc, s = cos[ia[i]], cos[ib[i]], cos[ic[i]], out[i]
        for j in range(n):
            s[j] = ((one + cb[j]) * half) * ((one + cc[j]) * half) / ((one + ca[j]) * half + eps)
        for r in ex_rows[ex_ptr[i] : ex_ptr[i + 1]]:
            s[r] = -np.inf
