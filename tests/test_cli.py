"""The CLI, run in-process: the main job and each user mistake (one line, non-zero, no traceback)."""

import numpy as np
import pytest

from wordvec import Word2Vec, load_word2vec
from wordvec.cli import main


@pytest.fixture
def corpus(tmp_path):
    rng = np.random.default_rng(0)
    topics = [[f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]]
    lines = [" ".join(rng.choice(topics[s % 2], 12)) for s in range(400)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_similar_analogy(tmp_path, corpus, capsys):
    out_path = tmp_path / "m.wv"
    code, _, err = run(capsys, "train", corpus, "-o", out_path, "--min-count", "1",
                       "--vector-size", "16", "--epochs", "3", "--quiet")  # fmt: skip
    assert code == 0, err
    assert "epoch 3: loss" in err and "saved native model" in err
    model = Word2Vec.load(out_path)
    assert len(model.wv) == 16
    code, out, _ = run(capsys, "similar", out_path, "a0", "--topn", "3")
    assert code == 0
    assert out.splitlines()[0] == "a0:" and len(out.splitlines()) == 4
    code, out, _ = run(capsys, "analogy", out_path, "a0", "a1", "b0")
    assert code == 0 and "is to" in out


@pytest.mark.parametrize("suffix", [".bin", ".txt", ".vec"])
def test_train_writes_word2vec_formats(tmp_path, corpus, capsys, suffix):
    out_path = tmp_path / f"v{suffix}"
    code, _, err = run(capsys, "train", corpus, "-o", out_path, "--min-count", "1",
                       "--vector-size", "8", "--epochs", "1", "--quiet")  # fmt: skip
    assert code == 0, err
    kv = load_word2vec(out_path)
    assert kv.vectors.shape == (16, 8)
    code, out, _ = run(capsys, "similar", out_path, "b3")
    assert code == 0 and out.startswith("b3:")


def one_line_error(capsys, *argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_user_mistakes_print_one_line(tmp_path, corpus, capsys):
    err = one_line_error(capsys, "train", tmp_path / "missing.txt", "-o", tmp_path / "m.wv")
    assert "not found" in err
    (tmp_path / "empty.txt").write_text("")
    assert "empty" in one_line_error(capsys, "train", tmp_path / "empty.txt", "-o", tmp_path / "m",
                                     "--quiet")  # fmt: skip
    err = one_line_error(capsys, "train", corpus, "-o", tmp_path / "m.wv", "--min-count", "10000",
                         "--quiet")  # fmt: skip
    assert "vocabulary is empty" in err
    err = one_line_error(capsys, "train", corpus, "-o", tmp_path / "no" / "m.wv")
    assert "does not exist" in err
    err = one_line_error(capsys, "train", corpus, "-o", tmp_path / "m.wv", "--window", "0")
    assert "window" in err
    (tmp_path / "bin").write_bytes(bytes(range(256)))
    assert "binary" in one_line_error(capsys, "train", tmp_path / "bin", "-o", tmp_path / "m.wv",
                                      "--quiet")  # fmt: skip
    assert not (tmp_path / "m.wv").exists()
    run(capsys, "train", corpus, "-o", tmp_path / "ok.wv", "--min-count", "1", "--epochs", "1",
        "--quiet")  # fmt: skip
    err = one_line_error(capsys, "similar", tmp_path / "ok.wv", "zebra")
    assert "'zebra' not in vocabulary" in err
    assert "not in vocabulary" in one_line_error(capsys, "analogy", tmp_path / "ok.wv", "a0", "a1", "zz")  # fmt: skip
    assert "no such file" in one_line_error(capsys, "similar", tmp_path / "nope.wv", "a0").lower()
    (tmp_path / "junk.wv").write_bytes(b"\x00\x01garbage" * 10)
    one_line_error(capsys, "similar", tmp_path / "junk.wv", "a0")


def test_demo_corpus_is_shipped_and_small():
    from pathlib import Path

    from wordvec.commands.demo import demo_corpus

    path = Path(demo_corpus())
    assert path.exists() and path.stat().st_size <= 5_000_000
