"""Vector files over plain arrays (words, float32 vectors, counts): what every format shares
(atomic writes, compression, recognising a file by its first bytes, the checks, the format
names) and wordvec's native format. The word2vec C text and binary formats, GloVe and the
projector are in ``wordvec.formats.word2vec``; fastText ``.bin`` models in
``wordvec.formats.fasttext``.

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

UnicodeErrors = Literal["strict", "replace", "ignore"]  # how invalid UTF-8 in a word is handled
MAGIC = b"WORDVEC\0"
VERSION = 1
_PREFIX = struct.Struct("<8sIQ")
ALIGN = 64
KV_KIND = "wordvec.KeyedVectors"
MODEL_KIND = "wordvec.Word2Vec"  # a saved model's vectors load as KeyedVectors too
GLOVE_KIND = "wordvec.GloVe"
PPMI_KIND = "wordvec.PPMI"
VECTOR_KINDS = (KV_KIND, MODEL_KIND, GLOVE_KIND, PPMI_KIND)  # whose vectors KeyedVectors reads
Format = Literal["native", "text", "binary", "glove", "projector"]
FORMATS: tuple[str, ...] = get_args(Format)
Compression = Literal["gzip", "bz2", "xz"]
FASTTEXT_MAGIC = 793712314  # int32 at the start of a fastText .bin/.ftz model


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
        raise type(e)(
            e.errno, f"cannot create a file in {str(parent)!r} ({e.strerror})", text
        ) from None
    os.close(fd)
    os.unlink(tmp)
    if nbytes is not None:
        import shutil

        free = shutil.disk_usage(parent).free
        if nbytes > free:
            raise OSError(
                28,
                f"needs about {nbytes / 2**20:,.0f} MB but only "
                f"{free / 2**20:,.0f} MB is free on its disk",
                text,
            )
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
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
}
_COMPRESSED_NAME = {"gzip": "gzip", "bz2": "bzip2", "xz": "xz"}


def _compression_of(head: bytes) -> Compression | None:
    for magic, kind in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise FileNotFoundError(2, "no such file", str(path)) from None


def _head(path: Path, n: int = 16) -> bytes:
    file_size(path)
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
        return (
            "a Python pickle (what gensim's model.save() and KeyedVectors.save() write): "
            "wordvec never loads pickles (they can run code); in gensim, load it, write "
            "model.wv.save_word2vec_format('vectors.bin', binary=True) and use that"
        )
    if head.startswith(b"\x93NUMPY"):
        return (
            "a NumPy .npy array (no words: gensim stores big arrays of a pickled model "
            "this way); load the model it belongs to in gensim and write "
            "save_word2vec_format('vectors.bin', binary=True)"
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return (
            "a zip archive (or a NumPy .npz, which is one): unzip it and give the vectors "
            "file inside (.vec, .txt, .bin or .wv)"
        )
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
    size = file_size(path)
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


# -- checks shared by the readers ------------------------------------------------------------
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


def check_unique(words: list[str], path: Path) -> None:
    if len(set(words)) == len(words):
        return
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        if w in seen:
            raise FormatError(
                f"{path}: word {w!r} appears twice (entries {seen[w] + 1} and {i + 1})"
            )
        seen[w] = i


def looks_binary(f: BinaryIO, d: int) -> bool:
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


def refuse_other_kinds(path: Path) -> None:
    """FormatError saying what the file is, when its first bytes show it is no vectors file."""
    text = identify(path)
    if text is not None:
        raise FormatError(f"{path}: {text}")


# -- format names ---------------------------------------------------------------------------------
_SUFFIXES: dict[str, Format] = {
    ".wv": "native",
    ".bin": "binary",
    ".txt": "text",
    ".vec": "text",
    ".tsv": "projector",
    ".glove": "glove",
}
_ALIASES: dict[str, Format] = {
    "word2vec": "text",
    "vec": "text",
    "fasttext": "text",
    "txt": "text",
    "bin": "binary",
    "tsv": "projector",
}
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
    refuse_other_kinds(path)
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
            return "binary" if looks_binary(f, max(int(parts[1]), 1)) else "text"
    return "glove"
