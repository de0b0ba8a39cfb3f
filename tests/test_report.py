"""The training report as a user reads it."""

from wordvec.core.report import EpochStats, TrainingReport


def test_summary_counts_in_the_right_number():
    one = TrainingReport(raw_tokens=5, vocab_tokens=5, vocab_size=1, sentences=1, sentences_split=1)
    first = one.summary().splitlines()[0]
    assert "1 word;" in first
    assert "1 sentence (1 long one cut into pieces, no token lost)" in first
    many = TrainingReport(raw_tokens=9, vocab_tokens=9, vocab_size=3, sentences=4)
    first = many.summary().splitlines()[0]
    assert "3 words; 4 sentences" in first
    assert "cut into pieces" not in first  # nothing was cut: nothing to say


def test_summary_lists_each_epoch():
    r = TrainingReport(sentences=2)
    r.epochs.append(
        EpochStats(epoch=0, loss=2.5, pairs=10, words_kept=8, seconds=1.0, words_per_sec=8.0)
    )
    assert r.summary().splitlines()[-1] == "epoch 1: loss 2.5000 per pair, 8 words/s, 1.0 s"
