"""The CLI, run in-process: the main job and each user mistake (one line, non-zero, no traceback)."""

import os
import re

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


# -- fail early, one format rule, progress ----------------------------------------------------------
@pytest.fixture
def no_training(monkeypatch):
    """Any vocabulary scan or training fails the test: the error must come first."""
    from wordvec import train

    def forbidden(*_, **__):
        raise AssertionError("training started")

    monkeypatch.setattr(train.Word2Vec, "build_vocab", forbidden)
    monkeypatch.setattr(train.Word2Vec, "train", forbidden)


@pytest.mark.parametrize(
    ("out", "extra", "says"),
    [
        ("", [], "empty"),
        ("{d}", [], "directory"),
        ("{d}/missing/m.wv", [], "does not exist"),
        ("{d}/m.bogus", [], "cannot tell a format"),
        ("{d}/m.wv", ["--checkpoint", "{d}/missing/c.ckpt"], "missing/c.ckpt"),
        ("{d}/m.wv", ["--checkpoint", "{d}"], "directory"),
        ("{d}/m.wv", ["--vector-size", "0"], "vector_size"),
    ],
)
def test_outputs_checked_before_training(tmp_path, corpus, capsys, no_training, out, extra, says):
    fill = [a.replace("{d}", str(tmp_path)) for a in (out, *extra)]
    err = one_line_error(capsys, "train", corpus, "-o", *fill, "--quiet")
    assert says in err and ".tmp" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in a read-only folder")
def test_read_only_folder_before_training(tmp_path, corpus, capsys, no_training):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    assert str(ro / "m.wv") in one_line_error(capsys, "train", corpus, "-o", ro / "m.wv")


def test_full_disk_refused_before_training(tmp_path, corpus, capsys, monkeypatch):
    import shutil

    from wordvec import train

    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(1, 1, 100))
    monkeypatch.setattr(train.Word2Vec, "train", lambda *a, **k: pytest.fail("trained"))
    err = one_line_error(capsys, "train", corpus, "-o", tmp_path / "m.wv", "--min-count", "1",
                         "--quiet")  # fmt: skip
    assert "m.wv" in err and "free" in err


@pytest.mark.parametrize("opt", [["--vector-size", "1000000000"], ["--window", "1000000000"]])
def test_memory_refusal(tmp_path, corpus, capsys, monkeypatch, opt):
    from wordvec import train

    monkeypatch.setattr(train.Word2Vec, "train", lambda *a, **k: pytest.fail("trained"))
    err = one_line_error(capsys, "train", corpus, "-o", tmp_path / "m.wv", "--min-count", "1",
                         "--quiet", *opt)  # fmt: skip
    assert "needs about" in err and "available" in err and "MemoryError" not in err
    assert not (tmp_path / "m.wv").exists()


@pytest.mark.parametrize(("name", "fmt"), [("v.glove", "glove"), ("v.txt.gz", "text"),
                                           ("v.tsv", "projector"), ("model", "native")])  # fmt: skip
def test_train_writes_by_the_one_rule(tmp_path, corpus, capsys, name, fmt):
    from wordvec.io import load_vectors, sniff_format

    code, _, err = run(capsys, "train", corpus, "-o", tmp_path / name, "--min-count", "1",
                       "--vector-size", "4", "--epochs", "1", "--quiet")  # fmt: skip
    assert code == 0, err
    assert sniff_format(tmp_path / name) == fmt
    if name.endswith(".gz"):
        assert (tmp_path / name).read_bytes()[:2] == b"\x1f\x8b"
    assert len(load_vectors(tmp_path / name)) == 16


def test_progress_lines_without_a_terminal(tmp_path, corpus, capsys, monkeypatch):
    from wordvec.commands import train as train_cmd

    monkeypatch.setattr(train_cmd, "kernels_cached", lambda names=(): False)
    code, _, err = run(capsys, "train", corpus, "-o", tmp_path / "m.wv", "--min-count", "1",
                       "--vector-size", "4", "--epochs", "3", "--progress-every", "0")  # fmt: skip
    assert code == 0, err
    lines = err.splitlines()
    assert sum("compiling the training kernels" in ln for ln in lines) == 2  # scan, then train
    progress = [ln for ln in lines if ln.startswith("training:")]
    assert progress, err
    assert re.fullmatch(r"training: +\d+\.\d% \([\d,]+ of [\d,]+ words\), [\d,]+ words/s, "
                        r"loss \d+\.\d{4}, ETA (\d+m)?\d+s", progress[-1]), progress[-1]  # fmt: skip
    assert progress[-1].startswith("training: 100.0%")
    assert any(ln.startswith("vocabulary: ") for ln in lines)


def test_help_shows_the_cli_defaults(capsys):
    assert main(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "default: 1; the library's: 0" in out  # --sg
    assert "default: 0.0001; the library's: 0.001" in out  # --sample
    assert "default: 2; the library's: 3" in out  # --workers
