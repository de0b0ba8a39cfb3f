"""The full softmax kernel: the exact objective of the seeds, O(V d) per pair, for vocabularies
up to ``word2vec.params.SOFTMAX_MAX_VOCAB`` words. Same arguments as ``kernels.train``'s kernels
(its docstring), the output rows in ``weights.syn1`` (float32[V, d]).

Helpers come from ``kernels.train``: Numba's cache would not notice an edit there, so this
module pins that file's sha256 (``TRAIN_SHA256``), as ``kernels.subword`` does:
``tests/test_structure.py`` fails until the pin is updated.
"""

import math

import numpy as np
from numba import njit

from wordvec.kernels.train import OUT_HS, _buffers, _context, _finish, _prepare, _start

# the sha256 of kernels/train.py, whose helpers this kernel inlines
TRAIN_SHA256 = "f29351b104e87dd2133ff633b669b69c2615ff0df71b7ce58637712c73952fbf"


@njit(cache=True, nogil=True, inline="always")
def _softmax_step(x, syn1, target, alpha, scores, e):
    """Full softmax: p = softmax(syn1 @ x); every output row moves by alpha * (1[v = target] - p_v)
    * x and ``e`` collects the input's gradient. ``scores``: float64[V]. Returns -log p_target."""
    v, d = syn1.shape
    top = -np.inf
    for o in range(v):
        f = 0.0
        for t in range(d):
            f += x[t] * syn1[o, t]
        scores[o] = f
        top = max(top, f)
    z = 0.0
    for o in range(v):
        scores[o] = math.exp(scores[o] - top)
        z += scores[o]
    loss = -math.log(scores[target] / z)
    for o in range(v):
        g = np.float32(alpha * ((1.0 if o == target else 0.0) - scores[o] / z))
        for t in range(d):
            e[t] += g * syn1[o, t]
            syn1[o, t] += g * x[t]
    return loss


@njit(cache=True, nogil=True)
def train_softmax(corpus, weights, tables, opts, s0, s1, alpha0, alpha1, rng, stats, touched):
    """The exact objective of the seeds, O(V d) per pair, over ``weights.syn1`` (float32[V, d]):
    skip-gram (each context word predicts the centre word, as in the C tool) or CBOW."""
    syn0, syn1neg, syn1 = weights.syn0, weights.syn1neg, weights.syn1
    d = syn0.shape[1]
    state, step, loss, pairs, kept = _start(corpus, s0, s1, alpha0, alpha1, rng)
    sent, cut, negs, ctx, _, _, _ = _buffers(corpus, tables, opts, s0, s1)  # negative is 0
    scores = np.empty(syn1.shape[0], np.float64)
    touched[OUT_HS, : syn1.shape[0]] = 1  # every output row moves with every pair
    h, e = np.empty(d, np.float32), np.empty(d, np.float32)  # the context's sum, its error
    for s in range(s0, s1):
        n, state, base, frac = _prepare(
            corpus, tables, opts, s, s0, sent, cut, negs, state, syn0, syn1neg
        )
        kept += n
        for i in range(n):
            alpha = alpha0 + step * (base + i * frac)
            m = _context(sent, n, i, cut, negs, ctx, opts, syn0, syn1neg, touched)
            if m == 0:
                continue
            w = sent[i]
            if opts.sg:
                for j in range(m):
                    x = syn0[ctx[j]]
                    e[:] = 0.0
                    loss += _softmax_step(x, syn1, w, alpha, scores, e)
                    for t in range(d):
                        x[t] += e[t]
                pairs += m
            else:
                h[:] = 0.0
                for j in range(m):
                    for t in range(d):
                        h[t] += syn0[ctx[j], t]
                if opts.cbow_mean:
                    for t in range(d):
                        h[t] /= m
                e[:] = 0.0
                loss += _softmax_step(h, syn1, w, alpha, scores, e)
                for j in range(m):
                    for t in range(d):
                        syn0[ctx[j], t] += e[t]
                pairs += 1
    _finish(rng, stats, state, loss, pairs, kept)


KERNELS = {"softmax": train_softmax}  # as ``kernels.train.KERNELS``
