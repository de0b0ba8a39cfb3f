"""Deterministic merge of per-worker weight copies (``Word2Vec(deterministic=True)``)."""

from numba import njit


@njit(cache=True, nogil=True)
def merge_copies(shared, copies):
    """Add every worker's change since the last merge to ``shared``, in worker order, and reset
    the copies to the result: ``shared``: float32[V, d]; ``copies``: float32[N, V, d], each equal
    to ``shared`` at the last merge. The sum is always taken in the same order, so the result does
    not depend on which thread finished first."""
    n, v, d = copies.shape
    for i in range(v):
        for t in range(d):
            s = shared[i, t]
            acc = s
            for w in range(n):
                acc += copies[w, i, t] - s
            shared[i, t] = acc
            for w in range(n):
                copies[w, i, t] = acc
