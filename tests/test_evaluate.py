"""Analogy and word-pair benchmarks: by hand, against a NumPy reference, and against gensim."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import rankdata

from wordvec import FormatError, KeyedVectors
from wordvec.cli import main
from wordvec.vectors.evaluate import (
    AnalogyResult,
    evaluate_analogies,
    evaluate_word_pairs,
    read_analogies,
    read_word_pairs,
)


@pytest.fixture
def royals() -> KeyedVectors:
    # axes: person, female, royal, young
    vectors = {
        "man": [1, 0, 0, 0],
        "woman": [1, 1, 0, 0],
        "king": [1, 0, 1, 0],
        "queen": [1, 1, 1, 0],
        "boy": [1, 0, 0, 1],
        "girl": [1, 1, 0, 1],
        "apple": [-1, 0, 0, 0],
    }
    return KeyedVectors(list(vectors), np.array(list(vectors.values()), np.float32))


QUESTIONS = """\
: family
man woman king queen
man woman boy girl
man woman king apple
man woman king unicorn
: gram1-plural
king queen man woman
"""


def write(tmp_path, text: str, name="q.txt", newline="\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode())
    return path


# -- analogies by hand --------------------------------------------------------------------------
def test_analogies_by_hand(tmp_path, royals):
    # man:woman :: king:? gives u_woman + u_king - u_man = (.41, .71, .71, 0): nearest is queen
    # (cos .98), then girl (.60); the apple question is answered queen, so it is wrong
    r = evaluate_analogies(royals, write(tmp_path, QUESTIONS))
    assert r.sections == {"family": (2, 3), "gram1-plural": (1, 1)}
    assert (r.correct, r.total, r.skipped) == (3, 4, 1)  # "unicorn" is not in the vocabulary
    assert r.accuracy == 0.75
    assert r.semantic == pytest.approx(2 / 3)
    assert r.syntactic == 1.0
    d = r.to_dict()
    assert d["sections"]["family"] == {"correct": 2, "total": 3, "accuracy": pytest.approx(2 / 3)}
    assert json.loads(json.dumps(d)) == d


def test_restrict_vocab_skips_and_limits_answers(tmp_path, royals):
    # the first 5 words: man woman king queen boy (girl and apple are outside)
    r = evaluate_analogies(royals, write(tmp_path, QUESTIONS), restrict_vocab=5)
    assert r.sections == {"family": (1, 1), "gram1-plural": (1, 1)}
    assert r.skipped == 3
    # with 4 words, boy can't be the answer of "man woman king ?" : queen still is
    r = evaluate_analogies(royals, write(tmp_path, "man woman king queen\n"), restrict_vocab=4)
    assert (r.correct, r.total) == (1, 1)
    with pytest.raises(ValueError, match="restrict_vocab"):
        evaluate_analogies(royals, write(tmp_path, QUESTIONS), restrict_vocab=0)


def test_3cosmul_by_hand(tmp_path, royals):
    # apple = -man: s(apple, man) = (1 + cos) / 2 = 0, so 3CosMul answers apple to every
    # "man ... ?" question (its known weakness); "king queen man ?" still gives woman
    r = evaluate_analogies(royals, write(tmp_path, QUESTIONS), method="3cosmul")
    assert r.sections == {"family": (1, 3), "gram1-plural": (1, 1)}
    assert r.method == "3cosmul"
    with pytest.raises(ValueError, match="method"):
        evaluate_analogies(royals, write(tmp_path, QUESTIONS), method="3cosmax")


def test_case_folding_excludes_every_spelling(tmp_path, royals):
    # "WOMAN", a rarer spelling of woman, lies exactly along u_woman + u_king - u_man
    words = [*royals.index_to_key, "WOMAN"]
    kv = KeyedVectors(words, np.vstack([royals.vectors, [[2**0.5 - 1, 0.5**0.5, 0.5**0.5, 0]]]))
    path = write(tmp_path, "MAN Woman king QUEEN\n")
    folded = evaluate_analogies(kv, path)
    assert (folded.correct, folded.total) == (1, 1)  # WOMAN is a spelling of a question word
    kept = evaluate_analogies(kv, path, case_insensitive=False)
    assert (kept.total, kept.skipped) == (0, 1)  # MAN, QUEEN not in the vocabulary as written
    kept = evaluate_analogies(kv, write(tmp_path, "man woman king queen\n"), case_insensitive=False)
    assert (kept.correct, kept.total) == (0, 1)  # now WOMAN is another word, and the best


def test_plain_layout_and_parsing(tmp_path, royals):
    plain = "man woman king queen\n\nman woman boy girl\r\n"
    r = evaluate_analogies(royals, write(tmp_path, plain))
    assert r.sections == {"all": (2, 2)}
    assert math.isnan(r.semantic) and math.isnan(r.syntactic)
    assert r.to_dict()["semantic"] is None
    assert read_analogies(write(tmp_path, ": a\nx y z w\n: b\n: a\nX y z w\n"), True) == [
        ("a", [("X", "Y", "Z", "W")]),
        ("b", []),
        ("a", [("X", "Y", "Z", "W")]),
    ]
    with pytest.raises(FormatError, match=r"q\.txt: line 3: expected 4 words, got 3"):
        read_analogies(write(tmp_path, ": s\na b c d\na b c\n"))
    with pytest.raises(FormatError, match="no analogy questions"):
        read_analogies(write(tmp_path, ": s\n\n"))
    (tmp_path / "bad.txt").write_bytes(b"a b c d\n\xff b c d\n")
    with pytest.raises(FormatError, match=r"bad\.txt: line 2: invalid UTF-8"):
        read_analogies(tmp_path / "bad.txt")


def test_empty_result_is_nan_not_an_error(tmp_path, royals):
    r = evaluate_analogies(royals, write(tmp_path, "x y z w\n"))
    assert (r.total, r.skipped) == (0, 1)
    assert math.isnan(r.accuracy)
    assert r.to_dict()["accuracy"] is None


# -- against a NumPy reference ------------------------------------------------------------------
def reference(kv, path, restrict, method, case_insensitive):
    """One question at a time, float64, the exclusion rule spelt out."""
    fold = str.upper if case_insensitive else str
    ok: dict[str, int] = {}
    for i, w in enumerate(kv.index_to_key[:restrict]):
        ok.setdefault(fold(w), i)
    unit = kv.vectors[:restrict].astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    folded = [fold(w) for w in kv.index_to_key[:restrict]]
    out, skipped = {}, 0
    for name, questions in read_analogies(path, case_insensitive):
        correct = total = 0
        for a, b, c, d in questions:
            if not all(w in ok for w in (a, b, c, d)):
                skipped += 1
                continue
            ca, cb, cc = (unit @ unit[ok[w]] for w in (a, b, c))
            if method == "3cosadd":
                s = cb + cc - ca
            else:
                s = (1 + cb) / 2 * (1 + cc) / 2 / ((1 + ca) / 2 + 1e-6)
            s[[j for j, w in enumerate(folded) if w in (a, b, c)]] = -np.inf
            correct += folded[int(np.argmax(s))] == d
            total += 1
        out[name] = (correct, total)
    return out, skipped


def structured(seed=0, sections=6, pairs=8, d=30, noise=1.3, distractors=300):
    """Words s{k}x{i} -> s{k}Y{i} (relation k) plus noise, distractors and case variants; the
    questions file pairs every two pairs of a section. Returns (kv, questions text)."""
    rng = np.random.default_rng(seed)
    words, vecs, lines = [], [], []
    for k in range(sections):
        rel = rng.standard_normal(d)
        lines.append(f": {'gram' if k % 2 else 'sem'}{k}-rel")
        for i in range(pairs):
            x = rng.standard_normal(d)
            words += [f"s{k}x{i}", f"s{k}Y{i}"]
            vecs += [x, x + rel + noise * rng.standard_normal(d)]
        for i in range(pairs):
            for j in range(pairs):
                if i != j:
                    lines.append(f"s{k}x{i} s{k}y{i} S{k}X{j} s{k}Y{j}")
    for i in range(distractors):
        words.append(f"w{i}")
        vecs.append(rng.standard_normal(d) * 1.5)
    order = rng.permutation(len(words))
    words = [words[i] for i in order]
    vecs = [vecs[i] for i in order]
    # rarer second spellings of some words, near the answers
    for w, v in list(zip(words, vecs, strict=True))[:60:3]:
        words.append(w.swapcase())
        vecs.append(v + 0.3 * rng.standard_normal(d))
    return KeyedVectors(words, np.array(vecs, np.float32)), "\n".join(lines) + "\n"


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
@pytest.mark.parametrize("restrict", [100_000, 200, 50])
@pytest.mark.parametrize("case_insensitive", [True, False])
def test_analogies_match_numpy_reference(tmp_path, method, restrict, case_insensitive):
    kv, text = structured(seed=restrict)
    path = write(tmp_path, text)
    r = evaluate_analogies(kv, path, restrict, method, case_insensitive)
    sections, skipped = reference(kv, path, restrict, method, case_insensitive)
    assert r.sections == sections
    assert r.skipped == skipped
    if restrict > 1000 and case_insensitive:
        assert 0.2 < r.accuracy < 0.9  # the test data is neither trivial nor hopeless


def test_blocks_of_questions_give_the_same_answers(tmp_path, monkeypatch):
    from wordvec.vectors import evaluate as ev

    kv, text = structured(seed=3)
    path = write(tmp_path, text)
    whole = evaluate_analogies(kv, path, method="3cosmul")
    monkeypatch.setattr(ev, "_BLOCK_FLOATS", 3 * len(kv) * 7)  # 7 questions per block
    assert evaluate_analogies(kv, path, method="3cosmul") == whole


# -- against gensim -----------------------------------------------------------------------------
@pytest.fixture
def gensim_kv():
    return pytest.importorskip("gensim.models").KeyedVectors


def to_gensim(kv, gensim_kv):
    g = gensim_kv(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    return g


def gensim_analogies(g, path, restrict, case_insensitive):
    _, sections = g.evaluate_word_analogies(
        str(path), restrict_vocab=restrict, case_insensitive=case_insensitive
    )
    return {
        s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"]))
        for s in sections
        if s["section"] != "Total accuracy"
    }


@pytest.mark.parametrize("restrict", [300_000, 200])
@pytest.mark.parametrize("case_insensitive", [True, False])
def test_analogies_match_gensim(tmp_path, gensim_kv, restrict, case_insensitive):
    kv, text = structured(seed=7)
    path = write(tmp_path, text)
    ours = evaluate_analogies(kv, path, restrict, "3cosadd", case_insensitive)
    theirs = gensim_analogies(to_gensim(kv, gensim_kv), path, restrict, case_insensitive)
    assert ours.sections == theirs
    n_questions = text.count("\n") - text.count(":")
    assert ours.skipped == n_questions - sum(t for _, t in theirs.values())


def google_like_vectors(questions_words: Path, d=50, seed=0) -> KeyedVectors:
    """Vectors for every word of the Google file, each section's pairs related by one offset,
    plus lower-case spellings of some capitalised words (rarer, so the variants path runs)."""
    rng = np.random.default_rng(seed)
    vec: dict[str, np.ndarray] = {}
    for _, questions in read_analogies(questions_words, case_insensitive=False):
        rel = rng.standard_normal(d)
        for a, b, c, e in questions:
            for x, y in ((a, b), (c, e)):
                vec.setdefault(x, rng.standard_normal(d))
                vec.setdefault(y, vec[x] + rel + 0.8 * rng.standard_normal(d))
    words = list(vec)
    rng.shuffle(words)
    capitalised = [w for w in words if w[0].isupper()][:40]
    vectors = [vec[w] for w in words] + [vec[w] + rng.standard_normal(d) * 0.3 for w in capitalised]
    extra = [w.lower() for w in capitalised]
    return KeyedVectors(words + extra, np.array(vectors, np.float32))


def test_google_file_matches_gensim(tmp_path, questions_words, gensim_kv):
    kv = google_like_vectors(questions_words)
    lines = questions_words.read_text().splitlines()
    sample = [x for i, x in enumerate(lines) if x.startswith(":") or i % 4 == 0]
    path = write(tmp_path, "\n".join(sample) + "\n")
    ours = evaluate_analogies(kv, path, restrict_vocab=800)
    assert ours.sections == gensim_analogies(to_gensim(kv, gensim_kv), path, 800, True)
    assert ours.skipped > 0 and 0.2 < ours.accuracy < 0.95


# -- word pairs ---------------------------------------------------------------------------------
PAIRS = """\
# a comment
Word 1\tWord 2\tHuman (mean)
man\twoman\t8.3
King\tqueen\t8.6
king\tapple\t1.2
boy\tgirl\t7.5
apple\tgirl\t2.0

man\tunicorn\t5.0
queen\tboy\t3.1
"""


def test_word_pairs_by_hand(tmp_path, royals):
    r = evaluate_word_pairs(royals, write(tmp_path, PAIRS, newline="\r\n"))
    assert (r.pairs, r.oov) == (6, 1)
    assert r.oov_ratio == pytest.approx(1 / 7)
    cos = [
        royals.similarity(a, b)
        for a, b in [
            ("man", "woman"),
            ("king", "queen"),
            ("king", "apple"),
            ("boy", "girl"),
            ("apple", "girl"),
            ("queen", "boy"),
        ]
    ]
    gold = [8.3, 8.6, 1.2, 7.5, 2.0, 3.1]
    assert r.pearson == pytest.approx(np.corrcoef(gold, cos)[0, 1])
    ranks = [rankdata(x) for x in (gold, cos)]  # king-queen and boy-girl tie: mean ranks
    assert r.spearman == pytest.approx(np.corrcoef(*ranks)[0, 1])
    assert json.loads(json.dumps(r.to_dict()))["pairs"] == 6


def test_word_pairs_case_and_cutoff(tmp_path, royals):
    path = write(tmp_path, PAIRS)
    assert evaluate_word_pairs(royals, path, case_insensitive=False).oov == 2  # King
    assert evaluate_word_pairs(royals, path, restrict_vocab=4).oov == 5


def test_word_pairs_parsing(tmp_path):
    assert read_word_pairs(write(tmp_path, "a b 1\n# c\nc\td\t2.5\n")) == [
        ("a", "b", 1.0),
        ("c", "d", 2.5),
    ]
    assert read_word_pairs(write(tmp_path, "w1 w2 score\na b 1\n")) == [("a", "b", 1.0)]
    with pytest.raises(FormatError, match=r"p\.tsv: line 3: score 'x' is not a number"):
        read_word_pairs(write(tmp_path, "a b 1\n\nc d x\n", name="p.tsv"))
    with pytest.raises(FormatError, match="line 1: expected 3 fields, got 2"):
        read_word_pairs(write(tmp_path, "a\t1\n"))
    with pytest.raises(FormatError, match="no word pairs"):
        read_word_pairs(write(tmp_path, "# nothing\nw1 w2 score\n"))


def test_word_pairs_too_few(tmp_path, royals):
    r = evaluate_word_pairs(royals, write(tmp_path, "man woman 3\nx y 2\n"))
    assert (r.pairs, r.oov) == (1, 1)
    assert math.isnan(r.spearman) and r.to_dict()["spearman"] is None


@pytest.mark.parametrize("delimiter", ["\t", " "])
def test_word_pairs_match_gensim(tmp_path, gensim_kv, royals, delimiter):
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(60)] + ["W3", "W7"]
    kv = KeyedVectors(words, rng.standard_normal((62, 8)).astype(np.float32))
    lines = ["# comment", f"Word1{delimiter}Word2{delimiter}Human"]
    for _ in range(80):
        a, b = rng.integers(0, 70, 2)  # some beyond the vocabulary
        second = f"W{b}" if b % 4 == 3 else f"w{b}"  # W3 and W7 exist as written
        lines.append(f"w{a}{delimiter}{second}{delimiter}{rng.uniform(0, 10):.2f}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    g = to_gensim(kv, gensim_kv)
    for case_insensitive in (True, False):
        ours = evaluate_word_pairs(kv, path, case_insensitive)
        pearson, spearman, oov = g.evaluate_word_pairs(
            str(path), delimiter=delimiter, case_insensitive=case_insensitive
        )
        assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
        assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
        assert 100 * ours.oov_ratio == pytest.approx(oov)


def test_wordsim353_matches_gensim(wordsim353, gensim_kv):
    words = sorted({w for a, b, _ in read_word_pairs(wordsim353) for w in (a, b)})
    rng = np.random.default_rng(0)
    keep = words[::7] + words[1::7] + words[2::7] + words[3::7] + words[4::7] + words[5::7]
    kv = KeyedVectors(keep, rng.standard_normal((len(keep), 20)).astype(np.float32))
    ours = evaluate_word_pairs(kv, wordsim353)
    pearson, spearman, oov = to_gensim(kv, gensim_kv).evaluate_word_pairs(str(wordsim353))
    assert ours.oov > 0
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert 100 * ours.oov_ratio == pytest.approx(oov)


# -- wordvec evaluate ---------------------------------------------------------------------------
def test_cli_evaluate(tmp_path, royals, capsys):
    from wordvec.io import save_word2vec

    save_word2vec(royals, tmp_path / "m.txt")
    q, p = write(tmp_path, QUESTIONS), write(tmp_path, PAIRS, name="p.tsv")
    out = tmp_path / "r.json"
    args = ["evaluate", str(tmp_path / "m.txt"), "--analogies", str(q), "--pairs", str(p)]
    assert main([*args, "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "family" in text and "gram1-plural" in text and "skipped: 1 of 5" in text
    assert "75.0%" in text and "spearman" in text
    report = json.loads(out.read_text())
    assert report["analogies"]["correct"] == 3
    assert report["analogies"]["restrict_vocab"] == 30000
    assert report["pairs"]["pairs"] == 6
    assert main([*args, "--json", str(out), "--gensim-cutoff", "--method", "3cosmul"]) == 0
    report = json.loads(out.read_text())
    assert report["analogies"]["restrict_vocab"] == 300_000
    assert report["analogies"]["method"] == "3cosmul"
    assert main([*args, "--restrict-vocab", "5", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["analogies"]["skipped"] == 3
    royals.save(tmp_path / "m.wv")
    assert main(["evaluate", str(tmp_path / "m.wv"), "--analogies", str(q), "--no-case-fold"]) == 0


def test_cli_evaluate_errors(tmp_path, royals, capsys):
    royals.save(tmp_path / "m.wv")
    assert main(["evaluate", str(tmp_path / "m.wv"), "--pairs", "wordsim354"]) == 2
    assert "no such file" in capsys.readouterr().err  # a shipped set misspelt
    bad = write(tmp_path, "a b c\n")
    assert main(["evaluate", str(tmp_path / "m.wv"), "--analogies", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "line 1: expected 4 words" in err and err.count("\n") == 1
    assert main(["evaluate", str(tmp_path / "nope.wv"), "--pairs", str(bad)]) == 2
    assert (
        main(["evaluate", str(tmp_path / "m.wv"), "--pairs", str(bad), "--restrict-vocab", "0"])
        == 2
    )


def test_result_type():
    r = AnalogyResult(1, 2, 0, {"x": (1, 2)})
    assert r.accuracy == 0.5 and r.semantic == 0.5 and math.isnan(r.syntactic)
