"""What one actor of a cluster run reads and holds: the inputs laid end to end and cut into
shards (``plan_shards``), a cut moved to a token boundary (``boundary``), a shard's byte ranges
copied out (``copy_pieces``), scanned and encoded (``Shard``).
``wordvec.core.executors.cluster_input`` is the driver's side (see its docstring); this module
starts no actor and imports no Ray.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from wordvec.corpus.reader import BLOCK_BYTES, OPENERS, CorpusError, RawScan

BOUNDARY_BYTES = 1 << 20  # a cut moves to a newline at most this far, else to a whitespace
_WHITESPACE = b" \n\t\r\x0b\x0c"


class Piece(NamedTuple):
    """Bytes ``start .. end - 1`` of ``url`` (nominal: the reader moves both to token
    boundaries); ``size``: the file's size; a compressed file is always read whole."""

    url: str
    start: int
    end: int
    size: int

    @property
    def compressed(self) -> bool:
        return Path(self.url).suffix.lower() in OPENERS


# -- listing and planning (driver: sizes only) ----------------------------------------------------
def _is_url(s: str) -> bool:
    return "://" in s and not s.startswith("file://")


def _fsspec():
    try:
        import fsspec
    except ImportError:
        raise CorpusError(
            "reading URLs needs fsspec: pip install fsspec (and s3fs, gcsfs...)"
        ) from None
    return fsspec


def list_inputs(corpus: str | os.PathLike | Sequence[str]) -> list[tuple[str, int]]:
    """(url or path, size in bytes) of every file of the corpus, in reading order."""
    if not isinstance(corpus, str | os.PathLike):
        return [f for c in corpus for f in list_inputs(c)]
    s = os.fspath(corpus)
    if _is_url(s):
        fs, root = _fsspec().core.url_to_fs(s)
        proto = s.split("://", 1)[0]
        if any(c in root for c in "*?["):
            paths = sorted(fs.glob(root))
        elif fs.isdir(root):
            paths = sorted(p for p in fs.find(root) if not Path(p).name.startswith("."))
        else:
            paths = [root]
        if not paths:
            raise CorpusError(f"corpus not found: {s}")
        return [(f"{proto}://{p}" if "://" not in p else p, int(fs.size(p))) for p in paths]
    if s.startswith("file://"):
        s = s[7:]
    if any(c in s for c in "*?["):
        files = sorted(Path(p) for p in glob.glob(s, recursive=True) if Path(p).is_file())
        if not files:
            raise CorpusError(f"no file matches {s}")
    else:
        path = Path(s)
        if not path.exists():
            raise CorpusError(f"corpus not found: {path}")
        if path.is_dir():  # the order wordvec.corpus.reader reads a directory in
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            if not files:
                raise CorpusError(f"corpus directory holds no files: {path}")
        else:
            files = [path]
    return [(str(p), p.stat().st_size) for p in files]


def plan_shards(files: Sequence[tuple[str, int]], n: int) -> list[list[Piece]]:
    """Cut the files, laid end to end, into ``n`` shards of about equal bytes. A compressed file
    goes whole to the shard where it starts; shards may be empty (tiny corpora)."""
    total = sum(size for _, size in files)
    cuts = [total * r // n for r in range(n + 1)]
    shards: list[list[Piece]] = [[] for _ in range(n)]
    offset = 0
    for url, size in files:
        lo, hi = offset, offset + size
        offset = hi
        if size == 0:
            continue
        first = max(r for r in range(n) if cuts[r] <= lo)
        if Path(url).suffix.lower() in OPENERS:
            shards[first].append(Piece(url, 0, size, size))
            continue
        for r in range(first, n):
            a, b = max(lo, cuts[r]), min(hi, cuts[r + 1])
            if a < b:
                shards[r].append(Piece(url, a - lo, b - lo, size))
            if cuts[r + 1] >= hi:
                break
    return shards


# -- reading (actors) -----------------------------------------------------------------------------
def _open(url: str):
    if _is_url(url):
        return _fsspec().open(url, "rb").open()
    return open(url.removeprefix("file://"), "rb")


def boundary(f, n: int, size: int) -> int:
    """The token boundary a nominal cut at byte ``n`` of the open file ``f`` moves to: just
    after the first newline in ``n - 1 .. n - 1 + BOUNDARY_BYTES``, else just after the first
    whitespace there; 0 and ``size`` stay."""
    if n <= 0 or n >= size:
        return max(0, min(n, size))
    f.seek(n - 1)
    head = f.read(BOUNDARY_BYTES)
    i = head.find(b"\n")
    if i < 0:
        hits = [j for j in (head.find(bytes([c])) for c in _WHITESPACE) if j >= 0]
        if not hits:
            if n - 1 + len(head) >= size:
                return size
            raise CorpusError(
                f"no whitespace in {BOUNDARY_BYTES:,} bytes from offset {n - 1} "
                "of the corpus: not a text corpus"
            )
        i = min(hits)
    return n + i


def copy_pieces(pieces: Sequence[Piece], out, block_bytes: int = BLOCK_BYTES) -> int:
    """Write the text of ``pieces`` (cuts moved to token boundaries, compressed files
    decompressed) to the binary file ``out``, a newline after each piece that does not end
    with one (a file's end ends a sentence); returns the bytes written."""
    written = 0
    for p in pieces:
        last = b""
        with _open(p.url) as f:
            if p.compressed:
                with OPENERS[Path(p.url).suffix.lower()](f, "rb") as z:
                    while block := z.read(block_bytes):
                        out.write(block)
                        written += len(block)
                        last = block[-1:]
            else:
                a, b = boundary(f, p.start, p.size), boundary(f, p.end, p.size)
                f.seek(a)
                left = b - a
                while left > 0 and (block := f.read(min(block_bytes, left))):
                    out.write(block)
                    written += len(block)
                    left -= len(block)
                    last = block[-1:]
        if last and last != b"\n":
            out.write(b"\n")
            written += 1
    return written


@dataclass
class Shard:
    """An actor's part of the corpus: its raw scan, then (after ``encode``) the encoded
    sentences the actor trains."""

    scan_: RawScan | None = None
    encoded: Any = None  # wordvec.corpus.encoded.EncodedCorpus
    crc: int = 0

    @classmethod
    def scan(cls, pieces: Sequence[Piece], block_bytes: int = BLOCK_BYTES, memory=(None, None)):
        """Read and count ``pieces`` (``wordvec.corpus.reader.scan_corpus`` over a local copy).
        ``memory``: the run's (max_memory, work_dir), applied on this machine: ids that do not
        fit go to a file there, as on one machine."""
        from wordvec.core.memory import budget
        from wordvec.corpus.reader import Spill, scan_corpus

        with tempfile.TemporaryDirectory(prefix="wordvec-shard-") as tmp:
            path = Path(tmp) / "shard.txt"
            with open(path, "wb") as out:
                n = copy_pieces(pieces, out, block_bytes)
            if n == 0:
                return cls(None)
            spill = Spill(budget(memory[0]) // 2, memory[1])
            try:
                scan = scan_corpus(path, block_bytes=block_bytes, workers=1, spill=spill)
            except CorpusError as e:
                if str(e).startswith("corpus is empty"):
                    return cls(None)
                raise CorpusError(str(e).replace(str(path), "a shard of the corpus")) from None
            finally:
                spill.close()
        return cls(scan)

    def release(self, s0: int, s1: int) -> None:
        """Done with sentences ``s0 .. s1 - 1`` for now (``EncodedCorpus.release``)."""
        e = self.encoded
        e.release(int(e.bounds[s0]), int(e.bounds[s1]))

    def summary(self) -> dict[str, Any]:
        """The counts the driver merges: words in first-seen order."""
        if self.scan_ is None:
            return {
                "counts": np.zeros(0, np.int64),
                "word_bytes": np.zeros(0, np.uint8),
                "word_offsets": np.zeros(1, np.int64),
                "raw_tokens": 0,
            }
        s = self.scan_
        return {
            "counts": s.counts,
            "word_bytes": s.word_bytes,
            "word_offsets": s.word_offsets,
            "raw_tokens": s.raw_tokens,
        }

    def encode(self, words: list[str], unicode_errors: str, max_sentence_length: int) -> dict:
        """Encode the shard with the vocabulary ``words`` and cut its long sentences; returns
        its sentence bounds and sizes. The raw scan is dropped."""
        from wordvec.corpus.encoded import EncodedCorpus, checksum, encode_split

        if self.scan_ is None:
            enc = EncodedCorpus(
                np.zeros(0, np.uint16), np.zeros(0, np.int32), np.zeros(1, np.int64), 0
            )
            split = 0
        else:
            enc, split = encode_split(self.scan_, words, unicode_errors, max_sentence_length)
        self.scan_ = None
        self.encoded = enc
        self.crc = checksum(enc)
        return {
            "bounds": enc.bounds,
            "raw_tokens": enc.raw_tokens,
            "tokens": enc.n_tokens,
            "split": split,
            "crc": self.crc,
        }

    def bundle(self):
        """The kernels' ``Corpus`` bundle of the encoded shard."""
        from wordvec.kernels.bundles import Corpus

        e = self.encoded
        return Corpus(e.ids, e.rare, e.rare_starts(e.bounds), e.bounds)


# -- merging (driver) -----------------------------------------------------------------------------
