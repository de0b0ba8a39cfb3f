"""What is learned: a word2vec objective as the kernels' bundles and the ``train_job`` the
schedule's executors call (``wordvec.core.schedule.TrainJob``).

An ``Objective`` holds only arrays and numbers (the packed corpus, the sampling and Huffman
tables, the options), so it can be shipped to another process as it is. It does not hold the
weights: each call gets the arrays it trains (the shared ones, or one replica's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from wordvec.core.huffman import HuffmanTree
from wordvec.core.schedule import Job
from wordvec.corpus.encoded import EncodedCorpus

Kind = Literal["sg", "cbow", "softmax"]
N_MATRICES = 3  # syn0, syn1neg, syn1: the rows of ``touched``
# Hogwild skip-gram: the heaviest Huffman nodes (on nearly every path) each thread trains on a
# copy of its own, added back and renewed every 1,000 positions (``kernels.train.HOGWILD_SYNC``),
# so that they do not move between the cores with every window (8,192 of them renewed once a job
# of 10,000 tokens: 1.6 points of analogy lost; docs/training-core.md, "The kernels")
HOGWILD_NODES = 1024


@dataclass
class Objective:
    """``kind`` picks the kernel (``kernels.train.KERNELS``, ``kernels.softmax.KERNELS`` for
    "softmax", or ``kernels.subword.KERNELS`` when ``tables`` is a ``SubwordTables``);
    ``corpus``, ``tables``, ``opts`` are the bundles of ``kernels.bundles``."""

    kind: Kind
    corpus: Any
    tables: Any
    opts: Any

    @property
    def subwords(self) -> bool:
        """A word's input vector is the mean of its rows (``kernels.subword``)."""
        return hasattr(self.tables, "starts")

    def __call__(
        self, job: Job, weights: tuple[np.ndarray, ...], touched: np.ndarray, stats_row: np.ndarray
    ) -> None:
        from wordvec.kernels.bundles import SubwordWeights, Weights

        if self.subwords:  # the shared rows in place, or a replica's (threads.ThreadExecutor)
            from wordvec.kernels.subword import KERNELS

            bundle = SubwordWeights(*weights) if len(weights) > 3 else Weights(*weights)
        elif self.kind == "softmax":
            from wordvec.kernels.softmax import KERNELS

            bundle = Weights(*weights)
        else:
            from wordvec.kernels.train import KERNELS

            bundle = Weights(*weights)
        rng = np.array([job.seed], np.uint64)
        KERNELS[self.kind](
            self.corpus,
            bundle,
            self.tables,
            self.opts,
            job.s0,
            job.s1,
            job.alpha0,
            job.alpha1,
            rng,
            stats_row,
            touched,
        )


def make_objective(
    corpus: EncodedCorpus,
    keep: np.ndarray,
    noise: tuple[np.ndarray, np.ndarray] | None,
    tree: HuffmanTree | None,
    window: int,
    shrink_windows: bool,
    negative: int,
    hs: bool,
    sg: bool,
    cbow_mean: bool,
    softmax: bool,
    noise_logp: np.ndarray | None = None,
    subwords: tuple[np.ndarray, np.ndarray] | None = None,
    hogwild: bool = False,
) -> Objective:
    """The bundles of one training run over ``corpus`` (its long sentences already cut);
    ``keep``: subsampling thresholds; ``noise``: the alias table of the noise
    distribution (None without negative sampling); ``tree``: the Huffman tree (None without
    hs); ``noise_logp``: ``log P_n(w)`` of that distribution for NCE (None: no NCE);
    ``subwords``: (starts, rows) of each word's input rows (``SubwordTables``; None: a word is
    its own row); ``hogwild``: several threads train the same weights at once (each call then
    trains the ``HOGWILD_NODES`` heaviest Huffman nodes on a copy of its own)."""
    from wordvec.kernels.bundles import Corpus, Options, SubwordTables, Tables

    if noise is None:
        noise = (np.zeros(1, np.uint64), np.zeros(1, np.int32))
    noise_p, noise_a = noise
    if tree is None:
        codes, points = np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32)
        lengths = np.zeros(1, np.int32)
    else:
        codes, points, lengths = tree.codes, tree.points, tree.lengths
    bounds = corpus.bounds
    bundle = Corpus(corpus.ids, corpus.rare, corpus.rare_starts(bounds), bounds)
    nce = noise_logp is not None
    if nce:  # log(k P_n(w)): the noise's log-odds against one true word
        nce_shift = (np.log(negative) + noise_logp).astype(np.float32)
    else:
        nce_shift = np.zeros(1, np.float32)
    tables = Tables(keep, noise_p, noise_a, codes, points, lengths, nce_shift)
    if subwords is not None:
        tables = SubwordTables(*tables, *subwords)
    opts = Options(
        int(window),
        int(bool(shrink_windows)),
        int(negative),
        int(bool(hs)),
        int(bool(sg)),
        int(bool(cbow_mean)),
        int(nce),
        HOGWILD_NODES if hogwild else 0,
    )
    kind: Kind = "softmax" if softmax else ("sg" if sg else "cbow")
    return Objective(kind, bundle, tables, opts)
