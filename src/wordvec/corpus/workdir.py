"""The work folder: where a run puts what does not fit in its memory budget (the encoded corpus,
co-occurrence runs, GloVe's shuffled entries), and the rules that keep it clean.

A run makes one folder ``wordvec-work-<pid>-<random>`` inside ``work_dir`` (default: the system's
temporary folder), checked before any data is read: it must exist, be writable and have room for
what the caller says it will write. The folder goes when the run ends, on error and on Ctrl-C
(``WorkDir`` is a context manager). A run killed with ``kill -9`` cannot clean up: the next run
that makes a folder in the same place removes the folders whose process is gone and says so
(``WorkDir.removed``).

Files are made at their full size up front (``posix_fallocate``), so a full disk is found when the
file is made (one line, ``WorkDirError``), never as a crash while a mapping of it is written.
"""

from __future__ import annotations

import errno
import mmap
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import numpy as np

PREFIX = "wordvec-work-"


class WorkDirError(ValueError):
    """The work folder cannot take what a run must put there (missing, read-only, full)."""


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TB"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale(parent: Path) -> list[Path]:
    """Remove the work folders in ``parent`` whose process is gone (a run killed with kill -9);
    returns them."""
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for p in entries:
        if not p.name.startswith(PREFIX) or not p.is_dir():
            continue
        try:
            pid = int(p.name[len(PREFIX) :].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def free_bytes(path: Path) -> int:
    """Bytes free for an unprivileged writer on ``path``'s file system."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def check_parent(parent: str | os.PathLike | None) -> Path:
    """The folder work folders go in (``parent``, or the system's temporary folder), refused in
    one line (``WorkDirError``) when it is missing, not a folder or not writable."""
    path = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    if not path.is_dir():
        raise WorkDirError(f"work_dir {path} does not exist or is not a folder")
    if not os.access(path, os.W_OK | os.X_OK):
        raise WorkDirError(f"work_dir {path} is not writable")
    return path


class WorkDir:
    """One run's folder of temporary files (see the module docstring).

    Parameters
    ----------
    parent : the folder to make it in (``work_dir``); None: the system's temporary folder
    need : bytes the run will write there at most (checked against the free space now)
    what : what will go there, for the messages ("the encoded corpus")
    """

    def __init__(self, parent: str | os.PathLike | None, need: int = 0, what: str = "spilled data"):
        self.parent = check_parent(parent)
        self.what = what
        self.removed = remove_stale(self.parent)
        free = free_bytes(self.parent)
        if need > free:
            raise WorkDirError(
                f"work_dir {self.parent} has {_size(free)} free but {what} needs about "
                f"{_size(need)}: free some space or pass another work_dir"
            )
        name = f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            (self.parent / name).mkdir()
        except OSError as e:
            raise WorkDirError(
                f"cannot make a folder in work_dir {self.parent}: {e.strerror}"
            ) from None
        self.path = self.parent / name
        self.reserved = 0  # bytes of the files made here so far (their blocks allocated)

    def __enter__(self) -> WorkDir:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the folder and everything in it (mappings of its files stay valid until
        closed: the files are unlinked, their space goes when the last mapping does)."""
        if self.path is not None and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def file(self, name: str) -> Path:
        return self.path / name

    def reserve(self, name: str, nbytes: int) -> int:
        """Make file ``name`` of ``nbytes`` with its blocks allocated; returns an open
        read-write descriptor (the caller closes it). A full disk is a ``WorkDirError``."""
        path = self.file(name)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            if nbytes:
                allocate(fd, nbytes)
        except OSError as e:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise self.full(e, nbytes) from None
        self.reserved += nbytes
        return fd

    def array(self, name: str, n: int, dtype) -> tuple[np.ndarray, mmap.mmap]:
        """A new file ``name`` holding ``n`` items of ``dtype``, mapped read-write (shared: what
        is written goes to the file, and ``wordvec.corpus.buffers.release`` gives the pages
        back to the OS without losing it)."""
        nbytes = max(n * np.dtype(dtype).itemsize, 1)
        fd = self.reserve(name, nbytes)
        try:
            buf = mmap.mmap(fd, nbytes, flags=mmap.MAP_SHARED)
        finally:
            os.close(fd)
        return np.frombuffer(buf, dtype), buf

    def full(self, e: OSError, nbytes: int) -> WorkDirError:
        """The one-line error for a failed write of ``nbytes`` into this folder."""
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            return WorkDirError(
                f"work_dir {self.parent} ran out of space writing {self.what} ({_size(nbytes)} "
                f"more, {_size(free_bytes(self.parent))} free): free some space or pass another "
                "work_dir"
            )
        return WorkDirError(
            f"cannot write {self.what} in work_dir {self.parent}: {e.strerror or e}"
        )


def allocate(fd: int, nbytes: int) -> None:
    """Give file ``fd`` ``nbytes`` of allocated blocks (ENOSPC now rather than SIGBUS later);
    where ``posix_fallocate`` is missing, zeros are written."""
    if hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fd, 0, nbytes)
            return
        except OSError as e:
            if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
    os.ftruncate(fd, 0)
    block = bytes(1 << 20)
    left = nbytes
    while left:
        left -= os.write(fd, block[: min(left, len(block))])


class FileArray:
    """A growable array in a file that has no name: made in a ``WorkDir`` and unlinked at once,
    so nothing is left on disk whatever happens to the process (its blocks go when the last
    mapping and descriptor close). Mapped shared: ``release`` gives pages back to the OS
    without losing what was written. ``array`` is the current view; ``grow`` and ``freeze``
    make a new one (views taken before ``grow`` stay valid; after ``freeze`` cuts the file, an
    old view must not be read past the items kept)."""

    def __init__(self, work: WorkDir, name: str, n: int, dtype):
        self.work, self.dtype = work, np.dtype(dtype)
        self.fd = work.reserve(name, max(n, 1) * self.dtype.itemsize)
        work.file(name).unlink()
        self.n = max(n, 1)
        self._map(mmap.ACCESS_WRITE)

    def _map(self, access) -> None:
        self.buf = mmap.mmap(self.fd, self.n * self.dtype.itemsize, access=access)
        self.array = np.frombuffer(self.buf, self.dtype)

    def grow(self, n: int) -> np.ndarray:
        """Room for ``n`` items (allocated now: a full disk is a ``WorkDirError``)."""
        nbytes = n * self.dtype.itemsize
        try:
            allocate_range(self.fd, self.n * self.dtype.itemsize, nbytes)
        except OSError as e:
            raise self.work.full(e, nbytes - self.n * self.dtype.itemsize) from None
        self.work.reserved += nbytes - self.n * self.dtype.itemsize
        self.n = n
        self._map(mmap.ACCESS_WRITE)
        return self.array

    def freeze(self, n: int, dtype=None) -> np.ndarray:
        """Keep the first ``n`` items (of ``dtype``, default the array's) and map them
        copy-on-write (``ACCESS_COPY``); the blocks after them go back to the file system.
        Nothing writes them, and no write could reach the file, but the array has the writable
        type of a corpus in memory, so the training kernels Numba compiled for that serve it
        too (a read-only array is another type: each kernel compiled again, 13-22 s each)."""
        from wordvec.corpus.buffers import release

        release(self.buf, 0)
        self.dtype = np.dtype(dtype) if dtype is not None else self.dtype
        self.n = max(n, 1)
        os.ftruncate(self.fd, self.n * self.dtype.itemsize)
        self._map(mmap.ACCESS_COPY)
        self.array = self.array[:n]
        return self.array

    def release(self, start: int, end: int | None = None) -> None:
        """Give the pages of items ``start:end`` back to the OS (rounded outwards: what is
        read again is read from the file)."""
        size = self.dtype.itemsize
        lo = start * size // mmap.PAGESIZE * mmap.PAGESIZE
        hi = len(self.buf) if end is None else min(len(self.buf), end * size)
        hi = -(-hi // mmap.PAGESIZE) * mmap.PAGESIZE
        hi = min(hi, len(self.buf) // mmap.PAGESIZE * mmap.PAGESIZE)
        if hi > lo:
            self.buf.madvise(mmap.MADV_DONTNEED, lo, hi - lo)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def allocate_range(fd: int, start: int, end: int) -> None:
    """Extend file ``fd`` to ``end`` bytes with blocks allocated from ``start``."""
    if hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fd, start, end - start)
            return
        except OSError as e:
            if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
    os.lseek(fd, start, os.SEEK_SET)
    block = bytes(1 << 20)
    left = end - start
    while left:
        left -= os.write(fd, block[: min(left, len(block))])
