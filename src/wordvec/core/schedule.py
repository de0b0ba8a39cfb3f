"""The schedule: how a training run is cut into jobs and rounds. Knows no estimator, no kernel.

A *job* is a run of whole sentences of about ``batch_words`` tokens of the encoded corpus; its
learning rate and random state depend only on (seed, epoch, job), never on where it runs. A
*round* is the work between two consistent points: the jobs each weight replica trains
(deterministic mode, merged in a fixed order at the end of the round), or a run of jobs that
workers take one by one on shared weights (Hogwild). Between rounds no job is running and the
shared weights hold exactly the rounds before ``RunState.next_round``: that is where progress is
reported, a stop request is honoured and a checkpoint may be taken.

Where the rounds run is an executor (``wordvec.core.executors``); what a job does is the
``train_job`` the executor was given. ``run_epoch`` only decides which jobs make a round.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

_MASK64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """splitmix64 finaliser: a well-spread 64-bit value from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (x ^ (x >> 31)) or 1


def learning_rate(alpha: float, min_alpha: float, done: int, total: int) -> float:
    """The rate after ``done`` of ``total`` tokens of a run: linear from ``alpha`` to
    ``min_alpha``, never below it."""
    return max(alpha - (alpha - min_alpha) * done / max(total, 1), min_alpha)


def job_seed(seed: int, epoch: int, job: int) -> int:
    """The random state a job starts from: a function of (seed, epoch, job) only."""
    return _mix64(_mix64(_mix64(seed) ^ epoch) ^ job)


class Job(NamedTuple):
    """One unit of work: train sentences ``s0 .. s1 - 1`` with the learning rate falling from
    ``alpha0`` to ``alpha1``, the random stream starting at ``seed``."""

    index: int  # job number within the epoch: where its stats go
    s0: int
    s1: int
    alpha0: float
    alpha1: float
    seed: int


class Round(NamedTuple):
    """The jobs of one round. ``shared``: one queue of jobs that any worker takes, in order, on
    the shared weights (Hogwild, or a single replica). Otherwise ``jobs[r]`` is what replica
    ``r`` trains on its own copy before the merge."""

    jobs: tuple[tuple[Job, ...], ...]
    shared: bool

    def steps(self, every: int | None) -> list[tuple[tuple[Job, ...], ...]]:
        """The round cut into steps of ``every`` jobs of each replica (None: one step, the
        whole round): step ``i`` gives replica ``r`` jobs ``i * every ..`` of ``jobs[r]``.
        Replicas may merge some rows between two steps, every replica in step."""
        longest = max((len(j) for j in self.jobs), default=0)
        per = every or max(longest, 1)
        return [tuple(j[i : i + per] for j in self.jobs) for i in range(0, max(longest, 1), per)]


class TrainJob(Protocol):
    """What a job does: train ``job`` into ``weights`` (the arrays the executor holds: shared
    ones or one replica's), add its (loss, pairs, words kept) to ``stats_row`` (float64[3]),
    and set ``touched[m, row] = 1`` for each row of matrix ``m`` it updated (uint8[M, V];
    ``uint8[M, 0]`` when nothing needs to know)."""

    def __call__(
        self, job: Job, weights: tuple[np.ndarray, ...], touched: np.ndarray, stats_row: np.ndarray
    ) -> None: ...


class Executor(Protocol):
    """Where rounds run (``wordvec.core.executors``): threads, a GPU, cluster actors.

    ``replicas`` is the number of weight copies that train independently between merges (1:
    all jobs update the shared weights). ``run_round`` returns when every job of the round is
    done, its stats added to ``stats[job.index]`` and its updates are in the shared weights
    (merged in replica order when ``replicas > 1``; an executor may also merge some rows
    between the jobs of a round, every replica in step); nothing runs between two calls. A Ctrl-C
    during a round lets the round finish, then raises ``KeyboardInterrupt``: the state is
    always a round boundary. ``sync`` makes the host's copy of the shared weights current
    (a GPU or cluster executor holds them elsewhere); ``close`` releases workers and memory.
    """

    replicas: int

    def run_round(self, work: Round, stats: np.ndarray) -> None: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...


@dataclass
class RunState:
    """Where a run is: epochs done in it (``epoch``), the rounds done of the current epoch, and
    the per-job stats of that epoch so far (float64[J, 3]: loss sum, pairs, words kept)."""

    start_epochs: int  # epochs the model had trained before this run
    epoch: int = 0
    next_round: int = 0
    stats: np.ndarray | None = None

    @property
    def epoch_seed(self) -> int:
        """The epoch number the random streams use: counts every epoch the model trained."""
        return self.start_epochs + self.epoch


@dataclass
class EpochResult:
    """What ``run_epoch`` did: the epoch's summed stats and the tokens trained in this call."""

    loss: float  # mean loss per pair over the whole epoch
    pairs: int
    words_kept: int
    tokens: int  # raw corpus tokens (in the vocabulary) trained by this call
    seconds: float
    complete: bool  # False: stopped at a round boundary before the end of the epoch


class Schedule:
    """Jobs, rounds and learning rates of a run of ``epochs`` epochs over a corpus with
    sentence bounds ``bounds`` (int64[S + 1], token offsets).

    The corpus is cut into ``spans`` (int64[R + 1] sentence indices; default one span), one per
    replica: round ``k`` gives replica ``r`` the ``k``-th run of ``per_round`` jobs of span
    ``r`` (a cluster actor holds just its span of the corpus). With one span, a round is a run
    of ``per_round`` jobs that the workers share. Job ``j`` trains sentences ``jobs[j] ..
    jobs[j + 1] - 1``: within a span, each job starts at the first sentence starting after a
    multiple of ``batch_words`` tokens. The learning rate falls linearly from ``alpha`` to
    ``min_alpha`` over the run, each span's jobs at the pace of that span's progress (so all
    replicas lower it together).
    """

    def __init__(
        self,
        bounds: np.ndarray,
        batch_words: int,
        epochs: int,
        alpha: float,
        min_alpha: float,
        seed: int,
        per_round: int,
        spans: np.ndarray | None = None,
    ):
        self.bounds = bounds
        self.tokens = int(bounds[-1])  # per epoch
        n_sent = bounds.shape[0] - 1
        self.spans = np.array([0, n_sent] if spans is None else spans, np.int64)
        starts = []
        for r in range(self.spans.shape[0] - 1):
            lo, hi = int(bounds[self.spans[r]]), int(bounds[self.spans[r + 1]])
            cuts = np.searchsorted(bounds, np.arange(lo + batch_words, hi, batch_words))
            starts += [[self.spans[r]], cuts[cuts < self.spans[r + 1]]]
        jobs = np.unique(np.concatenate([*starts, [n_sent]])).astype(np.int64)
        self.jobs = jobs
        # span r holds jobs span_jobs[r] .. span_jobs[r + 1] - 1
        self.span_jobs = np.searchsorted(jobs, self.spans).astype(np.int64)
        self.per_round = per_round
        self._before: np.ndarray | None = None  # tokens_before's prefix sums
        self.batch_words = batch_words
        self.epochs, self.alpha, self.min_alpha, self.seed = epochs, alpha, min_alpha, seed

    @property
    def n_jobs(self) -> int:
        return int(self.jobs.shape[0] - 1)

    @property
    def n_spans(self) -> int:
        return int(self.spans.shape[0] - 1)

    @property
    def n_rounds(self) -> int:
        longest = int(np.diff(self.span_jobs).max(initial=0))
        return -(-longest // self.per_round)

    def job(self, state: RunState, j: int) -> Job:
        """Job ``j`` of the current epoch of ``state``."""
        s0, s1 = int(self.jobs[j]), int(self.jobs[j + 1])
        t0, t1 = int(self.bounds[s0]), int(self.bounds[s1])
        if self.n_spans > 1:  # the span's progress, scaled to the epoch
            r = int(np.searchsorted(self.span_jobs, j, side="right")) - 1
            lo, hi = int(self.bounds[self.spans[r]]), int(self.bounds[self.spans[r + 1]])
            t0, t1 = ((t - lo) / max(hi - lo, 1) * self.tokens for t in (t0, t1))
        base = state.epoch * self.tokens
        total = self.tokens * self.epochs
        return Job(
            index=j,
            s0=s0,
            s1=s1,
            alpha0=learning_rate(self.alpha, self.min_alpha, base + t0, total),
            alpha1=learning_rate(self.alpha, self.min_alpha, base + t1, total),
            seed=job_seed(self.seed, state.epoch_seed, j),
        )

    def round(self, state: RunState, k: int) -> Round:
        """Round ``k`` of the current epoch."""
        per = []
        for r in range(self.n_spans):
            lo = min(int(self.span_jobs[r]) + k * self.per_round, int(self.span_jobs[r + 1]))
            hi = min(lo + self.per_round, int(self.span_jobs[r + 1]))
            per.append(tuple(self.job(state, j) for j in range(lo, hi)))
        return Round(tuple(per), shared=self.n_spans == 1)

    def token_ranges(self, k: int) -> list[tuple[int, int]]:
        """The tokens ``(start, end)`` that round ``k`` trains, one range a span."""
        out = []
        for r in range(self.n_spans):
            lo = min(int(self.span_jobs[r]) + k * self.per_round, int(self.span_jobs[r + 1]))
            hi = min(lo + self.per_round, int(self.span_jobs[r + 1]))
            out.append((int(self.bounds[self.jobs[lo]]), int(self.bounds[self.jobs[hi]])))
        return out

    def round_tokens(self, k: int) -> int:
        """Tokens of round ``k``."""
        return sum(b - a for a, b in self.token_ranges(k))

    def tokens_before(self, k: int) -> int:
        """Tokens of rounds ``0 .. k - 1`` of an epoch (prefix sums, made on first use: a
        progress report after every round must not cost the epoch's rounds again)."""
        if self._before is None:
            self._before = np.cumsum([0] + [self.round_tokens(i) for i in range(self.n_rounds)])
        return int(self._before[k])

    def run_epoch(
        self,
        state: RunState,
        executor: Executor,
        on_tick: Callable[[RunState, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> EpochResult:
        """Run the rest of the current epoch of ``state`` on ``executor``, round by round.

        After each round ``state.next_round`` moves past it and ``on_tick(state, tokens)`` is
        called (tokens: trained by this call so far): a consistent point, where a checkpoint
        may be saved. ``should_stop()`` is asked before each round; when it says yes the epoch
        ends early (``complete=False``) at that boundary.
        """
        if executor.replicas != self.n_spans:
            raise ValueError(f"{self.n_spans} spans need as many replicas, not {executor.replicas}")
        if state.stats is None or state.stats.shape != (self.n_jobs, 3):
            state.stats = np.zeros((self.n_jobs, 3), np.float64)
        t0 = time.perf_counter()
        tokens = 0
        complete = True
        for k in range(state.next_round, self.n_rounds):
            if should_stop is not None and should_stop():
                complete = False
                break
            try:
                executor.run_round(self.round(state, k), state.stats)
            finally:  # a Ctrl-C is re-raised after the round finished: count it
                tokens += self.round_tokens(k)
                state.next_round = k + 1
            if on_tick is not None:
                on_tick(state, tokens)
        loss, pairs, kept = state.stats.sum(axis=0)
        return EpochResult(
            loss=float(loss / max(pairs, 1)),
            pairs=int(pairs),
            words_kept=int(kept),
            tokens=tokens,
            seconds=time.perf_counter() - t0,
            complete=complete and state.next_round >= self.n_rounds,
        )


def equal_spans(bounds: np.ndarray, n: int) -> np.ndarray:
    """int64[n + 1] sentence indices cutting the corpus into ``n`` spans of about equal tokens
    (one per replica)."""
    total = int(bounds[-1])
    cuts = np.searchsorted(bounds, np.arange(1, n) * total // n)
    return np.concatenate([[0], cuts, [bounds.shape[0] - 1]]).astype(np.int64)
