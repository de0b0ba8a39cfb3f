"""Query kernel for ``KeyedVectors``: one pass over the unit vectors for a nearest-neighbour
query (OpenBLAS's single-vector product was slower here on large matrices)."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath=True)
def row_dots(unit, q, out):
    """``out[i] = unit[i] . q`` for float32[V, d] ``unit``, float32[d] ``q``, float32[V] ``out``."""
    n, d = unit.shape
    for i in range(n):
        s = np.float32(0.0)
        for t in range(d):
            s += unit[i, t] * q[t]
        out[i] = s
