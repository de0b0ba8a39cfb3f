"""Deterministic merge of per-worker weight copies (``Word2Vec(deterministic=True)``)."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def merge_touched(shared, copies, touched):
    """Add every worker's change since the last merge to ``shared``, in worker order, and reset
    the copies to the result: ``shared``: float32[V, d]; ``copies``: float32[N, V, d], each equal
    to ``shared`` at the last merge; ``touched``: uint8[N, >= V] flags (worker, row) of the rows
    each worker updated, cleared here (the other rows are equal everywhere already). The sum is
    always taken in worker order, so the result does not depend on which thread finished first."""
    n, v, d = copies.shape
    acc = np.empty(d, np.float32)
    for i in range(v):
        hit = False
        for w in range(n):
            if touched[w, i]:
                hit = True
                touched[w, i] = 0
        if not hit:
            continue
        s = shared[i]
        acc[:] = s
        for w in range(n):  # loops over d innermost, so they vectorise
            c = copies[w, i]
            for t in range(d):
                acc[t] += c[t] - s[t]
        s[:] = acc
        for w in range(n):
            copies[w, i][:] = acc
