"""What one update does, for every objective: the binary-logistic blocks that negative sampling,
NCE and hierarchical softmax share, and the full softmax step (``wordvec.kernels.train`` says
which pairs they are called for).

A logistic output ``k`` scores ``f = x . y_k + shift[k]`` and moves toward its label (1: the
true word, 0: noise) with the gradient of ``-log sigmoid(f)`` or ``-log sigmoid(-f)``. The
``shift`` is 0 for negative sampling and hierarchical softmax; NCE passes
``b_k - log(k P_n(w_k))`` (its output bias and noise correction, ``wordvec.kernels.train``).
Each block leaves every output's gradient (times the learning rate) in its ``g`` buffer, which
is what an output bias moves by.
"""

import math

import numpy as np
from numba import njit

MAX_EXP = 6.0
TABLE_SIZE = 1024
_X = (np.arange(TABLE_SIZE, dtype=np.float64) + 0.5) / TABLE_SIZE * 2 * MAX_EXP - MAX_EXP
SIGMOID = (1.0 / (1.0 + np.exp(-_X))).astype(np.float32)
# -log(sigmoid(x)), float64 so the loss sum keeps its precision
NEG_LOG_SIGMOID = np.log1p(np.exp(-_X))
_SCALE = TABLE_SIZE / (2 * MAX_EXP)


@njit(cache=True, nogil=True, inline="always")
def _grad_and_loss(f, label, alpha):
    """(g, loss) of one logistic output; ``g`` is the gradient times the learning rate.

    Beyond [-MAX_EXP, MAX_EXP] the sigmoid is taken as 0 or 1 and the loss as 0 or |f|.
    Written without branches (the table is read at the clipped score, then values are
    selected): where scores often fall outside the table, as NCE's shifted scores do, a
    branch per score is mispredicted often enough to cost a tenth of the training time."""
    x = min(max(f, -MAX_EXP), MAX_EXP)
    t = min(int((x + MAX_EXP) * _SCALE), TABLE_SIZE - 1)
    high, low, pos = f >= MAX_EXP, f <= -MAX_EXP, label > 0.5
    p = SIGMOID[t]
    p = np.float32(1.0) if high else (np.float32(0.0) if low else p)
    # -log sigmoid(f) for a positive label, -log sigmoid(-f) = -log(1 - sigmoid(f)) otherwise
    loss = NEG_LOG_SIGMOID[t] if pos else NEG_LOG_SIGMOID[TABLE_SIZE - 1 - t]
    edge = (0.0 if pos else np.float64(f)) if high else (-np.float64(f) if pos else 0.0)
    return (label - p) * alpha, edge if (high or low) else loss


@njit(cache=True, nogil=True, inline="always")
def _add_errors(syn0, inputs, n_in, e_in):
    """The inputs move last: ``syn0[inputs[j]] += e_in[j]`` for each of the ``n_in`` inputs."""
    d = syn0.shape[1]
    for j in range(n_in):
        x = syn0[inputs[j]]
        e = e_in[j]
        for t in range(d):
            x[t] += e[t]


@njit(cache=True, nogil=True, inline="always")
def _grads6(scores, labels, shift, alpha, g_row, weight):
    """Gradients (times the learning rate) of six scores (each plus its ``shift``) into
    ``g_row``, scaled by ``weight`` (0 for a twin that must not count); returns the summed
    loss, scaled the same way."""
    loss = 0.0
    for k, f in enumerate(scores):
        gk, lo = _grad_and_loss(f + shift[k], labels[k], alpha)
        loss += lo * weight
        g_row[k] = gk * weight
    return loss


@njit(cache=True, nogil=True, inline="always")
def _logistic_block(syn0, inputs, n_in, syn1, outputs, labels, shift, n_out, alpha, e_in, g):
    """Every input row against every output row, all gradients taken at the weights as they
    were before the block. ``inputs``: int32 rows of syn0; ``outputs``: int64 rows of syn1 with
    ``labels`` (1 = true word, 0 = noise) and ``shift`` (float32, added to their scores); work
    buffers ``e_in``: float32[>= n_in, d], ``g``: float32[>= n_in, >= n_out], where
    ``g[j, k]`` is left as the gradient (times the learning rate) of input j's score on output
    k. Returns the summed loss."""
    d = syn0.shape[1]
    loss = 0.0
    # scores and gradients (times the learning rate) of all pairs
    for j in range(n_in):
        x = syn0[inputs[j]]
        for k in range(n_out):
            y = syn1[outputs[k]]
            f = np.float32(0.0)
            for t in range(d):
                f += x[t] * y[t]
            gk, lo = _grad_and_loss(f + shift[k], labels[k], alpha)
            loss += lo
            g[j, k] = gk
    # input errors from the old output rows
    for j in range(n_in):
        e = e_in[j]
        e[:] = 0.0
        for k in range(n_out):
            y = syn1[outputs[k]]
            gk = g[j, k]
            for t in range(d):
                e[t] += gk * y[t]
    # output rows move in place (the inputs have not changed yet), then the inputs
    for k in range(n_out):
        y = syn1[outputs[k]]
        for j in range(n_in):
            x = syn0[inputs[j]]
            gk = g[j, k]
            for t in range(d):
                y[t] += gk * x[t]
    _add_errors(syn0, inputs, n_in, e_in)
    return loss


@njit(cache=True, nogil=True, inline="always")
def _logistic_block6(syn0, inputs, n_in, syn1, outputs, labels, shift, alpha, e_in, g):
    """``_logistic_block`` for exactly six outputs (the centre word and five noise words, the
    usual case), register-blocked: one pass over d reads the six output rows side by side for
    two inputs at a time, so each output row is loaded and stored once per pair of inputs and
    the twelve sums stay in registers. An odd input out is paired with itself, its twin given a
    zero gradient and no loss. Same gradients as the general block."""
    d = syn0.shape[1]
    y0, y1, y2 = syn1[outputs[0]], syn1[outputs[1]], syn1[outputs[2]]
    y3, y4, y5 = syn1[outputs[3]], syn1[outputs[4]], syn1[outputs[5]]
    loss = 0.0
    for j in range(0, n_in, 2):  # scores and gradients
        twin = j + 1 < n_in  # False: the second input is the first again
        xa, xb = syn0[inputs[j]], syn0[inputs[j + 1 if twin else j]]
        a0 = a1 = a2 = a3 = a4 = a5 = b0 = b1 = b2 = b3 = b4 = b5 = np.float32(0.0)
        for t in range(d):
            u, v = xa[t], xb[t]
            w = y0[t]
            a0 += u * w
            b0 += v * w
            w = y1[t]
            a1 += u * w
            b1 += v * w
            w = y2[t]
            a2 += u * w
            b2 += v * w
            w = y3[t]
            a3 += u * w
            b3 += v * w
            w = y4[t]
            a4 += u * w
            b4 += v * w
            w = y5[t]
            a5 += u * w
            b5 += v * w
        loss += _grads6((a0, a1, a2, a3, a4, a5), labels, shift, alpha, g[j], 1.0)
        loss += _grads6((b0, b1, b2, b3, b4, b5), labels, shift, alpha, g[j + 1],
                        1.0 if twin else 0.0)  # fmt: skip
    for j in range(0, n_in, 2):  # input errors from the old output rows
        ea, eb = e_in[j], e_in[j + 1]
        ga, gb = g[j], g[j + 1]
        a0, a1, a2, a3, a4, a5 = ga[0], ga[1], ga[2], ga[3], ga[4], ga[5]
        b0, b1, b2, b3, b4, b5 = gb[0], gb[1], gb[2], gb[3], gb[4], gb[5]
        for t in range(d):
            w0, w1, w2, w3, w4, w5 = y0[t], y1[t], y2[t], y3[t], y4[t], y5[t]
            ea[t] = a0 * w0 + a1 * w1 + a2 * w2 + a3 * w3 + a4 * w4 + a5 * w5
            eb[t] = b0 * w0 + b1 * w1 + b2 * w2 + b3 * w3 + b4 * w4 + b5 * w5
    for j in range(0, n_in, 2):  # output rows move (the inputs have not changed yet)
        xa, xb = syn0[inputs[j]], syn0[inputs[j + 1 if j + 1 < n_in else j]]
        ga, gb = g[j], g[j + 1]
        a0, a1, a2, a3, a4, a5 = ga[0], ga[1], ga[2], ga[3], ga[4], ga[5]
        b0, b1, b2, b3, b4, b5 = gb[0], gb[1], gb[2], gb[3], gb[4], gb[5]
        for t in range(d):
            u, v = xa[t], xb[t]
            y0[t] += a0 * u + b0 * v
            y1[t] += a1 * u + b1 * v
            y2[t] += a2 * u + b2 * v
            y3[t] += a3 * u + b3 * v
            y4[t] += a4 * u + b4 * v
            y5[t] += a5 * u + b5 * v
    _add_errors(syn0, inputs, n_in, e_in)
    return loss


@njit(cache=True, nogil=True, inline="always")
def _logistic_vec(h, syn1, outputs, labels, shift, n_out, alpha, e, g):
    """One input vector ``h`` (float32[d]) against ``n_out`` outputs (scores plus ``shift``):
    the output rows move at once (``h`` does not), ``h``'s gradient is added to ``e`` and each
    output's gradient (times the learning rate) left in ``g[k]``. Returns the summed loss."""
    d = h.shape[0]
    loss = 0.0
    for k in range(n_out):
        y = syn1[outputs[k]]
        f = np.float32(0.0)
        for t in range(d):
            f += h[t] * y[t]
        gk, lo = _grad_and_loss(f + shift[k], labels[k], alpha)
        loss += lo
        gk = np.float32(gk)
        g[k] = gk
        for t in range(d):
            e[t] += gk * y[t]
            y[t] += gk * h[t]
    return loss


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
