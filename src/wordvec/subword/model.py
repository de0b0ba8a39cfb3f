"""The FastText estimator: Word2Vec whose input vectors are built from character n-grams
(Bojanowski et al. 2017), trained on the same core (schedule, replicas, executors, checkpoints).

The input matrix ``syn0_`` (float32[V + bucket, d]) holds each word's own row and then the
``bucket`` rows its n-grams hash into, as fastText lays it out; a word's input vector is the mean
of its rows (``wordvec.vectors.subword``), and ``kernels.subword`` trains it. Everything else,
the vocabulary, sampling, outputs, the deterministic mode and Hogwild, is Word2Vec's.

Files: ``save`` writes the native format (the rows memory-mappable and checksummed), or
fastText's ``.bin`` for a name ending in ``.bin``; ``load`` reads either.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from wordvec.core import replicas
from wordvec.core.executors.threads import room_after
from wordvec.corpus.buffers import anon_array
from wordvec.corpus.vocab import Vocab, keep_thresholds
from wordvec.formats import fasttext as ft_format
from wordvec.formats import native
from wordvec.subword import params as subword_params
from wordvec.vectors.subword import FastTextKeyedVectors
from wordvec.word2vec.model import Word2Vec
from wordvec.word2vec.rows import random_vectors

MODEL_KIND = "wordvec.FastText"
# rows a replica copies (moves) per token of a round, in all: 105,000 for 500,000 tokens of
# wiki100m (bench/bench_fasttext.py, 2 replicas: peak 1,199 MB against Hogwild's 1,017)
STORE_ROWS_PER_TOKEN = 0.25
# n-gram rows merged within a round per frequent word row (10 MB of wiki100m, 2 epochs, 2
# replicas: 1, 4 and 64 end within 0.01 of each other in loss; none, unseen words get noise)
HOT_NGRAMS_PER_ROW = 4
CHECKPOINT_KIND = "wordvec.FastText.checkpoint"


class FastText(Word2Vec):
    """fastText's subword model: ``Word2Vec``'s parameters (``wordvec.word2vec.params``) plus
    ``min_n``/``max_n`` (character n-grams of 3 to 6 by default; both 0: none) and ``bucket``
    (2,000,000 rows by default). Usage::

        model = FastText(vector_size=100, sg=1).fit("corpus.txt")
        model.wv["unseen-word"]  # from its n-grams

    Learned state: Word2Vec's, with ``syn0_`` the input rows (words, then n-gram buckets) and
    ``wv`` a ``FastTextKeyedVectors``. Negative sampling, NCE and hierarchical softmax; not the
    full softmax, not on a GPU; on threads or Ray actors (docs/cluster.md). Hogwild by default:
    the deterministic mode (replicas holding only the rows they move) is 1.4-1.7x slower
    (docs/subword.md).
    """

    _kind, _checkpoint_kind = MODEL_KIND, CHECKPOINT_KIND

    def __init__(
        self, vector_size: int = 100, min_n: int = 3, max_n: int = 6, bucket: int = 2_000_000, **kw
    ):
        self.min_n, self.max_n, self.bucket = min_n, max_n, bucket
        kw.setdefault("deterministic", False)  # Hogwild: the replicas are 1.4-1.7x slower
        super().__init__(vector_size, **kw)

    def get_params(self) -> dict[str, Any]:
        return super().get_params() | {k: getattr(self, k) for k in subword_params.NAMES}

    def check_params(self) -> None:
        super().check_params()
        subword_params.validate(self.get_params())

    @property
    def _replica_merge(self) -> str | None:
        """How replicas merge (``core.replicas``): Word2Vec's way with 2; with 3 or more every
        matrix capped. Measured on 30 MB of wiki100m, 1 epoch: summed, 4 replicas diverge (loss
        6,961), 8 with the input rows capped still do (444,251); all capped, 3, 4 and 8 replicas
        end at 2.73, 2.82 and 2.98 (2 replicas summed: 2.63; Hogwild: 2.52)."""
        return None if self._replica_count() <= 2 else "capped,capped,capped"

    @property
    def _rows(self) -> int:
        """n-gram rows: ``bucket``, or none when subwords are off."""
        return self.bucket if self.max_n > 0 else 0

    def estimate_memory(self, vocab_size: int | None = None) -> dict[str, int]:
        """Word2Vec's estimate plus the n-gram rows, the subword table, the composed vectors
        the queries read and, in the deterministic mode, what replicas hold: not copies of the
        input rows, but the rows a round moves (``STORE_ROWS_PER_TOKEN`` of its tokens) and
        their slots and marks over every row."""
        out = super().estimate_memory(vocab_size)
        d, rows = self.vector_size, self._rows
        copies, threads = self._copies_here()
        v = vocab_size if vocab_size is not None else len(self.wv)
        out["ngrams"] = 4 * rows * d
        out["replicas"] -= copies * 4 * v * d  # Word2Vec's copies of the input rows: none here
        per_round = self.round_words or (
            replicas.ROUND_WORDS if copies <= 2 else replicas.MANY_REPLICAS_ROUND_WORDS
        )
        stored = min(v + rows, int(STORE_ROWS_PER_TOKEN * per_round / max(copies, 1)))
        out["ngram_replicas"] = copies * (4 * d * stored + 11 * (v + rows))
        out["vectors"] *= 2  # the words' rows, and their composed vectors for the queries
        out["subword_table"] = v * (8 + 4 * (1 + self._ngrams_per_word()))
        out["subword_buffers"] = threads * 8 * d * self.max_sentence_length  # composed inputs
        out["total"] = sum(n for k, n in out.items() if k != "total" and not k.startswith("disk_"))
        return out

    def _ngrams_per_word(self) -> int:
        """A word's n-grams, for the estimate: a 9-character word's (the length of a typical
        vocabulary word, with the boundary marks, measured on wiki100m's: 8.7)."""
        if self.max_n == 0:
            return 0
        return sum(max(0, 11 - n + 1) for n in range(self.min_n, self.max_n + 1))

    # -- weights ------------------------------------------------------------------------------
    def _init_weights(self) -> None:
        from wordvec.kernels.ngrams import fill_uniform

        v, d = len(self.vocab_), self.vector_size
        self.syn0_ = _input_matrix(v + self._rows, d, self._copies_here()[0])
        self.syn0_[:v] = random_vectors(v, d, self.seed)  # Word2Vec's words' start
        # the n-gram rows start as the words do (uniform, small), drawn in place: no copy, on
        # the workers' threads (the values do not depend on the split)
        ngrams = self.syn0_[v:]
        parts = np.linspace(0, ngrams.shape[0], self.workers + 1).astype(np.int64)
        with ThreadPoolExecutor(self.workers) as pool:
            for a, b in itertools.pairwise(parts):
                pool.submit(fill_uniform, ngrams[a:b], self.seed, int(a))
        self.wv = self._keyed_vectors(self.vocab_.words, self.vocab_.counts)
        self._init_outputs()

    def _keyed_vectors(self, words, counts, vectors=None) -> FastTextKeyedVectors:
        return FastTextKeyedVectors(words, self.syn0_, self.min_n, self.max_n, counts, vectors)

    def _grow_weights(self, vocab: Vocab, old_row: np.ndarray) -> None:
        """Word2Vec's, for the words' own rows; the n-gram rows stay where they are."""
        v_old, d = len(self.wv), self.vector_size
        ngrams = self.syn0_[v_old:]
        self.wv.vectors = self.syn0_[:v_old]  # the rows, not the composed vectors, move
        super()._grow_weights(vocab, old_row)
        v = len(vocab)
        syn0 = _input_matrix(v + ngrams.shape[0], d, self._copies_here()[0])
        syn0[:v] = self.wv.vectors
        syn0[v:] = ngrams
        self.syn0_ = syn0
        self.wv = self._keyed_vectors(vocab.words, vocab.counts)

    def _weights(self) -> tuple[np.ndarray, ...]:
        copies = self._copies_here()[0]
        if copies and room_after(self.syn0_, copies) is None:  # loaded, or more workers now
            self.syn0_ = _input_matrix(*self.syn0_.shape, copies, fill=self.syn0_)
            self.wv = self._keyed_vectors(self.wv.index_to_key, self.wv.counts, self.wv.vectors)
        return (self.syn0_, *super()._weights()[1:])

    def _plan(self, copies: int, weights, cluster: bool):
        """Word2Vec's plan, with replicas that hold only the input rows they move, and the most
        used n-gram rows merged within a round as the frequent words' rows are (they are
        scattered among the buckets, so they are listed)."""
        plan = super()._plan(copies, weights, cluster)._replace(sparse=(True, False, False))
        if plan.hot is None or not self._rows:
            return plan
        lo, hi = plan.hot[0]
        ngrams = self._hot_ngrams(HOT_NGRAMS_PER_ROW * (hi - lo))
        return plan._replace(hot=[np.union1d(np.arange(lo, hi), ngrams), *plan.hot[1:]])

    def _hot_ngrams(self, k: int) -> np.ndarray:
        """int64[<= k] the n-gram rows the most kept tokens move (each word's count times the
        share subsampling keeps, summed over the words that use the row), sorted."""
        starts, rows = self.wv.table()
        v = len(self.wv)
        kept = self.vocab_.counts * (keep_thresholds(self.vocab_.counts, self.sample) / 2.0**32)
        per_row = np.repeat(kept, np.diff(starts))
        ngram = rows >= v
        use = np.bincount(rows[ngram], weights=per_row[ngram], minlength=v + self._rows)
        top = np.argpartition(-use, min(k, use.shape[0] - 1))[:k]
        return np.sort(top[use[top] > 0]).astype(np.int64)

    def _subwords(self) -> tuple[np.ndarray, np.ndarray]:
        return self.wv.table()

    def _vectors_changed(self) -> None:
        self.wv.adjust_vectors()

    # -- files ----------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """The whole model: fastText's ``.bin`` for a name ending in ``.bin`` (``fasttext
        .load_model`` opens it), else the native format."""
        plain, compressed = native.split_compression(path)
        if plain.suffix.lower() == ".bin":
            if compressed is not None:  # fasttext.load_model reads plain files only
                raise ValueError(f"{path}: fastText's .bin is not compressed: save to {plain}")
            ft_format.write_fasttext_bin(path, self.to_fasttext())
        else:
            super().save(path)

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False) -> FastText:
        """A model written by ``save``, or any unsupervised fastText ``.bin``."""
        if native.sniff_format(path) == "fasttext-bin":
            return cls.from_fasttext(ft_format.read_fasttext_model(path))
        return super().load(path, mmap)

    @classmethod
    def _load(cls, path, mmap: bool, kind: str):
        model, head, stored = super()._load(path, mmap, kind)
        try:
            model.syn0_ = stored["syn0"]
            model.wv = model._keyed_vectors(model.vocab_.words, stored["counts"], stored["vectors"])
        except (KeyError, ValueError) as e:
            raise native.FormatError(f"{path}: inconsistent FastText model file: {e}") from None
        return model, head, stored

    def to_fasttext(self) -> ft_format.FastTextModel:
        """The model as fastText's ``.bin`` holds it (``wordvec.formats.fasttext``)."""
        if self.nce:
            raise ValueError("fastText's .bin holds negative sampling or hs models, not NCE ones")
        d, v = self.vector_size, len(self.wv)
        if self.hs:  # fastText's tree is the C tool's, its code bits the other way round
            output = np.zeros((v, d), np.float32)
            output[: v - 1] = -self.syn1_[: v - 1]
        else:
            output = self.syn1neg_
        args = {
            "dim": d,
            "ws": self.window,
            "epoch": self.epochs,
            "minCount": self.min_count,
            "neg": self.negative,
            "wordNgrams": 1,
            "loss": _code(ft_format.LOSS_NAMES, "hs" if self.hs else "ns"),
            "model": _code(ft_format.MODEL_NAMES, "sg" if self.sg else "cbow"),
            "bucket": self._rows,
            "minn": self.min_n,
            "maxn": self.max_n,
            "lrUpdateRate": 100,
            "t": float(self.sample),
        }
        report = getattr(self, "report_", None)
        ntokens = int(report.raw_tokens) if report is not None else int(self.wv.counts.sum())
        return ft_format.FastTextModel(
            args, self.wv.index_to_key, self.wv.counts, ntokens, self.syn0_, output, None
        )

    @classmethod
    def from_fasttext(cls, ft: ft_format.FastTextModel, **params) -> FastText:
        """A model from a fastText ``.bin`` (``read_fasttext_model``), ready to query and to
        train further; ``params`` override what the file says."""
        a = ft.args
        loss, kind = ft_format.LOSS_NAMES.get(a["loss"]), ft_format.MODEL_NAMES.get(a["model"])
        if kind not in ("sg", "cbow") or loss not in ("hs", "ns"):
            raise native.FormatError(
                f"a fastText model of kind {kind!r} with loss {loss!r}: wordvec trains "
                "skip-gram or CBOW with negative sampling (ns) or hierarchical softmax (hs)"
            )
        hs = loss == "hs"
        if ft.prune is not None:
            raise native.FormatError(
                "a pruned fastText model (its n-grams remapped): wordvec trains full models only"
            )
        kw = {
            "vector_size": a["dim"],
            "window": a["ws"],
            "epochs": a["epoch"],
            "min_count": a["minCount"],
            "negative": 0 if hs else a["neg"],
            "hs": int(hs),
            "sg": int(kind == "sg"),
            "sample": a["t"],
            "min_n": a["minn"] if a["maxn"] else 0,
            "max_n": a["maxn"],
            "bucket": a["bucket"],
        }
        model = cls(**(kw | params))
        v = len(ft.words)
        model.vocab_ = Vocab(list(ft.words), np.asarray(ft.counts, np.int64))
        model.syn0_ = np.ascontiguousarray(ft.input, np.float32)
        if model.syn0_.shape[0] != v + model._rows:
            raise native.FormatError(
                f"fastText input matrix of {model.syn0_.shape[0]} rows for {v} words and "
                f"{model._rows} buckets"
            )
        model.wv = model._keyed_vectors(model.vocab_.words, model.vocab_.counts)
        model._init_outputs()
        if hs:
            model.syn1_[:] = -np.asarray(ft.output, np.float32)[: model.syn1_.shape[0]]
        else:
            model.syn1neg_[:] = ft.output
        return model


def _code(names: dict[int, str], name: str) -> int:
    """fastText's int code of an argument's ``name``."""
    return next(code for code, n in names.items() if n == name)


def _input_matrix(rows: int, d: int, copies: int = 0, fill=None) -> np.ndarray:
    """float32[rows, d] in an anonymous mapping of small pages, with room after it for
    ``copies`` replicas' copies of its rows (``core.executors.threads.room_after``: pages
    that cost nothing until a replica writes them); ``fill``: its first values. NumPy asks for
    huge pages for big arrays, and faulting 800 MB of them in took 2.2-3.8 s against 1.3-1.5 s
    (compaction), for no gain in training (rows are read at random either way; measured on 30
    MB of wiki100m, 1 epoch: 6.29 / 5.74 s with huge pages, 6.21 / 5.30 s without)."""
    flat, _ = anon_array((1 + copies) * rows * d, np.float32)  # the array keeps its mapping
    out = flat[: rows * d].reshape(rows, d)
    if fill is not None:
        out[:] = fill
    return out
