"""File formats: the word2vec C text and binary formats, and wordvec's native format.

Every writer goes to a temporary file beside the target and renames it into place, so a crash
never leaves a half-written file. Every reader checks what it reads and names the file and the
line or byte offset of the first problem (``FormatError``), instead of returning a wrong model.

Native format (``.wv``), version 1, little-endian, no pickle::

    b"WORDVEC\\0"  uint32 version  uint64 header_bytes   (20 bytes)
    header: UTF-8 JSON {"meta": {...}, "arrays": {name: {dtype, shape, offset, crc32}}}
    arrays: raw C-order bytes, each at an offset that is a multiple of 64 (memory-mappable)
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from .keyedvectors import KeyedVectors

MAGIC = b"WORDVEC\0"
VERSION = 1
_PREFIX = struct.Struct("<8sIQ")
ALIGN = 64
UnicodeErrors = Literal["strict", "replace", "ignore"]


class FormatError(ValueError):
    """A file is truncated, corrupt, or not in the format it was read as."""


@contextmanager
def atomic_write(path: str | os.PathLike):
    """Open a temporary file beside ``path`` for binary writing; rename it to ``path`` only if
    the block finishes. On any error the temporary is removed and ``path`` is untouched."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- native format ------------------------------------------------------------------------------
def save_native(path: str | os.PathLike, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` (JSON-able) and named arrays to one versioned, mmap-able file."""
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    table, offset = {}, 0
    for name, a in arrays.items():
        table[name] = {
            "dtype": a.dtype.newbyteorder("<").str,
            "shape": list(a.shape),
            "offset": offset,  # relative to the data start, fixed below
            "crc32": zlib.crc32(a.view(np.uint8).reshape(-1)) if a.size else 0,
        }
        offset += -(-a.nbytes // ALIGN) * ALIGN
    # the header's length depends on the offsets: settle it in two passes
    data_start = 0
    for _ in range(2):
        header = json.dumps(
            {"meta": meta, "data_start": data_start, "arrays": table}, ensure_ascii=False
        ).encode("utf-8")
        data_start = -(-(_PREFIX.size + len(header)) // ALIGN) * ALIGN
    header = json.dumps(
        {"meta": meta, "data_start": data_start, "arrays": table}, ensure_ascii=False
    ).encode("utf-8")
    header = header.ljust(data_start - _PREFIX.size, b" ")
    with atomic_write(path) as f:
        f.write(_PREFIX.pack(MAGIC, VERSION, len(header)))
        f.write(header)
        for name, a in arrays.items():
            f.write(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
            f.write(b"\0" * (-a.nbytes % ALIGN))
        _ = name


def load_native(
    path: str | os.PathLike, mmap: bool = False
) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a native file: (meta, arrays). With ``mmap`` the arrays are read-only memory maps and
    their checksums are not verified (that would read them all)."""
    path = Path(path)
    size = _file_size(path)
    with open(path, "rb") as f:
        prefix = f.read(_PREFIX.size)
        if len(prefix) < _PREFIX.size or not prefix.startswith(MAGIC):
            raise FormatError(f"{path}: not a wordvec native file (bad magic bytes)")
        _, version, hlen = _PREFIX.unpack(prefix)
        if version != VERSION:
            raise FormatError(f"{path}: format version {version}; this wordvec reads {VERSION}")
        if _PREFIX.size + hlen > size:
            raise FormatError(f"{path}: truncated inside the header ({size} bytes)")
        try:
            header = json.loads(f.read(hlen).decode("utf-8"))
            meta, table, start = header["meta"], header["arrays"], int(header["data_start"])
        except (ValueError, KeyError, TypeError) as e:
            raise FormatError(f"{path}: corrupt header: {e}") from None
        arrays = {}
        for name, info in table.items():
            dtype, shape = np.dtype(info["dtype"]), tuple(info["shape"])
            offset = start + int(info["offset"])
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if offset + nbytes > size:
                raise FormatError(
                    f"{path}: truncated: array {name!r} needs bytes {offset}..{offset + nbytes}, "
                    f"the file has {size}"
                )
            if mmap and nbytes:
                a = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
            else:
                f.seek(offset)
                a = np.frombuffer(f.read(nbytes), dtype=dtype).reshape(shape).copy()
                if nbytes and zlib.crc32(a.view(np.uint8).reshape(-1)) != info["crc32"]:
                    raise FormatError(f"{path}: array {name!r} is corrupt (checksum mismatch)")
            arrays[name] = a
    return meta, arrays


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None


# -- word2vec C formats -------------------------------------------------------------------------
def _check_word(word: str) -> bytes:
    if not word or any(c.isspace() for c in word):
        raise ValueError(
            f"word {word!r} is empty or contains whitespace: the word2vec format cannot hold it"
        )
    return word.encode("utf-8")


def save_word2vec(
    kv: KeyedVectors,
    path: str | os.PathLike,
    binary: bool = False,
    header: bool = True,
    limit: int | None = None,
) -> None:
    """Write the word2vec C format: ``"V d\\n"`` then one word per line, in vocabulary order.

    Text: values as the shortest repr that reads back to the same float32 (what gensim writes).
    Binary: the word, a space, d little-endian float32 and a newline (what the C tool writes).
    ``header=False`` gives GloVe-style text.
    """
    n = len(kv) if limit is None else min(limit, len(kv))
    vectors = np.asarray(kv.vectors[:n], dtype="<f4")
    with atomic_write(path) as f:
        if header:
            f.write(f"{n} {kv.vector_size}\n".encode())
        for i in range(n):
            w = _check_word(kv.index_to_key[i])
            if binary:
                f.write(w + b" " + vectors[i].tobytes() + b"\n")
            else:
                f.write(w + b" " + " ".join(map(repr, vectors[i].tolist())).encode() + b"\n")


def load_word2vec(
    path: str | os.PathLike,
    binary: bool | None = None,
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
    header: bool = True,
) -> KeyedVectors:
    """Read the word2vec C text or binary format (``binary=None``: guess from the bytes).

    ``limit`` reads only the first words; ``unicode_errors`` says what invalid UTF-8 in a word
    does ('strict' raises FormatError naming the offset). ``header=False`` reads GloVe-style text.
    """
    path = Path(path)
    _file_size(path)
    with open(path, "rb") as f:
        first = f.readline() if header else b""
        try:
            v, d = (int(x) for x in first.split()) if header else (None, None)
        except ValueError:
            raise FormatError(f"{path}: line 1 must be '<words> <dimensions>', got {first[:80]!r}")
        if header and (v < 0 or d <= 0):
            raise FormatError(f"{path}: bad header {first.strip()!r}")
        if binary is None:
            binary = header and _looks_binary(f, d)
        n = v if limit is None else min(v, limit) if v is not None else limit
        read = _read_binary if binary else _read_text
        words, vectors = read(f, path, n, d, unicode_errors, len(first))
    if len(set(words)) != len(words):
        raise FormatError(f"{path}: the same word appears twice")
    return KeyedVectors(words, vectors)


def _looks_binary(f: BinaryIO, d: int) -> bool:
    pos = f.tell()
    sample = f.read(4096)
    f.seek(pos)
    sp = sample.find(b" ")
    body = sample[sp + 1 : sp + 1 + 4 * d] if sp >= 0 else sample
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return True
    return not all(c.isspace() or c in "0123456789.-+eEinfatyNI" for c in text)


def _decode(raw: bytes, errors: str, path: Path, where: str) -> str:
    try:
        return raw.decode("utf-8", errors=errors)
    except UnicodeDecodeError as e:
        raise FormatError(
            f"{path}: invalid UTF-8 in word {raw!r} at {where} ({e.reason}); "
            "pass unicode_errors='replace' or 'ignore' to accept it"
        ) from None


def _read_binary(f, path, n, d, errors, offset):
    data = f.read()
    vectors = np.empty((n, d), np.float32)
    words = []
    pos, rec = 0, 4 * d
    for i in range(n):
        while pos < len(data) and data[pos] in b" \n\r\t":
            pos += 1
        sp = data.find(b" ", pos, pos + 4096)
        if sp < 0 or sp + 1 + rec > len(data):
            raise FormatError(
                f"{path}: truncated at byte {offset + pos}: word {i + 1} of {n} is incomplete"
            )
        words.append(_decode(data[pos:sp], errors, path, f"byte {offset + pos}"))
        vectors[i] = np.frombuffer(data, "<f4", d, sp + 1)
        pos = sp + 1 + rec
    if not np.isfinite(vectors).all():
        raise FormatError(f"{path}: non-finite values (NaN or inf): corrupt or not float32")
    return words, vectors


def _read_text(f, path, n, d, errors, offset):
    words, rows = [], []
    lineno = 1 if offset else 0
    for line in f:
        lineno += 1
        if n is not None and len(words) >= n:
            break
        parts = line.rstrip(b"\r\n").rstrip(b" ").split(b" ")
        if parts == [b""]:
            continue
        if d is None:
            d = len(parts) - 1
        if len(parts) != d + 1:
            raise FormatError(
                f"{path}: line {lineno}: expected a word and {d} numbers, got {len(parts) - 1}"
            )
        try:
            rows.append(np.array(parts[1:], dtype=np.float32))
        except ValueError:
            raise FormatError(f"{path}: line {lineno}: not a number among the values") from None
        words.append(_decode(parts[0], errors, path, f"line {lineno}"))
    if n is not None and len(words) < n:
        raise FormatError(f"{path}: truncated: header promises {n} words, found {len(words)}")
    if not words:
        raise FormatError(f"{path}: no vectors found")
    return words, np.vstack(rows)


Loader = Callable[..., KeyedVectors]
