"""What a first-day user meets before any model exists: the progress of a first run, the
files the README's commands leave behind."""

import shutil
import subprocess
from pathlib import Path

import pytest

from wordvec.commands import train as train_cmd

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_eta_does_not_count_the_compile(monkeypatch, capsys):
    """A first run compiles for 20 s before the first words are trained; then 1,000 words/s.
    The ETA must come from the training rate, not from 1,000 words over 21 s."""
    clock = Clock()
    monkeypatch.setattr(train_cmd.time, "monotonic", clock)
    lines = train_cmd.ProgressLines(every=0, file=None)
    lines.begin_training()
    clock.now += 21  # compiling, then the first job
    lines.training(1_000, 100_000, 3.0)
    clock.now += 10
    lines.training(11_000, 100_000, 2.9)
    out = capsys.readouterr().err.splitlines()
    assert out[0].endswith("ETA when the next report comes"), out
    assert "1,000 words/s" in out[1] and out[1].endswith("ETA 1m29s"), out


def test_progress_rate_of_a_run_without_compile(monkeypatch, capsys):
    clock = Clock()
    monkeypatch.setattr(train_cmd.time, "monotonic", clock)
    lines = train_cmd.ProgressLines(every=5, file=None)
    lines.begin_training()
    for done in range(500, 10_001, 500):
        clock.now += 1
        lines.training(done, 10_000, 2.0)
    out = capsys.readouterr().err.splitlines()
    assert len(out) == 4  # every 5 s and the last
    assert all("500 words/s" in ln for ln in out), out
    assert out[-1].startswith("training: 100.0%") and out[-1].endswith("ETA 0s")


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)
def test_the_demo_output_is_ignored_by_git():
    """The README's first command writes demo.wv in the checkout: git must not offer it."""
    readme = (ROOT / "README.md").read_text()
    assert "wordvec demo -o demo.wv" in readme
    r = subprocess.run(["git", "check-ignore", "-q", "demo.wv"], cwd=ROOT, check=False)
    assert r.returncode == 0, "demo.wv is not in .gitignore"


def test_evaluate_without_files_uses_the_shipped_sets(tmp_path, capsys):
    """A new user has no questions-words.txt or wordsim353.tsv: they ship with wordvec, byte for
    byte the published files, and ``wordvec evaluate MODEL`` uses both."""
    import hashlib

    import numpy as np

    from wordvec import KeyedVectors
    from wordvec.cli import main
    from wordvec.commands.evaluate import bundled

    sha = {
        "questions-words": "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
        "wordsim353": "fc6bcefdde133a186ae936e5c757f2c8ae7861ce420cdc01c2e7251ff6f24fdd",
    }
    for name, digest in sha.items():
        assert hashlib.sha256(bundled(name).read_bytes()).hexdigest() == digest
    words = ["king", "queen", "man", "woman", "tiger", "cat", "love", "sex"]
    vecs = np.random.default_rng(0).standard_normal((len(words), 8)).astype(np.float32)
    KeyedVectors(words, vecs).save(tmp_path / "kv.wv")
    assert main(["evaluate", str(tmp_path / "kv.wv"), "--json", str(tmp_path / "e.json")]) == 0
    out, err = capsys.readouterr()
    assert "shipped with wordvec" in err
    assert "questions-words.txt" in out and "wordsim353.tsv" in out
    assert "skipped: 19,542 of 19,544 questions" in out  # only man:woman::king:queen and back
    assert main(["evaluate", str(tmp_path / "kv.wv"), "--pairs", "wordsim353"]) == 0
    assert "analogies" not in capsys.readouterr().out


def test_an_empty_numba_cache_dir_means_a_first_run(tmp_path, monkeypatch):
    """Numba caches only in NUMBA_CACHE_DIR when it is set: a cache beside the sources does not
    spare that run the compile, so the notice must be printed."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert not train_cmd.kernels_cached()
    for name in ("scan", "train", "merge"):
        (tmp_path / "k").mkdir(exist_ok=True)
        (tmp_path / "k" / f"{name}.kernel-1.py311.nbi").write_bytes(b"")
    assert train_cmd.kernels_cached()
