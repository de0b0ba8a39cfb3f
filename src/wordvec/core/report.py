"""What a training run reports: per-epoch stats and the run's summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# the progress hooks the trainers take (a scan's is ``corpus.reader.ReadProgress``)
CountProgress = Callable[[int, int], None]  # (tokens done, tokens total): counting pairs
TrainProgress = Callable[[int, int, float], None]  # (done, total, mean loss so far): training


@dataclass
class EpochStats:
    """What one epoch did. ``loss`` is the mean negative log-likelihood per trained pair."""

    epoch: int
    loss: float
    pairs: int
    words_kept: int
    seconds: float
    words_per_sec: float  # raw corpus tokens (in the vocabulary) per second


@dataclass
class TrainingReport:
    raw_tokens: int = 0  # every token in the corpus
    vocab_tokens: int = 0  # tokens of words that made the vocabulary
    vocab_size: int = 0
    sentences: int = 0
    sentences_split: int = 0  # sentences longer than max_sentence_length, cut (no token lost)
    words_pruned_while_scanning: int = 0
    disk: str = ""  # what went to the work folder ("": nothing), e.g. "corpus 270.1 MB"
    seconds_vocab: float = 0.0
    seconds_train: float = 0.0
    epochs: list[EpochStats] = field(default_factory=list)

    def went_to_disk(self, what: str, nbytes: int, work) -> None:
        """Say that ``what`` (``nbytes``) lives in a file of ``work`` (a ``WorkDir``)."""
        self.disk = (
            f"{what} {nbytes / 2**20:,.1f} MB ({work.reserved / 2**20:,.1f} MB of files made) "
            f"in {work.parent}"
        )

    @property
    def tokens_dropped_by_subsampling(self) -> int:
        return sum(self.vocab_tokens - e.words_kept for e in self.epochs)

    def summary(self) -> str:
        """The report as a few readable lines."""
        cut = (
            f" ({_count(self.sentences_split, 'long one')} cut into pieces, no token lost)"
            if self.sentences_split
            else ""
        )
        lines = [
            f"tokens: {self.raw_tokens:,} read, {self.vocab_tokens:,} in the vocabulary of "
            f"{_count(self.vocab_size, 'word')}; {_count(self.sentences, 'sentence')}{cut}",
            f"time: vocabulary {self.seconds_vocab:.2f} s, training {self.seconds_train:.2f} s; "
            f"subsampling dropped {self.tokens_dropped_by_subsampling:,} token occurrences",
        ]
        if self.words_pruned_while_scanning:
            lines.append(
                f"vocabulary scan: {self.words_pruned_while_scanning:,} rare words pruned to stay "
                "within max_vocab_size (or a quarter of max_memory): their counts are lost"
            )
        if self.disk:
            lines.append(f"on disk (max_memory): {self.disk}")
        for e in self.epochs:
            lines.append(
                f"epoch {e.epoch + 1}: loss {e.loss:.4f} per pair, "
                f"{e.words_per_sec:,.0f} words/s, {e.seconds:.1f} s"
            )
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    """``1 sentence``, ``2 sentences``: a count with its noun in the right number."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
