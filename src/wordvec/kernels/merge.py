"""Deterministic merge of per-worker weight copies (``Word2Vec(deterministic=True)``)."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def merge_touched(shared, copies, touched, mean):
    """Combine every replica's change since the last merge into ``shared`` and reset the
    replicas to the result: ``shared``: float32[V, d]; ``copies``: float32[N, V, d], each equal
    to ``shared`` at the last merge; ``touched``: uint8[N, >= V] flags (replica, row) of the rows
    each replica updated, cleared here (the other rows are equal everywhere already).

    A row only one replica updated is that replica's row. A row ``k > 1`` replicas moved gets
    the sum of their changes (``mean`` False) or their mean (``mean`` True: each replica moved
    it from the same start on its own share of the data, and for a row every replica moves,
    such as a Huffman node near the root, the sum would step ``k`` times too far). The sum is
    always taken in replica order, so the result does not depend on which thread finished
    first."""
    n, v, d = copies.shape
    acc = np.empty(d, np.float32)
    for i in range(v):
        hits = 0
        first = 0
        for w in range(n):
            if touched[w, i]:
                if hits == 0:
                    first = w
                hits += 1
                touched[w, i] = 0
        if hits == 0:
            continue
        s = shared[i]
        if hits == 1:  # the one worker's row is the result: copy it, nothing to add
            src = copies[first, i]
            s[:] = src
            for w in range(n):
                if w != first:
                    copies[w, i][:] = src
            continue
        acc[:] = 0.0
        for w in range(n):  # loops over d innermost, so they vectorise
            c = copies[w, i]
            for t in range(d):
                acc[t] += c[t] - s[t]
        scale = np.float32(1.0 / hits) if mean else np.float32(1.0)
        for t in range(d):
            acc[t] = s[t] + acc[t] * scale
        s[:] = acc
        for w in range(n):
            copies[w, i][:] = acc
