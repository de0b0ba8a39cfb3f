"""Word vector files as ``KeyedVectors``: wordvec's native format, the word2vec C text and binary
formats (fastText's ``.vec`` is the text one), GloVe text (no header line), the TensorFlow
Embedding Projector's ``vectors.tsv`` + ``metadata.tsv``, and the word vectors of a fastText
``.bin`` model (read only). ``load_vectors``/``save_vectors`` pick the format: by the file's
bytes when reading, by its name when writing (``output_format``). Any of them may be gzip, bzip2
or xz compressed (``v.txt.gz``). ``artefact_format`` is the one suffix rule of every command that
writes a file: vectors by ``output_format``, and the other things a command writes (a
co-occurrence matrix, learned phrases, a figure, a JSON report) by their own short lists.

The byte-level codecs live in ``wordvec.formats.native`` (the atomic writer, compression,
recognition, the checks, the native format), ``wordvec.formats.word2vec`` and
``wordvec.formats.fasttext``, which know no ``KeyedVectors``; their public names are re-exported
here. Every writer is atomic, every reader names the file and the line or byte offset of the first
problem (``FormatError``), NaN and infinite values are refused in every format unless
``allow_nonfinite=True``, and native files are checksummed on every load (memory-mapped ones before
the first use of the vectors).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from wordvec.formats.fasttext import read_fasttext_bin
from wordvec.formats.native import (
    FORMATS,
    KV_KIND,
    MODEL_KIND,
    SUFFIX_HELP,
    Format,
    FormatError,
    UnicodeErrors,
    atomic_write,
    check_format,
    check_writable,
    format_from_name,
    identify,
    load_native,
    open_input,
    open_output,
    output_format,
    save_native,
    sniff_format,
    split_compression,
)
from wordvec.formats.word2vec import (
    projector_metadata_path,
    read_projector,
    read_word2vec,
    write_projector,
    write_word2vec,
)
from wordvec.vectors.keyedvectors import KeyedVectors

__all__ = [
    "FORMATS",
    "KV_KIND",
    "MODEL_KIND",
    "SUFFIX_HELP",
    "Format",
    "FormatError",
    "UnicodeErrors",
    "artefact_format",
    "atomic_write",
    "check_format",
    "check_writable",
    "format_from_name",
    "identify",
    "load_fasttext_bin",
    "load_glove",
    "load_native",
    "load_native_vectors",
    "load_projector",
    "load_vectors",
    "load_word2vec",
    "open_input",
    "open_output",
    "output_format",
    "output_paths",
    "projector_metadata_path",
    "save_glove",
    "save_native",
    "save_projector",
    "save_vectors",
    "save_word2vec",
    "sniff_format",
    "split_compression",
]


def load_native_vectors(
    path: str | os.PathLike, mmap: bool = False, allow_nonfinite: bool = False
) -> KeyedVectors:
    """KeyedVectors from a native file: one written by ``KeyedVectors.save`` or a saved
    ``Word2Vec`` model (its input vectors). With ``mmap`` the file's checksums are verified
    before the vectors are first used. A subword model's (``FastText``) come back as
    ``FastTextKeyedVectors``: every word gets a vector."""
    from wordvec.vectors.subword import FastTextKeyedVectors

    meta = load_native(path, mmap=True, lazy=True)[0]  # the header only: nothing read
    cls = FastTextKeyedVectors if meta.get("kind") in FastTextKeyedVectors._kinds else KeyedVectors
    return cls.load(path, mmap=mmap, allow_nonfinite=allow_nonfinite)


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
    ``header=False`` gives GloVe text. Words with whitespace raise ``ValueError``; a name ending
    in .gz/.bz2/.xz is compressed.
    """
    n = len(kv) if limit is None else min(limit, len(kv))
    write_word2vec(kv.index_to_key[:n], kv.vectors[:n], path, binary, header)


def load_word2vec(
    path: str | os.PathLike,
    binary: bool | None = None,
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
    header: bool = True,
    allow_nonfinite: bool = False,
) -> KeyedVectors:
    """Read the word2vec C text or binary format (``binary=None``: guess from the bytes),
    compressed or not.

    ``limit`` reads only the first words; ``unicode_errors`` says what invalid UTF-8 in a word
    does ('strict' raises FormatError naming the line or byte offset; 'replace' and 'ignore' as
    in ``bytes.decode``). ``header=False`` reads GloVe text (dimensions from the first line).
    Raises ``FormatError`` naming the file and the line or byte offset of the first problem:
    a bad header, a short or overlong file, a wrong number of values, a word seen twice, a NaN
    or infinite value (unless ``allow_nonfinite``).
    """
    words, vectors = read_word2vec(path, binary, limit, unicode_errors, header, allow_nonfinite)
    return KeyedVectors(words, vectors)


def save_glove(kv: KeyedVectors, path: str | os.PathLike) -> None:
    """GloVe text: word2vec text without the header line."""
    save_word2vec(kv, path, binary=False, header=False)


def load_glove(
    path: str | os.PathLike,
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
    allow_nonfinite: bool = False,
) -> KeyedVectors:
    """Read GloVe text (``word v1 ... vd`` per line, no header)."""
    return load_word2vec(path, False, limit, unicode_errors, False, allow_nonfinite)


def save_projector(
    kv: KeyedVectors, path: str | os.PathLike, metadata: str | os.PathLike | None = None
) -> Path:
    """Write the TensorFlow Embedding Projector's files: ``path`` gets one tab-separated vector
    per line; ``metadata`` (default ``projector_metadata_path(path)``) one word per line, no
    header (the projector's single-column layout). Returns the metadata path."""
    return write_projector(kv.index_to_key, kv.vectors, path, metadata)


def load_projector(
    path: str | os.PathLike,
    metadata: str | os.PathLike | None = None,
    unicode_errors: UnicodeErrors = "strict",
    allow_nonfinite: bool = False,
) -> KeyedVectors:
    """Read projector files. A metadata file with tabs has a header row and the word is its
    first column; one without is one word per line."""
    return KeyedVectors(*read_projector(path, metadata, unicode_errors, allow_nonfinite))


def load_fasttext_bin(path: str | os.PathLike, allow_nonfinite: bool = False) -> KeyedVectors:
    """The word vectors of a fastText ``.bin`` model (what gensim's ``load_facebook_vectors``
    gives for the words of its vocabulary), with their counts."""
    return KeyedVectors(*read_fasttext_bin(path, allow_nonfinite))


def load_vectors(
    path: str | os.PathLike,
    format: str | None = None,
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
    mmap: bool = False,
    allow_nonfinite: bool = False,
) -> KeyedVectors:
    """KeyedVectors from a file in any supported format (``format=None``: ``sniff_format``,
    which also recognises a fastText ``.bin`` model and says what a pickle, a ``.npy``, a zip
    or an empty file is).

    ``limit`` (word2vec and GloVe formats) reads only the first words; ``mmap`` (native)
    memory-maps the vectors; ``allow_nonfinite`` accepts NaN and infinite values.
    """
    fmt = sniff_format(path) if format is None else check_format(format)
    if fmt == "native":
        return load_native_vectors(path, mmap=mmap, allow_nonfinite=allow_nonfinite)
    if fmt == "fasttext-bin":
        return load_fasttext_bin(path, allow_nonfinite)
    if fmt == "projector":
        return load_projector(path, unicode_errors=unicode_errors, allow_nonfinite=allow_nonfinite)
    if fmt == "glove":
        return load_glove(path, limit, unicode_errors, allow_nonfinite)
    return load_word2vec(path, fmt == "binary", limit, unicode_errors, True, allow_nonfinite)


def output_paths(path: str | os.PathLike, format: str | None = None) -> list[Path]:
    """Every file ``save_vectors(kv, path, format)`` writes (the projector writes two)."""
    fmt = output_format(path, format)
    return [Path(path)] + ([projector_metadata_path(path)] if fmt == "projector" else [])


def save_vectors(kv: KeyedVectors, path: str | os.PathLike, format: str | None = None) -> Format:
    """Write ``kv`` in ``format`` (``None``: from the file name by ``output_format``: a name
    without a suffix is native); compressed when the name ends in .gz/.bz2/.xz. Returns the
    format used."""
    fmt = output_format(path, format)
    if fmt == "native":
        kv.save(path)
    elif fmt == "projector":
        save_projector(kv, path)
    else:
        save_word2vec(kv, path, binary=fmt == "binary", header=fmt != "glove")
    return fmt


# -- what each command writes, by suffix ---------------------------------------------------------
Artefact = Literal["vectors", "cooccurrence", "phrases", "figure", "json"]
# kind -> (what it is, {suffix: format} where "" is a name without one, the suffixes in words);
# only native files may be compressed (.gz/.bz2/.xz after the suffix): the others are written as is
_ARTEFACTS: dict[str, tuple[str, dict[str, str], str]] = {
    "cooccurrence": (
        "a co-occurrence matrix",
        {".npz": "npz", ".wv": "native", "": "native"},
        ".npz (NumPy) or .wv, or have no suffix (native; .gz/.bz2/.xz after it compresses)",
    ),
    "phrases": (
        "learned phrases",
        {".wv": "native", "": "native"},
        ".wv, or have no suffix (native; .gz/.bz2/.xz after it compresses)",
    ),
    "figure": ("a figure", {".png": "png", ".svg": "svg", ".pdf": "pdf"}, ".png, .svg or .pdf"),
    "json": ("a JSON report", {".json": "json"}, ".json"),
}


def artefact_format(kind: Artefact, path: str | os.PathLike) -> str:
    """The format a command writes ``kind`` in at ``path``, from the name alone: the one rule
    every command checks before any work.

    ``"vectors"`` (``train``, ``convert``, ``demo``, ``ppmi``, ``glove``) is ``output_format``'s
    rule; ``"cooccurrence"`` is ``.npz`` or native; ``"phrases"`` native; ``"figure"``
    ``.png``/``.svg``/``.pdf``; ``"json"`` ``.json``. Any other suffix raises ``ValueError``
    naming the file and the suffixes accepted. (A phrased corpus is text under any name.)
    """
    if kind == "vectors":
        return output_format(path)
    if kind not in _ARTEFACTS:
        raise ValueError(
            f"unknown kind of output {kind!r}: choose from vectors, {', '.join(_ARTEFACTS)}"
        )
    if path is None or not os.fspath(path).strip():
        raise ValueError("the output file name is empty")
    what, suffixes, accepted = _ARTEFACTS[kind]
    plain, compression = split_compression(path)
    fmt = suffixes.get(plain.suffix.lower()) if plain.name else None
    if fmt is not None and (compression is None or fmt == "native"):
        return fmt
    raise ValueError(f"cannot write {what} as {str(path)!r}: its name must end in {accepted}")
