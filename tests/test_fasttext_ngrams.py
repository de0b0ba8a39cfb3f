"""Character n-grams and their rows, against fastText itself (its Python binding, a test-only
dependency: skipped without it) and against the published FNV-1a test vectors."""

import numpy as np
import pytest

from wordvec.formats.fasttext import fasttext_hash, ngram_rows, ngrams

WORDS = ["the", "a", "quick", "café", "naïve", "Straße", "東京", "日本語", "😀", "e😀x", "ok"]
UNSEEN = ["unseenword", "cafés", "東京都", "😀😀", "x"]


def test_fnv1a_on_ascii_is_the_standard_one():
    """On ASCII bytes the hash is plain 32-bit FNV-1a (its published test vectors)."""
    assert fasttext_hash(b"") == 0x811C9DC5
    assert fasttext_hash(b"a") == 0xE40C292C
    assert fasttext_hash(b"foobar") == 0xBF9CF968


def test_bytes_from_0x80_are_sign_extended_as_fasttext_does():
    """fastText xors each byte as a signed char: the UTF-8 of 'é' (c3 a9) hashes otherwise
    than unsigned FNV-1a would."""
    h = 0x811C9DC5
    for b in "é".encode():
        h = ((h ^ (b - 256 if b >= 0x80 else b) & 0xFFFFFFFF) * 0x01000193) & 0xFFFFFFFF
    assert fasttext_hash("é".encode()) == h
    unsigned = 0x811C9DC5
    for b in "é".encode():
        unsigned = ((unsigned ^ b) * 0x01000193) & 0xFFFFFFFF
    assert h != unsigned


def test_ngrams_of_a_word():
    assert ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    assert ngrams("ab", 1, 2) == ["<a", "a", "ab", "b", "b>"]  # no "<" or ">" alone
    assert ngrams("東京", 2, 2) == ["<東", "東京", "京>"]  # whole characters, never a byte
    assert ngrams("word", 3, 0) == [] and ngrams("word", 0, 0) == []
    assert ngram_rows("word", 3, 6, 0, 10).shape == (0,)


@pytest.fixture(scope="module", params=[(3, 6, 2_000_000), (1, 3, 1000), (2, 2, 7)])
def fasttext_model(request, tmp_path_factory):
    fasttext = pytest.importorskip("fasttext", reason="the fastText binding (fasttext-wheel)")
    min_n, max_n, bucket = request.param
    path = tmp_path_factory.mktemp("ft") / "corpus.txt"
    path.write_text(" ".join(WORDS * 50) + "\n", encoding="utf-8")
    model = fasttext.train_unsupervised(
        str(path), model="skipgram", dim=4, epoch=1, minCount=1, minn=min_n, maxn=max_n,
        bucket=bucket, thread=1, verbose=0,
    )  # fmt: skip
    return model, min_n, max_n, bucket


@pytest.mark.parametrize("word", WORDS + UNSEEN)
def test_ngrams_and_rows_equal_fasttexts(fasttext_model, word):
    model, min_n, max_n, bucket = fasttext_model
    subwords, ids = model.get_subwords(word)
    n_words = len(model.words)
    known = model.get_word_id(word) >= 0
    if known:  # fastText lists the word itself first, with its own row
        assert subwords[0] == word and ids[0] == model.get_word_id(word)
        subwords, ids = subwords[1:], ids[1:]
    assert ngrams(word, min_n, max_n) == list(subwords)
    np.testing.assert_array_equal(ngram_rows(word, min_n, max_n, bucket, n_words), ids)
