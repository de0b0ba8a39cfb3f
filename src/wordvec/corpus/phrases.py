"""Phrase detection: learn which word pairs are collocations, and join them (``new_york``).

``Phrases(...).fit(corpus)`` counts every word and every *candidate* (two words next to each other
in a sentence, or with only connector words between them when ``connector_words`` is given)
and keeps the candidates whose score passes ``threshold``. ``transform`` (an iterable of token
lists) and ``transform_file`` (a corpus file streamed to an output file) then join the phrases
greedily from left to right, exactly as gensim's ``Phrases`` does. ``passes=2`` learns a second
layer from the output of the first (trigrams such as ``new_york_city``), and so on.

Scoring functions (``a``, ``b``: counts of the two words; ``ab``: count of the candidate;
``m``: ``min_count``; ``N``: tokens in the corpus; ``V``: distinct words plus distinct
candidates, i.e. ``len(gensim_phrases.vocab)``):

====================  ==========================================  =================
``scoring``           score                                       default threshold
====================  ==========================================  =================
``"word2phrase"``     ``(ab - m) / a / b * N``; only when ``a``,  100 (the C tool)
                      ``b`` and ``ab`` are all at least ``m``
``"gensim"``          ``(ab - m) / (a * b) * V``                  10 (gensim)
                      (gensim's ``original_scorer``)
``"npmi"``            ``ln(p_ab / (p_a p_b)) / -ln(p_ab)``, in    0.5
                      [-1, 1], with ``p_x = x / N``; only when
                      ``ab >= m`` (gensim's ``npmi_scorer``)
====================  ==========================================  =================

A candidate is a phrase when its score is strictly greater than ``threshold``.

Concessions and differences:

- Counts are exact: candidates are keyed by the ids of their words, so nothing is pruned and
  there is no ``max_vocab_size``. (gensim joins the words of a candidate into one string key,
  so a corpus that already holds the token ``new_york`` mixes its count with the pair
  ``new york``; here they stay apart, and ``V`` counts them twice.)
- A candidate with more connector words between its ends than fit in 62 bits (15 words with
  gensim's 15 English connectors) is never counted nor joined; gensim would count it.
- ``word2phrase`` differs from the C tool in three small ways: pairs never cross a newline (the
  C tool's do), scores are computed in double precision (the C tool uses float), and a pair it
  skips scores -inf rather than 0 (which only matters for a negative threshold).
- Words are byte strings split on ASCII whitespace, as everywhere in wordvec; the delimiter may
  be any non-empty string without whitespace.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np

from wordvec.corpus.phrase_layers import (
    LAYER_ARRAYS,
    Connectors,
    LayerTables,
    PhraseLayer,
    Stream,
    check_layer,
    learn_layer,
    phrase_slots,
    phrase_texts,
    slot_map,
)
from wordvec.corpus.reader import (
    BLOCK_BYTES,
    OPENERS,
    corpus_files,
    read_blocks,
    scan_corpus,
)
from wordvec.formats import native

MODEL_KIND = "wordvec.Phrases"
FORMAT_VERSION = 1
Scoring = Literal["word2phrase", "gensim", "npmi"]

# gensim's ENGLISH_CONNECTOR_WORDS: articles, some prepositions and conjunctions
ENGLISH_CONNECTOR_WORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "for",
        "of",
        "with",
        "without",
        "at",
        "from",
        "to",
        "in",
        "on",
        "by",
        "and",
        "or",
    )
)

_SENTENCE_BATCH_BYTES = 1 << 20


# -- scoring ------------------------------------------------------------------------------------
def score_word2phrase(count_a, count_b, count_ab, min_count, n_vocab, n_words):
    """The C tool's score ``(ab - m) / a / b * N``; -inf unless a, b and ab are all >= m."""
    a, b, ab = (np.asarray(x, np.float64) for x in (count_a, count_b, count_ab))
    score = (ab - min_count) / a / b * float(n_words)
    ok = (a >= min_count) & (b >= min_count) & (ab >= min_count)
    return np.where(ok, score, -np.inf)


def score_gensim(count_a, count_b, count_ab, min_count, n_vocab, n_words):
    """gensim's ``original_scorer``: ``(ab - m) / (a * b) * V``, V = distinct words + candidates."""
    denom = np.asarray(count_a, np.int64) * np.asarray(count_b, np.int64)  # exact, as in gensim
    return (np.asarray(count_ab, np.float64) - min_count) / denom.astype(np.float64) * n_vocab


def score_npmi(count_a, count_b, count_ab, min_count, n_vocab, n_words):
    """gensim's ``npmi_scorer``: normalised pointwise mutual information in [-1, 1]; -inf when
    ``ab < m``."""
    n = float(n_words)
    pa, pb = np.asarray(count_a) / n, np.asarray(count_b) / n
    ab = np.asarray(count_ab, np.float64)
    pab = ab / n
    # pab < 1 always (a corpus of N tokens has fewer than N pairs), so -ln(pab) > 0
    score = np.log(pab / (pa * pb)) / -np.log(pab)
    return np.where(ab >= min_count, score, -np.inf)


class _Scorer(NamedTuple):
    score: Callable[..., np.ndarray]
    default_threshold: float
    # least candidate count that can still score above the threshold (saves scoring the rest)
    least_count: Callable[[int, float], int]


_SCORERS: dict[str, _Scorer] = {
    "word2phrase": _Scorer(score_word2phrase, 100.0, lambda m, t: m + 1 if t >= 0 else max(m, 1)),
    "gensim": _Scorer(score_gensim, 10.0, lambda m, t: m + 1 if t >= 0 else 1),
    "npmi": _Scorer(score_npmi, 0.5, lambda m, t: max(m, 1)),
}


# -- the estimator ------------------------------------------------------------------------------
class Phrases:
    """Learn collocations from a corpus and join them into single tokens.

    Parameters
    ----------
    min_count : a candidate seen fewer times than this is never a phrase (and ``min_count`` is
        subtracted from its count when scoring, which favours frequent pairs)
    threshold : a candidate is a phrase when its score is greater than this; None = the default
        of the scoring function (100 for word2phrase, 10 for gensim, 0.5 for npmi)
    scoring : "word2phrase", "gensim" or "npmi" (formulas in the module docstring)
    delimiter : joins the words of a phrase (``new_york``)
    connector_words : words that may sit inside a phrase but never start or end one
        (``bank_of_america``); e.g. ``ENGLISH_CONNECTOR_WORDS``. Empty: plain bigrams.
    passes : learn this many layers, each from the output of the one before (2 = trigrams)

    Attributes
    ----------
    layers_ : list of PhraseLayer, one per pass
    """

    def __init__(
        self,
        min_count: int = 5,
        threshold: float | None = None,
        scoring: Scoring = "gensim",
        delimiter: str = "_",
        connector_words: Iterable[str] = frozenset(),
        passes: int = 1,
    ):
        self.min_count = min_count
        self.threshold = threshold
        self.scoring = scoring
        self.delimiter = delimiter
        self.connector_words = connector_words
        self.passes = passes

    def get_params(self) -> dict:
        """The constructor's parameters (plain Python values: JSON-able once checked)."""
        return {
            "min_count": _plain(self.min_count),
            "threshold": _plain(self.threshold),
            "scoring": self.scoring,
            "delimiter": self.delimiter,
            "connector_words": sorted(self.connector_words),
            "passes": _plain(self.passes),
        }

    def _check_params(self) -> tuple[_Scorer, float, bytes, Connectors]:
        if self.scoring not in _SCORERS:
            raise ValueError(f"scoring must be one of {sorted(_SCORERS)}, got {self.scoring!r}")
        scorer = _SCORERS[self.scoring]
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, int | np.integer):
            raise ValueError(f"min_count must be an integer, got {self.min_count!r}")
        if self.min_count < 0:
            raise ValueError(f"min_count must be >= 0, got {self.min_count}")
        threshold = scorer.default_threshold if self.threshold is None else self.threshold
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise ValueError(f"threshold must be a number, got {self.threshold!r}") from None
        if not np.isfinite(threshold):
            raise ValueError(f"threshold must be finite, got {threshold}")
        if self.scoring == "npmi" and not -1.0 <= threshold < 1.0:
            raise ValueError(f"npmi scores lie in [-1, 1]: threshold {threshold} finds nothing")
        if isinstance(self.passes, bool) or not isinstance(self.passes, int | np.integer):
            raise ValueError(f"passes must be an integer, got {self.passes!r}")
        if self.passes < 1:
            raise ValueError(f"passes must be >= 1, got {self.passes}")
        if not isinstance(self.delimiter, str) or not self.delimiter:
            raise ValueError(f"delimiter must be a non-empty string, got {self.delimiter!r}")
        delim = self.delimiter.encode("utf-8")
        if len(delim.split()) != 1 or delim.split()[0] != delim:
            raise ValueError(f"delimiter must not contain whitespace, got {self.delimiter!r}")
        if isinstance(self.connector_words, str | bytes):
            raise ValueError("connector_words must be a collection of words, not one string")
        conn = []
        for w in self.connector_words:
            if not isinstance(w, str) or not w or len(w.encode("utf-8").split()) != 1:
                raise ValueError(f"connector word {w!r} is not a non-empty word without spaces")
            conn.append(w.encode("utf-8"))
        return scorer, threshold, delim, Connectors(conn)

    # -- learning -----------------------------------------------------------------------------
    def fit(self, source: str | os.PathLike | Iterable[list[str]]) -> Phrases:
        """Learn ``passes`` layers of phrases from a corpus (path or iterable of token lists,
        read once); returns self."""
        from wordvec.kernels import phrases as k

        scorer, threshold, delim, connectors = self._check_params()
        raw = scan_corpus(source)
        tokens, line_ends, words, counts = raw.tokens, raw.line_ends, raw.words, raw.counts
        conn_index = {w: i + 1 for i, w in enumerate(connectors.words)}
        layers = []
        for p in range(self.passes):
            slot_conn = np.array([conn_index.get(w, 0) for w in words], np.int32)
            layer = learn_layer(
                tokens,
                line_ends,
                words,
                counts,
                slot_conn,
                connectors,
                scorer,
                self.min_count,
                threshold,
            )
            layers.append(layer)
            if p + 1 == self.passes:
                break
            # join this layer's phrases in the encoded corpus: the next pass learns from that
            tables = LayerTables(layer, connectors)
            slot_word = slot_map(words, layer.words)
            phrase_slot, words = phrase_slots(layer, words, connectors, delim)  # new slots
            tokens, line_ends = k.apply_ids(
                tokens, line_ends, slot_word, slot_conn, tables.phrases, phrase_slot
            )
            counts = np.bincount(tokens, minlength=len(words)).astype(np.int64)
        self.layers_ = layers
        self._connectors = connectors
        self._delim = delim
        return self

    def _fitted(self) -> list[PhraseLayer]:
        if not hasattr(self, "layers_"):
            raise ValueError("this Phrases model is not fitted yet: call fit(corpus) first")
        return self.layers_

    # -- applying -----------------------------------------------------------------------------
    def transform(self, sentences: Iterable[list[str]]) -> Iterator[list[str]]:
        """Yield each sentence (a list of str tokens) with its phrases joined, lazily."""
        stream = Stream(self._fitted(), self._connectors, self._delim)
        batch: list[bytes] = []
        size = 0
        for i, sent in enumerate(sentences):
            if isinstance(sent, str | bytes):
                raise ValueError(f"sentence {i} is a {type(sent).__name__}; expected a list of str")
            line = " ".join(sent).encode("utf-8") + b"\n"
            if len(line.split()) != len(sent):
                raise ValueError(
                    f"sentence {i} has an empty token or a token containing whitespace"
                )
            batch.append(line)
            size += len(line)
            if size >= _SENTENCE_BATCH_BYTES:
                yield from _split_lines(stream.feed(np.frombuffer(b"".join(batch), np.uint8), True))
                batch, size = [], 0
        if batch:
            yield from _split_lines(stream.feed(np.frombuffer(b"".join(batch), np.uint8), True))

    def transform_file(
        self,
        source: str | os.PathLike,
        output: str | os.PathLike,
        block_bytes: int = BLOCK_BYTES,
    ) -> int:
        """Stream a corpus (file, directory, .gz/.bz2/.xz) to ``output`` with phrases joined.

        The text is copied byte for byte except for the whitespace inside each phrase, which
        becomes the delimiter; lines stay lines. The output is written atomically, compressed
        when its name ends in .gz/.bz2/.xz. Returns the number of phrases joined.
        """
        stream = Stream(self._fitted(), self._connectors, self._delim)
        files = corpus_files(Path(source))
        output = Path(output)
        opener = OPENERS.get(output.suffix.lower())
        with native.atomic_write(output) as raw:
            f = opener(raw, "wb") if opener else raw
            try:
                last = b"\n"
                for path in files:
                    for buf, final in read_blocks(path, block_bytes):
                        out = stream.feed(buf, final)
                        if out.size:
                            f.write(out)
                            last = out[-1:].tobytes()
                    if last != b"\n":  # the next file starts a new sentence
                        f.write(b"\n")
                        last = b"\n"
            finally:
                if opener:
                    f.close()
        return stream.joined

    def export_phrases(self) -> dict[str, float]:
        """Every phrase of every layer, joined by the delimiter, -> its score (as gensim's
        ``export_phrases``)."""
        out = {}
        for layer in self._fitted():
            for text, score in zip(
                phrase_texts(layer, self._connectors, self._delim),
                layer.score.tolist(),
                strict=True,
            ):
                out[text.decode("utf-8", "replace")] = score
        return out

    def top_phrases(self, n: int = 20) -> list[tuple[str, int, float]]:
        """The ``n`` most frequent phrases of all layers: (phrase, count, score)."""
        rows = []
        for layer in self._fitted():
            texts = phrase_texts(layer, self._connectors, self._delim)
            for i in np.argsort(-layer.count, kind="stable")[:n]:
                rows.append(
                    (
                        texts[i].decode("utf-8", "replace"),
                        int(layer.count[i]),
                        float(layer.score[i]),
                    )
                )
        rows.sort(key=lambda r: -r[1])
        return rows[:n]

    def __len__(self) -> int:
        return sum(len(layer) for layer in self._fitted())

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the learned phrases in the native format (``Phrases.load`` reads them back)."""
        layers = self._fitted()
        conn_bytes, conn_offsets = _arena(self._connectors.words)
        arrays = {"connector_bytes": conn_bytes, "connector_offsets": conn_offsets}
        stats = []
        for i, layer in enumerate(layers):
            arena, offsets = _arena(layer.words)
            arrays.update(
                {
                    f"{i}.word_bytes": arena,
                    f"{i}.word_offsets": offsets,
                    f"{i}.first": layer.first,
                    f"{i}.second": layer.second,
                    f"{i}.inner": layer.inner,
                    f"{i}.count": layer.count,
                    f"{i}.score": layer.score,
                }
            )
            stats.append({"n_words": layer.n_words, "n_vocab": layer.n_vocab})
        params = self.get_params()
        params["connector_words"] = []  # stored exactly, as bytes, in the arrays
        meta = {"kind": MODEL_KIND, "version": FORMAT_VERSION, "params": params, "layers": stats}
        native.save_native(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Phrases:
        """Read a model written by ``save``; a damaged or foreign file raises FormatError."""
        meta, arrays = native.load_native(path)
        if meta.get("kind") != MODEL_KIND:
            raise native.FormatError(f"{path}: holds {meta.get('kind')!r}, not a Phrases model")
        if meta.get("version") != FORMAT_VERSION:
            raise native.FormatError(f"{path}: Phrases format version {meta.get('version')!r}")
        try:
            conn_words = _unarena(arrays["connector_bytes"], arrays["connector_offsets"])
            params = dict(meta["params"])
            params["connector_words"] = [w.decode("utf-8") for w in conn_words]
            model = cls(**params)
            _, _, delim, connectors = model._check_params()
            layers = []
            for i, st in enumerate(meta["layers"]):
                words = _unarena(arrays[f"{i}.word_bytes"], arrays[f"{i}.word_offsets"])
                layer = PhraseLayer(
                    words,
                    *(_typed(arrays[f"{i}.{n}"], d) for n, d in LAYER_ARRAYS),
                    n_words=int(st["n_words"]),
                    n_vocab=int(st["n_vocab"]),
                )
                check_layer(layer, connectors)
                layers.append(layer)
        except (KeyError, TypeError, ValueError, UnicodeDecodeError) as e:
            if isinstance(e, native.FormatError):
                raise
            raise native.FormatError(f"{path}: inconsistent Phrases file: {e}") from None
        if len(layers) != model.passes:
            raise native.FormatError(f"{path}: {len(layers)} layers, but passes={model.passes}")
        model.layers_, model._connectors, model._delim = layers, connectors, delim
        return model


# -- helpers ------------------------------------------------------------------------------------
def _plain(x):
    """A NumPy scalar as the Python number it holds (for JSON); anything else unchanged."""
    return x.item() if isinstance(x, np.generic) else x


def _split_lines(data: np.ndarray) -> Iterator[list[str]]:
    text = data.tobytes().decode("utf-8")
    for line in text.split("\n")[:-1]:
        yield line.split(" ") if line else []


def _arena(words: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(words) + 1, np.int64)
    np.cumsum([len(w) for w in words], out=offsets[1:])
    return np.frombuffer(b"".join(words), np.uint8).copy(), offsets


def _unarena(arena: np.ndarray, offsets: np.ndarray) -> list[bytes]:
    if arena.dtype != np.uint8 or offsets.dtype != np.int64 or offsets.ndim != 1:
        raise ValueError("word arrays have the wrong dtype")
    if (
        offsets.size == 0
        or offsets[0] != 0
        or offsets[-1] != arena.size
        or np.any(np.diff(offsets) <= 0)
    ):
        raise ValueError("word offsets are not increasing within the word bytes")
    data = arena.tobytes()
    words = [data[s:e] for s, e in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    if any(len(w.split()) != 1 for w in words):
        raise ValueError("a stored word is empty or holds whitespace")
    return words


def _typed(a: np.ndarray, dtype) -> np.ndarray:
    if a.dtype != dtype or a.ndim != 1:
        raise ValueError(
            f"an array has dtype {a.dtype} and {a.ndim} dimensions, not 1-d {np.dtype(dtype)}"
        )
    return a
