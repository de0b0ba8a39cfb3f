"""Subword kernels (``kernels.subword``) and the subword table (``kernels.ngrams``): against a
slow NumPy reference written from the maths, against fastText's n-grams, and a step against
finite differences of the loss."""

import numpy as np
import pytest

from test_kernels import Rng, bundles, nll, sig_table, tiny_setup
from wordvec.core.huffman import build_huffman
from wordvec.corpus.vocab import keep_thresholds, noise_alias, noise_log_probs
from wordvec.formats.fasttext import ngram_rows
from wordvec.kernels import subword as ks
from wordvec.kernels.bundles import SubwordTables, SubwordWeights, Weights
from wordvec.vectors.subword import subword_table

WORDS = [
    "the",
    "a",
    "quick",
    "café",
    "naïve",
    "Straße",
    "東京",
    "日本語",
    "😀",
    "e😀x",
    "</s>",
    "x" * 60,
]


@pytest.mark.parametrize(
    ("min_n", "max_n", "bucket"),
    [(3, 6, 2_000_000), (1, 3, 1000), (2, 2, 7), (3, 6, 0), (0, 0, 50)],
)
def test_the_table_equals_the_reference_word_by_word(min_n, max_n, bucket):
    """``kernels.ngrams.word_rows`` (all words at once) against ``formats.fasttext.ngram_rows``
    (the plain-Python reference, itself tested against fastText's binding)."""
    starts, rows = subword_table(WORDS, min_n, max_n, bucket)
    assert starts.dtype == np.int64 and rows.dtype == np.int32
    for i, w in enumerate(WORDS):
        grams = max_n and w != "</s>"  # fastText's end of sentence has no n-grams
        expect = [i] + (ngram_rows(w, min_n, max_n, bucket, len(WORDS)).tolist() if grams else [])
        assert rows[starts[i] : starts[i + 1]].tolist() == expect, w


def sub_reference(
    ids,
    bounds,
    syn0,
    syn1neg,
    syn1,
    keep,
    noise,
    tree,
    table,
    window,
    negative,
    hs,
    sg,
    cbow_mean,
    alpha0,
    alpha1,
    seed,
    nce_shift=None,
):
    """One subword kernel call from the maths (float64): a kept token's input vector is the
    mean of its rows, composed when it enters the window and trained as a copy there; when it
    leaves, what the copy moved is added to each of its rows (fastText's undivided update).
    Skip-gram's negative sampling is block-wise over a window (as ``kernels.train``), and so is
    CBOW's one input against its outputs; CBOW's input is the mean of all rows of all context words (with ``cbow_mean``) or the sum of the
    context words' vectors."""
    syn0, syn1neg, syn1 = (m.astype(np.float64) for m in (syn0, syn1neg, syn1))
    bias = syn1[:, 0]
    starts, rows = table
    word_rows = lambda w: rows[starts[w] : starts[w + 1]]  # noqa: E731
    rng = Rng(seed)
    n_total = bounds[-1] - bounds[0]
    loss, pairs, kept = 0.0, 0, 0
    for s in range(len(bounds) - 1):
        sent = [w for w in ids[bounds[s] : bounds[s + 1]] if (rng.next() >> 32) < keep[w]]
        n = len(sent)
        kept += n
        cuts, negs = [], []
        for _ in sent:
            cuts.append((rng.next() >> 33) % window)
            draws = []
            for _ in range(negative):
                r = rng.next()
                j = ((r >> 32) * len(keep)) >> 32
                draws.append(j if (r & 0xFFFFFFFF) < noise[0][j] else int(noise[1][j]))
            negs.append(draws)
        h, h0 = {}, {}

        def enter(p, sent=sent, h=h, h0=h0):
            h[p] = syn0[word_rows(sent[p])].mean(axis=0)
            h0[p] = h[p].copy()

        def leave(p, sent=sent, h=h, h0=h0):
            for r in word_rows(sent[p]):
                syn0[r] += h[p] - h0[p]

        for p in range(min(window, n)):
            enter(p)
        frac = (bounds[s + 1] - bounds[s]) / max(n, 1)
        for i, w in enumerate(sent):
            if i + window < n:
                enter(i + window)
            if i - window - 1 >= 0:
                leave(i - window - 1)
            alpha = alpha0 + (alpha1 - alpha0) / n_total * (bounds[s] - bounds[0] + i * frac)
            b = cuts[i]
            ctx = [c for c in range(max(0, i - window + b), min(n, i + window + 1 - b)) if c != i]
            if not ctx:
                continue
            pairs += len(ctx) if sg else 1
            blocks = []
            if negative:
                outs, labels = [w], [1.0]
                for o in negs[i]:
                    if o != w or nce_shift is not None:
                        outs.append(o)
                        labels.append(0.0)
                shift = np.zeros(len(outs))
                if nce_shift is not None:
                    shift = bias[outs] - nce_shift[outs]
                blocks.append((syn1neg, outs, labels, shift))
            if hs:
                k = tree.lengths[w]
                blocks.append((syn1, list(tree.points[w, :k]), list(1.0 - tree.codes[w, :k]), None))
            if sg:
                for out_m, outs, labels, shift in blocks:
                    if out_m is syn1:  # hierarchical softmax: context by context
                        for c in ctx:
                            x, e = h[c].copy(), np.zeros_like(h[c])
                            for o, label in zip(outs, labels, strict=True):
                                f = x @ out_m[o]
                                loss += nll(f, label)
                                g = alpha * (label - sig_table(f))
                                e += g * out_m[o]
                                out_m[o] += g * x
                            h[c] += e
                        continue
                    x, y, lab = np.stack([h[c] for c in ctx]), out_m[outs], np.array(labels)
                    f = x @ y.T + shift
                    g = alpha * (lab - np.vectorize(sig_table)(f))
                    loss += sum(nll(v, lab[j]) for row in f for j, v in enumerate(row))
                    np.add.at(out_m, outs, g.T @ x)
                    for j, c in enumerate(ctx):
                        h[c] += (g @ y)[j]
                    if nce_shift is not None:
                        np.add.at(bias, outs, g.sum(axis=0))
            else:
                weight = [len(word_rows(sent[c])) if cbow_mean else 1 for c in ctx]
                hc = sum(wt * h[c] for wt, c in zip(weight, ctx, strict=True))
                hc = hc / sum(weight) if cbow_mean else hc
                e = np.zeros_like(hc)
                for out_m, outs, labels, shift in blocks:  # every output scored before any moves
                    y, lab = out_m[outs], np.array(labels)
                    f = y @ hc + (shift if shift is not None else 0.0)
                    g = alpha * (lab - np.vectorize(sig_table)(f))
                    loss += sum(nll(v, lab[j]) for j, v in enumerate(f))
                    e += g @ y
                    np.add.at(out_m, outs, np.outer(g, hc))
                    if nce_shift is not None and out_m is syn1neg:
                        np.add.at(bias, outs, g)
                for c in ctx:
                    h[c] += e
        for p in range(max(0, n - window - 1), n):
            leave(p)
    return syn0, syn1neg, syn1, loss, pairs, kept


def toy_table(v, bucket, seed=3):
    """Each word's rows: itself, then 0-4 n-gram rows of ``bucket`` (some shared, some twice)."""
    rng = np.random.default_rng(seed)
    lists = [[w, *(v + rng.integers(0, bucket, rng.integers(0, 5))).tolist()] for w in range(v)]
    starts = np.zeros(v + 1, np.int64)
    np.cumsum([len(x) for x in lists], out=starts[1:])
    return starts, np.concatenate(lists).astype(np.int32)


def weights(syn0, syn1neg, syn1, replica=False):
    """The kernels' ``SubwordWeights``: the rows trained in place, or (``replica``) read from
    ``syn0`` and copied, when first moved, after the shared rows (an array twice as long)."""
    if not replica:
        return Weights(syn0, syn1neg, syn1)
    n, d = syn0.shape
    whole = np.concatenate([syn0, np.full((n, d), np.nan, np.float32)])
    return SubwordWeights(
        whole,
        syn1neg,
        syn1,
        np.full(n, -1, np.int32),
        np.zeros((n + 63) // 64, np.uint64),
        np.empty(n, np.int32),
        np.array([0, n], np.int64),
    )


def replica_view(w):
    """The input rows as a replica sees them: its copies over the shared rows."""
    n, k = w.slot.shape[0], int(w.used[0])
    out = w.syn0[:n].copy()
    out[w.owner[:k]] = w.syn0[n : n + k]
    assert np.array_equal(w.slot[w.owner[:k]], np.arange(k))
    return out


@pytest.mark.parametrize("replica", [False, True])
@pytest.mark.parametrize(
    ("sg", "negative", "hs", "cbow_mean", "nce"),
    [
        (1, 5, 0, 1, 0),
        (1, 3, 0, 1, 0),
        (1, 0, 1, 1, 0),
        (1, 3, 1, 1, 0),
        (1, 5, 0, 1, 1),
        (0, 5, 0, 1, 0),
        (0, 5, 0, 0, 0),
        (0, 0, 1, 1, 0),
        (0, 3, 1, 1, 0),
        (0, 4, 0, 1, 1),
    ],
)
def test_subword_kernel_matches_reference(sg, negative, hs, cbow_mean, nce, replica):
    """In place, or as a replica: the shared rows untouched, the moved ones in its store."""
    counts, ids, bounds, words, syn1neg, syn1 = tiny_setup()
    v, d, bucket = len(counts), words.shape[1], 9
    rng = np.random.default_rng(5)
    syn0 = np.concatenate([words, ((rng.random((bucket, d)) - 0.5) / d).astype(np.float32)])
    table = toy_table(v, bucket)
    keep = keep_thresholds(counts, 0.05)
    noise = noise_alias(counts, 0.75)
    tree = build_huffman(counts)
    syn1 = syn1[: v - 1].copy()
    logp = shift = None
    if nce:
        logp = noise_log_probs(counts, 0.75)
        syn1 = (logp + 0.3 * rng.standard_normal(v)).astype(np.float32)[:, None]
        shift = (np.log(negative) + logp).astype(np.float32)
    window, a0, a1, seed = 3, 0.05, 0.01, 777
    expect = sub_reference(
        ids,
        bounds,
        syn0,
        syn1neg,
        syn1,
        keep,
        noise,
        tree,
        table,
        window,
        negative,
        hs,
        sg,
        cbow_mean,
        a0,
        a1,
        seed,
        shift,
    )
    corpus, tables, opts = bundles(
        ids,
        bounds,
        keep,
        noise if negative else None,
        tree if hs else None,
        window,
        negative,
        hs,
        sg,
        cbow_mean,
        logp,
    )
    tables = SubwordTables(*tables, *table)
    rng_state, stats = np.array([seed], np.uint64), np.zeros(3)
    touched = np.zeros((3, v + bucket), np.uint8)
    before = syn0.copy()
    bundle = weights(syn0, syn1neg, syn1, replica)
    ks.KERNELS["sg" if sg else "cbow"](
        corpus,
        bundle,
        tables,
        opts,
        0,
        len(bounds) - 1,
        a0,
        a1,
        rng_state,
        stats,
        touched,
    )
    if replica:
        np.testing.assert_array_equal(bundle.syn0[: len(before)], before)  # only read
        syn0 = replica_view(bundle)
    changed = np.flatnonzero(np.any(before != syn0, axis=1))
    assert changed.size > v // 2 and np.any(changed >= v)  # words' and n-grams' rows moved
    assert np.all(touched[0, changed] == 1)
    tol = 1e-4 if nce else 2e-6
    for got, exp in zip((syn0, syn1neg, syn1), expect[:3], strict=True):
        np.testing.assert_allclose(got, exp, rtol=tol, atol=tol)
    assert stats[0] == pytest.approx(expect[3], rel=1e-2)
    assert (stats[1], stats[2]) == expect[4:]


def test_a_step_moves_each_row_by_the_gradient_of_the_mean():
    """Two words, one sentence "a b", window 1, hierarchical softmax (no random outputs): the
    first position trains b's input vector (the mean of its n_b rows) against a's path. Each of
    b's rows moves by -alpha * dL/dh = -alpha * n_b * dL/drow (fastText's undivided update),
    dL/drow taken by central finite differences of the exact loss."""
    v, d, bucket = 3, 6, 8
    rng = np.random.default_rng(0)
    syn0 = (rng.standard_normal((v + bucket, d)) * 0.3).astype(np.float32)
    syn1 = (rng.standard_normal((v - 1, d)) * 0.3).astype(np.float32)
    counts = np.array([5, 3, 2], np.int64)
    tree = build_huffman(counts)
    starts = np.array([0, 3, 7, 8], np.int64)
    rows = np.array([0, 3, 4, 1, 5, 6, 7, 2], np.int32)  # a: 0,3,4  b: 1,5,6,7  c: 2
    ids, bounds = np.array([0, 1], np.int32), np.array([0, 2], np.int64)
    corpus, tables, opts = bundles(
        ids, bounds, np.full(v, 2**32, np.uint64), None, tree, 1, 0, 1, 1, 1
    )
    tables = SubwordTables(*tables, starts, rows)
    alpha = 1e-3
    b_rows = rows[3:7]
    path = tree.points[0, : tree.lengths[0]]
    labels = 1.0 - tree.codes[0, : tree.lengths[0]]

    def loss(m):  # the first position's loss as a function of the input rows (float64)
        h = m[b_rows].mean(axis=0)
        return sum(nll(float(h @ syn1[o]), lab) for o, lab in zip(path, labels, strict=True))

    base = syn0.astype(np.float64)
    grad = np.zeros_like(base)
    eps = 1e-6
    for r in b_rows:
        for t in range(d):
            up, down = base.copy(), base.copy()
            up[r, t] += eps
            down[r, t] -= eps
            grad[r, t] = (loss(up) - loss(down)) / (2 * eps)
    after = syn0.copy()
    ks.train_sg(
        corpus,
        weights(after, np.zeros((1, d), np.float32), syn1.copy()),
        tables,
        opts,
        0,
        1,
        alpha,
        alpha,
        np.array([1], np.uint64),
        np.zeros(3),
        np.zeros((3, 0), np.uint8),
    )
    moved = after.astype(np.float64) - base
    # the sigmoid table's step (12/1024 in the score) bounds the gradient's error
    np.testing.assert_allclose(
        moved[b_rows], -alpha * len(b_rows) * grad[b_rows], rtol=0.05, atol=2e-6
    )
    assert np.abs(moved[b_rows]).max() > 1e-5


def test_the_pinned_helpers_are_kernels_trains():
    """``kernels.subword`` pins the sha256 of the helpers' module (see its docstring)."""
    import hashlib
    from pathlib import Path

    import wordvec.kernels.train as kt

    digest = hashlib.sha256(Path(kt.__file__).read_bytes()).hexdigest()
    assert digest == ks.TRAIN_SHA256, (
        "kernels/train.py changed: update TRAIN_SHA256 in kernels/subword.py (the edit makes "
        f"Numba recompile the subword kernels) to {digest}"
    )
