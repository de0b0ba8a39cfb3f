"""Phrases: scores against the formulas, agreement with gensim, streaming, files, CLI, bad input."""

import gzip
import json
import math
import struct

import numpy as np
import pytest

from wordvec import FormatError
from wordvec.cli import main
from wordvec.corpus.phrases import ENGLISH_CONNECTOR_WORDS, Phrases
from wordvec.corpus.reader import CorpusError
from wordvec.io import load_native, save_native

# Hand-made corpus. Counts, by hand:
#   N = 15 tokens; new 4, york 4, is 2, big 2, city 3 (5 distinct words)
#   pairs: new york 3, york is 2, york city 2, is big 1, is new 1, big new 1 (6 distinct)
#   gensim's V = len(vocab) = 5 + 6 = 11
HAND = [
    ["new", "york", "is", "big"],
    ["new", "york", "city"],
    ["york", "is", "new"],
    ["big", "new", "york", "city"],
    ["city"],
]


def npmi(a, b, ab, n=15):
    return math.log((ab / n) / ((a / n) * (b / n))) / -math.log(ab / n)


HAND_SCORES = {
    # (ab - m) / (a * b) * V, with m = 1, V = 11
    "gensim": {
        "new_york": 2 / 16 * 11,
        "york_is": 1 / 8 * 11,
        "york_city": 1 / 12 * 11,
        "is_big": 0.0,
        "is_new": 0.0,
        "big_new": 0.0,
    },
    # (ab - m) / a / b * N, with m = 1, N = 15
    "word2phrase": {
        "new_york": 2 / 16 * 15,
        "york_is": 1 / 8 * 15,
        "york_city": 1 / 12 * 15,
        "is_big": 0.0,
        "is_new": 0.0,
        "big_new": 0.0,
    },
    "npmi": {
        "new_york": npmi(4, 4, 3),
        "york_is": npmi(4, 2, 2),
        "york_city": npmi(4, 3, 2),
        "is_big": npmi(2, 2, 1),
        "is_new": npmi(2, 4, 1),
        "big_new": npmi(2, 4, 1),
    },
}


@pytest.mark.parametrize("scoring", ["gensim", "word2phrase", "npmi"])
def test_scores_of_a_hand_made_corpus_match_the_formulas(scoring):
    model = Phrases(min_count=1, threshold=-1.0, scoring=scoring).fit(HAND)
    got = model.export_phrases()
    assert got.keys() == HAND_SCORES[scoring].keys()
    for phrase, score in HAND_SCORES[scoring].items():
        assert got[phrase] == pytest.approx(score, rel=1e-12, abs=1e-15), phrase
    assert [r[:2] for r in model.top_phrases(3)] == [
        ("new_york", 3),
        ("york_is", 2),
        ("york_city", 2),
    ]


def test_word2phrase_needs_every_count_at_least_min_count():
    # m = 2: is_big, is_new, big_new (seen once) are never phrases, even with threshold -1
    got = Phrases(min_count=2, threshold=-1.0, scoring="word2phrase").fit(HAND).export_phrases()
    assert got == pytest.approx({"new_york": 1 / 16 * 15, "york_is": 0.0, "york_city": 0.0})


def test_greedy_left_to_right_joining():
    # gensim scoring, m = 1: new_york 1.375 and york_is 1.375 pass 1.0; york_city 0.917 does not
    model = Phrases(min_count=1, threshold=1.0).fit(HAND)
    assert set(model.export_phrases()) == {"new_york", "york_is"}
    out = list(model.transform([*HAND, [], ["york", "is", "new", "york", "city"]]))
    assert out == [
        ["new_york", "is", "big"],  # new_york first: york is no longer free to join "is"
        ["new_york", "city"],
        ["york_is", "new"],
        ["big", "new_york", "city"],
        ["city"],
        [],
        ["york_is", "new_york", "city"],
    ]


def test_threshold_defaults_per_scoring():
    for scoring, default in [("word2phrase", 100.0), ("gensim", 10.0), ("npmi", 0.5)]:
        a = Phrases(min_count=1, scoring=scoring).fit(HAND).export_phrases()
        b = Phrases(min_count=1, scoring=scoring, threshold=default).fit(HAND).export_phrases()
        assert a == b


# -- agreement with gensim ----------------------------------------------------------------------
def random_corpus(seed):
    """Zipfian noise words, connector words, and planted phrases, in sentences of 0..20 tokens."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(int(rng.integers(20, 300)))] + ["the", "of", "a", "in"]
    p = 1 / np.arange(1, len(vocab) + 1)
    planted = [["new", "york"], ["bank", "of", "england"], ["new", "york", "city"], ["of", "the"]]
    sents = []
    for _ in range(int(rng.integers(300, 1500))):
        s = [str(w) for w in rng.choice(vocab, int(rng.integers(0, 20)), p=p / p.sum())]
        for _ in range(int(rng.integers(0, 3))):
            j = int(rng.integers(0, len(s) + 1))
            s[j:j] = planted[int(rng.integers(0, len(planted)))]
        sents.append(s)
    return sents


GENSIM_CASES = [
    # seed, connector words, min_count, scoring, threshold (each finds 3 to 700 phrases)
    (1, frozenset(), 2, "gensim", 1.0),
    (2, frozenset(), 5, "gensim", 10.0),
    (3, ENGLISH_CONNECTOR_WORDS, 1, "gensim", 3.0),
    (4, ENGLISH_CONNECTOR_WORDS, 2, "gensim", 1.0),
    (5, frozenset(), 2, "npmi", 0.3),
    (6, ENGLISH_CONNECTOR_WORDS, 3, "npmi", -0.2),
]


@pytest.mark.parametrize(("seed", "connectors", "min_count", "scoring", "threshold"), GENSIM_CASES)
def test_agrees_with_gensim(seed, connectors, min_count, scoring, threshold):
    gp = pytest.importorskip("gensim.models.phrases")
    sents = random_corpus(seed)
    params = dict(min_count=min_count, threshold=threshold, connector_words=connectors)
    gscoring = "default" if scoring == "gensim" else scoring
    g1 = gp.Phrases(sents, scoring=gscoring, **params)
    ours = Phrases(scoring=scoring, **params).fit(sents)
    expected, got = g1.export_phrases(), ours.export_phrases()
    assert len(got) > 0
    assert got.keys() == expected.keys()
    for phrase, score in expected.items():
        assert got[phrase] == pytest.approx(score, rel=1e-12), phrase
    assert list(ours.transform(sents)) == list(g1[sents])
    # two passes: gensim's second model learns from the output of its first
    g2 = gp.Phrases(g1[sents], scoring=gscoring, **params)
    ours2 = Phrases(scoring=scoring, passes=2, **params).fit(sents)
    assert list(ours2.transform(sents)) == list(g2[g1[sents]])


# -- streaming ----------------------------------------------------------------------------------
TRIGRAM_HEAD = (
    "we went to new york city by train\n"
    "  the city   of new    york city has\tparks \n\n"
    "york new city york new\n"
)


def trigram_text():
    """Noise words, "new york" in a quarter of the lines, "new york city" in another quarter."""
    rng = np.random.default_rng(7)
    lines = []
    for i in range(200):
        words = [f"w{j}" for j in rng.integers(0, 60, 8)]
        j = int(rng.integers(0, 9))
        words[j:j] = [["new", "york", "city"], ["new", "york"], [], []][i % 4]
        lines.append(" ".join(words) + "\n")
    return TRIGRAM_HEAD + "".join(lines)


TRIGRAM_TEXT = trigram_text()
TRIGRAM = dict(min_count=5, threshold=5.0, passes=2)


def test_streaming_trigrams_with_two_passes(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text(TRIGRAM_TEXT)
    model = Phrases(**TRIGRAM).fit(src)
    assert set(model.export_phrases()) == {"new_york", "york_city", "new_york_city"}
    assert [len(layer) for layer in model.layers_] == [2, 1]
    out = tmp_path / "out.txt"
    joined = model.transform_file(src, out)
    text = out.read_text()
    # bytes are kept as they were, except the whitespace inside a phrase
    assert text.startswith(
        "we went to new_york_city by train\n"
        "  the city   of new_york_city has\tparks \n\n"
        "york new city york new\n"
    )
    assert text.count("new_york_city") == 50 + 2
    assert text.count("new_york") == 100 + 2
    assert joined == 2 * 52 + 50
    # the file path and the iterable path agree, and a model can be fitted on the output
    sents = [line.split() for line in TRIGRAM_TEXT.splitlines()]
    assert list(model.transform(sents)) == [line.split() for line in text.splitlines()]
    assert len(Phrases(min_count=1).fit(out).export_phrases()) > 0


@pytest.mark.parametrize("block_bytes", [7, 64, 1000])
def test_small_blocks_give_the_same_output(tmp_path, block_bytes):
    src = tmp_path / "in.txt"
    src.write_text(TRIGRAM_TEXT.replace("\n", " ", 30))  # some long lines too
    model = Phrases(**TRIGRAM, connector_words=ENGLISH_CONNECTOR_WORDS).fit(src)
    whole, small = tmp_path / "a.txt", tmp_path / "b.txt"
    n_whole = model.transform_file(src, whole)
    n_small = model.transform_file(src, small, block_bytes=block_bytes)
    assert small.read_bytes() == whole.read_bytes()
    assert n_small == n_whole > 0


def test_compressed_and_directory_corpora(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a.txt").write_text("new york is big\nnew york")  # no final newline
    with gzip.open(d / "b.txt.gz", "wt") as f:
        f.write("new york city\n" * 5)
    model = Phrases(min_count=1, threshold=0.1).fit(d)
    assert "new_york" in model.export_phrases()
    model.transform_file(d, tmp_path / "out.txt.gz")
    with gzip.open(tmp_path / "out.txt.gz", "rt") as f:
        lines = f.read().splitlines()
    assert lines[:3] == ["new_york is big", "new_york", "new_york city"]
    assert len(lines) == 7


def test_unicode_words_and_a_longer_delimiter():
    sents = [["são", "paulo", "é", "grande"], ["em", "são", "paulo"]] * 5
    model = Phrases(min_count=1, threshold=0.0, delimiter="+-").fit(sents)
    assert "são+-paulo" in model.export_phrases()
    assert next(model.transform([["são", "paulo", "!"]])) == ["são+-paulo", "!"]


# -- kernels ------------------------------------------------------------------------------------
def test_sort_keys_matches_numpy():
    from wordvec.kernels import phrases as k

    rng = np.random.default_rng(0)
    for hi_max, lo_max in [(1, 0), (5, 3), (2**40, 7), (10**6, 2**50)]:
        hi = rng.integers(0, hi_max + 1, 5000)
        lo = rng.integers(0, lo_max + 1, 5000)
        order = np.lexsort((lo, hi))
        got_hi, got_lo = k.sort_keys(hi.copy(), lo.copy())
        np.testing.assert_array_equal(got_hi, hi[order])
        np.testing.assert_array_equal(got_lo, lo[order])
        got_hi, _ = k.sort_keys(hi.copy(), np.zeros(0, np.int64))
        np.testing.assert_array_equal(got_hi, np.sort(hi))


# -- files --------------------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path):
    sents = random_corpus(3)
    model = Phrases(min_count=2, threshold=2.0, passes=2, connector_words=ENGLISH_CONNECTOR_WORDS)
    model.fit(sents)
    a, b = tmp_path / "a.wv", tmp_path / "b.wv"
    model.save(a)
    loaded = Phrases.load(a)
    assert loaded.get_params() == model.get_params()
    assert loaded.export_phrases() == model.export_phrases()
    for x, y in zip(loaded.layers_, model.layers_, strict=True):
        assert x.words == y.words
        for name in ("first", "second", "inner", "count", "score"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
    assert list(loaded.transform(sents)) == list(model.transform(sents))
    loaded.save(b)
    assert a.read_bytes() == b.read_bytes()


def test_damaged_or_foreign_files_raise_format_error(tmp_path):
    model = Phrases(min_count=1, threshold=0.1).fit(HAND)
    good = tmp_path / "m.wv"
    model.save(good)
    data = good.read_bytes()

    header = json.loads(data[20 : 20 + struct.unpack_from("<Q", data, 12)[0]])
    at = header["data_start"] + header["arrays"]["0.score"]["offset"] + 3
    flipped = tmp_path / "flipped.wv"
    flipped.write_bytes(data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :])
    truncated = tmp_path / "truncated.wv"
    truncated.write_bytes(data[: len(data) // 2])
    text = tmp_path / "text.txt"
    text.write_text("new york\n")
    for path in (flipped, truncated, text):
        with pytest.raises(FormatError):
            Phrases.load(path)

    meta, arrays = load_native(good)
    foreign = tmp_path / "foreign.wv"
    save_native(foreign, {**meta, "kind": "wordvec.Word2Vec"}, arrays)
    with pytest.raises(FormatError, match="not a Phrases model"):
        Phrases.load(foreign)
    bad_index = tmp_path / "bad_index.wv"
    save_native(bad_index, meta, {**arrays, "0.first": arrays["0.first"] + 100})
    with pytest.raises(FormatError, match="first indexes words"):
        Phrases.load(bad_index)
    missing = tmp_path / "missing.wv"
    save_native(missing, meta, {k: v for k, v in arrays.items() if k != "0.score"})
    with pytest.raises(FormatError, match="inconsistent"):
        Phrases.load(missing)


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(scoring="pmi"), "scoring must be one of"),
        (dict(min_count=-1), "min_count must be >= 0"),
        (dict(min_count=2.5), "min_count must be an integer"),
        (dict(scoring="npmi", threshold=1.5), r"npmi scores lie in \[-1, 1\]"),
        (dict(threshold=float("nan")), "threshold must be finite"),
        (dict(threshold="high"), "threshold must be a number"),
        (dict(passes=0), "passes must be >= 1"),
        (dict(delimiter=""), "delimiter must be a non-empty string"),
        (dict(delimiter="a b"), "delimiter must not contain whitespace"),
        (dict(connector_words="the"), "not one string"),
        (dict(connector_words=["the", "of the"]), "connector word 'of the'"),
    ],
)
def test_bad_parameters_raise_value_error(params, match):
    with pytest.raises(ValueError, match=match):
        Phrases(**params).fit(HAND)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="not fitted"):
        list(Phrases().transform(HAND))
    with pytest.raises(CorpusError, match="empty"):
        Phrases().fit([[], []])
    with pytest.raises(CorpusError, match="not found"):
        Phrases().fit("/no/such/corpus.txt")
    model = Phrases(min_count=1, threshold=0.1).fit(HAND)
    with pytest.raises(ValueError, match="sentence 1 is a str"):
        list(model.transform([["new"], "new york"]))
    with pytest.raises(ValueError, match="whitespace"):
        list(model.transform([["new york", "city"]]))
    with pytest.raises(ValueError, match="whitespace"):
        list(model.transform([["new", ""]]))


# -- command line -------------------------------------------------------------------------------
def test_cli_learns_saves_and_applies(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text(TRIGRAM_TEXT)
    out, saved, out2 = tmp_path / "out.txt", tmp_path / "p.wv", tmp_path / "out2.txt"
    argv = [
        "phrases",
        str(src),
        "-o",
        str(out),
        "--min-count",
        "5",
        "--threshold",
        "5",
        "--passes",
        "2",
        "--save-model",
        str(saved),
    ]
    assert main(argv) == 0
    assert "new_york_city" in out.read_text()
    assert "learned 3 phrases" in capsys.readouterr().err
    assert main(["phrases", str(src), "-o", str(out2), "--model", str(saved)]) == 0
    assert out2.read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--scoring", "npmi", "--threshold", "2"], "npmi scores lie"),
        (["--model", "MODEL", "--passes", "2"], "only apply when learning"),
        (["--model", "CORPUS"], "not a wordvec native file"),
    ],
)
def test_cli_mistakes_print_one_line_and_exit_2(tmp_path, capsys, extra, match):
    src = tmp_path / "in.txt"
    src.write_text(TRIGRAM_TEXT)
    model = tmp_path / "m.wv"
    Phrases(min_count=1).fit(src).save(model)
    extra = [{"MODEL": str(model), "CORPUS": str(src)}.get(a, a) for a in extra]
    assert main(["phrases", str(src), "-o", str(tmp_path / "o.txt"), *extra]) == 2
    err = capsys.readouterr().err
    assert match in err
    assert len(err.strip().splitlines()) == 1


# -- a real corpus ------------------------------------------------------------------------------
@pytest.mark.slow
def test_finds_known_phrases_in_wiki_slice(tmp_path, wiki100m):
    src = tmp_path / "slice.txt"
    with open(wiki100m, "rb") as f:
        src.write_bytes(f.read(20_000_000))
    found = Phrases().fit(src).export_phrases()
    for phrase in ("new_york", "united_states", "world_war", "los_angeles", "new_zealand"):
        assert phrase in found, phrase
    for not_a_phrase in ("of_the", "in_the", "and_the"):
        assert not_a_phrase not in found
