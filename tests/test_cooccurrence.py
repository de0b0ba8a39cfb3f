"""Co-occurrence counts against a slow Python reference: every weighting and context mode,
subsampling, 1 and 2 workers (identical bits), tiny buffers (many runs), save/load, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import write_corpus, zipf_sentences
from wordvec.corpus.reader import CorpusError
from wordvec.count.cooccurrence import Cooccurrence


def make_corpus(seed: int = 0, n_sent: int = 60) -> list[list[str]]:
    """Zipf-like over w0..w39 (frequent and rare pairs both occur), sentences of 1 to 29 words."""
    return zipf_sentences(n_sent, 40, (1, 30), seed=seed)


def reference(sentences, words, window, weighting, context) -> np.ndarray:
    """Dense float64[V, V] counts, one pair at a time."""
    index = {w: i for i, w in enumerate(words)}
    out = np.zeros((len(words), len(words)))
    for sent in sentences:
        ids = [index[t] for t in sent if t in index]
        for p, i in enumerate(ids):
            for q, j in enumerate(ids):
                d = abs(p - q)
                if d == 0 or d > window:
                    continue
                if (context == "left" and q > p) or (context == "right" and q < p):
                    continue
                w = {"uniform": 1.0, "harmonic": 1.0 / d, "dynamic": (window - d + 1) / window}
                out[i, j] += w[weighting]
    return out


@pytest.mark.parametrize("weighting", ["uniform", "harmonic", "dynamic"])
@pytest.mark.parametrize("context", ["symmetric", "left", "right"])
def test_counts_match_reference(weighting, context):
    corpus = make_corpus()
    results = []
    for workers, mem in ((1, 1 << 30), (2, 1 << 30), (2, 1 << 20)):
        c = Cooccurrence(
            window=4,
            weighting=weighting,
            context=context,
            min_count=2,
            workers=workers,
            max_memory=mem,
        ).fit(corpus)
        ref = reference(corpus, c.words_, 4, weighting, context)
        np.testing.assert_allclose(c.matrix_.toarray(), ref, rtol=1e-6)
        assert c.matrix_.has_sorted_indices
        assert np.all(c.matrix_.data != 0)
        results.append(c.matrix_)
    for m in results[1:]:  # 1 or 2 workers, big or tiny table: the same bits
        assert np.array_equal(m.data, results[0].data)
        assert np.array_equal(m.indices, results[0].indices)
    if context == "symmetric":
        assert abs(results[0] - results[0].T).max() == 0


def test_tiny_dense_table_forces_overflow_runs(monkeypatch):
    """With a table of one cell per row most pairs go through the sorted runs and their merges."""
    import wordvec.count.cooccurrence as co

    corpus = make_corpus(1, 200)
    ref = Cooccurrence(window=3, min_count=1, workers=1).fit(corpus).matrix_
    monkeypatch.setattr(co, "dense_layout", lambda v, e: (np.ones(v, np.int64), np.arange(v)))
    monkeypatch.setattr(co, "CHUNK_TOKENS", 7)
    got = Cooccurrence(window=3, min_count=1, workers=2, max_memory=1 << 20).fit(corpus).matrix_
    assert np.array_equal(got.toarray(), ref.toarray())


def test_subsampling_is_seeded_and_drops_tokens():
    corpus = make_corpus(2, 200)
    full = Cooccurrence(window=3, min_count=1).fit(corpus).matrix_
    a = Cooccurrence(window=3, min_count=1, sample=1e-2, seed=3, workers=1).fit(corpus).matrix_
    b = Cooccurrence(window=3, min_count=1, sample=1e-2, seed=3, workers=2).fit(corpus).matrix_
    c = Cooccurrence(window=3, min_count=1, sample=1e-2, seed=4, workers=2).fit(corpus).matrix_
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0
    assert a.sum() < full.sum()


def test_file_corpus_equals_iterable(tmp_path):
    corpus = make_corpus(3)
    path = write_corpus(tmp_path / "c.txt", corpus)
    a = Cooccurrence(window=2, min_count=2).fit(corpus)
    b = Cooccurrence(window=2, min_count=2).fit(path)
    assert a.words_ == b.words_
    assert (a.matrix_ != b.matrix_).nnz == 0


@pytest.mark.parametrize("suffix", [".npz", ".wv"])
def test_save_load_round_trip(tmp_path, suffix):
    c = Cooccurrence(window=2, min_count=2, weighting="harmonic").fit(make_corpus())
    path = tmp_path / f"m{suffix}"
    c.save(path)
    d = Cooccurrence.load(path)
    assert d.words_ == c.words_
    assert np.array_equal(d.counts_, c.counts_)
    assert (d.matrix_ != c.matrix_).nnz == 0
    assert d.get_params() == c.get_params()


def test_load_refuses_other_files(tmp_path):
    from wordvec.io import FormatError

    bad = tmp_path / "x.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(FormatError, match="not a co-occurrence"):
        Cooccurrence.load(bad)


@pytest.mark.parametrize(
    ("corpus", "params", "match"),
    [
        ([["a", "b"], ["a", "b", "a"]], dict(window=5, min_count=1), "larger than any sentence"),
        ([["a"], ["b"], ["a"]], dict(window=1, min_count=1), "all zeros"),
        ([["a", "a", "a"]], dict(window=1, min_count=1), "vocabulary has 1 word"),
        ([["a", "b"]], dict(window=0), "window must be an integer >= 1"),
        ([["a", "b"]], dict(weighting="gaussian"), "weighting must be"),
        ([["a", "b"]], dict(context="both"), "context must be"),
        ([["a", "b"]], dict(sample=1.5), "sample must be"),
        ([["a", "b"]], dict(workers=0), "workers must be"),
        ([["a", "b"]], dict(min_count=5), "vocabulary is empty"),
        ([], dict(min_count=1), "corpus is empty"),
    ],
)
def test_bad_input_one_clear_error(corpus, params, match):
    with pytest.raises(ValueError, match=match):
        Cooccurrence(**params).fit(corpus)


def test_corpus_error_is_value_error():
    assert issubclass(CorpusError, ValueError)


def test_cli_count_based_commands(tmp_path, capsys):
    from wordvec.cli import main
    from wordvec.count.glove import GloVe
    from wordvec.count.ppmi import PPMI

    corpus = write_corpus(tmp_path / "c.txt", make_corpus(4, 200))
    common = ["--min-count", "1", "--window", "3", "--quiet"]
    assert main(["cooccur", str(corpus), "-o", str(tmp_path / "m.npz"), *common]) == 0
    assert Cooccurrence.load(tmp_path / "m.npz").matrix_.nnz > 0
    args = ["--vector-size", "5", "--sample", "0"]
    assert main(["ppmi", str(corpus), "-o", str(tmp_path / "p.wv"), *common, *args]) == 0
    assert PPMI.load(tmp_path / "p.wv").wv.vector_size == 5
    args = ["--vector-size", "5", "--epochs", "2"]
    assert main(["glove", str(corpus), "-o", str(tmp_path / "g.wv"), *common, *args]) == 0
    assert GloVe.load(tmp_path / "g.wv").epochs_trained_ == 2
    assert main(["glove", str(corpus), "-o", str(tmp_path / "g.txt"), *common, *args]) == 0
    assert (tmp_path / "g.txt").read_text().startswith("40 5\n")
    capsys.readouterr()
    # bad input: one line, exit 2, nothing written
    bad = ["ppmi", str(corpus), "-o", str(tmp_path / "bad.wv"), *common, "--vector-size", "99"]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must be smaller than the vocabulary" in err
    assert not (tmp_path / "bad.wv").exists()
    assert main(["glove", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "x.wv")]) == 2
    assert "no such corpus" in capsys.readouterr().err


def test_cli_cooccur_output_follows_the_one_suffix_rule(tmp_path, capsys):
    """``.npz``, or native under ``.wv``/no suffix (compressed after it); a ``.txt`` name, which
    would promise text, and any other suffix: one line, exit 2, nothing written."""
    from wordvec.cli import main

    corpus = write_corpus(tmp_path / "c.txt", make_corpus(5, 100))
    common = ["--min-count", "1", "--window", "3", "--quiet"]
    want = Cooccurrence(window=3, min_count=1).fit(corpus).matrix_
    for name in ("m.npz", "m.wv", "m", "m.wv.gz"):
        assert main(["cooccur", str(corpus), "-o", str(tmp_path / name), *common]) == 0
        assert (Cooccurrence.load(tmp_path / name).matrix_ != want).nnz == 0, name
    capsys.readouterr()
    for name in ("counts.txt", "counts.tsv", "counts.npz.gz", "counts.foo"):
        assert main(["cooccur", str(corpus), "-o", str(tmp_path / name), *common]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"as '{tmp_path / name}'" in err, err
        assert "must end in .npz (NumPy) or .wv, or have no suffix (native" in err
        assert not (tmp_path / name).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "m", "m.npz", "m.wv", "m.wv.gz"]
