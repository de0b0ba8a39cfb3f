"""KeyedVectors queries: hand-checked on 3-d vectors, against NumPy formulas, and against gensim."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from wordvec import FormatError, KeyedVectors
from wordvec.vectors import keyedvectors as kvmod
from wordvec.vectors.topk import top_indices

R2 = math.sqrt(2.0)
R3 = math.sqrt(3.0)


@pytest.fixture
def kv() -> KeyedVectors:
    # a = x, b = y, c = x + y (45 degrees from both), d = 2z (length 2), e = -x
    vectors = [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 2], [-1, 0, 0]]
    return KeyedVectors(list("abcde"), np.array(vectors, np.float32))


def words(rows):
    return [w for w, _ in rows]


def test_most_similar_by_hand(kv):
    rows = kv.most_similar("a", topn=4)
    # cos(a, c) = 1/sqrt2; b and d are orthogonal (tie: lower row first); e is opposite
    assert words(rows) == ["c", "b", "d", "e"]
    assert [s for _, s in rows] == pytest.approx([1 / R2, 0, 0, -1], abs=1e-6)
    assert kv.most_similar("a", topn=1) == [("c", pytest.approx(1 / R2))]
    assert kv.most_similar("a", topn=0) == []


def test_analogy_3cosadd_by_hand(kv):
    # mean of u_b + u_c - u_a = (1/sqrt2 - 1, 1 + 1/sqrt2, 0) / 3, length sqrt3 / 3
    rows = kv.most_similar(positive=["b", "c"], negative=["a"], topn=5)
    assert words(rows) == ["e", "d"]  # a, b, c are excluded
    assert rows[0][1] == pytest.approx((1 - 1 / R2) / R3, abs=1e-6)
    assert rows[1][1] == pytest.approx(0.0, abs=1e-6)


def test_weights_and_vectors_as_terms(kv):
    # (word, weight) pairs: u_a - 2 u_c = (1 - sqrt2, -sqrt2, 0) is nearest to e = -x.
    # As in gensim, a pair's weight replaces the +1/-1 of its list
    rows = kv.most_similar(positive=["a", ("c", -2.0)], topn=3)
    assert kv.most_similar(negative=[("c", -2.0)], positive=["a"], topn=3) == rows
    q = np.array([1 - R2, -R2, 0]) / math.sqrt((1 - R2) ** 2 + 2)
    assert rows == [
        ("e", pytest.approx(-q[0], abs=1e-6)),
        ("d", pytest.approx(0, abs=1e-6)),
        ("b", pytest.approx(q[1], abs=1e-6)),
    ]
    # a raw vector is a query, not a vocabulary word: nothing is excluded
    assert kv.similar_by_vector(np.array([0, 0, 5.0]), topn=1) == [("d", pytest.approx(1.0))]
    assert kv.most_similar(np.array([1.0, 0, 0]), topn=1)[0][0] == "a"


def test_cosmul_by_hand(kv):
    eps = 1e-6
    rows = kv.most_similar_cosmul(positive=["b", "c"], negative=["a"], topn=2)
    # s = (1 + cos) / 2. e: s(e,b) = 1/2, s(e,c) = (1 - 1/sqrt2)/2, s(e,a) = 0
    # d: all three cosines are 0, so 1/2 * 1/2 / (1/2 + eps)
    assert rows == [
        ("e", pytest.approx(0.5 * (1 - 1 / R2) / 2 / eps, rel=1e-4)),
        ("d", pytest.approx(0.25 / (0.5 + eps), rel=1e-6)),
    ]
    # no negative: the product over positives divided by 1 + eps, as gensim
    rows = kv.most_similar_cosmul("a", topn=1)
    assert rows == [("c", pytest.approx((1 + 1 / R2) / 2 / (1 + eps), rel=1e-6))]


def test_pairwise_by_hand(kv):
    assert kv.similarity("a", "c") == pytest.approx(1 / R2)
    assert kv.distance("a", "c") == pytest.approx(1 - 1 / R2)
    assert kv.similarity("a", "e") == pytest.approx(-1.0)
    # means of raw vectors: (a + b) / 2 is parallel to c
    assert kv.n_similarity(["a", "b"], ["c"]) == pytest.approx(1.0)
    assert kv.distances("a").tolist() == pytest.approx([0, 1, 1 - 1 / R2, 1, 2], abs=1e-6)
    assert kv.distances("a", ["b", "e"]).tolist() == pytest.approx([1, 2])
    assert kv.distances(np.array([0, 0, 1.0]), ["d"]).tolist() == pytest.approx([0], abs=1e-6)


def test_doesnt_match_closer_than_rank(kv):
    assert kv.doesnt_match(["a", "b", "c", "d"]) == "d"
    assert kv.closer_than("a", "b") == ["c"]  # strictly closer; a itself is left out
    assert kv.closer_than("a", "e") == ["b", "c", "d"]
    assert kv.words_closer_than("a", "e") == kv.closer_than("a", "e")
    assert kv.rank("a", "c") == 1
    assert kv.rank("a", "b") == 2
    assert kv.rank("a", "e") == 4


def test_mean_vector_gensim_semantics(kv):
    np.testing.assert_allclose(kv.get_mean_vector(["a", "b"]), [0.5, 0.5, 0])
    np.testing.assert_allclose(
        kv.get_mean_vector(["a", "b"], post_normalize=True), [1 / R2, 1 / R2, 0], rtol=1e-6
    )
    np.testing.assert_allclose(
        kv.get_mean_vector(["a", "c"], [1, -1]), [(1 - 1 / R2) / 2, -1 / R2 / 2, 0], rtol=1e-6
    )
    # words are normalised first, raw vectors are used as given
    np.testing.assert_allclose(kv.get_mean_vector(["d", np.array([0, 0, 3.0])]), [0, 0, 2])
    np.testing.assert_allclose(kv.get_mean_vector(["d"], pre_normalize=False), [0, 0, 2])
    assert kv.get_mean_vector(["a", "zzz"], ignore_missing=True).tolist() == [1, 0, 0]
    with pytest.raises(KeyError, match="zzz"):
        kv.get_mean_vector(["a", "zzz"])
    with pytest.raises(ValueError, match="no input"):
        kv.get_mean_vector([])


def test_restrict_vocab(kv):
    assert words(kv.most_similar("a", topn=10, restrict_vocab=3)) == ["c", "b"]
    assert words(kv.most_similar_cosmul("a", topn=10, restrict_vocab=2)) == ["b"]
    assert words(kv.similar_by_key("a", restrict_vocab=4)) == ["c", "b", "d"]
    with pytest.raises(ValueError, match="restrict_vocab"):
        kv.most_similar("a", restrict_vocab=0)


def test_batch_equals_single_queries(kv):
    got = kv.most_similar_batch(["a", "b", "e"], topn=3)
    assert got == [kv.most_similar(w, topn=3) for w in ["a", "b", "e"]]
    vecs = np.array([[0, 0, 1.0], [1, 1, 0]])
    got = kv.most_similar_batch(vecs, topn=2)
    assert got == [kv.similar_by_vector(v, topn=2) for v in vecs]
    assert kv.most_similar_batch([], topn=3) == []
    assert kv.most_similar_batch(["a"], topn=5, restrict_vocab=3) == [
        kv.most_similar("a", topn=5, restrict_vocab=3)
    ]


def test_errors_name_the_word(kv):
    for call in (
        lambda: kv.most_similar("zzz"),
        lambda: kv.most_similar(positive=["a"], negative=["zzz"]),
        lambda: kv.most_similar_cosmul("zzz"),
        lambda: kv.similarity("a", "zzz"),
        lambda: kv.n_similarity(["a"], ["zzz"]),
        lambda: kv.distances("zzz"),
        lambda: kv.doesnt_match(["a", "zzz"]),
        lambda: kv.rank("a", "zzz"),
        lambda: kv.closer_than("zzz", "a"),
        lambda: kv.most_similar_batch(["a", "zzz"]),
        lambda: kv["zzz"],
    ):
        with pytest.raises(KeyError, match="'zzz'"):
            call()


def test_argument_errors(kv):
    with pytest.raises(ValueError, match="topn"):
        kv.most_similar("a", topn=None)  # no array-returning mode: use distances()
    with pytest.raises(ValueError, match="topn"):
        kv.most_similar("a", topn=-1)
    with pytest.raises(ValueError, match="no input"):
        kv.most_similar()
    with pytest.raises(ValueError, match="no input"):
        kv.most_similar_cosmul(negative=["a"])
    with pytest.raises(ValueError, match="shape"):
        kv.similar_by_vector(np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        kv.n_similarity([], ["a"])


def test_zero_vector_stays_zero():
    kv = KeyedVectors(["a", "z"], np.array([[1, 0], [0, 0]], np.float32))
    assert kv.unit_vectors[1].tolist() == [0, 0]
    assert kv.most_similar("a") == [("z", 0.0)]


def test_unit_vectors_cached_and_refreshed(kv):
    u = kv.unit_vectors
    assert kv.unit_vectors is u
    kv.vectors[0] = [0, 3, 0]
    kv.fill_norms(force=True)
    assert kv.unit_vectors[0].tolist() == [0, 1, 0]
    np.testing.assert_allclose(kv.norms, [3, 1, R2, 2, 1], rtol=1e-6)


@pytest.mark.parametrize("n", [1, 5, 1000, 5000, 70_000])
@pytest.mark.parametrize("k", [1, 3, 11, 200])
def test_top_indices_matches_a_full_sort(n, k):
    rng = np.random.default_rng(n + k)
    scores = rng.standard_normal(n).astype(np.float32)
    scores[rng.integers(0, n, n // 3)] = 0.5  # many ties
    expected = np.lexsort((np.arange(n), -scores))[:k]  # best first, ties by lower index
    assert top_indices(scores, k).tolist() == expected.tolist()


def test_numba_kernel_path_equals_numpy(kv, monkeypatch):
    rng = np.random.default_rng(0)
    big = KeyedVectors([f"w{i}" for i in range(3000)], rng.standard_normal((3000, 40)))
    expected = big.most_similar("w7", topn=20)
    monkeypatch.setattr(kvmod, "_KERNEL_MIN", 1)  # force the Numba row-dot kernel
    got = big.most_similar("w7", topn=20)
    assert words(got) == words(expected)
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)


def test_query_does_not_copy_the_matrix():
    rng = np.random.default_rng(0)
    n, d = 100_000, 64  # 25.6 MB of vectors
    kv = KeyedVectors([f"w{i}" for i in range(n)], rng.standard_normal((n, d), np.float32))
    kv.fill_norms()
    kv.most_similar("w1")  # compile / warm up
    tracemalloc.start()
    try:
        kv.most_similar("w2", topn=10)
        kv.most_similar_cosmul(["w2", "w3"], ["w4"], topn=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < kv.unit_vectors.nbytes / 8  # a few score vectors of n floats, no (n, d) copy


# -- against gensim -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pair():
    gensim_kv = pytest.importorskip("gensim.models").KeyedVectors
    rng = np.random.default_rng(42)
    words_ = [f"w{i}" for i in range(300)]
    vectors = rng.standard_normal((300, 12)).astype(np.float32)
    vectors[:50] *= 3  # unequal lengths: normalisation matters
    g = gensim_kv(12)
    g.add_vectors(words_, vectors)
    return KeyedVectors(words_, vectors), g


def same_rows(ours, theirs, atol=1e-5):
    assert words(ours) == words(theirs)
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-4, atol=atol)


def test_most_similar_matches_gensim(pair):
    kv, g = pair
    for pos, neg in [(["w1"], []), (["w2", "w3"], ["w4"]), (["w5"], ["w6", "w7"])]:
        same_rows(kv.most_similar(pos, neg, topn=15), g.most_similar(pos, neg, topn=15))
        same_rows(
            kv.most_similar(pos, neg, topn=15, restrict_vocab=100),
            g.most_similar(pos, neg, topn=15, restrict_vocab=100),
        )
    v = kv.vectors[10] + kv.vectors[11]
    same_rows(kv.similar_by_vector(v, topn=5), g.similar_by_vector(v, topn=5))
    same_rows(kv.most_similar(["w1", v], topn=5), g.most_similar(["w1", v], topn=5))


@pytest.mark.filterwarnings("ignore:.*init_sims:DeprecationWarning")
def test_cosmul_matches_gensim(pair):
    kv, g = pair
    for pos, neg in [(["w1"], []), (["w2", "w3"], ["w4"]), (["w5"], ["w6", "w7"])]:
        # gensim's scores divide by eps: compare relative values
        same_rows(
            kv.most_similar_cosmul(pos, neg, topn=15),
            g.most_similar_cosmul(pos, neg, topn=15),
            atol=0,
        )


def test_pairwise_queries_match_gensim(pair):
    kv, g = pair
    assert kv.similarity("w1", "w2") == pytest.approx(g.similarity("w1", "w2"), abs=1e-6)
    assert kv.distance("w1", "w2") == pytest.approx(g.distance("w1", "w2"), abs=1e-6)
    assert kv.n_similarity(["w1", "w2"], ["w3", "w60"]) == pytest.approx(
        g.n_similarity(["w1", "w2"], ["w3", "w60"]), abs=1e-6
    )
    np.testing.assert_allclose(kv.distances("w1"), g.distances("w1"), atol=1e-6)
    np.testing.assert_allclose(
        kv.distances("w1", ["w5", "w9"]), g.distances("w1", ["w5", "w9"]), atol=1e-6
    )
    group = ["w1", "w2", "w3", "w4", "w5", "w6"]
    assert kv.doesnt_match(group) == g.doesnt_match(group)
    assert kv.closer_than("w1", "w2") == g.closer_than("w1", "w2")
    assert kv.rank("w1", "w2") == g.rank("w1", "w2")
    np.testing.assert_allclose(
        kv.get_mean_vector(["w1", "w2"], [2, -1], post_normalize=True),
        g.get_mean_vector(["w1", "w2"], [2, -1], post_normalize=True),
        atol=1e-6,
    )


# -- save / load ----------------------------------------------------------------------------
def test_native_round_trip(tmp_path, kv):
    kv.counts = np.array([5, 4, 3, 2, 1])
    path = tmp_path / "v.wv"
    kv.save(path)
    for mmap in (False, True):
        back = KeyedVectors.load(path, mmap=mmap)
        assert back.index_to_key == kv.index_to_key
        assert back.vectors.tobytes() == kv.vectors.tobytes()
        assert back.counts.tolist() == [5, 4, 3, 2, 1]
        assert back.most_similar("a") == kv.most_similar("a")
    assert not KeyedVectors.load(path, mmap=True).vectors.flags.writeable  # a read-only map


def test_load_reads_a_saved_model(tmp_path):
    from wordvec import Word2Vec

    model = Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1)
    model.fit([["a", "b", "c", "a"]] * 20)
    model.save(tmp_path / "m.wv")
    kv = KeyedVectors.load(tmp_path / "m.wv")
    assert kv.index_to_key == model.wv.index_to_key
    assert kv.vectors.tobytes() == model.wv.vectors.tobytes()


def test_load_rejects_other_kinds(tmp_path):
    from wordvec.io import save_native

    save_native(tmp_path / "x.wv", {"kind": "something.Else"}, {"a": np.zeros(3)})
    with pytest.raises(FormatError, match="not word vectors"):
        KeyedVectors.load(tmp_path / "x.wv")
    save_native(
        tmp_path / "y.wv",
        {"kind": kvmod.KV_KIND, "words": ["a"]},
        {"vectors": np.zeros((2, 3), np.float32)},
    )
    with pytest.raises(FormatError, match="inconsistent"):
        KeyedVectors.load(tmp_path / "y.wv")


def test_word2vec_format_methods(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=True, limit=2)
    assert back.index_to_key == ["a", "b"]
    assert back.vectors.tobytes() == kv.vectors[:2].tobytes()
    kv.save_word2vec_format(tmp_path / "v.glove", write_header=False)
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.glove", no_header=True)
    assert back.vectors.tobytes() == kv.vectors.tobytes()
