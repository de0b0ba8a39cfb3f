"""Rounds on worker threads of this process (Numba kernels release the GIL).

With one replica, the workers take the round's jobs in order from one queue and update the
shared weights without locks (Hogwild, as the C tool and gensim do; with one worker, a serial
run). With ``replicas`` > 1, worker ``r`` trains its jobs on its own copy of the weights, then
each worker merges a slice of the rows every replica touched (``kernels.merge``), in replica
order, so the result depends on nothing but the jobs; given ``hot`` rows, those are merged the
same way every ``hot_every`` jobs too, every replica in step.

Workers live as long as the executor. Between rounds every worker is parked: the main thread
may read, save or replace the shared weights there.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from wordvec.core.replicas import MERGE
from wordvec.core.schedule import Round, TrainJob


class ThreadExecutor:
    """``weights``: the shared arrays (float32[rows, d] each) every job trains; ``train_job``:
    see ``wordvec.core.schedule.TrainJob``; ``workers`` threads; ``replicas``: 1 or ``workers``;
    ``merge``: how rows several replicas moved are combined (``kernels.merge.MODES``), one
    mode for every matrix or one per matrix ("sum,sum,mean": syn0, syn1neg, syn1); ``hot``:
    per matrix, rows ``lo .. hi - 1`` (the frequent words', within its rows) merged after
    every ``hot_every`` jobs of a round, every replica in step, besides the merge of all rows
    at the end of the round."""

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        train_job: TrainJob,
        workers: int,
        replicas: int = 1,
        merge: str = MERGE,
        hot: Sequence[tuple[int, int]] | None = None,
        hot_every: int = 1,
    ):
        from wordvec.kernels.merge import merge_touched, parse_modes  # Numba: once training starts

        if replicas not in (1, workers):
            raise ValueError(f"replicas must be 1 or workers ({workers}), got {replicas}")
        self.weights = tuple(weights)
        self.train_job = train_job
        self.workers = workers
        self.replicas = replicas
        self.merge = merge
        self._modes = parse_modes(merge, len(self.weights))
        self._merge_touched = merge_touched
        self._all = [(0, w.shape[0]) for w in self.weights]
        self._hot = None if hot is None else list(hot)
        self._every = max(1, int(hot_every)) if hot is not None else None
        self._copies: list[np.ndarray] = []
        rows = max(w.shape[0] for w in self.weights)
        if replicas > 1:  # float32[replicas, rows, d] each; uint8[replica, matrix, row]
            self._copies = [np.repeat(w[None], replicas, axis=0) for w in self.weights]
            self._touched = np.zeros((replicas, len(self.weights), rows), np.uint8)
        self._no_touch = np.zeros((len(self.weights), 0), np.uint8)  # no merge: note nothing
        self._cond = threading.Condition()
        self._generation = 0  # bumped by the main thread to start a round
        self._finished = 0  # workers done with the current round
        self._closing = False
        self._work: Round | None = None
        self._stats: np.ndarray | None = None
        self._queue = 0  # next position in a shared round's queue
        self._errors: list[BaseException] = []
        self._trained = threading.Barrier(workers)  # replicas: all trained before any merges
        self._threads = [
            threading.Thread(target=self._worker, args=(w,), daemon=True, name=f"wordvec-{w}")
            for w in range(workers)
        ]
        for t in self._threads:
            t.start()

    # -- main thread --------------------------------------------------------------------------
    def run_round(self, work: Round, stats: np.ndarray) -> None:
        if self._errors:
            raise RuntimeError("a worker failed in an earlier round") from self._errors[0]
        if work.shared != (self.replicas == 1) or (
            not work.shared and len(work.jobs) != self.replicas
        ):
            raise ValueError("the round does not match this executor's replicas")
        with self._cond:
            self._work, self._stats, self._queue = work, stats, 0
            self._finished = 0
            self._generation += 1
            self._cond.notify_all()
        interrupted = False
        while True:  # the round always finishes: a Ctrl-C is re-raised after it
            try:
                with self._cond:
                    while self._finished < self.workers:
                        self._cond.wait(0.25)
                break
            except KeyboardInterrupt:
                interrupted = True
        self._work = self._stats = None
        if self._errors:
            raise self._errors[0]
        if interrupted:
            raise KeyboardInterrupt

    def sync(self) -> None:
        """The shared weights are the host arrays: always current between rounds."""

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._generation += 1
            self._cond.notify_all()
        for t in self._threads:
            t.join()
        self._copies = []

    def __enter__(self) -> ThreadExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- workers ------------------------------------------------------------------------------
    def _take(self) -> int | None:
        with self._cond:
            q = self._queue
            if q >= len(self._work.jobs[0]) or self._errors:
                return None
            self._queue = q + 1
            return q

    def _worker(self, w: int) -> None:
        seen = 0
        while True:
            with self._cond:
                while self._generation == seen:
                    self._cond.wait()
                seen = self._generation
                if self._closing:
                    return
                work, stats = self._work, self._stats
            try:
                if work.shared:
                    while (q := self._take()) is not None:
                        job = work.jobs[0][q]
                        self.train_job(job, self.weights, self._no_touch, stats[job.index])
                else:
                    self._train_replica(w, work, stats)
            except threading.BrokenBarrierError:
                pass  # another worker failed; its error is reported
            except BaseException as e:  # surfaced in the main thread
                self._errors.append(e)
                self._trained.abort()
            with self._cond:
                self._finished += 1
                self._cond.notify_all()

    def _train_replica(self, w: int, work: Round, stats: np.ndarray) -> None:
        mine = tuple(c[w] for c in self._copies)
        steps = work.steps(self._every)
        for i, step in enumerate(steps):
            for job in step[w]:
                self.train_job(job, mine, self._touched[w], stats[job.index])
            if self._hot is not None and i < len(steps) - 1:  # the frequent rows, every step
                self._trained.wait()
                self._merge(w, self._hot)
                self._trained.wait()  # every frequent row merged before any replica goes on
        self._trained.wait()
        self._merge(w, self._all)

    def _merge(self, w: int, ranges: list[tuple[int, int]]) -> None:
        """Worker ``w``'s share of rows ``ranges[m]`` (lo, hi) of each matrix ``m``."""
        for m, (shared, c) in enumerate(zip(self.weights, self._copies, strict=True)):
            a, b = ranges[m]
            lo, hi = a + (b - a) * w // self.replicas, a + (b - a) * (w + 1) // self.replicas
            if hi > lo:
                self._merge_touched(
                    shared[lo:hi], c[:, lo:hi], self._touched[:, m, lo:hi], self._modes[m]
                )
