"""Word vectors of a subword model (fastText's): every word gets an answer.

A vocabulary word's vector is the mean of its own row (``vectors_vocab``) and its character
n-gram rows (``vectors_ngrams``, ``bucket`` rows); any other word's is the mean of its n-gram
rows, as fastText's ``get_word_vector`` gives it. The n-grams and their rows are fastText's
(``wordvec.formats.fasttext``). Queries scan the vocabulary words' vectors (``vectors``, composed
once); a query word outside the vocabulary is composed from its n-grams. A word none of whose
n-grams occurs in a vocabulary word (or none of whose characters does) has nothing learned to
give: it raises ``KeyError`` saying so, rather than answering with the random start of unseen
n-gram rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from wordvec.formats import native
from wordvec.formats.fasttext import ngram_rows
from wordvec.vectors.keyedvectors import Key, KeyedVectors

FT_KV_KIND = "wordvec.FastTextKeyedVectors"
EOS = "</s>"  # fastText's end of sentence: a word without n-grams


def subword_table(
    words: Sequence[str], min_n: int, max_n: int, bucket: int
) -> tuple[np.ndarray, np.ndarray]:
    """(starts int64[V + 1], rows int32[r]): word ``i``'s rows of the input matrix (V + bucket
    rows) are ``rows[starts[i]:starts[i + 1]]``: ``i``, then ``V + hash % bucket`` for each of
    its n-grams, in fastText's order (``kernels.ngrams.word_rows``); fastText's end of
    sentence, ``"</s>"``, has no n-grams."""
    from wordvec.kernels.ngrams import word_rows  # Numba: loaded when a table is needed

    raw = [w.encode("utf-8") for w in words]
    offsets = np.zeros(len(raw) + 1, np.int64)
    np.cumsum([len(r) for r in raw], out=offsets[1:])
    data = np.frombuffer(b"".join(raw), np.uint8) if raw else np.zeros(0, np.uint8)
    eos = words.index(EOS) if EOS in words else -1
    return word_rows(data, offsets, int(min_n), int(max_n), int(bucket), eos)


def compose(matrix: np.ndarray, starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """float32[V, d]: each word's input vector, the mean of its rows of ``matrix``."""
    from wordvec.kernels.ngrams import compose_rows

    out = np.empty((starts.shape[0] - 1, matrix.shape[1]), np.float32)
    compose_rows(matrix, starts, rows, out)
    return out


class FastTextKeyedVectors(KeyedVectors):
    """``rows``: float32[V + bucket, d] the input matrix, the words' own rows (``vectors_vocab``)
    then the n-gram rows (``vectors_ngrams``), as fastText lays it out; ``vectors`` (derived):
    float32[V, d] the words' composed vectors.
    ``word in kv`` is True for any word that gets a vector; ``has_index_for`` only for the
    vocabulary (gensim's meanings)."""

    def __init__(
        self,
        index_to_key: Sequence[str],
        rows: np.ndarray,
        min_n: int,
        max_n: int,
        counts: np.ndarray | None = None,
        vectors: np.ndarray | None = None,
    ):
        self.rows = rows
        self.min_n, self.max_n = int(min_n), int(max_n)
        self._table: tuple[np.ndarray, np.ndarray] | None = None
        self._known: np.ndarray | None = None  # bool[bucket]: rows of a vocabulary word
        self._chars: set[str] | None = None  # the characters of the vocabulary
        if vectors is None:
            vectors = self._composed(index_to_key)
        super().__init__(index_to_key, vectors, counts)

    def __repr__(self) -> str:
        return (
            f"FastTextKeyedVectors({len(self)} words, {self.vector_size} dimensions, "
            f"n-grams {self.min_n}-{self.max_n} in {self.bucket:,} buckets)"
        )

    @property
    def bucket(self) -> int:
        return int(self.rows.shape[0] - len(self.index_to_key))

    @property
    def vectors_vocab(self) -> np.ndarray:
        """float32[V, d] the words' own rows (gensim's name)."""
        return self.rows[: len(self.index_to_key)]

    @property
    def vectors_ngrams(self) -> np.ndarray:
        """float32[bucket, d] the n-gram rows (gensim's name)."""
        return self.rows[len(self.index_to_key) :]

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary's ``subword_table`` (computed once)."""
        if self._table is None:
            self._table = subword_table(self.index_to_key, self.min_n, self.max_n, self.bucket)
        return self._table

    def _composed(self, words: Sequence[str]) -> np.ndarray:
        bucket = self.rows.shape[0] - len(words)
        self._table = subword_table(words, self.min_n, self.max_n, bucket)
        return compose(self.rows, *self._table)

    def adjust_vectors(self) -> None:
        """Compose the vocabulary's vectors again from the rows (after training moved them;
        gensim's name)."""
        starts, rows = self.table()
        self.vectors = compose(self.rows, starts, rows)

    # -- words outside the vocabulary ---------------------------------------------------------
    def ngram_rows(self, word: str) -> np.ndarray:
        """int64[k] rows of ``vectors_ngrams`` of ``word``'s n-grams (fastText's order)."""
        return ngram_rows(word, self.min_n, self.max_n, self.bucket, 0)

    def _known_rows(self) -> np.ndarray:
        if self._known is None:
            rows = self.table()[1]
            known = np.zeros(self.bucket, bool)
            ngram = rows[rows >= len(self)] - len(self)  # the n-gram rows of every word
            known[ngram] = True
            self._known = known
        return self._known

    def oov_vector(self, word: str) -> np.ndarray:
        """float32[d] the mean of ``word``'s n-gram rows (fastText's vector of an unknown
        word); ``KeyError`` when it has no n-gram, or none that a vocabulary word has."""
        return self.vectors_ngrams[self._learned_rows(word)].mean(axis=0, dtype=np.float32)

    def _learned_rows(self, word: str) -> np.ndarray:
        """``word``'s n-gram rows, or ``KeyError`` saying why nothing was learned for it."""
        rows = self.ngram_rows(word) if word != EOS else np.zeros(0, np.int64)
        if rows.size == 0:
            raise KeyError(
                f"word {word!r} is not in the vocabulary and has no character n-grams "
                f"(n-grams of {self.min_n}-{self.max_n} characters in {self.bucket:,} buckets)"
            )
        if self._chars is None:
            self._chars = set().union(*map(set, self.index_to_key))
        if not any(c in self._chars for c in word):
            raise KeyError(
                f"word {word!r} is not in the vocabulary and none of its characters occurs in "
                "a vocabulary word: nothing was learned for it"
            )
        if not self._known_rows()[rows].any():
            raise KeyError(
                f"word {word!r} is not in the vocabulary and none of its {rows.size} character "
                "n-grams occurs in a vocabulary word: nothing was learned for it"
            )
        return rows

    def __contains__(self, key: object) -> bool:
        if key in self.key_to_index:
            return True
        if not isinstance(key, str):
            return False
        try:
            self._learned_rows(key)  # no vector composed just to say yes
        except KeyError:
            return False
        return True

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, str) and key not in self.key_to_index:
            return self.oov_vector(key)
        if isinstance(key, str | int | np.integer):
            return super().__getitem__(key)
        vectors = [self[k] for k in key]
        return np.stack(vectors) if vectors else np.zeros((0, self.vector_size), np.float32)

    def get_vector(self, key: Key, norm: bool = False) -> np.ndarray:
        if key in self.key_to_index:
            return super().get_vector(key, norm)
        v = self.oov_vector(key)
        return v / max(float(np.linalg.norm(v)), 1e-12) if norm else v

    def _unit_rows(self, words: Sequence[Key]) -> np.ndarray:
        if not len(words):
            return np.zeros((0, self.vector_size), np.float32)
        return np.stack([self.get_vector(w, norm=True) for w in words])

    def evaluate_word_analogies(
        self,
        analogies,
        restrict_vocab: int = 300_000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
        similarity_function: str = "most_similar",
        oov: str = "skip",
    ):
        """``KeyedVectors.evaluate_word_analogies``; with ``oov="ngrams"`` a question with a
        word outside the cutoff is answered with the vectors the model gives its words
        (``wordvec.vectors.evaluate.evaluate_analogies``) instead of left out (gensim leaves it
        out: the default, so that numbers compare with other models')."""
        from wordvec.vectors.evaluate import gensim_analogies

        return gensim_analogies(
            self,
            analogies,
            restrict_vocab,
            case_insensitive,
            dummy4unknown,
            similarity_function,
            oov,
        )

    def evaluate_word_pairs(self, pairs, *args, oov: str = "skip", **kwargs):
        """``KeyedVectors.evaluate_word_pairs``; with ``oov="ngrams"`` a pair with a word outside
        the vocabulary is scored from its n-grams instead of left out (gensim leaves it out: the
        default, so that numbers compare with other models')."""
        from wordvec.vectors.evaluate import evaluate_word_pairs

        if oov == "skip":
            return super().evaluate_word_pairs(pairs, *args, **kwargs)
        names = ("delimiter", "encoding", "restrict_vocab", "case_insensitive", "dummy4unknown")
        given = dict(zip(names, args, strict=False)) | kwargs
        r = evaluate_word_pairs(
            self,
            pairs,
            given.get("case_insensitive", True),
            given.get("restrict_vocab", 300_000),
            given.get("dummy4unknown", False),
            oov,
        )
        return (r.pearson, r.pearson_pvalue), (r.spearman, r.spearman_pvalue), 100 * r.oov_ratio

    # -- files ----------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *args, **kwargs) -> None:
        """Words, counts, composed vectors and the rows of words and n-grams, native format."""
        meta = {"kind": FT_KV_KIND, "words": self.index_to_key}
        meta.update(min_n=self.min_n, max_n=self.max_n)
        native.save_native(path, meta, self.arrays())

    def arrays(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors, "counts": self.counts, "syn0": self.rows}

    # a saved FastTextKeyedVectors, FastText model or checkpoint (its vectors and rows)
    _kinds = (FT_KV_KIND, "wordvec.FastText", "wordvec.FastText.checkpoint")

    @classmethod
    def _from_arrays(cls, meta: dict, arrays: dict) -> FastTextKeyedVectors:
        params = meta.get("params", meta)  # a model keeps min_n/max_n among its parameters
        return cls(
            meta["words"],
            arrays["syn0"],
            int(params["min_n"]),
            int(params["max_n"]),
            arrays.get("counts"),
            arrays["vectors"],
        )
