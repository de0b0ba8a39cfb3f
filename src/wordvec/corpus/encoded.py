"""The training corpus: word ids packed two bytes a token, with an escape for rare ids.

``encode`` maps a raw scan's slots to vocabulary ids and packs them in place (dropping words
outside the vocabulary and the sentences left empty); ``split_long`` cuts long sentences into
pieces for training without dropping a token; ``checksum`` identifies a corpus.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from wordvec.corpus.buffers import anon_array, release
from wordvec.formats.native import UnicodeErrors
from wordvec.kernels import ESCAPE  # in ``EncodedCorpus.ids``: the id is the next one in ``rare``

if TYPE_CHECKING:
    from wordvec.corpus.reader import RawScan


@dataclass
class EncodedCorpus:
    """The corpus as vocabulary ids, two bytes a token: ``ids``: uint16[n] holds ids below
    ``ESCAPE``; larger ids (rare words of a big vocabulary) are ``ESCAPE`` there and stored in
    order in ``rare``: int32[r]. Sentence ``i`` is tokens ``bounds[i]:bounds[i + 1]`` with
    ``bounds``: int64[s + 1]."""

    ids: np.ndarray
    rare: np.ndarray
    bounds: np.ndarray
    raw_tokens: int  # every token read, in the vocabulary or not

    @classmethod
    def from_ids(cls, ids: np.ndarray, bounds: np.ndarray, raw_tokens: int) -> EncodedCorpus:
        """Pack int32 word ids (a copy; ``build_vocab`` packs in place with ``encode_packed``)."""
        ids = np.asarray(ids, np.int32)
        rare = ids[ids >= ESCAPE]
        packed = np.minimum(ids, ESCAPE).astype(np.uint16)
        return cls(packed, rare, np.asarray(bounds, np.int64), raw_tokens)

    @property
    def n_tokens(self) -> int:
        return int(self.ids.shape[0])

    def token_ids(self) -> np.ndarray:
        """All tokens as int32 word ids (unpacked; for inspection and tests)."""
        out = self.ids.astype(np.int32)
        out[self.ids == ESCAPE] = self.rare
        return out

    def rare_starts(self, bounds: np.ndarray) -> np.ndarray:
        """int64[len(bounds)]: index in ``rare`` of the first escaped token at or after each
        bound (a sentence start)."""
        return np.searchsorted(np.flatnonzero(self.ids == ESCAPE), bounds).astype(np.int64)


def encode(scan: RawScan, slot_to_id: np.ndarray) -> EncodedCorpus:
    """Map the scan's slots to word ids and pack them, in place and in one pass, dropping the
    -1s and empty sentences; the memory the packed ids no longer need goes back to the OS."""
    from wordvec.kernels.scan import encode_packed

    tokens = scan.tokens
    line_ends = scan.line_ends.copy()
    rare, rare_buf = anon_array(tokens.shape[0], np.int32)  # pages cost only when written
    n, n_lines, r = encode_packed(
        tokens, line_ends, line_ends.shape[0], slot_to_id, tokens.view(np.uint16), rare, ESCAPE
    )
    if scan.buffer is not None:
        release(scan.buffer, 2 * n)
    bounds = np.concatenate([[0], line_ends[:n_lines]])
    rare = rare[:r].copy()
    rare_buf.close()
    return EncodedCorpus(tokens.view(np.uint16)[:n], rare, bounds.astype(np.int64), scan.raw_tokens)


def encode_with(
    scan: RawScan, words: list[str], unicode_errors: UnicodeErrors = "strict"
) -> EncodedCorpus:
    """Encode a scanned corpus with a given vocabulary (words not in it are dropped)."""
    index = {w: i for i, w in enumerate(words)}
    raw_words = scan.words  # built on each access
    slot_to_id = np.full(len(raw_words), -1, np.int32)
    for slot, raw in enumerate(raw_words):
        slot_to_id[slot] = index.get(raw.decode("utf-8", errors=unicode_errors), -1)
    return encode(scan, slot_to_id)


def split_long(enc: EncodedCorpus, max_len: int) -> tuple[EncodedCorpus, int]:
    """Cut sentences longer than ``max_len`` into pieces (no token dropped); returns the number
    of sentences that were cut."""
    lengths = np.diff(enc.bounds)
    pieces = np.maximum(-(-lengths // max_len), 1)
    if np.all(pieces == 1):
        return enc, 0
    starts = np.repeat(enc.bounds[:-1], pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    starts = starts + (np.arange(starts.shape[0]) - first) * max_len
    bounds = np.append(starts, enc.bounds[-1]).astype(np.int64)
    split = int(np.count_nonzero(pieces > 1))
    return EncodedCorpus(enc.ids, enc.rare, bounds, enc.raw_tokens), split


def encode_split(
    scan: RawScan, words: list[str], unicode_errors: UnicodeErrors, max_len: int
) -> tuple[EncodedCorpus, int]:
    """``scan``'s corpus as ids of ``words`` (other words dropped), long sentences cut into
    pieces of at most ``max_len`` tokens: (the corpus, the number of sentences cut)."""
    return split_long(encode_with(scan, words, unicode_errors), max_len)


def checksum(corpus: EncodedCorpus) -> int:
    """CRC-32 of the packed corpus: tells a checkpoint which corpus it was made on."""
    return zlib.crc32(corpus.bounds, zlib.crc32(corpus.rare, zlib.crc32(corpus.ids)))
