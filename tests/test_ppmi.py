"""PPMI against a dense NumPy computation; the truncated SVD against NumPy's full SVD; the
model's vectors, save/load and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import topic_sentences
from wordvec.count.cooccurrence import Cooccurrence
from wordvec.count.ppmi import PPMI, ppmi_matrix, truncated_svd


def dense_ppmi(c: np.ndarray, cds: float, shift: float) -> np.ndarray:
    n_w = c.sum(axis=1, keepdims=True)
    n_c = c.sum(axis=0, keepdims=True) ** cds
    with np.errstate(divide="ignore"):
        pmi = np.log(c / n_w / (n_c / n_c.sum()))
    return np.maximum(pmi - np.log(shift), 0.0)


def random_counts(v: int = 30, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.poisson(2.0, (v, v)).astype(np.float64) * (rng.random((v, v)) < 0.4)
    c[0, 1] = 7.0  # no empty row or column
    c[:, 0] += 1.0
    c[0, :] += 1.0
    return c


@pytest.mark.parametrize(("cds", "shift"), [(1.0, 1.0), (0.75, 1.0), (0.75, 5.0)])
def test_ppmi_matches_dense_numpy(cds, shift):
    c = random_counts()
    got = ppmi_matrix(sp.csr_matrix(c), cds, shift)
    np.testing.assert_allclose(got.toarray(), dense_ppmi(c, cds, shift), rtol=1e-5, atol=1e-6)
    assert np.all(got.data > 0)


@pytest.mark.parametrize("solver", ["randomized", "arpack"])
def test_svd_reconstructs_a_low_rank_matrix(solver):
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((60, 5)) * [10, 8, 6, 4, 2]) @ rng.standard_normal((5, 50))
    u, s, vt = truncated_svd(sp.csr_matrix(a.astype(np.float32)), 5, solver, seed=3)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False)[:5], rtol=1e-4)
    np.testing.assert_allclose(u * s @ vt, a, atol=1e-3 * np.abs(a).max())
    assert np.all(np.diff(s) <= 0)


def test_randomized_svd_top_vectors_match_numpy_on_full_rank():
    c = random_counts(40, 2)
    m = ppmi_matrix(sp.csr_matrix(c))
    u, s, _ = truncated_svd(m, 3, "randomized", n_iter=8, seed=1)
    un, sn, _ = np.linalg.svd(m.toarray())
    np.testing.assert_allclose(s, sn[:3], rtol=1e-3)
    np.testing.assert_allclose(np.abs(np.sum(u * un[:, :3], axis=0)), 1.0, atol=1e-3)


def corpus(seed: int = 0) -> list[list[str]]:
    # two topics: words co-occur within their own group only
    return topic_sentences(200, seed=seed)


def test_model_vectors_follow_eig_and_context():
    c = Cooccurrence(window=3, weighting="dynamic", min_count=1).fit(corpus())
    base = dict(vector_size=4, sample=0.0, min_count=1)
    m0 = PPMI(eig=0.0, **base).fit(c)
    m1 = PPMI(eig=1.0, **base).fit(c)
    np.testing.assert_allclose(
        m1.wv.vectors, m0.wv.vectors * m0.singular_values_, rtol=1e-4, atol=1e-6
    )
    wc = PPMI(eig=0.5, add_context=True, **base).fit(c)
    assert wc.wv.vectors.shape == (16, 4)
    # the two topics separate: a word is closer to its own group
    assert m0.wv.similarity("a0", "a1") > m0.wv.similarity("a0", "b1")


def test_corpus_and_cooccurrence_inputs_agree(tmp_path):
    params = dict(window=3, weighting="dynamic", min_count=1, sample=0.0)
    a = PPMI(vector_size=3, **params).fit(corpus())
    b = PPMI(vector_size=3, **params).fit(Cooccurrence(**params).fit(corpus()))
    assert np.array_equal(a.wv.vectors, b.wv.vectors)  # seeded: the same bits
    path = tmp_path / "p.wv"
    a.save(path)
    c = PPMI.load(path)
    assert c.get_params() == a.get_params()
    assert c.wv.index_to_key == a.wv.index_to_key
    assert np.array_equal(c.wv.vectors, a.wv.vectors)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(vector_size=16), r"vector_size \(16\) must be smaller than the vocabulary"),
        (dict(vector_size=0), "vector_size must be"),
        (dict(cds=0), "cds must be"),
        (dict(shift=0.5), "shift must be"),
        (dict(eig=2), "eig must be"),
        (dict(svd_solver="lapack"), "svd_solver must be"),
    ],
)
def test_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        PPMI(**{"min_count": 1, "sample": 0.0, "window": 3, **params}).fit(corpus())


def test_all_zero_ppmi_is_refused():
    # every word with every other equally often: PMI is 0 everywhere, PPMI all zeros
    sents = [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]] * 3
    with pytest.raises(ValueError, match="all zeros"):
        PPMI(
            vector_size=1,
            window=2,
            min_count=1,
            sample=0.0,
            cds=1.0,
            weighting="uniform",
            shift=10.0,
        ).fit(sents)
