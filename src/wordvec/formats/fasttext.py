"""fastText's ``.bin`` model: its word vectors (read only), as fastText's ``get_word_vector`` and
gensim's ``load_facebook_vectors`` give them, and a word's character n-grams and the rows they
hash to, exactly as fastText computes them (``Dictionary::computeSubwords``).

N-grams: the word is wrapped in the boundary marks, ``"<" + word + ">"``, and every run of
``min_n`` to ``max_n`` *characters* of it is an n-gram, taken by start position and then by
length, except the one-character runs made of a boundary mark alone. Characters are UTF-8
sequences: an n-gram never cuts one. ``max_n == 0`` (or ``max_n < min_n``) means none. An
n-gram's row is ``n_words + hash % bucket``, the hash being 32-bit FNV-1a over its UTF-8 bytes
each taken as a *signed* char (fastText's ``int8_t`` cast: bytes from 0x80 up enter the xor
sign-extended); a pruned model maps the hash through its kept ids and drops the others.
Duplicates are kept, in order, as fastText keeps them. This is the plain-Python reference.
"""

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
            ids += ngram_rows(raw, minn, maxn, bucket, nwords, prune).tolist()
        vectors[i] = matrix[ids].mean(axis=0, dtype=np.float64) if len(ids) > 1 else matrix[i]
    check_unique(words, path)
    if not allow_nonfinite:
        check_finite(vectors, words, path)
    return words, vectors, counts


BOW, EOW = b"<", b">"  # fastText's boundary marks
FNV_OFFSET, FNV_PRIME = 2166136261, 16777619  # 32-bit FNV-1a


def fasttext_hash(data: bytes) -> int:
    """fastText's hash of an n-gram's UTF-8 bytes: uint32 FNV-1a, bytes sign-extended."""
    h = FNV_OFFSET
    for b in data:
        h ^= (b | 0xFFFFFF00) if b >= 0x80 else b  # int8_t(b) as uint32
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h


def ngram_bytes(word: str | bytes, min_n: int, max_n: int) -> list[bytes]:
    """The bytes of ``word``'s n-grams, boundary marks included, in fastText's order."""
    w = BOW + (word.encode("utf-8") if isinstance(word, str) else word) + EOW
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


def ngram_rows(
    word: str | bytes,
    min_n: int,
    max_n: int,
    bucket: int,
    n_words: int,
    prune: dict[int, int] | None = None,
) -> np.ndarray:
    """int64[k]: the input-matrix rows of ``word``'s n-grams, in fastText's order: ``n_words`` +
    hash % ``bucket``, or through ``prune`` (a pruned model's hash -> row) when given, the
    n-grams outside it dropped. Empty when ``bucket`` is 0 or ``max_n`` is 0."""
    if bucket <= 0:
        return np.zeros(0, np.int64)
    hashes = [fasttext_hash(g) % bucket for g in ngram_bytes(word, min_n, max_n)]
    if prune is not None:
        hashes = [prune[h] for h in hashes if h in prune]
    return n_words + np.array(hashes, np.int64)
