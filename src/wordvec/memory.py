"""Memory helpers: arrays in anonymous mappings, pages handed back to the OS, the C heap trimmed.

What lets a scan of a big corpus and the weights after it stay within a predictable peak.
"""

from __future__ import annotations

import mmap

import numpy as np


def anon_array(n: int, dtype) -> tuple[np.ndarray, mmap.mmap]:
    """An array in anonymous memory: pages cost nothing until written, and ``release`` can
    give any range back to the OS."""
    # private: MADV_DONTNEED frees private pages (a shared mapping would keep them)
    buf = mmap.mmap(-1, max(n * np.dtype(dtype).itemsize, 1),
                    flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)  # fmt: skip
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


def available_bytes() -> int | None:
    """Memory this process can still take: the kernel's ``MemAvailable``, lowered by a cgroup
    limit if one is set; None where neither can be read."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        return None
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):  # fmt: skip
        try:
            with open(limit_file) as f, open(usage_file) as g:
                text = f.read().strip()
                if text != "max" and int(text) < 1 << 60:
                    room = int(text) - int(g.read().strip())
                    avail = room if avail is None else min(avail, room)
            break
        except (OSError, ValueError):
            continue
    return avail


def check_memory(estimate: dict[str, int], what: str) -> None:
    """Refuse (ValueError, one line) when ``estimate["total"]`` bytes would not fit in the
    memory available now."""
    avail = available_bytes()
    need = estimate["total"]
    if avail is not None and need > avail:
        parts = ", ".join(f"{k} {_size(v)}" for k, v in estimate.items() if k != "total" and v)
        raise ValueError(
            f"{what} needs about {_size(need)} ({parts}) but only {_size(avail)} is available: "
            "lower vector_size, window, workers or the vocabulary (min_count, max_final_vocab)"
        )


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} B"


def training_bytes(vocab_size: int, vector_size: int, window: int, negative: int, hs: bool,
                   softmax: bool, workers: int, replicas: int) -> dict[str, int]:  # fmt: skip
    """What the arrays of a word2vec training take, by part, in bytes: input and output
    matrices (float32), the deterministic mode's replicas of them and their update counts,
    the vocabulary tables (counts, subsampling, noise alias, Huffman codes and points), each
    worker's buffers; ``total`` sums them."""
    v, row = vocab_size, 4 * vector_size
    out = {"vectors": v * row}
    if negative:
        out["syn1neg"] = v * row
    if hs or softmax:
        out["syn1"] = v * row
    weights = sum(out.values())
    out["replicas"] = replicas * (weights + 3 * v)
    out["tables"] = v * (8 + 8 + 12 + (5 * 40 if hs else 0))  # codes + points: ~40 levels
    n_out = max(negative + 1, 40 if hs else 0, v if softmax else 0)
    out["buffers"] = workers * 2 * window * (row + 4 * n_out + 8)
    out["total"] = sum(out.values())
    return out
