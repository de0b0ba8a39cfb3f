"""One layer of phrases: what a pass learns, and how it is applied to a stream of bytes.

``learn_layer`` counts and scores the candidate phrases of an encoded corpus; ``Stream``
applies learned layers, one after another, to raw text blocks (the kernels are in
``wordvec.kernels.phrases``). ``wordvec.corpus.phrases.Phrases`` is the estimator around them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from wordvec.corpus.reader import MAX_TOKEN_BYTES, CorpusError

LAYER_ARRAYS = [
    ("first", np.int32),
    ("second", np.int32),
    ("inner", np.int64),
    ("count", np.int64),
    ("score", np.float64),
]


# -- one layer of phrases -----------------------------------------------------------------------
@dataclass
class PhraseLayer:
    """The phrases learned in one pass.

    ``words``: list of bytes, the words at either end of some phrase; per phrase: ``first``,
    ``second`` int32 indices into ``words``; ``inner`` int64 connector run between them (0 =
    adjacent; see ``wordvec.kernels.phrases``); ``count`` int64 times seen; ``score`` float64.
    ``n_words``: tokens in the corpus this pass learned from; ``n_vocab``: distinct words plus
    distinct candidates there.
    """

    words: list[bytes]
    first: np.ndarray
    second: np.ndarray
    inner: np.ndarray
    count: np.ndarray
    score: np.ndarray
    n_words: int
    n_vocab: int

    def __len__(self) -> int:
        return int(self.first.shape[0])


class Connectors:
    """Connector words in a fixed (sorted) order: index i + 1 is ``words[i]``; run encoding."""

    def __init__(self, words: Iterable[bytes]):
        self.words = sorted(set(words))
        self.bits = max(len(self.words).bit_length(), 1)
        self.max_run = 62 // self.bits if self.words else 0

    def decode(self, run: int) -> list[bytes]:
        out = []
        mask = (1 << self.bits) - 1
        while run:
            out.append(self.words[(run & mask) - 1])
            run >>= self.bits
        return out[::-1]


class LayerTables:
    """A layer's lookup tables for the kernels: ``phrases``, the phrase table
    (``kernels.phrases.PhraseTable``), and ``words``, a word table for raw bytes (``WordTable``)."""

    def __init__(self, layer: PhraseLayer, connectors: Connectors):
        from wordvec.kernels import phrases as k

        ptab = k.build_phrase_table(layer.first, layer.second, layer.inner)
        self.phrases = k.PhraseTable(
            ptab=ptab,
            first=layer.first,
            second=layer.second,
            inner=layer.inner,
            bits=connectors.bits,
            max_run=connectors.max_run,
        )
        words = layer.words + connectors.words  # ids >= len(layer.words) are connectors
        arena = np.frombuffer(b"".join(words), np.uint8) if words else np.zeros(0, np.uint8)
        offsets = np.zeros(len(words) + 1, np.int64)
        np.cumsum([len(w) for w in words], out=offsets[1:])
        self.words = k.WordTable(
            wtab=k.build_word_table(arena, offsets),
            arena=arena,
            offsets=offsets,
            n_words=len(layer.words),
        )


class Stream:
    """Applies the layers, one after another, to a stream of byte blocks."""

    def __init__(self, layers: list[PhraseLayer], connectors: Connectors, delimiter: bytes):
        from wordvec.kernels import phrases as k

        self.k = k
        self.layers = layers
        self.tables = [LayerTables(layer, connectors) for layer in layers]
        self.connectors = connectors
        self.delim = np.frombuffer(delimiter, np.uint8)
        self.carry = [np.zeros(0, np.uint8) for _ in layers]
        self.joined = 0

    def feed(self, data: np.ndarray, final: bool) -> np.ndarray:
        """Bytes of ``data`` (plus what earlier calls held back), phrases joined."""
        k = self.k
        if not data.flags.writeable:  # one array type for the kernel: one compiled version
            data = data.copy()
        for i, t in enumerate(self.tables):
            buf = np.concatenate((self.carry[i], data)) if self.carry[i].size else data
            out = np.empty(buf.shape[0] * max(self.delim.shape[0], 1), np.uint8)
            used, n, joined, status = k.apply_bytes(
                buf, buf.shape[0], final, t.words, t.phrases, self.delim, out, MAX_TOKEN_BYTES
            )
            if status != k.OK:
                raise CorpusError(f"a token longer than {MAX_TOKEN_BYTES:,} bytes: not text")
            self.carry[i] = buf[used:].copy()
            self.joined += joined
            data = out[:n]
        return data


def learn_layer(
    tokens, line_ends, words, counts, slot_conn, connectors, scorer, min_count, threshold
) -> PhraseLayer:
    """Count the candidates of an encoded corpus, score them, keep those above the threshold."""
    from wordvec.kernels import phrases as k

    n_slots = len(words)
    if connectors.words:
        hi, lo = k.candidate_keys(
            tokens, line_ends, slot_conn, n_slots, connectors.bits, connectors.max_run
        )
    else:
        hi, lo = k.pair_keys(tokens, line_ends, n_slots), np.zeros(0, np.int64)
    hi, lo = k.sort_keys(hi, lo)
    distinct, pair, inner, cab = k.count_sorted(hi, lo, scorer.least_count(min_count, threshold))
    del hi, lo
    a, b = pair // n_slots, pair % n_slots
    n_unigrams = int(np.count_nonzero((counts > 0) & (slot_conn == 0)))
    n_words = int(tokens.shape[0])
    n_vocab = n_unigrams + int(distinct)  # gensim's len(vocab)
    with np.errstate(divide="ignore"):
        score = scorer.score(counts[a], counts[b], cab, min_count, n_vocab, n_words)
    keep = np.flatnonzero(score > threshold)
    a, b = a[keep], b[keep]
    slots = np.unique(np.concatenate((a, b)))
    return PhraseLayer(
        words=[words[s] for s in slots.tolist()],
        first=np.searchsorted(slots, a).astype(np.int32),
        second=np.searchsorted(slots, b).astype(np.int32),
        inner=inner[keep],
        count=cab[keep],
        score=score[keep],
        n_words=n_words,
        n_vocab=n_vocab,
    )


def slot_map(words: list[bytes], layer_words: list[bytes]) -> np.ndarray:
    """int32[len(words)]: each slot's index in ``layer_words``, -1 if absent."""
    index = {w: i for i, w in enumerate(layer_words)}
    return np.array([index.get(w, -1) for w in words], np.int32)


def phrase_texts(layer: PhraseLayer, connectors: Connectors, delim: bytes) -> list[bytes]:
    w = layer.words
    return [
        delim.join([w[a], *connectors.decode(r), w[b]])
        for a, b, r in zip(
            layer.first.tolist(), layer.second.tolist(), layer.inner.tolist(), strict=True
        )
    ]


def phrase_slots(layer, words, connectors, delim) -> tuple[np.ndarray, list[bytes]]:
    """Slot id of each joined phrase (a new slot unless the corpus already holds the token)."""
    index = {w: i for i, w in enumerate(words)}
    words = list(words)
    slots = np.empty(len(layer), np.int32)
    for p, text in enumerate(phrase_texts(layer, connectors, delim)):
        s = index.get(text)
        if s is None:
            s = index[text] = len(words)
            words.append(text)
        slots[p] = s
    return slots, words


def check_layer(layer: PhraseLayer, connectors: Connectors) -> None:
    n = len(layer.first)
    if any(len(getattr(layer, name)) != n for name, _ in LAYER_ARRAYS):
        raise ValueError("phrase arrays differ in length")
    nw = len(layer.words)
    for name in ("first", "second"):
        x = getattr(layer, name)
        if n and (x.min() < 0 or x.max() >= nw):
            raise ValueError(f"{name} indexes words outside 0..{nw - 1}")
    if n and (
        layer.inner.min() < 0 or layer.inner.max() >= 1 << (connectors.bits * connectors.max_run)
    ):
        raise ValueError("a connector run does not fit the connector words")
    if n and layer.inner.any():
        for r in np.unique(layer.inner).tolist():
            mask = (1 << connectors.bits) - 1
            while r:
                if (r & mask) == 0 or (r & mask) > len(connectors.words):
                    raise ValueError("a connector run names an unknown connector word")
                r >>= connectors.bits
    if n and not np.isfinite(layer.score).all():
        raise ValueError("a phrase score is not finite")
