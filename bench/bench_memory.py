"""Memory you can predict: the peak resident memory of training (both modes) and of loading a
model, measured in fresh processes, against ``wordvec.core.memory.training_bytes`` (what
``Word2Vec.estimate_memory`` returns).

    nice -n 10 python bench/bench_memory.py                  # 100k, 500k, 2.1M words
    python bench/bench_memory.py --sizes 20000 --no-load     # a quick look

Each corpus is synthetic, made at run time in a temporary directory (never stored): every
one of ``V`` words twice, plus ``--zipf`` tokens drawn from a Zipf law (exponent 1) over
1.25 V ranks, shuffled, 1,000 tokens a line; ``min_count=2`` then keeps the V words and the
few ranks beyond V drawn twice or more. Training: CBOW, negative sampling, vector_size 100,
one epoch, 2 workers, ``deterministic=True`` (per-worker replicas) and ``False`` (Hogwild).
A child's peak is its ``ru_maxrss`` (``os.wait4``). The kernels are loaded from Numba's cache
(one small training compiles them first). Prints a markdown table; ``--markdown`` writes it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = (100_000, 500_000, 2_100_000)
ZIPF_TOKENS = {100_000: 2_000_000, 500_000: 4_000_000, 2_100_000: 8_000_000}
PARAMS = dict(vector_size=100, window=5, min_count=2, epochs=1, workers=2, sg=0, negative=5)
MiB = 1 << 20


# -- the corpus ---------------------------------------------------------------------------------
def zipf_corpus(path: Path, vocab: int, zipf_tokens: int, seed: int = 0, line: int = 1000):
    """Write the synthetic corpus (see the module docstring) to ``path``."""
    rng = np.random.default_rng(seed)
    ranks = vocab + vocab // 4
    words = np.array([f"w{i:x}" for i in range(ranks)], dtype=object)
    cdf = np.cumsum(1.0 / np.arange(1, ranks + 1))
    cdf /= cdf[-1]
    drawn = np.minimum(np.searchsorted(cdf, rng.random(zipf_tokens)), ranks - 1)
    ids = np.concatenate([np.arange(vocab), np.arange(vocab), drawn])
    rng.shuffle(ids)
    with open(path, "w") as f:
        for a in range(0, ids.shape[0], line):
            f.write(" ".join(words[ids[a : a + line]].tolist()))
            f.write("\n")


# -- what a child process does --------------------------------------------------------------------
def proposed_estimate(model) -> dict[str, int]:
    """``training_bytes`` with the corpus's sizes: what ``Word2Vec.estimate_memory`` gives
    once it passes them (bench/results/memory.md)."""
    from wordvec.core.memory import training_bytes

    m, enc = model, model.corpus_
    replicas = m.workers if (m.deterministic and m.workers > 1) else 0
    return training_bytes(
        len(m.wv),
        m.vector_size,
        m.window,
        m.negative,
        bool(m.hs),
        bool(m.softmax),
        m.workers,
        replicas,
        nce=bool(getattr(m, "nce", False)),
        tokens=enc.n_tokens,
        rare_tokens=int(enc.rare.shape[0]),
        sentences=int(enc.bounds.shape[0] - 1),
        max_sentence_length=m.max_sentence_length,
    )


def child_train(corpus: str, deterministic: bool, save: str | None) -> dict:
    from wordvec import Word2Vec

    model = Word2Vec(deterministic=deterministic, **PARAMS)
    t0 = time.perf_counter()
    model.fit(corpus)
    seconds = time.perf_counter() - t0
    out = {
        "vocab": len(model.wv),
        "tokens": model.corpus_.n_tokens,
        "seconds": seconds,
        "peak": _rss("VmHWM"),  # before saving, which has its own peak (save_peak)
        "estimate": proposed_estimate(model),
        "estimate_now": model.estimate_memory()["total"],
    }
    if save:
        model.save(save + ".model")
        model.wv.save(save + ".wv")
    return out


def child_load(path: str, kind: str, mmap: bool) -> dict:
    """Load a saved model (and keep it), read every vector once, note the resident memory,
    then ask one query (which makes the unit vectors)."""
    from wordvec import KeyedVectors, Word2Vec

    before, t0 = _rss("VmRSS"), time.perf_counter()
    held = KeyedVectors.load(path, mmap=mmap) if kind == "wv" else Word2Vec.load(path, mmap)
    wv = held if kind == "wv" else held.wv
    wv.vectors.sum()  # the first use: checksums verified, every page read
    out = {
        "before": before,
        "loaded": _rss("VmRSS"),
        "anon": _rss("RssAnon"),
        "load_peak": _rss("VmHWM"),
        "vocab": len(wv),
        "seconds": time.perf_counter() - t0,
    }
    wv.most_similar(wv.index_to_key[0], topn=5)
    return out


def _rss(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith(field + ":"))


# -- the parent ---------------------------------------------------------------------------------
def run_child(*args: str) -> tuple[dict, int]:
    """Run this script as ``--child ...`` in a fresh process: (its JSON result, its peak RSS
    in bytes from ``wait4``)."""
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise RuntimeError(f"child {args} failed ({proc.returncode})")
        out.seek(0)
        return json.loads(out.read().splitlines()[-1]), usage.ru_maxrss * 1024


def measure_baseline(tmp: Path) -> dict[str, int]:
    """Peak RSS of a tiny training in each mode (the first one also fills Numba's cache)."""
    tiny = tmp / "tiny.txt"
    tiny.write_text("a b c d e f g h\n" * 200)
    run_child("train", str(tiny), "1")  # compiles what is not cached yet
    return {mode: run_child("train", str(tiny), flag)[1] for mode, flag in MODES.items()}


MODES = {"deterministic": "1", "hogwild": "0"}


def train_rows(sizes, tmp: Path, baseline: dict[str, int], save_largest: bool) -> list[dict]:
    rows = []
    for v in sizes:
        corpus = tmp / f"zipf{v}.txt"
        zipf_corpus(corpus, v, ZIPF_TOKENS.get(v, 4 * v))
        for mode, flag in MODES.items():
            save = str(tmp / "model") if (save_largest and v == max(sizes) and flag == "0") else ""
            res, peak = run_child("train", str(corpus), flag, save)
            if not save:  # wait4's peak is VmHWM's, which the rows use (see save_peak)
                assert abs(peak - res["peak"]) < 2 * MiB, (peak, res["peak"])
            rows.append(
                {
                    "size": v,
                    "mode": mode,
                    **res,
                    "save_peak": peak if save else None,
                    "per_word": (res["peak"] - baseline[mode]) / res["vocab"],
                }
            )
            print(_train_line(rows[-1]), flush=True)
        corpus.unlink()
    return rows


def load_rows(tmp: Path) -> list[dict]:
    rows = []
    for kind in ("wv", "model"):
        for mmap in (False, True):
            res, peak = run_child("load", str(tmp / f"model.{kind}"), kind, str(int(mmap)))
            rows.append(
                {
                    "kind": kind,
                    "mmap": mmap,
                    **res,
                    "peak": peak,
                    "per_word": (res["loaded"] - res["before"]) / res["vocab"],
                }
            )
    return rows


def _train_line(r: dict) -> str:
    e = r["estimate"]["total"]
    return (
        f"| {r['vocab']:,} | {r['mode']} | {e / MiB:,.0f} | {r['peak'] / MiB:,.0f} | "
        f"{r['peak'] / e:.3f} | {r['per_word']:,.0f} | {r['seconds']:.1f} |"
    )


def report(rows, loads, baseline, args, seconds: float) -> str:
    load = os.getloadavg()
    lines = [
        "# Memory: estimate against measured peak",
        "",
        f"`python bench/bench_memory.py {' '.join(args)}` on {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the end "
        f"({seconds:.0f} s in all). Training: {PARAMS}; corpus as in the script's docstring.",
        "Baseline (peak RSS of a tiny training): "
        + ", ".join(f"{m} {b / MiB:.0f} MiB" for m, b in baseline.items())
        + ".",
        "",
        "| vocab | mode | estimate MiB | peak RSS MiB | peak / estimate | bytes/word | s |",
        "|---:|---|---:|---:|---:|---:|---:|",
        *(_train_line(r) for r in rows),
        "",
        "bytes/word = (peak - baseline) / vocab. estimate = `training_bytes` with the corpus's "
        "sizes; `estimate_memory()` before train.py passes them: "
        + ", ".join(f"{r['estimate_now'] / MiB:,.0f}" for r in rows)
        + " MiB.",
    ]
    if rows:
        big = max(rows, key=lambda r: (r["vocab"], r["mode"] == "deterministic"))
        lines += [
            "",
            f"Parts of the estimate, {big['vocab']:,} words, {big['mode']} (MiB): "
            + ", ".join(f"{k} {v / MiB:,.1f}" for k, v in big["estimate"].items()),
        ]
    saved = [r for r in rows if r.get("save_peak")]
    if saved:
        r = saved[0]
        lines += [
            "",
            f"Saving that {r['vocab']:,}-word {r['mode']} model (`Word2Vec.save`, then "
            f"`wv.save`) raised its process's peak from {r['peak'] / MiB:,.0f} to "
            f"{r['save_peak'] / MiB:,.0f} MiB.",
        ]
    if loads:
        lines += [
            "",
            "| loaded | mmap | RSS after load MiB | of it anonymous MiB | bytes/word | "
            "peak while loading MiB | peak after a query MiB | s |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['kind']} | {r['mmap']} | {r['loaded'] / MiB:,.0f} | "
            f"{r['anon'] / MiB:,.0f} | {r['per_word']:,.0f} | {r['load_peak'] / MiB:,.0f} | "
            f"{r['peak'] / MiB:,.0f} | {r['seconds']:.1f} |"
            for r in loads
        ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        what, path, *rest = argv[1:]
        if what == "train":
            res = child_train(path, rest[0] == "1", rest[1] if len(rest) > 1 else None)
        else:
            res = child_load(path, rest[0], rest[1] == "1")
        print(json.dumps(res))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--no-load", action="store_true", help="skip the loaded-model rows")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wordvec-memory-") as d:
        tmp = Path(d)
        baseline = measure_baseline(tmp)
        rows = train_rows(sizes, tmp, baseline, not args.no_load)
        loads = [] if args.no_load else load_rows(tmp)
    text = report(rows, loads, baseline, argv, time.perf_counter() - t0)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
