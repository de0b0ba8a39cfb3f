"""fastText's ``.bin`` model: read and written whole (``read_fasttext_model``,
``write_fasttext_bin``: fastText 0.9's format, byte for byte), its word vectors as fastText's
``get_word_vector`` and gensim's ``load_facebook_vectors`` give them (``read_fasttext_bin``), and
a word's character n-grams and the rows they hash to, exactly as fastText computes them
(``Dictionary::computeSubwords``).

The file (fastText 0.9, version 12, little-endian; what ``FastText::saveModel`` writes)::

    int32 magic 793712314, int32 version 12
    args        int32 dim ws epoch minCount neg wordNgrams loss model bucket minn maxn
                lrUpdateRate, float64 t
    dictionary  int32 size nwords nlabels, int64 ntokens pruneidx_size (-1: not pruned),
                size x (word bytes, 0, int64 count, int8 type: 0 word, 1 label),
                pruneidx_size x (int32 n-gram bucket, int32 its row after the words)
    input       bool quantized, int64 rows cols, float32[rows, cols]  (nwords + bucket rows)
    output      bool quantized, int64 rows cols, float32[rows, cols]  (nwords rows)

Supervised (labels) and quantized (``.ftz``) models are refused with a ``FormatError``, as is
every truncated or corrupt file: sizes declared in the file are checked against its length
before anything is allocated (a compressed file, whose length is unknown until read, has its
matrices grown as the data comes instead).

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
from typing import NamedTuple

import numpy as np

from wordvec.formats.native import (
    FASTTEXT_MAGIC,
    FormatError,
    atomic_write,
    check_finite,
    check_unique,
    check_writable,
    compression,
    file_size,
    open_input,
)
from wordvec.kernels import FNV_OFFSET, FNV_PRIME  # the constants only: no Numba

_FASTTEXT_VERSION = 12
LOSS_NAMES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}  # fastText's loss_name codes
MODEL_NAMES = {1: "cbow", 2: "sg", 3: "sup"}  # fastText's model_name codes
ARG_NAMES = (  # fastText's arguments, in the order of its file
    "dim",
    "ws",
    "epoch",
    "minCount",
    "neg",
    "wordNgrams",
    "loss",
    "model",
    "bucket",
    "minn",
    "maxn",
    "lrUpdateRate",
    "t",
)
_ARGS = struct.Struct("<12id")  # the arguments, in ARG_NAMES's order
_DICT = struct.Struct("<3i2q")  # size, nwords, nlabels, ntokens, pruneidx_size
_ENTRY = struct.Struct("<qb")  # after a word's 0 byte: its count, its type
_SHAPE = struct.Struct("<2q")  # a matrix's rows, cols (after its quantized flag)
_CHUNK = 1 << 20  # bytes read ahead while parsing the dictionary
_BLOCK = 1 << 26  # bytes of a matrix read or written at a time (and a compressed file's first)


class FastTextModel(NamedTuple):
    """A whole fastText model (fastText 0.9's ``.bin``) as arrays and numbers.

    args : dict
        fastText's 13 arguments by its names (``ARG_NAMES``); ``loss`` and ``model`` are its int
        codes (``LOSS_NAMES``, ``MODEL_NAMES``), ``t`` a float, the others ints.
    words : list of str, V
        The vocabulary in file order, ``"</s>"`` included when the file has it. Bytes that are
        not UTF-8 are decoded with ``surrogateescape``, so they are written back unchanged.
    counts : int64[V]
    ntokens : int
        The number of tokens fastText counted in its corpus.
    input : float32[V + bucket, dim]
        The words' rows, then the n-gram buckets' (``V + len(prune)`` rows when pruned).
    output : float32[V, dim]
    prune : dict of int to int, or None
        A pruned model's n-gram bucket (hash % bucket) -> its row after the words, in file
        order; None: not pruned; ``{}``: no n-gram rows at all.

    Read from a file, ``counts``, ``input`` and ``output`` are arrays of their own, writable
    (training updates the matrices in place): no copy is made, and none is kept.
    """

    args: dict
    words: list[str]
    counts: np.ndarray
    ntokens: int
    input: np.ndarray
    output: np.ndarray
    prune: dict[int, int] | None = None


def read_fasttext_model(path: str | os.PathLike, allow_nonfinite: bool = False) -> FastTextModel:
    """The whole model in a fastText ``.bin`` file (fastText 0.9's format), as a
    ``FastTextModel``; ``write_fasttext_bin`` writes it back byte for byte.

    Raises ``FormatError`` naming the file for a truncated or corrupt file, a supervised or a
    quantized (``.ftz``) model, and a NaN or infinite value (unless ``allow_nonfinite``).
    """
    path = Path(path)
    model = _read_model(path)
    if not allow_nonfinite:
        for what, matrix in (("input", model.input), ("output", model.output)):
            if (row := _nonfinite_row(matrix)) is not None:
                raise FormatError(
                    f"{path}: {_row_name(what, row, model.words)} has a NaN or infinite value: "
                    "corrupt, or diverged training; allow_nonfinite=True loads it anyway"
                )
    return model


def read_fasttext_bin(
    path: str | os.PathLike, allow_nonfinite: bool = False
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The word vectors of a fastText ``.bin`` model: (words, float32[V, d], int64[V] counts).

    A word's vector is what fastText's ``get_word_vector`` (and gensim's
    ``load_facebook_vectors``) give: the mean of its own input row and its character n-gram
    rows. Vectors for words outside the vocabulary (built from n-grams) are not kept. Words
    that are not UTF-8 are decoded with ``errors="replace"``.
    Quantized (``.ftz``) and supervised models are refused.
    """
    path = Path(path)
    model = _read_model(path)
    args, raw_words = model.args, [w.encode("utf-8", "surrogateescape") for w in model.words]
    nwords, dim = len(raw_words), args["dim"]
    vectors = np.empty((nwords, dim), np.float32)
    for i, raw in enumerate(raw_words):
        ids = [i]
        if args["maxn"] > 0 and raw != b"</s>" and model.prune != {}:
            ids += ngram_rows(
                raw, args["minn"], args["maxn"], args["bucket"], nwords, model.prune
            ).tolist()
        vectors[i] = (
            model.input[ids].mean(axis=0, dtype=np.float64) if len(ids) > 1 else model.input[i]
        )
    words = [w.decode("utf-8", "replace") for w in raw_words]
    check_unique(words, path)
    if not allow_nonfinite:
        check_finite(vectors, words, path)
    return words, vectors, model.counts


def write_fasttext_bin(path: str | os.PathLike, model: FastTextModel) -> None:
    """Write ``model`` as fastText 0.9's ``.bin`` (what ``fasttext.load_model`` and gensim's
    ``load_facebook_model`` read). A model ``read_fasttext_model`` read is written back byte
    for byte.

    The file is written atomically (``native.atomic_write``): on any error nothing is left at
    ``path``. The path is checked before anything big is done (``native.check_writable``, free
    space included). An inconsistent model (shapes that disagree with ``args``'s dim and bucket
    and ``len(words)``, a matrix not float32, a NaN or infinite value, a word that repeats or
    holds a 0 byte, an unknown argument or code) raises ``ValueError`` saying what is wrong.
    """
    raw_words = _check_model(model)
    nbytes = 4 * (model.input.size + model.output.size) + sum(len(w) + 10 for w in raw_words)
    path = check_writable(path, nbytes)
    for what, matrix in (("input", model.input), ("output", model.output)):
        if (row := _nonfinite_row(matrix)) is not None:
            raise ValueError(
                f"FastTextModel: {_row_name(what, row, model.words)} has a NaN or infinite value"
            )
    prune, n_words = model.prune, len(raw_words)
    with atomic_write(path) as f:
        f.write(struct.pack("<2i", FASTTEXT_MAGIC, _FASTTEXT_VERSION))
        f.write(_ARGS.pack(*(model.args[name] for name in ARG_NAMES)))
        prune_size = -1 if prune is None else len(prune)
        f.write(_DICT.pack(n_words, n_words, 0, model.ntokens, prune_size))
        counts = model.counts.tolist()
        f.writelines(w + b"\0" + _ENTRY.pack(c, 0) for w, c in zip(raw_words, counts, strict=True))
        if prune:
            f.write(np.array(list(prune.items()), "<i4").tobytes())
        for matrix in (model.input, model.output):
            f.write(b"\0" + _SHAPE.pack(*matrix.shape))  # not quantized, rows, cols
            step = max(1, _BLOCK // (4 * matrix.shape[1]))
            for start in range(0, matrix.shape[0], step):  # no copy of a whole strided matrix
                f.write(np.ascontiguousarray(matrix[start : start + step], "<f4").data)


# -- reading ---------------------------------------------------------------------------------------
def _read_model(path: Path) -> FastTextModel:
    """The model in the file, its shapes checked (not its values)."""
    length = file_size(path) if compression(path) is None else None  # None: known once read
    with open_input(path) as f:
        return _parse(_Source(f, path, length))


class _Source:
    """A model file read forward: exact reads that name the part a truncation falls in, and
    matrices read straight into arrays of their own."""

    def __init__(self, f, path: Path, length: int | None):
        self.f, self.path, self.length = f, path, length
        self.buf, self.pos = bytearray(), 0  # bytes read ahead; buf[pos:] not taken yet
        self.offset = 0  # bytes of the file taken

    def truncated(self, what: str) -> FormatError:
        return FormatError(f"{self.path}: truncated fastText model (inside {what})")

    def _more(self, what: str, n: int = _CHUNK) -> None:
        more = self.f.read(n)
        if not more:
            raise self.truncated(what)
        del self.buf[: self.pos]  # cheap: a bytearray drops its head in place
        self.pos = 0
        self.buf += more

    def take(self, n: int, what: str) -> bytes:
        while len(self.buf) - self.pos < n:
            self._more(what, max(_CHUNK, n - len(self.buf) + self.pos))
        out = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        self.offset += n
        return out

    def word(self, what: str) -> bytes:
        """The bytes up to the next 0 byte, which is taken too."""
        start = self.pos
        while (end := self.buf.find(0, start)) < 0:
            start = len(self.buf) - self.pos  # scanned already (where it will be after _more)
            self._more(what)
        out = bytes(self.buf[self.pos : end])
        self.offset += end + 1 - self.pos
        self.pos = end + 1
        return out

    def floats(self, rows: int, cols: int, what: str) -> np.ndarray:
        """float32[rows, cols], in an array of its own. A file's length is checked first; a
        compressed file's array is grown (by realloc) as the data comes, never to more than
        the data that came."""
        n = 4 * rows * cols
        if self.length is not None and n > self.length - self.offset:
            raise FormatError(
                f"{self.path}: truncated fastText model (the {what} needs {rows} x {cols} "
                f"values, {n:,} bytes; the file holds {self.length - self.offset:,} more)"
            )
        a = np.empty(n if self.length is not None else min(n, _BLOCK), np.uint8)
        got = 0
        while True:
            with memoryview(a) as view:
                got = self._fill(view, got)
            if got == n:
                break
            if got < a.size:
                raise self.truncated(f"the {what}")
            a.resize(min(n, 2 * a.size), refcheck=False)  # no view of `a` is alive
        self.offset += n
        return a.view("<f4").reshape(rows, cols)

    def _fill(self, view: memoryview, got: int) -> int:
        """Fill ``view[got:]``, with the bytes read ahead first; how far it is full."""
        k = min(len(view) - got, len(self.buf) - self.pos)
        view[got : got + k] = self.buf[self.pos : self.pos + k]
        self.pos += k
        got += k
        while got < len(view):
            k = self.f.readinto(view[got : got + _BLOCK])  # bounded: a decompressor copies
            if not k:
                break
            got += k
        return got

    def at_end(self) -> bool:
        return self.pos == len(self.buf) and not self.f.read(1)


def _parse(src: _Source) -> FastTextModel:
    path = src.path
    magic, version = struct.unpack("<2i", src.take(8, "the header"))
    if magic != FASTTEXT_MAGIC:
        raise FormatError(f"{path}: not a fastText model (bad magic bytes)")
    if version != _FASTTEXT_VERSION:
        raise FormatError(
            f"{path}: fastText format version {version}; wordvec reads "
            f"{_FASTTEXT_VERSION} (fastText 0.9)"
        )
    args = dict(zip(ARG_NAMES, _ARGS.unpack(src.take(_ARGS.size, "the arguments")), strict=True))
    if problem := _args_problem(args):
        raise FormatError(f"{path}: corrupt fastText arguments ({problem})")
    dim, bucket = args["dim"], args["bucket"]
    size, nwords, nlabels, ntokens, prune_size = _DICT.unpack(
        src.take(_DICT.size, "the dictionary header")
    )
    if not (0 <= nwords <= size and nlabels == size - nwords) or ntokens < 0 or prune_size < -1:
        raise FormatError(f"{path}: corrupt fastText dictionary header")
    raw_words: list[bytes] = []
    counts: list[int] = []  # no array of a declared size: the file may be lying
    for i in range(size):
        what = f"word {i + 1} of {size}"
        raw_words.append(src.word(what))
        count, kind = _ENTRY.unpack(src.take(_ENTRY.size, what))
        if kind != (i >= nwords):  # the words (type 0), then the labels (type 1)
            raise FormatError(
                f"{path}: corrupt fastText dictionary (entry {i + 1} has type {kind})"
            )
        counts.append(count)
    prune: dict[int, int] | None = None if prune_size < 0 else {}
    for start in range(0, max(prune_size, 0), _CHUNK // 8):
        k = min(prune_size - start, _CHUNK // 8)
        prune.update(np.frombuffer(src.take(8 * k, "the pruned ids"), "<i4").reshape(k, 2).tolist())
    if prune and (
        len(prune) != prune_size
        or not all(0 <= h < bucket and 0 <= r < prune_size for h, r in prune.items())
    ):
        raise FormatError(f"{path}: corrupt fastText pruned n-gram ids")
    quantized = src.take(1, "the input matrix header")[0]
    if nlabels:
        raise FormatError(
            f"{path}: a supervised fastText model ({nlabels} labels"
            f"{', quantized' if quantized else ''}): it has no word vectors to read"
        )
    if quantized:
        raise FormatError(
            f"{path}: a quantized fastText model (.ftz): wordvec reads full "
            "models only; use fastText's full .bin or its .vec file"
        )
    rows, cols = _SHAPE.unpack(src.take(_SHAPE.size, "the input matrix header"))
    expected = nwords + (bucket if prune is None else len(prune))
    if (rows, cols) != (expected, dim):
        raise FormatError(
            f"{path}: corrupt fastText input matrix header ({rows} x {cols}; the arguments "
            f"and dictionary say {expected} x {dim})"
        )
    matrix = src.floats(rows, cols, "input matrix")
    if src.take(1, "the output matrix header")[0]:
        raise FormatError(f"{path}: a quantized fastText output matrix: wordvec reads full models")
    out_rows, out_cols = _SHAPE.unpack(src.take(_SHAPE.size, "the output matrix header"))
    if (out_rows, out_cols) != (nwords, dim):
        raise FormatError(
            f"{path}: corrupt fastText output matrix header ({out_rows} x {out_cols}; the "
            f"dictionary and arguments say {nwords} x {dim})"
        )
    output = src.floats(out_rows, out_cols, "output matrix")
    if not src.at_end():
        raise FormatError(f"{path}: corrupt fastText model (bytes after its output matrix)")
    words = [w.decode("utf-8", "surrogateescape") for w in raw_words]
    check_unique(words, path)
    return FastTextModel(args, words, np.array(counts, np.int64), ntokens, matrix, output, prune)


# -- checks shared by the reader and the writer ---------------------------------------------------
def _args_problem(args: dict) -> str | None:
    """What is wrong with fastText arguments that wordvec would trip on (None: nothing)."""
    if args["dim"] <= 0:
        return f"dim={args['dim']}"
    if args["bucket"] < 0:
        return f"bucket={args['bucket']}"
    if args["loss"] not in LOSS_NAMES:
        return f"loss={args['loss']}; fastText's codes are {LOSS_NAMES}"
    if args["model"] not in MODEL_NAMES:
        return f"model={args['model']}; fastText's codes are {MODEL_NAMES}"
    return None


def _nonfinite_row(matrix: np.ndarray) -> int | None:
    """The first row holding a NaN or infinite value (None: none), in blocks of rows."""
    for start in range(0, matrix.shape[0], 65536):
        bad = np.flatnonzero(~np.isfinite(matrix[start : start + 65536]).all(axis=1))
        if len(bad):
            return start + int(bad[0])
    return None


def _row_name(what: str, row: int, words: list[str]) -> str:
    if what == "output":
        return f"output matrix row {row + 1}"
    if row < len(words):
        return f"input matrix row {row + 1} (word {words[row]!r})"
    return f"input matrix row {row + 1} (n-gram bucket {row - len(words)})"


def _check_model(model: FastTextModel) -> list[bytes]:
    """``model``'s words as bytes, after checking it is a consistent fastText model."""
    args = model.args
    if not isinstance(args, dict) or set(args) != set(ARG_NAMES):
        given = set(args) if isinstance(args, dict) else set()
        raise ValueError(
            "FastTextModel.args needs exactly fastText's 13 arguments: missing "
            f"{[a for a in ARG_NAMES if a not in given]}, unknown {sorted(given - set(ARG_NAMES))}"
        )
    for name in ARG_NAMES[:-1]:
        v = args[name]
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or not -(2**31) <= v < 2**31:
            raise ValueError(f"FastTextModel.args[{name!r}] = {v!r}: fastText needs an int32")
    if not isinstance(args["t"], float | int | np.floating | np.integer):
        raise ValueError(f"FastTextModel.args['t'] = {args['t']!r}: fastText needs a float")
    if problem := _args_problem(args):
        raise ValueError(f"FastTextModel.args: {problem}")
    words, n_words, dim, bucket = model.words, len(model.words), args["dim"], args["bucket"]
    try:
        raw_words = [w.encode("utf-8", "surrogateescape") for w in words]
    except (AttributeError, UnicodeEncodeError) as e:
        raise ValueError(f"FastTextModel.words: every word must be a str of text ({e})") from None
    if n_words >= 2**31:
        raise ValueError(f"FastTextModel.words: {n_words:,} words; fastText holds < 2**31")
    if any(b"\0" in w for w in raw_words):
        raise ValueError("FastTextModel.words: a word holds a 0 byte (fastText's word end)")
    if len(set(words)) != n_words:
        raise ValueError("FastTextModel.words: a word appears twice")
    counts = model.counts
    if not (
        isinstance(counts, np.ndarray)
        and np.can_cast(counts.dtype, np.int64)
        and counts.shape == (n_words,)
    ):
        raise ValueError(
            f"FastTextModel.counts must be an int array of {n_words} counts (one per word)"
        )
    if not (isinstance(model.ntokens, int | np.integer) and 0 <= model.ntokens < 2**63):
        raise ValueError(f"FastTextModel.ntokens = {model.ntokens!r}: a count of tokens is needed")
    prune = model.prune
    if prune is not None and not (
        isinstance(prune, dict)
        and all(
            isinstance(h, int | np.integer)
            and isinstance(r, int | np.integer)
            and 0 <= h < bucket
            and 0 <= r < len(prune)
            for h, r in prune.items()
        )
    ):
        raise ValueError(
            "FastTextModel.prune must be None or a dict of n-gram bucket (0 <= b < bucket) -> "
            "row (0 <= r < len(prune))"
        )
    ngram_rows_ = bucket if prune is None else len(prune)
    for what, matrix, rows in (
        ("input", model.input, n_words + ngram_rows_),
        ("output", model.output, n_words),
    ):
        if not (
            isinstance(matrix, np.ndarray)
            and matrix.dtype == np.float32
            and matrix.shape == (rows, dim)
        ):
            shape = (
                f"{matrix.dtype}{list(matrix.shape)}"
                if isinstance(matrix, np.ndarray)
                else type(matrix).__name__
            )
            raise ValueError(
                f"FastTextModel.{what} is {shape}; fastText needs float32[{rows}, {dim}] "
                + (
                    "(len(words) + bucket rows, or + len(prune) when pruned; dim columns)"
                    if what == "input"
                    else "(len(words) rows, dim columns)"
                )
            )
    return raw_words


# -- n-grams --------------------------------------------------------------------------------------
BOW, EOW = b"<", b">"  # fastText's boundary marks


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
