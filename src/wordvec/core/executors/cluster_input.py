"""Distributed input for training on a cluster: each actor reads, counts and encodes its own
part of the corpus; the driver only merges the word counts and never reads the text.

The corpus is a file, a directory (its files in sorted order, recursively, as
``wordvec.corpus.reader`` reads it), a glob, or fsspec URLs (``s3://``, ``gs://``, ``hdfs://``...
with the matching fsspec package installed). Its files are laid end to end and cut into one *shard*
per actor, of about equal bytes (``plan_shards``): a plain file may be cut anywhere, a compressed
one goes whole to one actor. The driver only asks for file sizes; each actor moves its nominal cut
points to a token boundary itself (``boundary``: just after the first newline within 1 MiB, else
just after the first whitespace), and the two actors on either side of a cut compute the same point,
so no token is cut, lost or read twice.

``build_vocab_on_actors`` then

1. has each actor scan its shard (``wordvec.corpus.reader.scan_corpus``: counts in first-seen
order); 2. merges the counts on the driver in shard order, which is the order one sequential scan
sees the words, and chooses the words with ``wordvec.corpus.vocab.build_vocab``: the vocabulary
equals the single-machine one, word for word and count for count; 3. has each actor encode its shard
with that vocabulary and cut long sentences; the encoded shard stays on the actor, which then trains
exactly its shard (span ``r`` = shard ``r``).

Concessions: ``max_vocab_size`` (pruning while scanning) is not supported, since pruning per
shard would not give the single-machine result. Where a cut falls inside a line (a corpus with
no newline near the cut, such as text8), that line becomes two sentences: the vocabulary is the
same, the sentence boundaries (and so the vectors) differ slightly from a local run. An actor
copies its byte ranges to a local temporary file before scanning it (``wordvec.corpus.reader`` scans
paths; a scan of a byte range there would save that copy).
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wordvec.core.executors.shards import Piece, list_inputs, plan_shards
from wordvec.corpus.reader import BLOCK_BYTES, CorpusError, RawScan
from wordvec.corpus.vocab import Vocab


def merge_vocab(
    summaries: Sequence[dict],
    min_count: int,
    max_final_vocab: int | None,
    unicode_errors: str = "strict",
) -> Vocab:
    """The vocabulary of the shards' counts taken in shard order: what ``build_vocab`` gives
    for one scan of the whole corpus."""
    from wordvec.corpus.vocab import build_vocab

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
        tokens=np.zeros(1, np.int32),
        line_ends=np.ones(1, np.int64),
        counts=np.asarray(counts, np.int64),
        word_bytes=np.frombuffer(b"".join(words), np.uint8).copy(),
        word_offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        raw_tokens=sum(int(s["raw_tokens"]) for s in summaries),
        pruned_words=0,
    )
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
    memory: tuple = (None, None)  # (max_memory, work_dir) on each actor's machine

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
        from wordvec.core.executors.ray_cluster import (  # without Ray: its one-line ImportError
            ray,
            spawn,
        )

        actors = [spawn(r, self.num_cpus) for r in ranks]
        _get(
            ray,
            [
                a.scan.remote(self.pieces[r], self.block_bytes, self.memory)
                for a, r in zip(actors, ranks, strict=True)
            ],
        )
        words = ray.put(self.words)
        infos = _get(
            ray,
            [a.encode.remote(words, self.unicode_errors, self.max_sentence_length) for a in actors],
        )
        for a, r, info in zip(actors, ranks, infos, strict=True):
            if info["crc"] != self.crcs[r]:
                raise CorpusError(f"shard {r} of the corpus changed since it was first read")
            self.actors[r] = a
        return actors

    def close(self) -> None:
        """Drop the shards and free the actors (they stay warm for this driver's next run);
        ``ensure`` reads the shards again if they are needed after all."""
        from wordvec.core.executors.ray_cluster import retire

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
    memory: tuple = (None, None),
) -> tuple[Vocab, np.ndarray, np.ndarray, dict[str, Any], ShardedCorpus]:
    """Count the vocabulary on ``actors`` Ray actors and leave the encoded corpus on them.

    Returns ``(vocab, bounds, spans, report, shards)``: the vocabulary (equal to the
    single-machine scan's); int64[S + 1] sentence bounds of the shards laid end to end;
    int64[actors + 1] shard starts (span ``r`` is shard ``r``: pass them to the ``Schedule``);
    ``report``: raw_tokens, vocab_tokens, sentences, sentences_split, seconds_vocab; and the
    ``ShardedCorpus`` handle for ``RayExecutor(shards=...)``. ``memory``: the run's
    (max_memory, work_dir), which each actor applies on its machine.
    """
    choose = (min_count, max_final_vocab)
    return _shard(
        corpus,
        actors,
        None,
        choose,
        unicode_errors,
        max_sentence_length,
        address,
        num_cpus,
        block_bytes,
        memory,
    )


def encode_on_actors(
    corpus: str | os.PathLike | Sequence[str],
    actors: int,
    words: list[str],
    unicode_errors: str = "strict",
    max_sentence_length: int = 10_000,
    address: str | None = "ray",
    num_cpus: float = 1.0,
    block_bytes: int = BLOCK_BYTES,
    memory: tuple = (None, None),
) -> tuple[np.ndarray, np.ndarray, dict[str, Any], ShardedCorpus]:
    """Encode the corpus on the actors with a known vocabulary ``words`` (resuming a run):
    ``(bounds, spans, report, shards)`` as ``build_vocab_on_actors`` gives them."""
    _, bounds, spans, report, handle = _shard(
        corpus,
        actors,
        words,
        None,
        unicode_errors,
        max_sentence_length,
        address,
        num_cpus,
        block_bytes,
        memory,
    )
    return bounds, spans, report, handle


def _shard(
    corpus,
    actors,
    words,
    choose,
    unicode_errors,
    max_sentence_length,
    address,
    num_cpus,
    block_bytes,
    memory,
):
    from wordvec.core.executors.ray_cluster import (  # without Ray: its one-line ImportError
        connect,
        ray,
        spawn,
    )

    t0 = time.perf_counter()
    pieces = plan_shards(list_inputs(corpus), actors)
    connect(address)
    handles = [spawn(r, num_cpus) for r in range(actors)]
    vocab = None
    try:
        summaries = _get(
            ray,
            [a.scan.remote(p, block_bytes, memory) for a, p in zip(handles, pieces, strict=True)],
        )
        if words is None:
            vocab = merge_vocab(summaries, *choose, unicode_errors)
            words = vocab.words
        del summaries
        words_ref = ray.put(words)
        infos = _get(
            ray, [a.encode.remote(words_ref, unicode_errors, max_sentence_length) for a in handles]
        )
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
    handle = ShardedCorpus(
        handles,
        pieces,
        bounds,
        spans,
        crc,
        words,
        unicode_errors,
        max_sentence_length,
        num_cpus,
        block_bytes,
        crcs,
        memory,
    )
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
