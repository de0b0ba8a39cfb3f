"""Vector file codecs over plain arrays (words, float32 vectors, counts): wordvec's native format,
the word2vec C text and binary formats (fastText's ``.vec`` is the text one), GloVe text (no
header line), the TensorFlow Embedding Projector's ``vectors.tsv`` + ``metadata.tsv``, and the
word vectors of a fastText ``.bin`` model (read only).

This module knows nothing of ``KeyedVectors`` (``wordvec.io`` wraps it for that), so
``keyedvectors`` and ``io`` can both build on it without importing each other.

- **Compression**: any format may be gzip, bzip2 or xz compressed. Writers compress by the
  name's last suffix (``v.txt.gz``); readers by the file's first bytes, whatever its name.
- **Recognition**: a file that is none of these (a fastText model, a Python pickle, a NumPy
  ``.npy``/``.npz``, a zip archive, an empty file) is named by its first bytes, with what to do.
- **Atomic writes**: every writer writes a temporary file beside the target and renames it, so a
  crash never leaves a half-written file; an error names the target, never the temporary.
- **Checks**: every reader names the file and the line or byte offset of the first problem
  (``FormatError``). NaN and infinite values are refused in every format, naming the word and
  where it is, unless ``allow_nonfinite=True``. Native files carry a CRC32 per array, verified
  on every load (memory-mapped loads verify lazily: ``load_native(..., lazy=True)``).

Text formats write each float32 as its shortest round-tripping repr (as gensim), so text files
reload bit for bit. Words containing ASCII whitespace cannot be written to the C, GloVe or
projector formats and are refused with ``ValueError``.

Native format (``.wv``), version 1, little-endian, no pickle::

    b"WORDVEC\\0"  uint32 version  uint64 header_bytes   (20 bytes)
    header: UTF-8 JSON {"meta": {...}, "arrays": {name: {dtype, shape, offset, crc32}}}
    arrays: raw C-order bytes, each at an offset that is a multiple of 64 (memory-mappable)
"""

from __future__ import annotations

import bz2
import gzip
import io as _stdio
import json
import lzma
import os
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal, get_args

import numpy as np

from .encoded import UnicodeErrors

MAGIC = b"WORDVEC\0"
VERSION = 1
_PREFIX = struct.Struct("<8sIQ")
ALIGN = 64
KV_KIND = "wordvec.KeyedVectors"
MODEL_KIND = "wordvec.Word2Vec"  # a saved model's vectors load as KeyedVectors too
Format = Literal["native", "text", "binary", "glove", "projector"]
FORMATS: tuple[str, ...] = get_args(Format)
Compression = Literal["gzip", "bz2", "xz"]
_CHUNK = 1 << 22  # bytes read at a time by the binary reader
_LINES = 4096  # lines parsed at a time by the text readers
FASTTEXT_MAGIC = 793712314  # int32 at the start of a fastText .bin/.ftz model
_FASTTEXT_VERSION = 12


class FormatError(ValueError):
    """A file is truncated, corrupt, or not in the format it was read as."""


# -- writing: paths, atomic writes, compression ---------------------------------------------------
def check_writable(path: str | os.PathLike, nbytes: int | None = None) -> Path:
    """Check, before any long work, that a file can be written at ``path``: a non-empty name,
    not a directory, in an existing directory where a file can be created (tried for real), and
    with ``nbytes`` free there when given. Raises ``OSError``/``ValueError`` naming ``path``."""
    if path is None or not os.fspath(path).strip():
        raise ValueError("the output file name is empty")
    text = os.fspath(path)
    path = Path(path)
    if path.is_dir() or text.endswith(("/", os.sep)):
        raise IsADirectoryError(21, "is a directory, not a file name", text)
    parent = path.parent
    if not parent.exists():
        raise FileNotFoundError(2, f"the directory {str(parent)!r} does not exist", text)
    if not parent.is_dir():
        raise NotADirectoryError(20, f"{str(parent)!r} is not a directory", text)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".check", dir=parent)
    except OSError as e:
        raise type(e)(e.errno, f"cannot create a file in {str(parent)!r} ({e.strerror})",
                      text) from None  # fmt: skip
    os.close(fd)
    os.unlink(tmp)
    if nbytes is not None:
        import shutil

        free = shutil.disk_usage(parent).free
        if nbytes > free:
            raise OSError(28, f"needs about {nbytes / 2**20:,.0f} MB but only "
                          f"{free / 2**20:,.0f} MB is free on its disk", text)  # fmt: skip
    return path


@contextmanager
def atomic_write(path: str | os.PathLike):
    """Open a temporary file beside ``path`` for binary writing; rename it to ``path`` only if
    the block finishes. On any error the temporary is removed and ``path`` is untouched; an
    ``OSError`` names ``path``, not the temporary."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise type(e)(e.errno, e.strerror, str(path)) from None
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600: give the file the usual permissions
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        if e.filename in (tmp, None) and e.errno is not None:
            raise type(e)(e.errno, e.strerror, str(path)) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_COMPRESSED_SUFFIXES: dict[str, Compression] = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}


def split_compression(path: str | os.PathLike) -> tuple[Path, Compression | None]:
    """(the name without a ``.gz``/``.bz2``/``.xz`` suffix, the compression it names)."""
    path = Path(path)
    kind = _COMPRESSED_SUFFIXES.get(path.suffix.lower())
    return (path.with_suffix(""), kind) if kind else (path, None)


@contextmanager
def open_output(path: str | os.PathLike):
    """``atomic_write(path)``, compressed when the name ends in .gz, .bz2 or .xz."""
    kind = split_compression(path)[1]
    with atomic_write(path) as raw:
        if kind is None:
            yield raw
            return
        openers = {
            "gzip": lambda: gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0),
            "bz2": lambda: bz2.BZ2File(raw, "wb"),
            "xz": lambda: lzma.LZMAFile(raw, "wb"),  # noqa: SIM115 (closed by the with below)
        }
        with openers[kind]() as z:
            yield z


# -- reading: what a file is ----------------------------------------------------------------------
_COMPRESSED_MAGIC: dict[bytes, Compression] = {
    b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz",
}  # fmt: skip
_COMPRESSED_NAME = {"gzip": "gzip", "bz2": "bzip2", "xz": "xz"}


def _compression_of(head: bytes) -> Compression | None:
    for magic, kind in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise FileNotFoundError(2, "no such file", str(path)) from None


def _head(path: Path, n: int = 16) -> bytes:
    _file_size(path)
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory, not a vectors file", str(path))
    with open(path, "rb") as f:
        return f.read(n)


def compression(path: str | os.PathLike) -> Compression | None:
    """The compression of an existing file, from its first bytes (None: not compressed)."""
    return _compression_of(_head(Path(path)))


def _open_plain(path: Path, kind: Compression | None) -> BinaryIO:
    if kind == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if kind == "xz":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


@contextmanager
def open_input(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed when its first bytes say gzip, bzip2 or xz. Damaged
    compressed data raises ``FormatError`` naming the file."""
    path = Path(path)
    kind = compression(path)
    f = _open_plain(path, kind)
    try:
        yield f
    except (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile) as e:
        raise _damaged(path, kind, e) from None
    except OSError as e:
        if kind is None or e.errno is not None:
            raise
        raise _damaged(path, kind, e) from None
    finally:
        f.close()


def _damaged(path: Path, kind: str | None, e: BaseException) -> FormatError:
    what = _COMPRESSED_NAME.get(kind or "", "compressed")
    return FormatError(f"{path}: damaged {what} data (truncated or corrupt: {e})")


def _describe(head: bytes) -> str | None:
    """What a file that is not a vectors file is, and what to do, from its first bytes."""
    if not head:
        return "the file is empty"
    if head[:4] == struct.pack("<i", FASTTEXT_MAGIC):
        return None  # readable: see load_fasttext_bin
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return ("a Python pickle (what gensim's model.save() and KeyedVectors.save() write): "
                "wordvec never loads pickles (they can run code); in gensim, load it, write "
                "model.wv.save_word2vec_format('vectors.bin', binary=True) and use that")
    if head.startswith(b"\x93NUMPY"):
        return ("a NumPy .npy array (no words: gensim stores big arrays of a pickled model "
                "this way); load the model it belongs to in gensim and write "
                "save_word2vec_format('vectors.bin', binary=True)")  # fmt: skip
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return ("a zip archive (or a NumPy .npz, which is one): unzip it and give the vectors "
                "file inside (.vec, .txt, .bin or .wv)")  # fmt: skip
    if head.startswith(b"\x89HDF"):
        return "an HDF5 file (e.g. a Keras model): export the embedding as word2vec text"
    return None


def identify(path: str | os.PathLike) -> str | None:
    """A sentence saying what ``path`` is when its first bytes show it is no vectors file
    wordvec reads (pickle, .npy, zip/.npz, HDF5, empty), else None."""
    path = Path(path)
    head = _head(path)
    kind = _compression_of(head)
    if kind is not None:
        try:
            with _open_plain(path, kind) as f:
                head = f.read(16)
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as e:
            raise _damaged(path, kind, e) from None
        text = _describe(head)
        return text and f"{_COMPRESSED_NAME[kind]}-compressed {text}"
    return _describe(head)


# -- native format --------------------------------------------------------------------------------
def save_native(path: str | os.PathLike, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` (JSON-able) and named arrays to one versioned, mmap-able file (compressed
    when the name ends in .gz/.bz2/.xz: then it cannot be memory-mapped)."""
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    table, offset = {}, 0
    for name, a in arrays.items():
        table[name] = {
            "dtype": a.dtype.newbyteorder("<").str,
            "shape": list(a.shape),
            "offset": offset,  # relative to the data start, fixed below
            "crc32": _crc(a) if a.size else 0,
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
    with open_output(path) as f:
        f.write(_PREFIX.pack(MAGIC, VERSION, len(header)))
        f.write(header)
        for a in arrays.values():
            f.write(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
            f.write(b"\0" * (-a.nbytes % ALIGN))


def _crc(a: np.ndarray, start: int = 0) -> int:
    """CRC32 of an array's bytes, 64 MB at a time (no copy of a memory map)."""
    flat = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
    crc = start
    for i in range(0, flat.shape[0], 1 << 26):
        crc = zlib.crc32(flat[i : i + (1 << 26)], crc)
    return crc


def load_native(
    path: str | os.PathLike, mmap: bool = False, lazy: bool = False
) -> tuple[dict, dict[str, np.ndarray]] | tuple[dict, dict[str, np.ndarray], Callable[[], None]]:
    """Read a native file: (meta, arrays). Every array's checksum is verified.

    With ``mmap`` the arrays are read-only memory maps (a compressed file is read into memory
    instead). With ``mmap`` and ``lazy`` the checksums are not read now: the result is
    (meta, arrays, verify) and ``verify()`` must run before the arrays are used (it reads them
    all once and raises ``FormatError`` naming the first corrupt array).
    """
    path = Path(path)
    size = _file_size(path)
    if compression(path) is not None:
        with open_input(path) as f:
            data = f.read()
        return _parse_native(path, _stdio.BytesIO(data), len(data), False, lazy)
    with open(path, "rb") as f:
        return _parse_native(path, f, size, mmap, lazy)


def _parse_native(path: Path, f: BinaryIO, size: int, mmap: bool, lazy: bool):
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
        if not isinstance(meta, dict) or not isinstance(table, dict):
            raise TypeError("meta and arrays must be objects")
    except (ValueError, KeyError, TypeError) as e:
        raise FormatError(f"{path}: corrupt header: {e}") from None
    arrays, checks = {}, []
    for name, info in table.items():
        try:
            dtype, shape = np.dtype(info["dtype"]), tuple(int(n) for n in info["shape"])
            offset, crc = start + int(info["offset"]), int(info["crc32"])
            if dtype.hasobject or min(shape, default=0) < 0 or offset < start:
                raise ValueError("bad dtype, shape or offset")
        except (ValueError, KeyError, TypeError) as e:
            raise FormatError(f"{path}: corrupt header entry for array {name!r}: {e}") from None
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
        arrays[name] = a
        if nbytes:
            checks.append((name, a, crc))

    def verify() -> None:
        for name, a, crc in checks:
            if _crc(a) != crc:
                raise FormatError(f"{path}: array {name!r} is corrupt (checksum mismatch)")

    if mmap and lazy:
        return meta, arrays, verify
    verify()
    return meta, arrays


# -- word2vec C formats ---------------------------------------------------------------------------
ASCII_WHITESPACE = frozenset(" \t\n\r\x0b\x0c")  # what separates words in every text format


def _check_word(word: str) -> bytes:
    if not word or not ASCII_WHITESPACE.isdisjoint(word):
        raise ValueError(
            f"word {word!r} is empty or contains whitespace: this file format cannot hold it"
        )
    return word.encode("utf-8")


def _float_text(row: np.ndarray, sep: str) -> bytes:
    """float32[d] as text: each value's shortest repr that reads back to the same float32."""
    return sep.join(map(str, row)).encode()


def write_word2vec(
    words: list[str],
    vectors: np.ndarray,
    path: str | os.PathLike,
    binary: bool = False,
    header: bool = True,
) -> None:
    """Write the word2vec C format: ``"V d\\n"`` then one word per line, in the given order.

    Text: ``word v1 ... vd\\n``, values as gensim writes them (``str`` of each float32).
    Binary: the word, a space, d little-endian float32 and a newline (what the C tool writes).
    ``header=False`` gives GloVe text. Words with whitespace raise ``ValueError``.
    """
    n, d = len(words), vectors.shape[1]
    with open_output(path) as f:
        if header:
            f.write(f"{n} {d}\n".encode())
        for start in range(0, n, _LINES):
            block = np.asarray(vectors[start : min(start + _LINES, n)], dtype="<f4")
            for w, v in zip(words[start : start + block.shape[0]], block, strict=True):
                values = v.tobytes() if binary else _float_text(v, " ")
                f.write(_check_word(w) + b" " + values + b"\n")


def read_word2vec(
    path: str | os.PathLike,
    binary: bool | None = None,
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
    header: bool = True,
    allow_nonfinite: bool = False,
) -> tuple[list[str], np.ndarray]:
    """Read the word2vec C text or binary format (``binary=None``: guess from the bytes):
    (words, float32[V, d]). See ``wordvec.io.load_word2vec``."""
    path = Path(path)
    size = _file_size(path)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be None or >= 0, got {limit}")
    if unicode_errors not in get_args(UnicodeErrors):
        raise ValueError(f"unicode_errors must be one of {get_args(UnicodeErrors)}")
    _refuse_other_kinds(path)
    if compression(path) is not None:
        size = None  # unknown until read: the size checks below are skipped
    with open_input(path) as f:
        v = d = None
        first = b""
        if header:
            first = f.readline(4096)
            try:
                v, d = (int(x) for x in first.split())
            except ValueError:
                raise FormatError(
                    f"{path}: line 1 must be '<words> <dimensions>', got {first[:80]!r}"
                ) from None
            if v < 0 or d <= 0:
                raise FormatError(f"{path}: line 1: bad header {first.strip()!r}")
            if binary is None:
                binary = _looks_binary(f, d)
        n = v if limit is None else limit if v is None else min(v, limit)
        if binary:
            if not header:
                raise ValueError("the binary word2vec format always has a header line")
            # every record holds at least a 1-byte word, a space and 4 d bytes
            if size is not None and len(first) + n * (4 * d + 2) > size:
                raise FormatError(
                    f"{path}: truncated: the header promises {v:,} words of {d} float32, "
                    f"at least {n * (4 * d + 2):,} bytes, but the file has {size:,}"
                )
            words, vectors, where = _read_binary(f, path, n, d, unicode_errors, len(first), limit)
        else:
            if size is not None and d is not None and len(first) + n * (2 * d + 1) > size:
                raise FormatError(
                    f"{path}: truncated: the header promises {v:,} lines of {d} values, "
                    f"the file has only {size:,} bytes"
                )
            words, vectors, where = _read_text(f, path, n, d, unicode_errors, 1 if header else 0,
                                               limit is None)  # fmt: skip
    _check_unique(words, path)
    if not allow_nonfinite:
        check_finite(vectors, words, path, where)
    return words, vectors


def check_finite(
    vectors: np.ndarray, words: list[str], path: str | os.PathLike, where=None
) -> None:
    """Refuse (``FormatError``) a NaN or infinite value, naming the word, its place in the file
    (``where(i)``: "line 12", "byte 300"; default "entry i + 1") and the dimension."""
    for start in range(0, vectors.shape[0], 65536):  # in blocks: no (n, d) temporary
        block = np.asarray(vectors[start : start + 65536])
        bad = np.flatnonzero(~np.isfinite(block).all(axis=1))
        if not len(bad):
            continue
        i = start + int(bad[0])
        dim = int(np.flatnonzero(~np.isfinite(block[bad[0]]))[0])
        place = where(i) if where else f"entry {i + 1}"
        raise FormatError(
            f"{path}: word {words[i]!r} ({place}) has a NaN or infinite value at dimension "
            f"{dim + 1}: corrupt, or diverged training; allow_nonfinite=True loads it anyway"
        )


def _check_unique(words: list[str], path: Path) -> None:
    if len(set(words)) == len(words):
        return
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        if w in seen:
            raise FormatError(
                f"{path}: word {w!r} appears twice (entries {seen[w] + 1} and {i + 1})"
            )
        seen[w] = i


def _looks_binary(f: BinaryIO, d: int) -> bool:
    """Guess the format from the first record: text if the rest of its line is d numbers."""
    pos = f.tell()
    sample = f.read(4096 + 32 * d)
    f.seek(pos)
    sp = sample.find(b" ")
    line = sample[sp + 1 :].split(b"\n", 1)[0] if sp >= 0 else b""
    values = line.split()
    if len(values) != d:
        return True
    try:
        for v in values:
            float(v)
    except ValueError:
        return True
    return False


def _decode(raw: bytes, errors: str, path: Path, where: str) -> str:
    try:
        return raw.decode("utf-8", errors=errors)
    except UnicodeDecodeError as e:
        raise FormatError(
            f"{path}: invalid UTF-8 in word {raw!r} at {where} ({e.reason}); "
            "pass unicode_errors='replace' or 'ignore' to accept it"
        ) from None


def _read_binary(f, path, n, d, errors, offset, limit):
    """Read ``n`` records ``[whitespace] word ' ' float32[d]``, ``offset`` bytes into the file.

    The file is read in chunks; each record's vector bytes are copied straight into the result
    (no per-record array is made). Returns (words, float32[n, d], where(i) -> "byte b").
    """
    rec = 4 * d
    vectors = np.empty((n, d), "<f4")
    out = memoryview(vectors.view(np.uint8).reshape(-1))
    raw_words: list[bytes] = []
    starts: list[int] = []  # byte offset of each word, for error messages
    buf, base, pos, i, eof = b"", offset, 0, 0, False
    while i < n:
        chunk = f.read(_CHUNK)
        eof = len(chunk) < _CHUNK
        buf, base, pos = buf[pos:] + chunk, base + pos, 0
        view, end, find = memoryview(buf), len(buf), buf.find
        while i < n:
            sp = find(b" ", pos)
            if sp < 0 or sp + 1 + rec > end:
                break
            word = buf[pos:sp].lstrip()  # the newline that ends the previous record, if any
            if not word:  # only whitespace before this space: skip it
                pos = sp + 1
                continue
            raw_words.append(word)
            starts.append(base + sp - len(word))
            out[i * rec : (i + 1) * rec] = view[sp + 1 : sp + 1 + rec]
            pos = sp + 1 + rec
            i += 1
        view.release()
        if i < n and eof:
            raise FormatError(
                f"{path}: truncated at byte {base + pos}: word {i + 1} of {n} is incomplete"
            )
    if limit is None and (buf[pos:] + f.read(4096)).strip():  # only whitespace may follow
        raise FormatError(
            f"{path}: {n} words read but more data follows at byte {base + pos}: "
            "the header does not match the contents"
        )
    try:
        words = [w.decode("utf-8", errors) for w in raw_words]
    except UnicodeDecodeError:
        for j, w in enumerate(raw_words):
            _decode(w, errors, path, f"byte {starts[j]}")
        raise
    return words, vectors, lambda j: f"byte {starts[j]}"


def _read_text(f, path, n, d, errors, lineno, check_end, sep=None):
    """Read lines ``word v1 ... vd`` (``sep`` None: spaces; ``b"\\t"``: tabs) after line
    ``lineno``. ``n``: lines to read (None: to the end of the file); ``d``: None takes it from
    the first line. ``check_end``: lines beyond ``n`` are an error. Blank lines are skipped.
    Returns (words, float32[n, d], where(i) -> "line l")."""
    words: list[str] = []
    blocks: list[np.ndarray] = []
    lines: list[int] = []
    batch: list[tuple[int, bytes, bytes]] = []  # (line number, word, values)

    def flush():
        nonlocal d
        if not batch:
            return
        if d is None:
            d = len(batch[0][2].split(sep))
        tokens = (b"\t" if sep else b" ").join(r for _, _, r in batch).split(sep)
        try:
            if len(tokens) != len(batch) * d:
                raise ValueError
            values = np.array(tokens, dtype=np.float32).reshape(len(batch), d)
        except ValueError:
            for no, _, rest in batch:  # find the line at fault
                parts = rest.split(sep)
                if len(parts) != d:
                    raise FormatError(
                        f"{path}: line {no}: expected a word and {d} values, got {len(parts)}"
                    ) from None
                try:
                    np.array(parts, dtype=np.float32)
                except ValueError:
                    raise FormatError(f"{path}: line {no}: not a number among the values") from None
            raise
        words.extend(_decode(w, errors, path, f"line {no}") for no, w, _ in batch)
        lines.extend(no for no, _, _ in batch)
        blocks.append(values)
        batch.clear()

    for line in f:
        lineno += 1
        ended = line.endswith(b"\n")
        line = line.rstrip(b"\r\n")
        if not line.strip():
            continue
        if n is not None and len(words) + len(batch) >= n:
            if check_end:
                raise FormatError(
                    f"{path}: line {lineno}: more lines than the {n} the header promises"
                )
            break
        if not ended:  # every writer ends its lines; a cut line could still parse as numbers
            raise FormatError(f"{path}: line {lineno}: no newline at the end: truncated file?")
        word, _, rest = line.partition(sep or b" ")
        if not word:
            raise FormatError(f"{path}: line {lineno}: starts with a separator, not a word")
        batch.append((lineno, word, rest))
        if len(batch) == _LINES:
            flush()
    flush()
    if n is not None and len(words) < n:
        raise FormatError(f"{path}: truncated: the header promises {n} words, found {len(words)}")

    def where(i: int) -> str:
        return f"line {lines[i]}"

    if not words:
        if n == 0 and d is not None:  # a header promising no words
            return [], np.zeros((0, d), np.float32), where
        raise FormatError(f"{path}: no vectors found")
    return words, np.concatenate(blocks), where


def _refuse_other_kinds(path: Path) -> None:
    """FormatError saying what the file is, when its first bytes show it is no vectors file."""
    text = identify(path)
    if text is not None:
        raise FormatError(f"{path}: {text}")


# -- GloVe and the Embedding Projector ------------------------------------------------------------
def projector_metadata_path(path: str | os.PathLike) -> Path:
    """The metadata file beside a projector vectors file: ``vectors.tsv`` -> ``metadata.tsv``,
    ``x_vectors.tsv`` -> ``x_metadata.tsv``, ``x.tsv`` -> ``x_metadata.tsv``; a compression
    suffix is kept (``vectors.tsv.gz`` -> ``metadata.tsv.gz``)."""
    plain, kind = split_compression(path)
    tail = Path(path).suffix if kind else ""
    stem, suffix = plain.stem, plain.suffix
    if "vectors" in stem:
        i = stem.rindex("vectors")
        return plain.with_name(stem[:i] + "metadata" + stem[i + 7 :] + suffix + tail)
    return plain.with_name(f"{stem}_metadata{suffix}{tail}")


def write_projector(
    words: list[str],
    vectors: np.ndarray,
    path: str | os.PathLike,
    metadata: str | os.PathLike | None = None,
) -> Path:
    """Write the projector's files: ``path`` one tab-separated vector per line; ``metadata``
    one word per line, no header. Returns the metadata path."""
    metadata = projector_metadata_path(path) if metadata is None else Path(metadata)
    names = b"".join(_check_word(w) + b"\n" for w in words)
    with open_output(path) as f:
        for start in range(0, len(words), _LINES):
            block = np.asarray(vectors[start : start + _LINES], dtype=np.float32)
            f.write(b"".join(_float_text(v, "\t") + b"\n" for v in block))
    with open_output(metadata) as f:
        f.write(names)
    return metadata


def read_projector(
    path: str | os.PathLike,
    metadata: str | os.PathLike | None = None,
    unicode_errors: UnicodeErrors = "strict",
    allow_nonfinite: bool = False,
) -> tuple[list[str], np.ndarray]:
    """Read projector files. A metadata file with tabs has a header row and the word is its
    first column; one without is one word per line."""
    path = Path(path)
    metadata = projector_metadata_path(path) if metadata is None else Path(metadata)
    _refuse_other_kinds(path)
    _refuse_other_kinds(metadata)
    names: list[str] = []
    with open_input(metadata) as f:
        lines = f.read().split(b"\n")
    if lines[-1].strip():
        raise FormatError(f"{metadata}: line {len(lines)}: no newline at the end: truncated file?")
    lines.pop()
    first_line = 1
    if lines and b"\t" in lines[0]:
        lines, first_line = lines[1:], 2
    for no, line in enumerate(lines, first_line):
        word = line.rstrip(b"\r").split(b"\t")[0]
        if not word:
            raise FormatError(f"{metadata}: line {no}: empty word")
        names.append(_decode(word, unicode_errors, metadata, f"line {no}"))
    with open_input(path) as f:
        # each line is all values: give _read_text a dummy word column
        tagged = (b"w\t" + line if line.strip() else line for line in f)
        _, vectors, where = _read_text(tagged, path, None, None, unicode_errors, 0, False,
                                       sep=b"\t")  # fmt: skip
    if len(names) != vectors.shape[0]:
        raise FormatError(
            f"{metadata}: {len(names)} words for the {vectors.shape[0]} vectors in {path}"
        )
    _check_unique(names, metadata)
    if not allow_nonfinite:
        check_finite(vectors, names, path, where)
    return names, vectors


# -- fastText .bin models (read only) -------------------------------------------------------------
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
        raise FormatError(f"{path}: fastText format version {version}; wordvec reads "
                          f"{_FASTTEXT_VERSION} (fastText 0.9)")  # fmt: skip
    args = struct.unpack("<12id", _read_exact(f, 56, path, "arguments"))
    dim, bucket, minn, maxn = args[0], args[8], args[9], args[10]
    size, nwords, nlabels = struct.unpack("<3i", _read_exact(f, 12, path, "dictionary"))
    _ntokens, prune_size = struct.unpack("<2q", _read_exact(f, 16, path, "dictionary"))
    if nlabels > 0:
        raise FormatError(f"{path}: a supervised fastText model (labels): it has no word "
                          "vectors to read")  # fmt: skip
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
        raise FormatError(f"{path}: a quantized fastText model (.ftz): wordvec reads full "
                          "models only; use fastText's full .bin or its .vec file")  # fmt: skip
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
        raise FormatError(f"{path}: truncated fastText model (the output matrix needs "
                          f"{out_rows} x {out_cols} values; the file ends elsewhere)")  # fmt: skip
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
    _check_unique(words, path)
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


# -- format names ---------------------------------------------------------------------------------
_SUFFIXES: dict[str, Format] = {
    ".wv": "native", ".bin": "binary", ".txt": "text", ".vec": "text", ".tsv": "projector",
    ".glove": "glove",
}  # fmt: skip
_ALIASES: dict[str, Format] = {"word2vec": "text", "vec": "text", "fasttext": "text",
                               "txt": "text", "bin": "binary", "tsv": "projector"}  # fmt: skip
SUFFIX_HELP = ".wv native, .bin word2vec binary, .txt/.vec text, .glove, .tsv projector"


def check_format(fmt: str) -> Format:
    """The canonical name of a format name or alias; ``ValueError`` if unknown."""
    fmt = _ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    return fmt  # type: ignore[return-value]


def format_from_name(path: str | os.PathLike) -> Format | None:
    """The format a file name implies (.wv native, .bin binary, .txt/.vec text, .tsv projector,
    .glove GloVe; a .gz/.bz2/.xz suffix after it compresses), or None."""
    return _SUFFIXES.get(split_compression(path)[0].suffix.lower())


def output_format(path: str | os.PathLike, format: str | None = None) -> Format:
    """The one rule every command writes by: ``format`` if given; else the name's suffix
    (``format_from_name``); a name with no suffix is the native format; any other suffix is an
    error (``ValueError``) that lists the known ones."""
    if format is not None:
        return check_format(format)
    if not os.fspath(path).strip():
        raise ValueError("the output file name is empty")
    fmt = format_from_name(path)
    if fmt is not None:
        return fmt
    plain = split_compression(path)[0]
    if plain.suffix == "" and plain.name:
        return "native"
    raise ValueError(
        f"cannot tell a format from the name {str(path)!r}: use a known suffix "
        f"({SUFFIX_HELP}; .gz/.bz2/.xz after it compresses) or name one"
    )


def sniff_format(path: str | os.PathLike) -> Format | Literal["fasttext-bin"]:
    """The format of an existing file, from its (decompressed) bytes: native by its magic, a
    fastText model by its, word2vec binary or text by a '<words> <dimensions>' first line,
    projector by a .tsv name, else GloVe. A file that is something else entirely (a pickle, a
    .npy, a zip, an empty file) raises ``FormatError`` saying what it is."""
    path = Path(path)
    _refuse_other_kinds(path)
    with open_input(path) as f:
        head = f.read(8)
        if head == MAGIC:
            return "native"
        if head[:4] == struct.pack("<i", FASTTEXT_MAGIC):
            return "fasttext-bin"
        if split_compression(path)[0].suffix.lower() == ".tsv":
            return "projector"
        f.seek(0)
        first = f.readline(4096)
        parts = first.split()
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            return "binary" if _looks_binary(f, max(int(parts[1]), 1)) else "text"
    return "glove"
