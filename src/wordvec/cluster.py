"""Distributed input for training on a cluster: each actor reads, counts and encodes its own
part of the corpus; the driver only merges the word counts and never reads the text.

The corpus is a file, a directory (its files in sorted order, recursively, as ``wordvec.corpus``
reads it), a glob, or fsspec URLs (``s3://``, ``gs://``, ``hdfs://``... with the matching fsspec
package installed). Its files are laid end to end and cut into one *shard* per actor, of about
equal bytes (``plan_shards``): a plain file may be cut anywhere, a compressed one goes whole to
one actor. The driver only asks for file sizes; each actor moves its nominal cut points to a
token boundary itself (``boundary``: just after the first newline within 1 MiB, else just after
the first whitespace), and the two actors on either side of a cut compute the same point, so no
token is cut, lost or read twice.

``build_vocab_on_actors`` then

1. has each actor scan its shard (``wordvec.corpus.scan_corpus``: counts in first-seen order);
2. merges the counts on the driver in shard order, which is the order one sequential scan sees
   the words, and chooses the words with ``wordvec.vocab.build_vocab``: the vocabulary equals the
   single-machine one, word for word and count for count;
3. has each actor encode its shard with that vocabulary and cut long sentences; the encoded
   shard stays on the actor, which then trains exactly its shard (span ``r`` = shard ``r``).

Concessions: ``max_vocab_size`` (pruning while scanning) is not supported, since pruning per
shard would not give the single-machine result. Where a cut falls inside a line (a corpus with
no newline near the cut, such as text8), that line becomes two sentences: the vocabulary is the
same, the sentence boundaries (and so the vectors) differ slightly from a local run. An actor
copies its byte ranges to a local temporary file before scanning it (``wordvec.corpus`` scans
paths; a scan of a byte range there would save that copy).
"""

from __future__ import annotations

import bz2
import glob
import gzip
import lzma
import os
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .corpus import BLOCK_BYTES, CorpusError, RawScan
from .vocab import Vocab

BOUNDARY_BYTES = 1 << 20  # a cut moves to a newline at most this far, else to a whitespace
_WHITESPACE = b" \n\t\r\x0b\x0c"
_DECOMPRESS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


class Piece(NamedTuple):
    """Bytes ``start .. end - 1`` of ``url`` (nominal: the reader moves both to token
    boundaries); ``size``: the file's size; a compressed file is always read whole."""

    url: str
    start: int
    end: int
    size: int

    @property
    def compressed(self) -> bool:
        return Path(self.url).suffix.lower() in _DECOMPRESS


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
        if path.is_dir():  # the order wordvec.corpus reads a directory in
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
        if Path(url).suffix.lower() in _DECOMPRESS:
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
            raise CorpusError(f"no whitespace in {BOUNDARY_BYTES:,} bytes from offset {n - 1} "
                              "of the corpus: not a text corpus")  # fmt: skip
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
                with _DECOMPRESS[Path(p.url).suffix.lower()](f, "rb") as z:
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
    encoded: Any = None  # wordvec.encoded.EncodedCorpus
    crc: int = 0

    @classmethod
    def scan(cls, pieces: Sequence[Piece], block_bytes: int = BLOCK_BYTES) -> Shard:
        """Read and count ``pieces`` (``wordvec.corpus.scan_corpus`` over a local copy)."""
        from .corpus import scan_corpus

        with tempfile.TemporaryDirectory(prefix="wordvec-shard-") as tmp:
            path = Path(tmp) / "shard.txt"
            with open(path, "wb") as out:
                n = copy_pieces(pieces, out, block_bytes)
            if n == 0:
                return cls(None)
            try:
                scan = scan_corpus(path, block_bytes=block_bytes, workers=1)
            except CorpusError as e:
                if str(e).startswith("corpus is empty"):
                    return cls(None)
                raise CorpusError(str(e).replace(str(path), "a shard of the corpus")) from None
        return cls(scan)

    def summary(self) -> dict[str, Any]:
        """The counts the driver merges: words in first-seen order."""
        if self.scan_ is None:
            return {"counts": np.zeros(0, np.int64), "word_bytes": np.zeros(0, np.uint8),
                    "word_offsets": np.zeros(1, np.int64), "raw_tokens": 0}  # fmt: skip
        s = self.scan_
        return {"counts": s.counts, "word_bytes": s.word_bytes, "word_offsets": s.word_offsets,
                "raw_tokens": s.raw_tokens}  # fmt: skip

    def encode(self, words: list[str], unicode_errors: str, max_sentence_length: int) -> dict:
        """Encode the shard with the vocabulary ``words`` and cut its long sentences; returns
        its sentence bounds and sizes. The raw scan is dropped."""
        from .encoded import EncodedCorpus, checksum, encode_with, split_long

        if self.scan_ is None:
            enc = EncodedCorpus(np.zeros(0, np.uint16), np.zeros(0, np.int32),
                                np.zeros(1, np.int64), 0)  # fmt: skip
            split = 0
        else:
            enc0 = encode_with(self.scan_, words, unicode_errors)
            enc, split = split_long(enc0, max_sentence_length)
        self.scan_ = None
        self.encoded = enc
        self.crc = checksum(enc)
        return {"bounds": enc.bounds, "raw_tokens": enc.raw_tokens, "tokens": enc.n_tokens,
                "split": split, "crc": self.crc}  # fmt: skip

    def bundle(self):
        """The kernels' ``Corpus`` bundle of the encoded shard."""
        from .kernels.train import Corpus

        e = self.encoded
        return Corpus(e.ids, e.rare, e.rare_starts(e.bounds), e.bounds)


# -- merging (driver) -----------------------------------------------------------------------------
def merge_vocab(summaries: Sequence[dict], min_count: int, max_final_vocab: int | None,
                unicode_errors: str = "strict") -> Vocab:  # fmt: skip
    """The vocabulary of the shards' counts taken in shard order: what ``build_vocab`` gives
    for one scan of the whole corpus."""
    from .vocab import build_vocab

    index: dict[bytes, int] = {}
    words: list[bytes] = []
    counts: list[int] = []
    for s in summaries:
        b, o = s["word_bytes"].tobytes(), s["word_offsets"].tolist()
        for i, c in enumerate(s["counts"].tolist()):
            w = b[o[i] : o[i + 1]]
            j = index.get(w)
            if j is None:
                index[w] = len(words)
                words.append(w)
                counts.append(c)
            else:
                counts[j] += c
    if not words:
        raise CorpusError("corpus is empty (no tokens)")
    lengths = np.fromiter((len(w) for w in words), np.int64, len(words))
    # one dummy token (slot 0): build_vocab also encodes the scan, and this one has no text
    scan = RawScan(
        tokens=np.zeros(1, np.int32), line_ends=np.ones(1, np.int64),
        counts=np.asarray(counts, np.int64),
        word_bytes=np.frombuffer(b"".join(words), np.uint8).copy(),
        word_offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        raw_tokens=sum(int(s["raw_tokens"]) for s in summaries), pruned_words=0,
    )  # fmt: skip
    vocab, _ = build_vocab(scan, min_count, max_final_vocab, unicode_errors)
    return vocab


# -- the whole step ------------------------------------------------------------------------------
@dataclass
class ShardedCorpus:
    """The encoded corpus, one shard on each actor (what ``RayExecutor(shards=...)`` trains).

    ``bounds``: int64[S + 1] sentence bounds of the shards laid end to end; ``spans``:
    int64[R + 1] the sentence where each shard starts; ``checksum``: of the shards' checksums,
    to tell a checkpoint which corpus it was made on."""

    actors: list
    pieces: list[list[Piece]]
    bounds: np.ndarray
    spans: np.ndarray
    checksum: int
    words: list[str]
    unicode_errors: str
    max_sentence_length: int
    num_cpus: float = 1.0
    block_bytes: int = BLOCK_BYTES
    crcs: list[int] = field(default_factory=list)

    def respawn(self, r: int):
        """A new actor in place of actor ``r``, its shard read and encoded again."""
        return self._load([r])[0]

    def ensure(self) -> list:
        """The actors holding the shards; after ``close`` the shards are read again (their
        checksums must not have changed)."""
        if not self.actors:
            self.actors = [None] * len(self.pieces)
            self._load(list(range(len(self.pieces))))
        return self.actors

    def _load(self, ranks: list[int]) -> list:
        from .executors.ray import ray, spawn  # without Ray: its one-line ImportError

        actors = [spawn(r, self.num_cpus) for r in ranks]
        _get(ray, [a.scan.remote(self.pieces[r], self.block_bytes)
                   for a, r in zip(actors, ranks, strict=True)])  # fmt: skip
        words = ray.put(self.words)
        infos = _get(ray, [a.encode.remote(words, self.unicode_errors, self.max_sentence_length)
                           for a in actors])  # fmt: skip
        for a, r, info in zip(actors, ranks, infos, strict=True):
            if info["crc"] != self.crcs[r]:
                raise CorpusError(f"shard {r} of the corpus changed since it was first read")
            self.actors[r] = a
        return actors

    def close(self) -> None:
        """Drop the shards and free the actors (they stay warm for this driver's next run);
        ``ensure`` reads the shards again if they are needed after all."""
        from .executors.ray import retire

        retire(self.actors, self.num_cpus)
        self.actors = []


def build_vocab_on_actors(
    corpus: str | os.PathLike | Sequence[str],
    actors: int,
    min_count: int = 5,
    max_final_vocab: int | None = None,
    unicode_errors: str = "strict",
    max_sentence_length: int = 10_000,
    address: str | None = "ray",
    num_cpus: float = 1.0,
    block_bytes: int = BLOCK_BYTES,
) -> tuple[Vocab, np.ndarray, np.ndarray, dict[str, Any], ShardedCorpus]:
    """Count the vocabulary on ``actors`` Ray actors and leave the encoded corpus on them.

    Returns ``(vocab, bounds, spans, report, shards)``: the vocabulary (equal to the
    single-machine scan's); int64[S + 1] sentence bounds of the shards laid end to end;
    int64[actors + 1] shard starts (span ``r`` is shard ``r``: pass them to the ``Schedule``);
    ``report``: raw_tokens, vocab_tokens, sentences, sentences_split, seconds_vocab; and the
    ``ShardedCorpus`` handle for ``RayExecutor(shards=...)``.
    """
    choose = (min_count, max_final_vocab)
    return _shard(corpus, actors, None, choose, unicode_errors, max_sentence_length, address,
                  num_cpus, block_bytes)  # fmt: skip


def encode_on_actors(
    corpus: str | os.PathLike | Sequence[str],
    actors: int,
    words: list[str],
    unicode_errors: str = "strict",
    max_sentence_length: int = 10_000,
    address: str | None = "ray",
    num_cpus: float = 1.0,
    block_bytes: int = BLOCK_BYTES,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any], ShardedCorpus]:
    """Encode the corpus on the actors with a known vocabulary ``words`` (resuming a run):
    ``(bounds, spans, report, shards)`` as ``build_vocab_on_actors`` gives them."""
    _, bounds, spans, report, handle = _shard(corpus, actors, words, None, unicode_errors,
                                              max_sentence_length, address, num_cpus,
                                              block_bytes)  # fmt: skip
    return bounds, spans, report, handle


def _shard(corpus, actors, words, choose, unicode_errors, max_sentence_length, address,
           num_cpus, block_bytes):  # fmt: skip
    from .executors.ray import connect, ray, spawn  # without Ray: its one-line ImportError

    t0 = time.perf_counter()
    pieces = plan_shards(list_inputs(corpus), actors)
    connect(address)
    handles = [spawn(r, num_cpus) for r in range(actors)]
    vocab = None
    try:
        summaries = _get(ray, [a.scan.remote(p, block_bytes)
                               for a, p in zip(handles, pieces, strict=True)])  # fmt: skip
        if words is None:
            vocab = merge_vocab(summaries, *choose, unicode_errors)
            words = vocab.words
        del summaries
        words_ref = ray.put(words)
        infos = _get(ray, [a.encode.remote(words_ref, unicode_errors, max_sentence_length)
                           for a in handles])  # fmt: skip
    except BaseException:
        for a in handles:
            ray.kill(a)
        raise
    sizes = [int(i["bounds"].shape[0] - 1) for i in infos]
    spans = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    offsets = np.cumsum([0] + [int(i["tokens"]) for i in infos])
    bounds = np.concatenate(
        [infos[r]["bounds"][:-1] + offsets[r] for r in range(actors)] + [[offsets[-1]]]
    ).astype(np.int64)
    crcs = [int(i["crc"]) for i in infos]
    report = {
        "raw_tokens": sum(int(i["raw_tokens"]) for i in infos),
        "vocab_tokens": int(offsets[-1]),
        "sentences": int(spans[-1]),
        "sentences_split": sum(int(i["split"]) for i in infos),
        "seconds_vocab": time.perf_counter() - t0,
    }
    crc = zlib.crc32(np.asarray(crcs, np.uint32).tobytes())
    handle = ShardedCorpus(handles, pieces, bounds, spans, crc, words, unicode_errors,
                           max_sentence_length, num_cpus, block_bytes, crcs)  # fmt: skip
    return vocab, bounds, spans, report, handle


def _get(ray, refs):
    """``ray.get``, re-raising an actor's CorpusError as itself (one clear line)."""
    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, CorpusError):
            raise CorpusError(str(cause)) from None
        raise
