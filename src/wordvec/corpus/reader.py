"""Corpus input: streaming readers that count words and encode the text as int32 ids in one pass.

Accepted inputs: a text file (one sentence per line, or one huge text8-style line of any length),
a directory of such files (read in sorted order, recursively), ``.gz``/``.bz2``/``.xz`` files, or a
Python iterable of token lists (read once: it need not be restartable). The text is read in
blocks of bytes and never held as Python strings; a block always ends on whitespace, so no token
is ever cut or lost. Nothing is truncated: a sentence of any length is kept whole here and only
cut into pieces for training, where every token is still trained on.

Concessions: tokens are split on ASCII whitespace only (as the C tool does); words are decoded as
UTF-8 once, for the vocabulary, with ``unicode_errors`` deciding what invalid bytes do.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import lzma
import mmap
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wordvec.corpus.buffers import anon_array, release
from wordvec.corpus.workdir import FileArray, WorkDir

BLOCK_BYTES = 1 << 22  # 4 MiB read at a time
PARALLEL_MIN_BYTES = 1 << 24  # a plain file this big is scanned by several threads
MAX_TOKEN_BYTES = 1 << 20  # a "word" longer than this means the input is not text
MOVE_TOKENS = 1 << 18  # ids moved at a time (to a file, or down a buffer): 1 MiB in flight

OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


CorpusInput = str | os.PathLike | Iterable[list[str]]  # a file, a folder, or token lists
ReadProgress = Callable[[int], None]  # bytes of the corpus read so far


class CorpusError(ValueError):
    """The corpus cannot be read as text: missing, empty, binary, or holding a giant token."""


@dataclass
class RawScan:
    """What one pass over a corpus found, before the vocabulary is decided.

    ``tokens``: int32[n] slot id of every token (-1 for words pruned, when ``file`` holds the
    ids and pruning made a second pass); ``line_ends``: int64[s] token index where each
    non-empty sentence ends; ``counts``: int64[slots]; slot ``i``'s word is the bytes
    ``word_bytes[word_offsets[i]:word_offsets[i + 1]]`` (uint8, int64[slots + 1]).
    ``pruned_words``: how many words ``max_vocab_size`` forced out while scanning.
    """

    tokens: np.ndarray
    line_ends: np.ndarray
    counts: np.ndarray
    word_bytes: np.ndarray
    word_offsets: np.ndarray
    raw_tokens: int
    pruned_words: int
    buffer: mmap.mmap | None = None  # the memory behind ``tokens``, when it can be released
    file: FileArray | None = None  # the file behind ``tokens`` when the scan spilled them

    @property
    def words(self) -> list[bytes]:
        """Every slot's word as bytes (a new list on each call)."""
        b, o = self.word_bytes.tobytes(), self.word_offsets.tolist()
        return [b[o[i] : o[i + 1]] for i in range(len(o) - 1)]


@dataclass
class Spill:
    """Where the scan's token ids (4 bytes a token) go once they pass ``at_bytes``: a file
    with no name in a work folder made in ``work_dir`` (``wordvec.corpus.workdir``) when it
    is first needed, or at once by ``folder`` (to check it before the scan)."""

    at_bytes: int
    work_dir: str | os.PathLike | None = None
    need: int = 0  # bytes the folder must have free when it is made
    work: WorkDir | None = None

    def folder(self) -> WorkDir:
        if self.work is None:
            self.work = WorkDir(self.work_dir, self.need, "the encoded corpus")
        return self.work

    def close(self) -> None:
        """Remove the folder (the files in it have no name: they live while they are used)."""
        if self.work is not None:
            self.work.close()


class _OverLimit(Exception):
    """A parallel scan found more words than it may hold: scan again in one thread, pruning."""


class _Scanner:
    """Grows the scan buffers on demand and prunes the vocabulary like the C tool."""

    def __init__(
        self,
        max_vocab_size: int | None,
        token_hint: int,
        out: np.ndarray | None = None,
        spill: Spill | None = None,
        reread: bool | None = False,
        halve: bool = False,
    ):
        from wordvec.kernels import scan as k

        self.k = k
        self.table = np.full(2 << 16, -1, np.int64)
        self.whash = np.zeros(1 << 14, np.uint64)
        self.counts = np.zeros(1 << 14, np.int64)
        self.woff = np.zeros((1 << 14) + 1, np.int64)
        self.arena = np.zeros(1 << 18, np.uint8)
        # untouched pages cost no memory, so a generous hint is free
        self.buffer = None
        if out is None:
            out, self.buffer = anon_array(max(token_hint, 1 << 16), np.int32)
        self.out = out
        self.spill, self.file = spill, None
        self.line_ends = np.empty(1 << 12, np.int64)
        self.st = np.zeros(9, np.int64)
        self.max_vocab_size = max_vocab_size
        # True: after a prune the corpus is read again, its ids need not be kept; None: a
        # piece of a parallel scan, which gives up (``_OverLimit``) rather than prune
        self.reread = reread
        self.halve, self.min_reduce = halve, 1  # how ``_prune`` prunes
        self.st[k.LIMIT] = max_vocab_size if max_vocab_size else np.iinfo(np.int64).max
        self.pruned_words = 0
        self.pruned_tokens = 0  # occurrences of pruned words: seen, but no longer counted

    def feed(self, buf: np.ndarray, final: bool) -> None:
        k, st = self.k, self.st
        st[k.POS] = 0
        while True:
            k.scan(
                buf,
                buf.shape[0],
                final,
                self.table,
                self.whash,
                self.counts,
                self.woff,
                self.arena,
                self.out,
                self.line_ends,
                st,
            )
            status = st[k.STATUS]
            if status == k.DONE:
                if self.spill is not None:
                    self._spill()
                return
            if status == k.GROW_TABLE:
                self.table = np.empty(self.table.shape[0] * 2, np.int64)
                k.rehash(self.table, self.whash, self.woff, self.arena, st[k.N_WORDS])
            elif status == k.GROW_WORDS:
                n = self.whash.shape[0] * 2
                self.whash = _grown(self.whash, n)
                self.counts = _grown(self.counts, n)
                self.woff = _grown(self.woff, n + 1)
            elif status == k.GROW_ARENA:
                self.arena = _grown(self.arena, self.arena.shape[0] * 2 + MAX_TOKEN_BYTES)
            elif status == k.GROW_OUT and self.file is not None:
                self.out = self.file.grow(self.out.shape[0] * 3 // 2)
            elif status == k.GROW_OUT:
                out, buffer = anon_array(self.out.shape[0] * 2, np.int32)
                out[: self.out.shape[0]] = self.out
                self.out, self.buffer = out, buffer
            elif status == k.GROW_LINES:
                self.line_ends = _grown(self.line_ends, self.line_ends.shape[0] * 2)
            elif status == k.OVER_LIMIT and self.reread is None:
                raise _OverLimit
            elif status == k.OVER_LIMIT:
                self._prune()
            elif status == k.GIANT:
                raise CorpusError(
                    f"a token of {2**k.LEN_BITS:,} bytes or more: not a text corpus "
                    "(tokens are separated by whitespace)"
                )

    def _spill(self) -> None:
        """Past the spill size, move the token ids to a file; once there, give the pages
        written back to the OS (they stay in the file)."""
        n = int(self.st[self.k.N_OUT])
        if self.file is None:
            if 4 * n <= self.spill.at_bytes:
                return
            self.file = FileArray(self.spill.folder(), "tokens.i32", 2 * n + (1 << 20), np.int32)
            for a in range(0, n, MOVE_TOKENS):  # a piece at a time, each copy let go at once
                b = min(a + MOVE_TOKENS, n)
                self.file.array[a:b] = self.out[a:b]
                self.file.release(a, b)
                if self.buffer is not None:
                    release(self.buffer, 4 * a, 4 * b)
            self.out, self.buffer = self.file.array, None
        self.file.release(0, n)

    def _prune(self) -> None:
        """Drop the rarest words. With a ``max_vocab_size`` the user gave: as the C tool's
        ReduceVocab, those seen fewer than ``min_reduce`` times, raised by one each time until
        the vocabulary fits. Within a budget (``halve``): down to half the limit (room to grow
        before the next prune), with a threshold chosen afresh each time, which does not
        ratchet up with every prune and take frequent words with it."""
        k, st = self.k, self.st
        n = int(st[k.N_WORDS])
        counts = self.counts[:n]
        if self.halve:
            target = max(self.max_vocab_size // 2, 1)
            threshold = int(np.partition(counts, n - target - 1)[n - target - 1]) + 1
            keep = counts >= max(threshold, 2)
        else:
            while True:
                keep = counts >= self.min_reduce
                self.min_reduce += 1
                if keep.sum() <= self.max_vocab_size:
                    break
        self.pruned_tokens += int(self.counts[:n][~keep].sum())
        remap, n_new, used = k.compact_words(keep, self.whash, self.counts, self.woff, self.arena)
        self.pruned_words += n - n_new
        if self.reread:  # the second pass encodes: drop the ids, their memory and their time
            n_out = n_lines = line_start = 0
        else:
            n_out, n_lines, line_start = k.remap_tokens(
                self.out, st[k.N_OUT], self.line_ends, st[k.N_LINES], remap, st[k.LINE_START]
            )
        st[k.N_WORDS], st[k.ARENA] = n_new, used
        st[k.N_OUT], st[k.N_LINES], st[k.LINE_START] = n_out, n_lines, line_start
        k.rehash(self.table, self.whash, self.woff, self.arena, n_new)

    def absorb(self, other: _Scanner) -> np.ndarray:
        """Add the words and counts of ``other`` (which scanned a later part of the corpus) to
        this vocabulary; returns other slot -> slot here. Words new here are appended in the
        order ``other`` first saw them, so the result is what one sequential scan gives."""
        k, st = self.k, self.st
        n, m = int(st[k.N_WORDS]), int(other.st[k.N_WORDS])
        o_used = int(other.st[k.ARENA])
        # make room for every word of ``other`` being new
        cap = self.table.shape[0] // 2
        while 10 * (n + m + 1) > 7 * cap:
            cap *= 2
        if cap > self.table.shape[0] // 2:
            self.table = np.empty(2 * cap, np.int64)
            k.rehash(self.table, self.whash, self.woff, self.arena, n)
        if n + m + 1 >= self.whash.shape[0]:
            self.whash = _grown(self.whash, n + m + 1)
            self.counts = _grown(self.counts, n + m + 1)
            self.woff = _grown(self.woff, n + m + 2)
        if st[k.ARENA] + o_used > self.arena.shape[0]:
            self.arena = _grown(self.arena, int(st[k.ARENA]) + o_used)
        remap, st[k.N_WORDS], st[k.ARENA] = k.absorb(
            self.table,
            self.whash,
            self.counts,
            self.woff,
            self.arena,
            n,
            st[k.ARENA],
            other.whash,
            other.counts,
            other.woff[: m + 1],
            other.arena,
        )
        return remap

    def freeze(self) -> None:
        """Start a second pass that encodes with the vocabulary as it is, counts unchanged."""
        k, st = self.k, self.st
        st[k.N_OUT] = st[k.N_LINES] = st[k.LINE_START] = 0
        st[k.FROZEN] = 1

    def result(self) -> RawScan:
        k, st = self.k, self.st
        n = int(st[k.N_WORDS])
        if st[k.FROZEN] and self.file is None:  # drop the -1s of words the vocabulary lost
            # (on disk they stay, for ``encode`` to drop: a pass over the file costs memory)
            st[k.N_OUT], st[k.N_LINES], st[k.LINE_START] = k.remap_tokens(
                self.out,
                st[k.N_OUT],
                self.line_ends,
                st[k.N_LINES],
                np.arange(n, dtype=np.int32),
                st[k.LINE_START],
            )
        return RawScan(
            tokens=self.out[: st[k.N_OUT]],
            line_ends=self.line_ends[: st[k.N_LINES]].copy(),
            counts=self.counts[:n].copy(),
            word_bytes=self.arena[: st[k.ARENA]].copy(),
            word_offsets=self.woff[: n + 1].copy(),
            raw_tokens=int(self.counts[:n].sum()) + self.pruned_tokens,
            pruned_words=self.pruned_words,
            buffer=self.buffer,
            file=self.file,
        )


def _grown(a: np.ndarray, n: int) -> np.ndarray:
    b = np.empty(n, a.dtype)
    b[: a.shape[0]] = a
    return b


def corpus_files(path: Path) -> list[Path]:
    if not path.exists():
        raise CorpusError(f"corpus not found: {path}")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        if not files:
            raise CorpusError(f"corpus directory holds no files: {path}")
        return files
    return [path]


def open_file(path: Path):
    """A file of a corpus, opened for bytes: decompressed by its suffix (``OPENERS``)."""
    opener = OPENERS.get(path.suffix.lower())
    return opener(path, "rb") if opener else open(path, "rb")


def read_blocks(path: Path, block_bytes: int, start: int = 0, end: int | None = None):
    """Yield (uint8 array, is_last) blocks of a file (of bytes ``start:end`` of a plain file),
    each ending on whitespace. One buffer is reused: a block is valid until the next one."""
    buf = bytearray(block_bytes + MAX_TOKEN_BYTES)  # room for a block after the carried tail
    view = memoryview(buf)
    have = 0  # bytes carried over at the front: the start of a token cut by the last read
    offset = start  # file offset of buf[0]
    remaining = end - start if end is not None else None
    try:
        with open_file(path) as f:
            if start:
                f.seek(start)
            while True:
                want = block_bytes if remaining is None else min(block_bytes, remaining)
                n = f.readinto(view[have : have + want]) if want else 0
                if remaining is not None:
                    remaining -= n
                size = have + n
                nul = buf.find(b"\x00", have, size)
                if nul >= 0:
                    raise CorpusError(
                        f"{path}: NUL byte at offset {offset + nul}: a binary file, not text"
                    )
                data = np.frombuffer(buf, np.uint8, count=size)
                if n == 0:
                    yield data, True
                    return
                cut = max(
                    buf.rfind(c, 0, size) for c in (b" ", b"\n", b"\t", b"\r", b"\x0b", b"\x0c")
                )
                if cut < 0:
                    if size > MAX_TOKEN_BYTES:
                        raise CorpusError(
                            f"{path}: no whitespace in {size:,} bytes from offset {offset}: "
                            "not a text corpus (tokens are separated by whitespace)"
                        )
                    have = size
                    continue
                yield data[: cut + 1], False
                have = size - cut - 1
                buf[:have] = buf[cut + 1 : size]
                offset += cut + 1
    except (OSError, EOFError, lzma.LZMAError) as e:
        if isinstance(e, FileNotFoundError | IsADirectoryError | PermissionError):
            raise CorpusError(f"cannot read corpus {path}: {e.strerror}") from e
        raise CorpusError(f"cannot read corpus {path}: {e}") from e


def _sentence_blocks(sentences: Iterable[list[str]], block_bytes: int):
    """Join token lists into newline-separated UTF-8 blocks, refusing tokens that hold spaces."""
    parts: list[bytes] = []
    size = 0
    for i, sent in enumerate(sentences):
        if isinstance(sent, str):
            raise CorpusError(f"sentence {i} is a str; expected a list of tokens")
        line = " ".join(sent)
        if len(line.split()) != len(sent):
            raise CorpusError(f"sentence {i} has an empty token or a token containing whitespace")
        b = line.encode("utf-8") + b"\n"
        parts.append(b)
        size += len(b)
        if size >= block_bytes:
            yield np.frombuffer(b"".join(parts), np.uint8), True
            parts, size = [], 0
    if parts:
        yield np.frombuffer(b"".join(parts), np.uint8), True


def _cut_points(path: Path, parts: int) -> list[int] | None:
    """Byte offsets that split a plain file into ``parts`` pieces, each cut just after a
    whitespace byte; None if no whitespace is found near a cut."""
    size = path.stat().st_size
    cuts = [0]
    with open(path, "rb") as f:
        for i in range(1, parts):
            f.seek(size * i // parts)
            head = f.read(MAX_TOKEN_BYTES)
            hits = [j for j in (head.find(c) for c in b" \n\t\r\x0b\x0c") if j >= 0]
            if not hits:
                return None
            cut = size * i // parts + min(hits) + 1
            if cut <= cuts[-1] or cut >= size:
                return None
            cuts.append(cut)
    return [*cuts, size]


def _scan_parallel(
    path: Path, cuts: list[int], progress, block_bytes: int, spill: Spill | None, limit: int
) -> _Scanner:
    """Scan the pieces of one file on one thread each, into one token buffer, then merge.
    With ``spill`` the buffer is a file, whose pages go back to the OS as they are written.
    Raises ``_OverLimit`` when a piece finds more than its share of ``limit`` words."""
    hints = [(b - a) // 2 + 1 for a, b in itertools.pairwise(cuts)]
    starts = np.cumsum([0, *hints])
    f = FileArray(spill.folder(), "tokens.i32", int(starts[-1]), np.int32) if spill else None
    out, buf = (f.array, f.buf) if f else anon_array(int(starts[-1]), np.int32)
    share = max(limit // len(hints), 1)
    scanners = [
        _Scanner(share, 0, out[starts[i] : starts[i + 1]], reread=None) for i in range(len(hints))
    ]
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            for data, last in read_blocks(path, block_bytes, cuts[i], cuts[i + 1]):
                scanners[i].feed(data, last and i == len(hints) - 1)
                if f is not None:
                    f.release(starts[i], starts[i] + scanners[i].st[scanners[i].k.N_OUT])
                if progress:
                    with lock:
                        progress(data.shape[0])
        except BaseException as e:  # surfaced in the calling thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(hints))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        if f is not None:
            f.close()
        raise errors[0]
    first, k = scanners[0], scanners[0].k
    n_out, lines = int(first.st[k.N_OUT]), [first.line_ends[: first.st[k.N_LINES]]]
    for i, other in enumerate(scanners[1:], 1):
        remap = first.absorb(other)
        m, n_lines = int(other.st[k.N_OUT]), int(other.st[k.N_LINES])
        _map_down(out, buf, starts[i], n_out, m, remap, f)  # right after the tokens before it
        lines.append(other.line_ends[:n_lines] + n_out)
        n_out += m
    first.out, first.buffer, first.file = out, buf, f
    first.line_ends = np.concatenate(lines)
    first.st[k.N_OUT], first.st[k.N_LINES] = n_out, first.line_ends.shape[0]
    first.st[k.LINE_START] = first.line_ends[-1] if first.line_ends.shape[0] else 0
    release(buf, n_out * 4)
    return first


def _map_down(
    out: np.ndarray, buf: mmap.mmap, src: int, dst: int, n: int, remap, f: FileArray | None
) -> None:
    """out[dst:dst + n] = remap[out[src:src + n]] with dst <= src, a chunk at a time, releasing
    the source pages as soon as they are read (and, in a file ``f``, the pages written): the
    move then costs almost no memory."""
    from wordvec.kernels.scan import map_down

    chunk = MOVE_TOKENS
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        map_down(out, src + a, dst + a, b - a, remap)
        release(buf, max(src + a, dst + n) * 4, (src + b) * 4)
        if f is not None:
            f.release(dst + a, dst + b)


def scan_corpus(
    source: str | os.PathLike | Iterable[list[str]],
    max_vocab_size: int | None = None,
    progress: ReadProgress | None = None,
    block_bytes: int = BLOCK_BYTES,
    workers: int = 1,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
    spill: Spill | None = None,
    halve: bool = False,
) -> RawScan:
    """Read a corpus once: count every word and encode every token as an int32 slot id.

    Parameters
    ----------
    source : path to a file or directory, or an iterable of token lists
    max_vocab_size : prune the rarest words while scanning once there are more words than this
        (the C tool's ``ReduceVocab``: counts of pruned words are lost); None = no limit. If
        pruning happened, a file corpus is read a second time to encode it with the final
        words; an iterable is read once, so occurrences before a word was pruned are lost.
    progress : called with the number of bytes consumed after each block
    workers : threads for one big plain file (at least ``parallel_min_bytes``); the result is
        the same as with one (a piece that finds more than its share of ``max_vocab_size``
        words stops them all, and one thread scans again, pruning)
    spill : move the token ids to a file once they pass ``spill.at_bytes`` (the result's
        ``file``); the ids are the same
    halve : prune to half of ``max_vocab_size`` with a fresh threshold each time (a limit a
        memory budget sets), not as the C tool (see ``_Scanner._prune``)
    """
    if isinstance(source, str | os.PathLike):
        files = corpus_files(Path(source))
        hint = sum(p.stat().st_size for p in files if p.suffix.lower() not in OPENERS) // 2 + 1
        if spill is not None and (spill.work_dir is not None or 4 * hint > spill.at_bytes):
            spill.need = max(spill.need, hint * 4)  # 4 bytes a token, at most a token a 2 bytes
            spill.folder()  # checked now, not when the scan is half done
        cuts = None
        if (
            workers > 1
            and len(files) == 1
            and files[0].suffix.lower() not in OPENERS
            and files[0].stat().st_size >= parallel_min_bytes
        ):
            cuts = _cut_points(files[0], workers)
        if cuts is not None:
            to_file = spill if spill is not None and 4 * hint > spill.at_bytes else None
            limit = max_vocab_size or np.iinfo(np.int64).max
            try:
                res = _scan_parallel(files[0], cuts, progress, block_bytes, to_file, limit)
            except _OverLimit:  # too many words for the threads' shares: prune in one
                res = None
            if res is not None:
                res = res.result()
                if res.raw_tokens == 0:
                    raise CorpusError(f"corpus is empty (no tokens): {source}")
                return res
        scanner = _Scanner(max_vocab_size, hint, spill=spill, reread=True, halve=halve)
        for path in files:
            for buf, last in read_blocks(path, block_bytes):
                scanner.feed(buf, last)
                if progress:
                    progress(buf.shape[0])
        if scanner.pruned_words:
            # like the C tool, train on every occurrence of the words that survived: the first
            # pass lost the occurrences of words pruned and later seen again
            scanner.freeze()
            for path in files:
                for buf, last in read_blocks(path, block_bytes):
                    scanner.feed(buf, last)
    else:
        if isinstance(source, bytes | bytearray):
            raise CorpusError("corpus must be a path or an iterable of token lists, not bytes")
        scanner = _Scanner(max_vocab_size, 0, spill=spill, halve=halve)
        for buf, last in _sentence_blocks(source, block_bytes):
            scanner.feed(buf, last)
            if progress:
                progress(buf.shape[0])
    res = scanner.result()
    if res.raw_tokens == 0:
        raise CorpusError(f"corpus is empty (no tokens): {source}")
    return res
