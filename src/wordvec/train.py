"""The Word2Vec estimator: vocabulary, schedule, worker threads, loss, save/load.

Training runs ``workers`` Python threads, each calling a Numba kernel (``wordvec.kernels.train``)
that holds no GIL, over jobs of about ``batch_words`` tokens of the pre-encoded corpus. A job's
random stream and learning rate depend only on (seed, epoch, job), never on which thread runs it,
so ``workers=1`` with a seed is bit-for-bit reproducible and the loss (summed per job in float64,
in job order) does not depend on the number of workers. With several workers, threads update the
shared vectors without locks (Hogwild), as the C tool and gensim do.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import io
from .corpus import scan_corpus
from .keyedvectors import KeyedVectors
from .vocab import EncodedCorpus, Vocab, build_vocab, keep_thresholds, noise_alias

SOFTMAX_MAX_VOCAB = 10_000  # full softmax is O(V d) per pair: beyond this, use hs or negative
MODEL_KIND = "wordvec.Word2Vec"
_MASK64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """splitmix64 finaliser: a well-spread 64-bit value from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (x ^ (x >> 31)) or 1


def job_seed(seed: int, epoch: int, job: int) -> int:
    """The random state a job starts from: a function of (seed, epoch, job) only."""
    return _mix64(_mix64(_mix64(seed) ^ epoch) ^ job)


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
    seconds_vocab: float = 0.0
    seconds_train: float = 0.0
    epochs: list[EpochStats] = field(default_factory=list)

    @property
    def tokens_dropped_by_subsampling(self) -> int:
        return sum(self.vocab_tokens - e.words_kept for e in self.epochs)


class Callback:
    """Override what you need. ``on_epoch_end`` gets the epoch's stats; set
    ``model.stop_training = True`` in any hook to stop after the current epoch."""

    def on_train_begin(self, model: Word2Vec) -> None: ...
    def on_epoch_begin(self, model: Word2Vec, epoch: int) -> None: ...
    def on_epoch_end(self, model: Word2Vec, stats: EpochStats) -> None: ...
    def on_train_end(self, model: Word2Vec) -> None: ...


ProgressFn = Callable[[int, int, float], None]  # (tokens done, tokens total, last loss)


class Word2Vec:
    """word2vec: skip-gram (``sg=1``) or CBOW (``sg=0``) trained with negative sampling
    (``negative > 0``), hierarchical softmax (``hs=1``) or the full softmax (``softmax=True``).

    Parameter names and defaults follow gensim. Usage::

        model = Word2Vec(vector_size=100, sg=1).fit("corpus.txt")
        model.wv.most_similar("king")

    Learned state: ``wv`` (KeyedVectors), ``syn1neg_``/``syn1_`` (output weights),
    ``loss_history_`` (mean loss per pair for each epoch), ``report_`` (TrainingReport).
    """

    def __init__(
        self,
        vector_size: int = 100,
        window: int = 5,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        max_final_vocab: int | None = None,
        sample: float = 1e-3,
        alpha: float = 0.025,
        min_alpha: float = 0.0001,
        epochs: int = 5,
        negative: int = 5,
        ns_exponent: float = 0.75,
        hs: int = 0,
        sg: int = 0,
        cbow_mean: int = 1,
        softmax: bool = False,
        shrink_windows: bool = True,
        seed: int = 1,
        workers: int = 3,
        batch_words: int = 10_000,
        max_sentence_length: int = 10_000,
        unicode_errors: str = "strict",
    ):
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.max_final_vocab = max_final_vocab
        self.sample = sample
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.epochs = epochs
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.hs = hs
        self.sg = sg
        self.cbow_mean = cbow_mean
        self.softmax = softmax
        self.shrink_windows = shrink_windows
        self.seed = seed
        self.workers = workers
        self.batch_words = batch_words
        self.max_sentence_length = max_sentence_length
        self.unicode_errors = unicode_errors
        self.check_params()
        self.stop_training = False
        self.epochs_trained_ = 0

    # -- parameters ---------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _PARAM_NAMES}

    def check_params(self) -> None:
        """Raise ValueError naming the first invalid parameter."""
        p = self.get_params()

        def need(ok: bool, name: str, what: str) -> None:
            if not ok:
                raise ValueError(f"{name} must be {what}, got {p[name]!r}")

        def is_int(x: Any) -> bool:
            return isinstance(x, int | np.integer) and not isinstance(x, bool)

        def is_num(x: Any) -> bool:
            return isinstance(x, int | float | np.number) and not isinstance(x, bool)

        for name in ("vector_size", "window", "epochs", "workers", "batch_words",
                     "max_sentence_length"):  # fmt: skip
            need(is_int(p[name]) and p[name] >= 1, name, "an integer >= 1")
        for name in ("min_count", "negative"):
            need(is_int(p[name]) and p[name] >= 0, name, "an integer >= 0")
        for name in ("max_vocab_size", "max_final_vocab"):
            need(p[name] is None or (is_int(p[name]) and p[name] >= 1), name, "None or >= 1")
        for name in ("hs", "sg", "cbow_mean", "softmax", "shrink_windows"):
            need(p[name] in (0, 1, True, False), name, "0/1 or a bool")
        need(is_num(p["sample"]) and 0 <= p["sample"] < 1, "sample", "a number in [0, 1)")
        need(is_num(p["alpha"]) and 0 < p["alpha"] <= 1, "alpha", "a number in (0, 1]")
        need(
            is_num(p["min_alpha"]) and 0 <= p["min_alpha"] <= p["alpha"],
            "min_alpha",
            "a number in [0, alpha]",
        )
        need(is_num(p["ns_exponent"]) and -10 <= p["ns_exponent"] <= 10, "ns_exponent",
             "a number in [-10, 10]")  # fmt: skip
        need(is_int(p["seed"]), "seed", "an integer")
        need(p["unicode_errors"] in ("strict", "replace", "ignore"), "unicode_errors",
             "'strict', 'replace' or 'ignore'")  # fmt: skip
        if self.softmax and (self.hs or self.negative):
            raise ValueError("softmax=True is the full softmax: set hs=0 and negative=0 with it")
        if not (self.softmax or self.hs or self.negative):
            raise ValueError("nothing to train: set negative > 0, hs=1, or softmax=True")

    # -- vocabulary ---------------------------------------------------------------------------
    def build_vocab(
        self,
        corpus: str | os.PathLike | Iterable[list[str]],
        progress: Callable[[int], None] | None = None,
    ) -> Word2Vec:
        """Scan the corpus once: count words, keep those seen ``min_count`` times or more, and
        encode the corpus as word ids for training. Initialises the vectors."""
        t0 = time.perf_counter()
        scan = scan_corpus(corpus, self.max_vocab_size, progress)
        vocab, enc = build_vocab(scan, self.min_count, self.max_final_vocab, self.unicode_errors)
        if self.softmax and len(vocab) > SOFTMAX_MAX_VOCAB:
            raise ValueError(
                f"softmax=True over {len(vocab):,} words would be absurdly slow (O(V) per pair); "
                f"it is allowed up to {SOFTMAX_MAX_VOCAB:,} words: raise min_count or use "
                "negative sampling or hs=1"
            )
        self.vocab_ = vocab
        self.corpus_, n_split = _split_long(enc, self.max_sentence_length)
        self.report_ = TrainingReport(
            raw_tokens=enc.raw_tokens,
            vocab_tokens=enc.n_tokens,
            vocab_size=len(vocab),
            sentences=int(enc.bounds.shape[0] - 1),
            sentences_split=n_split,
            words_pruned_while_scanning=scan.pruned_words,
            seconds_vocab=time.perf_counter() - t0,
        )
        self._init_weights()
        return self

    def _init_weights(self) -> None:
        v, d = len(self.vocab_), self.vector_size
        rng = np.random.default_rng(self.seed)
        # the C tool's and gensim's initialisation: input uniform in [-0.5, 0.5) / d, output 0
        syn0 = rng.random((v, d), dtype=np.float32)
        syn0 -= 0.5
        syn0 /= d
        self.wv = KeyedVectors(self.vocab_.words, syn0, self.vocab_.counts)
        self.syn1neg_ = np.zeros((v, d), np.float32) if self.negative else None
        n_out = v if self.softmax else max(v - 1, 1)
        self.syn1_ = np.zeros((n_out, d), np.float32) if (self.hs or self.softmax) else None
        self.epochs_trained_ = 0
        self.loss_history_: list[float] = []

    # -- training -----------------------------------------------------------------------------
    def fit(
        self,
        corpus: str | os.PathLike | Iterable[list[str]],
        callbacks: Sequence[Callback] = (),
        progress: ProgressFn | None = None,
    ) -> Word2Vec:
        """Build the vocabulary from ``corpus`` and train ``epochs`` epochs on it."""
        return self.build_vocab(corpus).train(callbacks=callbacks, progress=progress)

    def train(
        self,
        callbacks: Sequence[Callback] = (),
        progress: ProgressFn | None = None,
    ) -> Word2Vec:
        """Train ``epochs`` epochs on the corpus given to ``build_vocab``.

        The learning rate falls linearly from ``alpha`` to ``min_alpha`` over all epochs.
        ``progress(done, total, loss)`` is called from this thread about five times a second.
        """
        if not hasattr(self, "corpus_"):
            raise ValueError("no corpus: call build_vocab(corpus) or fit(corpus) first")
        self.check_params()
        plan = _Plan.make(self)
        self.stop_training = False
        t0 = time.perf_counter()
        for cb in callbacks:
            cb.on_train_begin(self)
        for epoch in range(self.epochs):
            for cb in callbacks:
                cb.on_epoch_begin(self, epoch)
            stats = plan.run_epoch(self, epoch, progress)
            self.loss_history_.append(stats.loss)
            self.report_.epochs.append(stats)
            self.epochs_trained_ += 1
            for cb in callbacks:
                cb.on_epoch_end(self, stats)
            if self.stop_training:
                break
        self.report_.seconds_train += time.perf_counter() - t0
        self.wv.fill_norms(force=True)
        for cb in callbacks:
            cb.on_train_end(self)
        return self

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save the whole model (parameters, vocabulary, input and output weights) in the native
        format; ``Word2Vec.load`` restores it, ready to query or to train further."""
        arrays = {"vectors": self.wv.vectors, "counts": self.wv.counts}
        if self.syn1neg_ is not None:
            arrays["syn1neg"] = self.syn1neg_
        if self.syn1_ is not None:
            arrays["syn1"] = self.syn1_
        meta = {
            "kind": MODEL_KIND,
            "params": self.get_params(),
            "words": self.wv.index_to_key,
            "epochs_trained": self.epochs_trained_,
            "loss_history": self.loss_history_,
        }
        io.save_native(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False) -> Word2Vec:
        """Load a model written by ``save``. With ``mmap`` the vectors are memory-mapped read-only
        (fast, for queries); without it they are in memory and training can continue."""
        meta, arrays = io.load_native(path, mmap=mmap)
        if meta.get("kind") != MODEL_KIND:
            raise io.FormatError(f"{path}: holds {meta.get('kind')!r}, not a Word2Vec model")
        try:
            model = cls(**meta["params"])
            words = meta["words"]
            model.vocab_ = Vocab(words, arrays["counts"])
            model.wv = KeyedVectors(words, arrays["vectors"], arrays["counts"])
        except (KeyError, TypeError, ValueError) as e:
            raise io.FormatError(f"{path}: inconsistent model file: {e}") from None
        model.syn1neg_ = arrays.get("syn1neg")
        model.syn1_ = arrays.get("syn1")
        model.epochs_trained_ = int(meta.get("epochs_trained", 0))
        model.loss_history_ = list(meta.get("loss_history", []))
        return model


_PARAM_NAMES = [
    "vector_size", "window", "min_count", "max_vocab_size", "max_final_vocab", "sample", "alpha",
    "min_alpha", "epochs", "negative", "ns_exponent", "hs", "sg", "cbow_mean", "softmax",
    "shrink_windows", "seed", "workers", "batch_words", "max_sentence_length", "unicode_errors",
]  # fmt: skip


def _split_long(enc: EncodedCorpus, max_len: int) -> tuple[EncodedCorpus, int]:
    """Cut sentences longer than ``max_len`` into pieces (no token dropped); returns the number
    of sentences that were cut."""
    lengths = np.diff(enc.bounds)
    pieces = np.maximum(-(-lengths // max_len), 1)
    if np.all(pieces == 1):
        return enc, 0
    starts = np.repeat(enc.bounds[:-1], pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    starts = starts + (np.arange(starts.shape[0]) - first) * max_len
    bounds = np.append(starts, enc.bounds[-1]).astype(np.int64)
    return EncodedCorpus(enc.ids, bounds, enc.raw_tokens), int(np.count_nonzero(pieces > 1))


@dataclass
class _Plan:
    """Everything a training run needs that does not change between epochs."""

    jobs: np.ndarray  # int64[J + 1]: job j trains sentences jobs[j] .. jobs[j + 1] - 1
    keep: np.ndarray
    noise: tuple[np.ndarray, np.ndarray]
    tree: Any
    total: int  # tokens per epoch

    @staticmethod
    def make(model: Word2Vec) -> _Plan:
        from .huffman import build_huffman

        bounds = model.corpus_.bounds
        counts = model.vocab_.counts
        total = int(bounds[-1])
        # job boundaries: the first sentence starting after each multiple of batch_words
        cuts = np.searchsorted(bounds, np.arange(model.batch_words, total, model.batch_words))
        jobs = np.unique(np.concatenate([[0], cuts, [bounds.shape[0] - 1]])).astype(np.int64)
        v = counts.shape[0]
        noise = (
            noise_alias(counts, model.ns_exponent)
            if model.negative
            else (np.zeros(1, np.uint64), np.zeros(1, np.int32))
        )
        tree = build_huffman(counts) if model.hs else build_huffman(counts[:1])
        _ = v
        return _Plan(jobs, keep_thresholds(counts, model.sample), noise, tree, total)

    def run_epoch(self, model: Word2Vec, epoch: int, progress: ProgressFn | None) -> EpochStats:
        from .kernels import train as k

        bounds, ids = model.corpus_.bounds, model.corpus_.ids
        n_jobs = self.jobs.shape[0] - 1
        stats = np.zeros((n_jobs, 3), np.float64)
        done = np.zeros(model.workers, np.int64)  # tokens done, per worker (no shared counter)
        counter = itertools.count()
        errors: list[BaseException] = []
        total_all = self.total * model.epochs
        base = (epoch) * self.total
        syn0 = model.wv.vectors
        d = model.vector_size
        a, a_min = model.alpha, model.min_alpha
        dummy = np.zeros((1, d), np.float32)
        syn1neg = model.syn1neg_ if model.syn1neg_ is not None else dummy
        syn1 = model.syn1_ if model.syn1_ is not None else dummy
        tree = self.tree

        def alpha_at(tokens: int) -> float:
            return max(a - (a - a_min) * tokens / max(total_all, 1), a_min)

        def worker(wid: int) -> None:
            rng = np.zeros(1, np.uint64)
            try:
                while not model.stop_training:
                    j = next(counter)
                    if j >= n_jobs:
                        return
                    s0, s1 = self.jobs[j], self.jobs[j + 1]
                    t0, t1 = bounds[s0], bounds[s1]
                    rng[0] = job_seed(model.seed, model.epochs_trained_, j)
                    a0, a1 = alpha_at(base + t0), alpha_at(base + t1)
                    if model.softmax:
                        k.train_softmax(ids, bounds, s0, s1, syn0, syn1, self.keep,
                                        model.window, model.shrink_windows, model.sg,
                                        model.cbow_mean, a0, a1, rng, stats[j])  # fmt: skip
                    elif model.sg:
                        k.train_sg(ids, bounds, s0, s1, syn0, syn1neg, syn1, self.keep,
                                   self.noise[0], self.noise[1], tree.codes, tree.points,
                                   tree.lengths, model.window, model.shrink_windows,
                                   model.negative, model.hs, a0, a1, rng,
                                   stats[j])  # fmt: skip
                    else:
                        k.train_cbow(ids, bounds, s0, s1, syn0, syn1neg, syn1, self.keep,
                                     self.noise[0], self.noise[1], tree.codes, tree.points,
                                     tree.lengths, model.window, model.shrink_windows,
                                     model.negative, model.hs, model.cbow_mean, a0, a1, rng,
                                     stats[j])  # fmt: skip
                    done[wid] += t1 - t0
            except BaseException as e:  # surfaced in the calling thread
                errors.append(e)
                model.stop_training = True

        t_start = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(model.workers)]  # fmt: skip
        for t in threads:
            t.start()
        try:
            while any(t.is_alive() for t in threads):
                threads[0].join(0.2)
                if progress:
                    s = stats.sum(axis=0)
                    progress(int(base + done.sum()), total_all, s[0] / max(s[1], 1))
        except KeyboardInterrupt:
            model.stop_training = True
            for t in threads:
                t.join()
            raise
        if errors:
            raise errors[0]
        seconds = time.perf_counter() - t_start
        loss, pairs, kept = stats.sum(axis=0)
        return EpochStats(
            epoch=model.epochs_trained_,
            loss=float(loss / max(pairs, 1)),
            pairs=int(pairs),
            words_kept=int(kept),
            seconds=seconds,
            words_per_sec=float(done.sum() / max(seconds, 1e-9)),
        )
