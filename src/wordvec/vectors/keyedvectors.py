"""Word vectors with their vocabulary, and the queries people ask of them.

Names and semantics follow gensim's ``KeyedVectors`` where they overlap. Unit-normalised vectors
are computed once and cached; a query is one matrix-vector product over them and a top-k
selection. Return types never depend on argument values (there is no ``topn=None`` returning an
array: use ``distances``); an unknown word raises ``KeyError`` naming the word.

Concessions: exact search unless an approximate index is attached (``indexer``). For big
matrices (over ``_KERNEL_MIN`` values) the product is a Numba row-dot loop, imported on first
use: on the machines we measured, OpenBLAS's single-vector ``sgemv`` reads a 1M x 300 matrix at
about half the memory bandwidth.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from wordvec.formats import native as formats
from wordvec.formats import word2vec as w2v_formats
from wordvec.formats.native import KV_KIND, VECTOR_KINDS
from wordvec.vectors.evaluate import cosmul
from wordvec.vectors.topk import top_indices

Key = str
_KERNEL_MIN = 1 << 22  # V * d from which the Numba row-dot kernel beats OpenBLAS sgemv
_BATCH_FLOATS = 1 << 24  # scores held at once by batched queries (64 MB of float32)...
_BATCH_MIN = 64  # ...but at least this many queries per matrix product


class KeyedVectors:
    """``vectors``: float32[V, d]; ``index_to_key``: list of V words; ``key_to_index``: dict;
    ``counts``: int64[V] corpus frequencies when known (else zeros)."""

    # an approximate index (``wordvec.ann.AnnIndex``, or any gensim-style indexer with
    # ``most_similar(vector, n)``) that most_similar asks instead of scanning every vector
    indexer = None

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
        self.key_to_index = dict(zip(self.index_to_key, range(len(self.index_to_key)), strict=True))
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("duplicate words in index_to_key")
        self._verify: Callable[[], None] | None = None
        self.vectors = vectors
        self.counts = (
            np.zeros(len(self.index_to_key), np.int64) if counts is None else np.asarray(counts)
        )
        self._norms: np.ndarray | None = None

    # -- basics -------------------------------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """float32[V, d]. Vectors memory-mapped from a native file have their file's checksums
        verified on first access (``FormatError`` if the file is corrupt)."""
        if self._verify is not None:
            self._verify()
            self._verify = None
        return self._vectors

    @vectors.setter
    def vectors(self, value: np.ndarray) -> None:
        self._vectors = value
        self._norms = None

    @property
    def counts(self) -> np.ndarray:
        """int64[V] corpus frequencies (zeros when unknown); verified as ``vectors``."""
        if self._verify is not None:
            self._verify()
            self._verify = None
        return self._counts

    @counts.setter
    def counts(self, value: np.ndarray) -> None:
        self._counts = value

    @property
    def vector_size(self) -> int:
        return int(self._vectors.shape[1])

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

    def __getitem__(self, key) -> np.ndarray:
        """float32[d] vector of one word (or row number); float32[n, d] for a list of them
        (gensim's ``wv[['king', 'queen']]``)."""
        if isinstance(key, str | int | np.integer):
            return self.vectors[self._row(key)]
        rows = [self._row(k) for k in key]
        return self.vectors[rows] if rows else np.zeros((0, self.vector_size), np.float32)

    def _row(self, key) -> int:
        """Row of a word, or of a row number (gensim accepts both)."""
        if isinstance(key, int | np.integer) and not isinstance(key, bool):
            if not 0 <= key < len(self):
                raise KeyError(f"row {key} out of range: {len(self)} words")
            return int(key)
        return self.get_index(key)

    def has_index_for(self, key: Key) -> bool:
        """Whether ``key`` has a vector (gensim's name; ``key in kv`` says the same)."""
        return key in self.key_to_index

    def get_vecattr(self, key: Key, attr: str):
        """gensim's per-word attributes: only ``"count"`` (the corpus frequency) is kept."""
        if attr != "count":
            raise KeyError(f"attribute {attr!r} not kept: wordvec stores only 'count' per word")
        return int(self.counts[self.get_index(key)])

    def set_vecattr(self, key: Key, attr: str, value: int) -> None:
        """Set a word's ``"count"`` (the only per-word attribute kept)."""
        if attr != "count":
            raise KeyError(f"attribute {attr!r} not kept: wordvec stores only 'count' per word")
        counts = np.array(self.counts, np.int64)  # a copy: a memory map is read-only
        counts[self.get_index(key)] = value
        self.counts = counts

    def get_normed_vectors(self) -> np.ndarray:
        """float32[V, d] unit-length vectors (gensim's name for ``unit_vectors``)."""
        return self.unit_vectors

    def add_vector(self, key: Key, vector: np.ndarray) -> int:
        """Add one word and its vector; returns its row. A word already present keeps its
        vector (as gensim); use ``add_vectors(..., replace=True)`` to overwrite."""
        if key in self.key_to_index:
            return self.key_to_index[key]
        self.add_vectors([key], np.asarray(vector)[None, :])
        return len(self) - 1

    def add_vectors(
        self,
        keys: Sequence[Key],
        weights: np.ndarray,
        extras: dict | None = None,
        replace: bool = False,
    ) -> None:
        """Add words and their vectors (float[n, d]) at the end, as gensim; words already
        present are left alone unless ``replace``. ``extras={"count": [...]}`` sets counts."""
        keys = list(keys)
        weights = np.asarray(weights, np.float32)
        if weights.ndim == 1 and len(keys) == 1:
            weights = weights[None, :]
        if weights.shape != (len(keys), self.vector_size):
            raise ValueError(
                f"{len(keys)} keys need weights of shape ({len(keys)}, "
                f"{self.vector_size}), got {weights.shape}"
            )
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate keys in add_vectors")
        extra_counts = None if not extras else extras.get("count")
        counts_in = (
            np.zeros(len(keys), np.int64)
            if extra_counts is None
            else np.asarray(extra_counts, np.int64)
        )
        new = [i for i, k in enumerate(keys) if k not in self.key_to_index]
        vectors, counts = self.vectors, self.counts
        if replace:
            old = [i for i, k in enumerate(keys) if k in self.key_to_index]
            if old:
                vectors, counts = np.array(vectors), np.array(counts)
                rows = [self.key_to_index[keys[i]] for i in old]
                vectors[rows] = weights[old]
                if extra_counts is not None:
                    counts[rows] = counts_in[old]
        for i in new:
            self.key_to_index[keys[i]] = len(self.index_to_key)
            self.index_to_key.append(keys[i])
        self.vectors = np.concatenate([np.asarray(vectors, np.float32), weights[new]])
        self.counts = np.concatenate([np.asarray(counts, np.int64), counts_in[new]])
        self._norms = None

    def evaluate_word_analogies(
        self,
        analogies: str | os.PathLike,
        restrict_vocab: int = 300_000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
        similarity_function: str = "most_similar",
    ) -> tuple[float, list[dict]]:
        """gensim's analogy evaluation, with gensim's return shape: (accuracy, sections), each
        section ``{"section": name, "correct": [(a, b, c, d), ...], "incorrect": [...]}`` and
        a last one named ``"Total accuracy"``. See
        ``wordvec.vectors.evaluate.evaluate_analogies``."""
        from wordvec.vectors.evaluate import gensim_analogies

        return gensim_analogies(
            self, analogies, restrict_vocab, case_insensitive, dummy4unknown, similarity_function
        )

    def evaluate_word_pairs(
        self,
        pairs: str | os.PathLike,
        delimiter: str = "\t",
        encoding: str = "utf8",
        restrict_vocab: int = 300_000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
    ) -> tuple[tuple[float, float], tuple[float, float], float]:
        """gensim's word-pair evaluation, with gensim's return shape: ((pearson, p-value),
        (spearman, p-value), out-of-vocabulary percentage). Fields are split on tabs (or
        whitespace when a line has none), whatever ``delimiter`` says; files are UTF-8."""
        from wordvec.vectors.evaluate import evaluate_word_pairs

        r = evaluate_word_pairs(self, pairs, case_insensitive, restrict_vocab, dummy4unknown)
        return (r.pearson, r.pearson_pvalue), (r.spearman, r.spearman_pvalue), 100 * r.oov_ratio

    def get_vector(self, key: Key, norm: bool = False) -> np.ndarray:
        """float32[d] vector of ``key``, scaled to length 1 with ``norm``."""
        i = self.get_index(key)
        return self.unit_vectors[i] if norm else self.vectors[i]

    def reset_norms(self) -> None:
        """Forget the cached unit vectors (after changing ``vectors`` in place); they are
        recomputed on the next query."""
        self._norms = None

    def fill_norms(self, force: bool = False) -> None:
        """Compute the cached unit vectors (after changing ``vectors`` in place, pass force).

        Done in blocks of rows, so the only large allocation is the float32[V, d] result.
        """
        if self._norms is not None and not force:
            return
        unit = np.empty(self.vectors.shape, np.float32)
        for start in range(0, len(self), 8192):
            block = np.asarray(self.vectors[start : start + 8192], np.float32)
            norms = np.sqrt(np.einsum("ij,ij->i", block, block))[:, None]
            np.divide(block, np.maximum(norms, 1e-12), out=unit[start : start + 8192])
        self._norms = unit

    @property
    def unit_vectors(self) -> np.ndarray:
        """float32[V, d] vectors scaled to length 1 (zero vectors stay zero)."""
        self.fill_norms()
        return self._norms

    @property
    def norms(self) -> np.ndarray:
        """float32[V] lengths of the vectors (gensim's ``norms``)."""
        return np.sqrt(np.einsum("ij,ij->i", self.vectors, self.vectors, dtype=np.float32))

    # -- building blocks ----------------------------------------------------------------------
    def _scores(self, query: np.ndarray, n: int | None = None) -> np.ndarray:
        """float32[n] dot products of the first ``n`` unit vectors with ``query`` (float[d]),
        i.e. cosines when ``query`` has length 1. Never copies the matrix."""
        unit = self.unit_vectors if n is None else self.unit_vectors[:n]
        query = np.ascontiguousarray(query, np.float32)
        if query.shape != (self.vector_size,):
            raise ValueError(f"a query vector must have shape ({self.vector_size},)")
        out = np.empty(unit.shape[0], np.float32)
        if unit.size >= _KERNEL_MIN:
            from wordvec.kernels.query import row_dots  # Numba: loaded on first use, not on import

            row_dots(unit, query, out)
        else:
            np.matmul(unit, query, out=out)
        return out

    def _restrict(self, restrict_vocab: int | None) -> int:
        if restrict_vocab is None:
            return len(self)
        if restrict_vocab < 1:
            raise ValueError(f"restrict_vocab must be None or >= 1, got {restrict_vocab}")
        return min(int(restrict_vocab), len(self))

    def _pick(self, scores: np.ndarray, topn: int, exclude: Iterable[int] = ()):
        """[(word, score)] of the ``topn`` best scores, best first, skipping rows in ``exclude``."""
        _check_topn(topn)
        exclude = set(exclude)
        best = top_indices(scores, topn + len(exclude))
        out = [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude]
        return out[:topn]

    def _terms(self, positive, negative) -> tuple[list, np.ndarray]:
        """gensim's argument forms: one word or 1-d vector, or lists of words, vectors or
        (word, weight) pairs. Returns (keys or vectors, float64 weights: +1 / -1 by default)."""
        items, weights = [], []
        for group, sign in ((positive, 1.0), (negative, -1.0)):
            for item in _as_list(group):
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                    items.append(item[0])
                    weights.append(float(item[1]))
                else:
                    items.append(item)
                    weights.append(sign)
        return items, np.array(weights)

    def _query_rows(self, items: Iterable) -> set[int]:
        """Rows of the words among ``items`` that have one: these are left out of answers."""
        return {
            self.key_to_index[k] for k in items if isinstance(k, str) and k in self.key_to_index
        }

    def _unit_rows(self, words: Sequence[Key]) -> np.ndarray:
        """float32[k, d] unit vectors of ``words`` (``KeyError`` naming an unknown one)."""
        return self.unit_vectors[np.array([self.get_index(w) for w in words], np.intp)]

    # -- queries ------------------------------------------------------------------------------
    def get_mean_vector(
        self,
        keys: Sequence,
        weights: Sequence[float] | np.ndarray | None = None,
        pre_normalize: bool = True,
        post_normalize: bool = False,
        ignore_missing: bool = False,
    ) -> np.ndarray:
        """float32[d] weighted mean of words (unit vectors with ``pre_normalize``) and raw vectors
        (used as given), divided by the sum of ``|weights|``; scaled to length 1 with
        ``post_normalize``. Unlike gensim, a missing word raises ``KeyError`` unless
        ``ignore_missing``."""
        keys = list(keys)
        if not keys:
            raise ValueError("cannot compute a mean vector with no input")
        w = np.ones(len(keys)) if weights is None else np.asarray(weights, np.float64)
        if w.shape != (len(keys),):
            raise ValueError(f"{len(keys)} keys but weights of shape {w.shape}")
        mean = np.zeros(self.vector_size, np.float64)
        total = 0.0
        for key, weight in zip(keys, w, strict=True):
            if isinstance(key, str):
                if ignore_missing and key not in self:
                    continue
                vec = self.get_vector(key, norm=pre_normalize)
            else:
                vec = np.asarray(key, np.float32)
                if vec.shape != (self.vector_size,):
                    raise ValueError(f"a query vector must have shape ({self.vector_size},)")
            mean += weight * vec
            total += abs(weight)
        if total > 0:
            mean /= total
        if post_normalize:
            mean /= max(float(np.linalg.norm(mean)), 1e-12)
        return mean.astype(np.float32)

    def most_similar(
        self,
        positive: str | Sequence = (),
        negative: str | Sequence = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
        indexer=None,
    ) -> list[tuple[str, float]]:
        """Words closest by cosine to the weighted mean of ``positive`` minus ``negative`` unit
        vectors (3CosAdd); the query words themselves are excluded.

        ``positive``/``negative``: a word, a float[d] vector, or a list of words, vectors or
        (word, weight) pairs (as in gensim, a pair's weight replaces the +1 or -1 of its list).
        Only the first ``restrict_vocab`` words are candidates.
        ``indexer`` (default: ``self.indexer``) answers approximately instead of an exact scan,
        except with ``restrict_vocab`` (see ``wordvec.ann``).
        Returns [(word, cosine)], best first.
        """
        items, weights = self._terms(positive, negative)
        if not items:
            raise ValueError("cannot compute similarity with no input")
        mean = self.get_mean_vector(items, weights, post_normalize=True)
        indexer = self.indexer if indexer is None else indexer
        if indexer is not None and restrict_vocab is None:
            _check_topn(topn)
            exclude = self._query_rows(items)
            found = indexer.most_similar(mean, topn + len(exclude))
            return [(w, s) for w, s in found if self.key_to_index[w] not in exclude][:topn]
        scores = self._scores(mean, self._restrict(restrict_vocab))
        return self._pick(scores, topn, self._query_rows(items))

    def most_similar_cosmul(
        self,
        positive: str | Sequence = (),
        negative: str | Sequence = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """3CosMul (Levy & Goldberg 2014, eq. 4): rank words ``x`` by
        ``prod_p s(x, p) / (prod_n s(x, n) + 1e-6)`` with ``s = (1 + cos) / 2`` in [0, 1], as
        gensim. Words or vectors (vectors are taken as directions); query words are excluded.
        Unlike gensim, ``restrict_vocab`` is honoured. Returns [(word, score)], best first."""
        pos, neg = _as_list(positive), _as_list(negative)
        if not pos:
            raise ValueError("cannot compute similarity with no input")
        n = self._restrict(restrict_vocab)
        cosines = [[self._scores(self._direction(item), n) for item in g] for g in (pos, neg)]
        score = cosmul(*cosines)
        return self._pick(score, topn, self._query_rows(pos + neg))

    def _direction(self, item) -> np.ndarray:
        """float32[d] unit vector of a word or of a raw vector."""
        if isinstance(item, str):
            return self.get_vector(item, norm=True)
        v = np.asarray(item, np.float32)
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def similar_by_vector(
        self,
        vector: np.ndarray,
        topn: int = 10,
        restrict_vocab: int | None = None,
        indexer=None,
    ) -> list[tuple[str, float]]:
        """Words closest by cosine to ``vector`` (float[d]); nothing is excluded."""
        return self.most_similar(
            [np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab, indexer=indexer
        )

    def similar_by_key(
        self, key: Key, topn: int = 10, restrict_vocab: int | None = None
    ) -> list[tuple[str, float]]:
        """Words closest by cosine to ``key`` (the word itself excluded)."""
        return self.most_similar([key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def most_similar_batch(
        self,
        queries: Sequence[str] | np.ndarray,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[list[tuple[str, float]]]:
        """Nearest neighbours of many words (each one excluded from its own answer) or of the
        rows of a float[m, d] array, as matrix products over blocks of queries.

        Returns one [(word, cosine)] list per query, in order.
        """
        _check_topn(topn)
        n = self._restrict(restrict_vocab)
        unit = self.unit_vectors[:n]
        if isinstance(queries, np.ndarray) and queries.ndim == 2:
            q = queries.astype(np.float32)
            q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
            rows = [None] * q.shape[0]
        else:
            q = self._unit_rows(queries)
            rows = [self.key_to_index.get(w) for w in queries]
        out = []
        step = max(_BATCH_MIN, _BATCH_FLOATS // max(n, 1))
        for start in range(0, q.shape[0], step):
            scores = q[start : start + step] @ unit.T  # float32[block, n]
            for r, s in zip(rows[start : start + step], scores, strict=True):
                out.append(self._pick(s, topn, () if r is None else (r,)))
        return out

    def similarity(self, w1: Key, w2: Key) -> float:
        """Cosine similarity of two words."""
        return float(self.get_vector(w1, norm=True) @ self.get_vector(w2, norm=True))

    def n_similarity(self, ws1: Sequence[Key], ws2: Sequence[Key]) -> float:
        """Cosine similarity of the means of two sets of (raw) word vectors, as gensim."""
        if not len(ws1) or not len(ws2):
            raise ValueError("n_similarity needs at least one word on each side")
        m1 = np.mean([self[w] for w in ws1], axis=0)
        m2 = np.mean([self[w] for w in ws2], axis=0)
        return float(m1 @ m2 / max(float(np.linalg.norm(m1) * np.linalg.norm(m2)), 1e-24))

    def distance(self, w1: Key, w2: Key) -> float:
        """Cosine distance ``1 - similarity(w1, w2)``."""
        return 1.0 - self.similarity(w1, w2)

    def distances(self, word_or_vector: Key | np.ndarray, other_words: Sequence[Key] = ()):
        """float32[k] cosine distances from a word or vector to ``other_words`` (float32[V], to
        every word in vocabulary order, when ``other_words`` is empty)."""
        q = self._direction(word_or_vector)
        if len(other_words) == 0:
            return 1.0 - self._scores(q)
        return 1.0 - self._unit_rows(other_words) @ q

    def doesnt_match(self, words: Sequence[Key]) -> str:
        """The word furthest by cosine from the normalised mean of the words' unit vectors."""
        if not len(words):
            raise ValueError("doesnt_match needs at least one word")
        unit = self._unit_rows(words)
        mean = unit.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        return words[int(np.argmin(unit @ mean))]

    def closer_than(self, key1: Key, key2: Key) -> list[str]:
        """Words strictly closer (by cosine) to ``key1`` than ``key2`` is, in vocabulary order,
        ``key1`` itself left out."""
        q = self.get_vector(key1, norm=True)
        scores = self._scores(q)
        i2 = self.key_to_index.get(key2)  # its own score, computed as the others are
        s2 = scores[i2] if i2 is not None else np.float32(q @ self.get_vector(key2, norm=True))
        closer = np.flatnonzero(scores > s2)
        own = self._query_rows([key1])
        return [self.index_to_key[i] for i in closer if i not in own]

    words_closer_than = closer_than

    def rank(self, key1: Key, key2: Key) -> int:
        """Rank of ``key2`` among ``key1``'s neighbours (1 = nearest): ``len(closer_than) + 1``."""
        return len(self.closer_than(key1, key2)) + 1

    # -- files --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *args, **kwargs) -> None:
        """Save words, vectors and counts in wordvec's native format (mmap-able, no pickle;
        compressed when the name ends in .gz/.bz2/.xz). gensim's pickle options are ignored."""
        meta = {"kind": KV_KIND, "words": self.index_to_key}
        formats.save_native(path, meta, {"vectors": self.vectors, "counts": self.counts})

    _kinds = VECTOR_KINDS  # the native files whose vectors ``load`` reads

    @classmethod
    def _from_arrays(cls, meta: dict, arrays: dict) -> KeyedVectors:  # what ``load`` builds
        return cls(meta["words"], arrays["vectors"], arrays.get("counts"))

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        mmap: bool | str | None = False,
        allow_nonfinite: bool = False,
    ) -> KeyedVectors:
        """Load a file written by ``save`` (or the vectors of a saved ``Word2Vec`` model). With
        ``mmap`` (True, or gensim's ``"r"``) the vectors are memory-mapped read-only and the
        file's checksums are verified when the vectors are first used."""
        meta, arrays, *verify = formats.load_native(path, mmap=bool(mmap), lazy=True)
        if meta.get("kind") not in cls._kinds:
            raise formats.FormatError(f"{path}: holds {meta.get('kind')!r}, not word vectors")
        try:
            kv = cls._from_arrays(meta, arrays)
        except (KeyError, TypeError, ValueError) as e:
            raise formats.FormatError(f"{path}: inconsistent vectors file: {e}") from None
        words = kv.index_to_key

        def check() -> None:
            for v in verify:
                v()
            if not allow_nonfinite:
                formats.check_finite(kv._vectors, words, path)

        kv._verify = check
        if not mmap:
            kv.vectors  # noqa: B018 (verifies now: the arrays are in memory already)
        return kv

    def save_word2vec_format(
        self, path: str | os.PathLike, binary: bool = False, write_header: bool = True
    ) -> None:
        """Write the word2vec C text or binary format (gensim's name; see ``io.save_word2vec``)."""
        w2v_formats.write_word2vec(self.index_to_key, self.vectors, path, binary, write_header)

    @classmethod
    def load_word2vec_format(
        cls,
        path: str | os.PathLike,
        binary: bool | None = None,
        limit: int | None = None,
        unicode_errors: str = "strict",
        no_header: bool = False,
        allow_nonfinite: bool = False,
        **_gensim,
    ) -> KeyedVectors:
        """Read the word2vec C text or binary format (gensim's name; see ``io.load_word2vec``);
        gensim's ``encoding`` and ``datatype`` are ignored (UTF-8, float32)."""
        words, vectors = w2v_formats.read_word2vec(
            path, binary, limit, unicode_errors, not no_header, allow_nonfinite
        )
        return cls(words, vectors)


def _as_list(value) -> list:
    """gensim's ``_ensure_list``: one word or 1-d vector becomes a list of one."""
    if value is None:
        return []
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    return list(value)  # words, or the rows of a 2-d array


def _check_topn(topn: int) -> None:
    if not isinstance(topn, int | np.integer) or isinstance(topn, bool) or topn < 0:
        raise ValueError(
            f"topn must be an integer >= 0, got {topn!r} (for every score, use distances())"
        )
