"""GloVe's training entries: the co-occurrence matrix's non-zeros as ``(i, j, log X_ij, f(X_ij))``
(16 bytes each), grouped in shuffled blocks (``wordvec.kernels.glove``), held in memory or, when
they do not fit the memory budget, in a file of the work folder read one part at a time.

The matrix is read a chunk of rows at a time (``read_chunks``): it may be in memory or a CSR over
read-only mappings of files (``np.memmap`` or ``np.frombuffer`` of an ``mmap``); the pages of a
file-backed chunk are handed back once it is read, so reading it costs no lasting memory, and it
is never copied whole. One pass counts the non-zeros of each block and checks the values
(``count_entries``); ``plan_parts`` then decides:

- ``MemoryEntries``: every entry in four arrays (one more pass fills them), as before issue #24;
- ``DiskEntries``: parts of a round (16 blocks of disjoint rows; ``parts_per_round`` of 1, 2,
  4, 8 or 16, the fewest whose largest part fits): each pass over the matrix gathers as many
  parts as the budget holds, shuffles each block and writes the parts to a file whose name is
  unlinked as soon as it is made (nothing is left on disk whatever happens to the process,
  ``kill -9`` included); training then reads a part at a time (``os.preadv``) into one buffer
  of the largest part's size, the next part read ahead by the OS (``posix_fadvise``) while
  one trains. Not a mapping of the file: a fault in a file mapping maps the whole large folio
  around it (``MAP_SLOP``), so the pages resident would not be the ones asked for.

Both lay out the same blocks in the same order (a block's shuffle is seeded by the seed and the
block alone), so the deterministic mode gives the same bits either way. Hogwild in memory is one
block shuffled whole; on disk it trains the stratified parts, each split among the workers.

Concession: a part is at least one block (1/256 of the entries); a budget that cannot hold the
largest block is refused (one line) rather than overrun.
"""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from wordvec.corpus.buffers import anon_array, release
from wordvec.corpus.workdir import WorkDir

STRATA = 16  # word groups of the stratified layout (a fixed number: results ignore workers)
ENTRY_BYTES = 16  # an entry: row, column (int32), log X, f(X) (float32)
PART_CHOICES = (1, 2, 4, 8, 16)  # parts a round may be cut into on disk
# non-zeros of the matrix read at once: large enough that a pass is a few hundred kernel calls
# on wiki100m (46M non-zeros), small next to a round; not tuned (bench/results/glove-spill.md
# times the passes it gives)
CHUNK_MIN, CHUNK_MAX = 1 << 12, 1 << 20
CHUNK_ITEM_BYTES = 12  # a chunk's non-zero: column and value read, a float32 copy at worst
# a fault in a file mapping may map the whole large folio of the page cache around the page
# asked for (measured: 2 MiB at a time on this Linux, for files written with write()); those
# pages stay resident until dropped, so a chunk's drop reaches this far back, and a pass over a
# mapped matrix counts this much on each side of its chunk
MAP_SLOP = 2 << 20
TYPES = (np.int32, np.int32, np.float32, np.float32)  # an entry's fields, in the file's order
WHAT = "GloVe's shuffled co-occurrences"


def chunk_size(room: int) -> int:
    """Non-zeros to read at once with ``room`` bytes to spare (a 64th of it, clipped)."""
    return int(min(max(room // 64 // CHUNK_ITEM_BYTES, CHUNK_MIN), CHUNK_MAX))


def _shared_mapping(addr: int) -> bool:
    """Whether ``addr`` lies in a shared mapping (``/proc/self/maps``): pages dropped there are
    read again from their file, never lost (a private one would lose them)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                span, perms = line.split(maxsplit=2)[:2]
                lo, hi = (int(x, 16) for x in span.split("-"))
                if lo <= addr < hi:
                    return perms[3] == "s"
    except (OSError, ValueError):
        pass
    return False


def file_mapping(arr: np.ndarray) -> tuple[mmap.mmap, int] | None:
    """The shared mapping ``arr`` lives in and the byte offset of ``arr[0]`` in it; None for
    memory of its own (or anything this cannot tell)."""
    base: Any = arr
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if base is None or arr.size == 0:
        return None
    try:
        start = np.frombuffer(base, np.uint8).ctypes.data
    except (TypeError, ValueError, BufferError):
        return None
    if not _shared_mapping(start):
        return None
    return base, arr.ctypes.data - start


def _drop(buf: mmap.mmap, start: int, end: int) -> None:
    """Hand back the pages of bytes ``start:end`` of a shared mapping, rounded outwards, and
    ``MAP_SLOP`` before them (what is read again comes from the file)."""
    lo = max(start - MAP_SLOP, 0) // mmap.PAGESIZE * mmap.PAGESIZE
    hi = min(-(-end // mmap.PAGESIZE) * mmap.PAGESIZE, len(buf))
    release(buf, lo, hi)


def as_csr(matrix):
    """``matrix`` as scipy CSR: a CSR is used as it is (never copied), anything else converted."""
    import scipy.sparse as sp

    if sp.issparse(matrix) and matrix.format == "csr":
        return matrix
    return sp.csr_matrix(matrix)


def read_chunks(matrix, chunk_nnz: int, stats: dict) -> Iterator:
    """The rows of CSR ``matrix`` as ``Chunk`` s of about ``chunk_nnz`` non-zeros, checked: each
    row's columns strictly increasing (rows that are not are summed first, as scipy's
    ``sum_duplicates``), in range, and values >= 0 (ValueError otherwise). The pages of a
    file-backed chunk go back to the OS when the next one is asked for."""
    import scipy.sparse as sp

    from wordvec.kernels.glove import Chunk, check_chunk

    v = matrix.shape[1]
    indptr = np.array(matrix.indptr, dtype=np.int64)
    maps = [file_mapping(a) for a in (matrix.indices, matrix.data)]
    sizes = [matrix.indices.itemsize, matrix.data.itemsize]
    stats["matrix_passes"] = stats.get("matrix_passes", 0) + 1
    a, rows = 0, indptr.shape[0] - 1
    while a < rows:
        b = int(np.searchsorted(indptr, indptr[a] + chunk_nnz, "right")) - 1
        b = min(max(b, a + 1), rows)
        p0, p1 = int(indptr[a]), int(indptr[b])
        ptr = indptr[a : b + 1] - p0
        indices = np.asarray(matrix.indices[p0:p1]).astype(np.int32, copy=False)
        data = np.asarray(matrix.data[p0:p1]).astype(np.float32, copy=False)
        chunk = Chunk(indptr=ptr, indices=indices, data=data, row0=a)
        code = check_chunk(chunk, v)
        if code == 1:  # unsorted or duplicate columns: summed in a copy of this chunk
            sub = sp.csr_matrix((data.copy(), indices.copy(), ptr.copy()), shape=(b - a, v))
            sub.sum_duplicates()
            chunk = Chunk(
                indptr=sub.indptr.astype(np.int64),
                indices=sub.indices.astype(np.int32, copy=False),
                data=sub.data.astype(np.float32, copy=False),
                row0=a,
            )
            code = check_chunk(chunk, v)
        if code == 2:
            raise ValueError(f"the co-occurrence matrix has a column index outside [0, {v})")
        if code == 3:
            raise ValueError("the co-occurrence matrix has negative or NaN entries")
        stats["matrix_bytes_read"] = stats.get("matrix_bytes_read", 0) + (p1 - p0) * sum(sizes)
        yield chunk
        del chunk, indices, data
        for found, size in zip(maps, sizes, strict=True):
            if found is not None:
                _drop(found[0], found[1] + p0 * size, found[1] + p1 * size)
        a = b
    for found, size in zip(maps, sizes, strict=True):
        if found is not None:  # what faults around the last chunks mapped
            _drop(found[0], found[1], found[1] + int(indptr[-1]) * size)


def matrix_slop(matrix) -> int:
    """Bytes a pass over ``matrix`` may hold beyond its chunk: ``MAP_SLOP`` on each side of the
    chunk in each of its two arrays when they are file mappings, else 0."""
    mapped = any(file_mapping(a) is not None for a in (matrix.indices, matrix.data))
    return 4 * MAP_SLOP if mapped else 0


def count_entries(matrix, chunk_nnz: int, stats: dict) -> np.ndarray:
    """int64[S * S]: the non-zeros of each block (one pass over ``matrix``, checked)."""
    from wordvec.kernels.glove import count_blocks

    counts = np.zeros(STRATA * STRATA, np.int64)
    for chunk in read_chunks(matrix, chunk_nnz, stats):
        count_blocks(chunk, STRATA, counts)
    if counts.sum() == 0:
        raise ValueError("the co-occurrence matrix is all zeros: no pair to train on")
    return counts


def plan_parts(counts: np.ndarray, room: int, chunk_nnz: int, slop: int = 0) -> int:
    """0 when every entry fits in ``room`` bytes (with a chunk of the matrix being read and
    ``slop``: ``matrix_slop``), else the fewest parts a round is cut into on disk for a part to
    fit; ValueError when even one block does not."""
    extra = chunk_nnz * CHUNK_ITEM_BYTES + slop
    if int(counts.sum()) * ENTRY_BYTES + extra <= room:
        return 0
    rounds = counts.reshape(STRATA, STRATA)  # [round, row group]
    for k in PART_CHOICES:
        biggest = int(rounds.reshape(STRATA, k, STRATA // k).sum(axis=2).max()) * ENTRY_BYTES
        if biggest + extra <= room:
            return k
    raise ValueError(
        f"the memory budget leaves {room / 2**20:,.1f} MB for GloVe's entries but their "
        f"largest block needs {(biggest + extra) / 2**20:,.1f} MB: raise max_memory"
    )


def _entries(rows, cols, logx, fx):
    from wordvec.kernels.glove import Entries

    return Entries(rows=rows, cols=cols, logx=logx, fx=fx)


class MemoryEntries:
    """Every entry in memory: ``rows``/``cols`` int32[n], ``logx``/``fx`` float32[n].
    Deterministic: S * S blocks, a part a round; Hogwild: one block shuffled whole."""

    where = "memory"

    def __init__(self, matrix, counts, deterministic, x_max, alpha, seed, chunk_nnz, stats):
        from wordvec.kernels.glove import fill_blocks, shuffle_blocks

        n = int(counts.sum())
        strata = STRATA if deterministic else 1
        blocks = counts if deterministic else np.array([n], np.int64)
        self.starts = np.concatenate([[0], np.cumsum(blocks)]).astype(np.int64)
        self.parts = [(r * strata, (r + 1) * strata) for r in range(strata)]
        self.n = n
        i32, f32 = np.int32, np.float32
        out = _entries(np.empty(n, i32), np.empty(n, i32), np.empty(n, f32), np.empty(n, f32))
        cursor = self.starts[:-1].copy()
        for chunk in read_chunks(matrix, chunk_nnz, stats):
            fill_blocks(chunk, strata, 0, strata * strata, x_max, alpha, cursor, out)
        shuffle_blocks(out, self.starts, 0, seed)
        self.entries = out

    def view(self, p: int):
        """(Entries, the global position of its first entry) for part ``p``."""
        return self.entries, 0

    def prefetch(self, p: int) -> None:
        pass

    def done(self, p: int) -> None:
        pass

    def close(self) -> None:
        pass


class DiskEntries:
    """The entries in a nameless file of a ``WorkDir`` in ``work_dir``, read a part (a round,
    or ``1 / parts_per_round`` of one) at a time into one buffer; laid out by passes
    over the matrix that each gather as many parts as ``room`` bytes hold (with the chunk of the
    matrix being read: ``chunk_nnz``). In the file, each part is its ``rows``, ``cols``,
    ``logx`` and ``fx`` one after the other."""

    where = "disk"

    def __init__(
        self, matrix, counts, parts_per_round, x_max, alpha, seed, chunk_nnz, room, work_dir, stats
    ):
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        w = STRATA // parts_per_round
        self.parts = [(b, b + w) for b in range(0, STRATA * STRATA, w)]
        self.n = n = int(self.starts[-1])
        self.stats = stats
        stats.update(write_seconds=0.0, bytes_read=0, read_seconds=0.0)
        self.fd = -1
        nbytes = n * ENTRY_BYTES
        t0 = time.perf_counter()
        with WorkDir(work_dir, nbytes, WHAT) as wd:
            fd = wd.reserve("entries", nbytes)
            try:
                wd.file("entries").unlink()  # nameless: its blocks go when fd closes
                self._write(wd, fd, matrix, x_max, alpha, seed, chunk_nnz, room)
            except BaseException:
                os.close(fd)
                raise
        self.fd = fd
        most = max(b - a for a, b in map(self._span, range(len(self.parts))))
        self.store, self.buf = anon_array(4 * most, np.int32)  # the part being trained
        stats["bytes_written"] = nbytes
        stats["layout_seconds"] = time.perf_counter() - t0

    def _passes(self, room: int) -> list[tuple[int, int]]:
        """Parts ``p0 .. p1 - 1`` gathered by one pass over the matrix: as many consecutive
        parts as ``room`` bytes hold (one at least)."""
        s, out, p0 = self.starts, [], 0
        for p1 in range(1, len(self.parts) + 1):
            size = int(s[self.parts[p1 - 1][1]] - s[self.parts[p0][0]]) * ENTRY_BYTES
            if p1 - p0 > 1 and size > room:
                out.append((p0, p1 - 1))
                p0 = p1 - 1
        return [*out, (p0, len(self.parts))]

    def _write(self, wd: WorkDir, fd: int, matrix, x_max, alpha, seed, chunk_nnz, room) -> None:
        from wordvec.kernels.glove import fill_blocks, shuffle_blocks

        s, parts = self.starts, self.parts
        passes = self._passes(room)
        most = max(int(s[parts[p1 - 1][1]] - s[parts[p0][0]]) for p0, p1 in passes)
        store, buf = anon_array(4 * most, np.int32)  # one pass's parts at a time, reused
        try:
            for p0, p1 in passes:
                b0, b1 = parts[p0][0], parts[p1 - 1][1]
                m = int(s[b1] - s[b0])
                field = [store[q * most : q * most + m] for q in range(4)]
                out = _entries(
                    field[0], field[1], field[2].view(np.float32), field[3].view(np.float32)
                )
                local = s[b0 : b1 + 1] - s[b0]
                cursor = local[:-1].copy()
                for chunk in read_chunks(matrix, chunk_nnz, self.stats):
                    fill_blocks(chunk, STRATA, b0, b1, x_max, alpha, cursor, out)
                shuffle_blocks(out, local, b0, seed)
                t0 = time.perf_counter()
                for p in range(p0, p1):  # each part: its rows, cols, logx, fx
                    a, b = (int(s[x] - s[b0]) for x in parts[p])
                    for q, arr in enumerate(out):
                        at = int(s[b0]) + a
                        _pwrite_all(wd, fd, arr[a:b], at * ENTRY_BYTES + q * 4 * (b - a))
                self.stats["write_seconds"] += time.perf_counter() - t0
                del out, field
        finally:
            del store
            release(buf, 0)

    def _span(self, p: int) -> tuple[int, int]:
        b0, b1 = self.parts[p]
        return int(self.starts[b0]), int(self.starts[b1])

    def view(self, p: int):
        """(Entries of part ``p``, read from the file into this object's buffer, and the global
        position of its first entry). The buffer is reused: one part at a time."""
        a, b = self._span(p)
        m, off = b - a, a * ENTRY_BYTES
        t0 = time.perf_counter()
        view = memoryview(self.store[: 4 * m]).cast("B")
        while view:  # the part's rows, cols, logx, fx are contiguous in the file, as here
            got = os.preadv(self.fd, [view], off)
            if got <= 0:
                raise OSError(f"the file of {WHAT} ended early")
            view, off = view[got:], off + got
        self.stats["read_seconds"] += time.perf_counter() - t0
        self.stats["bytes_read"] += m * ENTRY_BYTES
        q = [self.store[k * m : (k + 1) * m] for k in range(4)]
        return _entries(q[0], q[1], q[2].view(np.float32), q[3].view(np.float32)), a

    def prefetch(self, p: int) -> None:
        """Ask the OS to read part ``p`` ahead (while the current one trains)."""
        a, b = self._span(p)
        if b > a and hasattr(os, "posix_fadvise"):
            os.posix_fadvise(
                self.fd, a * ENTRY_BYTES, (b - a) * ENTRY_BYTES, os.POSIX_FADV_WILLNEED
            )

    def done(self, p: int) -> None:
        pass

    def close(self) -> None:
        """Close the file (its blocks go back to the file system) and free the buffer."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            release(self.buf, 0)


def _pwrite_all(wd: WorkDir, fd: int, arr: np.ndarray, offset: int) -> None:
    """Write ``arr``'s bytes at ``offset`` of ``fd``; a failed write is ``wd``'s one line."""
    view = memoryview(arr).cast("B")
    while view:
        try:
            n = os.pwrite(fd, view, offset)
        except OSError as e:
            raise wd.full(e, len(view)) from None
        view, offset = view[n:], offset + n
