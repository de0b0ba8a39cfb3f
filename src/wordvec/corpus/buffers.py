"""Buffers whose memory goes back to the OS as soon as it is done with: arrays in anonymous
mappings (``anon_array``) whose pages ``release`` hands back, and the C heap trimmed
(``trim_heap``). What lets a scan of a big corpus and the weights after it stay within a
predictable peak (``wordvec.core.memory`` estimates it)."""

from __future__ import annotations

import mmap

import numpy as np


def anon_array(n: int, dtype) -> tuple[np.ndarray, mmap.mmap]:
    """An array in anonymous memory: pages cost nothing until written, and ``release`` can
    give any range back to the OS."""
    # private: MADV_DONTNEED frees private pages (a shared mapping would keep them)
    buf = mmap.mmap(
        -1, max(n * np.dtype(dtype).itemsize, 1), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    )
    return np.frombuffer(buf, dtype), buf


def trim_heap() -> None:
    """Hand the C heap's free pages back to the OS (glibc's ``malloc_trim``; elsewhere a no-op).
    A scan frees tens of MB in pieces that glibc would otherwise keep for later."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc
        pass


def release(buf: mmap.mmap, start: int, end: int | None = None) -> None:
    """Give the whole pages inside bytes ``start:end`` of ``buf`` back to the OS (they read
    as zeros afterwards)."""
    end = len(buf) if end is None else end
    lo = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE
    hi = end // mmap.PAGESIZE * mmap.PAGESIZE
    if hi > lo:
        buf.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
