"""What a Word2Vec file holds: parameters, vocabulary, training state and the weights, in the
native format (``wordvec.io``), for a model or a checkpoint of a run."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import io
from .keyedvectors import KeyedVectors
from .schedule import RunState
from .vocab import Vocab


def arrays(model) -> dict[str, np.ndarray]:
    """The model's arrays: vectors, counts, and the output weights it has."""
    out = {"vectors": model.wv.vectors, "counts": model.wv.counts}
    if model.syn1neg_ is not None:
        out["syn1neg"] = model.syn1neg_
    if model.syn1_ is not None:
        out["syn1"] = model.syn1_
    if getattr(model, "nce_bias_", None) is not None:
        out["nce_bias"] = model.nce_bias_
    return out


def meta(model, kind: str) -> dict[str, Any]:
    """The model's header: its kind, parameters, words and training history."""
    return {
        "kind": kind,
        "params": model.get_params(),
        "words": model.wv.index_to_key,
        "epochs_trained": model.epochs_trained_,
        "loss_history": model.loss_history_,
    }


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
    head, stored = io.load_native(path, mmap=mmap)
    if head.get("kind") != kind:
        raise io.FormatError(f"{path}: holds {head.get('kind')!r}, not {kind!r}")
    try:
        model = cls(**head["params"])
        words = head["words"]
        model.vocab_ = Vocab(words, stored["counts"])
        model.wv = KeyedVectors(words, stored["vectors"], stored["counts"])
    except (KeyError, TypeError, ValueError) as e:
        raise io.FormatError(f"{path}: inconsistent model file: {e}") from None
    model.syn1neg_ = stored.get("syn1neg")
    model.syn1_ = stored.get("syn1")
    model.nce_bias_ = stored.get("nce_bias")
    if model.nce and (model.nce_bias_ is None or model.syn1neg_ is None):
        raise io.FormatError(f"{path}: an NCE model without its output weights and biases")
    model._tree = None
    model.epochs_trained_ = int(head.get("epochs_trained", 0))
    model.loss_history_ = list(head.get("loss_history", []))
    return model, head, stored
