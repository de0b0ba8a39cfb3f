"""Training on a Ray cluster (issue #15): the cluster executor against local training, bit for
bit; sharded input against the single-machine scan; a dead actor; resume; the missing extra.

One local Ray cluster (2 CPUs, no dashboard) serves the whole module; actors are kept warm
between runs by the executor, so each test pays for training, not for process start-up.
"""

import gzip
import importlib
import os
import socket
import subprocess
import sys
import warnings

import numpy as np
import pytest

from conftest import write_corpus, zipf_stream
from wordvec import Callback, Word2Vec
from wordvec.core.executors.shards import copy_pieces, list_inputs, plan_shards
from wordvec.core.schedule import RunState, Schedule
from wordvec.corpus.reader import scan_corpus
from wordvec.corpus.vocab import build_vocab
from wordvec.kernels.merge import MODES as MERGE_MODES  # whatever modes the merge offers

replicas_module = importlib.import_module("wordvec.core.replicas")

try:
    with warnings.catch_warnings():
        # Ray's own imports emit deprecation warnings from its dependencies; pytest turns every
        # warning into an error, so they are silenced here and only here
        warnings.simplefilter("ignore")
        import ray
except ImportError:
    ray = None

needs_ray = pytest.mark.skipif(
    ray is None, reason="Ray is not installed (pip install wordvec[ray])"
)

# Ray's own modules may emit deprecation warnings about their internals (they say nothing about
# wordvec): ignored for warnings raised from inside the ray package only
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

PARAMS = dict(
    vector_size=16,
    min_count=2,
    epochs=2,
    seed=7,
    sg=1,
    batch_words=1000,
    round_words=4000,
    window=3,
)


def _write_corpus(path, n_tokens=60_000, seed=0, line=25):
    """Zipf-distributed words w0..w1499, ``line`` a line, no newline after the last."""
    sentences = zipf_stream(n_tokens, a=1.3, vocab=1500, line=line, seed=seed)
    return write_corpus(path, sentences, end="")


@pytest.fixture(scope="module")
def cluster():
    if ray is None:
        pytest.skip("Ray is not installed (pip install wordvec[ray])")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    from wordvec.core.executors.ray_cluster import release

    release()
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _write_corpus(tmp_path_factory.mktemp("ray") / "c.txt")


def _same(a: Word2Vec, b: Word2Vec) -> bool:
    return (
        np.array_equal(a.wv.vectors, b.wv.vectors)
        and np.array_equal(a.syn1neg_, b.syn1neg_)
        and a.loss_history_ == b.loss_history_
    )


# -- without Ray ----------------------------------------------------------------------------------
def test_import_wordvec_does_not_import_ray():
    code = "import sys, wordvec, wordvec.core.executors.cluster_input; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_extra_gives_one_clear_line(monkeypatch, corpus):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    monkeypatch.delitem(sys.modules, "wordvec.core.executors.ray", raising=False)
    with pytest.raises(ImportError) as e:
        importlib.import_module("wordvec.core.executors.ray")
    assert str(e.value) == "training on a cluster needs Ray: pip install 'wordvec[ray]'"
    with pytest.raises(ImportError, match=r"pip install 'wordvec\[ray\]'$"):
        Word2Vec(**PARAMS, workers=1, cluster="ray").fit(corpus)


# -- joining a cluster that is not there -----------------------------------------------------------
def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))  # free on every interface (Ray dials the machine's address, not loopback)
        return s.getsockname()[1]


NO_CLUSTER = """
import sys, time
from wordvec import Word2Vec
for corpus in (sys.argv[2], [["a", "b", "c"]] * 50):  # read on the actors; trained on them
    t0 = time.monotonic()
    try:
        Word2Vec(min_count=1, workers=1, cluster=sys.argv[1]).fit(corpus)
    except ConnectionError as e:
        print(type(e).__name__, round(time.monotonic() - t0, 1), e, sep="|")
"""


@needs_ray
@pytest.mark.parametrize("address", ["127.0.0.1:1", "localhost:{port}"])
def test_no_cluster_at_the_address_is_one_clear_error_within_seconds(tmp_path, corpus, address):
    """Where nothing answers, ray.init would retry for minutes: the address is probed first."""
    address = address.format(port=_unused_port())
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    out = subprocess.run(
        [sys.executable, "-c", NO_CLUSTER, f"ray:{address}", str(corpus)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    lines = out.stdout.splitlines()
    assert len(lines) == 2, out.stdout + out.stderr
    for line in lines:
        kind, seconds, message = line.split("|")
        assert kind == "ClusterUnreachable" and float(seconds) < 15, line
        assert f"no Ray cluster answers at {address}" in message and "ray start --head" in message
    assert "Traceback" not in out.stderr


@needs_ray
def test_a_joined_cluster_that_went_away_is_left_with_one_clear_error(monkeypatch):
    """A process that joined a cluster which has since gone away is told so (not left waiting
    on it) and leaves it, so that a later run can join or start another."""
    rayx = importlib.import_module("wordvec.core.executors.ray_cluster")
    gone = f"127.0.0.1:{_unused_port()}"
    left = []
    monkeypatch.setattr(rayx, "_IDLE", {1.0: ["a warm actor of the cluster gone"]})
    monkeypatch.setattr(rayx.ray, "is_initialized", lambda: True)
    monkeypatch.setattr(
        rayx.ray, "get_runtime_context", lambda: type("Context", (), {"gcs_address": gone})()
    )
    monkeypatch.setattr(rayx.ray, "shutdown", lambda: left.append(True))
    with pytest.raises(rayx.ClusterUnreachable, match=f"joined at {gone} no longer answers"):
        rayx.connect("ray")
    assert left == [True] and rayx._IDLE == {}


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shard_plan_reads_every_token_once(tmp_path, n):
    """Cuts land anywhere; each reader moves them to the same token boundary, so the pieces
    laid end to end hold exactly the corpus's tokens, across files (one compressed)."""
    d = tmp_path / "dir"
    d.mkdir()
    _write_corpus(d / "a.txt", 3000, seed=1)
    (d / "b.txt").write_text("one huge line " * 500 + "end")  # no newline near most cuts
    with gzip.open(d / "c.txt.gz", "wt") as f:
        f.write("gz words here\nand more\n")
    _write_corpus(d / "d.txt", 2000, seed=2, line=400)
    shards = plan_shards(list_inputs(d), n)
    assert len(shards) == n
    tokens = []
    for pieces in shards:
        path = tmp_path / "out.txt"
        with open(path, "wb") as out:
            copy_pieces(pieces, out, block_bytes=4096)
        tokens += path.read_bytes().split()
    expected = []
    for p in sorted(d.iterdir()):
        if p.suffix == ".gz":
            with gzip.open(p) as f:
                expected += f.read().split()
        else:
            expected += p.read_bytes().split()
    assert tokens == expected


# -- sharded vocabulary ---------------------------------------------------------------------------
@needs_ray
@pytest.mark.parametrize("layout", ["directory", "one-line"])
def test_sharded_vocabulary_equals_the_single_machine_scan(cluster, tmp_path, layout):
    from wordvec.core.executors.cluster_input import build_vocab_on_actors, encode_on_actors

    if layout == "directory":
        src = tmp_path / "d"
        src.mkdir()
        for i in range(3):
            _write_corpus(src / f"{i}.txt", 8000, seed=i)
        with gzip.open(src / "z.txt.gz", "wt") as f:
            f.write((tmp_path / "d" / "0.txt").read_text()[:5000] + " zz-only-here")
    else:  # text8-like: one line, so the cuts fall inside it
        stream = zipf_stream(30_000, a=1.3, vocab=2000, line=None, seed=3)
        src = write_corpus(tmp_path / "one.txt", stream, end="")
    single, enc = build_vocab(scan_corpus(src), 3)
    vocab, bounds, spans, report, handle = build_vocab_on_actors(src, 2, min_count=3)
    try:
        assert vocab.words == single.words
        assert np.array_equal(vocab.counts, single.counts)
        assert report["raw_tokens"] == enc.raw_tokens
        assert report["vocab_tokens"] == enc.n_tokens == bounds[-1]
        assert spans[0] == 0 and spans[-1] == bounds.shape[0] - 1 and spans.shape == (3,)
    finally:
        handle.close()
    # resuming encodes the shards again with the saved words: the same shards
    again_bounds, _, _, again = encode_on_actors(src, 2, vocab.words)
    again.close()
    assert again.checksum == handle.checksum
    assert np.array_equal(again_bounds, bounds)


@needs_ray
@pytest.mark.parametrize("exchange", ["auto", "store"])
def test_sharded_training_equals_threads_on_the_same_spans(cluster, corpus, exchange):
    """Actors train the shards they read: the same vectors as two local replicas on the same
    spans (the corpus has a newline near every cut, so the shards meet at sentence ends),
    the frequent rows exchanged over the node's shared memory or through the object store."""
    from wordvec.core.executors.cluster_input import build_vocab_on_actors
    from wordvec.core.executors.ray import RayExecutor
    from wordvec.core.executors.threads import ThreadExecutor

    vocab, bounds, spans, _, handle = build_vocab_on_actors(corpus, 2, min_count=2)
    model = Word2Vec(**PARAMS, workers=2).build_vocab(corpus)
    assert model.vocab_.words == vocab.words
    assert np.array_equal(model.corpus_.bounds, bounds)
    results = []
    hot = [(0, 100), (0, 100), (0, 0)]  # frequent rows merged after every job
    for make in (
        lambda w, o: ThreadExecutor(w, o, 2, 2, "sum", hot),
        lambda w, o: RayExecutor(w, o, merge="sum", shards=handle, hot=hot, exchange=exchange),
    ):
        m = Word2Vec(**PARAMS, workers=2).build_vocab(corpus)
        weights, objective = m._weights(), m._objective()
        sched = Schedule(
            bounds,
            m.batch_words,
            m.epochs,
            m.alpha,
            m.min_alpha,
            m.seed,
            m.round_words // m.batch_words,
            spans,
        )
        state = RunState(0)
        with make(weights, objective) as ex:
            if isinstance(ex, RayExecutor):
                assert (ex._board is not None) == (exchange == "auto")
            losses = []
            for _ in range(m.epochs):
                losses.append(sched.run_epoch(state, ex).loss)
                state.epoch, state.next_round, state.stats = state.epoch + 1, 0, None
        results.append((weights[0].copy(), weights[1].copy(), losses))
    handle.close()
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])
    assert results[0][2] == results[1][2]


# -- training -------------------------------------------------------------------------------------
@needs_ray
def test_one_actor_equals_local_one_worker_bit_for_bit(cluster, corpus):
    local = Word2Vec(**PARAMS, workers=1).fit(corpus)
    remote = Word2Vec(**PARAMS, workers=1, cluster="ray").fit(corpus)
    assert _same(local, remote)


@needs_ray
def test_two_seeded_runs_with_two_actors_are_identical(cluster, corpus):
    a = Word2Vec(**PARAMS, workers=2, cluster="ray").fit(corpus)
    b = Word2Vec(**PARAMS, workers=2, cluster="ray").fit(corpus)
    assert _same(a, b)
    assert not np.array_equal(a.wv.vectors, Word2Vec(**PARAMS, workers=1).fit(corpus).wv.vectors)


@needs_ray
def test_two_actors_equal_two_deterministic_workers(cluster, corpus):
    """Sentences given from Python are read here and each actor is sent its equal span: the
    cluster then trains exactly what two local deterministic workers train."""
    sentences = [line.split() for line in corpus.read_text().splitlines()]
    remote = Word2Vec(**PARAMS, workers=2, cluster="ray").fit(sentences)
    assert _same(remote, Word2Vec(**PARAMS, workers=2).fit(sentences))


@needs_ray
@pytest.mark.parametrize("exchange", ["auto", "store"])
def test_fasttext_actors_equal_deterministic_workers(cluster, corpus, monkeypatch, exchange):
    """FastText on two actors trains what two local deterministic workers train, bit for bit:
    the frequent words' rows and the listed frequent n-gram rows (scattered among the buckets)
    merged within a round, every two jobs here, over the board or through the object store;
    the other rows a round touched merged at its end. Words outside the vocabulary answer."""
    from wordvec import FastText
    from wordvec.core.executors import ray as rx

    seen = []
    close = rx.RayExecutor.close
    monkeypatch.setattr(
        rx.RayExecutor, "close", lambda self: (seen.append((self, self._board)), close(self))
    )
    monkeypatch.setattr(rx, "EXCHANGE", exchange)
    for name in ("PAIR_ROUND_WORDS", "CLUSTER_PAIR_ROUND_WORDS"):  # both plans: 2 jobs a step
        monkeypatch.setattr(replicas_module, name, 400)
    monkeypatch.setattr(FastText, "_hot_rows", 32)  # and 4 x 32 n-gram rows of 5,000 listed
    sentences = [line.split() for line in corpus.read_text().splitlines()]
    kw = dict(PARAMS, batch_words=100, bucket=5000, workers=2, deterministic=True)
    remote = FastText(**kw, cluster="ray").fit(sentences)
    local = FastText(**kw).fit(sentences)
    assert np.array_equal(remote.syn0_, local.syn0_)
    assert np.array_equal(remote.syn1neg_, local.syn1neg_)
    assert np.array_equal(remote.wv["w12x"], local.wv["w12x"])
    ((ex, board),) = seen
    hot = ex.hot[0]  # the words' rows and n-gram rows, listed: not a range
    assert hot.shape[0] == 32 + 4 * 32 and hot[-1] - hot[0] >= hot.shape[0]
    assert (board is not None) == (exchange == "auto")
    assert ex.traffic.steps >= 10 * ex.traffic.rounds


@needs_ray
@pytest.mark.parametrize("exchange", ["auto", "store"])
@pytest.mark.parametrize("hot", [False, True, "middle"])
def test_actor_killed_mid_round_the_run_ends_identically(
    cluster, corpus, monkeypatch, hot, exchange
):
    """With frequent-row steps over the board (exchange "auto") the other actor is stopped and
    both train the round again; through the object store the new actor replays its steps."""
    from wordvec.core.executors import ray as rx

    if exchange == "store" and not hot:
        pytest.skip("without frequent-row steps nothing is exchanged")
    monkeypatch.setattr(rx, "EXCHANGE", exchange)
    seen, boards = [], []
    close = rx.RayExecutor.close

    def keep(self):
        seen.append(self.traffic)
        boards.append(self._board is not None)
        close(self)

    monkeypatch.setattr(rx.RayExecutor, "close", keep)
    params = dict(PARAMS)
    if hot:  # the frequent rows merge after every job: the new actor replays the first step
        for name in ("PAIR_ROUND_WORDS", "CLUSTER_PAIR_ROUND_WORDS"):  # the same plan both ways
            monkeypatch.setattr(replicas_module, name, 2 * PARAMS["batch_words"])
    else:
        monkeypatch.setattr(Word2Vec, "_hot_rows", 0)
    if hot == "middle":  # 3 steps a round: it dies in the second, and the third follows
        params["round_words"] = 6 * PARAMS["batch_words"]
    clean = Word2Vec(**params, workers=2, cluster="ray").fit(corpus)
    # actor 1 exits (a real process death) after its first job of round 3
    monkeypatch.setattr(rx.RayExecutor, "inject_fault", (3, 1, 1))
    faulty = Word2Vec(**params, workers=2, cluster="ray").fit(corpus)
    assert seen[0].restarts == 0 and seen[1].restarts == 1
    assert boards == [bool(hot) and exchange == "auto"] * 2
    assert seen[0].steps == seen[0].rounds * (3 if hot == "middle" else 2 if hot else 1)
    assert _same(clean, faulty)
    if hot:
        assert _same(clean, Word2Vec(**params, workers=2).fit(corpus))  # = local replicas


class StopAfterFirstEpoch(Callback):
    def on_epoch_end(self, model, stats):
        if stats.epoch == 0:
            raise KeyboardInterrupt


@needs_ray
def test_resume_a_cluster_run(cluster, corpus, tmp_path):
    ckpt = tmp_path / "run.ckpt"
    full = Word2Vec(**PARAMS, workers=2, cluster="ray").fit(corpus)
    with pytest.raises(KeyboardInterrupt):
        Word2Vec(**PARAMS, workers=2, cluster="ray").fit(
            corpus, callbacks=[StopAfterFirstEpoch()], checkpoint=ckpt
        )
    resumed = Word2Vec.resume(ckpt, corpus)
    assert resumed.cluster == "ray" and resumed.epochs_trained_ == 2
    assert _same(full, resumed)


@needs_ray
def test_traffic_is_the_touched_rows(cluster, corpus, monkeypatch):
    """Bytes per round are the touched rows (ids + rows), far below the vocabulary's size."""
    from wordvec.core.executors import ray as rx

    seen = []
    close = rx.RayExecutor.close
    monkeypatch.setattr(rx.RayExecutor, "close", lambda self: (seen.append(self), close(self)))
    # the frequent rows go up after every job too: a few, so that a round's bytes stay the
    # touched rows of the tiny test vocabulary, not all of it
    monkeypatch.setattr(Word2Vec, "_hot_rows", 32)
    m = Word2Vec(**{**PARAMS, "epochs": 1}, workers=2, cluster="ray").fit(corpus)
    t = seen[0].traffic
    d = m.vector_size
    assert t.rounds > 1
    assert t.bytes_up == t.rows_up * (4 + 4 * d)
    full = 2 * 3 * len(m.wv) * 4 * d  # every row of syn0, syn1neg (and the dummy) from both
    assert 0 < t.bytes_up / t.rounds < full / 2


@needs_ray
@pytest.mark.parametrize("mode", sorted(MERGE_MODES))
@pytest.mark.parametrize("replicas", [2, 8])
def test_driver_merge_of_touched_rows_equals_merge_touched(mode, replicas):
    """The driver's merge from the touched rows alone gives the bits ``merge_touched`` gives
    from whole replicas, signed zeros included."""
    from wordvec.core.executors import ray as rx
    from wordvec.kernels.merge import MODES, merge_touched

    rng = np.random.default_rng(replicas)
    v, d = 400, 16
    w = rng.standard_normal((v, d), dtype=np.float32)
    w[5], w[6] = -0.0, 0.0
    copies = np.repeat(w[None], replicas, 0)
    touched = np.zeros((replicas, v), np.uint8)
    parts = []
    for r in range(replicas):
        ids = np.union1d(rng.choice(v, 150, replace=False), [5, 6]).astype(np.int32)
        vals = w[ids] + rng.standard_normal((ids.shape[0], d), dtype=np.float32) * (r % 3 != 0)
        vals[np.searchsorted(ids, [5, 6])] = [[0.0] * d, [-0.0] * d]
        copies[r, ids], touched[r, ids] = vals, 1
        parts.append([(ids, vals)])
    ex = object.__new__(rx.RayExecutor)
    ex.replicas, ex._modes, ex.weights, ex._pool = replicas, [MODES[mode]], (w.copy(),), None
    ex._merged = [np.zeros_like(w)]
    ((union, rows),) = ex._merge(parts)[0]
    assert np.array_equal(union, np.flatnonzero(touched.any(0)))
    merge_touched(w, copies, touched, MODES[mode])
    assert w.tobytes() == ex.weights[0].tobytes()
    assert rows.tobytes() == w[union].tobytes()


@pytest.mark.parametrize("mode", sorted(MERGE_MODES))
@pytest.mark.parametrize("replicas", [2, 8])
def test_actor_merge_of_frequent_rows_equals_merge_touched(mode, replicas):
    """An actor's merge of a range of rows from the rows each replica moved there
    (``merge_sparse``) gives the bits ``merge_touched`` gives from whole replicas, signed zeros
    included, to its own replica and to the base rows, and marks the rows any replica moved."""
    from wordvec.core.executors.ray import _sent
    from wordvec.kernels.merge import MODES, merge_sparse, merge_touched

    rng = np.random.default_rng(replicas + 10)
    v, d, lo, hi = 400, 16, 100, 300
    w = rng.standard_normal((v, d), dtype=np.float32)
    w[150], w[151] = -0.0, 0.0
    copies = np.repeat(w[None], replicas, 0)
    touched = np.zeros((replicas, v), np.uint8)
    ids, vals = [], []
    for r in range(replicas):
        mine = np.union1d(rng.choice(np.arange(lo, hi), 60, replace=False), [150, 151])
        mine = mine[(mine % 7 != r) | (r == 0)].astype(np.int32)  # some rows nobody moves
        x = w[mine] + rng.standard_normal((mine.shape[0], d), dtype=np.float32) * (r % 3 != 0)
        x[np.searchsorted(mine, [150, 151])] = [[0.0] * d, [-0.0] * d]
        copies[r, mine], touched[r, mine] = x, 1
        ids.append(mine)
        vals.append(x)
    mine = copies[replicas - 1, lo:hi].copy()  # the last replica merges into its own rows
    base = w[lo:hi].copy()
    moved = np.zeros(hi - lo, np.bool_)
    merge_sparse(mine, base, lo, *_sent(list(zip(ids, vals, strict=True))), MODES[mode], moved)
    assert np.array_equal(moved, touched[:, lo:hi].any(0))
    merge_touched(w, copies, touched, MODES[mode])
    assert mine.tobytes() == w[lo:hi].tobytes() == base.tobytes()


@needs_ray
def test_a_board_that_cannot_be_made_falls_back_to_the_object_store(cluster, corpus, monkeypatch):
    """No room for the board (an OSError): one warning, and the same vectors through the
    object store."""
    from wordvec.core.executors import board

    for name in ("PAIR_ROUND_WORDS", "CLUSTER_PAIR_ROUND_WORDS"):  # frequent-row steps
        monkeypatch.setattr(replicas_module, name, 2 * PARAMS["batch_words"])
    clean = Word2Vec(**PARAMS, workers=2, cluster="ray").fit(corpus)

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(board.Board, "create", full)
    with pytest.warns(RuntimeWarning, match="No space left on device.*object store"):
        fallback = Word2Vec(**PARAMS, workers=2, cluster="ray").fit(corpus)
    assert _same(clean, fallback)


def test_a_shard_that_does_not_fit_the_budget_goes_to_disk_on_its_machine(tmp_path):
    from wordvec.core.executors.shards import Shard

    path = _write_corpus(tmp_path / "c.txt", n_tokens=300_000)
    pieces = plan_shards(list_inputs(str(path)), 1)[0]
    held = Shard.scan(pieces)
    spilled = Shard.scan(pieces, memory=(1 << 20, str(tmp_path)))
    words = [f"w{i}" for i in range(1500)]
    a, b = held.encode(words, "strict", 10_000), spilled.encode(words, "strict", 10_000)
    assert not held.encoded.on_disk and spilled.encoded.on_disk
    assert a["crc"] == b["crc"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("wordvec-work-")]


@needs_ray
def test_actors_apply_the_budget_and_train_the_same_bits(cluster, tmp_path):
    path = _write_corpus(tmp_path / "c.txt", n_tokens=600_000)
    free = Word2Vec(**PARAMS, workers=2, cluster="ray").fit(path)
    tight = Word2Vec(**PARAMS, workers=2, cluster="ray", max_memory=2 << 20).fit(path)
    assert _same(free, tight)
