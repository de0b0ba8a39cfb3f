"""Co-occurrence runs on disk and their streaming merge into the CSR matrix.

When a count's runs outgrow their share of ``max_memory`` (``wordvec.count.plan``), a worker
merges the runs it holds and writes the result as one sorted run in the count's work folder
(``wordvec.corpus.workdir.WorkDir``), two files written with plain buffered writes: the keys
``i * V + j`` and their sums, packed (uint32 gaps between keys, float32 sums: 8 bytes an entry)
when that is exact, else int64 and float64 (``Run``). At the end, ``merge_to_csr`` reads every run
a block at a time (too many runs for the blocks are first merged in groups: ``merge_runs``) and
merges them with the dense table (``wordvec.kernels.spill.merge_csr``, a heap over the runs) into
the CSR rows, in row order:

- in memory when the result fits what is left of the budget (arrays sized for the most it can
  hold; pages never written cost nothing);
- else into three files (indptr, indices, data, one index dtype for both so SciPy keeps them as
  they are) that the matrix then maps read-only (``np.memmap``). The work folder is removed at the
  end of the count all the same: the files are unlinked and their mapping lives on (the space goes
  back when the matrix does).

``Spill`` counts what went to disk and what it cost (bytes written and read, seconds).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from wordvec.corpus.workdir import WorkDir

BLOCK_MAX = 1 << 17  # entries of a run block at most (2 MiB of keys and sums)
BLOCK_MIN = 256  # entries of a run block at least (fewer: the budget is refused)
FINAL_BLOCK = 4096  # entries of a run block below which runs are first merged in groups
FAN_IN = 64  # runs merged into one at most, in those groups
PACK_CHUNK = 1 << 16  # entries packed at a time when a run is written (1 MiB of temporaries)
OUT_BLOCK = 1 << 20  # entries of an output block written to a file (8 MiB)
INT32_MAX = (1 << 31) - 1


@dataclass
class Spill:
    """What a count put on disk (``Cooccurrence.spill_``)."""

    runs: int = 0  # run files written
    written: int = 0  # bytes written (runs and result)
    read: int = 0  # bytes read back
    write_seconds: float = 0.0
    merge_seconds: float = 0.0  # the streaming merge, reads and result writes included
    result: str = "memory"  # where the matrix is: "memory" or "files"
    result_bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def line(self) -> str:
        """One line for the CLI."""
        if not self.runs:
            return "counted in memory (nothing written to disk)"
        mb = 1 << 20
        where = "in memory" if self.result == "memory" else "on disk, mapped"
        return (
            f"spilled {self.runs} runs: {self.written / mb:,.0f} MB written, {self.read / mb:,.0f}"
            f" MB read, {self.write_seconds:.1f} s writing, {self.merge_seconds:.1f} s merging;"
            f" the matrix is {where}"
        )


def _write(workdir: WorkDir, path: Path, arrays: list[np.ndarray]) -> int:
    """Write the arrays' bytes one after the other to a new file; a failed write (full disk)
    is ``workdir.full`` and leaves no file."""
    nbytes = sum(a.nbytes for a in arrays)
    try:
        with open(path, "wb") as f:
            for a in arrays:
                f.write(memoryview(np.ascontiguousarray(a)).cast("B"))
    except OSError as e:
        path.unlink(missing_ok=True)
        raise workdir.full(e, nbytes) from None
    return nbytes


class Run(NamedTuple):  # one sorted run on disk
    stem: Path  # its files: ``stem.keys``, ``stem.vals``
    n: int  # entries
    first: int  # its first key
    packed: bool  # keys as uint32 gaps and sums as float32 (exact), else int64 and float64


def _packable(keys: np.ndarray, vals: np.ndarray) -> bool:
    """Whether every gap between successive keys fits uint32 and every sum float32 exactly
    (checked a chunk at a time: no copy of the run)."""
    for s in range(0, keys.shape[0], PACK_CHUNK):
        k = keys[max(s - 1, 0) : s + PACK_CHUNK]
        v = vals[s : s + PACK_CHUNK]
        if k.shape[0] > 1 and int((k[1:] - k[:-1]).max()) > 0xFFFFFFFF:
            return False
        if not np.array_equal(v.astype(np.float32), v):
            return False
    return True


def _packed(keys: np.ndarray, vals: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Entries ``s .. s + PACK_CHUNK - 1`` packed: uint32 gaps (0 for the first entry of the
    run) and float32 sums."""
    k = keys[max(s - 1, 0) : s + PACK_CHUNK]
    gaps = (k[1:] - k[:-1]).astype(np.uint32)
    if s == 0:
        gaps = np.concatenate([np.zeros(1, np.uint32), gaps])
    return gaps, vals[s : s + PACK_CHUNK].astype(np.float32)


class RunFiles:
    """The sorted runs a count wrote in its work folder (``Run``), each two files. A run whose
    key gaps fit 32 bits and whose sums are exact in float32 (nearly every run: rare pairs have
    small sums) is written packed, 8 bytes an entry instead of 16. Thread-safe: the workers add
    theirs."""

    def __init__(self, workdir: WorkDir, stats: Spill):
        self.workdir, self.stats = workdir, stats
        self.runs: list[Run] = []
        self.made = 0  # names given so far

    def name(self) -> Path:
        with self.stats.lock:
            self.made += 1
            return self.workdir.file(f"run-{self.made:05d}")

    def add(self, keys: np.ndarray, vals: np.ndarray) -> None:
        """Write one sorted run (unique keys)."""
        t = time.perf_counter()
        stem, n = self.name(), keys.shape[0]
        packed = n > 0 and _packable(keys, vals)
        nbytes = 0
        try:
            with (
                open(stem.with_suffix(".keys"), "wb") as fk,
                open(stem.with_suffix(".vals"), "wb") as fv,
            ):
                for s in range(0, n, PACK_CHUNK) if packed else [0]:
                    chunk = _packed(keys, vals, s) if packed else (keys, vals)
                    _write_more(self.workdir, [fk, fv], list(chunk))
                    nbytes += chunk[0].nbytes + chunk[1].nbytes
        except BaseException:
            stem.with_suffix(".keys").unlink(missing_ok=True)
            stem.with_suffix(".vals").unlink(missing_ok=True)
            raise
        with self.stats.lock:
            self.runs.append(Run(stem, n, int(keys[0]) if n else 0, packed))
            self.stats.runs += 1
            self.stats.written += nbytes
            self.stats.write_seconds += time.perf_counter() - t

    @property
    def entries(self) -> int:
        return sum(r.n for r in self.runs)


class _Reader:
    """The current block of each of some runs (``wordvec.kernels.spill.Blocks``), read from their
    files (packed runs unpacked), and the merge state over them."""

    def __init__(self, runs: list[Run], b: int, stats: Spill):
        from wordvec.kernels import spill as k

        self.runs, self.stats, n = runs, stats, len(runs)
        self.blocks = k.Blocks(
            np.empty((n, b), np.int64),
            np.empty((n, b)),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
        )
        self.gaps, self.sums = np.empty(b, np.uint32), np.empty(b, np.float32)
        self.last = [r.first for r in runs]  # the key before the next block of a packed run
        self.fds: list[int] = []
        try:
            for run in runs:
                self.fds.append(os.open(run.stem.with_suffix(".keys"), os.O_RDONLY))
                self.fds.append(os.open(run.stem.with_suffix(".vals"), os.O_RDONLY))
            self.next = [0] * n  # the next entry of each run to read
            for r in range(n):
                self.refill(r)
        except BaseException:
            self.close()
            raise
        self.heap = np.empty(max(n, 1), np.int64)
        self.st, self.pend = k.new_state(), np.zeros(1)
        self.st[k.HEAP_N] = k.start_heap(self.blocks, self.heap)

    def refill(self, r: int) -> None:
        run, at = self.runs[r], self.next[r]
        m = min(self.blocks.keys.shape[1], run.n - at)
        keys, vals = self.blocks.keys[r, :m], self.blocks.vals[r, :m]
        if m > 0 and run.packed:
            _read(self.fds[2 * r], self.gaps[:m], 4 * at)
            _read(self.fds[2 * r + 1], self.sums[:m], 4 * at)
            np.cumsum(self.gaps[:m], dtype=np.int64, out=keys)
            keys += self.last[r]
            self.last[r] = int(keys[-1])
            vals[:] = self.sums[:m]
            self.stats.read += 8 * m
        elif m > 0:
            _read(self.fds[2 * r], keys, 8 * at)
            _read(self.fds[2 * r + 1], vals, 8 * at)
            self.stats.read += 16 * m
        self.next[r] += m
        self.blocks.lens[r] = m

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def _read(fd: int, out: np.ndarray, offset: int) -> None:
    """Fill ``out`` from byte ``offset`` of ``fd``."""
    view = memoryview(out).cast("B")
    done = 0
    while done < view.nbytes:
        got = os.preadv(fd, [view[done:]], offset + done)
        if got <= 0:
            raise OSError(f"run file ended early at byte {offset + done}")
        done += got


def _merge_group(runs: RunFiles, group: list[Run], b: int) -> Run:
    """Merge some runs into one new run file (blocks of ``b`` entries in and out); the inputs'
    files are removed."""
    from wordvec.kernels import spill as k

    stem, total = runs.name(), 0
    src = _Reader(group, b, runs.stats)
    keys, vals = np.empty(b, np.int64), np.empty(b)
    try:
        with (
            open(stem.with_suffix(".keys"), "wb") as fk,
            open(stem.with_suffix(".vals"), "wb") as fv,
        ):
            while True:
                code = k.merge_runs(src.blocks, src.heap, src.st, src.pend, keys, vals)
                if code == k.REFILL:
                    src.refill(int(src.st[k.NEED]))
                    continue
                fill = int(src.st[k.FILL])
                _write_more(runs.workdir, [fk, fv], [keys[:fill], vals[:fill]])
                total += fill
                src.st[k.FILL] = 0
                if code == k.DONE:
                    break
    finally:
        src.close()
    runs.stats.written += 16 * total
    for old in group:
        old.stem.with_suffix(".keys").unlink()
        old.stem.with_suffix(".vals").unlink()
    return Run(stem, total, 0, False)


def _fewer_runs(runs: RunFiles, room: int) -> None:
    """Merge runs in groups until every run can have a block of ``FINAL_BLOCK`` entries in half
    of ``room`` (a small budget makes many small runs)."""
    while len(runs.runs) > 1 and len(runs.runs) * 16 * FINAL_BLOCK > room // 2:
        b = max(BLOCK_MIN, min(FINAL_BLOCK, room // 16 // (FAN_IN + 1)))
        fan = min(room // 16 // b - 1, FAN_IN)
        if fan < 2:
            raise ValueError(
                f"max_memory is too small to merge {len(runs.runs)} runs of co-occurrences "
                f"(blocks of {BLOCK_MIN} entries need about {3 * 16 * BLOCK_MIN:,} bytes beside "
                "the table); raise max_memory"
            )
        todo, runs.runs = runs.runs, []
        for g in range(0, len(todo), fan):
            group = todo[g : g + fan]
            runs.runs.append(group[0] if len(group) == 1 else _merge_group(runs, group, b))


def merge_to_csr(runs: RunFiles, table, n_words: int, scale: float, room: int, dense_nnz: int):
    """The CSR matrix of the dense table plus the runs on disk (see the module docstring).

    ``table``: ``wordvec.kernels.spill.Dense``; ``room``: bytes this merge may hold (blocks,
    output, row pointer). Returns (data, indices, indptr) as scipy wants them: float32 and one
    index dtype, in memory or mapped read-only from files."""
    from wordvec.kernels import spill as k

    stats, t0 = runs.stats, time.perf_counter()
    room -= 8 * (n_words + 1)  # the row pointer
    _fewer_runs(runs, room)
    n_runs = len(runs.runs)
    upper = dense_nnz + runs.entries  # the most non-zeros the matrix can have
    idx = np.int32 if upper <= INT32_MAX else np.int64
    per = np.dtype(idx).itemsize + 4
    widest = int(table.width.max(initial=0))
    biggest = max((r.n for r in runs.runs), default=1)
    in_memory = upper * per + n_runs * 16 * min(FINAL_BLOCK, biggest) <= room
    if in_memory:
        out_n = max(upper, widest + 1)
    else:
        out_n = max(min(OUT_BLOCK, room // 3 // per), widest + 1)
    b = min((room - out_n * per) // max(n_runs, 1) // 16, BLOCK_MAX, biggest)
    if b < min(BLOCK_MIN, biggest):
        raise ValueError(
            f"max_memory is too small to merge {n_runs} runs of co-occurrences (blocks of "
            f"{BLOCK_MIN} entries and the output need about "
            f"{(n_runs * BLOCK_MIN * 16 + out_n * per) >> 20} MiB beside the table); raise "
            "max_memory"
        )
    out = k.Out(np.empty(out_n, idx), np.empty(out_n, np.float32), np.zeros(n_words + 1, np.int64))
    src = _Reader(runs.runs, max(b, 1), stats)
    files = None
    try:
        if not in_memory:
            names = ("indices", "data")
            files = [open(runs.workdir.file(f"csr-{s}"), "wb") for s in names]  # noqa: SIM115
        while True:
            code = k.merge_csr(src.blocks, table, out, src.heap, src.st, src.pend, n_words, scale)
            if code == k.REFILL:
                src.refill(int(src.st[k.NEED]))
                continue
            if files is not None and (code == k.FLUSH or src.st[k.FILL]):
                fill = int(src.st[k.FILL])
                _write_more(runs.workdir, files, [out.indices[:fill], out.data[:fill]])
                stats.written += fill * per
                src.st[k.BASE] += fill
                src.st[k.FILL] = 0
            if code == k.DONE:
                break
        nnz = int(out.indptr[-1])
        indptr = out.indptr.astype(idx) if idx != np.int64 else out.indptr
        if in_memory:
            return out.data[:nnz], out.indices[:nnz], indptr
        for f in files:
            f.close()
        files = None
        path = runs.workdir.file("csr-indptr")
        stats.written += _write(runs.workdir, path, [indptr])
        stats.result, stats.result_bytes = "files", nnz * per + indptr.nbytes
        return (
            _map(runs.workdir.file("csr-data"), np.float32, nnz),
            _map(runs.workdir.file("csr-indices"), idx, nnz),
            _map(path, idx, n_words + 1),
        )
    finally:
        src.close()
        if files is not None:
            for f in files:
                f.close()
        stats.merge_seconds += time.perf_counter() - t0


def _write_more(workdir: WorkDir, files, arrays: list[np.ndarray]) -> None:
    """Append each array to its open file (a full disk: ``workdir.full``)."""
    for f, a in zip(files, arrays, strict=True):
        try:
            f.write(memoryview(a).cast("B"))
        except OSError as e:
            raise workdir.full(e, a.nbytes) from None


def _map(path: Path, dtype, n: int) -> np.ndarray:
    """``n`` items of ``dtype`` mapped read-only from ``path`` (an empty array when n is 0)."""
    if n == 0:
        return np.empty(0, dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(n,))


def drop_pages(a: np.ndarray) -> None:
    """Hand back the pages of a read-only file mapping (``np.memmap``) the process has read: they
    leave its resident set (the page cache keeps them; reading again faults them back in).
    Nothing for an array in memory."""
    import mmap

    base = a
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "_mmap", None) or getattr(base, "base", None)
    if isinstance(base, mmap.mmap) and len(base):
        base.madvise(mmap.MADV_DONTNEED)
