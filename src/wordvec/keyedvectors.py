"""Word vectors with their vocabulary, and the queries people ask of them.

Names and semantics follow gensim's ``KeyedVectors`` where they overlap. Unit-normalised vectors
are computed once and cached; a query is one matrix-vector product over them. Return types never
depend on argument values; an unknown word raises ``KeyError`` naming the word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

Key = str


class KeyedVectors:
    """``vectors``: float32[V, d]; ``index_to_key``: list of V words; ``key_to_index``: dict;
    ``counts``: int64[V] corpus frequencies when known (else zeros)."""

    def __init__(
        self,
        index_to_key: Sequence[str],
        vectors: np.ndarray,
        counts: np.ndarray | None = None,
    ):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
            raise ValueError(
                f"vectors must have shape ({len(index_to_key)}, d); got {vectors.shape}"
            )
        self.index_to_key = list(index_to_key)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("duplicate words in index_to_key")
        self.vectors = vectors
        self.counts = (
            np.zeros(len(self.index_to_key), np.int64) if counts is None else np.asarray(counts)
        )
        self._norms: np.ndarray | None = None

    # -- basics -------------------------------------------------------------------------------
    @property
    def vector_size(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key: object) -> bool:
        return key in self.key_to_index

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words, {self.vector_size} dimensions)"

    def get_index(self, key: Key) -> int:
        """Row of ``key``; raises ``KeyError`` naming the word if it is not in the vocabulary."""
        try:
            return self.key_to_index[key]
        except KeyError:
            raise KeyError(f"word {key!r} not in vocabulary") from None

    def __getitem__(self, key: Key) -> np.ndarray:
        """float32[d] vector of one word."""
        return self.vectors[self.get_index(key)]

    def get_vector(self, key: Key, norm: bool = False) -> np.ndarray:
        i = self.get_index(key)
        return self.unit_vectors[i] if norm else self.vectors[i]

    def fill_norms(self, force: bool = False) -> None:
        """Compute the cached unit vectors (after changing ``vectors`` in place, pass force)."""
        if self._norms is None or force:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._norms = (self.vectors / np.maximum(norms, 1e-12)).astype(np.float32)

    @property
    def unit_vectors(self) -> np.ndarray:
        """float32[V, d] vectors scaled to length 1 (zero vectors stay zero)."""
        self.fill_norms()
        return self._norms

    # -- queries ------------------------------------------------------------------------------
    def _mean_unit(self, positive: Iterable, negative: Iterable) -> tuple[np.ndarray, set[int]]:
        """Mean of unit vectors (+ for positive, - for negative); words or raw vectors."""
        parts, used = [], set()
        for items, sign in ((positive, 1.0), (negative, -1.0)):
            for item in items:
                if isinstance(item, str):
                    i = self.get_index(item)
                    used.add(i)
                    parts.append(sign * self.unit_vectors[i])
                else:
                    v = np.asarray(item, np.float32)
                    parts.append(sign * v / max(float(np.linalg.norm(v)), 1e-12))
        if not parts:
            raise ValueError("cannot compute similarity with no input")
        return np.mean(parts, axis=0), used

    def _top(self, scores: np.ndarray, topn: int, exclude: set[int]) -> list[tuple[str, float]]:
        if topn < 0:
            raise ValueError(f"topn must be >= 0, got {topn}")
        k = min(topn + len(exclude), scores.shape[0])
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(k)
        best = best[np.argsort(-scores[best], kind="stable")]
        out = [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude]
        return out[:topn]

    def most_similar(
        self,
        positive: str | Sequence = (),
        negative: str | Sequence = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """Words closest by cosine to the mean of ``positive`` minus ``negative`` unit vectors
        (3CosAdd); the query words themselves are excluded. Returns [(word, cosine)]."""
        if isinstance(positive, str):
            positive = [positive]
        if isinstance(negative, str):
            negative = [negative]
        mean, used = self._mean_unit(positive, negative)
        n = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        mean = mean / max(float(np.linalg.norm(mean)), 1e-12)
        scores = self.unit_vectors[:n] @ mean
        return self._top(scores, topn, used)

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10) -> list[tuple[str, float]]:
        return self.most_similar(positive=[vector], topn=topn)

    def similarity(self, w1: Key, w2: Key) -> float:
        """Cosine similarity of two words."""
        u = self.unit_vectors
        return float(u[self.get_index(w1)] @ u[self.get_index(w2)])
