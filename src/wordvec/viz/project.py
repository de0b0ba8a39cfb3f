"""Projections of word vectors to 2 or 3 dimensions, for plots and the explorer.

Scope: PCA (NumPy only), t-SNE (scikit-learn) and UMAP (umap-learn). The optional libraries are
imported inside the function that needs them, so ``import wordvec.viz.project`` costs only NumPy; a
missing one raises :class:`MissingDependency` naming the pip extra to install.

Concessions: vectors are unit-normalised first by default (cosine is the similarity people read
off a word map); PCA signs are fixed so that the same input always gives the same picture; t-SNE's
perplexity and UMAP's ``n_neighbors`` shrink to fit small inputs instead of failing; t-SNE runs on
one thread (see ``_tsne``) and UMAP with a fixed seed runs on one thread too.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from wordvec.vectors.keyedvectors import KeyedVectors

Method = Literal["pca", "tsne", "umap"]
METHODS: tuple[str, ...] = ("pca", "tsne", "umap")

# the fewest points each method can place meaningfully (t-SNE needs perplexity < n - 1)
MIN_POINTS = {"pca": 1, "tsne": 4, "umap": 4}


class MissingDependency(ImportError):
    """An optional library that a projection or plot needs is not installed."""


def require(module: str, extra: str, what: str):
    import importlib

    try:
        with warnings.catch_warnings():
            # umap-learn warns at import that TensorFlow (for ParametricUMAP) is absent
            warnings.simplefilter("ignore", ImportWarning)
            return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(
            f"{what} needs the {module.split('.')[0]!r} package: pip install 'wordvec[{extra}]'"
        ) from None


def pca(x: np.ndarray, dims: int = 2) -> np.ndarray:
    """Principal components of the rows of ``x``.

    Parameters
    ----------
    x : float[n, d]
    dims : number of components kept

    Returns
    -------
    float32[n, dims]: coordinates on the leading components; columns past ``min(n, d)`` are zero.
    Each component's sign is chosen so that its largest-magnitude loading is positive, so the
    result does not flip between runs or BLAS builds.
    """
    x = np.asarray(x, np.float64)
    n = x.shape[0]
    out = np.zeros((n, dims), np.float32)
    if n == 0:
        return out
    centred = x - x.mean(axis=0)
    # economy SVD: centred = u s vt; the rows of vt are the principal directions
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(dims, vt.shape[0])
    comps = vt[:k]
    signs = np.sign(comps[np.arange(k), np.argmax(np.abs(comps), axis=1)])
    signs[signs == 0] = 1.0
    out[:, :k] = centred @ (comps * signs[:, None]).T
    return out


def _tsne(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    manifold = require("sklearn.manifold", "plot", "t-SNE")
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    n = x.shape[0]
    # perplexity must stay below n; 30 is the usual value for a few hundred points or more
    perplexity = float(min(30.0, max(1.0, (n - 1) / 3.0)))
    tsne = manifold.TSNE(
        n_components=dims,
        perplexity=perplexity,
        # the exact gradient for small inputs: Barnes-Hut's approximation mixed clusters of
        # 45 points in 3-D (9 % of nearest neighbours in another cluster), and O(n^2) is cheap
        method="exact" if n <= 500 else "barnes_hut",
        init="pca",
        learning_rate="auto",
        metric="cosine",
        random_state=seed,
    )
    # one OpenMP thread: on a busy machine the spinning worker threads of the Barnes-Hut gradient
    # made t-SNE 5 to 40 times slower (1,000 points: 24 s with 2 threads, 4.8 s with one)
    with threadpool_limits(limits=1, user_api="openmp"):
        return tsne.fit_transform(x).astype(np.float32)


def _umap(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    umap = require("umap", "umap", "UMAP")
    n = x.shape[0]
    reducer = umap.UMAP(
        n_components=dims,
        n_neighbors=max(2, min(15, n - 1)),
        metric="cosine",
        random_state=seed,
        # spectral init needs more points than components + 1; random init is fine for small n
        init="spectral" if n > dims + 2 else "random",
    )
    with warnings.catch_warnings():
        # umap warns that a fixed random_state forces n_jobs=1, and about small graphs; both are
        # expected here (reproducible pictures over speed)
        warnings.simplefilter("ignore", UserWarning)
        return np.asarray(reducer.fit_transform(x), np.float32)


_METHODS: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "pca": lambda x, dims, seed: pca(x, dims),
    "tsne": _tsne,
    "umap": _umap,
}


def project(
    vectors: np.ndarray,
    method: Method = "pca",
    dims: int = 2,
    *,
    normalize: bool = True,
    seed: int = 0,
) -> np.ndarray:
    """Map ``n`` vectors to ``dims`` (2 or 3) coordinates.

    Parameters
    ----------
    vectors : float[n, d]
    method : ``"pca"`` (NumPy), ``"tsne"`` (scikit-learn) or ``"umap"`` (umap-learn)
    dims : 2 or 3
    normalize : scale rows to unit length first (projections then reflect cosine similarity)
    seed : random state of t-SNE and UMAP (PCA is deterministic)

    Returns
    -------
    float32[n, dims]

    Raises
    ------
    ValueError : unknown method, dims not 2 or 3, too few points for the method
    MissingDependency : scikit-learn or umap-learn is not installed
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3; got {dims!r}")
    x = np.asarray(vectors, np.float32)
    if x.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array; got shape {x.shape}")
    if x.shape[0] < MIN_POINTS[method]:
        raise ValueError(f"{method} needs at least {MIN_POINTS[method]} words; got {x.shape[0]}")
    if normalize:
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return _METHODS[method](x, dims, seed)


# -- choosing words ----------------------------------------------------------------------------
def select_words(
    kv: KeyedVectors,
    words: Sequence[str] | None = None,
    top: int | None = None,
    neighbours_of: str | None = None,
    topn: int = 30,
    most_similar: Callable | None = None,
) -> list[str]:
    """The words to plot or project (the plot command, the explorer): an explicit list, the
    ``top`` most frequent words, or ``neighbours_of`` a word (the word first, then its ``topn``
    nearest by ``most_similar``, default ``kv.most_similar``). Exactly one source must be given.

    Raises ``KeyError`` naming an unknown word and ``ValueError`` for a bad count.
    """
    given = [words is not None, top is not None, neighbours_of is not None]
    if sum(given) != 1:
        raise ValueError("give exactly one of words, top or neighbours_of")
    if words is not None:
        out = list(dict.fromkeys(words))  # unique, first occurrence kept
        for w in out:
            kv.get_index(w)
        if not out:
            raise ValueError("no words to plot")
        return out
    if top is not None:
        if top < 1:
            raise ValueError(f"top must be >= 1; got {top}")
        return list(kv.index_to_key[: min(top, len(kv))])
    if topn < 1:
        raise ValueError(f"topn must be >= 1; got {topn}")
    near = (most_similar or kv.most_similar)(neighbours_of, topn=topn)
    return [neighbours_of] + [w for w, _ in near]
