"""The explorer's ASGI app: a JSON API over one ``KeyedVectors`` plus the static page.

Scope: :class:`Explorer` holds the queries (prefix search over a sorted vocabulary, neighbours,
analogies, vectors, cached projections) and knows nothing of HTTP; :func:`create_app` wraps it in
a Starlette app. Needs ``pip install 'wordvec[web]'`` (starlette, uvicorn).

Every mistake a client can make is a 4xx with a JSON body ``{"error": "..."}``: 400 malformed JSON,
404 unknown word (``"word"`` names it), 405 wrong method, 413 body too large, 422 bad parameter.
Queries are NumPy work that releases the GIL; they run on the explorer's own bounded pool of
``workers`` threads (one per core by default), never more at once, and while the app runs
(its lifespan) BLAS and OpenMP are held to one thread each, so that ``workers`` concurrent
queries use ``workers`` cores instead of each starting a thread per core (50 concurrent requests
had made 50 x cores BLAS threads fight). Requests beyond ``workers`` wait in line.

With an approximate index attached to the vectors (``kv.indexer``, see ``wordvec.ann``),
neighbours, 3CosAdd and neighbourhood projections go through it; 3CosMul, which has no index
form, is scored exactly on the union of 3CosAdd's candidates and the neighbours of b and c.
The index is derived data and never stops a query: one found stale while serving (its guard
refuses a row that changed) is dropped with one line on stderr, and search is exact from then on
(``wordvec.ann.use_index_beside``, which attaches it, treats a stale or damaged file the same).
The page opens on a picture: the ``opening`` most frequent words projected by PCA, computed
when the explorer starts.

Concessions: the prefix index costs one sort of the vocabulary at start (about a second per
million words) and ~100 bytes a word; projections are cached in memory, least recently used first
out, ``cache_size`` entries.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import os
import sys
import threading
import time
from bisect import bisect_left
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wordvec.ann import StaleIndexError
from wordvec.vectors.evaluate import cosmul
from wordvec.vectors.keyedvectors import KeyedVectors
from wordvec.viz.project import METHODS, MIN_POINTS, MissingDependency, project, select_words
from wordvec.web import openapi

MAX_AUTOCOMPLETE = 100
OPENING = 300  # words in the opening picture
COSMUL_CANDIDATES = 200  # 3CosAdd candidates re-scored by 3CosMul when an index is attached


class ApiError(Exception):
    """A client mistake: HTTP ``status`` with a JSON body ``{"error": message, **extra}``."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


# -- the queries, without HTTP -------------------------------------------------------------------
class Explorer:
    """Queries over ``kv`` for the explorer.

    Parameters
    ----------
    kv : the vectors (rows in frequency order for "top N" and autocomplete ranking)
    max_topn : most neighbours one request may ask for
    max_points : most words one projection may hold
    cache_size : projections kept (LRU)
    workers : threads that run queries (default: one per core); at most this many run at once
    opening : most frequent words in the opening picture (0: none), projected here, by PCA
    """

    def __init__(
        self,
        kv: KeyedVectors,
        *,
        name: str = "model",
        max_topn: int = 1000,
        max_points: int = 5000,
        cache_size: int = 64,
        seed: int = 0,
        workers: int | None = None,
        opening: int = OPENING,
    ):
        if max_topn < 1 or max_points < 2 or cache_size < 0:
            raise ValueError("max_topn must be >= 1, max_points >= 2 and cache_size >= 0")
        workers = (os.cpu_count() or 1) if workers is None else workers
        if workers < 1 or opening < 0:
            raise ValueError("workers must be >= 1 and opening >= 0")
        self.kv, self.name = kv, name
        self.max_topn, self.max_points, self.cache_size, self.seed = (
            max_topn,
            max_points,
            cache_size,
            seed,
        )
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._limiters: list = []  # threadpoolctl limits set by the workers, undone by close()
        kv.fill_norms()  # once, here, not inside the first request
        if len(kv):
            # the same for whatever the first query compiles or loads (the Numba row-dot kernel)
            kv.most_similar(kv.index_to_key[0], topn=1)
        # prefix index: casefolded words in sorted order, and the row each came from
        folded = [w.casefold() for w in kv.index_to_key]
        order = sorted(range(len(folded)), key=folded.__getitem__)
        self._sorted: list[str] = [folded[i] for i in order]
        self._rows = np.asarray(order, np.int64)  # int64[V]: sorted position -> row
        self._cache: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple, threading.Lock] = {}
        self.opening = min(opening, len(kv), max_points)
        if self.opening >= MIN_POINTS["pca"]:
            # the opening picture, into the cache now: the page's first draw waits for nothing
            self._cached_projection((tuple(kv.index_to_key[: self.opening]), "pca", 2))

    # ---- running queries
    def _start_worker(self) -> None:
        # one BLAS / OpenMP thread in each worker: OpenMP's thread count is a per-thread
        # setting (and an OpenMP-built OpenBLAS, as in the faiss wheel, follows it), and a BLAS
        # loaded after the app started (scipy's, by the first t-SNE) escaped the lifespan's limit
        from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

        limiter = threadpool_limits(limits=1)
        with self._pool_lock:
            self._limiters.append(limiter)

    async def run(self, fn, *args):
        """``fn(*args)`` on the explorer's bounded pool of ``workers`` threads."""
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        self.workers, "wordvec-explorer", initializer=self._start_worker
                    )
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(fn, *args)
        )

    def close(self) -> None:
        """Stop the worker threads (a later query starts new ones)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        with self._pool_lock:
            limiters, self._limiters = self._limiters, []
        for limiter in reversed(limiters):  # the process-wide BLAS limits as they were
            limiter.restore_original_limits()

    # ---- helpers
    def index(self, word: Any) -> int:
        if not isinstance(word, str) or not word:
            raise ApiError(422, f"a word must be a non-empty string; got {word!r}")
        i = self.kv.key_to_index.get(word)
        if i is None:
            raise ApiError(404, f"word {word!r} not in vocabulary", word=word)
        return i

    def _topn(self, topn: Any, name: str = "topn", hi: int | None = None) -> int:
        hi = self.max_topn if hi is None else hi
        if isinstance(topn, bool) or not isinstance(topn, int) or not 1 <= topn <= hi:
            raise ApiError(422, f"{name} must be an integer from 1 to {hi}; got {topn!r}")
        return topn

    def _most_similar(self, *args: Any, **kwargs: Any) -> list[tuple[str, float]]:
        """``kv.most_similar``, exact when the attached index turns out stale: the index is
        dropped (once, with a line on stderr) and the query answered without it."""
        indexer = self.kv.indexer
        try:
            return self.kv.most_similar(*args, **kwargs)
        except StaleIndexError as e:
            if indexer is None:
                raise
            with self._lock:
                if self.kv.indexer is indexer:
                    self.kv.indexer = None
                    print(f"index not used from now on: {e}; searching exactly", file=sys.stderr)
            return self.kv.most_similar(*args, **kwargs)

    @staticmethod
    def _scored(pairs: list[tuple[str, float]]) -> list[dict]:
        return [{"word": w, "score": round(float(s), 6)} for w, s in pairs]

    # ---- queries
    def info(self) -> dict:
        return {
            "name": self.name,
            "words": len(self.kv),
            "dims": self.kv.vector_size,
            "max_topn": self.max_topn,
            "max_points": self.max_points,
            "opening": {"top": self.opening, "method": "pca", "dims": 2} if self.opening else None,
            "index": None if self.kv.indexer is None else repr(self.kv.indexer),
            "workers": self.workers,
            "methods": {
                "pca": True,
                "tsne": importlib.util.find_spec("sklearn") is not None,
                "umap": importlib.util.find_spec("umap") is not None,
            },
        }

    def autocomplete(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to ``limit`` words starting with ``prefix`` (case-insensitive), most frequent first
        (lowest row first); an exact match leads. Two bisections and one partial sort of the
        matching rows: milliseconds on a million words."""
        limit = self._topn(limit, "limit", MAX_AUTOCOMPLETE)
        p = prefix.casefold()
        lo = bisect_left(self._sorted, p)
        hi = bisect_left(self._sorted, p + "\U0010ffff", lo) if p else len(self._sorted)
        rows = self._rows[lo:hi]
        if rows.shape[0] > limit:
            rows = np.partition(rows, limit - 1)[:limit]
        rows = np.sort(rows)
        words = [self.kv.index_to_key[i] for i in rows]
        exact = self.kv.key_to_index.get(prefix)
        if exact is not None:
            words = [prefix, *[w for w in words if w != prefix][: limit - 1]]
        return words

    def neighbours(self, word: str, topn: int = 10) -> dict:
        self.index(word)
        topn = self._topn(topn)
        return {"word": word, "neighbours": self._scored(self._most_similar(word, topn=topn))}

    def analogy(self, a: str, b: str, c: str, topn: int = 10) -> dict:
        for w in (a, b, c):
            self.index(w)
        topn = self._topn(topn)
        pos, neg = [b, c], [a]
        cosadd = self._most_similar(positive=pos, negative=neg, topn=topn)
        if self.kv.indexer is None:
            cosmul = self.kv.most_similar_cosmul(positive=pos, negative=neg, topn=topn)
        else:
            cosmul = self._cosmul_on_candidates(a, b, c, topn)
        return {
            "a": a,
            "b": b,
            "c": c,
            "cosadd": self._scored(cosadd),
            "cosmul": self._scored(cosmul),
        }

    def _cosmul_on_candidates(self, a: str, b: str, c: str, topn: int) -> list[tuple[str, float]]:
        """3CosMul over the index's candidates: 3CosAdd's best ``COSMUL_CANDIDATES`` and the
        neighbours of b and c (a word 3CosMul ranks high is close to b and to c), scored
        exactly as ``KeyedVectors.most_similar_cosmul`` scores them."""
        kv = self.kv
        n = max(COSMUL_CANDIDATES, topn)
        words = {w for w, _ in self._most_similar(positive=[b, c], negative=[a], topn=n)}
        for w in (b, c):
            words.update(x for x, _ in self._most_similar(w, topn=n // 2))
        words -= {a, b, c}
        if not words:
            return []
        rows = np.array(sorted(kv.key_to_index[w] for w in words))
        unit = kv.unit_vectors[rows]  # float32[m, d]

        def cos(w: str) -> np.ndarray:
            return unit @ kv.get_vector(w, norm=True)

        score = cosmul([cos(b), cos(c)], [cos(a)])
        best = np.lexsort((rows, -score))[:topn]
        return [(kv.index_to_key[rows[i]], float(score[i])) for i in best]

    def vector(self, word: str) -> dict:
        i = self.index(word)
        v = np.asarray(self.kv.vectors[i], np.float64)
        return {
            "word": word,
            "index": i,
            "norm": float(np.linalg.norm(v)),
            "vector": [float(x) for x in v.astype(np.float32)],
        }

    def projection_words(self, body: dict) -> tuple[list[str], str | None]:
        """The word list a projection request names, and its centre word (or None): the
        request checked here, the words chosen as the plot command chooses them."""
        given = [k for k in ("words", "top", "neighbours_of") if body.get(k) is not None]
        if len(given) != 1:
            raise ApiError(422, "give exactly one of words, top or neighbours_of")
        words, top, centre, topn = body.get("words"), None, body.get("neighbours_of"), 1
        if words is not None:
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ApiError(422, "words must be a list of strings")
            n = len(dict.fromkeys(words))
            if n > self.max_points:
                raise ApiError(422, f"at most {self.max_points} words; got {n}")
            for w in words:
                self.index(w)
            if not words:
                return [], None
        elif centre is None:
            top = self._topn(body["top"], "top", self.max_points)
        else:
            self.index(centre)
            hi = min(self.max_topn, self.max_points - 1)
            topn = self._topn(body.get("topn", 50), "topn", hi)
        chosen = select_words(self.kv, words, top, centre, topn, self._most_similar)
        return chosen, centre

    def projection(self, body: dict) -> dict:
        """Coordinates of a word set by PCA, t-SNE or UMAP, from the cache when it has them."""
        method = body.get("method", "pca")
        if method not in METHODS:
            raise ApiError(422, f"method must be one of {', '.join(METHODS)}; got {method!r}")
        dims = body.get("dims", 2)
        if type(dims) is not int or dims not in (2, 3):
            raise ApiError(422, f"dims must be 2 or 3; got {dims!r}")
        words, centre = self.projection_words(body)
        if len(words) < MIN_POINTS[method]:
            raise ApiError(
                422, f"{method} needs at least {MIN_POINTS[method]} words; got {len(words)}"
            )
        key = (tuple(words), method, dims)
        coords, cached, seconds = self._cached_projection(key)
        return {
            "method": method,
            "dims": dims,
            "words": words,
            "coords": coords,
            "centre": centre,
            "cached": cached,
            "seconds": round(seconds, 4),
        }

    def _cached_projection(self, key: tuple) -> tuple[list, bool, float]:
        words, method, dims = key
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key], True, 0.0
            # one lock per key: a second identical request waits for the first, not recomputes
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return self._cache[key], True, 0.0
            start = time.perf_counter()
            rows = [self.kv.key_to_index[w] for w in words]
            try:
                xy = project(self.kv.vectors[rows], method, dims, seed=self.seed)
            except MissingDependency as e:
                raise ApiError(503, str(e)) from None
            coords = np.round(xy.astype(np.float64), 5).tolist()
            seconds = time.perf_counter() - start
            with self._lock:
                if self.cache_size:
                    self._cache[key] = coords
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
                self._computing.pop(key, None)
        return coords, False, seconds


# -- HTTP ----------------------------------------------------------------------------------------
def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(422, f"{name} must be an integer; got {raw!r}") from None


def _word_param(request: Request) -> str:
    word = request.query_params.get("word")
    if not word:
        raise ApiError(422, "the query parameter word is required")
    return word


async def _json_body(request: Request, limit: int) -> dict:
    """The request body as a JSON object; 413 past ``limit`` bytes (checked while reading, so a
    lying or missing Content-Length cannot get more in), 400 when it is not a JSON object."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ApiError(413, f"request body over {limit} bytes")
        except ValueError:
            raise ApiError(400, "bad Content-Length header") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"request body over {limit} bytes")
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ApiError(400, f"malformed JSON: {e}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the body must be a JSON object; got {type(body).__name__}")
    return body


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


def _static_dir() -> str:
    return str(resources.files("wordvec.web") / "static")


# a page that loads nothing from elsewhere: everything it needs is served by this app
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(
    kv: KeyedVectors | Explorer,
    *,
    name: str = "model",
    max_topn: int = 1000,
    max_points: int = 5000,
    max_body: int = 256 * 1024,
    cache_size: int = 64,
    workers: int | None = None,
) -> Starlette:
    """The explorer as an ASGI app (serve it with uvicorn, or test it with Starlette's
    ``TestClient``). ``kv`` may be a ready :class:`Explorer` to share one index between apps.

    Routes: ``/`` the page, ``/static/*`` its files, ``/openapi.json`` and ``/api/*`` (see there).
    While the app runs (between its lifespan's startup and shutdown) BLAS and OpenMP libraries
    are held to one thread each: the explorer's ``workers`` threads are the parallelism.
    """
    from wordvec import __version__

    ex = (
        kv
        if isinstance(kv, Explorer)
        else Explorer(
            kv,
            name=name,
            max_topn=max_topn,
            max_points=max_points,
            cache_size=cache_size,
            workers=workers,
        )
    )
    spec = openapi.schema(
        max_topn=ex.max_topn, max_points=ex.max_points, max_body=max_body, version=__version__
    )
    page = (resources.files("wordvec.web") / "static" / "index.html").read_text("utf-8")

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers=_PAGE_HEADERS)

    async def openapi_json(request: Request) -> Response:
        return _json(spec)

    async def info(request: Request) -> Response:
        return _json({**ex.info(), "max_body": max_body})

    async def autocomplete(request: Request) -> Response:
        prefix = request.query_params.get("prefix", "")
        limit = _int_param(request, "limit", 10)
        words = await ex.run(ex.autocomplete, prefix, limit)
        return _json({"prefix": prefix, "words": words})

    async def neighbours(request: Request) -> Response:
        word, topn = _word_param(request), _int_param(request, "topn", 10)
        return _json(await ex.run(ex.neighbours, word, topn))

    async def vector(request: Request) -> Response:
        return _json(await ex.run(ex.vector, _word_param(request)))

    async def analogy(request: Request) -> Response:
        body = await _json_body(request, max_body)
        args = [body.get(k) for k in ("a", "b", "c")]
        return _json(await ex.run(ex.analogy, *args, body.get("topn", 10)))

    async def projection(request: Request) -> Response:
        body = await _json_body(request, max_body)
        return _json(await ex.run(ex.projection, body))

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _json({"error": exc.message, **exc.extra}, exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        # not reached by any known input; a JSON body all the same, and no traceback leaked
        return _json({"error": f"internal error: {type(exc).__name__}"}, 500)

    routes = [
        Route("/", index),
        Route("/openapi.json", openapi_json),
        Route("/api/info", info),
        Route("/api/autocomplete", autocomplete),
        Route("/api/neighbours", neighbours),
        Route("/api/vector", vector),
        Route("/api/analogy", analogy, methods=["POST"]),
        Route("/api/projection", projection, methods=["POST"]),
        Mount("/static", StaticFiles(directory=_static_dir()), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette):
        from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

        # process-wide while the app runs: one BLAS / OpenMP thread under each query worker
        with threadpool_limits(limits=1):
            try:
                yield
            finally:
                ex.close()

    app = Starlette(
        lifespan=lifespan,
        routes=routes,
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
    app.state.explorer = ex
    return app
