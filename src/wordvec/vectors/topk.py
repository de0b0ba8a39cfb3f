"""The ``k`` best of a score per word, without sorting them all: what every query of
``KeyedVectors`` (and ``Word2Vec.predict_output_word``) ends with."""

from __future__ import annotations

import numpy as np

_BLOCK = 1024  # block size of the threshold search


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """int64[min(k, n)] indices of the ``k`` largest of ``scores`` (float[n]), best first; ties
    go to the lower index.

    The k-th largest score is at least the k-th largest of the block maxima (``k`` blocks hold
    a value that large), so one pass over the block maxima and one comparison find a small
    candidate set; no full ``argpartition`` of ``scores`` is needed.
    """
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, np.int64)
    n_blocks = n // _BLOCK
    if n_blocks >= 4 * k:
        maxima = scores[: n_blocks * _BLOCK].reshape(n_blocks, _BLOCK).max(axis=1)
        threshold = np.partition(maxima, n_blocks - k)[n_blocks - k]
    else:
        threshold = np.partition(scores, n - k)[n - k]
    cand = np.flatnonzero(scores >= threshold)
    order = np.lexsort((cand, -scores[cand]))
    return cand[order[:k]]
