"""What a trained model's output layer says: the likely centre word of a context, and the
log-probability of a sentence.

The output layer depends on the objective the model was trained with:

- negative sampling: ``syn1neg_`` (float32[V, d]); ``softmax(syn1neg_ @ h)`` is gensim's reading
  of it as a distribution over words. It was never trained to be normalised, so it can rank
  words but gives no sentence probability.
- hierarchical softmax: ``syn1_`` (float32[V - 1, d]), one row per inner node of the Huffman
  tree (``wordvec.core.huffman``); ``p(w | h) = prod_k sigmoid((1 - 2 code_k) syn1_[point_k] . h)``
  along ``w``'s path (code bit 0 is the C tool's label 1). These sum to 1 over the vocabulary.
- full softmax (``softmax=True``): ``syn1_`` (float32[V, d]); ``p(w | h) = softmax(syn1_ @ h)_w``.
- NCE (``nce=True``): ``syn1neg_`` and the biases ``nce_bias_`` (float32[V]); NCE fits the scores
  ``s_w = syn1neg_[w] . h + b_w`` so that ``exp(s_w)`` is itself close to normalised (Mnih &
  Teh 2012); ``p(w | h) = softmax(s)_w`` normalises it exactly, for ranking and for sentences.

``h`` is what the model's input layer gives: the sum of the context vectors, or their mean with
``cbow_mean`` (gensim's ``predict_output_word``; for skip-gram, ``score_sentence`` uses one
context word at a time, as skip-gram is trained). Probabilities are exact (float64, no sigmoid
table), unlike gensim's ``score``, which uses a table and skips terms beyond |6|.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from wordvec.core.huffman import HuffmanTree
from wordvec.vectors.topk import top_indices

if TYPE_CHECKING:
    from wordvec.vectors.keyedvectors import KeyedVectors

_PAIRS = 256  # (input, target) pairs scored at once on a Huffman path (bounds a gather)


@dataclass
class OutputLayer:
    """A trained model's output side: ``syn1neg`` (negative sampling, or None), ``syn1`` (inner
    nodes of ``tree`` with hs, the output vectors with ``softmax``, or None), and how inputs
    were formed (``sg``, ``window``, ``cbow_mean``). ``Word2Vec.output_layer()`` gives it."""

    syn1neg: np.ndarray | None
    syn1: np.ndarray | None
    tree: HuffmanTree | None
    softmax: bool
    sg: bool
    window: int
    cbow_mean: bool
    bias: np.ndarray | None = None  # NCE's output biases (with ``syn1neg``)

    @classmethod
    def of(cls, model) -> OutputLayer:
        """A trained ``Word2Vec``'s (or ``FastText``'s) output layer."""
        return cls(
            syn1neg=model.syn1neg_ if model.negative else None,
            syn1=model.syn1_,
            tree=model.huffman_tree() if model.hs else None,
            softmax=bool(model.softmax),
            sg=bool(model.sg),
            window=model.window,
            cbow_mean=bool(model.cbow_mean),
            bias=model.nce_bias_ if model.nce else None,
        )


def predict_output_word(
    wv: KeyedVectors, layer: OutputLayer, context_words: Sequence[str], topn: int = 10
) -> list[tuple[str, float]]:
    """The ``topn`` most probable centre words given ``context_words``, as [(word, p)], most
    probable first.

    Works for negative-sampling (as gensim), NCE, hierarchical-softmax and full-softmax models
    (negative sampling is used when a model has both). Context words outside the vocabulary
    are ignored, as gensim; ``KeyError`` if none is known.
    """
    if topn < 0:
        raise ValueError(f"topn must be >= 0, got {topn}")
    rows = [wv.key_to_index[w] for w in context_words if w in wv.key_to_index]
    if not rows:
        raise KeyError(f"none of the context words {list(context_words)[:10]!r} is in vocabulary")
    h = wv.vectors[rows].sum(axis=0, dtype=np.float64)
    if layer.cbow_mean:
        h /= len(rows)
    if layer.syn1neg is not None:
        logp = _log_softmax(_scores(layer, h.astype(np.float32)))
    else:
        logp = _all_log_probs(layer, h)
    best = top_indices(logp, topn)
    return [(wv.index_to_key[i], float(np.exp(logp[i]))) for i in best]


def score_sentence(wv: KeyedVectors, layer: OutputLayer, words: Sequence[str]) -> float:
    """Natural log of the probability the model gives ``words`` (gensim's ``score``).

    Skip-gram: the sum over positions i and context positions j (``0 < |i - j| <= window``,
    no window shrinking) of ``log p(w_i | w_j)``. CBOW: the sum over positions of
    ``log p(w_i | h_i)``, ``h_i`` the sum (mean with ``cbow_mean``) of the context vectors;
    a position without context adds nothing. Needs a hierarchical-softmax, full-softmax or NCE
    model (``ValueError`` for negative sampling); an unknown word raises ``KeyError``.
    """
    if not (layer.tree is not None or layer.softmax or layer.bias is not None):
        raise ValueError(
            "score_sentence needs a model trained with hierarchical softmax (hs=1), the full "
            "softmax (softmax=True) or NCE (nce=True): negative sampling does not define "
            "normalised probabilities"
        )
    ids = np.array([wv.get_index(w) for w in words], np.int64)
    n = ids.shape[0]
    if n < 2:
        return 0.0
    x = wv.vectors[ids].astype(np.float64)  # float64[n, d]
    offsets = np.concatenate([np.arange(-layer.window, 0), np.arange(1, layer.window + 1)])
    pos = np.arange(n)
    if layer.sg:
        i, j = np.broadcast_arrays(pos[:, None], pos[:, None] + offsets[None, :])
        ok = (j >= 0) & (j < n)
        h, targets = x[j[ok]], ids[i[ok]]  # each context word predicts the centre word
    else:
        lo = np.maximum(pos - layer.window, 0)
        hi = np.minimum(pos + layer.window + 1, n)
        count = hi - lo - 1
        prefix = np.vstack([np.zeros(x.shape[1]), np.cumsum(x, axis=0)])
        h = prefix[hi] - prefix[lo] - x  # float64[n, d] sum of each window, centre left out
        if layer.cbow_mean:
            h /= np.maximum(count, 1)[:, None]
        h, targets = h[count > 0], ids[count > 0]
    return float(_log_probs_of(layer, h, targets).sum())


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, in float64."""
    z = np.asarray(z, np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _scores(layer: OutputLayer, h: np.ndarray) -> np.ndarray:
    """float32[..., V] scores of the negative-sampling or NCE output layer for inputs ``h``
    (float32[..., d]): ``h @ syn1neg.T``, plus the biases with NCE."""
    s = h @ layer.syn1neg.T
    return s + layer.bias if layer.bias is not None else s


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -z)


def _all_log_probs(layer: OutputLayer, h: np.ndarray) -> np.ndarray:
    """float64[V] log p(w | h) for every word, for a hierarchical or full softmax model."""
    h = h.astype(np.float32)  # float32 products: no float64 copy of the output matrix
    if layer.softmax:
        return _log_softmax(layer.syn1 @ h)
    if layer.tree is None:
        raise ValueError("the model has no output layer (negative=0, hs=0, softmax=False)")
    tree = layer.tree
    f = layer.syn1 @ h  # float64[V - 1] score of each inner node
    sign = 1.0 - 2.0 * tree.codes  # +1 where the C tool's label is 1
    on_path = np.arange(tree.codes.shape[1]) < tree.lengths[:, None]
    return np.where(on_path, _log_sigmoid(sign * f[tree.points]), 0.0).sum(axis=1)


def _log_probs_of(layer: OutputLayer, h: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """float64[m] log p(targets[k] | h[k]) for inputs h (float64[m, d])."""
    if layer.softmax or layer.tree is None:  # the full softmax, or NCE's normalised scores
        out = np.empty(h.shape[0])
        for s in range(0, h.shape[0], _PAIRS):
            x = h[s : s + _PAIRS].astype(np.float32)
            logp = _log_softmax(x @ layer.syn1.T if layer.softmax else _scores(layer, x))
            out[s : s + _PAIRS] = logp[np.arange(logp.shape[0]), targets[s : s + _PAIRS]]
        return out
    tree = layer.tree
    out = np.empty(h.shape[0])
    for s in range(0, h.shape[0], _PAIRS):
        t = targets[s : s + _PAIRS]
        nodes = layer.syn1[tree.points[t]]  # float32[b, L, d] each target's path
        f = np.einsum("bd,bld->bl", h[s : s + _PAIRS], nodes)
        sign = 1.0 - 2.0 * tree.codes[t]
        on_path = np.arange(tree.codes.shape[1]) < tree.lengths[t][:, None]
        out[s : s + _PAIRS] = np.where(on_path, _log_sigmoid(sign * f), 0.0).sum(axis=1)
    return out
