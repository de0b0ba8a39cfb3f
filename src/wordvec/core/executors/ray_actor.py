"""One actor of the cluster executor (``executors/ray.py``): a replica of the weights, the
sentences of its span of the corpus, the objective's tables, and what it does in a round:
apply the last merged rows, train its jobs, exchange the frequent rows with the other actors
between steps (over the node's board, ``board.py``, or through Ray's object store) and send
back the rows it touched.

A plain class, which ``RayExecutor`` runs as a Ray actor (``ray.remote(Replica)``); it imports
Ray only where it calls it, so it can be read and tested without.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from wordvec.core.schedule import Job


class Replica:
    """One actor: a replica of the weights, its span of the corpus, the objective's tables.

    Run as a Ray actor (``ray.remote(Replica)``); plain methods, so it can be tested in-process.
    """

    def __init__(self, rank: int):
        os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one thread per actor
        self.rank = rank
        self.shard = None  # wordvec.core.executors.shards.Shard when the corpus was read here
        self.objective = None
        self.weights: list[np.ndarray] = []
        self.offset = 0  # global index of this replica's first sentence
        self.sent: list[tuple] = []  # per matrix (ids, rows): where a round's touched rows go
        self.board = None  # board.Board: the frequent rows of this node's actors
        self.exchanges = 0  # exchanges over the board so far (every actor counts the same)

    def reset(self, rank: int) -> None:
        """Forget everything: an idle actor taken for another run."""
        if self.board is not None:
            self.board.close()
        self.__init__(rank)

    # input (cluster_input.py): read and count this actor's pieces, then encode them
    def scan(self, pieces: list, block_bytes: int, memory=(None, None)) -> dict[str, Any]:
        from wordvec.core.executors.shards import Shard

        self.shard = Shard.scan(pieces, block_bytes, memory)
        return self.shard.summary()

    def encode(self, words: list[str], unicode_errors: str, max_sentence_length: int):
        return self.shard.encode(words, unicode_errors, max_sentence_length)

    # training
    def load(
        self, weights: Sequence[np.ndarray], objective, span: Sequence[int], replicas: int = 1
    ) -> float:
        """Take a copy of ``weights`` and the ``objective``; this replica trains sentences
        ``span[0] .. span[1] - 1`` of the whole corpus: those of ``objective.corpus``, or of the
        shard read here (then ``span`` must be the shard's place). Compiles the kernels (the
        merge's for ``replicas`` replicas too)."""
        from wordvec.core.objective import Objective

        t0 = time.perf_counter()
        self.weights = [np.array(w, copy=True) for w in weights]  # Ray's arrays are read-only
        a, b = int(span[0]), int(span[1])
        if self.shard is not None:
            corpus = self.shard.bundle()
            if corpus.bounds.shape[0] - 1 != b - a:
                raise ValueError(
                    f"actor {self.rank}: the span has {b - a} sentences, "
                    f"the shard {corpus.bounds.shape[0] - 1}"
                )
        else:
            corpus = _slice(objective.corpus, a, b)
        # writable copies: arrays from Ray's object store are read-only, which Numba types
        # (and caches) apart from the arrays of local training
        self.objective = Objective(
            objective.kind, _writable(corpus), _writable(objective.tables), objective.opts
        )
        self.offset = a
        rows = max(w.shape[0] for w in self.weights)
        self.touched = np.zeros((len(self.weights), rows), np.uint8)
        # compile (or load from Numba's cache) now, not in the first round: an empty job
        self.objective(
            Job(0, 0, 0, 0.0, 0.0, 1), tuple(self.weights), self.touched, np.zeros(3, np.float64)
        )
        if replicas > 1:
            _warm_merge(replicas, self.weights[0].shape[1])
        # where a round's touched rows are gathered, its pages touched now (np.full writes
        # them), not in the first round
        self.sent = [(np.full(w.shape[0], 0, np.int32), np.full_like(w, 0.0)) for w in self.weights]
        return time.perf_counter() - t0

    def train(
        self, merged, jobs: Sequence[Job], fault_after: int = -1, step: HotStep | None = None
    ):
        """Apply the last round's ``merged`` rows (None, or per matrix (ids, rows)), then in a
        round cut into steps (``step``) merge the frequent rows of the step before; train
        ``jobs`` in order, and return (stats float64[len(jobs), 3], per matrix (ids int32[k],
        rows float32[k, d]) of every row touched, seconds spent training, and with
        ``step.report`` per matrix (ids, rows) of the frequent rows merged in this round as
        this step began, else None).
        ``fault_after`` >= 0 kills this process after that many jobs (tests: a real death)."""
        stats, seconds = self._run(merged, jobs, fault_after, step)
        report = self._report(step) if step is not None and step.report else None
        return stats, self._touched_rows(None), seconds, report

    def train_round(
        self,
        merged,
        steps: Sequence[Sequence[Job]],
        fault_after: int,
        step: HotStep,
        pids: Sequence[int],
    ):
        """A whole round cut into ``steps`` (each a sequence of jobs), the frequent rows
        exchanged between them over the board (``attach``) instead of by one call a step;
        ``pids``: every actor's process, by rank. Returns what ``train`` returns for the
        round's jobs, and (rows, bytes) this actor wrote to the board."""
        self._apply(merged)
        self._snapshot(step.rows)
        stats, seconds, done, rows, size = [], 0.0, 0, 0, 0
        for k, jobs in enumerate(steps):
            if k > 0:  # the frequent rows of step k - 1, everyone's
                x = self.exchanges
                n, b = self._post(x, step.rows)
                rows, size = rows + n, size + b
                self.board.wait(x, pids)
                parts = [self._slot(r, x, len(step.rows)) for r in range(len(pids))]
                self._merge_parts(parts, step)
                self.exchanges += 1
            st, sec = self._train(jobs, fault_after - done if fault_after >= 0 else -1)
            stats.append(st)
            seconds += sec
            done += len(jobs)
        report = self._report(step) if step.report else None
        return (np.concatenate(stats), self._touched_rows(None), seconds, report), (rows, size)

    def node(self) -> str:
        """The Ray node this actor runs on."""
        import ray

        return ray.get_runtime_context().get_node_id()

    def attach(self, spec) -> int:
        """Join the board ``spec`` (``board.Spec``) of this node's actors; returns this
        process's id, which the others watch."""
        from wordvec.core.executors.board import Board

        if self.board is not None:
            self.board.close()
        self.board = Board.attach(spec, self.rank)
        self.exchanges = 0
        return os.getpid()

    def restore(self, weights: Sequence[np.ndarray]) -> None:
        """Back to ``weights`` (a round is redone after a fault): every row, no marks, no
        signals pending."""
        for w, src in zip(self.weights, weights, strict=True):
            w[:] = src
        self.touched[:] = 0
        if self.board is not None:
            self.board.drain()
            self.exchanges = 0

    def train_step(self, merged, jobs: Sequence[Job], fault_after: int, step: HotStep):
        """``train`` for a step before a round's last: returns (stats, seconds, rows, bytes),
        and apart (a second object, which the other actors read) per matrix the ids and
        values of the frequent rows it touched."""
        stats, seconds = self._run(merged, jobs, fault_after, step)
        out = self._touched_rows(step.rows)
        size = sum(ids.nbytes + rows.nbytes for ids, rows in out)
        return (stats, seconds, sum(ids.shape[0] for ids, _ in out), size), out

    def _run(self, merged, jobs, fault_after, step):
        self._apply(merged)
        if step is not None and step.parts is None:  # a stepped round starts: the base rows
            self._snapshot(step.rows)
        elif step is not None:
            import ray

            self._merge_parts(ray.get(list(step.parts)), step)
        return self._train(jobs, fault_after)

    def _apply(self, merged) -> None:
        if merged is not None:
            for w, (ids, rows) in zip(self.weights, merged, strict=True):
                w[ids] = rows

    def _snapshot(self, hot) -> None:
        """The frequent rows (``hot``: per matrix, sorted int64 rows) as a stepped round
        starts: every merge's base (indexed by position in ``hot``, as the exchanges are)."""
        self.snap = [w[rows] for w, rows in zip(self.weights, hot, strict=True)]
        self.moved = [np.zeros(rows.shape[0], np.bool_) for rows in hot]

    def _report(self, step: HotStep) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per matrix (ids, rows) of the frequent rows merged in this round, as they are."""
        report = []
        for rows, snap, moved in zip(step.rows, self.snap, self.moved, strict=True):
            at = np.flatnonzero(moved)
            report.append((rows[at].astype(np.int32), snap[at]))
        return report

    def _train(self, jobs, fault_after):
        t0 = time.perf_counter()
        stats = np.zeros((len(jobs), 3), np.float64)
        weights = tuple(self.weights)
        for i, job in enumerate(jobs):
            if i == fault_after:
                os._exit(1)
            local = job._replace(s0=job.s0 - self.offset, s1=job.s1 - self.offset)
            self.objective(local, weights, self.touched, stats[i])
            if self.shard is not None:  # a shard on disk: the job's pages go back to the OS
                self.shard.release(local.s0, local.s1)
        return stats, time.perf_counter() - t0

    def _touched_rows(self, hot):
        """Per matrix (ids, rows) of the rows touched, unmarked: of all rows, ids being rows
        (``hot`` None), gathered into ``self.sent``, valid until the next call (Ray copies them
        as the call returns: a round's rows are most of the weights, and fresh memory that size
        a round costs more than the copy); or of a step's frequent rows, ids being positions in
        ``hot[m]``, into fresh arrays, which Ray keeps as they are."""
        from wordvec.kernels.merge import gather_touched

        out = []
        for m, w in enumerate(self.weights):
            if hot is None:
                ids, rows = self.sent[m]
                n = gather_touched(w, self.touched[m], 0, w.shape[0], ids, rows)
            else:
                h = hot[m].shape[0]
                ids, rows = np.empty(h, np.int32), np.empty((h, w.shape[1]), w.dtype)
                n = self._gather_hot(m, hot[m], ids, rows)
            out.append((ids[:n], rows[:n]))
        return out

    def _gather_hot(self, m: int, hot: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> int:
        """The rows of ``hot`` (sorted int64) of matrix ``m`` touched since the last exchange,
        unmarked: their positions in ``hot`` into ``ids``, the rows into ``rows``; returns how
        many."""
        flags = self.touched[m]
        at = np.flatnonzero(flags[hot])
        n = at.shape[0]
        ids[:n] = at
        np.take(self.weights[m], hot[at], axis=0, out=rows[:n])
        flags[hot[at]] = 0
        return n

    def _post(self, k: int, hot) -> tuple[int, int]:
        """Write the frequent rows touched since the last exchange to this actor's slot of
        exchange ``k`` (unmarking them) and signal the others; returns (rows, bytes)."""
        rows = size = 0
        for m, h in enumerate(hot):
            count, ids, vals = self.board.rows(self.rank, k, m)
            n = self._gather_hot(m, h, ids, vals)
            count[0] = n
            rows, size = rows + n, size + n * (4 + vals.strides[0])
        self.board.signal()
        return rows, size

    def _slot(self, rank: int, k: int, matrices: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per matrix (ids, rows) that actor ``rank`` wrote for exchange ``k``, in place."""
        out = []
        for m in range(matrices):
            count, ids, vals = self.board.rows(rank, k, m)
            n = int(count[0])
            out.append((ids[:n], vals[:n]))
        return out

    def _merge_parts(self, parts, step: HotStep) -> None:
        """Every replica's frequent rows of the step before (``parts``, replica order; per
        matrix (ids, rows)) into this replica, as every merge combines rows
        (``kernels.merge.combine``), from the rows as they were at the last merge
        (``self.snap``), which then become the merged rows."""
        from wordvec.kernels.merge import merge_sparse

        for m, (w, hot, snap) in enumerate(zip(self.weights, step.rows, self.snap, strict=True)):
            if hot.shape[0] == 0:
                continue
            lo, hi = int(hot[0]), int(hot[-1]) + 1
            span = hi - lo == hot.shape[0]  # a range of rows: merged in place
            mine = w[lo:hi] if span else w[hot]
            merge_sparse(mine, snap, 0, *_sent([p[m] for p in parts]), step.modes[m], self.moved[m])
            if not span:
                w[hot] = mine


def _warm_merge(replicas: int, d: int) -> None:
    """Compile ``merge_sparse`` (or load it from Numba's cache) for ``replicas`` replicas'
    rows, as the merges call it, on empty arrays: before the first round, not in it."""
    from wordvec.kernels.merge import SUM, merge_sparse

    w = np.zeros((0, d), np.float32)
    ids = np.zeros(0, np.int32)
    merge_sparse(w, w, 0, *_sent([(ids, w)] * replicas), SUM, np.zeros(0, np.bool_))


def _sent(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[tuple, tuple]:
    """The replicas' (ids, rows) as ``merge_sparse`` takes them: a tuple of ids and one of
    rows, each array a read-only view (the object store's arrays are, a replica's own may not
    be: one Numba type for all)."""

    def read_only(a: np.ndarray) -> np.ndarray:
        v = a.view()
        v.flags.writeable = False
        return v

    return tuple(read_only(p[0]) for p in parts), tuple(read_only(p[1]) for p in parts)


class HotStep(NamedTuple):
    """What an actor needs in a round cut into steps: per matrix the frequent rows (sorted
    int64: a range, or a subword model's listed n-gram rows too) and the merge mode; the
    references of every replica's frequent rows at the end of the step before (None in the
    first step); whether to send back the frequent rows merged in the round as they were when
    this step began (actor 0, the round's last step)."""

    rows: list[np.ndarray]
    modes: list[int]
    parts: list | None = None
    report: bool = False


def _writable(bundle):
    """The bundle with a writable copy of each read-only array in it."""
    return type(bundle)(
        *(np.array(x) if isinstance(x, np.ndarray) and not x.flags.writeable else x for x in bundle)
    )


def _slice(corpus, a: int, b: int):
    """The kernels' ``Corpus`` bundle of sentences ``a .. b - 1`` only, its sentence indices
    starting at 0 (the kernels only use token offsets relative to a job's first sentence)."""
    from wordvec.kernels.bundles import Corpus

    t0, t1 = int(corpus.bounds[a]), int(corpus.bounds[b])
    r0, r1 = int(corpus.rare_starts[a]), int(corpus.rare_starts[b])
    return Corpus(
        np.ascontiguousarray(corpus.ids[t0:t1]),
        np.ascontiguousarray(corpus.rare[r0:r1]),
        corpus.rare_starts[a : b + 1] - r0,
        corpus.bounds[a : b + 1] - t0,
    )
