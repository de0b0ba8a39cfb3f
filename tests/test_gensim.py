"""wordvec.gensim and the gensim names on KeyedVectors: a gensim 4 script runs with only its
imports changed, the corpus readers yield what gensim's yield, the evaluation methods return
gensim's shapes and numbers, and on a real corpus slice the analogy accuracy is within a point
of gensim's."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from conftest import topic_sentences, write_corpus, zipf_sentences
from wordvec import gensim as wg
from wordvec.word2vec import model as wtrain

gensim_models = pytest.importorskip("gensim.models")


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A small two-topic corpus file, and analogy and word-pair files about it."""
    d = tmp_path_factory.mktemp("toy")
    write_corpus(d / "c.txt", topic_sentences(600, words=10), end="\n\n")
    (d / "q.txt").write_text(
        ": first\na0 a1 b0 b1\na2 a3 b2 b3\nzz a1 b0 b1\n: gram-x\nA4 a5 b4 b5\n"
    )
    (d / "p.tsv").write_text("a0\ta1\t9\na0\tb1\t1\nb2\tb3\t8\na4\tzz\t3\nb5\ta6\t2\n")
    return d


def test_a_gensim_script_runs_unchanged(toy, tmp_path):
    from wordvec.gensim import CallbackAny2Vec, KeyedVectors, LineSentence, Word2Vec

    class Logger(CallbackAny2Vec):
        def __init__(self):
            self.calls, self.losses = [], []

        def on_train_begin(self, model):
            self.calls.append("train_begin")

        def on_epoch_begin(self, model):
            self.calls.append("epoch_begin")

        def on_epoch_end(self, model):
            self.calls.append("epoch_end")
            self.losses.append(model.get_latest_training_loss())

        def on_train_end(self, model):
            self.calls.append("train_end")

    sentences = list(LineSentence(str(toy / "c.txt")))
    log = Logger()
    model = Word2Vec(
        sentences,
        vector_size=16,
        window=3,
        min_count=1,
        workers=2,
        epochs=3,
        compute_loss=True,
        callbacks=[log],
        seed=3,
    )
    assert log.calls == ["train_begin"] + ["epoch_begin", "epoch_end"] * 3 + ["train_end"]
    assert 0 < log.losses[0] < log.losses[1] < log.losses[2]  # a running total, as gensim
    assert model.get_latest_training_loss() == log.losses[-1]
    assert model.corpus_count == 600 and model.corpus_total_words == 7200
    wv = model.wv
    assert wv["a0"].shape == (16,) and wv[["a0", "b1"]].shape == (2, 16)
    assert wv.get_vecattr("a0", "count") == sentences_count(sentences, "a0")
    assert np.allclose(np.linalg.norm(wv.get_normed_vectors(), axis=1), 1, atol=1e-6)
    assert wv.has_index_for("a0") and not wv.has_index_for("zz")
    assert wv.most_similar("a0", topn=3)[0][0].startswith("a")
    # build_vocab + train as separate calls, then save/load and continue
    model = Word2Vec(vector_size=16, min_count=1, workers=1, seed=3)
    model.build_vocab(LineSentence(str(toy / "c.txt")))
    trained, raw = model.train(
        LineSentence(str(toy / "c.txt")), total_examples=model.corpus_count, epochs=2
    )
    assert raw == 2 * 7200 and 0 < trained <= raw
    model.save(str(tmp_path / "m.model"))
    again = Word2Vec.load(str(tmp_path / "m.model"))
    assert again.wv.vectors.tobytes() == model.wv.vectors.tobytes()
    more = [["a0", "new", "b1"]] * 20
    again.build_vocab(more, update=True)
    again.train(more, total_examples=len(more), epochs=again.epochs)
    assert again.wv.has_index_for("new") and len(again.wv) == 21
    model.wv.save(str(tmp_path / "v.kv"))
    assert KeyedVectors.load(str(tmp_path / "v.kv")).index_to_key == model.wv.index_to_key
    model.wv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    back = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    assert back.vectors.tobytes() == model.wv.vectors.tobytes()


def sentences_count(sentences, word):
    return sum(s.count(word) for s in sentences)


def test_corpus_file_and_train_on_another_corpus(toy):
    model = wg.Word2Vec(
        corpus_file=str(toy / "c.txt"), vector_size=8, min_count=1, epochs=1, workers=1
    )
    assert model.corpus_count == 600
    other = [["a0", "a1", "unknown"]] * 50
    model.train(other, total_examples=len(other), epochs=1)  # encoded with the model's words
    assert len(model.wv) == 20


@pytest.fixture(scope="module")
def zipf(tmp_path_factory):
    """300 sentences of 5 to 20 words drawn from 40 (3,641 tokens), as a list and a file."""
    sentences = zipf_sentences(300, 40, (5, 21))
    path = write_corpus(tmp_path_factory.mktemp("zipf") / "c.txt", sentences)
    return sentences, str(path)


@pytest.mark.parametrize(
    ("corpus", "total"),
    [(c, t) for c in ("sentences", "text8") for t in ("total_examples", "total_words")]
    + [("corpus_file", "total_words")],  # gensim needs total_words with a corpus_file
)
def test_save_load_then_train_as_gensim(zipf, tmp_path, corpus, total):
    """gensim's continue-training script: ``corpus_count`` and ``corpus_total_words`` survive
    ``save``/``load`` with gensim's values, and ``train`` given them trains the loaded model
    (its vectors move, the loss is reported, the raw words are gensim's)."""
    sentences, path = zipf
    results = {}
    for name, module in (("gensim", gensim_models), ("wordvec", wg)):
        reader = module.word2vec.Text8Corpus if name == "gensim" else module.Text8Corpus
        given = {
            "sentences": {"sentences": sentences},
            "corpus_file": {"corpus_file": path},
            "text8": {"sentences": reader(path, 1000)},
        }[corpus]
        own = {"max_sentence_length": 1000} if name == "wordvec" and corpus == "text8" else {}
        model = module.Word2Vec(
            **given, vector_size=8, min_count=1, epochs=1, workers=1, seed=2, **own
        )
        before = model.corpus_count, model.corpus_total_words
        model.save(str(tmp_path / f"{name}.model"))
        model = module.Word2Vec.load(str(tmp_path / f"{name}.model"))
        assert (model.corpus_count, model.corpus_total_words) == before
        vectors = model.wv.vectors.copy()
        count = {"total_examples": model.corpus_count, "total_words": model.corpus_total_words}
        _, raw = model.train(
            given.get("sentences"),
            corpus_file=given.get("corpus_file"),
            epochs=1,
            compute_loss=True,
            **{total: count[total]},
        )
        assert not np.array_equal(model.wv.vectors, vectors)
        assert model.get_latest_training_loss() > 0
        assert (model.corpus_count, model.corpus_total_words) == before
        results[name] = (*before, raw)
    assert results["wordvec"] == results["gensim"]  # (300 or 4, 3641, 3641)


def test_train_after_load_needs_no_training_report(zipf, tmp_path):
    """A model saved by wordvec's own estimator, or in a file from before the corpus sizes were
    kept, loads into the gensim class and trains; the old file's counts are unknown: 0."""
    from wordvec import Word2Vec, io

    sentences, path = zipf
    plain = Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1).fit(path)
    plain.save(tmp_path / "plain.model")
    assert Word2Vec.load(tmp_path / "plain.model").corpus_count == plain.corpus_count == 300
    head, arrays = io.load_native(tmp_path / "plain.model")
    del head["corpus"]
    io.save_native(tmp_path / "old.model", head, arrays)
    assert Word2Vec.load(tmp_path / "old.model").corpus_count == 0
    for name, count in (("plain", 300), ("old", 0)):
        model = wg.Word2Vec.load(str(tmp_path / f"{name}.model"))
        assert (model.corpus_count, model.corpus_total_words) == (count, 3641 if count else 0)
        assert model.total_train_time == 0.0
        vectors = model.wv.vectors.copy()
        trained, raw = model.train(sentences, total_examples=300, epochs=1, compute_loss=True)
        assert 0 < trained <= raw == 3641
        assert not np.array_equal(model.wv.vectors, vectors)
        assert model.get_latest_training_loss() > 0 and model.total_train_time > 0
        assert model.corpus_count == count  # train() leaves build_vocab's counts, as gensim
        model.train(corpus_file=path, epochs=1)


def test_gensim_errors(toy):
    model = wg.Word2Vec(vector_size=8, min_count=1)
    with pytest.raises(RuntimeError, match="build vocabulary"):
        model.train([["a"]], total_examples=1, epochs=1)
    model.build_vocab([["a", "b"]] * 5)
    with pytest.raises(ValueError, match="epochs"):
        model.train([["a", "b"]] * 5, total_examples=5)
    with pytest.raises(ValueError, match="total_examples or total_words"):
        model.train([["a", "b"]] * 5, epochs=1)
    for bad in ({"trim_rule": lambda *a: 1}, {"sorted_vocab": 0}, {"null_word": 1}):
        with pytest.raises(ValueError, match="does not support"):
            wg.Word2Vec(**bad)
    with pytest.raises(ValueError, match="not both"):
        wg.Word2Vec([["a"]], corpus_file=str(toy / "c.txt"))
    # wordvec's own estimator says where gensim's style lives, in one line
    with pytest.raises(ValueError, match=r"wordvec\.gensim") as e:
        wtrain.Word2Vec([["a", "b"]] * 5)
    assert "\n" not in str(e.value) and len(str(e.value)) < 300


def test_corpus_readers_yield_what_gensims_yield(tmp_path):
    from gensim.models import word2vec as gw

    text = "one two  three\n\nfour\n" + " ".join(f"w{i}" for i in range(25)) + "\n"
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text(text)
    (tmp_path / "d" / "b.txt.gz").write_bytes(gzip.compress(text.encode()))
    plain, packed = str(tmp_path / "d" / "a.txt"), str(tmp_path / "d" / "b.txt.gz")
    for kwargs in ({}, {"max_sentence_length": 7}, {"limit": 2}):
        assert list(wg.LineSentence(plain, **kwargs)) == list(gw.LineSentence(plain, **kwargs))
        assert list(wg.LineSentence(packed, **kwargs)) == list(gw.LineSentence(packed, **kwargs))
    assert list(wg.Text8Corpus(plain, 10)) == list(gw.Text8Corpus(plain, 10))
    folder = str(tmp_path / "d")
    assert list(wg.PathLineSentences(folder)) == list(gw.PathLineSentences(folder))


@pytest.fixture(scope="module")
def toy_model(toy):
    return wg.Word2Vec(
        corpus_file=str(toy / "c.txt"), vector_size=16, min_count=1, epochs=2, workers=1, seed=5
    )


def as_gensim(kv):
    g = gensim_models.KeyedVectors(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    for w in kv.index_to_key:
        g.set_vecattr(w, "count", kv.get_vecattr(w, "count"))
    return g


@pytest.mark.parametrize("cosmul", [False, True])
@pytest.mark.parametrize(("case", "dummy"), [(True, False), (False, False), (True, True)])
def test_evaluate_word_analogies_as_gensim(toy, toy_model, case, dummy, cosmul):
    fn = "most_similar_cosmul" if cosmul else "most_similar"
    ours = toy_model.wv.evaluate_word_analogies(
        toy / "q.txt",
        restrict_vocab=15,
        case_insensitive=case,
        dummy4unknown=dummy,
        similarity_function=fn,
    )
    theirs = as_gensim(toy_model.wv).evaluate_word_analogies(
        str(toy / "q.txt"),
        restrict_vocab=15,
        case_insensitive=case,
        dummy4unknown=dummy,
        similarity_function=fn,
    )
    assert ours[0] == pytest.approx(theirs[0])
    assert [s["section"] for s in ours[1]] == [s["section"] for s in theirs[1]]
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert a["correct"] == b["correct"] and a["incorrect"] == b["incorrect"]


@pytest.mark.parametrize("dummy", [False, True])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # gensim's use of scipy
def test_evaluate_word_pairs_as_gensim(toy, toy_model, dummy):
    ours = toy_model.wv.evaluate_word_pairs(toy / "p.tsv", dummy4unknown=dummy)
    theirs = as_gensim(toy_model.wv).evaluate_word_pairs(str(toy / "p.tsv"), dummy4unknown=dummy)
    assert ours[0][0] == pytest.approx(theirs[0][0], abs=1e-6)
    assert ours[1][0] == pytest.approx(theirs[1][0], abs=1e-6)
    assert ours[1][1] == pytest.approx(theirs[1][1], abs=1e-6)
    assert ours[2] == pytest.approx(theirs[2])


@pytest.mark.filterwarnings("ignore:Adding single vectors:UserWarning")  # gensim's advice
def test_add_vectors_as_gensim(toy_model):
    from wordvec import KeyedVectors

    kv = KeyedVectors(
        toy_model.wv.index_to_key, toy_model.wv.vectors.copy(), toy_model.wv.counts.copy()
    )
    g = as_gensim(kv)
    new = np.ones(16, np.float32)
    assert kv.add_vector("fresh", new) == g.add_vector("fresh", new) == 20
    g.add_vector("a0", new)  # present: both keep the old vector (gensim returns len(kv) then)
    assert kv.add_vector("a0", new) == kv.get_index("a0")
    keys, w = ["a1", "x", "y"], np.arange(48, dtype=np.float32).reshape(3, 16)
    kv.add_vectors(keys, w, replace=True)
    g.add_vectors(keys, w, replace=True)
    assert kv.index_to_key == g.index_to_key
    assert np.array_equal(kv.vectors, g.vectors)
    assert np.array_equal(kv[["x", "a1", 0]], g[["x", "a1", 0]])
    assert kv.most_similar("x", topn=2)[0][0] == g.most_similar("x", topn=2)[0][0]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_port_matches_gensim_on_a_real_slice(tmp_path, wiki100m, questions_words, wordsim353):
    """One gensim script under both imports on 10 MB of Wikipedia, seeds 1 and 2: mean analogy
    accuracy (all questions among the 30,000 most frequent words) within one point, mean
    WordSim within 0.06.

    Neither run is reproducible (gensim's threads race), so the slice must be large enough for
    the scores to mean something: on 4 MB and 3 epochs both scored under 1 % and rho under 0.15,
    and two gensim runs differed by more than the tolerance. On 10 MB and 5 epochs, seed 1, eight
    runs on one machine: gensim 2.97-3.55 %, wordvec 2.71-2.87 %, gaps -0.15 to -0.79 points
    (one run of one seed alone failed the tolerance once in 14); rho gaps -0.001 to -0.049. The
    mean of two seeds halves the spread."""
    with open(wiki100m, "rb") as f:
        (tmp_path / "slice.txt").write_bytes(f.read(10_000_000).rsplit(b" ", 1)[0])
    results = {}
    for name, module in (("gensim", gensim_models), ("wordvec", wg)):
        reader = module.word2vec.Text8Corpus if name == "gensim" else module.Text8Corpus
        runs = []
        for seed in (1, 2):
            model = module.Word2Vec(
                reader(str(tmp_path / "slice.txt")),
                vector_size=50,
                window=5,
                min_count=5,
                workers=2,
                epochs=5,
                seed=seed,
            )
            score, _ = model.wv.evaluate_word_analogies(questions_words, restrict_vocab=30000)
            pairs = model.wv.evaluate_word_pairs(wordsim353)
            runs.append((score, pairs[1][0]))
        results[name] = (
            np.mean([r[0] for r in runs]),
            np.mean([r[1] for r in runs]),
            model.corpus_count,
            len(model.wv),
        )
    (g_score, g_rho, g_count, g_vocab), (w_score, w_rho, w_count, w_vocab) = results.values()
    assert abs(w_score - g_score) <= 0.01, results
    assert abs(w_rho - g_rho) <= 0.06, results
    assert (w_count, w_vocab) == (g_count, g_vocab)
