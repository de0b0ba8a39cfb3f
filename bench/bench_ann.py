"""Approximate nearest neighbours on a big synthetic model: exact search against the index.

Makes ``--words`` x ``--dim`` float32 vectors in memory (default 3,000,000 x 300, 3.6 GB; never
stored) with cluster structure (see :func:`clustered_vectors`), then

* ``scale`` (default): builds the ``wordvec.ann`` index (build time, file size, load time),
  measures recall@10 of ``most_similar`` through the index against exact search over
  ``--recall-queries`` random words, and ms/query of both (one query at a time, as a user or the
  explorer asks); with ``--explorer`` also the explorer over HTTP on loopback: neighbours p50/p99
  over kept-alive connections (a client in this process, and one in a process of its own, with
  httpx and with the standard library's lighter http.client), the same query without HTTP (the
  faiss search alone, ``Explorer.neighbours`` whole), 200 requests from 50 threads at once, and
  the first page drawn in headless Chromium.
* ``compare``: the candidate libraries side by side on a smaller set (``--words 200000``):
  faiss IVF (flat and SQ8 + exact re-ranking), faiss HNSW and hnswlib HNSW, each at the search
  setting that first reaches recall@10 >= 0.95: build seconds, bytes, recall, ms/query.

Usage::

    nice python bench/bench_ann.py [--words N] [--dim D] [--explorer] [--markdown FILE]
    nice python bench/bench_ann.py compare --words 200000 [--markdown FILE]

Needs ``wordvec[ann]`` (faiss-cpu); ``compare`` needs ``hnswlib``; ``--explorer`` needs
``wordvec[web]``, httpx and playwright with Debian's chromium. Peak memory at 3M x 300: the
vectors (3.6 GB), their unit copy (3.6 GB, made by exact search), the index (~1 GB) and the
explorer's prefix index (~1 GB).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


# -- the data ------------------------------------------------------------------------------------
def clustered_vectors(n: int, d: int, seed: int = 0, chunk: int = 65536) -> np.ndarray:
    """float32[n, d] vectors with nested clusters, written in place chunk by chunk (no copy of
    the whole matrix is ever made).

    Three levels of centres: ``n // 3000`` unit directions; under them ``n // 300`` centres at
    distance 1.0; under those ``n // 30`` at distance 0.8. A point is a bottom-level centre plus
    isotropic noise of length 1.0 plus a component of length 0.8 in a shared 40-dimensional
    subspace. The best cosine to a random word averages about 0.68 and the tenth best about
    0.63, at 50,000 words as at 400,000.

    A first version had a shared component of length 2.0 (and noise 1.1): its neighbourhoods
    were set by the shared 40-dimensional part more and more as ``n`` grew (the nearest of 3M
    points in 40 dimensions is very near), so IVF lists, which follow the clusters, held them
    less and less: recall@10 with about 2 % of the lists probed went from 0.96 (50,000) to 0.94
    (400,000) to 0.28 (3M, 1.8 %). We took that for a property of that data rather than of
    word vectors, whose neighbourhoods follow their clusters more; this one keeps the clusters
    in charge (and is easier: a fair warning when reading the recall below).
    """
    rng = np.random.default_rng(seed)

    def directions(m: int) -> np.ndarray:
        v = rng.standard_normal((m, d), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    centres = directions(max(1, n // 3000))
    for size, offset in ((300, 1.0), (30, 0.8)):
        m = max(1, n // size)
        centres = centres[rng.integers(0, centres.shape[0], size=m)] + offset * directions(m)
    low = 40
    basis = np.linalg.qr(rng.standard_normal((d, low)))[0].T.astype(np.float32)  # [low, d]
    out = np.empty((n, d), np.float32)
    noise = np.float32(1.0 / np.sqrt(d))  # expected length of the isotropic part: 1.0
    shared = np.float32(0.8 / np.sqrt(low))  # ... and of the low-dimensional part: 0.8
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        block = out[start : start + m]
        rng.standard_normal(out=block, dtype=np.float32)
        block *= noise
        block += centres[rng.integers(0, centres.shape[0], size=m)]
        block += (rng.standard_normal((m, low), dtype=np.float32) * shared) @ basis
    return out


def random_words(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct words: ``w`` + a base-26 number in letters, shuffled, so prefixes match
    realistically many words."""
    letters = "abcdefghijklmnopqrstuvwxyz"

    def name(i: int) -> str:
        s = []
        while True:
            i, r = divmod(i, 26)
            s.append(letters[r])
            if not i:
                return "".join(s)

    order = np.random.default_rng(seed + 1).permutation(n)
    return [name(int(i)) for i in order]


def exact_top(unit: np.ndarray, queries: np.ndarray, k: int, block: int = 1 << 18) -> np.ndarray:
    """int64[m, k] rows of the ``k`` best cosines for each of ``queries`` (rows of ``unit``,
    themselves left out), scanning ``unit`` in blocks so no [m, V] matrix is held."""
    q = unit[queries]
    m = q.shape[0]
    best_s = np.full((m, k), -np.inf, np.float32)
    best_i = np.zeros((m, k), np.int64)
    for start in range(0, unit.shape[0], block):
        s = q @ unit[start : start + block].T  # float32[m, block]
        own = (queries >= start) & (queries < start + s.shape[1])
        s[np.flatnonzero(own), queries[own] - start] = -np.inf
        kk = min(k, s.shape[1])
        part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, part, 1)], axis=1)
        cand_i = np.concatenate([best_i, part + start], axis=1)
        order = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(cand_s, order, 1)
        best_i = np.take_along_axis(cand_i, order, 1)
    return best_i


def recall(found, truth: np.ndarray) -> float:
    """Mean fraction of each query's true neighbours (int[m, k]) among those found (m lists)."""
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q / 100 * (len(xs) - 1)))]


# -- compare: the libraries side by side -----------------------------------------------------------
def compare(args) -> list[str]:
    import faiss
    import hnswlib

    t0 = time.perf_counter()
    x = clustered_vectors(args.words, args.dim, args.seed)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    print(f"{args.words:,} x {args.dim} made in {time.perf_counter() - t0:.1f} s", flush=True)
    rng = np.random.default_rng(args.seed + 2)
    queries = rng.choice(args.words, size=args.recall_queries, replace=False)
    truth = exact_top(x, queries, 10)
    k = 10
    threads = os.cpu_count() or 1

    def sweep(search, settings):
        """(setting, recall, ms/query) at the first setting reaching 0.95, else the last."""
        for s in settings:
            found = []
            t0 = time.perf_counter()
            for qi in queries:
                ids = search(x[qi : qi + 1], s, k + 1)
                found.append([i for i in ids if i != qi][:k])
            ms = (time.perf_counter() - t0) * 1000 / len(queries)
            r = recall(found, truth)
            print(f"    setting {s}: recall {r:.4f}, {ms:.3f} ms/query", flush=True)
            if r >= 0.95:
                break
        return s, r, ms

    rows = []

    def faiss_case(name, factory, param, settings, rerank=False):
        print(name, flush=True)
        faiss.omp_set_num_threads(threads)
        index = faiss.index_factory(args.dim, factory, faiss.METRIC_INNER_PRODUCT)
        t0 = time.perf_counter()
        if not index.is_trained:
            train = x[rng.choice(args.words, size=min(args.words, 40 * nlist), replace=False)]
            index.train(train)
        index.add(x)
        build = time.perf_counter() - t0
        size = len(faiss.serialize_index(index))
        faiss.omp_set_num_threads(1)  # queries one at a time, on one thread, as a server asks

        def search(q, s, n):
            faiss.ParameterSpace().set_index_parameter(index, param, s)
            _, ids = index.search(q, 4 * n if rerank else n)
            ids = ids[0][ids[0] >= 0]
            if rerank:  # exact cosines of the candidates, best first
                ids = ids[np.argsort(-(x[ids] @ q[0]), kind="stable")]
            return ids[:n]

        s, r, ms = sweep(search, settings)
        rows.append((name, f"{param}={s}", build, size, r, ms))

    # exact, for the ms/query baseline
    print("exact (NumPy matrix-vector product)", flush=True)
    t0 = time.perf_counter()
    for qi in queries[:50]:
        np.argpartition(-(x @ x[qi]), 11)[:11]
    exact_ms = (time.perf_counter() - t0) * 1000 / 50
    rows.append(("exact (NumPy)", "-", 0.0, x.nbytes, 1.0, exact_ms))

    nlist = int(4 * np.sqrt(args.words))
    probes = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    faiss_case(f"faiss IVF{nlist},Flat", f"IVF{nlist},Flat", "nprobe", probes)
    faiss_case(f"faiss IVF{nlist},SQ8 + re-rank", f"IVF{nlist},SQ8", "nprobe", probes, True)
    efs = [16, 32, 64, 128, 256, 512]
    faiss_case("faiss HNSW32,Flat", "HNSW32,Flat", "efSearch", efs)

    print("hnswlib M=32 ef_construction=100", flush=True)
    t0 = time.perf_counter()
    h = hnswlib.Index(space="ip", dim=args.dim)
    h.init_index(max_elements=args.words, M=32, ef_construction=100, random_seed=args.seed)
    h.add_items(x, num_threads=threads)
    build = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        h.save_index(f"{tmp}/h.bin")
        size = os.path.getsize(f"{tmp}/h.bin")
    h.set_num_threads(1)

    def hsearch(q, s, n):
        h.set_ef(max(s, n))
        return h.knn_query(q, k=n)[0][0]

    s, r, ms = sweep(hsearch, efs)
    rows.append(("hnswlib M=32", f"ef={s}", build, size, r, ms))

    out = [
        f"## ANN libraries on {args.words:,} x {args.dim} clustered vectors",
        "",
        f"{os.cpu_count()} CPUs (shared machine); builds on all of them, queries one at a time on "
        f"one thread; recall@10 over {len(queries)} random words (themselves excluded) against "
        "exact cosine search; each index at the first search setting that reaches 0.95.",
        "",
        "| index | search setting | build s | bytes | recall@10 | ms/query | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s, build, size, r, ms in rows:
        out.append(
            f"| {name} | {s} | {build:.1f} | {size / 1e6:.0f} MB | {r:.4f} | {ms:.3f} | "
            f"{exact_ms / ms:.0f}x |"
        )
    return out


# -- scale: wordvec.ann on the big model ----------------------------------------------------------
def scale(args) -> list[str]:
    from wordvec import KeyedVectors
    from wordvec.ann import AnnIndex

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        # --keep DIR: the model and its index are kept there and reused by the next run
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        model = folder / f"synthetic-{args.words}x{args.dim}-{args.seed}.wv"
        path = Path(str(model) + ".ann")
        t0 = time.perf_counter()
        if model.exists():
            kv = KeyedVectors.load(model, mmap=True)
            how = f"loaded (memory-mapped) from {model}"
        else:
            kv = KeyedVectors(
                random_words(args.words, args.seed),
                clustered_vectors(args.words, args.dim, args.seed),
            )
            how = "made"
            if args.keep:
                kv.save(model)
        words, vectors = kv.index_to_key, kv.vectors
        print(f"{args.words:,} x {args.dim} {how} in {time.perf_counter() - t0:.1f} s", flush=True)
        rng = np.random.default_rng(args.seed + 2)
        out = [
            f"## wordvec.ann on {args.words:,} x {args.dim} float32 "
            f"({vectors.nbytes / 1e9:.1f} GB)",
            "",
            f"{os.cpu_count()} CPUs (shared machine). Synthetic clustered vectors, "
            "see `clustered_vectors` in bench/bench_ann.py.",
            "",
        ]
        t_build = t_save = float("nan")
        if not path.exists() or args.rebuild:
            t0 = time.perf_counter()
            index = AnnIndex.build(kv, seed=args.seed, verbose=True)
            t_build = time.perf_counter() - t0
            print(f"built in {t_build:.1f} s: {index}", flush=True)
            t0 = time.perf_counter()
            index.save(path)
            t_save = time.perf_counter() - t0
            del index
        size = path.stat().st_size
        t0 = time.perf_counter()
        index = AnnIndex.load(path, kv)
        t_load = time.perf_counter() - t0
        print(
            f"saved in {t_save:.1f} s ({size / 1e6:.0f} MB), loaded in {t_load:.1f} s", flush=True
        )

        if not args.explorer_only:
            # exact: the unit vectors (one-off) then one scan a query
            t0 = time.perf_counter()
            kv.fill_norms()
            t_norms = time.perf_counter() - t0
            queries = rng.choice(args.words, size=args.recall_queries, replace=False)
            print("exact ground truth ...", flush=True)
            t0 = time.perf_counter()
            truth = exact_top(kv.unit_vectors, queries, 10)
            t_truth = time.perf_counter() - t0
            exact_ms = []
            for qi in queries[: args.exact_queries]:
                t0 = time.perf_counter()
                kv.most_similar(words[qi], topn=10)
                exact_ms.append((time.perf_counter() - t0) * 1000)
            kv.indexer = index
            ann_ms, found = [], []
            for qi in queries:
                t0 = time.perf_counter()
                got = kv.most_similar(words[qi], topn=10)
                ann_ms.append((time.perf_counter() - t0) * 1000)
                found.append([kv.key_to_index[w] for w, _ in got])
            r = recall(found, truth)
            e50, a50 = statistics.median(exact_ms), statistics.median(ann_ms)
            out += [
                "| | value |",
                "|---|---|",
                f"| index | `{index.factory}`, "
                f"{index.search_name}={index.search_value} (calibrated) |",
                f"| build (hash + train + add + calibrate) | {t_build:.1f} s |",
                f"| file size | {size / 1e6:.0f} MB (vectors: {vectors.nbytes / 1e6:.0f} MB) |",
                f"| save / load (load checks the fingerprint) | {t_save:.1f} s / {t_load:.1f} s |",
                f"| recall@10 vs exact ({len(queries)} random words) | {r:.4f} |",
                f"| exact most_similar, median ms/query ({len(exact_ms)} queries) | {e50:.1f} |",
                f"| ANN most_similar, median ms/query ({len(ann_ms)} queries) | {a50:.2f} |",
                f"| ANN p99 ms/query | {percentile(ann_ms, 99):.2f} |",
                f"| speed-up (median) | {e50 / a50:.0f}x |",
                f"| unit vectors (one-off, exact search) | {t_norms:.1f} s |",
                f"| exact ground truth, batched ({len(queries)} queries) | {t_truth:.1f} s |",
            ]
            print("\n".join(out), flush=True)
        if args.explorer or args.explorer_only:
            kv.indexer = index
            out += ["", *explorer(kv, words, rng, args)]
    return out


_CLIENT = """
import http.client, json, sys, time
from urllib.parse import urlsplit
import httpx
url, words = json.load(sys.stdin)
ms = {"httpx": [], "http.client": []}
# each a kept-alive connection, as a browser's: httpx (the other rows' client) and the standard
# library's, which spends less of the 2 cores on the client side
with httpx.Client(base_url=url, timeout=60) as hx:
    light = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=60)
    for w in [words[-1], *words]:
        t0 = time.perf_counter()
        assert hx.get(f"/api/neighbours?word={w}").status_code == 200
        t1 = time.perf_counter()
        light.request("GET", f"/api/neighbours?word={w}")
        r = light.getresponse()
        assert r.status == 200 and r.read()
        ms["httpx"].append((t1 - t0) * 1000)
        ms["http.client"].append((time.perf_counter() - t1) * 1000)
print(json.dumps({k: v[1:] for k, v in ms.items()}))
"""


def _timed_in_another_process(url: str, words: list[str]) -> dict[str, list[float]]:
    """ms of one neighbours request for each word, from a client process of its own, by client
    library (``httpx``, ``http.client``)."""
    import json
    import subprocess

    r = subprocess.run(
        [sys.executable, "-c", _CLIENT],
        input=json.dumps([url, words]),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(r.stdout)


def _query_parts(ex, words: list[str]) -> list[str]:
    """Rows for the neighbours query without HTTP: the faiss search alone (the index's scan of
    the probed lists) and ``Explorer.neighbours`` whole (faiss, exact re-ranking, the answer),
    on one OpenMP / BLAS thread as in the explorer's workers."""
    from threadpoolctl import threadpool_limits

    from wordvec.ann import CANDIDATES, MIN_CANDIDATES, _widened

    index = ex.kv.indexer
    # the candidates asked of the index at topn=10: 11 neighbours, the word itself then left out
    k = max(CANDIDATES * 11, MIN_CANDIDATES)
    faiss_ms, query_ms = [], []
    with threadpool_limits(limits=1):
        for w in words:
            q = ex.kv.get_vector(w, norm=True)[None, :]
            t0 = time.perf_counter()
            index._index.search(_widened(q, index._index.d), k)
            t1 = time.perf_counter()
            ex.neighbours(w, 10)
            faiss_ms.append((t1 - t0) * 1000)
            query_ms.append((time.perf_counter() - t1) * 1000)
    return [
        f"| neighbours topn=10 without HTTP: {name} | {len(ms)} | {statistics.median(ms):.2f} | "
        f"{percentile(ms, 99):.2f} | {max(ms):.2f} |"
        for name, ms in (("faiss search alone", faiss_ms), ("`Explorer.neighbours`", query_ms))
    ]


def explorer(kv, words, rng, args) -> list[str]:
    """The explorer over the big model with its index: neighbours latency, load, first page."""
    import threading

    import httpx

    from wordvec.web import Explorer, create_app, running

    t0 = time.perf_counter()
    ex = Explorer(kv, name="synthetic")
    t_ready = time.perf_counter() - t0
    print(f"explorer ready in {t_ready:.1f} s", flush=True)
    picks = rng.integers(0, len(words), size=(400, 3))
    out = [f"### The explorer on this model (index attached; ready in {t_ready:.1f} s)", ""]
    out += ["| request | n | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|"]
    with running(create_app(ex)) as url, httpx.Client(base_url=url, timeout=60) as http:

        def nb(k):
            return http.get(f"/api/neighbours?word={words[picks[k, 0]]}")

        def an(k):
            a, b, c = (words[i] for i in picks[k])
            return http.post("/api/analogy", json={"a": a, "b": b, "c": c})

        def ac(k):
            return http.get(f"/api/autocomplete?prefix={words[picks[k, 1]][:2]}")

        cases = [
            ("neighbours topn=10", nb),
            ("analogy (3CosAdd + 3CosMul)", an),
            ("autocomplete", ac),
        ]
        for name, call in cases:
            call(399)
            ms = []
            for k in range(200):
                t0 = time.perf_counter()
                r = call(k)
                ms.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
            out.append(
                f"| {name} | 200 | {statistics.median(ms):.2f} | "
                f"{percentile(ms, 99):.2f} | {max(ms):.2f} |"
            )

        # the same neighbours requests from a client in a process of its own, as a browser is:
        # an in-process client competes with the server for the GIL and the 2 cores
        nb_words = [words[picks[k, 0]] for k in range(200)]
        for client, ms in _timed_in_another_process(url, nb_words).items():
            out.append(
                f"| neighbours topn=10, client in another process ({client}) | 200 | "
                f"{statistics.median(ms):.2f} | {percentile(ms, 99):.2f} | {max(ms):.2f} |"
            )
        # ... and without HTTP, in this process: what is left is the HTTP round trip
        out += _query_parts(ex, nb_words)

        # 200 requests from 50 threads at once
        lat, errors = [], []
        lock = threading.Lock()
        barrier = threading.Barrier(50)

        def worker(part: int) -> None:
            with httpx.Client(base_url=url, timeout=10) as h:
                barrier.wait()
                for k in range(part, 200, 50):
                    t0 = time.perf_counter()
                    try:
                        ok = h.get(f"/api/neighbours?word={words[picks[k, 2]]}").status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    with lock:
                        lat.append((time.perf_counter() - t0) * 1000)
                        errors.extend([] if ok else [k])

        t0 = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(p,)) for p in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        out.append(
            f"| neighbours, 200 requests from 50 threads at once ({len(errors)} errors, "
            f"{wall:.2f} s) | {len(lat)} | {statistics.median(lat):.2f} | "
            f"{percentile(lat, 99):.2f} | {max(lat):.2f} |"
        )
        out += ["", first_page(url)]
    print("\n".join(out), flush=True)
    return out


def first_page(url: str) -> str:
    """Seconds from navigation to the opening picture drawn, in headless Chromium."""
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        return "first page: not measured (no chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox"])
        times = []
        for _ in range(3):
            page = b.new_page(viewport={"width": 1280, "height": 800})
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("#scatter[data-ready='1'][data-points]", timeout=30_000)
            times.append(time.perf_counter() - t0)
            n = page.get_attribute("#scatter", "data-points")
            page.close()
        b.close()
    return (
        f"First page, navigation to the opening picture ({n} most frequent words) drawn, "
        f"headless Chromium: {', '.join(f'{t:.2f}' for t in times)} s (3 loads)."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", nargs="?", choices=["scale", "compare"], default="scale")
    ap.add_argument("--words", type=int, default=3_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--recall-queries", type=int, default=500)
    ap.add_argument("--exact-queries", type=int, default=30)
    ap.add_argument("--explorer", action="store_true", help="also time the explorer (scale)")
    ap.add_argument(
        "--explorer-only", action="store_true", help="time only the explorer (with --keep)"
    )
    ap.add_argument("--tmp", default=None, help="folder for the saved index (default: /tmp)")
    ap.add_argument("--keep", help="keep the model and its index in this folder, and reuse them")
    ap.add_argument("--rebuild", action="store_true", help="build the index even if kept")
    ap.add_argument("--markdown", help="write the report to this file too")
    args = ap.parse_args()
    out = compare(args) if args.mode == "compare" else scale(args)
    text = "\n".join(out) + "\n"
    print("\n" + text)
    if args.markdown:
        Path(args.markdown).write_text(
            f"<!-- python bench/bench_ann.py {' '.join(sys.argv[1:])} -->\n" + text
        )


if __name__ == "__main__":
    main()
