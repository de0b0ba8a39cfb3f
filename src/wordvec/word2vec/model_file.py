"""What a Word2Vec file holds: parameters, vocabulary, training state, the size of the corpus
given to ``build_vocab`` and the weights, in the native format (``formats.native``), for a model
or a checkpoint of a run.

Fields were added over time without a new format version: a reader takes what a file has and
leaves the rest unknown (a file written before the corpus sizes were kept loads without
``report_``, so its ``corpus_count`` is 0)."""

from __future__ import annotations

from typing import Any

import numpy as np

from wordvec.core.report import TrainingReport
from wordvec.core.schedule import RunState
from wordvec.corpus.vocab import Vocab
from wordvec.formats import native
from wordvec.vectors.keyedvectors import KeyedVectors


def arrays(model) -> dict[str, np.ndarray]:
    """The model's arrays: vectors, counts, and the output weights it has."""
    out = {"vectors": model.wv.vectors, "counts": model.wv.counts}
    if getattr(model, "syn0_", None) is not None:  # the input rows, when not the vectors
        out["syn0"] = model.syn0_
    if model.syn1neg_ is not None:
        out["syn1neg"] = model.syn1neg_
    if model.syn1_ is not None:
        out["syn1"] = model.syn1_
    if getattr(model, "nce_bias_", None) is not None:
        out["nce_bias"] = model.nce_bias_
    return out


# the corpus sizes of a ``TrainingReport`` kept in a file (not its timings: a model saved twice
# gives the same bytes)
CORPUS_FIELDS = (
    "raw_tokens",
    "vocab_tokens",
    "sentences",
    "sentences_split",
    "words_pruned_while_scanning",
)


def meta(model, kind: str) -> dict[str, Any]:
    """The model's header: its kind, parameters, words, training history and, once it has
    counted a corpus, that corpus's sizes."""
    head = {
        "kind": kind,
        "params": model.get_params(),
        "words": model.wv.index_to_key,
        "epochs_trained": model.epochs_trained_,
        "loss_history": model.loss_history_,
    }
    report = getattr(model, "report_", None)
    if report is not None:
        head["corpus"] = {name: int(getattr(report, name)) for name in CORPUS_FIELDS}
        # as the saving class counts (wordvec.gensim: a long line once per piece)
        head["corpus"]["corpus_count"] = int(model.corpus_count)
    return head


def checkpoint(model, kind: str, run: RunState, corpus_crc32: int) -> tuple[dict, dict]:
    """A checkpoint's header and arrays: the model's, the position in the run and the stats of
    the epoch so far (float64[J, 3])."""
    head = meta(model, kind)
    head["run"] = {
        "start_epochs": run.start_epochs,
        "epoch": run.epoch,
        "next_round": run.next_round,
        "corpus_crc32": corpus_crc32,
    }
    out = arrays(model)
    if run.stats is not None:
        out["epoch_stats"] = run.stats
    return head, out


def restore(cls, path, mmap: bool, kind: str) -> tuple[Any, dict, dict]:
    """A ``cls`` model from a file of ``kind``, with the file's header and arrays."""
    head, stored = native.load_native(path, mmap=mmap)
    if head.get("kind") != kind:
        raise native.FormatError(f"{path}: holds {head.get('kind')!r}, not {kind!r}")
    try:
        model = cls(**head["params"])
        words = head["words"]
        model.vocab_ = Vocab(words, stored["counts"])
        model.wv = KeyedVectors(words, stored["vectors"], stored["counts"])
    except (KeyError, TypeError, ValueError) as e:
        raise native.FormatError(f"{path}: inconsistent model file: {e}") from None
    model.syn1neg_ = stored.get("syn1neg")
    model.syn1_ = stored.get("syn1")
    model.nce_bias_ = stored.get("nce_bias")
    if model.nce and (model.nce_bias_ is None or model.syn1neg_ is None):
        raise native.FormatError(f"{path}: an NCE model without its output weights and biases")
    model._tree = None
    model.epochs_trained_ = int(head.get("epochs_trained", 0))
    model.loss_history_ = list(head.get("loss_history", []))
    corpus = head.get("corpus")
    if corpus is not None:  # absent in older files: the corpus is unknown
        try:
            model.report_ = TrainingReport(
                vocab_size=len(words), **{k: int(corpus[k]) for k in CORPUS_FIELDS}
            )
            model._corpus_count = int(corpus["corpus_count"])  # wordvec.gensim reads it
        except (KeyError, TypeError, ValueError) as e:
            raise native.FormatError(f"{path}: inconsistent corpus sizes: {e}") from None
    return model, head, stored
