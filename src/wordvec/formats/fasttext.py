"""The word vectors of a fastText ``.bin`` model (read only), as fastText's
``get_word_vector`` and gensim's ``load_facebook_vectors`` give them."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from wordvec.formats.native import (
    FASTTEXT_MAGIC,
    FormatError,
    check_finite,
    check_unique,
    open_input,
)

_FASTTEXT_VERSION = 12


def read_fasttext_bin(
    path: str | os.PathLike, allow_nonfinite: bool = False
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The word vectors of a fastText ``.bin`` model: (words, float32[V, d], int64[V] counts).

    A word's vector is what fastText's ``get_word_vector`` (and gensim's
    ``load_facebook_vectors``) give: the mean of its own input row and its character n-gram
    rows. Vectors for words outside the vocabulary (built from n-grams) are not kept.
    Quantized (``.ftz``) and supervised models are refused.
    """
    path = Path(path)
    with open_input(path) as f:
        return _read_fasttext(f, path, allow_nonfinite)


def _read_exact(f, n: int, path: Path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise FormatError(f"{path}: truncated fastText model (inside the {what})")
    return data


def _read_fasttext(f, path: Path, allow_nonfinite: bool):
    magic, version = struct.unpack("<2i", _read_exact(f, 8, path, "header"))
    if magic != FASTTEXT_MAGIC:
        raise FormatError(f"{path}: not a fastText model (bad magic bytes)")
    if version != _FASTTEXT_VERSION:
        raise FormatError(
            f"{path}: fastText format version {version}; wordvec reads "
            f"{_FASTTEXT_VERSION} (fastText 0.9)"
        )
    args = struct.unpack("<12id", _read_exact(f, 56, path, "arguments"))
    dim, bucket, minn, maxn = args[0], args[8], args[9], args[10]
    size, nwords, nlabels = struct.unpack("<3i", _read_exact(f, 12, path, "dictionary"))
    _ntokens, prune_size = struct.unpack("<2q", _read_exact(f, 16, path, "dictionary"))
    if nlabels > 0:
        raise FormatError(
            f"{path}: a supervised fastText model (labels): it has no word vectors to read"
        )
    if not (0 <= nwords <= size) or dim <= 0 or bucket < 0 or prune_size < -1:
        raise FormatError(f"{path}: corrupt fastText dictionary header")
    rest = f.read()  # words, counts, pruned ids, then the matrices
    raw_words: list[bytes] = []
    counts = np.zeros(nwords, np.int64)
    pos = 0
    for i in range(size):
        end = rest.find(b"\0", pos)
        if end < 0 or end + 10 > len(rest):
            raise FormatError(f"{path}: truncated fastText model (inside word {i + 1} of {size})")
        count, _kind = struct.unpack_from("<qb", rest, end + 1)
        if i < nwords:
            raw_words.append(rest[pos:end])
            counts[i] = count
        pos = end + 10
    prune: dict[int, int] | None = None  # -1: no pruning; 0: no n-grams kept; else id -> row
    if prune_size >= 0:
        prune = {}
    if prune_size > 0:
        if pos + 8 * prune_size > len(rest):
            raise FormatError(f"{path}: truncated fastText model (inside the pruned ids)")
        pairs = np.frombuffer(rest, "<i4", 2 * prune_size, pos).reshape(-1, 2)
        prune = dict(pairs.tolist())
        pos += 8 * prune_size
    if pos + 17 > len(rest):
        raise FormatError(f"{path}: truncated fastText model (before the input matrix)")
    if rest[pos]:
        raise FormatError(
            f"{path}: a quantized fastText model (.ftz): wordvec reads full "
            "models only; use fastText's full .bin or its .vec file"
        )
    rows, cols = struct.unpack_from("<2q", rest, pos + 1)
    pos += 17
    if cols != dim or rows < nwords or rows < 0:
        raise FormatError(f"{path}: corrupt fastText input matrix header ({rows} x {cols})")
    if pos + 4 * rows * cols > len(rest):
        raise FormatError(f"{path}: truncated fastText model (inside the input matrix)")
    matrix = np.frombuffer(rest, "<f4", rows * cols, pos).reshape(rows, cols)
    pos += 4 * rows * cols  # then the output matrix: unused here, but it must be whole
    if pos + 17 > len(rest) or rest[pos]:
        raise FormatError(f"{path}: truncated or quantized fastText output matrix")
    out_rows, out_cols = struct.unpack_from("<2q", rest, pos + 1)
    if pos + 17 + 4 * out_rows * out_cols != len(rest):
        raise FormatError(
            f"{path}: truncated fastText model (the output matrix needs "
            f"{out_rows} x {out_cols} values; the file ends elsewhere)"
        )
    try:
        words = [w.decode("utf-8") for w in raw_words]
    except UnicodeDecodeError:
        words = [w.decode("utf-8", "replace") for w in raw_words]
    vectors = np.empty((nwords, dim), np.float32)
    for i, raw in enumerate(raw_words):
        ids = [i]
        if maxn > 0 and raw != b"</s>" and prune != {}:
            ids += _subword_rows(b"<" + raw + b">", minn, maxn, bucket, nwords, prune)
        vectors[i] = matrix[ids].mean(axis=0, dtype=np.float64) if len(ids) > 1 else matrix[i]
    check_unique(words, path)
    if not allow_nonfinite:
        check_finite(vectors, words, path)
    return words, vectors, counts


def _subword_rows(word: bytes, minn, maxn, bucket, nwords, prune) -> list[int]:
    """Rows of the character n-grams of ``word`` (``<word>``), as fastText's
    ``Dictionary::computeSubwords``: n counts UTF-8 characters, n-grams hash with FNV-1a over
    signed bytes, modulo ``bucket``, and (pruned models: ``prune`` not None) through the
    pruned-id map, n-grams outside it dropped."""
    out = []
    size = len(word)
    for i in range(size):
        if word[i] & 0xC0 == 0x80:
            continue
        j, n = i, 1
        while j < size and n <= maxn:
            j += 1
            while j < size and word[j] & 0xC0 == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == size)):
                h = _fnv1a(word[i:j]) % bucket
                if prune is None:
                    out.append(nwords + h)
                elif h in prune:
                    out.append(nwords + prune[h])
            n += 1
    return out


def _fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ (b - 256 if b > 127 else b)) & 0xFFFFFFFF) * 16777619 & 0xFFFFFFFF
    return h
