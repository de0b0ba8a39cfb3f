"""Ready-made callbacks: evaluation every epoch, saving every epoch, early stopping."""

import numpy as np
import pytest

from conftest import topic_sentences
from wordvec import Word2Vec
from wordvec.word2vec.callbacks import EarlyStopping, EvaluateAnalogies, SaveEvery


def topic_corpus(n=400):
    return topic_sentences(n, words=6, length=10)


PARAMS = dict(vector_size=12, min_count=1, workers=1, seed=2, sample=0, alpha=0.05)


def test_evaluate_analogies_every_epoch(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text(": topics\na0 a1 a2 a3\nb0 b1 b2 b3\na0 a1 b2 b3\n")
    cb = EvaluateAnalogies(questions, restrict_vocab=100, every=2)
    Word2Vec(epochs=4, **PARAMS).fit(topic_corpus(), callbacks=[cb])
    assert [e for e, _ in cb.history] == [1, 3]
    assert all(0.0 <= acc <= 1.0 for _, acc in cb.history)
    with pytest.raises(FileNotFoundError):
        EvaluateAnalogies(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="every"):
        EvaluateAnalogies(questions, every=0)


def test_save_every_epoch_writes_loadable_models(tmp_path):
    cb = SaveEvery(tmp_path / "m-{epoch}.wv")
    model = Word2Vec(epochs=3, **PARAMS).fit(topic_corpus(), callbacks=[cb])
    assert [p.rsplit("/", 1)[1] for p in cb.history] == ["m-1.wv", "m-2.wv", "m-3.wv"]
    last = Word2Vec.load(tmp_path / "m-3.wv")
    assert np.array_equal(last.wv.vectors, model.wv.vectors)
    assert last.epochs_trained_ == 3
    first = Word2Vec.load(tmp_path / "m-1.wv")
    assert first.epochs_trained_ == 1
    assert not np.array_equal(first.wv.vectors, model.wv.vectors)


def test_early_stopping_on_a_loss_that_stops_improving():
    stop = EarlyStopping(patience=2, min_delta=10.0)  # no epoch improves by 10: stop after 3
    model = Word2Vec(epochs=20, **PARAMS).fit(topic_corpus(), callbacks=[stop])
    assert model.epochs_trained_ == 3
    assert stop.stopped_epoch == 2
    keep_going = EarlyStopping(patience=2, min_delta=-1.0)  # any epoch counts as better
    model = Word2Vec(epochs=5, **PARAMS).fit(topic_corpus(), callbacks=[keep_going])
    assert model.epochs_trained_ == 5 and keep_going.stopped_epoch is None
