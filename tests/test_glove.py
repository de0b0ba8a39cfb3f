"""GloVe: the gradient by finite differences, AdaGrad steps against NumPy, seeded runs
bit-identical (any number of workers in the deterministic mode), callbacks, save/load, bad
input, and a quality floor on a slice of the benchmark corpus."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import zipf_sentences
from wordvec.count.cooccurrence import Cooccurrence
from wordvec.count.glove import GloVe


def entry_loss(w, c, bw, bc, logx, fx):
    return 0.5 * fx * (w @ c + bw + bc - logx) ** 2


def test_gradient_matches_finite_differences():
    from wordvec.kernels.glove import Entries, Params, train_range

    rng = np.random.default_rng(0)
    d, eta = 6, 1e-7
    w, c = rng.standard_normal((2, d)), rng.standard_normal((2, d))
    bw, bc = rng.standard_normal(2), rng.standard_normal(2)
    rows, cols = np.array([0], np.int32), np.array([1], np.int32)
    logx, fx = np.array([0.7]), np.array([0.4])
    grads = [np.ones_like(a) for a in (w, c, bw, bc)]  # AdaGrad sums of 1: the step is eta * g
    before = [a.copy() for a in (w, c, bw, bc)]
    entries, params, sums = Entries(rows, cols, logx, fx), Params(w, c, bw, bc), Params(*grads)
    loss = train_range(entries, params, sums, 0, 1, eta, 1e9)
    assert loss == pytest.approx(
        entry_loss(before[0][0], before[1][1], before[2][0], before[3][1], 0.7, 0.4)
    )

    def numeric(which: int, idx) -> float:
        h = 1e-6
        out = []
        for sign in (1, -1):
            args = [a.copy() for a in before]
            args[which][idx] += sign * h
            out.append(entry_loss(args[0][0], args[1][1], args[2][0], args[3][1], 0.7, 0.4))
        return (out[0] - out[1]) / (2 * h)

    for k in range(d):
        assert (before[0][0, k] - w[0, k]) / eta == pytest.approx(numeric(0, (0, k)), rel=1e-5)
        assert (before[1][1, k] - c[1, k]) / eta == pytest.approx(numeric(1, (1, k)), rel=1e-5)
    # the reference steps the biases by the gradient itself (no eta)
    assert before[2][0] - bw[0] == pytest.approx(numeric(2, 0), rel=1e-5)
    assert before[3][1] - bc[1] == pytest.approx(numeric(3, 1), rel=1e-5)
    assert np.array_equal(w[1], before[0][1]) and np.array_equal(c[0], before[1][0])


def numpy_steps(rows, cols, logx, fx, w, c, bw, bc, gw, gc, gbw, gbc, eta, clip):
    """The reference C code's update (glove.c), one entry at a time, in NumPy (float64)."""
    loss = 0.0
    for t in range(rows.shape[0]):
        i, j = rows[t], cols[t]
        diff = w[i] @ c[j] + bw[i] + bc[j] - logx[t]
        loss += 0.5 * fx[t] * diff * diff
        g = fx[t] * diff
        g1 = np.clip(g * c[j], -clip, clip) * eta
        g2 = np.clip(g * w[i], -clip, clip) * eta
        w[i] -= g1 / np.sqrt(gw[i])
        c[j] -= g2 / np.sqrt(gc[j])
        gw[i] += g1**2
        gc[j] += g2**2
        bw[i] -= g / np.sqrt(gbw[i])
        bc[j] -= g / np.sqrt(gbc[j])
        gbw[i] += g * g
        gbc[j] += g * g
    return loss


def test_adagrad_steps_match_numpy():
    from wordvec.kernels.glove import Entries, Params, train_range

    rng = np.random.default_rng(1)
    v, d, n = 7, 5, 40
    rows, cols = rng.integers(0, v, n).astype(np.int32), rng.integers(0, v, n).astype(np.int32)
    logx = rng.uniform(0, 6, n).astype(np.float32)
    fx = rng.uniform(0.1, 1, n).astype(np.float32)
    state = [
        rng.standard_normal((v, d)),
        rng.standard_normal((v, d)),
        rng.standard_normal(v),
        rng.standard_normal(v),
    ] + [rng.uniform(1, 2, s) for s in ((v, d), (v, d), v, v)]
    ours = [a.astype(np.float32) for a in state]
    ref = [a.astype(np.float32).astype(np.float64) for a in state]
    clip = 0.3  # small enough that some gradients are clipped
    entries, params, sums = Entries(rows, cols, logx, fx), Params(*ours[:4]), Params(*ours[4:])
    got = train_range(entries, params, sums, 0, n, np.float32(0.05), np.float32(clip))
    want = numpy_steps(rows, cols, logx.astype(np.float64), fx.astype(np.float64), *ref, 0.05, clip)
    assert got == pytest.approx(want, rel=1e-4)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


def zipf_corpus(seed: int = 0, n: int = 600) -> list[list[str]]:
    return zipf_sentences(n, 120, 15, seed=seed)


SMALL = dict(vector_size=12, window=4, min_count=1, epochs=4, x_max=10.0)


def test_seeded_runs_are_bit_identical():
    cooc = Cooccurrence(window=4, weighting="harmonic", min_count=1).fit(zipf_corpus())
    a = GloVe(**SMALL, workers=2, seed=5).fit(cooc)
    b = GloVe(**SMALL, workers=1, seed=5).fit(cooc)
    c = GloVe(**SMALL, workers=2, seed=6).fit(cooc)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)  # deterministic mode: workers do not matter
    assert a.loss_history_ == b.loss_history_
    assert not np.array_equal(a.wv.vectors, c.wv.vectors)
    h1 = GloVe(**SMALL, workers=1, seed=5, deterministic=False).fit(cooc)
    h2 = GloVe(**SMALL, workers=1, seed=5, deterministic=False).fit(cooc)
    assert np.array_equal(h1.wv.vectors, h2.wv.vectors)
    # the corpus path and the Cooccurrence path are the same computation
    d = GloVe(**SMALL, workers=2, seed=5).fit(zipf_corpus())
    assert np.array_equal(a.wv.vectors, d.wv.vectors)


@pytest.mark.parametrize("deterministic", [True, False])
def test_loss_falls_and_every_entry_is_trained(deterministic):
    m = GloVe(**{**SMALL, "epochs": 6}, deterministic=deterministic).fit(zipf_corpus())
    assert len(m.loss_history_) == 6
    assert m.loss_history_[-1] < 0.7 * m.loss_history_[0]
    assert np.all(np.diff(m.loss_history_) < 0)
    # the layout holds every non-zero exactly once
    cooc = Cooccurrence(window=4, weighting="harmonic", min_count=1).fit(zipf_corpus())
    got = sorted(zip(m._rows.tolist(), m._cols.tolist(), strict=True))
    mat = cooc.matrix_.tocoo()
    assert got == sorted(zip(mat.row.tolist(), mat.col.tolist(), strict=True))


def test_vectors_are_w_plus_c_and_callbacks_can_stop():
    seen = []

    class Stop:
        def on_epoch_end(self, model, stats):
            seen.append((stats.epoch, stats.loss))
            if stats.epoch == 1:
                model.stop_training = True

    m = GloVe(**SMALL).fit(zipf_corpus(), callbacks=[Stop()])
    assert [e for e, _ in seen] == [0, 1]
    assert m.epochs_trained_ == 2
    assert [loss for _, loss in seen] == m.loss_history_
    np.testing.assert_array_equal(m.wv.vectors, m.W_ + m.C_)
    w = GloVe(**SMALL, add_context=False).fit(zipf_corpus())
    np.testing.assert_array_equal(w.wv.vectors, w.W_)


def test_save_load(tmp_path):
    m = GloVe(**SMALL).fit(zipf_corpus())
    m.save(tmp_path / "g.wv")
    n = GloVe.load(tmp_path / "g.wv")
    assert n.get_params() == m.get_params()
    assert n.loss_history_ == m.loss_history_
    assert np.array_equal(n.wv.vectors, m.wv.vectors)
    assert n.wv.most_similar("w0", topn=3) == m.wv.most_similar("w0", topn=3)


@pytest.mark.parametrize(
    ("corpus", "params", "match"),
    [
        ([["a"], ["b"], ["a"]], dict(window=1), "all zeros"),
        ([["a", "a", "a"]], dict(window=1), "vocabulary has 1 word"),
        ([["a", "b", "c"]] * 3, dict(window=8), "larger than any sentence"),
        ([["a", "b"]], dict(vector_size=0), "vector_size must be"),
        ([["a", "b"]], dict(x_max=0), "x_max must be"),
        ([["a", "b"]], dict(eta=-1), "eta must be"),
        ([["a", "b"]], dict(epochs=0), "epochs must be"),
        ([["a", "b"]], dict(deterministic="yes"), "deterministic must be"),
    ],
)
def test_bad_input(corpus, params, match):
    with pytest.raises(ValueError, match=match):
        GloVe(**{"min_count": 1, **params}).fit(corpus)


@pytest.mark.slow
def test_quality_floor_on_a_wiki_slice(tmp_path, wiki100m, wordsim353):
    from wordvec.vectors.evaluate import evaluate_word_pairs

    with wiki100m.open("rb") as f:
        raw = f.read(20_000_000)
    (tmp_path / "slice.txt").write_bytes(raw[: raw.rfind(b" ")])
    m = GloVe(vector_size=50, window=5, min_count=10, epochs=8, x_max=10.0, workers=2).fit(
        tmp_path / "slice.txt"
    )
    assert m.loss_history_[-1] < 0.5 * m.loss_history_[0]
    # calibrated on this slice: queen is the 8th neighbour of king, WS353 Spearman 0.348
    assert "queen" in [w for w, _ in m.wv.most_similar("king", topn=20)]
    ws = evaluate_word_pairs(m.wv, wordsim353).spearman
    assert ws > 0.30, ws
