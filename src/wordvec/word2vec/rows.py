"""A model's rows when they are made: the initial input vectors, and the rows that move with
their words when the vocabulary changes (continued training)."""

from __future__ import annotations

import numpy as np


def random_vectors(n: int, d: int, seed: int) -> np.ndarray:
    """The C tool's and gensim's initialisation: uniform in [-0.5, 0.5) / d."""
    v = np.random.default_rng(seed).random((n, d), dtype=np.float32)
    v -= 0.5
    v /= d
    return v


def moved(rows: np.ndarray, old_row: np.ndarray, fill) -> np.ndarray:
    """Rows for a new vocabulary: an old word's from ``rows`` (at ``old_row``), a new one's
    (``old_row < 0``) from ``fill``."""
    new = old_row < 0
    out = np.empty((old_row.shape[0], *rows.shape[1:]), rows.dtype)
    out[~new] = rows[old_row[~new]]
    out[new] = fill
    return out
