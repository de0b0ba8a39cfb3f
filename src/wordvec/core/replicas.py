"""How weight replicas train apart and merge (deterministic mode, cluster actors): the plan the
estimator hands its executor (merge modes, frequent rows) and its schedule (job and round size).

Rows several replicas moved combine per matrix (``kernels.merge``: input vectors,
negative-sampling outputs, then Huffman nodes / softmax outputs / NCE biases). The most
frequent words' rows (and the heaviest Huffman nodes: ``HOT_ROWS``, ``PAIR_HOT_ROWS`` with 2
replicas) also merge within a round, every ``hot_every`` jobs, so those rows are never staler
than ``HOT_ROUND_WORDS`` tokens in all (20,000), or ``PAIR_ROUND_WORDS`` (100,000) with 2
replicas of negative sampling or NCE (``CLUSTER_PAIR_ROUND_WORDS``, 200,000, on Ray actors);
the other rows merge once a round (docs/training-core.md: with 8 replicas and jobs of 5,000
tokens the sums diverge; with 2,500 they match the serial run).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

# What each constant is; the measurements that chose them are in docs/training-core.md,
# "The replica constants".
MERGE = "sum,sum,capped"  # kernels.merge modes: syn0, syn1neg, the syn1 slot
MERGE_LONG_JOBS = "capped"  # the modes when sentences are longer than the jobs should be
ROUND_WORDS = 1_000_000  # tokens a round in all (``round_words=None``)
CLUSTER_PAIR_ROUND_SIZE = 4_000_000  # ... on 2 Ray actors
HOT_ROWS = 1024  # frequent rows merged within a round (3 or more replicas)
HOT_ROUND_WORDS = 20_000  # ... every this many tokens in all (and Huffman nodes, softmax rows)
PAIR_HOT_ROWS = 8192  # frequent rows merged within a round (2 replicas)
PAIR_ROUND_WORDS = 100_000  # ... every this many tokens in all (NS, NCE; 2 replicas)
CLUSTER_PAIR_ROUND_WORDS = 200_000  # ... on 2 Ray actors
MANY_REPLICAS_ROUND_WORDS = 100_000  # the longest round for 3 or more replicas

Output = Literal["hs", "softmax", "nce"]  # what the third matrix (the syn1 slot) holds


class Plan(NamedTuple):
    job_words: int  # tokens a job
    round_words: int  # tokens a round, in all replicas
    merge: str  # kernels.merge modes, one per matrix
    hot: list | None  # per matrix, rows (lo, hi) merged within a round, or listed (int64[k])
    hot_every: int = 1  # ... after every this many jobs of each replica
    # per matrix, whether its replicas hold only the rows they move (a subword model's input
    # rows: ``kernels.bundles.SubwordWeights``) instead of whole copies
    sparse: tuple[bool, ...] = ()


def plan(
    replicas: int,
    rows: Sequence[int],
    output: Output,
    bounds: np.ndarray,
    batch_words: int,
    round_words: int | None,
    merge: str | None = None,
    hot_rows: int | None = None,
    cluster: bool = False,
) -> Plan:
    """The plan for ``replicas`` copies of matrices of ``rows`` rows (syn0, syn1neg, syn1 slot;
    a matrix not trained is one row), a corpus of sentence ``bounds``; ``round_words``: tokens
    a round in all (None: ``ROUND_WORDS``, or ``CLUSTER_PAIR_ROUND_SIZE`` for 2 actors);
    ``merge``: modes to use instead of the default; ``hot_rows``: frequent rows instead of the
    default (0: no merges within a round); ``cluster``: the replicas are actors, for which a
    merge within a round is a call."""
    if round_words is None:
        round_words = CLUSTER_PAIR_ROUND_SIZE if cluster and replicas == 2 else ROUND_WORDS
    if replicas == 1:
        return Plan(batch_words, round_words, merge or MERGE, None)
    busy = output != "nce" and rows[2] > 1  # Huffman nodes or softmax rows: every pair moves some
    if replicas == 2:
        pair = CLUSTER_PAIR_ROUND_WORDS if cluster else PAIR_ROUND_WORDS
        hot_words = (HOT_ROUND_WORDS if busy else pair) // replicas
        hot_rows = PAIR_HOT_ROWS if hot_rows is None else hot_rows
    else:
        hot_words = HOT_ROUND_WORDS // replicas
        hot_rows = HOT_ROWS if hot_rows is None else hot_rows
        round_words = min(round_words, MANY_REPLICAS_ROUND_WORDS)
    job_words = max(1, min(batch_words, hot_words))
    longest = int(np.diff(bounds).max(initial=0))
    every = max(1, hot_words // max(job_words, longest))  # a job is at least one sentence
    if merge is None and longest > 2 * hot_words:
        warnings.warn(
            f"sentences of up to {longest} tokens make the frequent rows of {replicas} "
            f"replicas merge every {longest} tokens or more, not {hot_words}: too seldom to "
            f"sum their changes; they are capped instead (lower quality): "
            f"max_sentence_length={hot_words} avoids it",
            RuntimeWarning,
            stacklevel=4,
        )
        merge = MERGE_LONG_JOBS
    v = rows[0]
    h = min(hot_rows, v)
    if h == 0:
        return Plan(job_words, round_words, merge or MERGE, None, every)
    if output == "nce":
        out = (0, h)
    elif output == "softmax":
        out = (0, v)  # every output row moves with every pair
    else:  # Huffman nodes: the heaviest have the highest ids (the root is v - 2)
        out = (max(0, v - 1 - h), max(0, v - 1))
    hot = [
        (min(lo, n), min(hi, n)) for (lo, hi), n in zip([(0, h), (0, h), out], rows, strict=True)
    ]
    return Plan(job_words, round_words, merge or MERGE, hot, every)
