"""Loading and querying a big vocabulary: wordvec against gensim on the same file.

Makes a word2vec binary file of random vectors (default 1,000,000 x 300 float32, 1.2 GB) in a
temporary directory, then measures, each side in turn:

- loading it (``wordvec.load_word2vec`` vs gensim's ``KeyedVectors.load_word2vec_format``),
  best of ``--repeat`` loads;
- ``most_similar(word, topn=10)``: the first query (which builds the cached unit vectors) and the
  median and 90th percentile over ``--queries`` random words.

Usage: ``python bench/bench_query.py [--words N] [--dim D] [--queries Q] [--no-gensim]``.
Needs about 4x the file's size in free memory. gensim is optional (``pip install gensim``).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import numpy as np

from wordvec import KeyedVectors, load_word2vec
from wordvec.io import save_word2vec


def make_file(path: Path, n: int, d: int, seed: int = 0) -> float:
    """Write n random d-dimensional vectors (words w0, w1, ...) as word2vec binary; seconds."""
    rng = np.random.default_rng(seed)
    vectors = np.empty((n, d), np.float32)
    for start in range(0, n, 100_000):
        stop = min(start + 100_000, n)
        vectors[start:stop] = rng.standard_normal((stop - start, d), dtype=np.float32)
    kv = KeyedVectors([f"w{i}" for i in range(n)], vectors)
    t = time.perf_counter()
    save_word2vec(kv, path, binary=True)
    return time.perf_counter() - t


def time_queries(most_similar, words: list[str]) -> tuple[float, np.ndarray]:
    """(seconds of the first query, seconds of each later one)."""
    t = time.perf_counter()
    most_similar(words[0])
    first = time.perf_counter() - t
    times = []
    for w in words[1:]:
        t = time.perf_counter()
        most_similar(w)
        times.append(time.perf_counter() - t)
    return first, np.array(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--words", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--repeat", type=int, default=2, help="loads per side (the best is shown)")
    p.add_argument("--no-gensim", action="store_true")
    args = p.parse_args()
    rng = np.random.default_rng(1)
    queries = [f"w{i}" for i in rng.integers(0, args.words, args.queries + 1)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors.bin"
        seconds = make_file(path, args.words, args.dim)
        gb = path.stat().st_size / 1e9
        print(f"{args.words:,} x {args.dim} float32 ({gb:.2f} GB) written in {seconds:.1f} s")
        sides = {"wordvec": lambda: load_word2vec(path, binary=True)}
        if not args.no_gensim:
            from gensim.models import KeyedVectors as GensimKV

            sides["gensim"] = lambda: GensimKV.load_word2vec_format(path, binary=True)
        for name, load in sides.items():
            load_s = []
            for _ in range(args.repeat):
                kv = None
                gc.collect()
                t = time.perf_counter()
                kv = load()
                load_s.append(time.perf_counter() - t)
            first, times = time_queries(lambda w, kv=kv: kv.most_similar(w, topn=10), queries)
            rows.append((name, min(load_s), first, np.median(times), np.percentile(times, 90)))
            del kv
    print(f"\n{'':10} {'load (s)':>9} {'1st query (s)':>14} {'median (ms)':>12} {'p90 (ms)':>9}")
    for name, load_s, first, med, p90 in rows:
        print(f"{name:10} {load_s:9.2f} {first:14.2f} {med * 1e3:12.1f} {p90 * 1e3:9.1f}")


if __name__ == "__main__":
    main()
