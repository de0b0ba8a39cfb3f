"""The CLI, run in-process: the main job and each user mistake (one line, non-zero, no traceback)."""

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import topic_sentences, write_corpus
from wordvec import Word2Vec, load_word2vec
from wordvec.cli import main


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus.txt", topic_sentences(400))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_similar_analogy(tmp_path, corpus, capsys):
    out_path = tmp_path / "m.wv"
    code, _, err = run(
        capsys,
        "train",
        corpus,
        "-o",
        out_path,
        "--min-count",
        "1",
        "--vector-size",
        "16",
        "--epochs",
        "3",
        "--quiet",
    )
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
    code, _, err = run(
        capsys,
        "train",
        corpus,
        "-o",
        out_path,
        "--min-count",
        "1",
        "--vector-size",
        "8",
        "--epochs",
        "1",
        "--quiet",
    )
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
    assert "empty" in one_line_error(
        capsys, "train", tmp_path / "empty.txt", "-o", tmp_path / "m", "--quiet"
    )
    err = one_line_error(
        capsys, "train", corpus, "-o", tmp_path / "m.wv", "--min-count", "10000", "--quiet"
    )
    assert "vocabulary is empty" in err
    err = one_line_error(capsys, "train", corpus, "-o", tmp_path / "no" / "m.wv")
    assert "does not exist" in err
    err = one_line_error(capsys, "train", corpus, "-o", tmp_path / "m.wv", "--window", "0")
    assert "window" in err
    (tmp_path / "bin").write_bytes(bytes(range(256)))
    assert "binary" in one_line_error(
        capsys, "train", tmp_path / "bin", "-o", tmp_path / "m.wv", "--quiet"
    )
    assert not (tmp_path / "m.wv").exists()
    run(
        capsys,
        "train",
        corpus,
        "-o",
        tmp_path / "ok.wv",
        "--min-count",
        "1",
        "--epochs",
        "1",
        "--quiet",
    )
    err = one_line_error(capsys, "similar", tmp_path / "ok.wv", "zebra")
    assert "'zebra' not in vocabulary" in err
    assert "not in vocabulary" in one_line_error(
        capsys, "analogy", tmp_path / "ok.wv", "a0", "a1", "zz"
    )
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
    from wordvec.word2vec import model as train

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

    from wordvec.word2vec import model as train

    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(1, 1, 100))
    monkeypatch.setattr(train.Word2Vec, "train", lambda *a, **k: pytest.fail("trained"))
    err = one_line_error(
        capsys, "train", corpus, "-o", tmp_path / "m.wv", "--min-count", "1", "--quiet"
    )
    assert "m.wv" in err and "free" in err


@pytest.mark.parametrize("opt", [["--vector-size", "1000000000"], ["--window", "1000000000"]])
def test_memory_refusal(tmp_path, corpus, capsys, monkeypatch, opt):
    from wordvec.word2vec import model as train

    monkeypatch.setattr(train.Word2Vec, "train", lambda *a, **k: pytest.fail("trained"))
    err = one_line_error(
        capsys, "train", corpus, "-o", tmp_path / "m.wv", "--min-count", "1", "--quiet", *opt
    )
    assert "needs about" in err and "available" in err and "MemoryError" not in err
    assert not (tmp_path / "m.wv").exists()


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("v.glove", "glove"), ("v.txt.gz", "text"), ("v.tsv", "projector"), ("model", "native")],
)
def test_train_writes_by_the_one_rule(tmp_path, corpus, capsys, name, fmt):
    from wordvec.io import load_vectors, sniff_format

    code, _, err = run(
        capsys,
        "train",
        corpus,
        "-o",
        tmp_path / name,
        "--min-count",
        "1",
        "--vector-size",
        "4",
        "--epochs",
        "1",
        "--quiet",
    )
    assert code == 0, err
    assert sniff_format(tmp_path / name) == fmt
    if name.endswith(".gz"):
        assert (tmp_path / name).read_bytes()[:2] == b"\x1f\x8b"
    assert len(load_vectors(tmp_path / name)) == 16


def test_progress_lines_without_a_terminal(tmp_path, corpus, capsys, monkeypatch):
    from wordvec.commands import train as train_cmd

    monkeypatch.setattr(train_cmd, "kernels_cached", lambda names=(): False)
    code, _, err = run(
        capsys,
        "train",
        corpus,
        "-o",
        tmp_path / "m.wv",
        "--min-count",
        "1",
        "--vector-size",
        "4",
        "--epochs",
        "3",
        "--progress-every",
        "0",
    )
    assert code == 0, err
    lines = err.splitlines()
    assert sum("compiling the training kernels" in ln for ln in lines) == 1  # once a run
    progress = [ln for ln in lines if ln.startswith("training:")]
    assert progress, err
    assert re.fullmatch(
        r"training: +\d+\.\d% \([\d,]+ of [\d,]+ words\), [\d,]+ words/s, "
        r"loss \d+\.\d{4}, ETA (\d+m)?\d+s",
        progress[-1],
    ), progress[-1]
    assert progress[-1].startswith("training: 100.0%")
    assert any(ln.startswith("vocabulary: ") for ln in lines)


def test_help_shows_the_cli_defaults(capsys):
    assert main(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "default: 1; the library's: 0" in out  # --sg
    assert "default: 0.0001; the library's: 0.001" in out  # --sample
    assert "default: 2; the library's: 3" in out  # --workers


# -- resume, the cluster option -------------------------------------------------------------------
RESUMABLE = (
    "--min-count",
    "1",
    "--vector-size",
    "16",
    "--epochs",
    "3",
    "--workers",
    "1",
    "--seed",
    "3",
    "--quiet",
)


def test_resume_from_the_command_line_finishes_the_run(tmp_path, corpus, capsys, monkeypatch):
    """Ctrl-C after the first epoch leaves a checkpoint and says how to go on; the same command
    with --resume (its options repeated: the checkpoint has them) finishes the run, and writes
    the model an uninterrupted run writes."""
    from wordvec.word2vec import model as train

    ckpt, model = tmp_path / "run.ckpt", tmp_path / "m.wv"
    save, pressed = train.Word2Vec.save_checkpoint, []

    def save_then_ctrl_c(self, path):  # the first checkpoint (end of epoch 1), then Ctrl-C
        save(self, path)
        if not pressed:
            pressed.append(path)
            raise KeyboardInterrupt

    monkeypatch.setattr(train.Word2Vec, "save_checkpoint", save_then_ctrl_c)
    code, _, err = run(capsys, "train", corpus, "-o", model, "--checkpoint", ckpt, *RESUMABLE)
    assert code == 130 and f"continue with --resume {ckpt}" in err, err
    assert not model.exists()
    monkeypatch.undo()
    code, _, err = run(
        capsys,
        "train",
        corpus,
        "-o",
        model,
        "--checkpoint",
        ckpt,
        "--checkpoint-every",
        "60",
        "--resume",
        ckpt,
        *RESUMABLE,
    )
    assert code == 0, err
    assert f"saved native model to {model}" in err
    resumed = Word2Vec.load(model)
    assert resumed.vector_size == 16 and resumed.wv.vectors.shape == (16, 16)
    assert resumed.epochs_trained_ == 3 and len(resumed.loss_history_) == 3
    code, _, err = run(capsys, "train", corpus, "-o", tmp_path / "clean.wv", *RESUMABLE)
    assert code == 0, err
    clean = Word2Vec.load(tmp_path / "clean.wv")
    assert np.array_equal(resumed.wv.vectors, clean.wv.vectors)
    assert resumed.loss_history_ == clean.loss_history_


def test_resume_refuses_options_the_checkpoint_contradicts(tmp_path, corpus, capsys, monkeypatch):
    """A resumed run is the checkpoint's run: a training option given with --resume that
    differs from the checkpoint is refused in one line naming it, before any work."""
    ckpt, out = tmp_path / "run.ckpt", tmp_path / "x.wv"
    code, _, err = run(
        capsys,
        "train",
        corpus,
        "-o",
        tmp_path / "m.wv",
        "--checkpoint",
        ckpt,
        "--min-count",
        "1",
        "--vector-size",
        "16",
        "--epochs",
        "1",
        "--quiet",
    )
    assert code == 0, err
    monkeypatch.setattr(Word2Vec, "resume", lambda *a, **k: pytest.fail("resumed"))
    again = ("train", corpus, "-o", out, "--resume", ckpt, "--quiet")
    err = one_line_error(capsys, *again, "--vector-size", "37")
    assert (
        "--resume continues the checkpoint's run: --vector-size 37 cannot apply (the "
        "checkpoint has 16); leave it out" in err
    )
    other = tmp_path / "other.ckpt"
    err = one_line_error(
        capsys,
        *again,
        "--epochs",
        "9",
        "--vector-size",
        "16",
        "--ray",
        "--nondeterministic",
        "--checkpoint",
        other,
    )
    for says in (
        "--epochs 9 cannot apply (the checkpoint has 1)",
        "--ray cannot apply",
        "--nondeterministic cannot apply",
        f"--checkpoint {other} cannot apply",
        "leave them out",
    ):
        assert says in err, err
    assert "--vector-size" not in err  # the checkpoint's own value: nothing to refuse
    assert not out.exists() and not other.exists()


def test_help_offers_one_spelling_of_the_cluster(capsys):
    from wordvec.cli import build_parser
    from wordvec.word2vec.params import from_args

    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--ray [ADDRESS]" in out and "--cluster" not in out

    def cluster(*opts):
        args = build_parser().parse_args(["train", "c.txt", "-o", "m.wv", *opts])
        return from_args(args)["cluster"]

    assert cluster() is None and cluster("--ray") == "ray"
    assert cluster("--ray", "10.0.0.1:6379") == "ray:10.0.0.1:6379"
    assert "unrecognized arguments: --cluster" in one_line_error(
        capsys, "train", "c.txt", "-o", "m.wv", "--cluster", "ray"
    )


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))  # free on every interface (Ray dials the machine's address, not loopback)
        return s.getsockname()[1]


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray (wordvec[ray])")
@pytest.mark.parametrize(
    ("address", "env"),
    [("127.0.0.1:1", None), ("localhost:{port}", None), ("", "127.0.0.1:{port}")],
)
def test_ray_where_no_cluster_answers_is_one_line_within_seconds(tmp_path, corpus, address, env):
    """ray.init would retry for minutes, printing its own warnings: nothing answering at the
    address (given, or RAY_ADDRESS's for a bare --ray) is one line, exit code 2, at once."""
    port = _unused_port()
    address, env = address.format(port=port), env and env.format(port=port)
    environ = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    if env:
        environ["RAY_ADDRESS"] = env
    argv = ["train", str(corpus), "-o", str(tmp_path / "m.wv"), "--quiet", "--ray"]
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "wordvec.cli", *argv, *([address] if address else [])],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )
    assert time.monotonic() - t0 < 20
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert f"no Ray cluster answers at {address or env}" in out.stderr
    assert "ray start --head" in out.stderr
    assert ("RAY_ADDRESS" if env else "`--ray` alone") in out.stderr  # what to do instead
    assert not (tmp_path / "m.wv").exists()
