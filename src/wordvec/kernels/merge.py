"""Deterministic merge of per-replica weight copies (``Word2Vec(deterministic=True)``)."""

import numpy as np
from numba import njit

SUM, MEAN, ALIGNED = 0, 1, 2  # how the changes of a row several replicas moved combine
MODES = {"sum": SUM, "mean": MEAN, "aligned": ALIGNED}


@njit(cache=True, nogil=True)
def merge_touched(shared, copies, touched, mode):
    """Combine every replica's change since the last merge into ``shared`` and reset the
    replicas to the result: ``shared``: float32[V, d]; ``copies``: float32[N, V, d], each equal
    to ``shared`` at the last merge; ``touched``: uint8[N, >= V] flags (replica, row) of the
    rows each replica updated, cleared here (the other rows are equal everywhere already).

    A row only one replica updated is that replica's row. A row ``k > 1`` replicas moved, each
    from the same start on its own share of the data, gets (``mode``):

    - ``SUM``: the sum of their changes ``D = sum_i d_i``, as sequential training would add
      small independent steps; but where the replicas all push a row the same way (a frequent
      word, a Huffman node near the root) the sum steps ``k`` times too far: with 8 replicas
      skip-gram diverges;
    - ``MEAN``: ``D / k``, right for those rows, but it slows down every row replicas share
      (with 2 replicas CBOW falls from 3.1 % to 0.5 % analogy on a 20 MB slice);
    - ``ALIGNED``: ``D (1 - rho (k - 1) / k)``, where ``rho`` in [0, 1] says how alike the
      changes are: ``rho = (k r - 1) / (k - 1)`` with ``r = |D|^2 / (k sum_i |d_i|^2)``, which
      is 1 when the changes are equal (the mean results) and ``1 / k`` when they are
      orthogonal (the sum results).

    Always in replica order, so the result does not depend on which thread finished first.
    """
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
        if hits == 1:  # the one replica's row is the result: copy it, nothing to add
            src = copies[first, i]
            s[:] = src
            for w in range(n):
                if w != first:
                    copies[w, i][:] = src
            continue
        acc[:] = 0.0
        squares = 0.0  # sum over replicas of |d_i|^2
        for w in range(n):  # loops over d innermost, so they vectorise
            c = copies[w, i]
            q = np.float32(0.0)
            for t in range(d):
                x = c[t] - s[t]
                acc[t] += x
                q += x * x
            squares += q
        scale = 1.0
        if mode == MEAN:
            scale = 1.0 / hits
        elif mode == ALIGNED and squares > 0.0:
            total = 0.0
            for t in range(d):
                total += acc[t] * acc[t]
            rho = (total / squares - 1.0) / (hits - 1)  # (k r - 1) / (k - 1)
            rho = min(max(rho, 0.0), 1.0)
            scale = 1.0 - rho * (hits - 1) / hits
        g = np.float32(scale)
        for t in range(d):
            acc[t] = s[t] + acc[t] * g
        s[:] = acc
        for w in range(n):
            copies[w, i][:] = acc
