"""Rounds on Ray actors: data-parallel training on a cluster (``Word2Vec(cluster="ray")``).

Each actor is a long-lived process (one Numba thread, kernels compiled once: ``ray_actor.py``)
holding a full replica of the weights and the sentences of its own span of the corpus. This
module is the driver's side. A round is one call per
actor: it trains its jobs on its replica and sends back only the rows it touched (ids + rows,
per matrix). The driver merges them exactly as ``threads.ThreadExecutor`` does, each row as
``kernels.merge.merge_touched`` combines it, but walking the touched rows only
(``merge_sparse``), in replica order; it applies the result to the host weights and sends the
merged rows to every actor with its next round. So the host weights are always the last merged
state (``sync`` has nothing to do), every replica starts a round equal to them, and:

- with one actor, training is the serial run of ``ThreadExecutor(workers=1)``, bit for bit;
- with ``N`` actors, it is the deterministic run of ``N`` local workers, bit for bit (same
  spans, same jobs, same merge), given the same plan (the estimator gives 2 actors fewer
  merges of the frequent rows than 2 local workers: ``replicas.CLUSTER_PAIR_ROUND_WORDS``);
- an actor that dies mid-round is replaced by a fresh one loaded with the host weights (its
  shard re-read when the corpus is sharded) and its jobs are redone (over a board, every
  actor goes back to the host weights and the round is redone): the same vectors follow.

With frequent rows (``hot``), a round is cut into steps; between two steps the actors merge the
frequent rows among themselves, all the same way, in replica order, from the same rows as they
were at the last merge. When every actor shares the driver's node (``exchange="auto"``) a round
is one call per actor and the rows travel over a board in shared memory (``board.py``);
otherwise (``exchange="store"``) a step is one call per actor: each puts the rows it changed in
the object store and reads every other actor's (zero-copy on one node), the driver passing the
references. The driver merges once a round, after actor 0 has sent it the frequent rows merged
during the round.

What crosses the network per round: up, for each actor, ``rows touched x (4 + 4 d)`` bytes per
matrix; down, the merged rows (union of the touched rows, same size a row), once per actor.
Nothing is proportional to the vocabulary except the first load of the weights.

Importing this module imports Ray (``import wordvec`` does not; Numba comes with the first
merge or actor); without Ray it raises one ImportError line.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wordvec.core.executors.board import Board, PeerLost
from wordvec.core.executors.ray_actor import HotStep, _sent, _warm_merge
from wordvec.core.executors.ray_cluster import MISSING, connect, retire, spawn
from wordvec.core.replicas import MERGE
from wordvec.core.schedule import Round, equal_spans

try:
    import ray
except ImportError:  # one clear line, not a traceback into Ray's absence
    raise ImportError(MISSING) from None

MAX_RETRIES = 3  # restarts of one actor within one round before the run fails
EXCHANGES = ("auto", "store")  # how actors exchange the frequent rows (RayExecutor)
EXCHANGE = "auto"  # the default (tests and benchmarks set "store" to time the object store)


# -- the driver --------------------------------------------------------------------------------
@dataclass
class Traffic:
    """Bytes and seconds of the rounds run so far (``RayExecutor.traffic``)."""

    rounds: int = 0
    steps: int = 0  # calls per actor: one a round, or one a step with frequent-row merges
    bytes_up: int = 0  # rows an actor sends (ids + rows): to the driver, or to the others
    bytes_down: int = 0  # rows an actor receives: merged ones, or the others' frequent rows
    rows_up: int = 0
    seconds: float = 0.0  # wall time of the rounds
    seconds_train: float = 0.0  # the slowest actor's training time, summed over rounds
    seconds_merge: float = 0.0
    restarts: int = 0
    per_round: list[tuple[int, int, float, float, float]] = field(default_factory=list)
    # (bytes up, bytes down, wall seconds, slowest actor's seconds, merge seconds) of each round


class RayExecutor:
    """``wordvec.core.schedule.Executor`` on ``actors`` Ray actors.

    ``weights``: the host arrays (float32[rows, d] each), updated in place after every round;
    ``objective``: a ``wordvec.core.objective.Objective`` (picklable); ``address``: see ``connect``;
    ``merge``: a mode of ``kernels.merge.MODES``, or one per matrix comma-separated (as
    ``ThreadExecutor``); ``spans``: int64[actors + 1] sentence indices, actor ``r`` training
    span ``r`` (default ``equal_spans`` of the corpus, as the estimator's schedule cuts it);
    ``shards``: a ``wordvec.core.executors.cluster_input.ShardedCorpus`` whose actors
    already hold the encoded corpus (then its actors and spans are used); ``num_cpus``: the
    CPUs Ray reserves for each actor; ``round_words``: tokens an actor trains a round, which
    the estimator's schedule then uses (None: the estimator's own rule, the same rounds as
    local training). On a network, rounds of ~500,000 tokens an actor keep the per-round
    costs small beside the training (docs/cluster.md). ``hot``: per matrix, the rows (lo, hi)
    (within its rows), or listed (sorted int64: a subword model's frequent n-gram rows among
    its buckets), merged after every ``hot_every`` jobs of a round, as ``ThreadExecutor`` does:
    a round is then one call per step of ``hot_every`` jobs and actor, the calls before the last
    sending back only those rows; ``exchange``: how the actors pass those rows
    (``EXCHANGES``; None: ``EXCHANGE``): "auto" over a shared-memory board when every actor
    runs on the driver's node, one call per actor a round, else as "store" does, through the
    object store, one call per actor a step.
    """

    inject_fault: tuple[int, int, int] | None = None  # tests: (round, actor, after jobs)

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        objective,
        actors: int = 2,
        address: str | None = "ray",
        merge: str = MERGE,
        spans: np.ndarray | None = None,
        shards=None,
        num_cpus: float = 1.0,
        round_words: int | None = None,
        hot: Sequence | None = None,
        hot_every: int = 1,
        exchange: str | None = None,
    ):
        from wordvec.kernels.merge import parse_modes

        exchange = EXCHANGE if exchange is None else exchange
        if exchange not in EXCHANGES:
            raise ValueError(f"exchange must be one of {EXCHANGES}, got {exchange!r}")
        self._modes = parse_modes(merge, len(weights))
        self.weights = tuple(weights)
        self.merge = merge
        self.hot = None if hot is None else [_hot_rows(h) for h in hot]
        self.hot_every = max(1, int(hot_every))
        self.round_words = round_words  # read by Word2Vec._schedule
        self.num_cpus = num_cpus
        self.shards = shards
        self.traffic = Traffic()
        self._rounds = 0
        self._pending = None  # object ref of the merged rows the actors have not applied yet
        self._board = None  # board.Board when every actor shares this node (exchange="auto")
        self._pids: list[int] = []
        self._pool: ThreadPoolExecutor | None = None
        connect(address)
        if shards is not None:
            self.replicas = len(shards.actors)
            self.spans = np.asarray(shards.spans, np.int64)
            self._actors = list(shards.ensure())
            self._own = False
        else:
            if actors < 1:
                raise ValueError(f"actors must be >= 1, got {actors}")
            self.replicas = actors
            bounds = objective.corpus.bounds
            self.spans = np.asarray(
                equal_spans(bounds, actors) if spans is None else spans, np.int64
            )
            if self.spans.shape != (actors + 1,):
                raise ValueError(f"spans must be int64[{actors + 1}], got {self.spans.shape}")
            have = ray.cluster_resources().get("CPU", 0.0)
            if actors * num_cpus > have:
                raise ValueError(
                    f"{actors} actors x {num_cpus} CPU need {actors * num_cpus:g} "
                    f"CPUs; the Ray cluster has {have:g}"
                )
            self._actors = [spawn(r, num_cpus) for r in range(actors)]
            self._own = True
        # what a fresh actor needs: the objective without its corpus when the actors read it
        if shards is not None:
            objective = type(objective)(objective.kind, None, objective.tables, objective.opts)
        self._objective_ref = ray.put(objective)
        weights_ref = ray.put(self.weights)
        self._merged = [np.full_like(w, 0.0) for w in self.weights]  # as Replica.sent
        loads = [
            a.load.remote(weights_ref, self._objective_ref, self._span(r), self.replicas)
            for r, a in enumerate(self._actors)
        ]
        if self.replicas > 1:
            _warm_merge(self.replicas, self.weights[0].shape[1])
        ray.get(loads)
        if exchange == "auto" and self.hot is not None and self.replicas > 1:
            self._open_board()

    def _open_board(self) -> None:
        """The board, if every actor runs on this node; if it cannot be made (no room in
        ``/dev/shm``, no named pipes), a warning, and the object store instead."""
        here = ray.get_runtime_context().get_node_id()
        if any(n != here for n in ray.get([a.node.remote() for a in self._actors])):
            return
        try:
            sizes = [rows.shape[0] for rows in self.hot]
            self._board = Board.create(self.replicas, sizes, self.weights[0].shape[1])
            self._pids = ray.get([a.attach.remote(self._board.spec) for a in self._actors])
        except (OSError, ray.exceptions.RayTaskError) as e:
            if self._board is not None:
                self._board.close()
            self._board = None
            warnings.warn(
                f"the actors' shared-memory board failed ({str(e).splitlines()[0]}): "
                "they exchange rows through Ray's object store",
                RuntimeWarning,
                stacklevel=3,
            )

    def _span(self, r: int) -> tuple[int, int]:
        return int(self.spans[r]), int(self.spans[r + 1])

    # -- the protocol ---------------------------------------------------------------------------
    def run_round(self, work: Round, stats: np.ndarray) -> None:
        if len(work.jobs) != self.replicas or work.shared != (self.replicas == 1):
            raise ValueError("the round does not match this executor's replicas")
        for r, jobs in enumerate(work.jobs):
            a, b = self._span(r)
            if any(j.s0 < a or j.s1 > b for j in jobs):
                raise ValueError(f"a job of replica {r} is outside its span {a}..{b}")
        t0 = time.perf_counter()
        steps = work.steps(self.hot_every if self.hot is not None and self.replicas > 1 else None)
        if self._board is not None and len(steps) > 1:
            results, interrupted, tally = self._on_board(steps, stats)
        else:
            results, interrupted, tally = self._by_steps(steps, stats)
        up, down, rows_up, train_s = tally
        if len(steps) > 1:  # the frequent rows as the actors merged them before the last step
            for w, (ids, rows) in zip(self.weights, results[0][3], strict=True):
                w[ids] = rows
            up += sum(ids.nbytes + rows.nbytes for ids, rows in results[0][3])
            rows_up += sum(ids.shape[0] for ids, _ in results[0][3])
        t1 = time.perf_counter()
        merged, sent = self._merge([res[1] for res in results])
        merge_s = time.perf_counter() - t1
        self._pending = ray.put(merged) if merged is not None else None
        up += sum(ids.nbytes + v.nbytes for res in results for ids, v in res[1])
        rows_up += sum(ids.shape[0] for res in results for ids, _ in res[1])
        down += sent
        self._rounds += 1
        t = self.traffic
        t.rounds += 1
        t.steps += len(steps)
        t.bytes_up += up
        t.bytes_down += down
        t.rows_up += rows_up
        wall = time.perf_counter() - t0
        t.seconds += wall
        t.seconds_train += train_s
        t.seconds_merge += merge_s
        t.per_round.append((up, down, wall, train_s, merge_s))
        if interrupted:
            raise KeyboardInterrupt

    def _by_steps(self, steps, stats: np.ndarray):
        """The round as one call per step and actor, the frequent rows exchanged through the
        object store; returns the last step's results, whether the user interrupted, and
        (bytes up, bytes down, rows up, training seconds) of the steps before it."""
        last = len(steps) - 1
        # every step's calls go out now: an actor's next step waits in its queue (no round
        # trip to the driver between steps), reading the step before's rows by reference
        log: list = [None] * last  # per step before the last, every actor's frequent rows
        calls = self._submit(steps, log, 0, fault=True)
        interrupted = False
        up = down = rows_up = 0
        train_s = 0.0
        for i in range(len(steps)):
            results: list[Any] = [None] * self.replicas
            for r in range(self.replicas):
                tries = 0
                while results[r] is None:
                    try:
                        results[r] = ray.get(calls[i][r][0] if i < last else calls[i][r])
                    except KeyboardInterrupt:  # finish the round, then raise
                        interrupted = True
                    except ray.exceptions.RayActorError:
                        tries += 1
                        if tries > MAX_RETRIES:
                            raise
                        calls[i][r] = self._redo(r, steps, i, log)
                        # the later steps read rows that never came: they fail (changing
                        # nothing) and go out again
                        calls[i + 1 :] = self._submit(steps, log, i + 1)
            for jobs, res in zip(steps[i], results, strict=True):
                for job, row in zip(jobs, res[0], strict=True):
                    stats[job.index] += row
            if i < last:  # the actors merged these among themselves: each read the others'
                train_s += max(res[1] for res in results)
                rows_up += sum(res[2] for res in results)
                up += sum(res[3] for res in results)
                down += sum(res[3] for res in results) * (self.replicas - 1)
            else:
                train_s += max(res[2] for res in results)
        return results, interrupted, (up, down, rows_up, train_s)

    def _on_board(self, steps, stats: np.ndarray):
        """The round as one call per actor, the frequent rows exchanged over the board
        (``board.py``). If an actor dies, the others are stopped, it is replaced, and every
        actor goes back to the host weights (where the round started) and trains the round
        again: the same inputs, the same vectors. Returns as ``_by_steps`` does."""
        interrupted = False
        merged = self._pending
        for attempt in range(MAX_RETRIES + 1):
            calls = []
            for r, actor in enumerate(self._actors):
                count = sum(len(s[r]) for s in steps)
                after = self._fault(r, 0, count) if attempt == 0 else -1
                step = HotStep(self.hot, self._modes, None, report=r == 0)
                calls.append(
                    actor.train_round.remote(merged, [s[r] for s in steps], after, step, self._pids)
                )
            outcomes, stopped = self._wait(calls)
            interrupted = interrupted or stopped
            dead = [
                r for r, o in enumerate(outcomes) if isinstance(o, ray.exceptions.RayActorError)
            ]
            failed = [o for o in outcomes if isinstance(o, Exception)]
            if not failed:
                break
            if not dead:  # an error of its own, not a fault: the others were stopped for it
                raise next((o for o in failed if not isinstance(o, PeerLost)), failed[0])
            if attempt == MAX_RETRIES:
                raise outcomes[dead[0]]
            weights = ray.put(self.weights)
            for r in dead:
                self._restart(r, weights)
            ray.get(
                [a.restore.remote(weights) for r, a in enumerate(self._actors) if r not in dead]
            )
            merged = None  # the host weights hold them
        results = [o[0] for o in outcomes]
        for r, res in enumerate(results):
            jobs = [job for s in steps for job in s[r]]
            for job, row in zip(jobs, res[0], strict=True):
                stats[job.index] += row
        rows_up = sum(o[1][0] for o in outcomes)
        up = sum(o[1][1] for o in outcomes)
        return (
            results,
            interrupted,
            (up, up * (self.replicas - 1), rows_up, max(res[2] for res in results)),
        )

    def _wait(self, calls) -> tuple[list, bool]:
        """Each call's result, or the error it ended with (when one fails, the board stops
        the others); and whether the user interrupted."""
        outcomes: list[Any] = [None] * len(calls)
        index = {ref: r for r, ref in enumerate(calls)}
        waiting, interrupted = list(calls), False
        while waiting:
            try:
                (ref,), waiting = ray.wait(waiting, num_returns=1)
            except KeyboardInterrupt:  # finish the round, then raise
                interrupted = True
                continue
            r = index[ref]
            try:
                outcomes[r] = ray.get(ref)
            except ray.exceptions.RayActorError as e:
                outcomes[r] = e
            except ray.exceptions.RayTaskError as e:
                cause = getattr(e, "cause", None)
                outcomes[r] = cause if isinstance(cause, PeerLost) else e
            if isinstance(outcomes[r], Exception):
                self._board.stop(True)
        self._board.stop(False)
        return outcomes, interrupted

    def _fault(self, r: int, before: int, jobs: int) -> int:
        """Tests: the ``fault_after`` (``inject_fault``) of actor ``r``'s call that trains
        ``jobs`` jobs of the round after its first ``before``, counted in that call's jobs."""
        f = self.inject_fault
        if not f or f[:2] != (self._rounds, r):
            return -1
        after = f[2] - before
        return after if 0 <= after < jobs else -1

    def _submit(self, steps, log, first: int, fault: bool = False) -> list:
        """Every actor's calls for steps ``first`` onwards, in order; each step's references
        of the actors' frequent rows go into ``log[step]`` for the next step to read."""
        calls = []
        for i in range(first, len(steps)):
            calls.append(
                [self._call(a, r, steps, i, log, fault) for r, a in enumerate(self._actors)]
            )
            if i < len(log):
                log[i] = [ref[1] for ref in calls[-1]]
        return calls

    def _call(self, actor, r: int, steps, i: int, log, fault: bool = True):
        """Actor ``r``'s call for step ``i`` of ``steps`` (``Round.steps``): before the last,
        ``train_step`` (references: its stats, its frequent rows); the last (or only) one,
        ``train``."""
        merged = self._pending if i == 0 else None
        before = sum(len(step[r]) for step in steps[:i])
        after = self._fault(r, before, len(steps[i][r])) if fault else -1
        last = len(steps) - 1
        step = None
        if last > 0:
            step = HotStep(
                self.hot, self._modes, log[i - 1] if i else None, report=i == last and r == 0
            )
        if i < last:
            return actor.train_step.options(num_returns=2).remote(merged, steps[i][r], after, step)
        return actor.train.remote(merged, steps[i][r], after, step)

    def _redo(self, r: int, steps, i: int, log):
        """Replace dead actor ``r`` and bring it to where it died: the round's start (the host
        weights: the driver merges only at the end of a round), the earlier steps trained again
        with the merges that ended them; returns the references of step ``i`` redone, its
        frequent rows (before the last step) logged in place of the dead actor's."""
        actor = self._restart(r, self.weights)  # (the last round's merged rows: already there)
        for s in range(i):  # the same inputs give the same outputs
            stats_ref, log[s][r] = self._call(actor, r, steps, s, log, False)
            ray.get(stats_ref)
        refs = self._call(actor, r, steps, i, log, False)
        if i < len(log):
            log[i][r] = refs[1]
        return refs

    def _merge(self, parts: list[list[tuple[np.ndarray, np.ndarray]]]):
        """Apply the replicas' touched rows to the host weights as ``merge_touched`` does;
        return the merged rows for the actors (None with one replica: it has them) and the
        bytes they make, counted once per actor."""
        if self.replicas == 1:
            for w, (ids, rows) in zip(self.weights, parts[0], strict=True):
                w[ids] = rows
            return None, 0
        if self._pool is None:  # the matrices merge side by side (the kernels drop the GIL)
            self._pool = ThreadPoolExecutor(len(self.weights), thread_name_prefix="wordvec-merge")
        merged = list(
            self._pool.map(lambda m: self._merge_matrix(m, parts), range(len(self.weights)))
        )
        down = sum(ids.nbytes + rows.nbytes for ids, rows in merged)
        return merged, down * self.replicas

    def _merge_matrix(self, m: int, parts) -> tuple[np.ndarray, np.ndarray]:
        """Merge matrix ``m`` (the host rows are where every replica started); returns its
        rows any replica moved: (ids, merged rows)."""
        from wordvec.kernels.merge import merge_sparse

        w = self.weights[m]
        moved = np.zeros(w.shape[0], np.bool_)
        merge_sparse(w, w, 0, *_sent([p[m] for p in parts]), self._modes[m], moved)
        union = np.flatnonzero(moved).astype(np.int32)  # kept: put copies it (Replica.sent)
        return union, np.take(w, union, axis=0, out=self._merged[m][: union.shape[0]])

    def _restart(self, r: int, weights):
        """Replace dead actor ``r`` by a fresh one holding ``weights``."""
        self.traffic.restarts += 1
        actor = self.shards.respawn(r) if self.shards is not None else spawn(r, self.num_cpus)
        if not isinstance(weights, ray.ObjectRef):
            weights = ray.put(weights)
        ray.get(actor.load.remote(weights, self._objective_ref, self._span(r), self.replicas))
        if self._board is not None:
            self._pids[r] = ray.get(actor.attach.remote(self._board.spec))
        self._actors[r] = actor
        return actor

    def sync(self) -> None:
        """The host weights are merged after every round: always current between rounds."""

    def close(self) -> None:
        """Free the actors (kept warm for this driver's next run); sharded input is dropped
        with them, to be read again by a later run."""
        if self._board is not None:
            self._board.close()
            self._board = None
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._own:
            retire(self._actors, self.num_cpus)
        elif self.shards is not None:
            self.shards.close()
        self._actors = []
        self._pending = None

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _hot_rows(hot) -> np.ndarray:
    """A matrix's frequent rows as sorted int64 rows: from (lo, hi), or as listed."""
    if isinstance(hot, np.ndarray):
        return np.ascontiguousarray(hot, np.int64)
    lo, hi = hot
    return np.arange(lo, hi, dtype=np.int64)
