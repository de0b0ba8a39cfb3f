"""predict_output_word and score_sentence: by hand, against slow loops, and against gensim."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from wordvec import KeyedVectors, Word2Vec
from wordvec.core.huffman import build_huffman
from wordvec.word2vec import predict as P


def model(
    words,
    vectors,
    counts=None,
    *,
    syn1neg=None,
    syn1=None,
    hs=0,
    negative=0,
    softmax=False,
    sg=1,
    cbow_mean=1,
    window=2,
):
    """The attributes of a trained Word2Vec that the functions read."""
    counts = np.arange(len(words), 0, -1) if counts is None else np.asarray(counts)
    f32 = lambda a: None if a is None else np.asarray(a, np.float32)  # noqa: E731
    return SimpleNamespace(
        wv=KeyedVectors(words, f32(vectors), counts),
        vocab_=SimpleNamespace(counts=counts),
        syn1neg_=f32(syn1neg),
        syn1_=f32(syn1),
        hs=hs,
        negative=negative,
        softmax=softmax,
        sg=sg,
        cbow_mean=cbow_mean,
        window=window,
    )


def layer(m):
    """The model's output layer (rebuilt at each call: the tests change the attributes)."""
    if isinstance(m, Word2Vec):
        return m.output_layer()
    tree = build_huffman(np.asarray(m.vocab_.counts)) if m.hs else None
    return P.OutputLayer(
        syn1neg=m.syn1neg_ if m.negative else None,
        syn1=m.syn1_,
        tree=tree,
        softmax=m.softmax,
        sg=m.sg,
        window=m.window,
        cbow_mean=m.cbow_mean,
    )


def predict_output_word(m, *args, **kwargs):
    return P.predict_output_word(m.wv, layer(m), *args, **kwargs)


def score_sentence(m, *args):
    return P.score_sentence(m.wv, layer(m), *args)


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


# -- by hand ------------------------------------------------------------------------------------
def test_negative_sampling_by_hand():
    # h = the context vector (1, 0); output scores 0, ln 2, ln 3 -> p = 1/6, 2/6, 3/6
    m = model(
        ["a", "b", "c"],
        [[1, 0], [0, 1], [0, 0]],
        negative=5,
        syn1neg=[[0, 0], [math.log(2), 5], [math.log(3), -5]],
    )
    rows = predict_output_word(m, ["a"], topn=3)
    assert [w for w, _ in rows] == ["c", "b", "a"]
    assert [p for _, p in rows] == pytest.approx([1 / 2, 1 / 3, 1 / 6])
    # the mean of a and (a + 2 b) is (1, 1): scores 0, ln2 + 5, ln3 - 5
    m.wv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [1, 2], [0, 0]], np.float32))
    z = np.array([0, math.log(2) + 5, math.log(3) - 5])
    p = np.exp(z) / np.exp(z).sum()
    assert predict_output_word(m, ["a", "b", "unknown"], topn=1) == [("b", pytest.approx(p[1]))]
    m.cbow_mean = 0  # the sum (2, 2): scores doubled, a (score 0) now before c (2 ln3 - 10)
    p = np.exp(2 * z) / np.exp(2 * z).sum()
    assert predict_output_word(m, ["a", "b"], topn=2)[1] == ("a", pytest.approx(p[0]))


def test_hierarchical_softmax_two_words_by_hand():
    # two words, one inner node; the rarer word b takes branch 0 (C label 1): p(b|h) = s(f)
    tree = build_huffman(np.array([5, 3]))
    assert tree.codes[:, 0].tolist() == [1, 0]
    m = model(["a", "b"], [[1, 0], [0, 1]], counts=[5, 3], hs=1, syn1=[[math.log(3), 0]])
    # h = (1, 0): f = ln 3, p(b) = 3/4, p(a) = 1/4
    assert predict_output_word(m, ["a"], topn=2) == [
        ("b", pytest.approx(0.75)),
        ("a", pytest.approx(0.25)),
    ]
    # skip-gram, window 1: log p(a | b) + log p(b | a); f(b) = u . (0, 1) = 0, f(a) = ln 3
    expected = math.log(1 - sigmoid(0)) + math.log(sigmoid(math.log(3)))
    assert score_sentence(m, ["a", "b"]) == pytest.approx(expected)
    m.sg = 0  # CBOW: each word predicted from the other alone
    assert score_sentence(m, ["a", "b"]) == pytest.approx(expected)


def test_full_softmax_by_hand():
    # p(. | h) = softmax(syn1 @ h): h = (1, 0) gives scores 0, ln 3: p = 1/4, 3/4
    m = model(["a", "b"], [[1, 0], [0, 1]], softmax=True, syn1=[[0, 0], [math.log(3), 0]])
    assert predict_output_word(m, ["a"], topn=2) == [
        ("b", pytest.approx(0.75)),
        ("a", pytest.approx(0.25)),
    ]
    # skip-gram: log p(b | a) + log p(a | b), and p(. | b) is uniform (h = (0, 1))
    assert score_sentence(m, ["a", "b"]) == pytest.approx(math.log(0.75) + math.log(0.5))


def test_errors():
    m = model(["a", "b"], [[1, 0], [0, 1]], negative=5, syn1neg=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="negative sampling"):
        score_sentence(m, ["a", "b"])
    with pytest.raises(KeyError, match="none of the context words"):
        predict_output_word(m, ["x", "y"])
    with pytest.raises(ValueError, match="topn"):
        predict_output_word(m, ["a"], topn=-1)
    m = model(["a", "b"], [[1, 0], [0, 1]], hs=1, syn1=np.zeros((1, 2)))
    with pytest.raises(KeyError, match="'zz'"):
        score_sentence(m, ["a", "zz"])
    assert score_sentence(m, ["a"]) == 0.0  # no context, nothing predicted
    assert score_sentence(m, []) == 0.0


# -- against slow references --------------------------------------------------------------------
def random_model(seed=0, v=40, d=6, **kw):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 1000, v))[::-1]
    words = [f"w{i}" for i in range(v)]
    out_rows = v if kw.get("softmax") else v - 1
    return model(
        words,
        rng.standard_normal((v, d)),
        counts,
        syn1=rng.standard_normal((out_rows, d)),
        syn1neg=rng.standard_normal((v, d)),
        **kw,
    )


def slow_log_p(m, h, w):
    """log p(w | h) one path node (or one softmax term) at a time."""
    if m.softmax:
        z = [float(np.dot(m.syn1_[o], h)) for o in range(len(m.wv))]
        return z[w] - math.log(sum(math.exp(x) for x in z))
    tree = build_huffman(m.vocab_.counts)
    total = 0.0
    for k in range(tree.lengths[w]):
        f = float(np.dot(m.syn1_[tree.points[w, k]], h))
        total += math.log(sigmoid(f if tree.codes[w, k] == 0 else -f))
    return total


def slow_score(m, words):
    ids = [m.wv.get_index(w) for w in words]
    x = m.wv.vectors.astype(np.float64)
    total = 0.0
    for i, target in enumerate(ids):
        ctx = [
            ids[j] for j in range(max(0, i - m.window), min(len(ids), i + m.window + 1)) if j != i
        ]
        if m.sg:
            total += sum(slow_log_p(m, x[c], target) for c in ctx)
        elif ctx:
            h = x[ctx].sum(axis=0) / (len(ctx) if m.cbow_mean else 1)
            total += slow_log_p(m, h, target)
    return total


@pytest.mark.parametrize("objective", ["hs", "softmax"])
@pytest.mark.parametrize(("sg", "cbow_mean"), [(1, 1), (0, 1), (0, 0)])
def test_score_sentence_matches_slow_loops(objective, sg, cbow_mean):
    m = random_model(
        hs=int(objective == "hs"),
        softmax=objective == "softmax",
        sg=sg,
        cbow_mean=cbow_mean,
        window=3,
    )
    sentence = [f"w{i}" for i in [0, 5, 5, 39, 12, 1, 7, 30, 2]]
    # float32 products (as training uses) against float64 loops
    assert score_sentence(m, sentence) == pytest.approx(slow_score(m, sentence), rel=1e-6)


@pytest.mark.parametrize("objective", ["hs", "softmax"])
def test_predicted_distribution_sums_to_one(objective):
    m = random_model(v=300, hs=int(objective == "hs"), softmax=objective == "softmax")
    rows = predict_output_word(m, ["w3", "w17"], topn=300)
    assert sum(p for _, p in rows) == pytest.approx(1.0)
    assert [p for _, p in rows] == sorted((p for _, p in rows), reverse=True)
    h = m.wv.vectors[[3, 17]].astype(np.float64).mean(axis=0)
    for w, p in rows[:5]:
        assert math.log(p) == pytest.approx(slow_log_p(m, h, m.wv.get_index(w)), abs=1e-5)


# -- real models --------------------------------------------------------------------------------
CORPUS = [
    ["the", "cat", "sat", "on", "the", "mat"],
    ["the", "dog", "sat", "on", "a", "log"],
    ["a", "cat", "and", "a", "dog"],
] * 30


@pytest.mark.parametrize(
    "params",
    [
        {"negative": 5},
        {"hs": 1, "negative": 0},
        {"softmax": True, "negative": 0},
    ],
)
def test_on_trained_wordvec_models(params):
    m = Word2Vec(vector_size=10, min_count=1, epochs=3, workers=1, sg=1, **params).fit(CORPUS)
    rows = predict_output_word(m, ["the", "sat"], topn=3)
    assert len(rows) == 3 and all(0 < p < 1 for _, p in rows)
    if params.get("negative"):
        with pytest.raises(ValueError, match="hierarchical softmax"):
            score_sentence(m, ["the", "cat"])
    else:
        s = score_sentence(m, ["the", "cat", "sat"])
        assert s < 0 and s == pytest.approx(slow_score(m, ["the", "cat", "sat"]), rel=1e-6)


@pytest.fixture
def gensim_w2v():
    return pytest.importorskip("gensim.models").Word2Vec


def test_predict_matches_gensim(gensim_w2v):
    g = gensim_w2v(CORPUS, vector_size=10, min_count=1, epochs=5, workers=1, seed=1, negative=5)
    m = model(g.wv.index_to_key, g.wv.vectors, syn1neg=g.syn1neg, negative=5)
    for context in (["cat", "sat"], ["the"], ["dog", "on", "mat", "zebra"]):
        ours = predict_output_word(m, context, topn=5)
        theirs = g.predict_output_word(context, topn=5)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([p for _, p in ours], [p for _, p in theirs], rtol=1e-5)


def gensim_log_sigmoid(z):
    """What gensim's score() adds per term: a 1000-entry float32 table of log sigmoid over
    [-6, 6), indexed with scale 1000 / 6 / 2 computed in C integers (83, not 83.3), and nothing
    for |z| >= 6. It is biased (by about -0.012 a term near 0), so gensim's scores are too."""
    x = np.arange(1000, dtype=np.float32)
    e = np.exp((x / np.float32(1000) * 2 - 1) * 6).astype(np.float32)
    table = np.log(e / (e + 1))
    inside = (z > -6) & (z < 6)
    index = ((np.where(inside, z, 0) + 6) * 83).astype(np.int64)
    return np.where(inside, table[index], 0.0)


@pytest.mark.parametrize(("sg", "cbow_mean"), [(1, 1), (0, 1), (0, 0)])
def test_score_matches_gensim(gensim_w2v, monkeypatch, sg, cbow_mean):
    from wordvec.word2vec import predict

    g = gensim_w2v(
        CORPUS,
        vector_size=10,
        min_count=1,
        epochs=5,
        workers=1,
        seed=1,
        hs=1,
        negative=0,
        sg=sg,
        cbow_mean=cbow_mean,
        window=2,
    )
    counts = np.array([g.wv.get_vecattr(w, "count") for w in g.wv.index_to_key])
    m = model(
        g.wv.index_to_key,
        g.wv.vectors,
        counts,
        syn1=g.syn1,
        hs=1,
        sg=sg,
        cbow_mean=cbow_mean,
        window=2,
    )
    # gensim's tree may break ties differently: give it ours (any tree defines a distribution)
    tree = build_huffman(counts)
    for w, i in g.wv.key_to_index.items():
        n = tree.lengths[i]
        g.wv.set_vecattr(w, "code", tree.codes[i, :n].astype(np.uint8))
        g.wv.set_vecattr(w, "point", tree.points[i, :n].astype(np.uint32))
    sentences = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "and", "a", "cat"]]
    theirs = g.score(sentences, total_sentences=2)
    exact = [score_sentence(m, s) for s in sentences]
    # with gensim's table in place of the exact log sigmoid, the same terms give its numbers
    monkeypatch.setattr(predict, "_log_sigmoid", gensim_log_sigmoid)
    for sentence, t, e in zip(sentences, theirs, exact, strict=True):
        assert score_sentence(m, sentence) == pytest.approx(float(t), rel=1e-5)
        assert e == pytest.approx(float(t), rel=0.05)  # and the exact score is near it
