"""``wordvec train --subwords`` and the queries of a subword model, run in-process: each output
kind (fastText's .bin, text vectors, the native model), words outside the vocabulary answered
from their n-grams, resuming a FastText checkpoint, and each mistake one line, exit code 2,
nothing written, before the corpus is read."""

import numpy as np
import pytest

from conftest import topic_sentences, write_corpus
from wordvec import FastText, FastTextKeyedVectors, load_word2vec
from wordvec.cli import main
from wordvec.subword.params import PARAMS
from wordvec.word2vec.params import option

# a serial run (--deterministic, one worker) gives the same bits every time: outputs compare
SMALL = (
    "--subwords",
    "--min-count",
    "1",
    "--vector-size",
    "16",
    "--bucket",
    "2000",
    "--workers",
    "1",
    "--deterministic",
    "--seed",
    "3",
    "--quiet",
)
OOV = ("alphax", "betazz")  # no vocabulary word, but made of the vocabulary's n-grams


@pytest.fixture
def corpus(tmp_path):
    topics = [[f"alpha{i}" for i in range(8)], [f"beta{i}" for i in range(8)]]
    return write_corpus(tmp_path / "corpus.txt", topic_sentences(400, topics=topics))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *argv) -> str:
    code, _, err = run(capsys, *argv)
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def train(capsys, corpus, out, *extra) -> str:
    code, _, err = run(capsys, "train", corpus, "-o", out, *SMALL, *extra)
    assert code == 0, err
    return err


@pytest.fixture
def models(tmp_path, corpus, capsys):
    """The same serial run written three ways: fastText's .bin, text vectors, native."""
    paths = {kind: tmp_path / f"m{kind}" for kind in (".bin", ".vec", "")}
    for path in paths.values():
        train(capsys, corpus, path, "--epochs", "2")
    return paths


def test_each_output_kind(models, capsys):
    native = FastText.load(models[""])
    assert isinstance(native, FastText) and isinstance(native.wv, FastTextKeyedVectors)
    assert (native.min_n, native.max_n, native.bucket) == (3, 6, 2000)
    assert native.syn0_.shape == (16 + 2000, 16)
    # .bin: fastText's whole model, the same run's, n-gram rows included
    from_bin = FastText.load(models[".bin"])
    assert from_bin.wv.index_to_key == native.wv.index_to_key
    assert np.array_equal(from_bin.syn0_, native.syn0_)
    for w in ("alpha0", *OOV):
        assert np.allclose(from_bin.wv[w], native.wv[w], atol=1e-6)
    # .vec: the vocabulary's (composed) vectors as text
    vec = load_word2vec(models[".vec"])
    assert vec.index_to_key == native.wv.index_to_key
    assert np.allclose(vec.vectors, native.wv.vectors, atol=1e-6)


def test_fasttext_opens_the_bin(models):
    fasttext = pytest.importorskip("fasttext")
    ft = fasttext.load_model(str(models[".bin"]))
    ours = FastText.load(models[".bin"]).wv
    assert sorted(ft.get_words()) == sorted(ours.index_to_key)
    assert ft.get_dimension() == 16
    for w in ("alpha0", "beta7", *OOV):
        assert np.allclose(ft.get_word_vector(w), ours[w], atol=1e-5), w


def test_train_says_what_it_wrote(models, tmp_path, corpus, capsys):
    err = train(capsys, corpus, tmp_path / "again.bin", "--epochs", "1")
    assert "saved fastText .bin model to" in err
    err = train(capsys, corpus, tmp_path / "again.wv", "--epochs", "1")
    assert "saved native model to" in err


@pytest.mark.parametrize("kind", [".bin", ""])
def test_similar_answers_unseen_words(models, capsys, kind):
    """The command line's neighbours of an unseen word are the library's, from its n-grams."""
    wv = FastText.load(models[kind]).wv
    for word in OOV:
        assert word not in wv.key_to_index
        code, out, err = run(capsys, "similar", models[kind], word, "--topn", "3")
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0] == f"{word}:" and len(lines) == 4
        assert [line.split()[1] for line in lines[1:]] == [
            w for w, _ in wv.most_similar(word, topn=3)
        ]
    code, out, err = run(capsys, "analogy", models[kind], "alpha0", "alpha1", OOV[1])
    assert code == 0, err
    assert "is to" in out and len(out.splitlines()) == 6


@pytest.mark.parametrize("kind", [".bin", ""])
def test_evaluate_answers_unseen_words_from_ngrams_when_asked(models, tmp_path, capsys, kind):
    """``wordvec evaluate --oov ngrams``: the questions and pairs with an unseen word are
    answered as the library answers them; by default (gensim's way) they are left out."""
    import json

    from wordvec.vectors.evaluate import evaluate_analogies, evaluate_word_pairs

    analogies, pairs = tmp_path / "q.txt", tmp_path / "p.tsv"
    analogies.write_text(": s\nalpha0 alpha1 beta0 beta1\nalpha2 alphax beta2 beta3\n")
    pairs.write_text("alpha0\talpha1\t9\nalpha0\tbeta1\t1\nbetazz\tbeta2\t8\n")
    wv = FastText.load(models[kind]).wv
    for oov, answered in (("skip", 1), ("ngrams", 2)):
        out = tmp_path / f"{oov}.json"
        argv = ("evaluate", models[kind], "--analogies", analogies, "--pairs", pairs)
        code, printed, err = run(capsys, *argv, "--oov", oov, "--json", out)
        assert code == 0, err
        got = json.loads(out.read_text())
        a = evaluate_analogies(wv, analogies, oov=oov).to_dict()
        p = evaluate_word_pairs(wv, pairs, oov=oov).to_dict()
        assert got["analogies"] == {"file": str(analogies), **a}
        assert got["pairs"] == {"file": str(pairs), **p}
        assert (a["total"], a["from_ngrams"]) == (answered, answered - 1)
        assert (p["pairs"], p["from_ngrams"]) == (answered + 1, answered - 1)
        assert ("answered from n-grams 1" in printed) == (oov == "ngrams")


def test_text_vectors_know_only_their_words(models, capsys):
    err = one_line_error(capsys, "similar", models[".vec"], OOV[0])
    assert "not in vocabulary" in err


@pytest.mark.parametrize("kind", [".bin", ""])
def test_a_word_of_unseen_characters_is_one_line(models, capsys, kind):
    err = one_line_error(capsys, "similar", models[kind], "zzqq")
    assert "'zzqq'" in err and "none of its characters" in err


# -- mistakes: one line, exit code 2, nothing written, the corpus never read -----------------------
@pytest.mark.parametrize(
    ("output", "options", "says"),
    [
        ("m.bin", ["--subwords", "--min-n", "0", "--max-n", "3"], "min_n and max_n must"),
        ("m.wv", ["--subwords", "--bucket", "0"], "bucket must be >= 1"),
        ("m.wv", ["--subwords", "--max-n", "-1"], "max_n must be an integer >= 0"),
        ("m.wv", ["--min-n", "2"], "--min-n is an option of the subword model: add --subwords"),
        ("m.bin", ["--max-n", "5", "--bucket", "9"], "--max-n, --bucket are options of"),
        ("m.bin", ["--subwords", "--softmax", "--negative", "0"], "softmax"),
        ("m.bin", ["--subwords", "--nce"], "not NCE"),
        ("m.bin.gz", ["--subwords"], "name it"),
    ],
)
def test_bad_options_are_one_line(tmp_path, corpus, capsys, monkeypatch, output, options, says):
    from wordvec.word2vec.model import Word2Vec

    monkeypatch.setattr(Word2Vec, "build_vocab", lambda *a, **k: pytest.fail("corpus read"))
    ckpt = tmp_path / "run.ckpt"
    err = one_line_error(
        capsys, "train", corpus, "-o", tmp_path / output, "--checkpoint", ckpt, *options
    )
    assert says in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt"]


def test_deterministic_workers_is_the_librarys_answer(tmp_path, corpus, capsys):
    """--deterministic with several workers: whatever FastText says of it, the command says
    (one line, exit code 2) or trains."""
    try:
        FastText(workers=2, deterministic=True)
        refusal = None
    except ValueError as e:
        refusal = str(e)
    out = tmp_path / "m.wv"
    argv = ("train", corpus, "-o", out, "--subwords", "--deterministic", "--workers", "2")
    if refusal is None:
        code, _, err = run(capsys, *argv, "--min-count", "1", "--bucket", "100", "--quiet")
        assert code == 0, err
        assert FastText.load(out).deterministic
    else:
        assert one_line_error(capsys, *argv) == f"wordvec train: error: {refusal}"
        assert not out.exists()


def test_help_derives_the_options_from_the_table(capsys):
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0
    text = " ".join(out.split())
    for p in PARAMS:
        assert f"{option(p.name)} " in text and f"(default: {p.default}; with --subwords)" in text
    assert "With --subwords, .bin is fastText's whole model" in text
    assert "fasttext.load_model" in text and "--deterministic" in text


# -- resuming ------------------------------------------------------------------------------------
def test_resume_a_subword_run(tmp_path, corpus, capsys, monkeypatch):
    """Ctrl-C after the first epoch; --resume (no --subwords needed: the checkpoint says) ends
    the run with the model an uninterrupted run writes, here as fastText's .bin."""
    ckpt, model = tmp_path / "run.ckpt", tmp_path / "m.bin"
    save, pressed = FastText.save_checkpoint, []

    def save_then_ctrl_c(self, path):
        save(self, path)
        if not pressed:
            pressed.append(path)
            raise KeyboardInterrupt

    monkeypatch.setattr(FastText, "save_checkpoint", save_then_ctrl_c)
    code, _, err = run(
        capsys, "train", corpus, "-o", model, "--checkpoint", ckpt, *SMALL, "--epochs", "3"
    )
    assert code == 130 and f"continue with --resume {ckpt}" in err, err
    assert not model.exists()
    monkeypatch.undo()
    err = one_line_error(capsys, "train", corpus, "-o", model, "--resume", ckpt, "--bucket", "99")
    assert "--bucket 99 cannot apply (the checkpoint has 2000)" in err
    code, _, err = run(capsys, "train", corpus, "-o", model, "--resume", ckpt, "--quiet")
    assert code == 0, err
    assert f"saved fastText .bin model to {model}" in err
    resumed = FastText.load(model)
    train(capsys, corpus, tmp_path / "clean.bin", "--epochs", "3")
    clean = FastText.load(tmp_path / "clean.bin")
    assert np.array_equal(resumed.syn0_, clean.syn0_)
    assert np.array_equal(resumed.syn1neg_, clean.syn1neg_)


def test_subwords_cannot_resume_a_word2vec_run(tmp_path, corpus, capsys):
    ckpt = tmp_path / "w2v.ckpt"
    w2v = ("--checkpoint", ckpt, "--min-count", "1", "--epochs", "1", "--quiet")
    code, _, err = run(capsys, "train", corpus, "-o", tmp_path / "w.wv", *w2v)
    assert code == 0, err
    resume = ("train", corpus, "-o", tmp_path / "f.wv", "--resume", ckpt)
    err = one_line_error(capsys, *resume, "--subwords")
    assert "--subwords cannot apply (the checkpoint is a Word2Vec's run)" in err
    err = one_line_error(capsys, *resume, "--min-n", "2")
    assert "add --subwords" in err
    assert not (tmp_path / "f.wv").exists()
