"""Training kernels: one call trains a range of sentences, without the GIL.

Three sections, as fastText's ``Loss``/``Model``/``skipgram()`` split: (1) what one update
does: the binary-logistic blocks that negative sampling, NCE and hierarchical softmax share;
(2) what every kernel does alike, written once: the per-sentence preparation (``_prepare``:
subsampling, window reductions, noise words), each position's context and outputs, the sums;
(3) which pairs exist: ``train_sg`` and ``train_cbow``, with the same arguments, found through
``KERNELS`` (the full softmax's kernel is ``kernels.softmax``, the subword ones
``kernels.subword``: both inline these helpers and pin this file's sha256, because Numba's
on-disk cache does not see edits to helpers in another file). The maths (skip-gram's window
blocks, NCE's scores and biases, a logistic output's shift) is in docs/training-core.md, "The
kernels".

Arguments: four bundles (``kernels.bundles``: ``Corpus``, ``Weights``, ``Tables``, ``Options``,
their shapes there), and per call: sentences ``s0 .. s1 - 1``;
the learning rate falls linearly from ``alpha0`` at the first token to ``alpha1`` after the
last; ``rng``: uint64[1] random state, advanced in place; ``stats``: float64[3] accumulates (loss
sum, trained pairs, words kept after subsampling); ``touched``: uint8[3, V] gets a 1 for every
row updated, of syn0 / syn1neg / syn1 (what a deterministic merge visits; uint8[3, 0] without).
The loss is the negative log-likelihood per (input, target) pair, from the same sigmoid table
the update uses (inputs clipped to [-MAX_EXP, MAX_EXP]).
"""

import numpy as np
from numba import njit

from wordvec.kernels import ESCAPE
from wordvec.kernels.bundles import Corpus, Options, Tables, Weights  # noqa: F401 (old caches)
from wordvec.kernels.prefetch import prefetch_row

# the sha256 of kernels/prefetch.py, whose helper these kernels inline (tests/test_structure.py)
PREFETCH_SHA256 = "e9c7e2f9657d24a3a7b2d648cb8f786ffbfaa9e20e15380256f2833d2175391c"

MAX_EXP = 6.0
TABLE_SIZE = 1024
_X = (np.arange(TABLE_SIZE, dtype=np.float64) + 0.5) / TABLE_SIZE * 2 * MAX_EXP - MAX_EXP
SIGMOID = (1.0 / (1.0 + np.exp(-_X))).astype(np.float32)
# -log(sigmoid(x)), float64 so the loss sum keeps its precision
NEG_LOG_SIGMOID = np.log1p(np.exp(-_X))
_SCALE = TABLE_SIZE / (2 * MAX_EXP)


# -- 1. what one update does ---------------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def _grad_and_loss(f, label, alpha):
    """(g, loss) of one logistic output; ``g`` is the gradient times the learning rate."""
    if f >= MAX_EXP:
        return (label - 1.0) * alpha, (0.0 if label > 0.5 else f)
    if f <= -MAX_EXP:
        return label * alpha, (-f if label > 0.5 else 0.0)
    t = int((f + MAX_EXP) * _SCALE)
    p = SIGMOID[t]
    # -log sigmoid(f) for a positive label, -log sigmoid(-f) = -log(1 - sigmoid(f)) otherwise
    loss = NEG_LOG_SIGMOID[t] if label > 0.5 else NEG_LOG_SIGMOID[TABLE_SIZE - 1 - t]
    return (label - p) * alpha, loss


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
        loss += _grads6(
            (b0, b1, b2, b3, b4, b5), labels, shift, alpha, g[j + 1], 1.0 if twin else 0.0
        )
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
def _logistic_vec(h, syn1, outputs, labels, shift, n_out, alpha, e, g, distinct):
    """One input vector ``h`` (float32[d]) against ``n_out`` outputs (scores plus ``shift``),
    every score taken before any output row moves (a block of one input: the C tool's order
    when the rows differ, as a Huffman path's always do): the output rows move (``h`` does not),
    ``h``'s gradient is added to ``e``, each output's (times the learning rate) left in ``g[k]``;
    returns the summed loss. ``distinct``: no row is twice in ``outputs`` (a Huffman path); else
    a row drawn twice takes all its gradients in its last place. Six outputs at a time,
    register-blocked (1.5x faster than scoring and moving one output at a time)."""
    d = h.shape[0]
    loss = 0.0
    k0 = 0
    while k0 + 6 <= n_out:
        loss += _scores6(h, syn1, outputs[k0:], labels[k0:], shift[k0:], alpha, g[k0:])
        k0 += 6
    for k in range(k0, n_out):
        y = syn1[outputs[k]]
        f = np.float32(0.0)
        for t in range(d):
            f += h[t] * y[t]
        gk, lo = _grad_and_loss(f + shift[k], labels[k], alpha)
        loss += lo
        g[k] = gk
    if not distinct:
        for j in range(1, n_out):
            for i in range(j):
                if outputs[i] == outputs[j]:
                    g[j] += g[i]
                    g[i] = 0.0
    k0 = 0  # each row is written once, from the value it had: every error from the old rows
    while k0 + 6 <= n_out:
        _moves6(h, syn1, outputs[k0:], e, g[k0:])
        k0 += 6
    for k in range(k0, n_out):
        y = syn1[outputs[k]]
        gk = g[k]
        for t in range(d):
            w = y[t]
            e[t] += gk * w
            y[t] = w + gk * h[t]
    return loss


@njit(cache=True, nogil=True, inline="always")
def _scores6(h, syn1, outputs, labels, shift, alpha, g):
    """Six outputs' scores against ``h`` in one pass over d; gradients into ``g[:6]``, returns
    their loss."""
    y0, y1, y2 = syn1[outputs[0]], syn1[outputs[1]], syn1[outputs[2]]
    y3, y4, y5 = syn1[outputs[3]], syn1[outputs[4]], syn1[outputs[5]]
    a0 = a1 = a2 = a3 = a4 = a5 = np.float32(0.0)
    for t in range(h.shape[0]):
        u = h[t]
        a0 += u * y0[t]
        a1 += u * y1[t]
        a2 += u * y2[t]
        a3 += u * y3[t]
        a4 += u * y4[t]
        a5 += u * y5[t]
    return _grads6((a0, a1, a2, a3, a4, a5), labels, shift, alpha, g, 1.0)


@njit(cache=True, nogil=True, inline="always")
def _moves6(h, syn1, outputs, e, g):
    """Six output rows move by ``g[k] * h`` and add ``g[k] * row`` to ``e``, in one pass over
    d, each row written from the value it had (no re-read between the rows, so the loop
    vectorises: a row twice in the six must have a zero gradient in its first place)."""
    y0, y1, y2 = syn1[outputs[0]], syn1[outputs[1]], syn1[outputs[2]]
    y3, y4, y5 = syn1[outputs[3]], syn1[outputs[4]], syn1[outputs[5]]
    b0, b1, b2, b3, b4, b5 = g[0], g[1], g[2], g[3], g[4], g[5]
    for t in range(h.shape[0]):
        u = h[t]
        w0, w1, w2, w3, w4, w5 = y0[t], y1[t], y2[t], y3[t], y4[t], y5[t]
        e[t] += b0 * w0 + b1 * w1 + b2 * w2 + b3 * w3 + b4 * w4 + b5 * w5
        y0[t] = w0 + b0 * u
        y1[t] = w1 + b1 * u
        y2[t] = w2 + b2 * u
        y3[t] = w3 + b3 * u
        y4[t] = w4 + b4 * u
        y5[t] = w5 + b5 * u


# -- 2. what every kernel does alike, written once -----------------------------------------------
# (the position loop's helpers take arrays, not bundles of arrays: measured 5-10 % faster)
AHEAD = 3  # positions between a prefetch and the use of its rows
HOGWILD_SYNC = 1000  # positions between the renewals of Hogwild's copy of the heaviest nodes
IN, OUT_NEG, OUT_HS = 0, 1, 2  # rows of ``touched``: syn0, syn1neg, syn1


@njit(cache=True, nogil=True, inline="always")
def _next(state):
    """xorshift64*: returns (new state, 64 random bits)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, state * np.uint64(2685821657736338717)


@njit(cache=True, nogil=True, inline="always")
def _noise(r, noise_p, noise_a):
    """One draw from the alias table using the 64 random bits ``r``."""
    i = np.int64(((r >> np.uint64(32)) * np.uint64(noise_p.shape[0])) >> np.uint64(32))
    if (r & np.uint64(0xFFFFFFFF)) < noise_p[i]:
        return i
    return np.int64(noise_a[i])


@njit(cache=True, nogil=True, inline="always")
def _subsample(ids, rare, r, start, end, keep, sent, state):
    """Copy the kept tokens of sentence ``ids[start:end]`` (its first escaped id at ``rare[r]``)
    into ``sent``; returns (count, rng state)."""
    n = 0
    for i in range(start, end):
        w = np.int64(ids[i])
        if w == ESCAPE:
            w = np.int64(rare[r])
            r += 1
        state, r64 = _next(state)
        if (r64 >> np.uint64(32)) < keep[w]:
            sent[n] = w
            n += 1
    return n, state


@njit(cache=True, nogil=True, inline="always")
def _prefetch(sent, n, i, negs, opts, syn0, syn1neg):
    """Start loading the rows position ``i`` will need: its centre word's and noise words'
    output rows, and the input row of the word entering the window."""
    if i < n:
        if opts.negative > 0:
            prefetch_row(syn1neg, sent[i])
            for k in range(opts.negative):
                prefetch_row(syn1neg, negs[i, k])
        if i + opts.window < n:
            prefetch_row(syn0, sent[i + opts.window])


@njit(cache=True, nogil=True, inline="always")
def _prepare(corpus, tables, opts, s, s0, sent, cut, negs, state, syn0, syn1neg):
    """Sentence ``s`` ready to train: its kept words in ``sent``, each position's random choices
    drawn up front so the rows they touch can be prefetched (the window reduction ``cut[i]``,
    uniform in 0..window-1 with ``shrink`` as in the C tool, so near words weigh more; then
    ``negative`` noise words ``negs[i]``), the first ``AHEAD`` positions' loads started.
    Returns (kept count, rng state, raw tokens of the call before the sentence, raw tokens per
    kept token: tokens are spread evenly over the sentence's raw length for the learning rate)."""
    start, end = corpus.bounds[s], corpus.bounds[s + 1]
    n, state = _subsample(
        corpus.ids, corpus.rare, corpus.rare_starts[s], start, end, tables.keep, sent, state
    )
    for i in range(n):
        cut[i] = 0
        if opts.shrink:
            state, r = _next(state)
            cut[i] = np.int64((r >> np.uint64(33)) % np.uint64(opts.window))
        for k in range(opts.negative):
            state, r = _next(state)
            negs[i, k] = _noise(r, tables.noise_p, tables.noise_a)
    for i in range(min(AHEAD, n)):
        _prefetch(sent, n, i, negs, opts, syn0, syn1neg)
    return n, state, start - corpus.bounds[s0], (end - start) / max(n, 1)


@njit(cache=True, nogil=True, inline="always")
def _context(sent, n, i, cut, negs, ctx, opts, syn0, syn1neg, touched):
    """The loads of position ``i + AHEAD`` started, then the context word ids of position ``i``
    into ``ctx``, their rows marked as touched; returns their count."""
    _prefetch(sent, n, i + AHEAD, negs, opts, syn0, syn1neg)
    lo = max(0, i - opts.window + cut[i])
    hi = min(n, i + opts.window + 1 - cut[i])
    m = 0
    for c in range(lo, hi):
        if c != i:
            ctx[m] = sent[c]
            m += 1
    _mark(touched, IN, ctx, m)
    return m


@njit(cache=True, nogil=True, inline="always")
def _fill_ns(w, negs_i, bias, nce_shift, opts, outputs, labels, shift, touched):
    """The outputs of negative sampling, marked as touched: the true word ``w`` (label 1), then
    the drawn noise words that are not ``w``; with NCE all of them, each score shifted by
    ``bias[o] - log(k P_n(o))`` (``nce_shift[o]``), and the biases marked. Returns the count."""
    outputs[0] = w
    labels[0] = 1.0
    n = 1
    for o in negs_i:
        if opts.nce or o != w:
            outputs[n] = o
            labels[n] = 0.0
            n += 1
    if opts.nce:
        for k in range(n):
            shift[k] = bias[outputs[k]] - nce_shift[outputs[k]]
        _mark(touched, OUT_HS, outputs, n)  # the biases
    _mark(touched, OUT_NEG, outputs, n)
    return n


@njit(cache=True, nogil=True, inline="always")
def _move_bias(bias, outputs, n_out, g, n_in):
    """NCE's output biases move by their gradients, summed over the ``n_in`` rows of ``g``
    (float32[>= n_in, >= n_out]): a bias scores like a weight against an input of 1."""
    for k in range(n_out):
        s = np.float32(0.0)
        for j in range(n_in):
            s += g[j, k]
        bias[outputs[k]] += s


@njit(cache=True, nogil=True, inline="always")
def _fill_path(w, codes, points, code_len, outputs, labels, touched):
    """outputs/labels = the Huffman path of ``w``, marked as touched; returns its length."""
    n = code_len[w]
    for k in range(n):
        outputs[k] = points[w, k]
        labels[k] = 1.0 - codes[w, k]
    _mark(touched, OUT_HS, outputs, n)
    return n


@njit(cache=True, nogil=True, inline="always")
def _mark(touched, which, rows, n):
    """Note that rows ``rows[:n]`` of matrix ``which`` are updated (for a sparse merge); a
    ``touched`` of no columns means no merge follows, and nothing is noted."""
    if touched.shape[1] > 0:
        for k in range(n):
            touched[which, rows[k]] = 1


@njit(cache=True, nogil=True, inline="always")
def _add_moved(y, p, p0):
    """What a copy moved (``p - p0``) added to row ``y`` (Hogwild's copies of Huffman nodes)."""
    for t in range(y.shape[0]):
        y[t] += p[t] - p0[t]


@njit(cache=True, nogil=True, inline="always")
def _renew(syn1, lo, work, start):
    """Hogwild's own copy of rows ``lo ..`` of ``syn1`` (``work``'s first rows, from ``start``):
    what it moved goes back to ``syn1``, and it starts again from the shared rows."""
    for r in range(start.shape[0]):
        y = syn1[lo + r]
        _add_moved(y, work[r], start[r])
        work[r] = start[r] = y


@njit(cache=True, nogil=True, inline="always")
def _start(corpus, s0, s1, alpha0, alpha1, rng):
    """The rng state, the learning rate's change per raw token, (loss, pairs, kept) at 0."""
    return rng[0], (alpha1 - alpha0) / max(corpus.bounds[s1] - corpus.bounds[s0], 1), 0.0, 0, 0


@njit(cache=True, nogil=True, inline="always")
def _buffers(corpus, tables, opts, s0, s1):
    """Work buffers for the longest sentence of ``s0 .. s1 - 1``: the kept word ids, the window
    reductions and the noise words of each position, the context ids of one position, and the
    output rows, labels and score shifts of one update."""
    longest = 0
    for s in range(s0, s1):
        longest = max(longest, corpus.bounds[s + 1] - corpus.bounds[s])
    sent, cut = np.empty(longest, np.int32), np.empty(longest, np.int64)
    negs, ctx = np.empty((longest, opts.negative), np.int64), np.empty(2 * opts.window, np.int32)
    n_out = max(opts.negative + 1, tables.codes.shape[1])
    outputs, labels = np.empty(n_out, np.int64), np.empty(n_out, np.float32)
    return sent, cut, negs, ctx, outputs, labels, np.zeros(n_out, np.float32)


@njit(cache=True, nogil=True, inline="always")
def _finish(rng, stats, state, loss, pairs, kept):
    """The rng state handed back, this call's sums added to ``stats``."""
    rng[0] = state
    stats[0] += loss
    stats[1] += pairs
    stats[2] += kept


# -- 3. which pairs exist ------------------------------------------------------------------------
@njit(cache=True, nogil=True, fastmath=True)
def train_sg(corpus, weights, tables, opts, s0, s1, alpha0, alpha1, rng, stats, touched):
    """Skip-gram over sentences ``s0 .. s1 - 1``: each context word of a window is an input for
    the centre word, with negative sampling (``negative > 0``) and/or hierarchical softmax."""
    syn0, syn1neg, syn1 = weights.syn0, weights.syn1neg, weights.syn1
    d = syn0.shape[1]
    state, step, loss, pairs, kept = _start(corpus, s0, s1, alpha0, alpha1, rng)
    sent, cut, negs, ctx, outputs, labels, shift = _buffers(corpus, tables, opts, s0, s1)
    bias = syn1[:, 0]  # with NCE, syn1 is float32[V, 1]: the output biases
    # separate C-contiguous buffers (not slices of one): the loops over d then vectorise
    e_in = np.empty((2 * opts.window, d), np.float32)
    g = np.empty((2 * opts.window, outputs.shape[0]), np.float32)
    # Hogwild: the rows of the Huffman nodes a window trains are rows of ``work``: its first
    # ``top`` are this call's own copy of the heaviest nodes (on nearly every path), added back
    # and renewed every HOGWILD_SYNC positions and at its end; then a copy of the window's
    # other nodes, added back once a window
    top = min(opts.hogwild, syn1.shape[0]) if opts.hs else 0
    lo = syn1.shape[0] - top
    work = np.zeros((top + outputs.shape[0], d), np.float32)  # the call's first position copies
    top0, path0 = np.zeros((top, d), np.float32), np.empty((outputs.shape[0], d), np.float32)
    node = np.empty(outputs.shape[0], np.int64)  # rows of ``work``
    for s in range(s0, s1):
        n, state, base, frac = _prepare(
            corpus, tables, opts, s, s0, sent, cut, negs, state, syn0, syn1neg
        )
        kept += n
        for i in range(n):
            if top > 0 and (kept - n + i) % HOGWILD_SYNC == 0:
                _renew(syn1, lo, work, top0)
            alpha = alpha0 + step * (base + i * frac)
            m = _context(sent, n, i, cut, negs, ctx, opts, syn0, syn1neg, touched)
            if m == 0:
                continue
            w = sent[i]
            pairs += m
            if opts.negative > 0:
                k = _fill_ns(
                    w, negs[i], bias, tables.nce_shift, opts, outputs, labels, shift, touched
                )
                if k == 6:
                    loss += _logistic_block6(
                        syn0, ctx, m, syn1neg, outputs, labels, shift, alpha, e_in, g
                    )
                else:
                    loss += _logistic_block(
                        syn0, ctx, m, syn1neg, outputs, labels, shift, k, alpha, e_in, g
                    )
                if opts.nce:
                    _move_bias(bias, outputs, k, g, m)
            if opts.hs:
                # one context at a time, each moving the path rows at once (as the C tool):
                # the rows near the root are on every path, so a stale block would cost quality;
                # Hogwild trains copies (``work``), so that no row moves between the cores with
                # every context
                k = _fill_path(
                    w, tables.codes, tables.points, tables.code_len, outputs, labels, touched
                )
                rows, nodes = (work, node) if opts.hogwild else (syn1, outputs)
                for q in range(k if opts.hogwild else 0):
                    r = outputs[q]
                    node[q] = r - lo if r >= lo else top + q
                    if r < lo:
                        work[top + q] = path0[q] = syn1[r]
                e = e_in[0]
                for j in range(m):
                    x = syn0[ctx[j]]
                    e[:] = 0.0
                    loss += _logistic_vec(x, rows, nodes, labels, shift, k, alpha, e, g[0], True)
                    for t in range(d):
                        x[t] += e[t]
                for q in range(k if opts.hogwild else 0):
                    if outputs[q] < lo:
                        _add_moved(syn1[outputs[q]], work[top + q], path0[q])
    _renew(syn1, lo, work, top0)
    _finish(rng, stats, state, loss, pairs, kept)


@njit(cache=True, nogil=True, fastmath=True)
def train_cbow(corpus, weights, tables, opts, s0, s1, alpha0, alpha1, rng, stats, touched):
    """CBOW over sentences ``s0 .. s1 - 1``: the sum (or mean) of the context vectors predicts
    the centre word; the error is added back to every context vector, as in the C tool."""
    syn0, syn1neg, syn1 = weights.syn0, weights.syn1neg, weights.syn1
    d = syn0.shape[1]
    state, step, loss, pairs, kept = _start(corpus, s0, s1, alpha0, alpha1, rng)
    sent, cut, negs, ctx, outputs, labels, shift = _buffers(corpus, tables, opts, s0, s1)
    bias = syn1[:, 0]  # with NCE, syn1 is float32[V, 1]: the output biases
    g = np.empty((1, outputs.shape[0]), np.float32)
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
            h[:] = 0.0
            for j in range(m):
                x = syn0[ctx[j]]
                for t in range(d):
                    h[t] += x[t]
            if opts.cbow_mean:
                inv = np.float32(1.0 / m)
                for t in range(d):
                    h[t] *= inv
            e[:] = 0.0
            w = sent[i]
            pairs += 1
            if opts.negative > 0:
                k = _fill_ns(
                    w, negs[i], bias, tables.nce_shift, opts, outputs, labels, shift, touched
                )
                loss += _logistic_vec(h, syn1neg, outputs, labels, shift, k, alpha, e, g[0], False)
                if opts.nce:
                    _move_bias(bias, outputs, k, g, 1)
            if opts.hs:
                k = _fill_path(
                    w, tables.codes, tables.points, tables.code_len, outputs, labels, touched
                )
                loss += _logistic_vec(h, syn1, outputs, labels, shift, k, alpha, e, g[0], True)
            for j in range(m):
                x = syn0[ctx[j]]
                for t in range(d):
                    x[t] += e[t]
    _finish(rng, stats, state, loss, pairs, kept)


# objective -> kernel, each taking the arguments of the module docstring
KERNELS = {"sg": train_sg, "cbow": train_cbow}
