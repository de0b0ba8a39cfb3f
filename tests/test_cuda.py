"""The GPU trainer (``device="cuda"``) on Numba's CUDA simulator, against a NumPy reference.

The simulator (``NUMBA_ENABLE_CUDASIM=1``) runs the CUDA kernels as Python, one thread block at
a time, one Python thread a CUDA thread. It must be chosen before ``numba.cuda`` is imported and
the rest of the suite uses Numba's CPU JIT in this process, so the simulated runs happen in one
subprocess (``_simulate``, shared by the tests through a module fixture) that writes its results
to a folder; the tests compare them with ``reference`` here. With one warp a block and blocks in
order, the kernels' updates are ordered, so the reference must match them to float32 rounding.

What the simulator cannot check: speed, the warp shuffles themselves (it has none: the kernels'
``_warp_sum`` is replaced by a Python butterfly in the same order), races between concurrent
blocks. ``test_kernels_on_a_real_gpu`` runs the same comparison on a device where there is one.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import topic_sentences

M64 = (1 << 64) - 1
HERE = Path(__file__).resolve().parent
HAS_GPU = os.path.exists("/proc/driver/nvidia/version")
MAX_EXP, TABLE_SIZE = 6.0, 1024


# -- the reference -------------------------------------------------------------------------------
def mix(x: int) -> int:
    """splitmix64's finaliser, as the kernels' ``_mix``."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return (x ^ (x >> 31)) or 1


class Rng:
    """xorshift64* in plain Python."""

    def __init__(self, state: int):
        self.s = state

    def next(self) -> int:
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & M64
        s ^= s >> 27
        self.s = s
        return (s * 2685821657736338717) & M64


def sigmoid_table(f: float) -> float:
    """The kernels' clipped, tabulated sigmoid (the CPU kernels' table)."""
    from wordvec.kernels.train import SIGMOID

    if f >= MAX_EXP:
        return 1.0
    if f <= -MAX_EXP:
        return 0.0
    return float(SIGMOID[int((f + MAX_EXP) * TABLE_SIZE / (2 * MAX_EXP))])


def nll(f: float, label: float) -> float:
    z = f if label else -f
    return math.log1p(math.exp(-z)) if z > -30 else -z


def reference(ids, bounds, jobs, syn0, syn1neg, keep, noise, window, negative, sg, cbow_mean):
    """Slow NumPy reference of the GPU kernels, written from the maths, sharing only the random
    streams (one per token: ``mix(mix(seed ^ s) ^ p)``) and the sigmoid table. Sentences and
    centre words in order. Skip-gram: one block per centre word, every gradient from the rows
    as they were before it; CBOW: the mean (or sum) of the window, outputs one at a time.
    ``jobs``: (s0, s1, alpha0, alpha1, seed). Returns (syn0, syn1neg, loss, pairs, kept)."""
    syn0, syn1neg = syn0.astype(np.float64), syn1neg.astype(np.float64)
    noise_p, noise_a = noise
    v = len(keep)
    loss = 0.0
    pairs = kept_total = 0
    for s0, s1, a0, a1, seed in jobs:
        t0 = bounds[s0]
        step = (a1 - a0) / max(bounds[s1] - t0, 1)
        for s in range(s0, s1):
            sseed = mix(seed ^ s)
            kept, streams = [], []
            for p in range(bounds[s + 1] - bounds[s]):
                rng = Rng(mix(sseed ^ p))
                w = int(ids[bounds[s] + p])
                if (rng.next() >> 32) < keep[w]:
                    kept.append(w)
                    streams.append(rng)
            n = len(kept)
            kept_total += n
            frac = (bounds[s + 1] - bounds[s]) / max(n, 1)
            for i, w in enumerate(kept):
                rng = streams[i]
                cut = (rng.next() >> 33) % window
                outs = [w]
                for _ in range(negative):
                    r = rng.next()
                    j = ((r >> 32) * v) >> 32
                    o = j if (r & 0xFFFFFFFF) < noise_p[j] else int(noise_a[j])
                    if o != w:
                        outs.append(o)
                labels = np.array([1.0] + [0.0] * (len(outs) - 1))
                ctx = [
                    kept[c]
                    for c in range(max(0, i - window + cut), min(n, i + window + 1 - cut))
                    if c != i
                ]
                if not ctx:
                    continue
                alpha = a0 + step * (bounds[s] - t0 + i * frac)
                if sg:
                    x, y = syn0[ctx], syn1neg[outs]
                    f = x @ y.T
                    g = alpha * (labels - np.vectorize(sigmoid_table)(f))
                    loss += sum(nll(val, labels[q]) for row in f for q, val in enumerate(row))
                    np.add.at(syn1neg, outs, g.T @ x)
                    np.add.at(syn0, ctx, g @ y)
                    pairs += len(ctx)
                else:
                    h = syn0[ctx].sum(0) / (len(ctx) if cbow_mean else 1)
                    e = np.zeros_like(h)
                    for o, label in zip(outs, labels, strict=True):
                        f = h @ syn1neg[o]
                        loss += nll(f, label)
                        g = alpha * (label - sigmoid_table(f))
                        e += g * syn1neg[o]
                        syn1neg[o] += g * h
                    for c in ctx:
                        syn0[c] += e
                    pairs += 1
    return syn0, syn1neg, loss, pairs, kept_total


# -- the problems --------------------------------------------------------------------------------
# (sg, cbow_mean, rare ids, jobs a round); jobs of one sentence each, as on a real GPU a round's
# blocks run concurrently: one job a round keeps the updates ordered there too
CASES = {
    "sg": (1, 1, False, 2),
    "cbow-mean": (0, 1, False, 2),
    "cbow-sum": (0, 0, False, 1),
    "sg-rare": (1, 1, True, 4),
}
WINDOW, NEGATIVE, SAMPLE = 3, 5, 0.01  # about 40% of the tokens kept


def problem(rare: bool, seed: int = 0):
    """A tiny corpus (12 words, a one-word sentence among four), its tables and weights; with
    ``rare`` words 6.. moved past the two-byte ids (the escape path)."""
    from wordvec.corpus.vocab import keep_thresholds, noise_alias

    rng = np.random.default_rng(seed)
    v, d, n = 12, 8, 140
    counts = np.sort(rng.integers(1, 60, v))[::-1].astype(np.int64)
    ids = rng.choice(v, n, p=counts / counts.sum()).astype(np.int32)
    bounds = np.array([0, 30, 31, 90, n], np.int64)
    syn0 = ((rng.random((v, d)) - 0.5) / d).astype(np.float32)
    syn1neg = (rng.standard_normal((v, d)) * 0.1).astype(np.float32)
    sample = SAMPLE
    if rare:
        off = 65_530
        total = counts.sum()
        counts = np.concatenate([counts[:6], np.full(off, counts[6]), counts[6:]]).astype(np.int64)
        ids = np.where(ids < 6, ids, ids + off).astype(np.int32)
        pad = lambda m: np.concatenate([m[:6], np.zeros((off, d), m.dtype), m[6:]])  # noqa: E731
        syn0, syn1neg = pad(syn0), pad(syn1neg)
        sample *= total / counts.sum()  # the same threshold count as without the padding
    keep = keep_thresholds(counts, sample)
    noise = noise_alias(counts, 0.75)
    jobs = [(s, s + 1, 0.05 - 0.01 * s, 0.04 - 0.01 * s, 1000 + 7 * s) for s in range(4)]
    return ids, bounds, keep, noise, syn0, syn1neg, jobs


def run_kernels(case: str, out: Path, warps: int = 1, per_round: int | None = None) -> None:
    """Train ``case`` through ``CudaExecutor`` (simulated or real) and save what it did;
    ``per_round``: jobs a launch (default: the case's)."""
    from wordvec.core.executors.cuda import CudaExecutor
    from wordvec.core.objective import make_objective
    from wordvec.core.schedule import Job, Round
    from wordvec.corpus.encoded import EncodedCorpus

    sg, cbow_mean, rare, case_per_round = CASES[case]
    per_round = per_round or case_per_round
    ids, bounds, keep, noise, syn0, syn1neg, jobs = problem(rare)
    enc = EncodedCorpus.from_ids(ids, bounds, len(ids))
    obj = make_objective(
        enc, keep, noise, None, WINDOW, True, NEGATIVE, False, bool(sg), bool(cbow_mean), False
    )
    weights = (syn0, syn1neg, np.zeros((1, syn0.shape[1]), np.float32))
    stats = np.zeros((len(jobs), 3))
    with CudaExecutor(weights, obj, warps=warps) as ex:
        for r in range(0, len(jobs), per_round):
            work = tuple(Job(j, *jobs[j]) for j in range(r, min(r + per_round, len(jobs))))
            ex.run_round(Round((work,), shared=True), stats)
    np.savez(out / f"{case}-w{warps}.npz", syn0=syn0, syn1neg=syn1neg, stats=stats)


def train_end_to_end(out: Path) -> None:
    """A tiny training with device='cuda': losses per epoch, the saved model."""
    from wordvec import Word2Vec

    model = Word2Vec(
        vector_size=8,
        window=2,
        min_count=1,
        sample=0,
        negative=3,
        sg=1,
        epochs=3,
        alpha=0.1,
        seed=3,
        device="cuda",
    )
    model.fit(toy_corpus(), checkpoint=out / "run.ckpt")  # taken after sync() at epoch ends
    model.save(out / "gpu.wv")
    (out / "loss.json").write_text(json.dumps(model.loss_history_))


def toy_corpus() -> list[list[str]]:
    """Two topics that never share a sentence: 120 tokens."""
    topics = [["cat", "dog", "pet", "fur", "paw"], ["car", "bus", "road", "wheel", "fuel"]]
    return topic_sentences(12, seed=1, length=10, topics=topics)


def _simulate(out: str) -> None:
    """The subprocess: every simulated run, results into ``out``."""
    import warnings

    # xorshift64* and splitmix64 wrap around 2**64 on purpose; the simulator runs them as NumPy
    # uint64 scalars, which warn when they do
    warnings.filterwarnings(
        "ignore", r"overflow encountered in scalar (multiply|add)", RuntimeWarning
    )
    sys.setswitchinterval(1e-4)  # simulated threads hand over at every barrier: do it quickly
    out = Path(out)
    for case in CASES:
        t0 = time.perf_counter()
        run_kernels(case, out)
        print(f"{case}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    run_kernels("sg", out, warps=2)
    t0 = time.perf_counter()
    train_end_to_end(out)
    print(f"end to end: {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def python_path() -> str:
    """This folder first (the subprocesses import this module, which imports conftest), then the
    caller's path."""
    return os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    pytest.importorskip("numba.cuda")
    out = tmp_path_factory.mktemp("cudasim")
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "PYTHONPATH": python_path()}
    code = f"import test_cuda; test_cuda._simulate({str(out)!r})"
    r = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def check_against_reference(case: str, got: dict) -> None:
    sg, cbow_mean, rare, _ = CASES[case]
    ids, bounds, keep, noise, syn0, syn1neg, jobs = problem(rare)
    exp0, exp1, loss, pairs, kept = reference(
        ids, bounds, jobs, syn0, syn1neg, keep, noise, WINDOW, NEGATIVE, sg, cbow_mean
    )
    assert not np.allclose(got["syn0"], syn0)  # it trained
    np.testing.assert_allclose(got["syn0"], exp0, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(got["syn1neg"], exp1, rtol=1e-5, atol=2e-6)
    stats = got["stats"]
    assert (stats[:, 1].sum(), stats[:, 2].sum()) == (pairs, kept)
    assert 0 < kept < bounds[-1]  # some words were subsampled away
    # the kernels' loss comes from a table: within 1% of the exact sum
    assert stats[:, 0].sum() == pytest.approx(loss, rel=1e-2)


# -- the tests -----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", list(CASES))
def test_simulated_kernels_match_the_reference(simulated, case):
    """SG and CBOW (mean and sum), several jobs a launch, ids past 65,534 through the escape:
    the same updates, pairs and kept words as the NumPy reference."""
    check_against_reference(case, dict(np.load(simulated / f"{case}-w1.npz")))


@pytest.mark.parametrize("case", ["sg"])
def test_warps_share_a_sentence(simulated, case):
    """Two warps a sentence (concurrent runs of centre words): the same random choices, so the
    same pairs and kept words; the same updates in another order, so vectors near the ordered
    run's (much nearer than to where they started)."""
    start = problem(CASES[case][2])[4]
    one = np.load(simulated / f"{case}-w1.npz")
    two = np.load(simulated / f"{case}-w2.npz")
    np.testing.assert_array_equal(one["stats"][:, 1:], two["stats"][:, 1:])
    moved = np.linalg.norm(one["syn0"] - start)
    assert np.linalg.norm(two["syn0"] - one["syn0"]) < 0.25 * moved
    assert two["stats"][:, 0].sum() == pytest.approx(one["stats"][:, 0].sum(), rel=0.05)


def test_simulated_training_loss_falls(simulated):
    loss = json.loads((simulated / "loss.json").read_text())
    assert len(loss) == 3
    assert loss[-1] < loss[0] * 0.95, loss


def test_gpu_model_continues_on_the_cpu(simulated):
    """A model trained on the (simulated) GPU saves, loads and trains further on the CPU."""
    from wordvec import Word2Vec

    model = Word2Vec.load(simulated / "gpu.wv")
    from wordvec.io import load_native

    assert load_native(simulated / "gpu.wv")[0]["params"]["device"] == "cuda"  # as trained
    assert model.device == "cpu" and model.epochs_trained_ == 3  # a loaded model trains here
    before = model.wv.vectors.copy()
    assert np.isfinite(before).all()
    model.epochs, model.workers = 2, 1
    model.build_vocab(toy_corpus(), update=True)
    model.train()
    assert model.epochs_trained_ == 5 and len(model.loss_history_) == 5
    assert not np.array_equal(model.wv.vectors, before)
    # it went on from the GPU's weights: the CPU's epochs start below the GPU's first
    assert model.loss_history_[3] < model.loss_history_[0], model.loss_history_


def test_checkpoints_hold_the_device_weights(simulated):
    """The last checkpoint (after the last epoch, while the executor still held the weights on
    the device) has exactly the final model's weights: ``sync()`` copied them back."""
    from wordvec.io import load_native

    _, model = load_native(simulated / "gpu.wv")
    meta, ckpt = load_native(simulated / "run.ckpt")
    assert meta["epochs_trained"] == 3
    np.testing.assert_array_equal(ckpt["vectors"], model["vectors"])
    np.testing.assert_array_equal(ckpt["syn1neg"], model["syn1neg"])
    assert np.abs(model["syn1neg"]).max() > 0  # trained: the output weights start at zero


@pytest.mark.skipif(HAS_GPU, reason="this machine has an NVIDIA driver: the error is not raised")
def test_without_a_gpu_the_cli_says_what_is_missing(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c a b c a b\n" * 20)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "wordvec.cli",
            "train",
            str(corpus),
            "-o",
            str(tmp_path / "m.wv"),
            "--device",
            "cuda",
            "--min-count",
            "1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    # (a cold Numba cache adds a "compiling the training kernels" note before it)
    errors = [line for line in r.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, r.stderr
    assert errors[0].startswith("wordvec train: error: device='cuda' found no usable NVIDIA GPU")
    assert "NUMBA_ENABLE_CUDASIM" in errors[0] and r.stderr.strip().endswith(errors[0])


def test_unsupported_objectives_are_refused_in_one_line():
    """Checked before any CUDA import: hierarchical softmax and the full softmax stay on CPU."""
    from wordvec.core.executors.cuda import CudaExecutor
    from wordvec.core.huffman import build_huffman
    from wordvec.core.objective import make_objective
    from wordvec.corpus.encoded import EncodedCorpus

    ids, bounds, keep, noise, syn0, syn1neg, _ = problem(False)
    enc = EncodedCorpus.from_ids(ids, bounds, len(ids))
    tree = build_huffman(np.arange(12, 0, -1))
    weights = (syn0, syn1neg, syn1neg)
    for neg, hs, softmax in [(0, True, False), (5, True, False), (0, False, True)]:
        obj = make_objective(
            enc,
            keep,
            noise if neg else None,
            tree if hs else None,
            3,
            True,
            neg,
            hs,
            True,
            True,
            softmax,
        )
        with pytest.raises(ValueError, match="negative sampling only") as e:
            CudaExecutor(weights, obj)
        assert "\n" not in str(e.value)
    nce = make_objective(
        enc, keep, noise, None, 3, True, 5, False, True, True, False, np.log(np.full(12, 1 / 12))
    )
    with pytest.raises(ValueError, match="or NCE"):
        CudaExecutor(weights, nce)


def test_import_wordvec_imports_no_cuda():
    code = (
        "import sys, wordvec, wordvec.core.executors.cuda; "
        "print(any(m.startswith('numba') for m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr


@pytest.mark.skipif(
    not HAS_GPU,
    reason="needs an NVIDIA GPU (CI has none; the simulator tests cover the kernels' logic)",
)
def test_kernels_on_a_real_gpu(tmp_path):
    """The same comparison on the device, in a subprocess (numba.cuda stays out of this one);
    one job a launch where the launch has several sentences would race."""
    code = (
        "import sys, test_cuda; from pathlib import Path; "
        f"[test_cuda.run_kernels(c, Path({str(tmp_path)!r}), per_round=1) "
        "for c in test_cuda.CASES]"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = python_path()
    r = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stderr[-3000:]
    for case in CASES:
        check_against_reference(case, dict(np.load(tmp_path / f"{case}-w1.npz")))
