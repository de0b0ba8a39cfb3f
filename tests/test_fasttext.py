"""The FastText estimator: every word gets a vector, files both ways (native and fastText's
.bin, against the fastText binding), determinism, continued training, bad parameters, and a
quality floor on a real slice."""

import numpy as np
import pytest

import wordvec
from wordvec import FastText, FastTextKeyedVectors
from wordvec.formats.fasttext import ngram_rows

QUERY = "a0b1"  # not a word of the corpus, made of its characters
SMALL = dict(vector_size=16, window=3, min_count=2, epochs=2, bucket=20_000, sample=0)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from conftest import topic_sentences, write_corpus

    path = tmp_path_factory.mktemp("ft") / "corpus.txt"
    write_corpus(path, topic_sentences(n_sentences=600, seed=3))
    return path


@pytest.fixture(scope="module")
def model(corpus):
    return FastText(sg=1, workers=1, **SMALL).fit(corpus)


def test_every_word_gets_the_mean_of_its_rows(model):
    wv = model.wv
    assert isinstance(wv, FastTextKeyedVectors)
    v = len(wv)
    word = wv.index_to_key[3]
    rows = [3, *ngram_rows(word, 3, 6, model.bucket, v).tolist()]
    np.testing.assert_allclose(wv[word], model.syn0_[rows].mean(axis=0), rtol=1e-6, atol=1e-7)
    oov = word + "ish"
    assert oov not in wv.key_to_index and oov in wv
    rows = ngram_rows(oov, 3, 6, model.bucket, v)
    np.testing.assert_allclose(wv[oov], model.syn0_[rows].mean(axis=0), rtol=1e-6, atol=1e-7)
    # every query answers an out-of-vocabulary word
    assert len(wv.most_similar(oov, topn=3)) == 3
    assert -1 <= wv.similarity(oov, word) <= 1
    assert wv.most_similar(positive=[oov, word], negative=[wv.index_to_key[5]], topn=2)
    assert wv.doesnt_match([oov, word, wv.index_to_key[7]]) in (oov, word, wv.index_to_key[7])
    assert wv.distances(oov, [word]).shape == (1,)
    assert len(wv.most_similar_batch([oov, word], topn=2)) == 2
    assert not wv.has_index_for(oov)


def test_a_word_of_unseen_characters_is_refused_clearly(model):
    with pytest.raises(KeyError, match="none of its characters"):
        model.wv["ЖЖЖ"]
    assert "ЖЖЖ" not in model.wv
    with pytest.raises(KeyError, match="none of its characters"):
        model.wv.most_similar("ЖЖЖ")


def test_no_subwords_is_a_word_model(corpus):
    m = FastText(min_n=0, max_n=0, sg=1, workers=1, **(SMALL | {"bucket": 0})).fit(corpus)
    assert m.syn0_.shape[0] == len(m.wv)
    np.testing.assert_array_equal(m.wv.vectors, m.syn0_)
    with pytest.raises(KeyError, match="no character n-grams"):
        m.wv["unseen"]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"min_n": 0, "max_n": 3}, "0 < min_n <= max_n"),
        ({"min_n": 5, "max_n": 3}, "0 < min_n <= max_n"),
        ({"min_n": -1}, "min_n must be"),
        ({"bucket": 0}, "bucket must be >= 1"),
        ({"bucket": -5}, "bucket must be"),
        ({"softmax": True, "negative": 0}, "softmax=True is not offered"),
        ({"device": "cuda"}, "device='cuda' is not"),
    ],
)
def test_impossible_parameters_are_one_clear_line(kw, match):
    with pytest.raises(ValueError, match=match):
        FastText(**kw)


@pytest.mark.parametrize(("sg", "workers"), [(1, 1), (0, 1), (1, 2), (0, 2), (1, 4)])
def test_seeded_deterministic_runs_are_bit_identical(corpus, sg, workers):
    kw = SMALL | {"round_words": 2000, "batch_words": 200}  # several rounds and hot merges
    a = FastText(sg=sg, workers=workers, deterministic=True, **kw).fit(corpus)
    b = FastText(sg=sg, workers=workers, deterministic=True, **kw).fit(corpus)
    np.testing.assert_array_equal(a.syn0_, b.syn0_)
    np.testing.assert_array_equal(a.syn1neg_, b.syn1neg_)
    assert a.loss_history_ == b.loss_history_


@pytest.mark.parametrize(("workers", "det"), [(1, False), (3, False), (2, True), (3, True)])
def test_every_mode_trains(corpus, workers, det):
    """Skip-gram and CBOW, NS and HS, Hogwild and replicas: the loss falls."""
    for kw in ({"sg": 1}, {"sg": 0}, {"sg": 1, "hs": 1, "negative": 0}):
        m = FastText(workers=workers, deterministic=det, **(SMALL | kw | {"epochs": 3})).fit(corpus)
        assert m.loss_history_[-1] < m.loss_history_[0] < 10, (kw, m.loss_history_)


def test_native_file_round_trip_and_vectors_loader(model, tmp_path):
    model.save(tmp_path / "m.wv")
    back = FastText.load(tmp_path / "m.wv")
    np.testing.assert_array_equal(back.syn0_, model.syn0_)
    np.testing.assert_array_equal(back.wv[QUERY], model.wv[QUERY])
    kv = wordvec.load_vectors(tmp_path / "m.wv", mmap=True)
    assert isinstance(kv, FastTextKeyedVectors)
    np.testing.assert_array_equal(kv[QUERY], model.wv[QUERY])
    model.wv.save(tmp_path / "kv.wv")
    kv = wordvec.load_vectors(tmp_path / "kv.wv")
    np.testing.assert_array_equal(kv.vectors, model.wv.vectors)


def test_continued_training_after_loading(model, corpus, tmp_path):
    model.save(tmp_path / "m.wv")
    back = FastText.load(tmp_path / "m.wv")
    back.build_vocab(corpus, update=True)
    back.train()
    assert back.loss_history_[-1] < model.loss_history_[0]


def test_fasttext_opens_what_wordvec_writes_and_back(model, tmp_path):
    fasttext = pytest.importorskip("fasttext", reason="the fastText binding (fasttext-wheel)")
    model.save(tmp_path / "m.bin")
    ft = fasttext.load_model(str(tmp_path / "m.bin"))
    words = model.wv.index_to_key[:200] + [w + "qz" for w in model.wv.index_to_key[:200]]
    for w in words:
        np.testing.assert_allclose(ft.get_word_vector(w), model.wv[w], rtol=1e-5, atol=1e-6)
    back = FastText.load(tmp_path / "m.bin")
    np.testing.assert_array_equal(back.syn0_, model.syn0_)
    np.testing.assert_array_equal(back.syn1neg_, model.syn1neg_)
    for w in words[::7]:
        np.testing.assert_allclose(back.wv[w], model.wv[w], rtol=1e-6, atol=1e-7)


def test_wordvec_opens_what_fasttext_writes(corpus, tmp_path):
    fasttext = pytest.importorskip("fasttext", reason="the fastText binding (fasttext-wheel)")
    ft = fasttext.train_unsupervised(
        str(corpus),
        model="skipgram",
        dim=8,
        epoch=1,
        minCount=2,
        bucket=5000,
        thread=1,
        verbose=0,
    )
    ft.save_model(str(tmp_path / "ft.bin"))
    m = FastText.load(tmp_path / "ft.bin")
    for w in [*ft.words[:100], QUERY, "b7a0"]:
        np.testing.assert_allclose(m.wv[w], ft.get_word_vector(w), rtol=1e-5, atol=1e-6)
    m.build_vocab(corpus, update=True)  # continue training it
    m.train()
    assert np.isfinite(m.loss_history_[-1])


@pytest.mark.slow
def test_quality_floor_an_unseen_inflection_finds_its_family(wiki100m, tmp_path):
    """10 MB of wiki100m: an inflection cut from the vocabulary (min_count) finds its stem's
    family among its neighbours, from its n-grams alone."""
    path = tmp_path / "slice.txt"
    with open(wiki100m, "rb") as f:
        path.write_bytes(f.read(10_000_000))
    m = FastText(vector_size=50, sg=1, workers=2, epochs=2, sample=1e-4, bucket=500_000)
    # Hogwild (the default): measured neighbours of "playings": brings, wings, meetings ...
    m.fit(path)
    assert "kingships" not in m.wv.key_to_index
    near = [w for w, _ in m.wv.most_similar("kingships", topn=10)]
    assert any(w.startswith("king") for w in near), near


class _FullCopies(FastText):
    """FastText whose replicas copy the whole input matrix (as Word2Vec's do)."""

    def _plan(self, copies, weights, cluster):
        return super()._plan(copies, weights, cluster)._replace(sparse=())


@pytest.mark.parametrize("workers", [2, 3])
def test_replicas_holding_only_the_rows_they_move_give_the_same_bits(corpus, workers):
    """Sparse replicas (the shared rows read, a moved row copied into the replica's store)
    against whole copies: the same arithmetic in the same order, so the same vectors."""
    kw = SMALL | {"round_words": 2000, "batch_words": 200, "deterministic": True}
    a = FastText(sg=1, workers=workers, **kw).fit(corpus)
    b = _FullCopies(sg=1, workers=workers, **kw).fit(corpus)
    np.testing.assert_array_equal(a.syn0_, b.syn0_)
    np.testing.assert_array_equal(a.syn1neg_, b.syn1neg_)


def test_word_pairs_with_unseen_words_are_skipped_or_scored_from_ngrams(model, tmp_path):
    """gensim's way (skip, the default) and the subword way (score from n-grams): the same
    in-vocabulary pairs, and the unseen ones added with the model's own cosines."""
    from wordvec.vectors.evaluate import evaluate_word_pairs

    words = model.wv.index_to_key
    lines = [f"{words[i]}\t{words[i + 1]}\t{i % 7}" for i in range(8)]
    lines += [f"{words[i]}b9\t{words[i + 2]}\t{i % 5}" for i in range(6)]  # unseen, known chars
    lines.append("ЖЖЖ\ta0\t3")  # nothing to give: out of vocabulary either way
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    skip = evaluate_word_pairs(model.wv, path)
    grams = evaluate_word_pairs(model.wv, path, oov="ngrams")
    assert (skip.pairs, skip.oov, skip.from_ngrams) == (8, 7, 0)
    assert (grams.pairs, grams.oov, grams.from_ngrams) == (14, 1, 6)
    assert grams.spearman != skip.spearman
    _, (spearman, _), oov_pct = model.wv.evaluate_word_pairs(path, oov="ngrams")
    assert spearman == pytest.approx(grams.spearman) and oov_pct == pytest.approx(100 / 15)
    with pytest.raises(ValueError, match="oov must be"):
        evaluate_word_pairs(model.wv, path, oov="guess")


def test_analogies_with_unseen_words_are_skipped_or_answered_from_ngrams(tmp_path):
    """gensim's way (skip, the default) and the subword way: a question word outside the
    cutoff takes the model's vector (its own beyond the cutoff, else its n-grams'), an expected
    word outside it is a wrong answer, a word with nothing learned leaves its question out;
    every answer as a NumPy reference finds it."""
    from conftest import zipf_sentences
    from wordvec.vectors.evaluate import evaluate_analogies

    kv = FastText(sg=1, workers=1, **SMALL).fit(zipf_sentences(3000, 300, 12, seed=5)).wv
    w, n = kv.index_to_key, 100
    assert len(w) >= 200
    unit = kv.unit_vectors[:n]

    def best(a, b, c):  # the NumPy reference: 3CosAdd among the first n, a, b, c excluded
        cos = np.stack([kv.get_vector(x, norm=True) for x in (a, b, c)]) @ unit.T
        s = (cos[1] + cos[2]) - cos[0]
        s[[kv.key_to_index[x] for x in (a, b, c) if kv.key_to_index.get(x, n) < n]] = -np.inf
        return w[int(s.argmax())]

    rng = np.random.default_rng(0)
    asked = [[w[j] for j in rng.choice(n, 3, replace=False)] for _ in range(90)]
    for i in range(20):
        asked[40 + i][0] = w[n + i]  # beyond the cutoff
        asked[60 + i][1] = w[i] + "x"  # from n-grams
    plain = [(*q, best(*q)) for q in asked[:40]]
    unseen = [(*q, best(*q)) for q in asked[40:80]]
    unseen += [(*q, w[n + i]) for i, q in enumerate(asked[80:])]  # expected: beyond the cutoff
    nothing = [("ЖЖЖ", w[1], w[2], w[3])]
    text = [": plain", *map(" ".join, plain), ": unseen", *map(" ".join, unseen + nothing)]
    path = tmp_path / "analogies.txt"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")

    skip = evaluate_analogies(kv, path, restrict_vocab=n)
    grams = evaluate_analogies(kv, path, restrict_vocab=n, oov="ngrams")
    assert (skip.total, skip.skipped, skip.from_ngrams) == (40, 51, 0)
    assert (grams.total, grams.skipped, grams.from_ngrams) == (90, 1, 50)
    assert skip.sections["plain"] == grams.sections["plain"] == (40, 40)
    assert grams.sections["unseen"] == (40, 50)  # the expected word beyond: never a candidate
    accuracy, sections = kv.evaluate_word_analogies(path, n, oov="ngrams")
    assert accuracy == pytest.approx(80 / 90)
    assert len(sections[-1]["incorrect"]) == 10
    with pytest.raises(ValueError, match="oov must be"):
        evaluate_analogies(kv, path, restrict_vocab=n, oov="guess")
