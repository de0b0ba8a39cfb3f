"""A word's character n-grams and the rows they hash to, exactly as fastText computes them, so
that vectors and model files interoperate (fastText's ``Dictionary::computeSubwords``).

The word is wrapped in the boundary marks, ``"<" + word + ">"``, and every run of ``min_n`` to
``max_n`` *characters* of it is an n-gram, taken by start position and then by length, except
the one-character runs made of a boundary mark alone. Characters are UTF-8 sequences: an n-gram
never cuts one (a continuation byte, ``0b10xxxxxx``, is never a start and always goes with the
byte before it). ``max_n == 0`` (or ``max_n < min_n``) means no n-grams.

An n-gram's row is ``n_words + hash(ngram) % bucket``: the input matrix holds the words' rows,
then ``bucket`` rows shared by the n-grams that hash alike. The hash is 32-bit FNV-1a over the
n-gram's UTF-8 bytes, each byte taken as a *signed* char (fastText's ``int8_t`` cast, so bytes
from 0x80 up enter the xor as ``0xFFFFFF80 | byte``); a different hash would give other rows and
unreadable model files. Duplicates are kept, in order, as fastText keeps them.

This is the plain-Python reference; the training kernels will compute the same rows in Numba,
tested against it.
"""

from __future__ import annotations

import numpy as np

BOW, EOW = "<", ">"  # fastText's boundary marks
FNV_OFFSET = 2166136261  # 32-bit FNV-1a
FNV_PRIME = 16777619


def fasttext_hash(data: bytes) -> int:
    """fastText's hash of an n-gram's UTF-8 bytes: uint32 FNV-1a, bytes sign-extended."""
    h = FNV_OFFSET
    for b in data:
        h ^= (b | 0xFFFFFF00) if b >= 0x80 else b  # int8_t(b) as uint32
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h


def ngram_bytes(word: str, min_n: int, max_n: int) -> list[bytes]:
    """The UTF-8 bytes of ``word``'s n-grams, boundary marks included, in fastText's order."""
    w = (BOW + word + EOW).encode("utf-8")
    out = []
    for i in range(len(w)):
        if w[i] & 0xC0 == 0x80:  # inside a character
            continue
        j, n = i, 1
        while j < len(w) and n <= max_n:
            j += 1
            while j < len(w) and w[j] & 0xC0 == 0x80:
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == len(w))):
                out.append(w[i:j])
            n += 1
    return out


def ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """``word``'s n-grams (``"<wh"``, ``"whe"`` ...), in fastText's order."""
    return [g.decode("utf-8") for g in ngram_bytes(word, min_n, max_n)]


def ngram_rows(word: str, min_n: int, max_n: int, bucket: int, n_words: int) -> np.ndarray:
    """int64[k]: the input-matrix rows of ``word``'s n-grams (``n_words`` + hash % ``bucket``),
    in fastText's order; empty when ``bucket`` is 0 or ``max_n`` is 0."""
    if bucket <= 0:
        return np.zeros(0, np.int64)
    hashes = [fasttext_hash(g) for g in ngram_bytes(word, min_n, max_n)]
    return n_words + np.array(hashes, np.int64) % bucket
