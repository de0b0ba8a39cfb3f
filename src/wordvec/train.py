"""The Word2Vec estimator: vocabulary, schedule, worker threads, loss, save/load.

Training runs ``workers`` Python threads, each calling a Numba kernel (``wordvec.kernels.train``)
that holds no GIL, over jobs of about ``batch_words`` tokens of the pre-encoded corpus. A job's
random stream and learning rate depend only on (seed, epoch, job), never on which thread runs it,
and the loss is summed per job in float64, in job order, so it does not depend on the number of
workers. ``workers=1`` with a seed is bit-for-bit reproducible. With several workers, by default
(``deterministic=True``) each worker trains fixed runs of jobs on its own copy of the weights and
the copies' changes are merged in a fixed order every ``round_words`` tokens a worker: the same
seed and number of workers give the same vectors on every run. ``deterministic=False`` is the
fastest mode: threads update the shared weights without locks (Hogwild), as the C tool and
gensim do, and runs differ in the last bits.
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import io
from .corpus import scan_corpus, trim_heap
from .keyedvectors import KeyedVectors
from .vocab import (
    EncodedCorpus,
    Vocab,
    build_vocab,
    encode_with,
    keep_thresholds,
    merge_counts,
    noise_alias,
)

SOFTMAX_MAX_VOCAB = 10_000  # full softmax is O(V d) per pair: beyond this, use hs or negative
MODEL_KIND = "wordvec.Word2Vec"
CHECKPOINT_KIND = "wordvec.Word2Vec.checkpoint"
_MASK64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """splitmix64 finaliser: a well-spread 64-bit value from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (x ^ (x >> 31)) or 1


def learning_rate(alpha: float, min_alpha: float, done: int, total: int) -> float:
    """The rate after ``done`` of ``total`` tokens of a run: linear from ``alpha`` to
    ``min_alpha``, never below it."""
    return max(alpha - (alpha - min_alpha) * done / max(total, 1), min_alpha)


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

    def summary(self) -> str:
        """The report as a few readable lines."""
        lines = [
            f"tokens: {self.raw_tokens:,} read, {self.vocab_tokens:,} in the vocabulary of "
            f"{self.vocab_size:,} words; {self.sentences:,} sentences "
            f"({self.sentences_split:,} long ones cut into pieces, no token lost)",
            f"time: vocabulary {self.seconds_vocab:.2f} s, training {self.seconds_train:.2f} s; "
            f"subsampling dropped {self.tokens_dropped_by_subsampling:,} token occurrences",
        ]
        for e in self.epochs:
            lines.append(f"epoch {e.epoch + 1}: loss {e.loss:.4f} per pair, "
                         f"{e.words_per_sec:,.0f} words/s, {e.seconds:.1f} s")  # fmt: skip
        return "\n".join(lines)


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
        deterministic: bool = True,
        round_words: int = 50_000,
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
        self.deterministic = deterministic
        self.round_words = round_words
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
                     "max_sentence_length", "round_words"):  # fmt: skip
            need(is_int(p[name]) and p[name] >= 1, name, "an integer >= 1")
        for name in ("min_count", "negative"):
            need(is_int(p[name]) and p[name] >= 0, name, "an integer >= 0")
        for name in ("max_vocab_size", "max_final_vocab"):
            need(p[name] is None or (is_int(p[name]) and p[name] >= 1), name, "None or >= 1")
        for name in ("hs", "sg", "cbow_mean", "softmax", "shrink_windows", "deterministic"):
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
        update: bool = False,
    ) -> Word2Vec:
        """Scan the corpus once: count words, keep those seen ``min_count`` times or more, and
        encode the corpus as word ids for training. Initialises the vectors.

        With ``update=True`` (continued training of a trained or loaded model) the new corpus's
        counts are added to the old ones: old words keep their vectors and output weights, new
        words reaching ``min_count`` (over old + new counts) start from random vectors, and the
        next ``train()`` runs on the new corpus. With hs=1 the Huffman tree is rebuilt from the
        new counts, so the inner-node weights of old words are only a starting point.
        """
        t0 = time.perf_counter()
        scan = scan_corpus(corpus, self.max_vocab_size, progress, workers=self.workers)
        if update:
            if not hasattr(self, "vocab_"):
                raise ValueError("update=True needs a trained model: call build_vocab first")
            vocab, old_row = merge_counts(self.vocab_, scan, self.min_count, self.unicode_errors)
            enc = encode_with(scan, vocab.words, self.unicode_errors)
        else:
            vocab, enc = build_vocab(
                scan, self.min_count, self.max_final_vocab, self.unicode_errors
            )
        if self.softmax and len(vocab) > SOFTMAX_MAX_VOCAB:
            raise ValueError(
                f"softmax=True over {len(vocab):,} words would be absurdly slow (O(V) per pair); "
                f"it is allowed up to {SOFTMAX_MAX_VOCAB:,} words: raise min_count or use "
                "negative sampling or hs=1"
            )
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
        del scan, enc
        trim_heap()  # before the weights: the scan's freed tables must not add to the peak
        if update:
            self._grow_weights(vocab, old_row)
        else:
            self.vocab_ = vocab
            self._init_weights()
        return self

    def _init_weights(self) -> None:
        v, d = len(self.vocab_), self.vector_size
        self.wv = KeyedVectors(self.vocab_.words, _random_vectors(v, d, self.seed),
                               self.vocab_.counts)  # fmt: skip
        self.syn1neg_ = np.zeros((v, d), np.float32) if self.negative else None
        n_out = v if self.softmax else max(v - 1, 1)
        self.syn1_ = np.zeros((n_out, d), np.float32) if (self.hs or self.softmax) else None
        self.epochs_trained_ = 0
        self.loss_history_: list[float] = []

    def _grow_weights(self, vocab: Vocab, old_row: np.ndarray) -> None:
        """Reorder the weights to ``vocab``: old rows move with their words, new rows are new."""
        v, d = len(vocab), self.vector_size
        new = old_row < 0
        syn0 = np.empty((v, d), np.float32)
        syn0[~new] = self.wv.vectors[old_row[~new]]
        syn0[new] = _random_vectors(int(new.sum()), d, self.seed + self.epochs_trained_ + 1)
        if self.syn1neg_ is not None:
            syn1neg = np.zeros((v, d), np.float32)
            syn1neg[~new] = self.syn1neg_[old_row[~new]]
            self.syn1neg_ = syn1neg
        if self.syn1_ is not None:
            n_out = v if self.softmax else max(v - 1, 1)
            syn1 = np.zeros((n_out, d), np.float32)
            if self.softmax:
                syn1[~new] = self.syn1_[old_row[~new]]
            else:  # inner nodes: keep the old ones as a start, the tree is rebuilt
                keep = min(n_out, self.syn1_.shape[0])
                syn1[:keep] = self.syn1_[:keep]
            self.syn1_ = syn1
        self.vocab_ = vocab
        self.wv = KeyedVectors(vocab.words, syn0, vocab.counts)

    # -- training -----------------------------------------------------------------------------
    def fit(
        self,
        corpus: str | os.PathLike | Iterable[list[str]],
        callbacks: Sequence[Callback] = (),
        progress: ProgressFn | None = None,
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: float | None = None,
    ) -> Word2Vec:
        """Build the vocabulary from ``corpus`` and train ``epochs`` epochs on it."""
        return self.build_vocab(corpus).train(callbacks, progress, checkpoint, checkpoint_every)

    def train(
        self,
        callbacks: Sequence[Callback] = (),
        progress: ProgressFn | None = None,
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: float | None = None,
    ) -> Word2Vec:
        """Train ``epochs`` epochs on the corpus given to ``build_vocab``.

        The learning rate falls linearly from ``alpha`` to ``min_alpha`` over the epochs of this
        call (a further call, e.g. after ``build_vocab(update=True)``, starts again at
        ``alpha``: lower it first if the model should move less). ``progress(done, total,
        loss)`` is called from this thread about five times a second.

        With ``checkpoint`` a resumable checkpoint is written there (atomically) at the end of
        every epoch, every ``checkpoint_every`` seconds, and on Ctrl-C before
        ``KeyboardInterrupt`` is re-raised; ``Word2Vec.resume`` continues from it.
        """
        if not hasattr(self, "corpus_"):
            raise ValueError("no corpus: call build_vocab(corpus) or fit(corpus) first")
        self.check_params()
        self._run = _RunState(start_epochs=self.epochs_trained_)
        return self._train(callbacks, progress, checkpoint, checkpoint_every)

    def _train(self, callbacks, progress, checkpoint, checkpoint_every) -> Word2Vec:
        plan = _Plan.make(self)
        run = self._run
        self.stop_training = False
        t0 = time.perf_counter()
        if run.epoch == 0 and run.next_job == 0:
            for cb in callbacks:
                cb.on_train_begin(self)
        while run.epoch < self.epochs:
            if run.next_job == 0:
                for cb in callbacks:
                    cb.on_epoch_begin(self, self.epochs_trained_)
            stats = plan.run_epoch(self, progress, checkpoint, checkpoint_every)
            self.loss_history_.append(stats.loss)
            self.report_.epochs.append(stats)
            self.epochs_trained_ += 1
            run.epoch, run.next_job, run.stats = run.epoch + 1, 0, None
            if checkpoint is not None:
                self.save_checkpoint(checkpoint)
            for cb in callbacks:
                cb.on_epoch_end(self, stats)
            if self.stop_training:
                break
        self.report_.seconds_train += time.perf_counter() - t0
        self.wv.reset_norms()  # unit vectors are recomputed on the first query, not kept now
        for cb in callbacks:
            cb.on_train_end(self)
        return self

    # -- persistence --------------------------------------------------------------------------
    def _arrays(self) -> dict[str, np.ndarray]:
        arrays = {"vectors": self.wv.vectors, "counts": self.wv.counts}
        if self.syn1neg_ is not None:
            arrays["syn1neg"] = self.syn1neg_
        if self.syn1_ is not None:
            arrays["syn1"] = self.syn1_
        return arrays

    def _meta(self, kind: str) -> dict[str, Any]:
        return {
            "kind": kind,
            "params": self.get_params(),
            "words": self.wv.index_to_key,
            "epochs_trained": self.epochs_trained_,
            "loss_history": self.loss_history_,
        }

    def save(self, path: str | os.PathLike) -> None:
        """Save the whole model (parameters, vocabulary, input and output weights) in the native
        format; ``Word2Vec.load`` restores it, ready to query or to train further."""
        io.save_native(path, self._meta(MODEL_KIND), self._arrays())

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Everything needed to continue this run exactly: the model, the position in the run
        (epoch, next job: random streams and learning rate follow from them), the epoch's loss
        so far, and a checksum of the encoded corpus to refuse resuming on another corpus."""
        run = self._run
        meta = self._meta(CHECKPOINT_KIND)
        meta["run"] = {
            "start_epochs": run.start_epochs,
            "epoch": run.epoch,
            "next_job": run.next_job,
            "corpus_crc32": _corpus_crc(self.corpus_),
        }
        arrays = self._arrays()
        if run.stats is not None:
            arrays["epoch_stats"] = run.stats
        io.save_native(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False) -> Word2Vec:
        """Load a model written by ``save``. With ``mmap`` the vectors are memory-mapped read-only
        (fast, for queries); without it they are in memory and training can continue."""
        return cls._load(path, mmap, MODEL_KIND)[0]

    @classmethod
    def _load(cls, path, mmap: bool, kind: str) -> tuple[Word2Vec, dict, dict]:
        meta, arrays = io.load_native(path, mmap=mmap)
        if meta.get("kind") != kind:
            raise io.FormatError(f"{path}: holds {meta.get('kind')!r}, not {kind!r}")
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
        return model, meta, arrays

    # -- queries of the trained model (wordvec.predict) -----------------------------------------
    def predict_output_word(self, context_words: Sequence[str], topn: int = 10):
        """The words the model predicts around ``context_words``: [(word, probability)]."""
        from .predict import predict_output_word

        return predict_output_word(self, context_words, topn)

    def score(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """float64[n] log-probability of each sentence under the model (hs or full softmax)."""
        from .predict import score_sentence

        return np.array([score_sentence(self, s) for s in sentences], np.float64)

    @classmethod
    def resume(
        cls,
        checkpoint: str | os.PathLike,
        corpus: str | os.PathLike | Iterable[list[str]],
        callbacks: Sequence[Callback] = (),
        progress: ProgressFn | None = None,
        checkpoint_every: float | None = None,
    ) -> Word2Vec:
        """Continue the run saved in ``checkpoint`` on the same ``corpus``; further checkpoints
        go to the same file. With ``workers=1`` the result is bit-identical to a run that was
        never interrupted."""
        model, meta, arrays = cls._load(checkpoint, False, CHECKPOINT_KIND)
        run = meta["run"]
        t0 = time.perf_counter()
        scan = scan_corpus(corpus, model.max_vocab_size, workers=model.workers)
        enc = encode_with(scan, model.wv.index_to_key, model.unicode_errors)
        model.corpus_, n_split = _split_long(enc, model.max_sentence_length)
        if _corpus_crc(model.corpus_) != run["corpus_crc32"]:
            raise ValueError(f"{corpus}: not the corpus the checkpoint {checkpoint} was made on")
        model.report_ = TrainingReport(
            raw_tokens=enc.raw_tokens, vocab_tokens=enc.n_tokens, vocab_size=len(model.wv),
            sentences=int(enc.bounds.shape[0] - 1), sentences_split=n_split,
            seconds_vocab=time.perf_counter() - t0,
        )  # fmt: skip
        model._run = _RunState(
            start_epochs=int(run["start_epochs"]),
            epoch=int(run["epoch"]),
            next_job=int(run["next_job"]),
            stats=arrays.get("epoch_stats"),
        )
        return model._train(callbacks, progress, checkpoint, checkpoint_every)


def _random_vectors(n: int, d: int, seed: int) -> np.ndarray:
    """The C tool's and gensim's initialisation: uniform in [-0.5, 0.5) / d."""
    v = np.random.default_rng(seed).random((n, d), dtype=np.float32)
    v -= 0.5
    v /= d
    return v


def _corpus_crc(corpus: EncodedCorpus) -> int:
    return zlib.crc32(corpus.bounds, zlib.crc32(corpus.rare, zlib.crc32(corpus.ids)))


@dataclass
class _RunState:
    """Where a train() call is: epochs done in it, the next job of the current epoch, and the
    per-job stats of that epoch so far (float64[J, 3] or None)."""

    start_epochs: int
    epoch: int = 0
    next_job: int = 0
    stats: np.ndarray | None = None


_PARAM_NAMES = [
    "vector_size", "window", "min_count", "max_vocab_size", "max_final_vocab", "sample", "alpha",
    "min_alpha", "epochs", "negative", "ns_exponent", "hs", "sg", "cbow_mean", "softmax",
    "shrink_windows", "seed", "workers", "batch_words", "max_sentence_length", "unicode_errors",
    "deterministic", "round_words",
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
    split = int(np.count_nonzero(pieces > 1))
    return EncodedCorpus(enc.ids, enc.rare, bounds, enc.raw_tokens), split


@dataclass
class _Plan:
    """Everything a training run needs that does not change between epochs."""

    jobs: np.ndarray  # int64[J + 1]: job j trains sentences jobs[j] .. jobs[j + 1] - 1
    rare_starts: np.ndarray  # int64[S + 1]: see EncodedCorpus.rare_starts
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
        noise = (
            noise_alias(counts, model.ns_exponent)
            if model.negative
            else (np.zeros(1, np.uint64), np.zeros(1, np.int32))
        )
        tree = build_huffman(counts) if model.hs else build_huffman(counts[:1])
        rare_starts = model.corpus_.rare_starts(bounds)
        return _Plan(jobs, rare_starts, keep_thresholds(counts, model.sample), noise, tree, total)

    def _job_runner(self, model: Word2Vec, stats: np.ndarray) -> Callable[..., None]:
        """``train_job(j, rng, syn0, syn1neg, syn1, touched)``: train job ``j`` of the current
        epoch into the given weight arrays, adding its (loss, pairs, kept) to ``stats[j]`` and
        flagging the rows it updated in ``touched`` (uint8[3, V])."""
        from .kernels import train as k

        run = model._run
        bounds, ids, rare = model.corpus_.bounds, model.corpus_.ids, model.corpus_.rare
        rare_starts = self.rare_starts
        total_all = self.total * model.epochs
        base = run.epoch * self.total
        epoch_seed = run.start_epochs + run.epoch
        tree, (noise_p, noise_a), keep = self.tree, self.noise, self.keep

        def alpha_at(tokens: int) -> float:
            return learning_rate(model.alpha, model.min_alpha, tokens, total_all)

        def train_job(j: int, rng: np.ndarray, syn0, syn1neg, syn1, touched) -> None:
            s0, s1 = self.jobs[j], self.jobs[j + 1]
            rng[0] = job_seed(model.seed, epoch_seed, j)
            a0, a1 = alpha_at(base + bounds[s0]), alpha_at(base + bounds[s1])
            m, corpus = model, (ids, rare, rare_starts, bounds, s0, s1)
            if m.softmax:
                k.train_softmax(*corpus, syn0, syn1, keep, m.window, m.shrink_windows, m.sg,
                                m.cbow_mean, a0, a1, rng, stats[j], touched)  # fmt: skip
            elif m.sg:
                k.train_sg(*corpus, syn0, syn1neg, syn1, keep, noise_p, noise_a, tree.codes,
                           tree.points, tree.lengths, m.window, m.shrink_windows, m.negative,
                           m.hs, a0, a1, rng, stats[j], touched)  # fmt: skip
            else:
                k.train_cbow(*corpus, syn0, syn1neg, syn1, keep, noise_p, noise_a, tree.codes,
                             tree.points, tree.lengths, m.window, m.shrink_windows, m.negative,
                             m.hs, m.cbow_mean, a0, a1, rng, stats[j], touched)  # fmt: skip

        return train_job

    def _job_tokens(self, model: Word2Vec, j0: int, j1: int) -> int:
        bounds = model.corpus_.bounds
        return int(bounds[self.jobs[j1]] - bounds[self.jobs[j0]])

    def run_epoch(self, model: Word2Vec, progress: ProgressFn | None, checkpoint,
                  checkpoint_every: float | None) -> EpochStats:  # fmt: skip
        """Run (the rest of) the current epoch of ``model._run`` on ``model.workers`` threads:
        deterministic rounds (``model.deterministic``, several workers) or Hogwild."""
        run = model._run
        n_jobs = self.jobs.shape[0] - 1
        if run.stats is None or run.stats.shape != (n_jobs, 3):
            run.stats = np.zeros((n_jobs, 3), np.float64)
        train_job = self._job_runner(model, run.stats)
        dummy = np.zeros((1, model.vector_size), np.float32)
        weights = [model.wv.vectors, *(w if w is not None else dummy
                                       for w in (model.syn1neg_, model.syn1_))]  # fmt: skip
        base = run.epoch * self.total + self._job_tokens(model, 0, run.next_job)
        t_start = time.perf_counter()

        def report(done: int) -> None:
            if progress:
                sums = run.stats.sum(axis=0)
                progress(base + done, self.total * model.epochs, sums[0] / max(sums[1], 1))

        rounds = model.deterministic and model.workers > 1
        run_ = self._rounds if rounds else self._hogwild
        done = run_(model, train_job, weights, report, checkpoint, checkpoint_every)
        seconds = time.perf_counter() - t_start
        loss, pairs, kept = run.stats.sum(axis=0)
        return EpochStats(
            epoch=model.epochs_trained_,
            loss=float(loss / max(pairs, 1)),
            pairs=int(pairs),
            words_kept=int(kept),
            seconds=seconds,
            words_per_sec=float(done / max(seconds, 1e-9)),
        )

    def _hogwild(self, model, train_job, weights, report, checkpoint, checkpoint_every) -> int:
        """Workers take the next job as they finish one and share the weights without locks.
        Returns the tokens trained."""
        run = model._run
        gate = _Dispatcher(run.next_job, self.jobs.shape[0] - 1)
        done = np.zeros(model.workers, np.int64)  # tokens done, per worker (no shared counter)
        errors: list[BaseException] = []
        touched = np.zeros((3, 0), np.uint8)  # no merge follows: the kernels note nothing

        def worker(wid: int) -> None:
            rng = np.zeros(1, np.uint64)
            try:
                while (j := gate.take()) is not None:
                    try:
                        train_job(j, rng, *weights, touched)
                        done[wid] += self._job_tokens(model, j, j + 1)
                    finally:
                        gate.finished()
            except BaseException as e:  # surfaced in the calling thread
                errors.append(e)
                gate.stop()

        last_save = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(model.workers)]  # fmt: skip
        for t in threads:
            t.start()
        try:
            while alive := [t for t in threads if t.is_alive()]:
                alive[0].join(0.2)  # wait on a running thread, not one already finished
                report(int(done.sum()))
                if checkpoint is not None and checkpoint_every is not None and (
                    time.perf_counter() - last_save >= checkpoint_every
                ):
                    run.next_job = gate.pause()  # all jobs before it done, none after started
                    try:
                        model.save_checkpoint(checkpoint)
                    finally:
                        gate.resume()
                    last_save = time.perf_counter()
        except KeyboardInterrupt:
            run.next_job = gate.pause()
            gate.stop()
            for t in threads:
                t.join()
            if checkpoint is not None:
                model.save_checkpoint(checkpoint)
            raise
        if errors:
            raise errors[0]
        return int(done.sum())

    def _rounds(self, model, train_job, weights, report, checkpoint, checkpoint_every) -> int:
        """Deterministic: in each round worker ``w`` trains its own fixed run of jobs on its own
        copy of the weights; then every copy's change is added to the shared weights in worker
        order (``kernels.merge``: only the rows some worker updated, each worker merging a slice
        of rows). Nothing depends on thread timing, so a seed gives the same vectors on every run
        with the same number of workers. Costs one copy of the weights per worker and a merge
        per round. Returns the tokens trained."""
        from .kernels.merge import merge_touched

        run, n = model._run, model.workers
        n_jobs = self.jobs.shape[0] - 1
        per = max(1, model.round_words // model.batch_words)  # jobs per worker per round
        copies = [np.repeat(w[None], n, axis=0) for w in weights]  # float32[n, rows, d] each
        touched = np.zeros((n, 3, len(model.wv)), np.uint8)  # worker, matrix, row
        starts = list(range(run.next_job, n_jobs, n * per))
        # main thread and workers meet twice a round: after training, and after merging
        trained, merged = threading.Barrier(n + 1), threading.Barrier(n + 1)
        errors: list[BaseException] = []

        def worker(w: int) -> None:
            rng = np.zeros(1, np.uint64)
            try:
                for start in starts:
                    first, last = start + w * per, start + (w + 1) * per
                    for j in range(min(first, n_jobs), min(last, n_jobs)):
                        if model.stop_training:
                            break
                        train_job(j, rng, *(c[w] for c in copies), touched[w])
                    trained.wait()
                    for which, (shared, c) in enumerate(zip(weights, copies, strict=True)):
                        lo, hi = shared.shape[0] * w // n, shared.shape[0] * (w + 1) // n
                        merge_touched(shared[lo:hi], c[:, lo:hi], touched[:, which, lo:hi])
                    merged.wait()
            except threading.BrokenBarrierError:
                return
            except BaseException as e:  # surfaced in the calling thread
                errors.append(e)
                trained.abort()
                merged.abort()

        threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(n)]
        for t in threads:
            t.start()
        done, last_save, merging = 0, time.perf_counter(), False
        try:
            for start in starts:
                trained.wait()  # a lock wait: Ctrl-C interrupts it
                merging = True
                merged.wait()
                merging = False
                run.next_job = min(start + n * per, n_jobs)
                done += self._job_tokens(model, start, run.next_job)
                report(done)
                if checkpoint is not None and checkpoint_every is not None and (
                    time.perf_counter() - last_save >= checkpoint_every
                ):
                    model.save_checkpoint(checkpoint)
                    last_save = time.perf_counter()
        except KeyboardInterrupt:
            model.stop_training = True
            trained.abort()
            merged.abort()
            for t in threads:
                t.join()  # a merge under way finishes first: it cannot be interrupted
            if merging:  # the round is in the shared weights: count it
                run.next_job = min(run.next_job + n * per, n_jobs)
            run.stats[run.next_job :] = 0.0  # a round under training is dropped
            if checkpoint is not None:
                model.save_checkpoint(checkpoint)
            raise
        except threading.BrokenBarrierError:
            pass
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return done


class _Dispatcher:
    """Hands out job numbers in order. ``pause`` waits until no job is running and returns
    the next job: a consistent point to checkpoint (all jobs before it done, none after it)."""

    def __init__(self, start: int, n: int):
        self.next, self.n, self.running = start, n, 0
        self.lock = threading.Condition()
        self.paused = self.stopped = False

    def take(self) -> int | None:
        with self.lock:
            while self.paused and not self.stopped:
                self.lock.wait()
            if self.stopped or self.next >= self.n:
                return None
            self.next += 1
            self.running += 1
            return self.next - 1

    def finished(self) -> None:
        with self.lock:
            self.running -= 1
            self.lock.notify_all()

    def pause(self) -> int:
        with self.lock:
            self.paused = True
            while self.running:
                self.lock.wait()
            return self.next

    def resume(self) -> None:
        with self.lock:
            self.paused = False
            self.lock.notify_all()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.lock.notify_all()
