"""Vocabulary: choosing the words (trimming, frequency sort), subsampling and noise tables.

``build_vocab`` turns a raw scan (``wordvec.corpus.reader``) into a frequency-sorted vocabulary and
packs the corpus with it (``wordvec.corpus.encoded``): words under ``min_count`` (or cut by
``max_final_vocab``) are removed from the token stream, as the C tool and gensim do, before any
window is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wordvec.corpus.encoded import EncodedCorpus, UnicodeErrors, encode
from wordvec.corpus.reader import CorpusError, RawScan


@dataclass
class Vocab:
    """Words sorted by decreasing count (ties keep first-seen order).

    ``words``: list[str] of length V; ``counts``: int64[V].
    """

    words: list[str]
    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.words)


def effective_min_count(counts: np.ndarray, min_count: int, max_final_vocab: int | None) -> int:
    """gensim's rule: raise ``min_count`` just enough to keep at most ``max_final_vocab`` words."""
    if max_final_vocab is None or max_final_vocab >= counts.shape[0]:
        return min_count
    sorted_counts = np.sort(counts)[::-1]
    return max(min_count, int(sorted_counts[max_final_vocab]) + 1)


def build_vocab(
    scan: RawScan,
    min_count: int = 5,
    max_final_vocab: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
) -> tuple[Vocab, EncodedCorpus]:
    """Decide the vocabulary and encode the scanned corpus with it (reuses the scan's arrays)."""
    threshold = effective_min_count(scan.counts, min_count, max_final_vocab)
    kept = np.flatnonzero(scan.counts >= threshold)
    if kept.shape[0] == 0:
        raise CorpusError(
            f"the vocabulary is empty: no word occurs at least {threshold} times "
            f"(the corpus has {scan.counts.shape[0]:,} distinct words, "
            f"the most frequent occurs {int(scan.counts.max(initial=0)):,} times); lower min_count"
        )
    # decreasing count; a stable sort keeps first-seen order among equal counts
    kept = kept[np.argsort(-scan.counts[kept], kind="stable")]
    slot_to_id = np.full(scan.counts.shape[0], -1, np.int32)
    fast = _decode_all(scan, kept)
    if fast is not None:
        slot_to_id[kept] = np.arange(kept.shape[0], dtype=np.int32)
        return Vocab(fast, scan.counts[kept]), encode(scan, slot_to_id)
    # some word is not valid UTF-8: decode one by one, as ``unicode_errors`` says
    all_words = scan.words
    words: list[str] = []
    counts: list[int] = []
    index: dict[str, int] = {}
    for slot in kept:
        raw = all_words[slot]
        try:
            word = raw.decode("utf-8", errors=unicode_errors)
        except UnicodeDecodeError as e:
            raise CorpusError(
                f"invalid UTF-8 in word {raw!r} ({e.reason}); "
                "pass unicode_errors='replace' or 'ignore' to accept it"
            ) from None
        if not word:  # all its bytes were invalid and ignored
            continue
        i = index.get(word)
        if i is None:  # invalid bytes replaced may make two byte strings one word: merge them
            i = index[word] = len(words)
            words.append(word)
            counts.append(0)
        counts[i] += int(scan.counts[slot])
        slot_to_id[slot] = i
    counts_arr = np.asarray(counts, np.int64)
    if len(words) > 1 and np.any(np.diff(counts_arr) > 0):  # merges can break the order
        order = np.argsort(-counts_arr, kind="stable")
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.shape[0])
        words = [words[i] for i in order]
        counts_arr = counts_arr[order]
        slot_to_id = np.where(slot_to_id >= 0, inverse[slot_to_id], -1).astype(np.int32)
    return Vocab(words, counts_arr), encode(scan, slot_to_id)


def _decode_all(scan: RawScan, slots: np.ndarray) -> list[str] | None:
    """The words ``slots`` decoded as UTF-8 in one call, or None if any of them is invalid.
    (Distinct valid byte strings decode to distinct words, so no two slots merge.)"""
    from wordvec.kernels.scan import gather_words

    blob = gather_words(slots, scan.word_offsets, scan.word_bytes, ord("\n"))
    try:
        return blob[:-1].tobytes().decode("utf-8").split("\n") if slots.shape[0] else []
    except UnicodeDecodeError:
        return None


def merge_counts(
    old: Vocab, scan: RawScan, min_count: int, unicode_errors: UnicodeErrors = "strict"
) -> tuple[Vocab, np.ndarray]:
    """Vocabulary for continued training: old words with old + new counts, plus new words whose
    new count reaches ``min_count``; sorted by count. Returns (vocab, old_row: int64[V], the
    row each word had in ``old`` or -1 for a new word)."""
    counts = dict(zip(old.words, old.counts.tolist(), strict=True))
    for raw, c in zip(scan.words, scan.counts.tolist(), strict=True):
        w = raw.decode("utf-8", errors=unicode_errors)
        counts[w] = counts.get(w, 0) + c
    old_index = {w: i for i, w in enumerate(old.words)}
    words = [w for w, c in counts.items() if w in old_index or c >= min_count]
    words.sort(key=lambda w: -counts[w])  # stable: old words first among equal counts
    vocab = Vocab(words, np.array([counts[w] for w in words], np.int64))
    return vocab, np.array([old_index.get(w, -1) for w in words], np.int64)


def keep_thresholds(counts: np.ndarray, sample: float) -> np.ndarray:
    """Subsampling as in the C tool and gensim: keep a word with probability
    ``(sqrt(c / t) + 1) * t / c`` where ``t = sample * total`` (capped at 1).

    Returns uint64[V]: keep the word when a uniform 32-bit random number is below the value.
    """
    if sample <= 0:
        return np.full(counts.shape[0], 1 << 32, np.uint64)
    t = sample * counts.sum()
    c = counts.astype(np.float64)
    keep = np.minimum((np.sqrt(c / t) + 1.0) * t / c, 1.0)
    return np.round(keep * 2.0**32).astype(np.uint64)


def noise_log_probs(counts: np.ndarray, exponent: float) -> np.ndarray:
    """float64[V] ``log P_n(w)`` of the noise distribution ``P_n(w) ~ count(w) ** exponent``
    (what NCE corrects its scores by; ``noise_alias`` draws from the same distribution)."""
    logp = exponent * np.log(np.maximum(counts, 1).astype(np.float64))
    return logp - np.logaddexp.reduce(logp)


def noise_alias(counts: np.ndarray, exponent: float) -> tuple[np.ndarray, np.ndarray]:
    """Walker alias table for the noise distribution ``P(w) ~ count(w) ** exponent``.

    Returns ``(threshold: uint64[V], alias: int32[V])``: draw ``i`` uniformly, keep it when a
    uniform 32-bit number is below ``threshold[i]``, otherwise take ``alias[i]``. O(1) per draw.
    """
    p = counts.astype(np.float64) ** exponent
    p *= counts.shape[0] / p.sum()  # scaled so the mean bucket holds exactly 1
    alias = np.arange(counts.shape[0], dtype=np.int32)
    small = [i for i in range(p.shape[0]) if p[i] < 1.0]
    large = [i for i in range(p.shape[0]) if p[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large[-1]
        alias[s] = g
        p[g] -= 1.0 - p[s]
        if p[g] < 1.0:
            large.pop()
            small.append(g)
    for i in small + large:  # left over through rounding: full buckets
        p[i] = 1.0
    return np.round(np.minimum(p, 1.0) * 2.0**32).astype(np.uint64), alias
