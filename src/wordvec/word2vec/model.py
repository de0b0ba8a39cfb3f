"""The Word2Vec estimator: parameters, vocabulary, weights, fit/train/resume, save/load.

It orchestrates (``corpus`` reads, counts and packs; ``core`` builds the kernels' bundles, plans
the replicas, cuts jobs and rounds; its backend says where the rounds run: docs/architecture.md).

A job's random stream and learning rate depend only on (seed, epoch, job), never on which
thread runs it, and the loss is summed per job in float64, in job order, so it does not depend
on the number of workers. ``workers=1`` with a seed is bit-for-bit reproducible. With several
workers, by default (``deterministic=True``) each worker trains fixed runs of jobs on its own
copy of the weights (its own span of the corpus) and the copies are merged in a fixed order
every ``round_words`` tokens in all (the frequent words' rows more often: ``replicas``): the
same seed and number of workers give the same vectors on every run.
``deterministic=False`` is the fastest mode: threads update the shared weights without locks
(Hogwild), as the C tool and gensim do, and runs differ in the last bits.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from wordvec.core import replicas
from wordvec.core.executors.backend import backend
from wordvec.core.memory import budget, corpus_to_disk, scan_word_limit
from wordvec.core.report import EpochStats, TrainingReport, TrainProgress
from wordvec.core.schedule import RunState, Schedule
from wordvec.corpus.buffers import trim_heap
from wordvec.corpus.encoded import encode_with, split_long
from wordvec.corpus.reader import BLOCK_BYTES, CorpusInput, ReadProgress, Spill, scan_corpus
from wordvec.corpus.vocab import (
    Vocab,
    build_vocab,
    keep_thresholds,
    merge_counts,
    noise_alias,
    noise_log_probs,
)
from wordvec.formats import native
from wordvec.vectors.keyedvectors import KeyedVectors
from wordvec.word2vec import model_file, params
from wordvec.word2vec.callbacks import Callback
from wordvec.word2vec.rows import moved, random_vectors

MODEL_KIND = native.MODEL_KIND
CHECKPOINT_KIND = "wordvec.Word2Vec.checkpoint"


class Word2Vec:
    """word2vec: skip-gram (``sg=1``) or CBOW (``sg=0``) trained with negative sampling
    (``negative > 0``), noise-contrastive estimation (``nce=True`` with ``negative`` noise
    words), hierarchical softmax (``hs=1``) or the full softmax (``softmax=True``).

    Parameter names and defaults follow gensim (``wordvec.word2vec.params`` lists them all). Usage::

        model = Word2Vec(vector_size=100, sg=1).fit("corpus.txt")
        model.wv.most_similar("king")

    Learned state: ``wv`` (KeyedVectors), ``syn1neg_``/``syn1_`` (output weights),
    ``nce_bias_`` (NCE's output biases, float32[V]),
    ``loss_history_`` (mean loss per pair for each epoch), ``report_`` (TrainingReport).
    """

    _kind, _checkpoint_kind = MODEL_KIND, CHECKPOINT_KIND  # what its files say they hold
    _replica_merge: str | None = None  # None: replicas.MERGE (bench/replicas.py compares others)
    _hot_rows: int | None = None  # None: the plan's; 0: no merges within a round (benchmarks)

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
        nce: bool = False,
        shrink_windows: bool = True,
        seed: int = 1,
        workers: int = 3,
        batch_words: int = 10_000,
        max_sentence_length: int = 10_000,
        unicode_errors: str = "strict",
        deterministic: bool = True,
        round_words: int | None = None,
        device: str = "cpu",
        cluster: str | None = None,
        max_memory: int | None = None,
        work_dir: str | os.PathLike | None = None,
    ):
        if not isinstance(vector_size, int | np.integer) and isinstance(
            vector_size, str | os.PathLike | Iterable
        ):
            raise ValueError(
                "Word2Vec(corpus) is gensim's style; here the constructor takes only parameters: "
                "Word2Vec(vector_size=...).fit(corpus), or `from wordvec.gensim import Word2Vec` "
                "for gensim's constructor that trains"
            )
        args = locals()
        for name in params.NAMES:  # every parameter stored as given (scikit-learn's rule)
            setattr(self, name, args[name])
        self.check_params()
        self.stop_training = False
        self.epochs_trained_ = 0
        self._executor = None
        self._tree = None
        self._backend = None  # where training runs (wordvec.core.executors.backend)

    # -- parameters ---------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in params.NAMES}

    def check_params(self) -> None:
        """Raise ValueError naming the first invalid parameter."""
        params.validate(self.get_params())

    @property
    def corpus_count(self) -> int:
        """Sentences in the corpus given to ``build_vocab`` (gensim's name)."""
        return self.report_.sentences if hasattr(self, "report_") else 0

    def _check_memory(self, vocab_size: int, spill: Spill | None) -> None:
        """Refuse, before allocating, weights that cannot fit (see ``estimate_memory``); a
        corpus in memory that does not fit ``max_memory`` with them goes to disk."""
        to_disk = corpus_to_disk(self.estimate_memory(vocab_size), self.max_memory, "training")
        if to_disk and spill is not None and not self.corpus_.on_disk:
            self.corpus_ = self.corpus_.to_disk(spill.folder())

    def estimate_memory(self, vocab_size: int | None = None) -> dict[str, int]:
        """Bytes training takes in this process for ``vocab_size`` words (default: the
        model's), by part (gensim's name; see ``wordvec.core.memory.training_bytes``); ``total``
        sums them. On a cluster this is the driver's share: the actors hold the copies of the
        weights and train, each on its own machine."""
        from wordvec.core.memory import training_bytes

        v = vocab_size if vocab_size is not None else len(self.wv)
        copies, threads = self._copies_here()
        corpus = getattr(self, "corpus_", None)  # None before build_vocab
        return training_bytes(
            v,
            self.vector_size,
            self.window,
            self.negative,
            bool(self.hs),
            bool(self.softmax),
            threads,
            copies,
            nce=bool(self.nce),
            corpus_on_disk=corpus is not None and corpus.on_disk,
            tokens=corpus.n_tokens if corpus is not None else 0,
            rare_tokens=int(corpus.rare.shape[0]) if corpus is not None else 0,
            sentences=int(corpus.bounds.shape[0] - 1) if corpus is not None else 0,
            max_sentence_length=self.max_sentence_length,
        )

    def _copies_here(self) -> tuple[int, int]:
        """(weight copies besides the weights, training threads) in this process: none when
        the actors train, each on its own machine."""
        if self._where().actors:
            return 0, 0
        copies = self._replica_count()
        return (copies if copies > 1 else 0), self.workers  # one copy is the weights themselves

    # -- vocabulary ---------------------------------------------------------------------------
    def build_vocab(
        self,
        corpus: CorpusInput,
        progress: ReadProgress | None = None,
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
        if update and not hasattr(self, "vocab_"):
            raise ValueError("update=True needs a trained model: call build_vocab first")
        where = self._backend = backend(self.device, self.cluster)
        where.check()  # before the scan: a missing GPU is found now
        t0 = time.perf_counter()
        if where.reads_remotely(corpus, update, self.max_vocab_size):
            vocab, old_row = self._read_remotely(corpus, t0), None
            self._check_memory(len(vocab), None)
        else:
            vocab, old_row = self._read_locally(corpus, t0, progress, update)
        params.check_vocab_size(self.get_params(), len(vocab))
        if update:
            self._grow_weights(vocab, old_row)
        else:
            self.vocab_ = vocab
            self._init_weights()
        self._tree = None  # the Huffman tree of the new counts is built when needed
        return self

    def _read_locally(self, corpus, t0: float, progress=None, update=False, words=None):
        """Scan and encode the corpus in this process, and report it: as ids of ``words`` (a
        resumed run), with its counts added to the model's (``update``), or with a vocabulary of
        its own. Returns (the vocabulary or None with ``words``, old row of each word or None).
        What does not fit ``max_memory`` goes to a file in ``work_dir``, the scan's ids first."""
        spill = Spill((room := budget(self.max_memory)) // 2, self.work_dir)
        try:
            limit = self.max_vocab_size or scan_word_limit(room)
            return self._read_into(corpus, t0, progress, update, words, spill, limit)
        finally:
            spill.close()  # its files have no name: they stay while the corpus is used

    def _read_into(self, corpus, t0: float, progress, update, words, spill: Spill, limit: int):
        block = min(BLOCK_BYTES, max(spill.at_bytes // 16, 1 << 16))  # a thread's read buffer
        halve = self.max_vocab_size is None  # the budget's limit (not the user's): halve it
        scan = scan_corpus(corpus, limit, progress, block, self.workers, spill=spill, halve=halve)
        vocab = old_row = None
        if words is not None:
            enc = encode_with(scan, words, self.unicode_errors)
        elif update:
            vocab, old_row = merge_counts(self.vocab_, scan, self.min_count, self.unicode_errors)
            enc = encode_with(scan, vocab.words, self.unicode_errors)
        else:
            vocab, enc = build_vocab(
                scan, self.min_count, self.max_final_vocab, self.unicode_errors
            )
        self.corpus_, n_split = split_long(enc, self.max_sentence_length)
        self.report_ = TrainingReport(
            raw_tokens=enc.raw_tokens,
            vocab_tokens=enc.n_tokens,
            vocab_size=len(words if vocab is None else vocab),
            sentences=int(enc.bounds.shape[0] - 1),
            sentences_split=n_split,
            words_pruned_while_scanning=scan.pruned_words,
        )
        del scan, enc
        trim_heap()  # before the weights: the scan's freed tables must not add to the peak
        self._check_memory(len(words if vocab is None else vocab), spill)
        if self.corpus_.on_disk:
            self.report_.went_to_disk("corpus", 2 * self.corpus_.n_tokens, spill.work)
        self.report_.seconds_vocab = time.perf_counter() - t0
        return vocab, old_row

    def _read_remotely(self, corpus, t0: float, words: list[str] | None = None):
        """Read the corpus where the backend reads it (a cluster's actors): the driver keeps
        only the sentence bounds. Returns the vocabulary (None with ``words``)."""
        got = self._backend.read_remotely(corpus, self.get_params(), words)
        self.corpus_ = got.corpus
        c = got.counts
        self.report_ = TrainingReport(
            raw_tokens=c["raw_tokens"],
            vocab_tokens=c["vocab_tokens"],
            vocab_size=len(got.vocab if got.vocab is not None else words),
            sentences=c["sentences"],
            sentences_split=c["sentences_split"],
            seconds_vocab=time.perf_counter() - t0,
        )
        return got.vocab

    def _corpus_checksum(self) -> int:
        """What a checkpoint records to recognise the corpus."""
        return self._where().checksum(self.corpus_)

    def _init_weights(self) -> None:
        v, d = len(self.vocab_), self.vector_size
        self.wv = KeyedVectors(
            self.vocab_.words, random_vectors(v, d, self.seed), self.vocab_.counts
        )
        self._init_outputs()

    def _init_outputs(self) -> None:
        """The output weights at their start (zeros; NCE's biases at the noise's log-odds)."""
        v, d = len(self.vocab_), self.vector_size
        self.syn1neg_ = np.zeros((v, d), np.float32) if self.negative else None
        n_out = v if self.softmax else max(v - 1, 1)
        self.syn1_ = np.zeros((n_out, d), np.float32) if (self.hs or self.softmax) else None
        self.nce_bias_ = self._initial_bias(self.vocab_.counts) if self.nce else None
        self.epochs_trained_ = 0
        self.loss_history_: list[float] = []

    def _grow_weights(self, vocab: Vocab, old_row: np.ndarray) -> None:
        """Reorder the weights to ``vocab``: old rows move with their words, new rows are new."""
        v, d, new = len(vocab), self.vector_size, old_row < 0
        fresh = random_vectors(int(new.sum()), d, self.seed + self.epochs_trained_ + 1)
        syn0 = moved(self.wv.vectors, old_row, fresh)
        if self.syn1neg_ is not None:
            self.syn1neg_ = moved(self.syn1neg_, old_row, 0.0)
        if self.syn1_ is not None and self.softmax:
            self.syn1_ = moved(self.syn1_, old_row, 0.0)
        elif self.syn1_ is not None:  # inner nodes: keep the old ones as a start, the tree is new
            syn1 = np.zeros((max(v - 1, 1), d), np.float32)
            keep = min(syn1.shape[0], self.syn1_.shape[0])
            syn1[:keep] = self.syn1_[:keep]
            self.syn1_ = syn1
        if getattr(self, "nce_bias_", None) is not None:  # new words: the new noise distribution
            self.nce_bias_ = moved(self.nce_bias_, old_row, self._initial_bias(vocab.counts)[new])
        self.vocab_ = vocab
        self.wv = KeyedVectors(vocab.words, syn0, vocab.counts)

    def _initial_bias(self, counts: np.ndarray) -> np.ndarray:
        """NCE's output biases start at ``log P_n(w)``: the untrained model is the noise
        distribution (normalised), and every score starts at the prior log-odds ``-log k``."""
        return noise_log_probs(counts, self.ns_exponent).astype(np.float32)

    # -- training -----------------------------------------------------------------------------
    def fit(
        self,
        corpus: CorpusInput,
        callbacks: Sequence[Callback] = (),
        progress: TrainProgress | None = None,
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: float | None = None,
    ) -> Word2Vec:
        """Build the vocabulary from ``corpus`` and train ``epochs`` epochs on it."""
        if checkpoint is not None:  # before the scan: a path that cannot be written fails now
            native.check_writable(checkpoint)
        return self.build_vocab(corpus).train(callbacks, progress, checkpoint, checkpoint_every)

    def train(
        self,
        callbacks: Sequence[Callback] = (),
        progress: TrainProgress | None = None,
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: float | None = None,
    ) -> Word2Vec:
        """Train ``epochs`` epochs on the corpus given to ``build_vocab``.

        The learning rate falls linearly from ``alpha`` to ``min_alpha`` over the epochs of this
        call (a further call, e.g. after ``build_vocab(update=True)``, starts again at
        ``alpha``: lower it first if the model should move less). ``progress(done, total,
        loss)`` is called from this thread between rounds, several times a second.

        With ``checkpoint`` a resumable checkpoint is written there (atomically) at the end of
        every epoch, every ``checkpoint_every`` seconds, and on Ctrl-C before
        ``KeyboardInterrupt`` is re-raised; ``Word2Vec.resume`` continues from it. Every
        checkpoint is taken between rounds, when no worker is running.
        """
        if isinstance(callbacks, str | os.PathLike) or not all(
            hasattr(c, "on_epoch_end") for c in callbacks
        ):
            raise ValueError(
                "train() takes callbacks, not a corpus: the corpus goes to build_vocab(corpus) "
                "or fit(corpus) (gensim's train(corpus, ...) is in wordvec.gensim)"
            )
        if not hasattr(self, "corpus_"):
            raise ValueError("no corpus: call build_vocab(corpus) or fit(corpus) first")
        self.check_params()
        if checkpoint is not None:
            native.check_writable(checkpoint)
        self._run = RunState(start_epochs=self.epochs_trained_)
        return self._train(callbacks, progress, checkpoint, checkpoint_every)

    def _objective(self):
        from wordvec.core.objective import make_objective

        counts = self.vocab_.counts
        noise = noise_alias(counts, self.ns_exponent) if self.negative else None
        tree = self.huffman_tree() if self.hs else None
        logp = noise_log_probs(counts, self.ns_exponent) if self.nce else None
        return make_objective(
            self.corpus_,
            keep_thresholds(counts, self.sample),
            noise,
            tree,
            self.window,
            self.shrink_windows,
            self.negative,
            self.hs,
            self.sg,
            self.cbow_mean,
            self.softmax,
            logp,
            self._subwords(),
            self.workers > 1 and self._replica_count() == 1,  # Hogwild
        )

    def _subwords(self) -> tuple[np.ndarray, np.ndarray] | None:  # None: a word is its own row
        return None  # FastText: each word's rows of the input matrix

    def _vectors_changed(self) -> None:
        """Training moved the input rows: what the queries read is brought up to date."""
        self.wv.reset_norms()  # unit vectors are recomputed on the first query, not kept now

    def _weights(self) -> tuple[np.ndarray, ...]:
        """The arrays jobs train: (syn0, syn1neg, syn1), an unused one as float32[1, d]; with
        NCE the syn1 slot is ``nce_bias_`` as float32[V, 1] (a view: trained in place)."""
        dummy = np.zeros((1, self.vector_size), np.float32)
        syn1 = self.nce_bias_.reshape(-1, 1) if self.nce else self.syn1_
        return (self.wv.vectors, *(w if w is not None else dummy for w in (self.syn1neg_, syn1)))

    def _where(self):
        """Where training runs: the backend of the last ``build_vocab`` (or resume), else the
        one the parameters name (``wordvec.core.executors.backend``)."""
        if self._backend is None:
            self._backend = backend(self.device, self.cluster)
        return self._backend

    def _replica_count(self) -> int:
        """Weight copies that train apart between merges: 1 (Hogwild, one worker, a GPU), the
        deterministic mode's workers, or the cluster's actors."""
        return self._where().replicas(self.workers, self.deterministic)

    def _plan(self, copies: int, weights, cluster: bool) -> replicas.Plan:
        """How ``copies`` replicas of ``weights`` merge (``core.replicas.plan``)."""
        output = "nce" if self.nce else "softmax" if self.softmax else "hs"
        rows = [w.shape[0] for w in weights]
        bounds, merge, hot = self.corpus_.bounds, self._replica_merge, self._hot_rows
        return replicas.plan(
            copies, rows, output, bounds, self.batch_words, self.round_words, merge, hot, cluster
        )

    def _schedule(self, copies: int, plan: replicas.Plan) -> Schedule:
        """Jobs of ``plan.job_words`` tokens and rounds: with several replicas, one span of the
        corpus each and ``plan.round_words`` tokens a round shared out among them; otherwise
        rounds of ``plan.round_words`` tokens that the workers share."""
        preferred = getattr(self._executor, "round_words", None)  # e.g. a GPU's
        job_words = plan.job_words
        if preferred:
            per_round = max(1, preferred // job_words)
        elif copies > 1:
            per_round = max(1, plan.round_words // (copies * job_words))
        else:
            per_round = max(1, plan.round_words // job_words)
        bounds = self.corpus_.bounds
        spans = self._where().spans(bounds, copies)  # on the actors: span r is shard r
        return Schedule(
            bounds, job_words, self.epochs, self.alpha, self.min_alpha, self.seed, per_round, spans
        )

    def _train(self, callbacks, progress, checkpoint, checkpoint_every) -> Word2Vec:
        run = self._run
        self.stop_training = False
        t0 = time.perf_counter()
        if run.epoch == 0 and run.next_round == 0:
            for cb in callbacks:
                cb.on_train_begin(self)
        objective = self._objective()
        trim_heap()  # what building the tables freed goes back to the OS before the peak
        where, copies, weights = self._where(), self._replica_count(), self._weights()
        plan = self._plan(copies, weights, where.actors)
        self._executor = where.executor(weights, objective, self.workers, copies, plan)
        schedule = self._schedule(self._executor.replicas, plan)
        last_save = [time.perf_counter()]
        total = schedule.tokens * self.epochs

        def on_tick(state: RunState, tokens: int) -> None:
            for a, b in schedule.token_ranges(state.next_round - 1):
                self.corpus_.release(a, b)  # on disk: its pages go until the next epoch
            if progress is not None:
                sums = state.stats.sum(axis=0)
                done = state.epoch * schedule.tokens + schedule.tokens_before(state.next_round)
                progress(done, total, sums[0] / max(sums[1], 1))
            if (
                checkpoint is not None
                and checkpoint_every is not None
                and (time.perf_counter() - last_save[0] >= checkpoint_every)
            ):
                self.save_checkpoint(checkpoint)
                last_save[0] = time.perf_counter()

        try:
            while run.epoch < self.epochs:
                if run.next_round == 0:
                    for cb in callbacks:
                        cb.on_epoch_begin(self, self.epochs_trained_)
                result = schedule.run_epoch(run, self._executor, on_tick)
                stats = EpochStats(
                    epoch=self.epochs_trained_,
                    loss=result.loss,
                    pairs=result.pairs,
                    words_kept=result.words_kept,
                    seconds=result.seconds,
                    words_per_sec=result.tokens / max(result.seconds, 1e-9),
                )
                self.loss_history_.append(stats.loss)
                self.report_.epochs.append(stats)
                self.epochs_trained_ += 1
                run.epoch, run.next_round, run.stats = run.epoch + 1, 0, None
                self._vectors_changed()
                if checkpoint is not None:
                    self.save_checkpoint(checkpoint)
                for cb in callbacks:
                    cb.on_epoch_end(self, stats)
                if self.stop_training:
                    break
        except KeyboardInterrupt:  # the run is at a round boundary: save it
            if checkpoint is not None:
                self.save_checkpoint(checkpoint)
            raise
        finally:
            self._executor.close()
            self._executor = None
        self.report_.seconds_train += time.perf_counter() - t0
        self._vectors_changed()
        for cb in callbacks:
            cb.on_train_end(self)
        return self

    # -- persistence (what the file holds: wordvec.word2vec.model_file) ----------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save the whole model (parameters, vocabulary, input and output weights) in the native
        format; ``Word2Vec.load`` restores it, ready to query or to train further."""
        native.save_native(path, model_file.meta(self, self._kind), model_file.arrays(self))

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Everything needed to continue this run exactly: the model, the position in the run
        (epoch, next round: random streams and learning rate follow from them), the epoch's
        loss so far, and a checksum of the encoded corpus to refuse resuming on another one."""
        if self._executor is not None:
            self._executor.sync()
        meta, arrays = model_file.checkpoint(
            self, self._checkpoint_kind, self._run, self._corpus_checksum()
        )
        native.save_native(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False) -> Word2Vec:
        """Load a model written by ``save``. With ``mmap`` the vectors are memory-mapped read-only
        (fast, for queries); without it they are in memory and training can continue."""
        model = cls._load(path, mmap, cls._kind)[0]
        model.device, model.cluster = "cpu", None  # where it trained is not part of the model
        return model

    @classmethod
    def _load(cls, path, mmap: bool, kind: str) -> tuple[Word2Vec, dict, dict]:
        return model_file.restore(cls, path, mmap, kind)

    # -- queries of the trained model (wordvec.word2vec.predict) -----------------------------------
    def predict_output_word(self, context_words: Sequence[str], topn: int = 10):
        """The words the model predicts around ``context_words``: [(word, probability)]."""
        from wordvec.word2vec.predict import predict_output_word

        return predict_output_word(self.wv, self.output_layer(), context_words, topn)

    def score(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """float64[n] log-probability of each sentence under the model (hs, full softmax or
        NCE)."""
        from wordvec.word2vec.predict import score_sentence

        layer = self.output_layer()
        return np.array([score_sentence(self.wv, layer, s) for s in sentences], np.float64)

    def output_layer(self):
        """The trained output layer (``wordvec.word2vec.predict.OutputLayer``)."""
        from wordvec.word2vec.predict import OutputLayer

        return OutputLayer.of(self)

    def huffman_tree(self):
        """The Huffman tree of the vocabulary's counts (built once per vocabulary)."""
        from wordvec.core.huffman import build_huffman

        if getattr(self, "_tree", None) is None:
            self._tree = build_huffman(self.vocab_.counts)
        return self._tree

    @classmethod
    def resume(
        cls,
        checkpoint: str | os.PathLike,
        corpus: str | os.PathLike | Iterable[list[str]],
        callbacks: Sequence[Callback] = (),
        progress: TrainProgress | None = None,
        checkpoint_every: float | None = None,
    ) -> Word2Vec:
        """Continue the run saved in ``checkpoint`` on the same ``corpus``; further checkpoints
        go to the same file. With ``workers=1`` the result is bit-identical to a run that was
        never interrupted."""
        model, meta, arrays = cls._load(checkpoint, False, cls._checkpoint_kind)
        run = meta["run"]
        if "next_round" not in run:
            raise native.FormatError(
                f"{checkpoint}: a checkpoint of an older wordvec (it counts jobs, "
                "not rounds): resume it with that version, or start again"
            )
        t0 = time.perf_counter()
        where = model._backend = backend(model.device, model.cluster)
        where.check()
        if where.reads_remotely(corpus, False, model.max_vocab_size):
            model._read_remotely(corpus, t0, model.wv.index_to_key)
        else:
            model._read_locally(corpus, t0, words=model.wv.index_to_key)
        if model._corpus_checksum() != run["corpus_crc32"]:
            raise ValueError(f"{corpus}: not the corpus the checkpoint {checkpoint} was made on")
        model._run = RunState(
            start_epochs=int(run["start_epochs"]),
            epoch=int(run["epoch"]),
            next_round=int(run["next_round"]),
            stats=arrays.get("epoch_stats"),
        )
        return model._train(callbacks, progress, checkpoint, checkpoint_every)
