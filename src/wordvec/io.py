"""File formats: wordvec's native format, the word2vec C text and binary formats (fastText's
``.vec`` is the text one), GloVe text (no header line) and the TensorFlow Embedding Projector's
``vectors.tsv`` + ``metadata.tsv``. ``load_vectors``/``save_vectors`` pick the format by name.

Every writer goes to a temporary file beside the target and renames it into place, so a crash
never leaves a half-written file. Every reader checks what it reads and names the file and the
line or byte offset of the first problem (``FormatError``), instead of returning a wrong model.
Text formats write each float32 as its shortest round-tripping repr (as gensim), so text files
reload bit for bit. Words containing ASCII whitespace (what separates fields in these formats,
the C tool and wordvec's corpus reader alike) cannot be written to any of the C, GloVe or
projector formats and are refused with ``ValueError``; other Unicode (a no-break space, say) is
kept as it is.

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
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal, get_args

import numpy as np

from .keyedvectors import KV_KIND, KeyedVectors

MAGIC = b"WORDVEC\0"
VERSION = 1
_PREFIX = struct.Struct("<8sIQ")
ALIGN = 64
UnicodeErrors = Literal["strict", "replace", "ignore"]
Format = Literal["native", "text", "binary", "glove", "projector"]
FORMATS: tuple[str, ...] = get_args(Format)
MODEL_KIND = "wordvec.Word2Vec"  # a saved model's vectors load as KeyedVectors too
_CHUNK = 1 << 22  # bytes read at a time by the binary reader
_LINES = 4096  # lines parsed at a time by the text readers


class FormatError(ValueError):
    """A file is truncated, corrupt, or not in the format it was read as."""


@contextmanager
def atomic_write(path: str | os.PathLike):
    """Open a temporary file beside ``path`` for binary writing; rename it to ``path`` only if
    the block finishes. On any error the temporary is removed and ``path`` is untouched."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600: give the file the usual permissions
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
        for a in arrays.values():
            f.write(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
            f.write(b"\0" * (-a.nbytes % ALIGN))


def load_native(path: str | os.PathLike, mmap: bool = False) -> tuple[dict, dict[str, np.ndarray]]:
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
            try:
                dtype, shape = np.dtype(info["dtype"]), tuple(int(n) for n in info["shape"])
                offset = start + int(info["offset"])
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
                if nbytes and zlib.crc32(a.view(np.uint8).reshape(-1)) != info["crc32"]:
                    raise FormatError(f"{path}: array {name!r} is corrupt (checksum mismatch)")
            arrays[name] = a
    return meta, arrays


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None


def load_native_vectors(path: str | os.PathLike, mmap: bool = False) -> KeyedVectors:
    """KeyedVectors from a native file: one written by ``KeyedVectors.save`` or a saved
    ``Word2Vec`` model (its input vectors)."""
    meta, arrays = load_native(path, mmap=mmap)
    if meta.get("kind") not in (KV_KIND, MODEL_KIND):
        raise FormatError(f"{path}: holds {meta.get('kind')!r}, not word vectors")
    try:
        return KeyedVectors(meta["words"], arrays["vectors"], arrays.get("counts"))
    except (KeyError, TypeError, ValueError) as e:
        raise FormatError(f"{path}: inconsistent vectors file: {e}") from None


# -- word2vec C formats -------------------------------------------------------------------------
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


def save_word2vec(
    kv: KeyedVectors,
    path: str | os.PathLike,
    binary: bool = False,
    header: bool = True,
    limit: int | None = None,
) -> None:
    """Write the word2vec C format: ``"V d\\n"`` then one word per line, in vocabulary order.

    Text: ``word v1 ... vd\\n``, values as gensim writes them (``str`` of each float32).
    Binary: the word, a space, d little-endian float32 and a newline (what the C tool writes).
    ``header=False`` gives GloVe text. Words with whitespace raise ``ValueError``.
    """
    n = len(kv) if limit is None else min(limit, len(kv))
    vectors = kv.vectors
    with atomic_write(path) as f:
        if header:
            f.write(f"{n} {kv.vector_size}\n".encode())
        for start in range(0, n, _LINES):
            block = np.asarray(vectors[start : min(start + _LINES, n)], dtype="<f4")
            words = kv.index_to_key[start : start + block.shape[0]]
            for w, v in zip(words, block, strict=True):
                values = v.tobytes() if binary else _float_text(v, " ")
                f.write(_check_word(w) + b" " + values + b"\n")


def load_word2vec(
    path: str | os.PathLike,
    binary: bool | None = None,
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
    header: bool = True,
) -> KeyedVectors:
    """Read the word2vec C text or binary format (``binary=None``: guess from the bytes).

    ``limit`` reads only the first words; ``unicode_errors`` says what invalid UTF-8 in a word
    does ('strict' raises FormatError naming the line or byte offset; 'replace' and 'ignore' as
    in ``bytes.decode``). ``header=False`` reads GloVe text (dimensions from the first line).
    Raises ``FormatError`` naming the file and the line or byte offset of the first problem:
    a bad header, a short or overlong file, a wrong number of values, a word seen twice.
    """
    path = Path(path)
    size = _file_size(path)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be None or >= 0, got {limit}")
    if unicode_errors not in get_args(UnicodeErrors):
        raise ValueError(f"unicode_errors must be one of {get_args(UnicodeErrors)}")
    with open(path, "rb") as f:
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
            if len(first) + n * (4 * d + 2) > size:
                raise FormatError(
                    f"{path}: truncated: the header promises {v:,} words of {d} float32, "
                    f"at least {n * (4 * d + 2):,} bytes, but the file has {size:,}"
                )
            words, vectors = _read_binary(f, path, n, d, unicode_errors, len(first), limit)
        else:
            if d is not None and len(first) + n * (2 * d + 1) > size:
                raise FormatError(
                    f"{path}: truncated: the header promises {v:,} lines of {d} values, "
                    f"the file has only {size:,} bytes"
                )
            words, vectors = _read_text(f, path, n, d, unicode_errors, 1 if header else 0,
                                        limit is None)  # fmt: skip
    _check_unique(words, path)
    return KeyedVectors(words, vectors)


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
    (no per-record array is made). Returns (words, float32[n, d]).
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
    for start in range(0, n, 65536):  # in blocks: no (n, d) temporary
        bad = np.flatnonzero(~np.isfinite(vectors[start : start + 65536]).all(axis=1))
        if not len(bad):
            continue
        j = start + int(bad[0])
        raise FormatError(
            f"{path}: word {words[j]!r} at byte {starts[j]} has NaN or infinite values: "
            "corrupt, or the header's dimensions are wrong"
        )
    return words, vectors


def _read_text(f, path, n, d, errors, lineno, check_end, sep=None):
    """Read lines ``word v1 ... vd`` (``sep`` None: spaces; ``b"\\t"``: tabs) after line
    ``lineno``. ``n``: lines to read (None: to the end of the file); ``d``: None takes it from
    the first line. ``check_end``: lines beyond ``n`` are an error. Blank lines are skipped.
    Returns (words, float32[n, d])."""
    words: list[str] = []
    blocks: list[np.ndarray] = []
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
    if not words:
        if n == 0 and d is not None:  # a header promising no words
            return [], np.zeros((0, d), np.float32)
        raise FormatError(f"{path}: no vectors found")
    return words, np.concatenate(blocks)


# -- GloVe and the Embedding Projector ----------------------------------------------------------
def save_glove(kv: KeyedVectors, path: str | os.PathLike) -> None:
    """GloVe text: word2vec text without the header line."""
    save_word2vec(kv, path, binary=False, header=False)


def load_glove(
    path: str | os.PathLike, limit: int | None = None, unicode_errors: UnicodeErrors = "strict"
) -> KeyedVectors:
    """Read GloVe text (``word v1 ... vd`` per line, no header)."""
    return load_word2vec(path, binary=False, limit=limit, unicode_errors=unicode_errors,
                         header=False)  # fmt: skip


def projector_metadata_path(path: str | os.PathLike) -> Path:
    """The metadata file beside a projector vectors file: ``vectors.tsv`` -> ``metadata.tsv``,
    ``x_vectors.tsv`` -> ``x_metadata.tsv``, ``x.tsv`` -> ``x_metadata.tsv``."""
    path = Path(path)
    if "vectors" in path.stem:
        i = path.stem.rindex("vectors")
        return path.with_name(path.stem[:i] + "metadata" + path.stem[i + 7 :] + path.suffix)
    return path.with_name(f"{path.stem}_metadata{path.suffix}")


def save_projector(
    kv: KeyedVectors, path: str | os.PathLike, metadata: str | os.PathLike | None = None
) -> Path:
    """Write the TensorFlow Embedding Projector's files: ``path`` gets one tab-separated vector
    per line; ``metadata`` (default ``projector_metadata_path(path)``) one word per line, no
    header (the projector's single-column layout). Returns the metadata path."""
    metadata = projector_metadata_path(path) if metadata is None else Path(metadata)
    names = b"".join(_check_word(w) + b"\n" for w in kv.index_to_key)
    with atomic_write(path) as f:
        for start in range(0, len(kv), _LINES):
            block = np.asarray(kv.vectors[start : start + _LINES], dtype=np.float32)
            f.write(b"".join(_float_text(v, "\t") + b"\n" for v in block))
    with atomic_write(metadata) as f:
        f.write(names)
    return metadata


def load_projector(
    path: str | os.PathLike,
    metadata: str | os.PathLike | None = None,
    unicode_errors: UnicodeErrors = "strict",
) -> KeyedVectors:
    """Read projector files. A metadata file with tabs has a header row and the word is its
    first column; one without is one word per line."""
    path = Path(path)
    metadata = projector_metadata_path(path) if metadata is None else Path(metadata)
    _file_size(path)
    _file_size(metadata)
    names: list[str] = []
    with open(metadata, "rb") as f:
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
    with open(path, "rb") as f:
        # each line is all values: give _read_text a dummy word column
        tagged = (b"w\t" + line if line.strip() else line for line in f)
        _, vectors = _read_text(tagged, path, None, None, unicode_errors, 0, False, sep=b"\t")
    if len(names) != vectors.shape[0]:
        raise FormatError(
            f"{metadata}: {len(names)} words for the {vectors.shape[0]} vectors in {path}"
        )
    _check_unique(names, metadata)
    return KeyedVectors(names, vectors)


# -- any format ---------------------------------------------------------------------------------
_SUFFIXES: dict[str, Format] = {
    ".wv": "native", ".bin": "binary", ".txt": "text", ".vec": "text", ".tsv": "projector",
    ".glove": "glove",
}  # fmt: skip
_ALIASES: dict[str, Format] = {"word2vec": "text", "vec": "text", "fasttext": "text",
                               "txt": "text", "bin": "binary", "tsv": "projector"}  # fmt: skip


def check_format(fmt: str) -> Format:
    """The canonical name of a format name or alias; ``ValueError`` if unknown."""
    fmt = _ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    return fmt  # type: ignore[return-value]


def format_from_name(path: str | os.PathLike) -> Format | None:
    """The format a file name implies (.wv native, .bin binary, .txt/.vec text, .tsv projector,
    .glove GloVe), or None."""
    return _SUFFIXES.get(Path(path).suffix.lower())


def sniff_format(path: str | os.PathLike) -> Format:
    """The format of an existing file, from its bytes: native by its magic, word2vec binary or
    text by a '<words> <dimensions>' first line, projector by a .tsv name, else GloVe."""
    path = Path(path)
    _file_size(path)
    with open(path, "rb") as f:
        head = f.read(8)
        f.seek(0)
        first = f.readline(4096)
        if head == MAGIC:
            return "native"
        if path.suffix.lower() == ".tsv":
            return "projector"
        parts = first.split()
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            return "binary" if _looks_binary(f, max(int(parts[1]), 1)) else "text"
    return "glove"


def load_vectors(
    path: str | os.PathLike,
    format: str | None = None,
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
    mmap: bool = False,
) -> KeyedVectors:
    """KeyedVectors from a file in any supported format (``format=None``: ``sniff_format``).

    ``limit`` (word2vec and GloVe formats) reads only the first words; ``mmap`` (native)
    memory-maps the vectors.
    """
    fmt = sniff_format(path) if format is None else check_format(format)
    if fmt == "native":
        return load_native_vectors(path, mmap=mmap)
    if fmt == "projector":
        return load_projector(path, unicode_errors=unicode_errors)
    if fmt == "glove":
        return load_glove(path, limit, unicode_errors)
    return load_word2vec(path, fmt == "binary", limit, unicode_errors)


def save_vectors(kv: KeyedVectors, path: str | os.PathLike, format: str | None = None) -> Format:
    """Write ``kv`` in ``format`` (``None``: from the file name, see ``format_from_name``);
    returns the format used."""
    fmt = format_from_name(path) if format is None else check_format(format)
    if fmt is None:
        raise ValueError(f"cannot tell a format from the name {str(path)!r}: name one")
    if fmt == "native":
        kv.save(path)
    elif fmt == "projector":
        save_projector(kv, path)
    else:
        save_word2vec(kv, path, binary=fmt == "binary", header=fmt != "glove")
    return fmt

