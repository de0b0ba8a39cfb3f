"""Training callbacks: the ``Callback`` base a hook overrides, and ready-made ones that evaluate
every epoch, save every epoch, stop early.

Pass them to ``Word2Vec.fit``/``train``/``resume`` as ``callbacks=[...]``. Each keeps what it saw
in ``history`` (one entry per epoch) so a notebook or a script can plot or log it afterwards.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any, Literal

from wordvec.core.report import EpochStats

# the model a hook gets: a wordvec.word2vec.model.Word2Vec (not imported: it imports this module)
Model = Any


class Callback:
    """Override what you need. ``on_epoch_end`` gets the epoch's stats; set
    ``model.stop_training = True`` in any hook to stop after the current epoch."""

    def on_train_begin(self, model: Model) -> None: ...
    def on_epoch_begin(self, model: Model, epoch: int) -> None: ...
    def on_epoch_end(self, model: Model, stats: EpochStats) -> None: ...
    def on_train_end(self, model: Model) -> None: ...


class EvaluateAnalogies(Callback):
    """Score the vectors on an analogy file after every ``every`` epochs (3CosAdd or 3CosMul,
    ``restrict_vocab`` most frequent words, as ``wordvec.vectors.evaluate.evaluate_analogies``).

    ``history``: list of (epoch, accuracy); ``verbose`` prints one line per evaluation.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        restrict_vocab: int = 30_000,
        method: Literal["3cosadd", "3cosmul"] = "3cosadd",
        every: int = 1,
        verbose: bool = False,
    ):
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        if not Path(path).is_file():
            raise FileNotFoundError(f"no such analogy file: {path}")
        self.path, self.restrict_vocab, self.method = path, restrict_vocab, method
        self.every, self.verbose = every, verbose
        self.history: list[tuple[int, float]] = []

    def on_epoch_end(self, model: Model, stats: EpochStats) -> None:
        if (stats.epoch + 1) % self.every:
            return
        from wordvec.vectors.evaluate import evaluate_analogies

        model.wv.reset_norms()  # the vectors moved during the epoch
        result = evaluate_analogies(model.wv, self.path, self.restrict_vocab, self.method)
        self.history.append((stats.epoch, result.accuracy))
        if self.verbose:
            print(
                f"epoch {stats.epoch + 1}: analogy accuracy {result.accuracy:.4f} "
                f"({result.correct}/{result.total})",
                file=sys.stderr,
            )


class SaveEvery(Callback):
    """Save the model (native format, atomically) after every ``every`` epochs to ``path``,
    where ``{epoch}`` in the path is replaced by the epoch number (1-based); without it, each save
    replaces the last."""

    def __init__(self, path: str | os.PathLike, every: int = 1):
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.path, self.every = str(path), every
        self.history: list[str] = []

    def on_epoch_end(self, model: Model, stats: EpochStats) -> None:
        if (stats.epoch + 1) % self.every:
            return
        path = self.path.replace("{epoch}", str(stats.epoch + 1))
        model.save(path)
        self.history.append(path)


class EarlyStopping(Callback):
    """Stop when the epoch loss (or, given an ``EvaluateAnalogies`` callback listed before this
    one, the analogy accuracy) has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(
        self, patience: int = 1, min_delta: float = 0.0, analogies: EvaluateAnalogies | None = None
    ):
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.patience, self.min_delta, self.analogies = patience, min_delta, analogies
        self.best = math.inf
        self.waited = 0
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, model: Model, stats: EpochStats) -> None:
        if self.analogies is not None:
            if not self.analogies.history or self.analogies.history[-1][0] != stats.epoch:
                return  # no evaluation this epoch
            value = -self.analogies.history[-1][1]  # higher accuracy is better
        else:
            value = stats.loss
        if value < self.best - self.min_delta:
            self.best, self.waited = value, 0
            return
        self.waited += 1
        if self.waited >= self.patience:
            model.stop_training = True
            self.stopped_epoch = stats.epoch
