"""Noise-contrastive estimation through the estimator: parameters, what it learns, the files and
runs it makes. (The kernel against its reference and its gradient: tests/test_kernels.py.)"""

import numpy as np
import pytest

from wordvec import Callback, Word2Vec
from wordvec.corpus.vocab import noise_log_probs

PARAMS = dict(
    vector_size=16, min_count=1, epochs=3, workers=1, seed=3, sg=1, nce=True, batch_words=500
)


@pytest.fixture(scope="module")
def patterned(tmp_path_factory):
    """Sentences of fixed word patterns over a Zipf background: 'a{i} b{i} c{i}' always occur
    together, so ``c{i}`` is what the context (a{i}, b{i}) predicts."""
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(3000):
        bg = [f"w{j}" for j in rng.zipf(1.5, 8) % 200]
        i = int(rng.integers(20))
        at = int(rng.integers(len(bg)))
        lines.append(" ".join([*bg[:at], f"a{i}", f"b{i}", f"c{i}", *bg[at:]]))
    path = tmp_path_factory.mktemp("nce") / "c.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"hs": 1}, "cannot be combined with hs=1"),
        ({"negative": 0}, "needs negative > 0"),
        ({"negative": 0, "softmax": True}, "nce=True replaces negative sampling"),
    ],
)
def test_impossible_combinations_are_refused_in_one_line(change, says):
    with pytest.raises(ValueError, match=says) as e:
        Word2Vec(**{**PARAMS, **change})
    assert "\n" not in str(e.value)


def test_the_command_line_takes_nce_and_refuses_it_with_hs(tmp_path, patterned, capsys):
    from wordvec.cli import main

    out = tmp_path / "m.wv"
    assert (
        main(
            [
                "train",
                str(patterned),
                "-o",
                str(out),
                "--nce",
                "--epochs",
                "1",
                "--vector-size",
                "8",
                "--min-count",
                "1",
            ]
        )
        == 0
    )
    assert Word2Vec.load(out).nce
    assert main(["train", str(patterned), "-o", str(tmp_path / "x.wv"), "--nce", "--hs", "1"]) == 2
    assert "nce=True replaces negative sampling" in capsys.readouterr().err
    assert not (tmp_path / "x.wv").exists()


def test_biases_start_at_the_noise_distribution_and_learn(patterned):
    model = Word2Vec(**{**PARAMS, "epochs": 1}).build_vocab(patterned)
    np.testing.assert_allclose(
        model.nce_bias_, noise_log_probs(model.vocab_.counts, 0.75), rtol=1e-6
    )
    start = model.nce_bias_.copy()
    model.train()
    assert model.nce_bias_.dtype == np.float32 and model.nce_bias_.shape == (len(model.wv),)
    assert np.abs(model.nce_bias_ - start).max() > 0.05


@pytest.mark.parametrize("sg", [1, 0])
def test_predicts_the_word_its_context_always_comes_with(patterned, sg):
    """The output layer learns p(w | context): given a{i}, the three words of its pattern
    come first (a{i} too: its three words share their contexts, so the same vectors)."""
    model = Word2Vec(**{**PARAMS, "sg": sg, "epochs": 8, "vector_size": 24}).fit(patterned)
    trio = lambda i: {f"a{i}", f"b{i}", f"c{i}"}  # noqa: E731
    hits = sum(
        {w for w, _ in model.predict_output_word([f"a{i}"], topn=3)} == trio(i) for i in range(20)
    )
    assert hits >= 18
    p = model.predict_output_word(["a3", "b3"], topn=len(model.wv))
    assert sum(q for _, q in p) == pytest.approx(1.0)


def test_scores_sentences_and_the_pattern_scores_higher(patterned):
    model = Word2Vec(**{**PARAMS, "epochs": 8}).fit(patterned)
    seen, shuffled = model.score([["a1", "b1", "c1"], ["c1", "a7", "b4"]])
    assert np.isfinite([seen, shuffled]).all() and seen > shuffled
    ns = Word2Vec(**{**PARAMS, "nce": False, "epochs": 1}).fit(patterned)
    with pytest.raises(ValueError, match="NCE"):
        ns.score([["a1", "b1"]])


def test_loss_is_the_nce_objective_and_falls(patterned):
    """Untrained, every score is the prior log-odds -log k, and the NCE loss per pair is
    -log s(-log k) - k log(1 - s(-log k)) = log(1 + k) + k log(1 + 1/k) (2.70 for k = 5): the
    first epoch ends below it, and training goes on lowering it."""
    model = Word2Vec(**{**PARAMS, "epochs": 5}).fit(patterned)
    losses = model.loss_history_
    k = model.negative
    assert losses[0] < np.log1p(k) + k * np.log1p(1 / k)
    assert losses[-1] < losses[1] < losses[0] - 0.05, losses


def test_save_load_and_resume_keep_the_biases(tmp_path, patterned):
    params = {**PARAMS, "workers": 2, "round_words": 2000, "epochs": 2}
    full = Word2Vec(**params).fit(patterned)
    again = Word2Vec(**params).fit(patterned)  # deterministic with two workers, biases merged
    assert np.array_equal(full.nce_bias_, again.nce_bias_)
    assert np.array_equal(full.wv.vectors, again.wv.vectors)
    full.save(tmp_path / "m.wv")
    loaded = Word2Vec.load(tmp_path / "m.wv")
    assert np.array_equal(loaded.nce_bias_, full.nce_bias_)
    assert loaded.predict_output_word(["a2", "b2"]) == full.predict_output_word(["a2", "b2"])

    class StopAfterFirst(Callback):
        def on_epoch_end(self, model, stats):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Word2Vec(**params).fit(
            patterned, callbacks=[StopAfterFirst()], checkpoint=tmp_path / "run.ckpt"
        )
    resumed = Word2Vec.resume(tmp_path / "run.ckpt", patterned)
    assert np.array_equal(resumed.nce_bias_, full.nce_bias_)
    assert np.array_equal(resumed.wv.vectors, full.wv.vectors)


def test_continued_training_gives_new_words_a_bias(tmp_path, patterned):
    model = Word2Vec(**{**PARAMS, "epochs": 1}).fit(patterned)
    old = dict(zip(model.wv.index_to_key, model.nce_bias_, strict=True))
    more = tmp_path / "more.txt"
    more.write_text("brandnew a1 b1 c1 brandnew\n" * 20)
    model.build_vocab(more, update=True)
    assert len(model.nce_bias_) == len(model.wv) and "brandnew" in model.wv
    assert all(model.nce_bias_[model.wv.get_index(w)] == b for w, b in old.items())
    new = noise_log_probs(model.vocab_.counts, 0.75)[model.wv.get_index("brandnew")]
    assert model.nce_bias_[model.wv.get_index("brandnew")] == pytest.approx(new, rel=1e-6)
    model.train()
    assert np.isfinite(model.nce_bias_).all()


@pytest.mark.slow
def test_nce_loss_falls_on_a_real_slice(tmp_path, wiki100m):
    """10 MB of Wikipedia (on 2 MB and 3 epochs the loss per pair rose, 2.61, 2.65, 2.66,
    however many workers: a tenth of the biases' learning rate made it fall, and did not
    change the end)."""
    with open(wiki100m, "rb") as f:
        (tmp_path / "slice.txt").write_bytes(f.read(10_000_000).rsplit(b" ", 1)[0])
    model = Word2Vec(vector_size=50, sg=1, nce=True, epochs=3, workers=2, sample=1e-4, seed=1).fit(
        tmp_path / "slice.txt"
    )
    losses = model.loss_history_
    assert losses[0] > losses[1] > losses[2], losses
