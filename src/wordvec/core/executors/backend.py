"""The one place that picks where a training run happens: ``backend(device, cluster)``.

The estimator asks for a backend once and from then on only calls its methods; it never
branches on the device or the cluster itself. A backend answers four questions:

- **Can it run?** ``check()``, before the corpus is read (a missing GPU is found then).
- **Where is the corpus read?** ``reads_remotely(corpus, update, max_vocab_size)``: here (the
  default), or on the cluster's actors, each of which reads, counts and keeps its own shard
  (``read_remotely``; the driver keeps only the sentence bounds).
- **How many weight copies train apart?** ``replicas(workers, deterministic)``, and which span
  of the corpus each trains (``spans``).
- **What runs the rounds?** ``executor(...)``: worker threads, a CUDA GPU or Ray actors, behind
  ``wordvec.core.schedule.Executor``.

Importing this module imports no executor (and no Numba, CUDA or Ray): each is imported when
its backend makes one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from wordvec.core.schedule import equal_spans
from wordvec.corpus.encoded import EncodedCorpus, checksum


@dataclass
class RemoteInput:
    """What the driver keeps of a corpus read on the actors: the vocabulary (None when the
    words were given), the sentence bounds (no tokens) and the counts for the report."""

    vocab: Any
    corpus: EncodedCorpus
    counts: dict[str, int]  # raw_tokens, vocab_tokens, sentences, sentences_split


class Threads:
    """This process's worker threads (the default)."""

    actors = False  # whether the weight copies live on other processes (the memory estimate)

    def check(self) -> None:
        """Raise before any work if this backend cannot run here."""

    def reads_remotely(self, corpus, update: bool, max_vocab_size: int | None) -> bool:
        return False

    def replicas(self, workers: int, deterministic: bool) -> int:
        """Weight copies that train apart between merges: the deterministic mode's workers,
        else one (Hogwild, or one worker)."""
        return workers if (deterministic and workers > 1) else 1

    def spans(self, bounds: np.ndarray, copies: int) -> np.ndarray:
        return equal_spans(bounds, copies)

    def checksum(self, corpus: EncodedCorpus) -> int:
        """What a checkpoint records to recognise the corpus."""
        return checksum(corpus)

    def executor(self, weights, objective, workers: int, copies: int, plan):
        from wordvec.core.executors.threads import ThreadExecutor

        return ThreadExecutor(
            weights, objective, workers, copies, plan.merge, plan.hot, plan.hot_every, plan.sparse
        )


class Cuda(Threads):
    """One CUDA GPU (``device="cuda"``): one copy of the weights, on the device."""

    def check(self) -> None:
        from wordvec.core.executors.cuda import require_gpu

        require_gpu()

    def replicas(self, workers: int, deterministic: bool) -> int:
        return 1

    def executor(self, weights, objective, workers: int, copies: int, plan):
        from wordvec.core.executors.cuda import CudaExecutor

        return CudaExecutor(weights, objective)


class Ray(Threads):
    """Ray actors (``cluster="ray[:ADDRESS]"``): ``workers`` of them, each with its own copy of
    the weights; over files, each also reads its own shard of the corpus."""

    actors = True

    def __init__(self, address: str):
        self.address = address
        self.shards = None  # cluster_input.ShardedCorpus once the actors have read the corpus

    def check(self) -> None:
        from wordvec.core.executors.ray_cluster import require_ray

        require_ray()

    def reads_remotely(self, corpus, update: bool, max_vocab_size: int | None) -> bool:
        """Files are read on the actors, except for what a shard cannot do alone (pruning
        while scanning, adding to a vocabulary): those are read here."""
        return isinstance(corpus, str | os.PathLike) and not update and max_vocab_size is None

    def read_remotely(self, corpus, p: dict, words: list[str] | None = None) -> RemoteInput:
        """Count the vocabulary (or, given ``words``, only encode) on the actors: each reads
        and encodes its own shard, which it keeps; actor ``r`` trains shard ``r``. ``p``: the
        estimator's parameters (workers, min_count, max_final_vocab, unicode_errors,
        max_sentence_length)."""
        from wordvec.core.executors import cluster_input

        vocab = None
        if words is None:
            vocab, bounds, _, counts, self.shards = cluster_input.build_vocab_on_actors(
                corpus,
                p["workers"],
                p["min_count"],
                p["max_final_vocab"],
                p["unicode_errors"],
                p["max_sentence_length"],
                address=self.address,
                memory=(p["max_memory"], p["work_dir"]),
            )
        else:
            bounds, _, counts, self.shards = cluster_input.encode_on_actors(
                corpus,
                p["workers"],
                words,
                p["unicode_errors"],
                p["max_sentence_length"],
                address=self.address,
                memory=(p["max_memory"], p["work_dir"]),
            )
        no_tokens = (np.zeros(0, np.uint16), np.zeros(0, np.int32))
        return RemoteInput(vocab, EncodedCorpus(*no_tokens, bounds, counts["raw_tokens"]), counts)

    def replicas(self, workers: int, deterministic: bool) -> int:
        return len(self.shards.spans) - 1 if self.shards is not None else workers

    def spans(self, bounds: np.ndarray, copies: int) -> np.ndarray:
        return self.shards.spans if self.shards is not None else equal_spans(bounds, copies)

    def checksum(self, corpus: EncodedCorpus) -> int:
        return self.shards.checksum if self.shards is not None else checksum(corpus)

    def executor(self, weights, objective, workers: int, copies: int, plan):
        from wordvec.core.executors.ray import RayExecutor

        return RayExecutor(
            weights,
            objective,
            actors=workers,
            address=self.address,
            merge=plan.merge,
            shards=self.shards,
            hot=plan.hot,
            hot_every=plan.hot_every,
        )


def backend(device: str, cluster: str | None) -> Threads:
    """The backend for ``Word2Vec(device=..., cluster=...)``."""
    if device == "cuda":
        return Cuda()
    if cluster is not None:
        return Ray(cluster)
    return Threads()
