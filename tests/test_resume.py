"""Long trainings: callbacks, early stop, continued training, checkpoints that survive kill -9."""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import write_corpus, zipf_stream
from wordvec import Callback, Word2Vec

PARAMS = dict(vector_size=16, min_count=1, epochs=4, workers=1, seed=5, sg=1, batch_words=200)


@pytest.fixture
def corpus(tmp_path):
    sentences = zipf_stream(60_000, a=1.4, vocab=300, line=20)
    return write_corpus(tmp_path / "c.txt", sentences, end="")


class CtrlCAfterSecondEpoch(Callback):
    def on_epoch_end(self, model, stats):
        if stats.epoch == 1:
            raise KeyboardInterrupt


class Recorder(Callback):
    def __init__(self, stop_after=None):
        self.calls, self.stop_after = [], stop_after

    def on_train_begin(self, model):
        self.calls.append("begin")

    def on_epoch_begin(self, model, epoch):
        self.calls.append(("epoch_begin", epoch))

    def on_epoch_end(self, model, stats):
        self.calls.append(("epoch_end", stats.epoch, stats.loss))
        if self.stop_after is not None and stats.epoch + 1 >= self.stop_after:
            model.stop_training = True

    def on_train_end(self, model):
        self.calls.append("end")


def test_callbacks_are_called_in_order_with_the_epoch_loss(corpus):
    rec = Recorder()
    model = Word2Vec(**PARAMS).fit(corpus, callbacks=[rec])
    assert rec.calls[0] == "begin" and rec.calls[-1] == "end"
    middle = rec.calls[1:-1]
    assert [c[0] for c in middle] == ["epoch_begin", "epoch_end"] * 4
    assert [c[1] for c in middle] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert [c[2] for c in middle[1::2]] == model.loss_history_


def test_early_stop_stops_after_the_epoch(corpus):
    rec = Recorder(stop_after=2)
    model = Word2Vec(**PARAMS).fit(corpus, callbacks=[rec])
    assert model.epochs_trained_ == 2 and len(model.loss_history_) == 2
    assert rec.calls[-1] == "end"


def test_continued_training_keeps_old_vectors_and_adds_new_words(tmp_path, corpus):
    model = Word2Vec(**PARAMS).fit(corpus)
    model.save(tmp_path / "m.wv")
    model = Word2Vec.load(tmp_path / "m.wv")
    before = {w: model.wv[w].copy() for w in model.wv.index_to_key}
    neighbours = [w for w, _ in model.wv.most_similar("w1", topn=10)]
    new = tmp_path / "new.txt"
    new.write_text("novel words appear here\n" * 30 + "w1 w2 w3 w1 w2\n" * 5)
    model.build_vocab(new, update=True)
    assert {"novel", "words", "appear", "here"} <= set(model.wv.index_to_key)
    assert len(model.wv) == len(before) + 4
    for w, v in before.items():  # rows moved with their words, values unchanged
        assert np.array_equal(model.wv[w], v)
    model.alpha = 0.005  # move the old vectors less
    model.train()
    assert model.epochs_trained_ == 8
    assert model.wv.similarity("novel", "appear") > 0.5
    after = [w for w, _ in model.wv.most_similar("w1", topn=10)]
    assert len(set(neighbours) & set(after)) >= 5


def test_continued_training_respects_min_count_over_old_and_new(tmp_path):
    model = Word2Vec(vector_size=8, min_count=3, epochs=1, workers=1)
    model.fit([["a", "b"]] * 3 + [["c"]] * 2)
    assert "c" not in model.wv
    model.build_vocab([["c", "d"]] * 2, update=True)
    # c was under min_count before and was not kept, so only its new count (2) is known
    assert "c" not in model.wv and "d" not in model.wv
    model.build_vocab([["d"]] * 3, update=True)
    assert "d" in model.wv


def test_checkpoint_then_resume_is_bit_identical(tmp_path, corpus):
    full = Word2Vec(**PARAMS).fit(corpus)
    ckpt = tmp_path / "run.ckpt"

    with pytest.raises(KeyboardInterrupt):
        Word2Vec(**PARAMS).fit(corpus, callbacks=[CtrlCAfterSecondEpoch()], checkpoint=ckpt)
    resumed = Word2Vec.resume(ckpt, corpus)
    assert resumed.epochs_trained_ == 4
    assert np.array_equal(resumed.wv.vectors, full.wv.vectors)
    assert np.array_equal(resumed.syn1neg_, full.syn1neg_)
    assert resumed.loss_history_ == full.loss_history_


def test_resume_refuses_another_corpus(tmp_path, corpus):
    ckpt = tmp_path / "run.ckpt"
    Word2Vec(**{**PARAMS, "epochs": 1}).fit(corpus, checkpoint=ckpt)
    other = tmp_path / "other.txt"
    other.write_text(corpus.read_text()[:-200])
    with pytest.raises(ValueError, match="not the corpus"):
        Word2Vec.resume(ckpt, other)


KILLED_RUN = """
import sys
from wordvec import {cls}
{cls}(**{params!r}).fit(sys.argv[1], checkpoint=sys.argv[2], checkpoint_every=0.0)
"""
KILL_PARAMS = dict(
    vector_size=16, min_count=1, epochs=40, seed=5, sg=1, batch_words=200, round_words=2000
)


def mid_epoch(path) -> bool:
    from wordvec.io import load_native

    meta, _ = load_native(path)
    return meta["run"]["next_round"] > 0


@pytest.mark.parametrize(
    ("cls", "workers", "deterministic"),
    [
        ("Word2Vec", 1, True),
        ("Word2Vec", 1, False),
        ("Word2Vec", 2, True),
        ("Word2Vec", 2, False),
        ("FastText", 1, True),
        ("FastText", 2, True),
        ("FastText", 2, False),
    ],
)
def test_kill_9_mid_epoch_then_resume(tmp_path, corpus, cls, workers, deterministic):
    """A real subprocess checkpoints after every round and is killed with SIGKILL mid-run.
    Copies of the checkpoint taken while it ran are all whole and load; each one taken
    mid-epoch resumes to the end: bit-identical to a clean run with one worker or in the
    deterministic mode, a complete model with Hogwild on two workers."""
    import wordvec

    params = {**KILL_PARAMS, "workers": workers, "deterministic": deterministic}
    if cls == "FastText":  # a subword model: its n-gram rows are checkpointed too
        params |= {"bucket": 5000, "epochs": 20}
    model = getattr(wordvec, cls)
    ckpt = tmp_path / "run.ckpt"
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN.format(cls=cls, params=params))
    proc = subprocess.Popen([sys.executable, str(script), str(corpus), str(ckpt)])
    copies = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None and len(copies) < 2:
            if ckpt.exists():
                copy = tmp_path / f"copy{len(copies)}.ckpt"
                shutil.copyfile(ckpt, copy)
                if mid_epoch(copy):  # every copy loads: a checkpoint is always whole
                    copies.append(copy)
                time.sleep(0.15)
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before it could be killed: make it longer"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(copies) == 2
    full = model(**params).fit(corpus)
    for copy in [*copies, ckpt]:
        resumed = model.resume(copy, corpus)
        assert resumed.epochs_trained_ == params["epochs"]
        assert len(resumed.loss_history_) == params["epochs"]
        if workers == 1 or deterministic:
            assert np.array_equal(resumed.wv.vectors, full.wv.vectors)
            assert np.array_equal(resumed.syn1neg_, full.syn1neg_)
            assert resumed.loss_history_ == full.loss_history_
        else:
            assert np.all(np.isfinite(resumed.wv.vectors))
            assert resumed.loss_history_[-1] == pytest.approx(full.loss_history_[-1], rel=0.05)


def test_several_workers_are_deterministic_by_default(corpus):
    params = {**PARAMS, "workers": 2, "round_words": 2000, "epochs": 2}
    runs = [Word2Vec(**params).fit(corpus) for _ in range(2)]
    assert np.array_equal(runs[0].wv.vectors, runs[1].wv.vectors)
    assert np.array_equal(runs[0].syn1neg_, runs[1].syn1neg_)
    assert runs[0].loss_history_ == runs[1].loss_history_
    three = Word2Vec(**{**params, "workers": 3}).fit(corpus)  # another schedule, other bits
    assert not np.array_equal(three.wv.vectors, runs[0].wv.vectors)
    # and it learns as well as Hogwild does
    fast = Word2Vec(**{**params, "deterministic": False}).fit(corpus)
    assert runs[0].loss_history_[-1] < fast.loss_history_[-1] * 1.05


def test_deterministic_several_workers_resume_bit_identical(tmp_path, corpus):
    params = {**PARAMS, "workers": 2, "round_words": 2000}
    full = Word2Vec(**params).fit(corpus)
    ckpt = tmp_path / "run.ckpt"

    with pytest.raises(KeyboardInterrupt):
        Word2Vec(**params).fit(corpus, callbacks=[CtrlCAfterSecondEpoch()], checkpoint=ckpt)
    resumed = Word2Vec.resume(ckpt, corpus)
    assert np.array_equal(resumed.wv.vectors, full.wv.vectors)
    assert resumed.loss_history_ == full.loss_history_


@pytest.mark.parametrize("where", ["missing-dir/run.ckpt", "", "."])
def test_a_checkpoint_path_that_cannot_be_written_fails_before_any_training(
    tmp_path, corpus, where
):
    model = Word2Vec(**PARAMS)
    path = tmp_path / where if where else ""
    with pytest.raises((OSError, ValueError)):
        model.fit(corpus, checkpoint=path)
    assert not hasattr(model, "corpus_") and not hasattr(model, "wv")  # not even scanned
