"""GloVe (Pennington, Socher & Manning 2014): weighted least squares on log co-occurrences.

``GloVe(vector_size=100).fit(corpus)`` counts co-occurrences with the 1/distance weighting
(``wordvec.Cooccurrence``; window 10 both sides by default), then minimises

    J = sum_{X_ij > 0} f(X_ij) (w_i . c_j + bw_i + bc_j - log X_ij) ** 2,
    f(x) = min(1, (x / x_max) ** alpha),   x_max = 100, alpha = 0.75,

with AdaGrad over the non-zeros, as the reference C code does (same initialisation, step and
gradient clipping, ``eta = 0.05``), in Numba kernels without the GIL on ``workers`` threads. The
vectors are W + C (``add_context=False``: W alone).

Two ways to run the threads:

- ``deterministic=True`` (default): the words are split into 16 groups by id; an epoch is 16
  rounds, and each round trains 16 blocks of entries whose rows of W and of C are disjoint, on
  whichever threads are free (stratified SGD). No two threads ever write the same row, so a seed
  gives the same bits on every run, with any number of ``workers``.
- ``deterministic=False``: Hogwild, as the reference: all entries shuffled once, each thread
  takes a slice, threads race on shared rows.

In both, the entries are shuffled once (seeded; each block by a generator seeded by the seed and
the block alone) and visited in that order every epoch, as the reference's ``shuffle`` tool
leaves them. ``loss_history_`` holds, per epoch, the mean over the non-zeros of
``0.5 * f(X) * diff ** 2`` (the reference's "cost").

Memory (``max_memory``, bytes above what the process holds when ``fit`` starts; None: the memory
free now). W, C, the biases, their AdaGrad sums (4 x V x (d + 1) float32) and the output vectors
stay in memory; a budget that cannot hold them is refused in one line before counting. The
entries (16 bytes a non-zero) stay in memory when the rest of the budget holds them; otherwise
they go to a file in ``work_dir`` (default: the temporary folder), laid out a round at a time
(or a half, quarter... of one) and read back a part at a time into one buffer
(``wordvec.count.glove_entries``): the deterministic mode gives the same bits either way;
Hogwild on disk trains the stratified parts, each split among the workers (the in-memory Hogwild
shuffles all entries as one). The matrix is read a chunk of rows at a time and never copied
whole (it may be the counting's read-only mapped files). ``spill_`` says where the entries went
and what it cost (``bytes_written``, ``bytes_read``, ``write_seconds``, ``read_seconds``,
``parts_per_round``...);
``seconds_`` times the counting, the layout and the training.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

from wordvec.core.memory import budget, word_bytes
from wordvec.core.report import TrainProgress
from wordvec.corpus.workdir import check_parent
from wordvec.count.cooccurrence import (
    COUNT_PARAMS,
    Cooccurrence,
    check_count_params,
    count_matrix,
    is_int,
    is_num,
    need,
    read_corpus,
)
from wordvec.count.glove_entries import (
    CHUNK_ITEM_BYTES,
    ENTRY_BYTES,
    DiskEntries,
    MemoryEntries,
    as_csr,
    chunk_size,
    count_entries,
    matrix_slop,
    plan_parts,
)
from wordvec.formats.native import GLOVE_KIND
from wordvec.vectors.keyedvectors import KeyedVectors

_DEFAULTS = dict(COUNT_PARAMS, window=10, weighting="harmonic")
_OWN = dict(
    vector_size=100,
    x_max=100.0,
    alpha=0.75,
    eta=0.05,
    epochs=25,
    grad_clip=100.0,
    add_context=True,
    deterministic=True,
)


@dataclass
class GloVeEpoch:
    """What one epoch did: ``loss`` is the mean loss per non-zero (the reference's cost)."""

    epoch: int
    loss: float
    pairs: int  # non-zeros trained
    seconds: float


class GloVe:
    """GloVe word vectors (see the module docstring).

    Co-occurrence parameters as ``Cooccurrence`` (defaults: ``window=10, weighting="harmonic"``,
    symmetric, no subsampling); ``vector_size``; ``x_max``, ``alpha``: the weighting function;
    ``eta``: AdaGrad's learning rate; ``epochs``; ``grad_clip``: bound on each coordinate's
    gradient; ``add_context``: vectors W + C (default) or W; ``deterministic``: see above.

    ``fit`` takes a corpus or a fitted ``Cooccurrence``. Callbacks (``wordvec.Callback`` or any
    object with some of ``on_train_begin(model)``, ``on_epoch_begin(model, epoch)``,
    ``on_epoch_end(model, stats)``, ``on_train_end(model)``) may set ``model.stop_training``.

    ``max_memory``, ``work_dir``: where the training entries go (see the module docstring).

    Learned state: ``wv`` (KeyedVectors), ``W_``, ``C_`` (float32[V, d]), ``bw_``, ``bc_``
    (float32[V]), ``loss_history_``, ``epochs_trained_``, ``seconds_``, ``spill_``.
    """

    def __init__(
        self,
        vector_size: int = 100,
        window: int = 10,
        weighting: str = "harmonic",
        context: str = "symmetric",
        min_count: int = 5,
        max_vocab_size: int | None = None,
        max_final_vocab: int | None = None,
        sample: float = 0.0,
        x_max: float = 100.0,
        alpha: float = 0.75,
        eta: float = 0.05,
        epochs: int = 25,
        grad_clip: float = 100.0,
        add_context: bool = True,
        deterministic: bool = True,
        seed: int = 1,
        workers: int = 2,
        max_memory: int | None = None,
        unicode_errors: str = "strict",
        work_dir: str | os.PathLike | None = None,
    ):
        args = locals()
        for name in (*_DEFAULTS, *_OWN):  # every parameter stored as given (scikit-learn's rule)
            setattr(self, name, args[name])
        self.stop_training = False

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*_DEFAULTS, *_OWN)}

    def check_params(self) -> None:
        p = self.get_params()
        check_count_params(p)
        for name in ("vector_size", "epochs"):
            need(p, is_int(p[name]) and p[name] >= 1, name, "an integer >= 1")
        for name in ("x_max", "eta", "grad_clip"):
            need(p, is_num(p[name]) and p[name] > 0, name, "a number > 0")
        need(p, is_num(p["alpha"]) and 0 <= p["alpha"] <= 2, "alpha", "a number in [0, 2]")
        for name in ("add_context", "deterministic"):
            need(p, p[name] in (0, 1, True, False), name, "a bool")

    # -- training -----------------------------------------------------------------------------
    def fit(
        self,
        corpus: str | os.PathLike | Iterable[list[str]] | Cooccurrence,
        callbacks: Sequence = (),
        progress: TrainProgress | None = None,
    ) -> GloVe:
        """Count (unless given a fitted ``Cooccurrence``), then train ``epochs`` epochs."""
        self.check_params()
        check_parent(self.work_dir)  # a missing or read-only work_dir: refused before reading
        t0 = time.perf_counter()
        if isinstance(corpus, Cooccurrence):
            words, counts, matrix = corpus.words_, corpus.counts_, corpus.matrix_
            self._check_memory(len(words))
        else:
            vocab, enc = read_corpus(corpus, self.get_params())
            self._check_memory(len(vocab))
            matrix = count_matrix(vocab, enc, self.get_params())
            words, counts = vocab.words, vocab.counts
            del enc, vocab
        t1 = time.perf_counter()
        try:
            self._prepare(matrix, words, counts)
            del matrix
            t2 = time.perf_counter()
            self._train(callbacks, progress)
        finally:
            entries = getattr(self, "_entries", None)
            if entries is not None and entries.where == "disk":
                entries.close()  # the file has no name: its blocks go with its descriptor
                self._entries = None
        self.seconds_ = {"count": t1 - t0, "layout": t2 - t1, "train": time.perf_counter() - t2}
        return self

    def _must_stay(self, v: int) -> dict[str, int]:
        """Bytes held in memory whatever the budget, by part: W, C, the biases and their
        AdaGrad sums (4 x V x (d + 1) float32), the output vectors (float32[V, d]) and their
        word index (KeyedVectors' dict and list)."""
        d = self.vector_size
        out = {"weights": 16 * v * (d + 1), "vectors": 4 * v * d, "index": v * word_bytes()}
        out["total"] = sum(out.values())
        return out

    def _check_memory(self, v: int) -> None:
        """Refuse (one line) a budget that cannot hold what must stay in memory."""
        need, have = self._must_stay(v), budget(self.max_memory)
        if need["total"] > have:
            given = "max_memory is" if self.max_memory is not None else "the machine has"
            raise ValueError(
                f"GloVe needs about {need['total'] / 2**20:,.1f} MB in memory for W, C, their "
                f"biases and AdaGrad sums and the output vectors ({v:,} words x "
                f"{self.vector_size} dimensions) but {given} {have / 2**20:,.1f} MB: raise "
                "max_memory or lower vector_size or the vocabulary (min_count, max_final_vocab)"
            )

    def _prepare(self, matrix: sp.spmatrix, words: list[str], counts) -> None:
        v = len(words)
        if matrix.shape != (v, v):
            raise ValueError(f"matrix must have shape ({v}, {v}) for {v} words, got {matrix.shape}")
        self._check_memory(v)
        have, must = budget(self.max_memory), self._must_stay(v)["total"]
        room = have - must  # for the entries (in memory) or a pass's worth of them (on disk)
        chunk = chunk_size(room)
        stats: dict[str, Any] = {"budget": have, "must_stay": must}
        m = as_csr(matrix)
        del matrix
        counts_b = count_entries(m, chunk, stats)
        slop = matrix_slop(m)
        k = plan_parts(counts_b, room, chunk, slop)
        stats.update(entries_bytes=int(counts_b.sum()) * ENTRY_BYTES, parts_per_round=k)
        x_max, alpha = float(self.x_max), float(self.alpha)
        self._entries = None
        if k == 0:
            e = MemoryEntries(
                m, counts_b, self.deterministic, x_max, alpha, self.seed, chunk, stats
            )
            self._rows, self._cols = e.entries.rows, e.entries.cols
            self._logx, self._fx = e.entries.logx, e.entries.fx
        else:
            layout_room = room - chunk * CHUNK_ITEM_BYTES - slop
            e = DiskEntries(
                m, counts_b, k, x_max, alpha, self.seed, chunk, layout_room, self.work_dir, stats
            )
        self._entries = e
        stats["where"] = e.where
        self.spill_ = stats
        del m
        rng = np.random.default_rng(self.seed)
        d = self.vector_size

        def init(*shape: int) -> np.ndarray:  # the reference's (rand() - 0.5) / d
            return (rng.random(shape, np.float32) - np.float32(0.5)) / np.float32(d)

        self.W_, self.C_ = init(v, d), init(v, d)
        self.bw_, self.bc_ = init(v), init(v)
        self._g = [np.ones_like(a) for a in (self.W_, self.C_, self.bw_, self.bc_)]
        self.words_, self.counts_ = list(words), np.asarray(counts)
        self.loss_history_: list[float] = []
        self.epochs_trained_ = 0
        self._set_wv()

    def _tasks(self, p: int) -> list[tuple[int, int]]:
        """The (start, end) ranges of part ``p`` (global positions) that may run at once:
        deterministic, its blocks (disjoint rows); Hogwild, a slice per worker."""
        e = self._entries
        b0, b1 = e.parts[p]
        s = e.starts
        if not self.deterministic:
            cuts = np.linspace(int(s[b0]), int(s[b1]), self.workers + 1).astype(np.int64)
            return [(int(cuts[k]), int(cuts[k + 1])) for k in range(self.workers)]
        return [(int(s[b]), int(s[b + 1])) for b in range(b0, b1)]

    def _train(self, callbacks: Sequence, progress: TrainProgress | None) -> None:
        from wordvec.kernels.glove import Params, train_range

        eta, clip = np.float32(self.eta), np.float32(self.grad_clip)
        params = Params(w=self.W_, c=self.C_, bw=self.bw_, bc=self.bc_)
        gw, gc, gbw, gbc = self._g
        sums = Params(w=gw, c=gc, bw=gbw, bc=gbc)  # AdaGrad's
        store = self._entries
        n, n_parts = store.n, len(store.parts)
        plan = [self._tasks(p) for p in range(n_parts)]

        self.stop_training = False
        _call(callbacks, "on_train_begin", self)
        with ThreadPoolExecutor(self.workers) as pool:
            for e in range(self.epochs):
                _call(callbacks, "on_epoch_begin", self, e)
                t0, loss, done = time.perf_counter(), 0.0, 0
                for p, tasks in enumerate(plan):
                    store.prefetch((p + 1) % n_parts)
                    entries, base = store.view(p)

                    def run(task: tuple[int, int], entries=entries, base=base) -> float:
                        a, b = task[0] - base, task[1] - base
                        return train_range(entries, params, sums, a, b, eta, clip)

                    for part, (a, b) in zip(pool.map(run, tasks), tasks, strict=True):
                        loss += part  # in task order: the sum does not depend on timing
                        done += b - a
                    del entries, run
                    store.done(p)
                    if progress:
                        progress(e * n + done, self.epochs * n, loss / max(done, 1))
                self.loss_history_.append(loss / n)
                self.epochs_trained_ += 1
                self._set_wv()
                stats = GloVeEpoch(e, loss / n, n, time.perf_counter() - t0)
                _call(callbacks, "on_epoch_end", self, stats)
                if self.stop_training:
                    break
        _call(callbacks, "on_train_end", self)

    def _set_wv(self) -> None:
        self.wv = None  # the old output vectors go before the new ones are made
        vectors = self.W_ + self.C_ if self.add_context else self.W_.copy()
        self.wv = KeyedVectors(self.words_, vectors, self.counts_)

    # -- files ----------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save parameters, vocabulary, the output vectors and W, C and biases (native format).
        The AdaGrad state and training entries are not saved: a loaded model is for queries."""
        from wordvec.formats.native import save_native

        meta = {
            "kind": GLOVE_KIND,
            "params": self.get_params(),
            "words": self.words_,
            "epochs_trained": self.epochs_trained_,
            "loss_history": self.loss_history_,
        }
        arrays = {"vectors": self.wv.vectors, "counts": self.counts_}
        arrays.update(W=self.W_, C=self.C_, bw=self.bw_, bc=self.bc_)
        save_native(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False) -> GloVe:
        from wordvec.formats.native import FormatError, load_native

        meta, arrays = load_native(path, mmap=mmap)
        if meta.get("kind") != GLOVE_KIND:
            raise FormatError(f"{path}: holds {meta.get('kind')!r}, not {GLOVE_KIND!r}")
        try:
            self = cls(**meta["params"])
            self.words_, self.counts_ = list(meta["words"]), arrays["counts"]
            self.W_, self.C_, self.bw_, self.bc_ = (arrays[k] for k in ("W", "C", "bw", "bc"))
            self.wv = KeyedVectors(self.words_, arrays["vectors"], self.counts_)
            self.epochs_trained_ = int(meta["epochs_trained"])
            self.loss_history_ = list(meta["loss_history"])
        except (KeyError, TypeError, ValueError) as e:
            raise FormatError(f"{path}: inconsistent GloVe file: {e}") from None
        return self


def _call(callbacks: Sequence, hook: str, *args) -> None:
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None:
            fn(*args)
