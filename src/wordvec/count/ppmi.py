"""PPMI + truncated SVD: the count-based word vectors of Levy, Goldberg & Dagan 2015.

``PPMI(vector_size=100).fit(corpus)`` counts co-occurrences (``wordvec.Cooccurrence``), turns
them into positive pointwise mutual information with context-distribution smoothing,

    PPMI(w, c) = max(log(#(w, c) * sum_c' #(c')**a / (#(w) * #(c)**a)) - log k, 0),

and factorises the sparse matrix with a truncated SVD ``M ~ U S V^T`` of rank ``vector_size``;
word vectors are ``U S**eig`` (plus the context vectors ``V S**eig`` when ``add_context``).

Defaults follow the paper's recommendations for SVD (its Section 7 and Table 5): a window of 2
with the dynamic (word2vec-style) weighting, "dirty" subsampling at 1e-5, context smoothing
``cds=0.75``, no shift (``k = 1``: shifting hurts SVD), the symmetric eigenvalue weighting
``eig=0.5``, and the word vectors alone. (The paper's dimension is 500; 100 here matches the
other models.)

The SVD is randomized (Halko, Martinsson & Tropp 2011: a Gaussian sketch of ``vector_size +
oversample`` columns and ``n_iter`` power iterations with re-orthonormalisation; the sparse
products run on ``workers`` threads): its cost is a
fixed, small number of sparse products, it is seeded (same vectors on every run), and the top
singular directions it returns are what the embedding needs. ``svd_solver="arpack"`` uses SciPy's
exact Lanczos solver (``scipy.sparse.linalg.svds``) instead: slower on a 70k vocabulary, for
checking.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

from wordvec.count.cooccurrence import (
    COUNT_PARAMS,
    Cooccurrence,
    check_count_params,
    count_corpus,
    is_int,
    is_num,
    need,
    scipy_sparse,
)
from wordvec.count.spill import Spill
from wordvec.formats.native import PPMI_KIND
from wordvec.vectors.keyedvectors import KeyedVectors

SvdSolver = Literal["randomized", "arpack"]
ROWS_NNZ = 1 << 22  # non-zeros a block of rows in ppmi_matrix (a mapped matrix's pages go after)
_DEFAULTS = dict(COUNT_PARAMS, window=2, weighting="dynamic", sample=1e-5)
_OWN = dict(
    vector_size=100,
    cds=0.75,
    shift=1.0,
    eig=0.5,
    add_context=False,
    svd_solver="randomized",
    n_iter=3,
    oversample=20,
)


def ppmi_matrix(counts: sp.spmatrix, cds: float = 0.75, shift: float = 1.0) -> sp.csr_matrix:
    """PPMI of a co-occurrence matrix (rows = words, columns = contexts): CSR float32, the
    non-positive cells removed. ``cds``: the exponent smoothing the context distribution;
    ``shift``: k of the shifted PMI (``log k`` is subtracted).

    A CSR matrix is read in blocks of rows, three times (marginals, counts, cells), and not
    copied: a matrix mapped from disk (a spilled ``Cooccurrence``) hands each block's pages back
    once read, so what this holds is the PPMI matrix it returns (8 bytes a positive cell) and
    the marginals. Another format, or a CSR with duplicate or unsorted columns, is copied to a
    canonical float64 CSR first."""
    from wordvec.kernels import ppmi as k

    sparse = scipy_sparse()
    m = counts if sparse.issparse(counts) and counts.format == "csr" else None
    if m is None:
        m = sparse.csr_matrix(counts, dtype=np.float64, copy=True)
        m.sum_duplicates()
    n, p = m.shape
    src = k.Csr(m.indptr, m.indices, m.data)
    row, col = np.zeros(n), np.zeros(p)
    ok = True
    for r0, r1 in _row_blocks(m):
        ok &= bool(k.marginals(src, r0, r1, row, col))
    if not ok:  # duplicate or unsorted columns: sum them in a copy
        m = sparse.csr_matrix(m, dtype=np.float64, copy=True)
        m.sum_duplicates()
        return ppmi_matrix(m, cds, shift)
    col = col**cds  # #(c)**a
    with np.errstate(divide="ignore"):
        mg = k.Marginals(np.log(row), np.log(col), float(np.log(col.sum())), float(np.log(shift)))
    per_row = np.zeros(n + 1, np.int64)
    for r0, r1 in _row_blocks(m):
        k.ppmi_counts(src, mg, r0, r1, per_row)
    indptr = np.cumsum(per_row)
    nnz = int(indptr[-1])
    idx = np.int32 if p < 2**31 else np.int64
    out = k.Csr(indptr, np.empty(nnz, idx), np.empty(nnz, np.float32))
    for r0, r1 in _row_blocks(m):
        k.ppmi_fill(src, mg, r0, r1, out)
    return sparse.csr_matrix((out.data, out.indices, out.indptr), shape=(n, p))


def _row_blocks(m) -> Iterator[tuple[int, int]]:
    """Row ranges of about ``ROWS_NNZ`` non-zeros of CSR ``m``; after each, the pages of a
    matrix mapped from disk go back (``wordvec.count.spill.drop_pages``)."""
    from wordvec.count.spill import drop_pages

    n = m.shape[0]
    cuts = np.searchsorted(m.indptr, np.arange(ROWS_NNZ, m.nnz, ROWS_NNZ))
    cuts = np.unique(np.r_[0, cuts, n]).tolist()
    for r0, r1 in pairwise(cuts):
        yield r0, r1
        for a in (m.indptr, m.indices, m.data):
            drop_pages(a)


def spmm(m: sp.csr_matrix, x: np.ndarray, workers: int = 1) -> np.ndarray:
    """``m @ x`` for CSR float32 ``m`` and dense ``x``, on ``workers`` threads (Numba, no GIL;
    SciPy's sparse product holds the GIL). float32[n, k]."""
    from wordvec.kernels.cooccur import spmm_rows

    x = np.ascontiguousarray(x, np.float32)
    out = np.empty((m.shape[0], x.shape[1]), np.float32)
    cuts = np.searchsorted(m.indptr, np.linspace(0, m.nnz, workers + 1)).tolist()
    cuts[0], cuts[-1] = 0, m.shape[0]
    if workers == 1:
        spmm_rows(m.indptr, m.indices, m.data, x, out, 0, m.shape[0])
        return out
    with ThreadPoolExecutor(workers) as pool:
        list(
            pool.map(
                lambda w: spmm_rows(m.indptr, m.indices, m.data, x, out, cuts[w], cuts[w + 1]),
                range(workers),
            )
        )
    return out


def spmm_t(m: sp.csr_matrix, x: np.ndarray, workers: int = 1) -> np.ndarray:
    """``m.T @ x`` for CSR float32 ``m`` (sorted columns in each row) and dense ``x``, without
    making ``m.T``: each of ``workers`` threads owns a range of columns of ``m`` (rows of the
    product) of about equal non-zeros and reads every row. The same bits as ``spmm(m.T.tocsr(),
    x)``; float32[p, k]."""
    from wordvec.kernels.cooccur import spmm_t_cols

    x = np.ascontiguousarray(x, np.float32)
    p = m.shape[1]
    out = np.empty((p, x.shape[1]), np.float32)
    per_col = np.cumsum(np.bincount(m.indices, minlength=p)) if workers > 1 else None
    cuts = (
        [0, p]
        if workers == 1
        else [0, *np.searchsorted(per_col, np.linspace(0, m.nnz, workers + 1)[1:-1]).tolist(), p]
    )

    def part(w: int) -> None:
        spmm_t_cols(m.indptr, m.indices, m.data, x, out, cuts[w], cuts[w + 1])

    if workers == 1:
        part(0)
        return out
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(part, range(workers)))
    return out


def orthonormalize(y: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns of tall ``y`` [n, k], float32: Cholesky QR twice
    (two k x k Gram matrices in float64 and two triangular solves: a fraction of LAPACK's QR
    time for n >> k); LAPACK's QR when the Gram matrix is singular."""
    from scipy.linalg import solve_triangular

    q = np.asarray(y, np.float64)
    for _ in range(2):  # the second pass restores orthogonality lost to rounding
        try:
            chol = np.linalg.cholesky(q.T @ q)
        except np.linalg.LinAlgError:
            return np.linalg.qr(y)[0].astype(np.float32)
        q = solve_triangular(chol, q.T, lower=True, check_finite=False).T
    return np.ascontiguousarray(q, np.float32)


def randomized_svd(
    m, k: int, n_iter: int = 3, oversample: int = 20, seed: int = 1, workers: int = 1
):
    """Top ``k`` singular triplets of a sparse CSR matrix: (U: [n, k], s: [k], Vt: [k, p]),
    s descending; a seeded Gaussian sketch with ``n_iter`` power iterations."""
    rng = np.random.default_rng(seed)
    m = scipy_sparse().csr_matrix(m, dtype=np.float32)
    if not m.has_sorted_indices:  # spmm_t bisects each row's columns
        m = m.sorted_indices()
    n, p = m.shape
    ell = min(k + oversample, n, p)
    q = spmm(m, rng.standard_normal((p, ell)).astype(np.float32), workers)
    q = orthonormalize(q)
    for _ in range(n_iter):  # power iterations: the spectrum's tail shrinks as s**(2 n_iter + 1)
        q = orthonormalize(spmm_t(m, q, workers))
        q = orthonormalize(spmm(m, q, workers))
    b = spmm_t(m, q, workers).T.astype(np.float64)  # [ell, p] = Q^T M
    ub, s, vt = np.linalg.svd(b, full_matrices=False)
    return (q @ ub)[:, :k], s[:k], vt[:k]


def truncated_svd(
    m,
    k: int,
    solver: str = "randomized",
    n_iter: int = 3,
    oversample: int = 20,
    seed: int = 1,
    workers: int = 1,
):
    """(U, s, Vt) of rank ``k``, singular values descending, with the chosen solver; each
    singular vector's sign is fixed (largest entry of U positive) so runs compare."""
    if solver == "arpack":
        from scipy.sparse.linalg import svds

        v0 = np.random.default_rng(seed).standard_normal(min(m.shape))
        u, s, vt = svds(m.astype(np.float64), k=k, solver="arpack", v0=v0)
        order = np.argsort(-s)
        u, s, vt = u[:, order], s[order], vt[order]
    else:
        u, s, vt = randomized_svd(m, k, n_iter, oversample, seed, workers)
    sign = np.sign(u[np.abs(u).argmax(axis=0), np.arange(u.shape[1])])
    sign[sign == 0] = 1
    return u * sign, s, vt * sign[:, None]


class PPMI:
    """Word vectors from a truncated SVD of the PPMI matrix (see the module docstring).

    Co-occurrence parameters as ``Cooccurrence`` (defaults: ``window=2, weighting="dynamic",
    sample=1e-5``); ``vector_size``: the SVD's rank; ``cds``: context-distribution smoothing
    exponent (1 = none); ``shift``: k of the shifted PPMI (1 = none); ``eig``: the weight
    exponent of the singular values (0, 0.5 or 1; any value in [0, 1]); ``add_context``: return
    W + C; ``svd_solver``: "randomized" (default) or "arpack"; ``n_iter``, ``oversample``: the
    randomized solver's power iterations and extra sketch columns.

    ``fit`` takes a corpus or a fitted ``Cooccurrence`` (to try several settings on one count).
    Learned state: ``wv`` (KeyedVectors), ``singular_values_``, ``seconds_``, ``spill_`` (what
    the count put on disk: ``wordvec.count.spill.Spill``).
    """

    def __init__(
        self,
        vector_size: int = 100,
        window: int = 2,
        weighting: str = "dynamic",
        context: str = "symmetric",
        min_count: int = 5,
        max_vocab_size: int | None = None,
        max_final_vocab: int | None = None,
        sample: float = 1e-5,
        cds: float = 0.75,
        shift: float = 1.0,
        eig: float = 0.5,
        add_context: bool = False,
        svd_solver: SvdSolver = "randomized",
        n_iter: int = 3,
        oversample: int = 20,
        seed: int = 1,
        workers: int = 2,
        max_memory: int | None = None,
        unicode_errors: str = "strict",
        work_dir: str | os.PathLike | None = None,
    ):
        args = locals()
        for name in (*_DEFAULTS, *_OWN):  # every parameter stored as given (scikit-learn's rule)
            setattr(self, name, args[name])

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*_DEFAULTS, *_OWN)}

    def check_params(self) -> None:
        p = self.get_params()
        check_count_params(p)
        need(
            p, is_int(p["vector_size"]) and p["vector_size"] >= 1, "vector_size", "an integer >= 1"
        )
        need(p, is_num(p["cds"]) and 0 < p["cds"] <= 1, "cds", "a number in (0, 1]")
        need(p, is_num(p["shift"]) and p["shift"] >= 1, "shift", "a number >= 1 (k of log k)")
        need(p, is_num(p["eig"]) and 0 <= p["eig"] <= 1, "eig", "a number in [0, 1]")
        need(p, p["add_context"] in (0, 1, True, False), "add_context", "a bool")
        need(
            p, p["svd_solver"] in ("randomized", "arpack"), "svd_solver", "'randomized' or 'arpack'"
        )
        need(p, is_int(p["n_iter"]) and p["n_iter"] >= 0, "n_iter", "an integer >= 0")
        need(p, is_int(p["oversample"]) and p["oversample"] >= 0, "oversample", "an integer >= 0")

    def fit(
        self, corpus: str | os.PathLike | Iterable[list[str]] | Cooccurrence, progress=None
    ) -> PPMI:
        """Count (unless given a fitted ``Cooccurrence``), weight and factorise."""
        self.check_params()
        t0 = time.perf_counter()
        if isinstance(corpus, Cooccurrence):
            words, counts, matrix = corpus.words_, corpus.counts_, corpus.matrix_
            self.spill_ = getattr(corpus, "spill_", Spill())
        else:
            vocab, matrix, self.spill_, _ = count_corpus(corpus, self.get_params(), progress)
            words, counts = vocab.words, vocab.counts
        t1 = time.perf_counter()
        self._check_matrix(matrix, words)
        m = ppmi_matrix(matrix, self.cds, self.shift)
        del matrix  # a count made here goes before the SVD (a given one stays the caller's)
        self._factorise(m, words, counts)
        self.seconds_ = {"count": t1 - t0, "ppmi_svd": time.perf_counter() - t1}
        return self

    def fit_matrix(self, matrix: sp.spmatrix, words: list[str], counts=None) -> PPMI:
        """Factorise a given co-occurrence matrix (rows and columns in the order of ``words``)."""
        self.check_params()
        self._check_matrix(matrix, words)
        return self._factorise(ppmi_matrix(matrix, self.cds, self.shift), words, counts)

    def _check_matrix(self, matrix: sp.spmatrix, words: list[str]) -> None:
        v, k = len(words), self.vector_size
        if matrix.shape != (v, v):
            raise ValueError(f"matrix must have shape ({v}, {v}) for {v} words, got {matrix.shape}")
        if k >= v:
            raise ValueError(
                f"vector_size ({k}) must be smaller than the vocabulary ({v} words) "
                "for a truncated SVD; lower vector_size or min_count"
            )

    def _factorise(self, m: sp.csr_matrix, words: list[str], counts) -> PPMI:
        """The truncated SVD of the PPMI matrix ``m`` and the vectors from it."""
        if m.nnz == 0:
            raise ValueError(
                "the PPMI matrix is all zeros (no pair co-occurs more often than chance); "
                "use a larger corpus or window, or a smaller shift"
            )
        u, s, vt = truncated_svd(
            m,
            self.vector_size,
            self.svd_solver,
            self.n_iter,
            self.oversample,
            self.seed,
            self.workers,
        )
        w = u * s**self.eig
        if self.add_context:
            w = w + vt.T * s**self.eig
        self.singular_values_ = s
        self.wv = KeyedVectors(words, w.astype(np.float32), counts)
        return self

    # -- files ----------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save parameters, vocabulary, vectors and singular values (native format)."""
        from wordvec.formats.native import save_native

        meta = {"kind": PPMI_KIND, "params": self.get_params(), "words": self.wv.index_to_key}
        save_native(
            path,
            meta,
            {
                "vectors": self.wv.vectors,
                "counts": self.wv.counts,
                "singular_values": self.singular_values_,
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False) -> PPMI:
        from wordvec.formats.native import FormatError, load_native

        meta, arrays = load_native(path, mmap=mmap)
        if meta.get("kind") != PPMI_KIND:
            raise FormatError(f"{path}: holds {meta.get('kind')!r}, not {PPMI_KIND!r}")
        try:
            self = cls(**meta["params"])
            self.wv = KeyedVectors(meta["words"], arrays["vectors"], arrays["counts"])
            self.singular_values_ = arrays["singular_values"]
        except (KeyError, TypeError, ValueError) as e:
            raise FormatError(f"{path}: inconsistent PPMI file: {e}") from None
        return self
