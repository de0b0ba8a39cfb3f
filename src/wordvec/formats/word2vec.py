"""The word2vec C text and binary formats (fastText's ``.vec`` is the text one), GloVe text (no
header line) and the TensorFlow Embedding Projector's ``vectors.tsv`` + ``metadata.tsv``, over
plain arrays; compression, atomic writes and the shared checks come from ``wordvec.formats.native``.

Text formats write each float32 as its shortest round-tripping repr (as gensim), so text files
reload bit for bit. Words containing ASCII whitespace cannot be written and are refused with
``ValueError``; other Unicode is kept as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

import numpy as np

from wordvec.formats.native import (
    FormatError,
    UnicodeErrors,
    check_finite,
    check_unique,
    compression,
    file_size,
    looks_binary,
    open_input,
    open_output,
    refuse_other_kinds,
    split_compression,
)

_CHUNK = 1 << 22  # bytes read at a time by the binary reader
_LINES = 4096  # lines parsed at a time by the text readers


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
    size = file_size(path)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be None or >= 0, got {limit}")
    if unicode_errors not in get_args(UnicodeErrors):
        raise ValueError(f"unicode_errors must be one of {get_args(UnicodeErrors)}")
    refuse_other_kinds(path)
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
                binary = looks_binary(f, d)
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
            words, vectors, where = _read_text(
                f, path, n, d, unicode_errors, 1 if header else 0, limit is None
            )
    check_unique(words, path)
    if not allow_nonfinite:
        check_finite(vectors, words, path, where)
    return words, vectors


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
    refuse_other_kinds(path)
    refuse_other_kinds(metadata)
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
        _, vectors, where = _read_text(
            tagged, path, None, None, unicode_errors, 0, False, sep=b"\t"
        )
    if len(names) != vectors.shape[0]:
        raise FormatError(
            f"{metadata}: {len(names)} words for the {vectors.shape[0]} vectors in {path}"
        )
    check_unique(names, metadata)
    if not allow_nonfinite:
        check_finite(vectors, names, path, where)
    return names, vectors
