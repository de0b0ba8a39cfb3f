"""The schedule, driven by fake executors and a fake ``train_job``: no Numba, no estimator."""

import threading
import time

import numpy as np
import pytest

from wordvec.core.schedule import (
    Job,
    Round,
    RunState,
    Schedule,
    equal_spans,
    job_seed,
    learning_rate,
)


def bounds_of(lengths):
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


class Recorder:
    """An executor that runs nothing: it records each round and fills the stats as a job would
    (loss = job index, one pair, as many kept words as the job has sentences)."""

    def __init__(self, replicas=1, fail_after=None):
        self.replicas, self.rounds, self.fail_after = replicas, [], fail_after

    def run_round(self, work: Round, stats):
        self.rounds.append(work)
        for queue in work.jobs:
            for job in queue:
                stats[job.index] += (job.index, 1, job.s1 - job.s0)
        if self.fail_after is not None and len(self.rounds) == self.fail_after:
            raise KeyboardInterrupt  # as a thread executor does: after the round finished

    def sync(self):
        pass

    def close(self):
        pass


def test_learning_rate_falls_linearly_to_min_alpha():
    rates = [learning_rate(0.04, 0.001, done, 1000) for done in range(0, 1001, 250)]
    np.testing.assert_allclose(rates, [0.04, 0.03025, 0.0205, 0.01075, 0.001])
    assert learning_rate(0.04, 0.001, 5000, 1000) == 0.001  # never below min_alpha


def test_jobs_cover_every_sentence_in_order_with_the_rate_of_their_place():
    rng = np.random.default_rng(0)
    bounds = bounds_of(rng.integers(1, 30, 200))
    sched = Schedule(
        bounds, batch_words=100, epochs=2, alpha=0.04, min_alpha=0.001, seed=3, per_round=4
    )
    jobs = sched.jobs
    assert jobs[0] == 0 and jobs[-1] == 200 and np.all(np.diff(jobs) > 0)
    # each job starts at the first sentence starting at or after a multiple of batch_words
    firsts = {int(np.searchsorted(bounds, m)) for m in range(100, int(bounds[-1]), 100)}
    assert jobs.tolist() == sorted({0, 200} | firsts)
    state = RunState(start_epochs=0, epoch=1)
    for j in range(sched.n_jobs):
        job = sched.job(state, j)
        total = 2 * int(bounds[-1])
        assert job.alpha0 == learning_rate(0.04, 0.001, bounds[-1] + bounds[job.s0], total)
        assert job.alpha1 == learning_rate(0.04, 0.001, bounds[-1] + bounds[job.s1], total)
        assert job.seed == job_seed(3, 1, j)
    assert sched.job(state, sched.n_jobs - 1).alpha1 == pytest.approx(0.001)


def test_one_span_rounds_are_runs_of_jobs_in_order():
    bounds = bounds_of([10] * 100)
    sched = Schedule(bounds, 20, 1, 0.025, 0.0001, 1, per_round=7)
    state, ex = RunState(start_epochs=0), Recorder()
    result = sched.run_epoch(state, ex)
    assert all(r.shared and len(r.jobs) == 1 for r in ex.rounds)
    order = [job.index for r in ex.rounds for job in r.jobs[0]]
    assert order == list(range(sched.n_jobs)) and sched.n_jobs == 50
    assert [len(r.jobs[0]) for r in ex.rounds] == [7] * 7 + [1]
    assert result.complete and result.tokens == 1000 and result.pairs == 50
    assert result.words_kept == 100 and result.loss == pytest.approx(sum(range(50)) / 50)


def test_spans_give_each_replica_its_own_part_at_the_same_pace():
    bounds = bounds_of([10] * 90)
    spans = equal_spans(bounds, 3)
    assert spans.tolist() == [0, 30, 60, 90]
    sched = Schedule(bounds, 20, 1, 0.05, 0.01, 1, per_round=4, spans=spans)
    state, ex = RunState(start_epochs=0), Recorder(replicas=3)
    sched.run_epoch(state, ex)
    assert len(ex.rounds) == 4 and not ex.rounds[0].shared
    for r in range(3):  # replica r trains span r's jobs, in order, and nothing else
        seen = [job for rnd in ex.rounds for job in rnd.jobs[r]]
        assert [j.s0 for j in seen] == list(range(30 * r, 30 * r + 30, 2))
        # every span starts the epoch at alpha and ends it at min_alpha
        assert seen[0].alpha0 == 0.05 and seen[-1].alpha1 == pytest.approx(0.01)
    first = [rnd.jobs[r][0].alpha0 for rnd in ex.rounds[1:2] for r in range(3)]
    assert first[0] == first[1] == first[2]  # the replicas lower the rate together
    assert sorted(j.index for rnd in ex.rounds for q in rnd.jobs for j in q) == list(range(45))


def test_a_stop_request_ends_the_epoch_at_a_round_boundary():
    bounds = bounds_of([10] * 100)
    sched = Schedule(bounds, 10, 1, 0.025, 0.0001, 1, per_round=10)
    state, ex = RunState(start_epochs=0), Recorder()
    result = sched.run_epoch(state, ex, should_stop=lambda: len(ex.rounds) == 3)
    assert not result.complete and state.next_round == 3 and result.tokens == 300
    assert np.all(state.stats[:30, 1] == 1) and np.all(state.stats[30:] == 0)
    rest = sched.run_epoch(state, ex)  # the same state carries on where it stopped
    assert rest.complete and [j.index for r in ex.rounds for j in r.jobs[0]] == list(range(100))


def test_ctrl_c_counts_the_round_that_finished_and_is_re_raised():
    bounds = bounds_of([10] * 100)
    sched = Schedule(bounds, 10, 1, 0.025, 0.0001, 1, per_round=10)
    state, ex = RunState(start_epochs=0), Recorder(fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        sched.run_epoch(state, ex)
    assert state.next_round == 2 and state.stats[:20, 1].sum() == 20


class SlowJobs:
    """A ``train_job`` in plain NumPy: adds its index to one row per job, sleeps a little,
    counts how many jobs run at once."""

    def __init__(self):
        self.running = 0
        self.lock = threading.Lock()

    def __call__(self, job: Job, weights, touched, stats_row):
        with self.lock:
            self.running += 1
        time.sleep(0.002)
        row = job.index % weights[0].shape[0]
        weights[0][row] += 1.0
        if touched.shape[1]:
            touched[0, row] = 1
        stats_row += (1.0, 1, 1)
        with self.lock:
            self.running -= 1


@pytest.mark.parametrize(("workers", "replicas"), [(1, 1), (2, 1), (3, 3)])
def test_thread_executor_rounds_end_with_every_worker_parked(workers, replicas):
    """At every tick (where checkpoints are taken) no job runs and the stats hold exactly the
    rounds done: the executor never lets a worker into the next round early."""
    from wordvec.core.executors.threads import ThreadExecutor

    bounds = bounds_of([5] * 400)
    spans = equal_spans(bounds, replicas)
    sched = Schedule(
        bounds, 5, 1, 0.025, 0.0001, 1, per_round=8 if replicas > 1 else 24, spans=spans
    )
    weights = (np.zeros((1000, 2), np.float32),)
    fake = SlowJobs()
    ticks = []

    def on_tick(state, tokens):
        time.sleep(0.003)  # a worker let loose early would start a job meanwhile
        ticks.append((fake.running, state.next_round, state.stats[:, 1].sum(), tokens))

    with ThreadExecutor(weights, fake, workers, replicas) as ex:
        sched.run_epoch(RunState(start_epochs=0), ex, on_tick)
    assert all(running == 0 for running, *_ in ticks)
    for _, k, jobs_done, tokens in ticks:
        done = sum(len(q) for i in range(k) for q in sched.round(RunState(0), i).jobs)
        assert jobs_done == done and tokens == 5 * done
    # each job added 1 to its row once: in shared rounds directly; with replicas, through a
    # merge of rows each moved by one replica (jobs of different spans touch different rows)
    assert weights[0][:400, 0].tolist() == [1.0] * 400


class Seer:
    """A ``train_job`` that notes, as each job starts, what its replica sees in row 0 (a
    frequent row) and row 9 (a rare one), then adds 1 to both."""

    def __init__(self):
        self.seen = {}
        self.lock = threading.Lock()

    def __call__(self, job, weights, touched, stats_row):
        with self.lock:
            self.seen[job.index] = (float(weights[0][0, 0]), float(weights[0][9, 0]))
        for row in (0, 9):
            weights[0][row] += 1.0
            touched[0, row] = 1
        stats_row += (1.0, 1, 1)


@pytest.mark.parametrize("every", [1, 2])
@pytest.mark.parametrize("replicas", [2, 3])
def test_thread_executor_merges_the_frequent_rows_after_every_step(replicas, every):
    """``hot`` rows are merged (summed) after every ``every`` jobs, every replica in step; the
    others only at the end of the round: a replica sees the frequent row move by its own jobs
    and by the other replicas' jobs of the steps before, the rare row only by its own, and the
    round's merge sums both."""
    from wordvec.core.executors.threads import ThreadExecutor

    bounds = bounds_of([5] * 12 * replicas)
    sched = Schedule(
        bounds, 5, 1, 0.025, 0.0001, 1, per_round=4, spans=equal_spans(bounds, replicas)
    )
    weights = (np.zeros((10, 1), np.float32),)
    fake = Seer()
    with ThreadExecutor(weights, fake, replicas, replicas, "sum", [(0, 4)], every) as ex:
        sched.run_epoch(RunState(start_epochs=0), ex)
    for k in range(sched.n_rounds):
        for r, jobs in enumerate(sched.round(RunState(0), k).jobs):
            for i, job in enumerate(jobs):
                start = 4 * replicas * k  # both rows as the round started
                merged = (replicas - 1) * (i - i % every)  # the others' jobs of earlier steps
                assert fake.seen[job.index] == (start + i + merged, start + i), (k, r, i)
    assert weights[0][[0, 9], 0].tolist() == [12.0 * replicas] * 2


def test_replica_plan_frequent_rows_round_cap_and_long_sentences():
    """With 3+ replicas: jobs of 20,000 / replicas tokens, rounds of at most 100,000 tokens,
    the frequent rows within each matrix's rows; sentences longer than twice a step (the tokens
    between two merges of the frequent rows) fall back to capped merges with a warning; 2
    replicas keep the estimator's jobs and rounds and merge 8,192 frequent rows every 100,000
    tokens in all (NS, NCE; 200,000 on Ray actors) or 20,000 (Huffman nodes)."""
    import warnings

    from wordvec.core.replicas import MERGE, MERGE_LONG_JOBS, plan

    short = bounds_of([1000] * 50)
    one = plan(1, [5000, 5000, 1], "hs", short, 10_000, 1_000_000)
    assert one == (10_000, 1_000_000, MERGE, None, 1, ())  # no sparse replicas
    ns = plan(2, [9000, 9000, 1], "hs", short, 10_000, 1_000_000)  # the syn1 slot unused
    assert ns[:5] == (10_000, 1_000_000, MERGE, [(0, 8192), (0, 8192), (1, 1)], 5)
    hs = plan(2, [9000, 1, 8999], "hs", short, 10_000, 1_000_000)
    assert hs[:5] == (10_000, 1_000_000, MERGE, [(0, 8192), (0, 1), (807, 8999)], 1)
    assert plan(2, [9000, 9000, 9000], "nce", short, 10_000, 1_000_000).hot_every == 5
    assert plan(2, [9000, 9000, 1], "hs", short, 1000, 1_000_000).hot_every == 50
    actors = plan(2, [9000, 9000, 1], "hs", short, 10_000, 1_000_000, cluster=True)
    assert actors.hot_every == 10  # a call each: every 200,000 tokens
    assert plan(2, [9000, 1, 8999], "hs", short, 10_000, 1_000_000, cluster=True).hot_every == 1
    # round_words=None: 1,000,000 tokens a round, 4,000,000 on 2 actors; a number is kept
    rows = [9000, 9000, 1]
    assert plan(2, rows, "hs", short, 10_000, None).round_words == 1_000_000
    assert plan(1, rows, "hs", short, 10_000, None, cluster=True).round_words == 1_000_000
    assert plan(2, rows, "hs", short, 10_000, None, cluster=True).round_words == 4_000_000
    assert plan(2, rows, "hs", short, 10_000, 500_000, cluster=True).round_words == 500_000
    assert plan(8, rows, "hs", short, 10_000, None, cluster=True).round_words == 100_000
    # a job is at least one sentence: steps of fewer, longer jobs; past twice a step, a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            plan(2, [9000, 9000, 1], "hs", bounds_of([30_000] * 9), 10_000, 1_000_000).hot_every
            == 1
        )
    with pytest.warns(RuntimeWarning, match="max_sentence_length=50000"):
        plan(2, [9000, 9000, 1], "hs", bounds_of([150_000] * 9), 10_000, 1_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eight = plan(8, [5000, 5000, 4999], "hs", short, 10_000, 1_000_000)
    assert eight.job_words == 2500 and eight.round_words == 100_000 and eight.merge == MERGE
    assert eight.hot == [(0, 1024), (0, 1024), (3975, 4999)]  # the root is node v - 2
    assert plan(8, [5000, 5000, 1], "nce", short, 10_000, 100_000).hot[2] == (0, 1)
    with pytest.warns(RuntimeWarning, match="max_sentence_length=2500"):
        long = plan(8, [5000, 5000, 1], "hs", bounds_of([10_000] * 5), 10_000, 100_000)
    assert long.merge == MERGE_LONG_JOBS
    assert plan(8, [5000, 5000, 1], "hs", short, 10_000, 100_000, hot_rows=0).hot is None
