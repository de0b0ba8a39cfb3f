"""How weight replicas train apart and merge (deterministic mode, cluster actors): the plan the
estimator hands its executor (merge modes, frequent rows) and its schedule (job and round size).

Rows several replicas moved combine per matrix (``kernels.merge``: input vectors,
negative-sampling outputs, then Huffman nodes / softmax outputs / NCE biases). With 3 or more
replicas the ``HOT_ROWS`` most frequent words' rows (and the heaviest Huffman nodes) also merge
after every job, and a job is at most ``HOT_ROUND_WORDS / replicas`` tokens, so those rows are
never staler than 20,000 tokens in all (docs/training-core.md: with 8 replicas and jobs of
5,000 tokens the sums diverge; with 2,500 they match the serial run).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

MERGE = "sum,sum,capped"
MERGE_LONG_JOBS = "capped"  # sentences longer than the jobs should be: never diverges
HOT_ROWS = 1024
HOT_ROUND_WORDS = 20_000
HOT_MIN_REPLICAS = 3  # with 2 the round's sums hold (measured) and merges every job cost 9 %
# with 3 or more replicas a round is at most this many tokens in all: the rows past the
# frequent ones merge only at its end, and 8 replicas of 125,000 tokens (rounds of 1,000,000)
# sum them far past the serial run's (wiki100m: 2.2 % analogy against 37 %). Longer rounds
# with 2 replicas save time (1.09x Hogwild's at 1,000,000 against 1.37x) but cost quality
# there too (SG-HS 32.5 % against 35.8 %): docs/training-core.md
MANY_REPLICAS_ROUND_WORDS = 100_000

Output = Literal["hs", "softmax", "nce"]  # what the third matrix (the syn1 slot) holds


class Plan(NamedTuple):
    job_words: int  # tokens a job
    round_words: int  # tokens a round, in all replicas
    merge: str  # kernels.merge modes, one per matrix
    hot: list[tuple[int, int]] | None  # per matrix, rows (lo, hi) merged after every job


def plan(replicas: int, rows: Sequence[int], output: Output, bounds: np.ndarray,
         batch_words: int, round_words: int, merge: str | None = None,
         hot_rows: int = HOT_ROWS) -> Plan:  # fmt: skip
    """The plan for ``replicas`` copies of matrices of ``rows`` rows (syn0, syn1neg, syn1 slot;
    a matrix not trained is one row), a corpus of sentence ``bounds``; ``merge``: modes to use
    instead of the default; ``hot_rows`` 0: no merges within a round."""
    if replicas < HOT_MIN_REPLICAS:
        return Plan(batch_words, round_words, merge or MERGE, None)
    job_words = max(1, min(batch_words, HOT_ROUND_WORDS // replicas))
    round_words = min(round_words, MANY_REPLICAS_ROUND_WORDS)
    longest = int(np.diff(bounds).max(initial=0))
    if merge is None and longest > 2 * job_words:
        warnings.warn(
            f"sentences of up to {longest} tokens make jobs longer than {job_words} tokens: "
            f"with {replicas} replicas the frequent rows merge too seldom to sum their "
            f"changes; they are capped instead (lower quality): max_sentence_length="
            f"{job_words} avoids it", RuntimeWarning, stacklevel=4)  # fmt: skip
        merge = MERGE_LONG_JOBS
    v = rows[0]
    h = min(hot_rows, v)
    if h == 0:
        return Plan(job_words, round_words, merge or MERGE, None)
    if output == "nce":
        out = (0, h)
    elif output == "softmax":
        out = (0, v)  # every output row moves with every pair
    else:  # Huffman nodes: the heaviest have the highest ids (the root is v - 2)
        out = (max(0, v - 1 - h), max(0, v - 1))
    hot = [(lo, min(hi, n)) for (lo, hi), n in zip([(0, h), (0, h), out], rows, strict=True)]
    return Plan(job_words, round_words, merge or MERGE, hot)
