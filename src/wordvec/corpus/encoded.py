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
from wordvec.corpus.workdir import FileArray, WorkDir
from wordvec.formats.native import UnicodeErrors
from wordvec.kernels import ESCAPE  # in ``EncodedCorpus.ids``: the id is the next one in ``rare``

CHUNK = 1 << 20  # tokens read at a time where a corpus on disk must not all come into memory

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
    file: FileArray | None = None  # the file behind ``ids`` when they are on disk

    @property
    def on_disk(self) -> bool:
        return self.file is not None

    def release(self, t0: int, t1: int) -> None:
        """Done with tokens ``t0 .. t1 - 1`` for now: on disk, their pages go back to the OS
        (read again from the file when needed); in memory, nothing happens."""
        if self.file is not None:
            self.file.release(t0, t1)

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
        if self.rare.shape[0] == 0:
            return np.zeros(bounds.shape[0], np.int64)
        where = [np.flatnonzero(ids == ESCAPE) + a for a, ids in self.pieces()]
        return np.searchsorted(np.concatenate(where), bounds).astype(np.int64)

    def pieces(self, size: int = CHUNK):
        """Yield (start, ids) for consecutive pieces of at most ``size`` tokens; on disk, a
        piece's pages go back to the OS once the next is asked for (so reading the whole
        corpus costs one piece of memory)."""
        for a in range(0, self.n_tokens, size):
            b = min(a + size, self.n_tokens)
            yield a, self.ids[a:b]
            self.release(a, b)

    def to_disk(self, work: WorkDir) -> EncodedCorpus:
        """The same corpus with its ids in a file of ``work`` (the memory they held goes)."""
        f = FileArray(work, "corpus.u16", self.n_tokens, np.uint16)
        for a, ids in self.pieces():
            f.array[a : a + ids.shape[0]] = ids
            f.release(a, a + ids.shape[0])
        return EncodedCorpus(f.freeze(self.n_tokens), self.rare, self.bounds, self.raw_tokens, f)


def encode(scan: RawScan, slot_to_id: np.ndarray) -> EncodedCorpus:
    """Map the scan's slots to word ids and pack them, in place and in one pass, dropping the
    -1s and empty sentences; the memory the packed ids no longer need goes back to the OS. A
    scan spilled to a file is packed in that file, a range at a time, and stays there."""
    from wordvec.kernels.scan import encode_packed

    tokens, f = scan.tokens, scan.file
    line_ends = scan.line_ends.copy()
    rare, rare_buf = anon_array(tokens.shape[0], np.int32)  # pages cost only when written
    packed = tokens.view(np.uint16)
    st = np.zeros(5, np.int64)
    n_all = tokens.shape[0]
    step = CHUNK if f is not None else max(n_all, 1)
    for a in range(0, max(n_all, 1), step):
        b = min(a + step, n_all)
        encode_packed(
            tokens,
            a,
            b,
            b == n_all,
            line_ends,
            line_ends.shape[0],
            slot_to_id,
            packed,
            rare,
            ESCAPE,
            st,
        )
        if f is not None:
            f.release(0, b)  # read up to b, written up to st[0] < b: all in the file now
    n, n_lines, r = int(st[0]), int(st[3]), int(st[1])
    if scan.buffer is not None:
        release(scan.buffer, 2 * n)
    bounds = np.concatenate([[0], line_ends[:n_lines]])
    rare = rare[:r].copy()
    rare_buf.close()
    ids = f.freeze(n, np.uint16) if f is not None else packed[:n]
    return EncodedCorpus(ids, rare, bounds.astype(np.int64), scan.raw_tokens, f)


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
    return EncodedCorpus(enc.ids, enc.rare, bounds, enc.raw_tokens, enc.file), split


def encode_split(
    scan: RawScan, words: list[str], unicode_errors: UnicodeErrors, max_len: int
) -> tuple[EncodedCorpus, int]:
    """``scan``'s corpus as ids of ``words`` (other words dropped), long sentences cut into
    pieces of at most ``max_len`` tokens: (the corpus, the number of sentences cut)."""
    return split_long(encode_with(scan, words, unicode_errors), max_len)


def checksum(corpus: EncodedCorpus) -> int:
    """CRC-32 of the packed corpus: tells a checkpoint which corpus it was made on."""
    crc = 0
    for _, ids in corpus.pieces():
        crc = zlib.crc32(ids, crc)
    return zlib.crc32(corpus.bounds, zlib.crc32(corpus.rare, crc))
