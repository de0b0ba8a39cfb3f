"""Co-occurrence runs on disk and their streaming merge into the CSR matrix.

When a count's runs outgrow their share of ``max_memory`` (``wordvec.count.plan``), a worker
merges the runs it holds and writes the result as one sorted run file in the run's work folder
(``wordvec.corpus.workdir.WorkDir``): ``n`` int64 keys ``i * V + j`` then their ``n`` float64
sums, written with plain buffered writes. At the end, ``merge_to_csr`` reads every run a block at a
time and merges them with the dense table (``wordvec.kernels.spill.merge_csr``, a heap over the
runs) into the CSR rows, in row order:

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

import numpy as np

from wordvec.corpus.workdir import WorkDir

BLOCK_MAX = 1 << 17  # entries of a run block at most (2 MiB of keys and sums)
BLOCK_MIN = 256  # entries of a run block at least (fewer: the budget is refused)
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


class RunFiles:
    """The sorted runs a count wrote, in its work folder (thread-safe: workers add theirs)."""

    def __init__(self, workdir: WorkDir, stats: Spill):
        self.workdir, self.stats = workdir, stats
        self.runs: list[tuple[Path, int]] = []  # (file, entries)

    def add(self, keys: np.ndarray, vals: np.ndarray) -> None:
        """Write one sorted run: int64 keys then float64 sums."""
        t = time.perf_counter()
        with self.stats.lock:
            path = self.workdir.file(f"run-{len(self.runs):05d}")
            self.runs.append((path, 0))
            slot = len(self.runs) - 1
        nbytes = _write(self.workdir, path, [keys, vals])
        with self.stats.lock:
            self.runs[slot] = (path, keys.shape[0])
            self.stats.runs += 1
            self.stats.written += nbytes
            self.stats.write_seconds += time.perf_counter() - t

    @property
    def entries(self) -> int:
        return sum(n for _, n in self.runs)


def _read(fd: int, out: np.ndarray, offset: int) -> None:
    """Fill ``out`` from byte ``offset`` of ``fd``."""
    view = memoryview(out).cast("B")
    done = 0
    while done < view.nbytes:
        got = os.preadv(fd, [view[done:]], offset + done)
        if got <= 0:
            raise OSError(f"run file ended early at byte {offset + done}")
        done += got


def merge_to_csr(runs: RunFiles, table, n_words: int, scale: float, room: int, dense_nnz: int):
    """The CSR matrix of the dense table plus the runs on disk (see the module docstring).

    ``table``: ``wordvec.kernels.spill.Dense``; ``room``: bytes this merge may hold (blocks,
    output, row pointer). Returns (data, indices, indptr) as scipy wants them: float32 and one
    index dtype, in memory or mapped read-only from files."""
    from wordvec.kernels import spill as k

    stats, t0 = runs.stats, time.perf_counter()
    n_runs = len(runs.runs)
    upper = dense_nnz + runs.entries  # the most non-zeros the matrix can have
    idx = np.int32 if upper <= INT32_MAX else np.int64
    per = np.dtype(idx).itemsize + 4
    room -= 8 * (n_words + 1)  # the row pointer
    widest = int(table.width.max(initial=0))
    biggest = max((n for _, n in runs.runs), default=1)
    in_memory = upper * per + n_runs * 16 * min(16 * BLOCK_MIN, biggest) <= room
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
    b = max(b, 1)
    blocks = k.Blocks(
        np.empty((n_runs, b), np.int64),
        np.empty((n_runs, b), np.float64),
        np.zeros(n_runs, np.int64),
        np.zeros(n_runs, np.int64),
    )
    out = k.Out(np.empty(out_n, idx), np.empty(out_n, np.float32), np.zeros(n_words + 1, np.int64))
    fds = [os.open(path, os.O_RDONLY) for path, _ in runs.runs]
    nxt = [0] * n_runs  # the next entry of each run to read
    files = None
    try:

        def refill(r: int) -> None:
            n = runs.runs[r][1]
            m = min(b, n - nxt[r])
            if m > 0:
                _read(fds[r], blocks.keys[r, :m], 8 * nxt[r])
                _read(fds[r], blocks.vals[r, :m], 8 * n + 8 * nxt[r])
                stats.read += 16 * m
                nxt[r] += m
            blocks.lens[r] = m

        for r in range(n_runs):
            refill(r)
        heap = np.empty(max(n_runs, 1), np.int64)
        st, pend = k.new_state(), np.zeros(1)
        st[k.HEAP_N] = k.start_heap(blocks, heap)
        if not in_memory:
            names = ("indices", "data")
            files = [open(runs.workdir.file(f"csr-{s}"), "wb") for s in names]  # noqa: SIM115
        while True:
            code = k.merge_csr(blocks, table, out, heap, st, pend, n_words, scale)
            if code == k.REFILL:
                refill(int(st[k.NEED]))
                continue
            if files is not None and (code == k.FLUSH or st[k.FILL]):
                fill = int(st[k.FILL])
                _write_more(runs.workdir, files, [out.indices[:fill], out.data[:fill]])
                stats.written += fill * per
                st[k.BASE] += fill
                st[k.FILL] = 0
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
        for fd in fds:
            os.close(fd)
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
