"""Every word's rows of a subword model at once: its own row, then its character n-grams' rows,
as ``wordvec.formats.fasttext.ngram_rows`` gives them one word at a time (the plain-Python
reference, whose docstring says how fastText cuts and hashes n-grams); ``tests`` compare the two.
"""

import numpy as np
from numba import njit

from wordvec.kernels import FNV_OFFSET, FNV_PRIME

BOW, EOW = ord("<"), ord(">")  # fastText's boundary marks


@njit(cache=True, nogil=True, inline="always")
def _each_ngram(w, min_n, max_n, bucket, out, k, fill):
    """The n-grams of the marked word ``w`` (uint8[m]: "<", the word's UTF-8, ">"): with
    ``fill``, their rows ``hash % bucket`` go to ``out[k:]``; returns k plus their count."""
    m = w.shape[0]
    for i in range(m):
        if w[i] & 0xC0 == 0x80:  # inside a character
            continue
        h = np.uint32(FNV_OFFSET)
        j, n = i, 1
        while j < m and n <= max_n:
            # the next character's bytes enter the hash, each as a signed char
            h = np.uint32((h ^ np.uint32(np.int32(np.int8(w[j])))) * np.uint32(FNV_PRIME))
            j += 1
            while j < m and w[j] & 0xC0 == 0x80:
                h = np.uint32((h ^ np.uint32(np.int32(np.int8(w[j])))) * np.uint32(FNV_PRIME))
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == m)):
                if fill:
                    out[k] = np.int64(h) % bucket
                k += 1
            n += 1
    return k


@njit(cache=True, nogil=True)
def word_rows(data, offsets, min_n, max_n, bucket, eos):
    """(starts int64[V + 1], rows int32[r]): word ``i`` (UTF-8 bytes
    ``data[offsets[i]:offsets[i + 1]]``) has rows ``rows[starts[i]:starts[i + 1]]``: ``i``
    itself, then ``V + hash % bucket`` for each of its n-grams in fastText's order (none when
    ``bucket`` or ``max_n`` is 0, and for word ``eos``, fastText's end of sentence "</s>", -1
    when there is none)."""
    v = offsets.shape[0] - 1
    longest = 0
    for i in range(v):
        longest = max(longest, offsets[i + 1] - offsets[i])
    w = np.empty(longest + 2, np.uint8)
    starts = np.zeros(v + 1, np.int64)
    scratch = np.empty(0, np.int64)
    on = bucket > 0 and max_n > 0
    for i in range(v):  # count
        k = 1
        if on and i != eos:
            m = _marked(data, offsets[i], offsets[i + 1], w)
            k += _each_ngram(w[:m], min_n, max_n, bucket, scratch, 0, False)
        starts[i + 1] = starts[i] + k
    rows = np.empty(starts[v], np.int32)
    hashed = np.empty((longest + 2) * max(max_n, 1), np.int64)
    for i in range(v):  # fill
        rows[starts[i]] = i
        if on and i != eos:
            m = _marked(data, offsets[i], offsets[i + 1], w)
            k = _each_ngram(w[:m], min_n, max_n, bucket, hashed, 0, True)
            for j in range(k):
                rows[starts[i] + 1 + j] = v + hashed[j]
    return starts, rows


@njit(cache=True, nogil=True, inline="always")
def _marked(data, a, b, w):
    """``w[:m]`` = "<" + data[a:b] + ">"; returns m."""
    w[0] = BOW
    for j in range(a, b):
        w[1 + j - a] = data[j]
    w[1 + b - a] = EOW
    return b - a + 2


@njit(cache=True, nogil=True)
def compose_rows(matrix, starts, rows, out):
    """``out[i]`` (float32[V, d]) = the mean of word ``i``'s rows of ``matrix``."""
    d = matrix.shape[1]
    for i in range(starts.shape[0] - 1):
        o = out[i]
        o[:] = 0.0
        for k in range(starts[i], starts[i + 1]):
            x = matrix[rows[k]]
            for t in range(d):
                o[t] += x[t]
        inv = np.float32(1.0 / max(starts[i + 1] - starts[i], 1))
        for t in range(d):
            o[t] *= inv


@njit(cache=True, nogil=True)
def fill_uniform(out, seed, first_row):
    """Row ``r`` of ``out`` (float32[n, d]) drawn uniform in [-0.5, 0.5) / d: value ``t`` is
    splitmix64 of (``seed``, its index ``(first_row + r) * d + t``), a counter with no chain
    between values (the loop vectorises), so the values do not depend on how the rows are split
    between calls or threads."""
    n, d = out.shape
    scale = np.float32(1.0 / d)
    key = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
    for r in range(n):
        row = out[r]
        base = np.uint64((first_row + r) * d)
        for t in range(d):
            z = key + (base + np.uint64(t)) * np.uint64(0xD1B54A32D192ED03)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            bits = (z ^ (z >> np.uint64(31))) >> np.uint64(40)  # 24 bits
            row[t] = (np.float32(bits) * np.float32(1.0 / (1 << 24)) - np.float32(0.5)) * scale
