"""Deterministic merge of per-replica weight copies (``Word2Vec(deterministic=True)``)."""

import numpy as np
from numba import njit

SUM, MEAN, ADAPTIVE = 0, 1, 2  # how the changes of a row several replicas moved combine
MODES = {"sum": SUM, "mean": MEAN, "adaptive": ADAPTIVE}
SATURATION = 32  # updates in a round after which a row counts as hot (see merge_touched)


@njit(cache=True, nogil=True)
def merge_touched(shared, copies, touched, mode):
    """Combine every replica's change since the last merge into ``shared`` and reset the
    replicas to the result: ``shared``: float32[V, d]; ``copies``: float32[N, V, d], each equal
    to ``shared`` at the last merge; ``touched``: uint8[N, >= V] how many times (saturating at
    255) each replica updated each row, cleared here (rows no replica updated are equal
    everywhere already).

    A row only one replica updated is that replica's row. A row ``k > 1`` replicas moved, each
    from the same start on its own share of the data, gets (``mode``):

    - ``SUM``: the sum of their changes: right while a row's steps in a round are small and
      independent, as sequential training would add them;
    - ``MEAN``: their mean: right for a row every replica drives to the same place within a
      round (a Huffman node near the root, on every path), where the sum would go ``k`` times
      too far, but it slows down every row several replicas share;
    - ``ADAPTIVE``: replica ``i``'s change weighted by ``1 / (1 + (k - 1) min(1, c_i / S))``
      with ``c_i`` its update count and ``S = SATURATION``: the sum for rows each replica
      touched a few times, the mean for rows hot everywhere (Ji et al. 2016 tie the
      synchronisation of a row to its frequency for the same reason).

    Always in replica order, so the result does not depend on which thread finished first.
    """
    n, v, d = copies.shape
    acc = np.empty(d, np.float32)
    weight = np.empty(n, np.float32)
    for i in range(v):
        hits = 0
        first = 0
        for w in range(n):
            if touched[w, i]:
                if hits == 0:
                    first = w
                hits += 1
        if hits == 0:
            continue
        s = shared[i]
        if hits == 1:  # the one replica's row is the result: copy it, nothing to add
            touched[first, i] = 0
            src = copies[first, i]
            s[:] = src
            for w in range(n):
                if w != first:
                    copies[w, i][:] = src
            continue
        for w in range(n):
            c = touched[w, i]
            touched[w, i] = 0
            if mode == SUM:
                weight[w] = 1.0
            elif mode == MEAN:
                weight[w] = 1.0 / hits
            else:
                weight[w] = 1.0 / (1.0 + (hits - 1) * min(1.0, c / SATURATION))
        acc[:] = 0.0
        for w in range(n):  # loops over d innermost, so they vectorise
            c = copies[w, i]
            g = weight[w]
            for t in range(d):
                acc[t] += (c[t] - s[t]) * g
        for t in range(d):
            acc[t] += s[t]
        s[:] = acc
        for w in range(n):
            copies[w, i][:] = acc
