"""Subword training kernels (fastText's model): a word's input vector is the mean of its rows of
``syn0``, its own and its character n-grams' (``SubwordTables.starts``/``rows``), and a step
moves every one of those rows by the whole gradient of that mean, undivided, as fastText does.

Same arguments as ``kernels.train``'s kernels (its docstring), with ``tables`` a
``SubwordTables`` and ``weights`` a ``SubwordWeights``; ``touched`` has a column for every row
of ``syn0`` (words and n-gram buckets). A replica (deterministic mode) does not copy the input
matrix: it reads the shared rows and copies a row the first time it moves it, into rows after
the shared ones in the same array (``SubwordWeights``), so it holds only the rows a round
touches.

The composition is done once per kept token, not once per pair: when a token enters the window
its input vector is composed into a buffer, the updates of the window train that copy, and when
it leaves the window what the copy moved is added to each of its rows. So a token's rows are
read and written once, not once per context (fastText re-reads them for every pair), and the
block updates of ``kernels.train`` run unchanged over the buffer.

Helpers come from ``kernels.train``: Numba's cache would not notice an edit there, so this
module pins that file's sha256 (``TRAIN_SHA256``): ``tests/test_structure.py`` fails until the
pin is updated, and that edit of this file is what makes Numba compile these kernels anew.
"""

import numpy as np
from numba import njit
from numba.extending import overload

from wordvec.kernels.prefetch import prefetch_row
from wordvec.kernels.train import (
    IN,
    _buffers,
    _fill_ns,
    _fill_path,
    _finish,
    _logistic_block,
    _logistic_block6,
    _logistic_vec,
    _move_bias,
    _prepare,
    _start,
)

# the sha256 of kernels/train.py and kernels/prefetch.py, whose helpers these kernels inline
PREFETCH_SHA256 = "e9c7e2f9657d24a3a7b2d648cb8f786ffbfaa9e20e15380256f2833d2175391c"
TRAIN_SHA256 = "f29351b104e87dd2133ff633b669b69c2615ff0df71b7ce58637712c73952fbf"


def _add_row(weights, r, h):
    """``h += `` row ``r`` of the input matrix as this replica sees it: its own copy once it
    moved it, else the shared row (``Weights``, no replica: always the shared row)."""


def _move_row(weights, r, delta, touched):
    """Row ``r`` ``+= delta``, marked in ``touched``: the shared row without a replica
    (``Weights``); a replica's (``SubwordWeights``) copy, made and marked on its first write
    in the round (at ``used[1] + used[0]``): the mark stays until the round's merge."""


# Each has one body per bundle type, chosen when Numba compiles (no branch in Hogwild's loop,
# which reads and writes the shared rows as kernels.train's do). A replica's copies lie in the
# same array as the shared rows: one view whichever the row (two arrays, a branch between their
# views or between their indexed loops: 1.3-1.6x slower than the shared rows; one: as fast).
@overload(_add_row)
def _add_row_typed(weights, r, h):
    if "slot" not in weights.fields:

        def shared(weights, r, h):
            x = weights.syn0[r]
            for t in range(h.shape[0]):
                h[t] += x[t]

        return shared

    def replica(weights, r, h):
        i = r
        if _has(weights.has, r):  # the bit first: the slots are 4 bytes a row, the bits 1/8
            i = weights.used[1] + weights.slot[r]
        x = weights.syn0[i]
        for t in range(h.shape[0]):
            h[t] += x[t]

    return replica


@overload(_move_row)
def _move_row_typed(weights, r, delta, touched):
    if "slot" not in weights.fields:

        def shared(weights, r, delta, touched):
            if touched.shape[1] > 0:
                touched[IN, r] = 1
            x = weights.syn0[r]
            for t in range(delta.shape[0]):
                x[t] += delta[t]

        return shared

    def replica(weights, r, delta, touched):
        syn0 = weights.syn0
        if _has(weights.has, r):
            x = syn0[weights.used[1] + weights.slot[r]]
        else:
            k = weights.used[0]
            weights.used[0] = k + 1
            weights.slot[r] = k
            weights.has[r >> 6] |= np.uint64(1) << np.uint64(r & 63)
            weights.owner[k] = r
            touched[IN, r] = 1
            x = syn0[weights.used[1] + k]
            x[:] = syn0[r]
        for t in range(delta.shape[0]):
            x[t] += delta[t]

    return replica


@njit(cache=True, nogil=True, inline="always")
def _has(bits, r):
    """Bit ``r`` of ``bits`` (uint64[]): whether row ``r`` has a slot."""
    return (bits[r >> 6] >> np.uint64(r & 63)) & np.uint64(1) != 0


@njit(cache=True, nogil=True, inline="always")
def _compose(weights, starts, rows, w, h, h0):
    """``h`` and ``h0`` = word ``w``'s input vector: the mean of its rows."""
    a, b = starts[w], starts[w + 1]
    d = h.shape[0]
    h[:] = 0.0
    for k in range(a, b):
        _add_row(weights, rows[k], h)
    inv = np.float32(1.0 / max(b - a, 1))
    for t in range(d):
        h[t] *= inv
        h0[t] = h[t]


@njit(cache=True, nogil=True, inline="always")
def _spread(weights, starts, rows, w, h, h0, touched):
    """What training moved word ``w``'s composed vector by (``h - h0``) is added to each of its
    rows (so their mean moves by as much); the rows are marked as touched."""
    a, b = starts[w], starts[w + 1]
    d = h.shape[0]
    for t in range(d):
        h[t] -= h0[t]
    for k in range(a, b):
        _move_row(weights, rows[k], h, touched)


@njit(cache=True, nogil=True, inline="always")
def _window(n, i, cut, window, ctx):
    """The positions of position ``i``'s context into ``ctx``; returns their count."""
    lo = max(0, i - window + cut[i])
    hi = min(n, i + window + 1 - cut[i])
    m = 0
    for c in range(lo, hi):
        if c != i:
            ctx[m] = c
            m += 1
    return m


AHEAD = 2  # tokens between the prefetch of a token's rows and its composition


def _prefetch_rows(weights, starts, rows, w):
    """Start loading word ``w``'s rows (scattered over the n-gram buckets: a miss each): the
    shared ones, or a replica's copies where it has them."""


@overload(_prefetch_rows)
def _prefetch_rows_typed(weights, starts, rows, w):
    if "slot" not in weights.fields:

        def shared(weights, starts, rows, w):
            for k in range(starts[w], starts[w + 1]):
                prefetch_row(weights.syn0, rows[k])

        return shared

    def replica(weights, starts, rows, w):
        for k in range(starts[w], starts[w + 1]):
            r = rows[k]
            i = r
            if _has(weights.has, r):
                i = weights.used[1] + weights.slot[r]
            prefetch_row(weights.syn0, i)

    return replica


@njit(cache=True, nogil=True, inline="always")
def _enter_leave(weights, tables, sent, n, i, window, hs, h0, touched):
    """Before position ``i``: the token entering the window composed (all of the first window
    at ``i == 0``); after the last position, pass ``i = n + window``: every token still in the
    window spreads. Otherwise the token leaving the window (``i - window - 1``) spreads."""
    starts, rows = tables.starts, tables.rows
    if i == 0:
        for p in range(min(window + AHEAD, n)):
            _prefetch_rows(weights, starts, rows, sent[p])
        for p in range(min(window, n)):
            _compose(weights, starts, rows, sent[p], hs[p], h0[p])
    if i < n:
        if i + window + AHEAD < n:
            _prefetch_rows(weights, starts, rows, sent[i + window + AHEAD])
        if i + window < n:
            p = i + window
            _compose(weights, starts, rows, sent[p], hs[p], h0[p])
        p = i - window - 1
        if p >= 0:
            _spread(weights, starts, rows, sent[p], hs[p], h0[p], touched)
    else:
        for p in range(max(0, n - window - 1), n):
            _spread(weights, starts, rows, sent[p], hs[p], h0[p], touched)


@njit(cache=True, nogil=True, fastmath=True)
def train_sg(corpus, weights, tables, opts, s0, s1, alpha0, alpha1, rng, stats, touched):
    """Skip-gram over sentences ``s0 .. s1 - 1``: each context token's composed vector is an
    input for the centre word, with negative sampling (or NCE) and/or hierarchical softmax."""
    syn0, syn1neg, syn1 = weights.syn0, weights.syn1neg, weights.syn1
    d, window = syn0.shape[1], opts.window
    state, step, loss, pairs, kept = _start(corpus, s0, s1, alpha0, alpha1, rng)
    sent, cut, negs, ctx, outputs, labels, shift = _buffers(corpus, tables, opts, s0, s1)
    bias = syn1[:, 0]  # with NCE, syn1 is float32[V, 1]: the output biases
    hs = np.empty((sent.shape[0], d), np.float32)  # each position's composed input vector
    h0 = np.empty((sent.shape[0], d), np.float32)  # ... as composed
    e_in = np.empty((2 * window, d), np.float32)
    g = np.empty((2 * window, outputs.shape[0]), np.float32)
    for s in range(s0, s1):
        n, state, base, frac = _prepare(
            corpus, tables, opts, s, s0, sent, cut, negs, state, syn0, syn1neg
        )
        kept += n
        for i in range(n):
            _enter_leave(weights, tables, sent, n, i, window, hs, h0, touched)
            alpha = alpha0 + step * (base + i * frac)
            m = _window(n, i, cut, window, ctx)
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
                        hs, ctx, m, syn1neg, outputs, labels, shift, alpha, e_in, g
                    )
                else:
                    loss += _logistic_block(
                        hs, ctx, m, syn1neg, outputs, labels, shift, k, alpha, e_in, g
                    )
                if opts.nce:
                    _move_bias(bias, outputs, k, g, m)
            if opts.hs:  # one context at a time, the path rows moving at once (kernels.train)
                k = _fill_path(
                    w, tables.codes, tables.points, tables.code_len, outputs, labels, touched
                )
                e = e_in[0]
                for j in range(m):
                    x = hs[ctx[j]]
                    e[:] = 0.0
                    loss += _logistic_vec(x, syn1, outputs, labels, shift, k, alpha, e, g[0], True)
                    for t in range(d):
                        x[t] += e[t]
        _enter_leave(weights, tables, sent, n, n + window, window, hs, h0, touched)
    _finish(rng, stats, state, loss, pairs, kept)


@njit(cache=True, nogil=True, fastmath=True)
def train_cbow(corpus, weights, tables, opts, s0, s1, alpha0, alpha1, rng, stats, touched):
    """CBOW over sentences ``s0 .. s1 - 1``: with ``cbow_mean`` the mean of every row of every
    context word (fastText's: a word with more n-grams weighs more), else the sum of the context
    words' vectors, predicts the centre word; the error moves every context word's rows."""
    syn0, syn1neg, syn1 = weights.syn0, weights.syn1neg, weights.syn1
    d, window = syn0.shape[1], opts.window
    starts = tables.starts
    state, step, loss, pairs, kept = _start(corpus, s0, s1, alpha0, alpha1, rng)
    sent, cut, negs, ctx, outputs, labels, shift = _buffers(corpus, tables, opts, s0, s1)
    bias = syn1[:, 0]
    hs = np.empty((sent.shape[0], d), np.float32)
    h0 = np.empty((sent.shape[0], d), np.float32)
    g = np.empty((1, outputs.shape[0]), np.float32)
    h, e = np.empty(d, np.float32), np.empty(d, np.float32)  # the context's vector, its error
    for s in range(s0, s1):
        n, state, base, frac = _prepare(
            corpus, tables, opts, s, s0, sent, cut, negs, state, syn0, syn1neg
        )
        kept += n
        for i in range(n):
            _enter_leave(weights, tables, sent, n, i, window, hs, h0, touched)
            alpha = alpha0 + step * (base + i * frac)
            m = _window(n, i, cut, window, ctx)
            if m == 0:
                continue
            h[:] = 0.0
            total = np.float32(0.0)
            for j in range(m):
                x = hs[ctx[j]]
                c = sent[ctx[j]]
                rows_c = np.float32(starts[c + 1] - starts[c] if opts.cbow_mean else 1)
                total += rows_c
                for t in range(d):
                    h[t] += rows_c * x[t]  # the sum of the word's rows
            if opts.cbow_mean:
                inv = np.float32(1.0 / total)
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
                x = hs[ctx[j]]
                for t in range(d):
                    x[t] += e[t]
        _enter_leave(weights, tables, sent, n, n + window, window, hs, h0, touched)
    _finish(rng, stats, state, loss, pairs, kept)


# objective -> kernel, each taking the arguments of kernels.train's docstring
KERNELS = {"sg": train_sg, "cbow": train_cbow}
