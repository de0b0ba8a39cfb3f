"""Approximate nearest neighbours for ``KeyedVectors``: an index built once, saved beside the
model, asked instead of scanning every vector. Needs ``pip install 'wordvec[ann]'`` (faiss-cpu);
``import wordvec`` never imports faiss.

Scope: :class:`AnnIndex` wraps a faiss index over the unit vectors (inner product = cosine).
The default for big models is IVF with about sqrt(n) lists and 8-bit scalar quantisation
(``IVF{nlist},SQ8``): a quarter of the vectors' bytes, built in minutes on two cores for
3M x 300. The index only proposes candidates (4 per wanted neighbour); they are re-ranked by
their exact cosines from ``kv.vectors``, so every score returned is exact and only the
candidate set is approximate.
An SQ8 index holds the vectors widened by zero columns to a multiple of 16 values (300 -> 304):
the same inner products, but faiss scans 8-bit codes with AVX2 / AVX-512 only when the width is
a multiple of 8 / 16, and one value at a time otherwise (4-6x slower at 300 dimensions).
``build`` calibrates the search breadth (``nprobe``, or ``efSearch`` for HNSW) on a sample of the
model's own words until recall@10 against exact search reaches ``target_recall``.

Use: ``kv.indexer = AnnIndex.build(kv)`` makes ``kv.most_similar`` and
``kv.similar_by_vector`` (without ``restrict_vocab``) go through the index; gensim's style,
``kv.most_similar(word, indexer=index)``, works too (``index.most_similar(vector, n)`` is
gensim's indexer interface). ``index.save(index_path(model))`` writes it beside the model;
:func:`use_index_beside` is what the CLI and the explorer call.

Never a stale answer: the index stores a 32-bit hash of every vector row. ``load`` hashes the
model's rows and refuses (:class:`StaleIndexError`) an index built from other vectors, or
rebuilds it with ``rebuild=True``; every query re-hashes the candidate rows it re-ranks, and
refuses if the vectors array was replaced or resized. An in-place edit of a row that no answer
touches is caught by ``check()`` (hashes all rows: about a second on 3M x 300) or the next load.

File (``MODEL.ann``), little-endian, no pickle (version 2: the faiss index may be wider than
the vectors, zero-padded; version 1 files, never padded, are read too)::

    b"WORDVEC-ANN\\0"  uint32 version  uint64 header_bytes
    header: UTF-8 JSON (kind, faiss factory string, search setting, rows, dims, checksums)
    uint32[rows] row hashes, then the faiss index as ``faiss.serialize_index`` writes it

Concessions: ``restrict_vocab`` queries stay exact (the index holds every row); 3CosMul has no
index form (the explorer re-scores 3CosAdd's candidates); the index is rebuilt, not updated,
when words are added.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from wordvec.vectors.keyedvectors import KeyedVectors
from wordvec.viz.project import MissingDependency

Kind = Literal["auto", "ivf", "hnsw", "flat"]
SUFFIX = ".ann"
MAGIC = b"WORDVEC-ANN\0"
VERSION = 2
_READS = (1, 2)  # file versions this code reads
_PREFIX = struct.Struct("<12sIQ")
CANDIDATES = 4  # candidates asked of the index per neighbour wanted, then re-ranked exactly
MIN_CANDIDATES = 40
CALIBRATION_QUERIES = 200
_CHUNK = 65536  # rows normalised, hashed or added at a time
_REBUILD = "rebuild it (python -m wordvec.ann build MODEL)"
_SIMD_WIDTH = 16  # SQ8 indexes are a multiple of this many values wide (see the docstring)
# an odd multiplier per column: a row's hash is sum(bits * multiplier) mod 2**32, so a change
# to any one value always changes it (odd numbers are invertible mod 2**32)
_MULTIPLIERS = np.random.default_rng(0x5EED).integers(0, 2**31, 4096, dtype=np.uint64) * 2 + 1
_MULTIPLIERS = _MULTIPLIERS.astype(np.uint32)
_SETTINGS = {
    "ivf": ("nprobe", (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024)),
    "hnsw": ("efSearch", (16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024)),
    "flat": (None, (0,)),
}


class StaleIndexError(ValueError):
    """The index was built from other vectors than the model's: rebuild it."""


def _faiss():
    try:
        import faiss
    except ImportError:
        raise MissingDependency(
            "approximate search needs the 'faiss' package: pip install 'wordvec[ann]'"
        ) from None
    return faiss


def index_path(model_path: str | os.PathLike) -> Path:
    """Where the index of the model at ``model_path`` is kept: ``MODEL.ann`` beside it."""
    return Path(str(model_path) + SUFFIX)


def row_hashes(vectors: np.ndarray) -> np.ndarray:
    """uint32[V] hash of each row's float32 bits (``vectors``: float[V, d], d <= 4096)."""
    v, d = vectors.shape
    if d > _MULTIPLIERS.shape[0]:
        raise ValueError(f"rows of more than {_MULTIPLIERS.shape[0]} values cannot be indexed")
    mult = _MULTIPLIERS[:d]
    out = np.empty(v, np.uint32)
    for start in range(0, v, _CHUNK):
        bits = np.ascontiguousarray(vectors[start : start + _CHUNK], "<f4").view("<u4")
        # uint32 products and sums wrap around mod 2**32, which is what is wanted here
        np.matmul(bits, mult, out=out[start : start + _CHUNK])
    return out


def _unit_rows(vectors: np.ndarray, start: int, stop: int) -> np.ndarray:
    """float32[stop - start, d] rows scaled to length 1 (zero rows stay zero)."""
    x = np.array(vectors[start:stop], np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x


def _widened(x: np.ndarray, width: int) -> np.ndarray:
    """float32[m, width]: ``x`` (float32[m, d], d <= width) and zero columns, which change no
    inner product."""
    if x.shape[1] == width:
        return x
    out = np.zeros((x.shape[0], width), np.float32)
    out[:, : x.shape[1]] = x
    return out


def _exact_top(kv: KeyedVectors, rows: np.ndarray, k: int) -> np.ndarray:
    """int64[m, k] exact nearest rows by cosine of the words ``rows`` (themselves left out),
    scanning the vectors in blocks: no [m, V] matrix and no unit copy of the model."""
    q = _unit_rows(kv.vectors[rows], 0, len(rows))
    m, n = len(rows), len(kv)
    k = min(k, n - 1)
    best_s = np.full((m, k), -np.inf, np.float32)
    best_i = np.zeros((m, k), np.int64)
    for start in range(0, n, 4 * _CHUNK):
        s = q @ _unit_rows(kv.vectors, start, start + 4 * _CHUNK).T  # float32[m, block]
        own = (rows >= start) & (rows < start + s.shape[1])
        s[np.flatnonzero(own), rows[own] - start] = -np.inf
        kk = min(k, s.shape[1])
        part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, part, 1)], axis=1)
        cand_i = np.concatenate([best_i, part + start], axis=1)
        order = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(cand_s, order, 1)
        best_i = np.take_along_axis(cand_i, order, 1)
    return best_i


def _factory(kind: str, n: int, d: int) -> tuple[str, int, int]:
    """faiss factory string for ``kind`` over ``n`` rows of ``d`` values, the training sample
    size, and the index's width (``d``, or more for the scalar quantiser's SIMD scan)."""
    if kind == "flat":
        return "Flat", 0, d
    width = -(-d // _SIMD_WIDTH) * _SIMD_WIDTH
    if kind == "hnsw":
        return "HNSW32,SQ8", min(n, 65536), width
    # about sqrt(n) lists (building costs n * lists * d: 3M x 300 in minutes on two cores),
    # and 40 training points per list (faiss asks for at least 39)
    nlist = int(max(1, min(np.sqrt(n), n // 40)))
    return f"IVF{nlist},SQ8", min(n, 40 * nlist), width


class AnnIndex:
    """An approximate nearest-neighbour index over the vectors of ``kv`` (build with
    :meth:`build`, or :meth:`load` a saved one).

    Attributes
    ----------
    kv : the vectors it answers for
    kind, factory : ``"ivf"``, ``"hnsw"`` or ``"flat"``, and faiss's description of the index
    search_name, search_value : the calibrated search breadth (``nprobe`` or ``efSearch``)
    recall_ : recall@10 against exact search measured at build time on the model's own words
    """

    def __init__(self, kv: KeyedVectors, index, hashes: np.ndarray, meta: dict):
        self.kv, self._index, self._hashes, self.meta = kv, index, hashes, meta
        self._vectors = kv.vectors
        self.kind: str = meta["kind"]
        self.factory: str = meta["factory"]
        self.search_name: str | None = meta["search"]["name"]
        self.search_value: int = meta["search"]["value"]
        self.recall_: float = meta["recall"]
        self._set_search(self.search_value)

    def __repr__(self) -> str:
        how = f", {self.search_name}={self.search_value}" if self.search_name else ""
        return (
            f"AnnIndex({self.factory}{how}, {len(self._hashes)} rows, recall@10 {self.recall_:.3f})"
        )

    def _set_search(self, value: int) -> None:
        if self.search_name is not None:
            _faiss().ParameterSpace().set_index_parameter(self._index, self.search_name, value)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        kv: KeyedVectors,
        kind: Kind = "auto",
        *,
        target_recall: float = 0.95,
        seed: int = 0,
        verbose: bool = False,
    ) -> AnnIndex:
        """Build an index over ``kv``'s vectors and calibrate its search breadth.

        Parameters
        ----------
        kind : ``"ivf"`` (IVF + SQ8, the default from 20,000 words), ``"hnsw"`` (HNSW32 + SQ8:
            faster queries, slower builds) or ``"flat"`` (exact, the default below 20,000 words)
        target_recall : the smallest search breadth whose recall@10 against exact search, on
            ``CALIBRATION_QUERIES`` of the model's words, reaches this is kept
        seed : chooses the training sample and the calibration words
        """
        faiss = _faiss()
        if kind not in ("auto", *_SETTINGS):
            raise ValueError(f"kind must be one of auto, ivf, hnsw, flat; got {kind!r}")
        if not 0.0 < target_recall <= 1.0:
            raise ValueError(f"target_recall must be in (0, 1]; got {target_recall}")
        n, d = kv.vectors.shape
        if n < 2:
            raise ValueError(f"an index needs at least 2 words; the model has {n}")
        if kind == "auto":
            kind = "ivf" if n >= 20_000 else "flat"
        log = print if verbose else (lambda *a, **k: None)
        rng = np.random.default_rng(seed)
        factory, n_train, width = _factory(kind, n, d)
        t0 = time.perf_counter()
        hashes = row_hashes(kv.vectors)
        index = faiss.index_factory(width, factory, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            sample = np.sort(rng.choice(n, size=n_train, replace=False))
            index.train(_widened(_unit_rows(kv.vectors[sample], 0, n_train), width))
            log(f"  trained {factory} on {n_train:,} rows: {time.perf_counter() - t0:.1f} s")
        for start in range(0, n, _CHUNK):
            index.add(_widened(_unit_rows(kv.vectors, start, start + _CHUNK), width))
        log(f"  added {n:,} rows: {time.perf_counter() - t0:.1f} s")
        name, settings = _SETTINGS[kind]
        meta = {
            "kind": kind,
            "factory": factory,
            "search": {"name": name, "value": settings[0]},
            "recall": 1.0,
            "target_recall": target_recall,
            "rows": n,
            "dims": d,
            "fingerprint": zlib.crc32(hashes),
            "seed": seed,
            "faiss": faiss.__version__,
        }
        self = cls(kv, index, hashes, meta)
        if name is not None:
            self._calibrate(settings, target_recall, rng, log)
        log(f"  ready: {self} in {time.perf_counter() - t0:.1f} s")
        return self

    def _calibrate(self, settings, target: float, rng, log) -> None:
        """Keep the smallest search setting whose recall@10 reaches ``target``."""
        n = len(self.kv)
        rows = np.sort(rng.choice(n, size=min(n, CALIBRATION_QUERIES), replace=False))
        k = min(10, n - 1)
        truth = _exact_top(self.kv, rows, k)
        q = _unit_rows(self.kv.vectors[rows], 0, len(rows))
        for value in settings:
            self._set_search(value)
            found = self._search(q, k + 1)[0]
            hits = [
                len(set(f[f != r][:k]) & set(t)) for f, r, t in zip(found, rows, truth, strict=True)
            ]
            r = sum(hits) / truth.size
            log(f"  {self.search_name}={value}: recall@{k} {r:.4f}")
            self.search_value, self.recall_ = value, r
            if r >= target:
                break
        self.meta["search"]["value"], self.meta["recall"] = self.search_value, self.recall_

    # -- queries ----------------------------------------------------------------------------
    def _check_same_array(self) -> None:
        if self.kv.vectors is not self._vectors or self.kv.vectors.shape[0] != len(self._hashes):
            raise StaleIndexError(
                f"the vectors changed after the index was built ({len(self._hashes)} rows "
                f"indexed, {self.kv.vectors.shape[0]} now): rebuild it"
            )

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """int64[m, k] rows and float32[m, k] exact cosines of the ``k`` best candidates for
        each row of ``q`` (float32[m, d], unit length), best first; rows -1 (score -inf) pad
        when the index found fewer."""
        self._check_same_array()
        m = q.shape[0]
        n_cand = min(len(self._hashes), max(CANDIDATES * k, MIN_CANDIDATES))
        # int64[m, n_cand] candidate rows, -1 where nothing found
        _, cand = self._index.search(_widened(q, self._index.d), n_cand)
        rows = np.full((m, k), -1, np.int64)
        scores = np.full((m, k), -np.inf, np.float32)
        for j in range(m):
            ids = cand[j][cand[j] >= 0]
            vecs = np.asarray(self.kv.vectors[ids], np.float32)  # float32[c, d], a gather
            if (row_hashes(vecs) != self._hashes[ids]).any():
                raise StaleIndexError(
                    "the vectors changed after the index was built (a row it returned differs "
                    "from the row it indexed): rebuild it"
                )
            # exact cosines: the index's own scores are of quantised vectors
            s = vecs @ q[j] / np.maximum(np.linalg.norm(vecs, axis=1), 1e-12)
            order = np.lexsort((ids, -s))[:k]
            rows[j, : len(order)], scores[j, : len(order)] = ids[order], s[order]
        return rows, scores

    def search(self, vectors: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Approximate ``k`` nearest words by cosine of each query.

        Parameters
        ----------
        vectors : float[m, d] or float[d] queries (any length; zero vectors score 0)
        k : neighbours per query

        Returns
        -------
        (int64[m, k] rows, float32[m, k] exact cosines), best first; a row of -1 with score
        -inf pads an answer that found fewer than ``k``. 1-d input gives [k] arrays.
        """
        q = np.array(vectors, np.float32, ndmin=2)
        if q.ndim != 2 or q.shape[1] != self.kv.vector_size:
            raise ValueError(f"query vectors must have {self.kv.vector_size} values")
        if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be an integer >= 1; got {k!r}")
        q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        faiss = _faiss()
        threads = faiss.omp_get_max_threads()
        if q.shape[0] == 1:
            # one query: no OpenMP team (this setting is the calling thread's own)
            faiss.omp_set_num_threads(1)
        try:
            rows, scores = self._search(q, min(int(k), len(self._hashes)))
        finally:
            faiss.omp_set_num_threads(threads)
        return (rows[0], scores[0]) if np.ndim(vectors) == 1 else (rows, scores)

    def most_similar(self, vector: np.ndarray, num_neighbors: int) -> list[tuple[str, float]]:
        """gensim's indexer interface: [(word, cosine)] of the ``num_neighbors`` words nearest
        to ``vector`` (float[d]), best first. Nothing is excluded."""
        if num_neighbors == 0:
            return []
        rows, scores = self.search(np.asarray(vector, np.float32).reshape(-1), num_neighbors)
        keys = self.kv.index_to_key
        # Python ints and floats first: iterating NumPy arrays makes a scalar object per item
        pairs = zip(rows.tolist(), scores.tolist(), strict=True)
        return [(keys[i], s) for i, s in pairs if i >= 0]

    def check(self) -> None:
        """Hash every row of the model's vectors; :class:`StaleIndexError` if any differs from
        what was indexed (after in-place edits of ``kv.vectors``)."""
        self._check_same_array()
        changed = int(np.count_nonzero(row_hashes(self.kv.vectors) != self._hashes))
        if changed:
            raise StaleIndexError(
                f"{changed} of {len(self._hashes)} vectors changed after the index was built: "
                "rebuild it"
            )

    # -- files ------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the index to ``path`` (``index_path(model)`` keeps it beside the model), through
        a temporary file renamed into place."""
        from wordvec.io import atomic_write

        self._check_same_array()
        blob = _faiss().serialize_index(self._index)  # uint8[...]
        hashes = self._hashes.astype("<u4", copy=False)
        meta = {**self.meta, "hashes_crc32": zlib.crc32(hashes), "index_bytes": int(blob.size)}
        meta["index_crc32"] = zlib.crc32(blob)
        header = json.dumps(meta).encode()
        with atomic_write(path) as f:
            f.write(_PREFIX.pack(MAGIC, VERSION, len(header)))
            f.write(header)
            f.write(hashes.tobytes())
            f.write(blob.tobytes())

    @classmethod
    def load(cls, path: str | os.PathLike, kv: KeyedVectors, *, rebuild: bool = False) -> AnnIndex:
        """Read an index written by :meth:`save` for the vectors of ``kv``.

        Raises :class:`StaleIndexError` when it was built from other vectors (with
        ``rebuild``, builds a new one with the same settings, saves it to ``path`` and
        returns it instead), ``FormatError`` (a ``ValueError``) naming the file when it is not
        an index or is truncated or corrupt, ``MissingDependency`` without faiss.
        :func:`use_index_beside` turns all of these into exact search and a line on stderr.
        """
        faiss = _faiss()
        from wordvec.io import FormatError

        path = Path(path)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            prefix = f.read(_PREFIX.size)
            if len(prefix) < _PREFIX.size or prefix[:12] != MAGIC:
                raise FormatError(f"{path}: not a wordvec ANN index (no WORDVEC-ANN mark)")
            _, version, header_bytes = _PREFIX.unpack(prefix)
            if version not in _READS:
                raise FormatError(
                    f"{path}: ANN index version {version}; this wordvec reads versions "
                    f"{', '.join(map(str, _READS))}"
                )
            if header_bytes > size - _PREFIX.size:  # read no more than the file holds
                raise FormatError(f"{path}: truncated or corrupt ANN index (header)")
            try:
                meta = json.loads(f.read(header_bytes))
                rows, dims, index_bytes = _check_header(meta)
            except (ValueError, KeyError, TypeError):
                raise FormatError(f"{path}: corrupt ANN index header") from None
            model_rows, model_dims = kv.vectors.shape
            if (rows, dims) != (model_rows, model_dims):
                stale = (
                    f"{path}: built for {rows} x {dims} vectors, the model has "
                    f"{model_rows} x {model_dims}"
                )
            elif _PREFIX.size + header_bytes + 4 * rows + index_bytes != size:
                raise FormatError(f"{path}: truncated or corrupt ANN index ({size} bytes)")
            else:
                hashes, got = _read(f, "<u4", rows)
                if got != rows or zlib.crc32(hashes) != meta["hashes_crc32"]:
                    raise FormatError(f"{path}: truncated or corrupt ANN index (row hashes)")
                changed = int(np.count_nonzero(row_hashes(kv.vectors) != hashes))
                stale = (
                    f"{path}: built from other vectors ({changed} of {rows} rows differ)"
                    if changed
                    else None
                )
            if stale is None:
                blob, got = _read(f, np.uint8, index_bytes)
                if got != index_bytes or zlib.crc32(blob) != meta["index_crc32"]:
                    raise FormatError(f"{path}: truncated or corrupt ANN index (faiss data)")
        if stale is not None:
            if not rebuild:
                raise StaleIndexError(f"{stale}: {_REBUILD}")
            index = cls.build(kv, meta["kind"], target_recall=meta.get("target_recall", 0.95))
            index.save(path)
            return index
        try:
            index = faiss.deserialize_index(blob)
            if index.ntotal != rows or not dims <= index.d <= dims + _SIMD_WIDTH:
                raise ValueError(f"{index.ntotal} rows of {index.d} values")
            return cls(kv, index, hashes.astype(np.uint32), meta)
        except (RuntimeError, ValueError) as e:
            msg = " ".join(str(e).split())
            raise FormatError(f"{path}: faiss cannot read the index: {msg}") from None


def _check_header(meta: dict) -> tuple[int, int, int]:
    """(rows, dims, index bytes) of an index file's header; ``ValueError``, ``KeyError`` or
    ``TypeError`` when a field the loader uses is missing or of the wrong kind (the header has
    no checksum of its own: a damaged one must fail here, not deep in faiss)."""
    rows, dims, index_bytes = (meta[k] for k in ("rows", "dims", "index_bytes"))
    ints = [rows, dims, index_bytes, meta["hashes_crc32"], meta["index_crc32"]]
    if not all(type(v) is int and v >= 0 for v in ints) or rows < 2 or dims < 1:
        raise ValueError("sizes and checksums must be integers")
    name = _SETTINGS[meta["kind"]][0]
    search = meta["search"]
    if search["name"] != name or type(search["value"]) is not int or search["value"] < 0:
        raise ValueError(f"search setting {search!r} for a {meta['kind']} index")
    if not isinstance(meta["factory"], str) or not isinstance(meta["recall"], int | float):
        raise TypeError("factory and recall")
    return rows, dims, index_bytes


def _read(f, dtype, count: int) -> tuple[np.ndarray, int]:
    """Up to ``count`` items of ``dtype`` from binary file ``f``, and how many were there."""
    out = np.empty(count, dtype)
    got = f.readinto(memoryview(out).cast("B")) if count else 0
    return out, got // out.itemsize


def use_index_beside(
    kv: KeyedVectors,
    model_path: str | os.PathLike,
    *,
    build: bool = False,
    notify: Callable[[str], None] | None = None,
) -> AnnIndex | None:
    """Attach the index kept beside ``model_path`` to ``kv`` (``kv.indexer``) when there is a
    usable one; with ``build``, build (or rebuild a stale or damaged one) and save it first.

    The index is derived data: a stale one (built from other vectors), a damaged one
    (truncated, a flipped byte, not an index at all), an unreadable one, or faiss missing,
    never stops a query. Without ``build`` the index is left unused, ``notify`` (stderr by
    default) says why and how to rebuild it in one line, and ``kv`` searches exactly.
    Returns the index attached, or None.
    """
    import shlex

    from wordvec.io import FormatError

    say = notify or (lambda msg: print(msg, file=sys.stderr))
    path = index_path(model_path)
    model = shlex.quote(str(model_path))
    fallback = f"searching exactly (rebuild the index: wordvec index {model})"
    try:
        if not path.exists():
            if not build:
                return None
            index = AnnIndex.build(kv)
            index.save(path)
        else:
            try:
                index = AnnIndex.load(path, kv, rebuild=build)
            except FormatError as e:
                if not build:
                    raise
                say(f"{e}: building a new one")
                index = AnnIndex.build(kv)
                index.save(path)
    except MissingDependency as e:
        if build:
            raise
        say(f"{path} not used: {e}")
        return None
    except StaleIndexError as e:
        say(f"not used: {str(e).removesuffix(': ' + _REBUILD)}; {fallback}")
        return None
    except FormatError as e:
        say(f"not used: {e}; {fallback}")
        return None
    except OSError as e:
        if build:
            raise
        say(f"not used: {path}: {e.strerror or e}; {fallback}")
        return None
    kv.indexer = index
    return index


# -- python -m wordvec.ann build MODEL ----------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """``python -m wordvec.ann build MODEL``: build the index and save it as ``MODEL.ann``."""
    from wordvec.io import load_vectors

    ap = argparse.ArgumentParser(prog="python -m wordvec.ann", description=main.__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="build MODEL.ann beside the model")
    p.add_argument("model")
    p.add_argument("--kind", choices=["auto", "ivf", "hnsw", "flat"], default="auto")
    p.add_argument("--recall", type=float, default=0.95, help="target recall@10 (0.95)")
    p.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        kv = load_vectors(args.model, mmap=True)
        t0 = time.perf_counter()
        index = AnnIndex.build(
            kv, args.kind, target_recall=args.recall, seed=args.seed, verbose=True
        )
        path = index_path(args.model)
        index.save(path)
    except (ValueError, OSError, MissingDependency) as e:
        print(f"wordvec ann: error: {e}", file=sys.stderr)
        return 2
    size = path.stat().st_size
    print(f"{path}: {index}, {size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
