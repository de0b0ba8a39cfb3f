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
    at the end of the round; instead of (lo, hi), a matrix's hot rows may be listed (sorted
    int64 rows)."""

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        train_job: TrainJob,
        workers: int,
        replicas: int = 1,
        merge: str = MERGE,
        hot: Sequence[tuple[int, int]] | None = None,
        hot_every: int = 1,
        sparse: Sequence[bool] = (),
    ):
        from wordvec.kernels import merge as kernels  # Numba: once training starts

        if replicas not in (1, workers):
            raise ValueError(f"replicas must be 1 or workers ({workers}), got {replicas}")
        self.weights = tuple(weights)
        self.train_job = train_job
        self.workers = workers
        self.replicas = replicas
        self.merge = merge
        self._sparse = [bool(x) for x in sparse] + [False] * (len(self.weights) - len(sparse))
        self._modes = kernels.parse_modes(merge, len(self.weights))
        self._kernels = kernels
        self._all = [(0, w.shape[0]) for w in self.weights]
        self._hot = None if hot is None else list(hot)
        self._every = max(1, int(hot_every)) if hot is not None else None
        self._copies: list[np.ndarray | None] = []  # None: a sparse matrix (_sparse_replicas)
        rows = max(w.shape[0] for w in self.weights)
        if replicas > 1:  # float32[replicas, rows, d] each; uint8[replica, matrix, row]
            self._copies = [
                None if sparse else np.repeat(w[None], replicas, axis=0)
                for w, sparse in zip(self.weights, self._sparse, strict=True)
            ]
            self._touched = np.zeros((replicas, len(self.weights), rows), np.uint8)
            self._slots = self._sparse_replicas() if any(self._sparse) else None
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

    def _sparse_replicas(self):
        """A sparse matrix's replicas (``kernels.bundles.SubwordWeights``): slots (int32[N,
        rows], -1: the shared row) and their bits, the array the shared rows start and each
        replica's copies follow (float32[(1 + N) rows, d], ``room_after``: only the pages of
        the rows a round moves are ever touched), those copies as float32[N, rows, d], owners
        and (slots in use, the row of slot 0) per replica."""
        (m,) = [i for i, s in enumerate(self._sparse) if s]  # one sparse matrix: syn0
        n, (rows, d) = self.replicas, self.weights[m].shape
        whole = room_after(self.weights[m], n)
        if whole is None:
            raise ValueError("sparse replicas need room after the shared rows (room_after)")
        used = np.zeros((n, 2), np.int64)
        used[:, 1] = rows * (1 + np.arange(n))
        return (
            np.full((n, rows), -1, np.int32),
            np.zeros((n, (rows + 63) // 64), np.uint64),
            whole,
            whole[rows:].reshape(n, rows, d),
            np.empty((n, rows), np.int32),
            used,
        )

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
        mine = tuple(
            s if c is None else c[w] for s, c in zip(self.weights, self._copies, strict=True)
        )
        if self._slots is not None:  # the last round merged every row: read the shared ones
            slot, has, whole, _, owner, used = self._slots
            self._kernels.release_slots(slot[w], has[w], owner[w], used[w])
            mine = (whole, *mine[1:], slot[w], has[w], owner[w], used[w])
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

    def _merge(self, w: int, ranges: list) -> None:
        """Worker ``w``'s share of rows ``ranges[m]`` of each matrix ``m``: (lo, hi), or the
        sorted rows themselves (int64[k])."""
        for m, (shared, c) in enumerate(zip(self.weights, self._copies, strict=True)):
            if isinstance(ranges[m], np.ndarray):
                rows, n = ranges[m], len(ranges[m])
                lo = hi = 0
                part = rows[n * w // self.replicas : n * (w + 1) // self.replicas]
            else:
                a, b = ranges[m]
                lo, hi = a + (b - a) * w // self.replicas, a + (b - a) * (w + 1) // self.replicas
                part = np.zeros(0, np.int64)
            if c is None:  # a sparse matrix: each replica holds copies of the rows it moved
                slots, stores = self._slots[0], self._slots[3]
                touched = self._touched[:, m]
                last = ranges is self._all  # the round's merge: the marks are cleared
                self._kernels.merge_slots(
                    shared, slots, stores, touched, lo, hi, part, self._modes[m], last
                )
            elif part.size:
                self._kernels.merge_listed(shared, c, self._touched[:, m], part, self._modes[m])
            elif hi > lo:
                self._kernels.merge_touched(
                    shared[lo:hi], c[:, lo:hi], self._touched[:, m, lo:hi], self._modes[m]
                )


def room_after(a: np.ndarray, n: int) -> np.ndarray | None:
    """float32[(1 + n) rows, d]: ``a`` (float32[rows, d]) and ``n`` times as many rows after it
    in the buffer it is the start of (``a.base``), where replicas keep their copies of its rows;
    None when it has no such room."""
    base = a.base
    if not (
        isinstance(base, np.ndarray)
        and base.dtype == a.dtype
        and base.flags.c_contiguous
        and a.flags.c_contiguous
        and base.__array_interface__["data"][0] == a.__array_interface__["data"][0]
        and base.size >= (1 + n) * a.size
    ):
        return None
    return base.reshape(-1)[: (1 + n) * a.size].reshape((1 + n) * a.shape[0], a.shape[1])
