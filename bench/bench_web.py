"""Latency of the explorer's HTTP API on a big vocabulary.

Makes random vectors (default 1,000,000 words x 100 dimensions, float32; the words are random
lowercase strings of 3 to 12 letters, so prefixes match realistically many words), starts the
explorer with uvicorn on a free loopback port and times, from an HTTP client on the same machine
with a kept-alive connection, each endpoint over ``--requests`` requests after one untimed
first request (shown apart: it pays one-off costs): median, 95th percentile and worst, in
milliseconds; then 4 clients at once, and 200 mixed requests from 50 threads started together
(issue #11: errors, p50 and p99). The target is search and neighbours under 100 ms.

Usage: ``python bench/bench_web.py [--words N] [--dim D] [--requests R] [--seed S]``.
Needs ``wordvec[web]`` and about 1 GB of memory per million words at 100 dimensions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import httpx
import numpy as np

from wordvec import KeyedVectors
from wordvec.web import Explorer, create_app, running


def random_words(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct random lowercase words of 3 to 12 letters."""
    out: set[str] = set()
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", np.uint8)
    while len(out) < n:
        m = int((n - len(out)) * 1.05) + 16
        lengths = rng.integers(3, 13, size=m)
        chars = letters[rng.integers(0, 26, size=(m, 12))]
        raw = chars.tobytes()
        out.update(raw[i * 12 : i * 12 + k].decode() for i, k in enumerate(lengths))
    words = sorted(out)[:n]
    rng.shuffle(words)  # rows are in "frequency" order, not alphabetical
    return words


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q / 100 * (len(xs) - 1)))]


def time_requests(http: httpx.Client, make, n: int) -> list[float]:
    """Milliseconds per request for ``n`` requests ``make(k) -> (method, path, json)``."""
    out = []
    for k in range(n):
        method, path, body = make(k)
        t0 = time.perf_counter()
        r = http.request(method, path, json=body)
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{method} {path} {body}: HTTP {r.status_code} {r.text[:200]}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    words = random_words(args.words, rng)
    vectors = rng.standard_normal((args.words, args.dim), dtype=np.float32)
    kv = KeyedVectors(words, vectors)
    t_make = time.perf_counter() - t0
    t0 = time.perf_counter()
    explorer = Explorer(kv, name="random")
    t_index = time.perf_counter() - t0
    print(
        f"{args.words:,} words x {args.dim} dims: made in {t_make:.1f} s; explorer ready "
        f"(unit vectors + sorted prefix index) in {t_index:.1f} s; {os.cpu_count()} CPUs"
    )

    n = args.requests
    picks = rng.integers(0, args.words, size=(n, 3))
    prefixes = [words[i][: 1 + k % 3] for k, i in enumerate(picks[:, 0])]
    cases = [
        (
            "autocomplete (1-3 letters)",
            lambda k: ("GET", f"/api/autocomplete?prefix={prefixes[k]}&limit=10", None),
        ),
        (
            "neighbours topn=10",
            lambda k: ("GET", f"/api/neighbours?word={words[picks[k, 0]]}&topn=10", None),
        ),
        (
            "neighbours topn=100",
            lambda k: ("GET", f"/api/neighbours?word={words[picks[k, 1]]}&topn=100", None),
        ),
        (
            "analogy 3CosAdd + 3CosMul",
            lambda k: (
                "POST",
                "/api/analogy",
                {"a": words[picks[k, 0]], "b": words[picks[k, 1]], "c": words[picks[k, 2]]},
            ),
        ),
        ("vector", lambda k: ("GET", f"/api/vector?word={words[picks[k, 2]]}", None)),
        (
            "projection PCA, word + 50 neighbours",
            lambda k: (
                "POST",
                "/api/projection",
                {"neighbours_of": words[picks[k % 20, 0]], "topn": 50},
            ),
        ),
        (
            "projection PCA, top 2000 (cached after 1st)",
            lambda k: ("POST", "/api/projection", {"top": 2000}),
        ),
    ]
    rows = []
    with running(create_app(explorer)) as url, httpx.Client(base_url=url, timeout=60) as http:
        http.get("/api/info")
        for name, make in cases:
            first = time_requests(http, make, 1)[0]  # includes any one-off work (compiling)
            ms = time_requests(http, make, n)
            rows.append((name, first, statistics.median(ms), percentile(ms, 95), max(ms)))

        # four clients at once, to see that queries run in parallel threads
        lat: list[float] = []
        lock = threading.Lock()

        def client(part: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as h:
                ms = time_requests(
                    h,
                    lambda k: ("GET", f"/api/neighbours?word={words[picks[k, part]]}", None),
                    n // 4,
                )
            with lock:
                lat.extend(ms)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(p % 3,)) for p in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        rows.append(
            (
                "neighbours, 4 clients at once",
                float("nan"),
                statistics.median(lat),
                percentile(lat, 95),
                max(lat),
            )
        )

        # issue #11's load: 200 mixed requests from 50 threads started together
        load, errors, wall50 = burst(url, words, picks, 50, 200)
        rows.append(
            (
                "200 mixed requests, 50 threads at once",
                float("nan"),
                statistics.median(load),
                percentile(load, 95),
                max(load),
            )
        )

    print(f"\n{'request':<46}{'first ms':>10}{'median ms':>10}{'p95 ms':>10}{'max ms':>10}")
    print("-" * 86)
    for name, first, med, p95, worst in rows:
        print(f"{name:<46}{first:>10.1f}{med:>10.1f}{p95:>10.1f}{worst:>10.1f}")
    print(
        f"\n4 clients: {len(lat)} neighbour requests in {wall:.2f} s "
        f"({len(lat) / wall:.0f} requests/s)"
    )
    print(
        f"50 threads: {len(load)} requests in {wall50:.2f} s, {len(errors)} errors, "
        f"p50 {statistics.median(load):.1f} ms, p99 {percentile(load, 99):.1f} ms"
    )


def burst(url: str, words: list[str], picks: np.ndarray, threads: int, n: int):
    """``n`` requests (neighbours, autocomplete, analogy, neighbourhood projection in turn) from
    ``threads`` threads that start together, each with its own connection and a 10 s timeout.
    Returns (milliseconds per request, errors, wall seconds)."""
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def request(http: httpx.Client, k: int):
        a, b, c = (words[i] for i in picks[k % len(picks)])
        kind = k % 4
        if kind == 0:
            return http.get(f"/api/neighbours?word={a}&topn=10")
        if kind == 1:
            return http.get(f"/api/autocomplete?prefix={b[:2]}")
        if kind == 2:
            return http.post("/api/analogy", json={"a": a, "b": b, "c": c})
        return http.post("/api/projection", json={"neighbours_of": c, "topn": 8})

    def worker(part: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as http:
            barrier.wait()
            for k in range(part, n, threads):
                t0 = time.perf_counter()
                try:
                    r = request(http, k)
                    problem = None if r.status_code == 200 else f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    problem = repr(e)
                with lock:
                    lat.append((time.perf_counter() - t0) * 1000)
                    if problem:
                        errors.append(problem)

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(p,)) for p in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return lat, errors, time.perf_counter() - t0


if __name__ == "__main__":
    main()
