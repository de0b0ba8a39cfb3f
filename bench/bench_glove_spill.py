"""GloVe with its entries on disk (a small ``max_memory``) against in memory, on one corpus.

    python bench/bench_glove_spill.py --markdown bench/results/glove-spill.md

The co-occurrence matrix is counted once (a process of its own; window 10, 1/d weighting,
symmetric, min count 5 by default) and kept as raw files; each case is then a process of its own
that maps the matrix read-only (``np.memmap``, as the counting's own spill hands it over), notes
its resident memory (``VmRSS``: the baseline), resets its peak (``/proc/self/clear_refs``) and
fits GloVe from it: ``peak`` is ``VmHWM`` after the fit, the training phase alone (counting
excluded). The ``from corpus`` case fits from the text file instead (counting included): its peak
is the whole process's. Deterministic cases are compared bit for bit (W, C, biases, losses).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
MiB = 1 << 20
# name: (max_memory: None for the default, the free memory, or --budget; deterministic; from
# the corpus file)
CASES = {
    "memory": (None, True, False),
    "disk": ("budget", True, False),
    "hogwild-memory": (None, False, False),
    "hogwild-disk": ("budget", False, False),
    "corpus-disk": ("budget", True, True),
}


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def count(corpus: str, folder: Path, s: dict) -> None:
    """Count the matrix and write it as raw arrays (+ words, counts) in ``folder``."""
    from wordvec.count.cooccurrence import Cooccurrence

    t0 = time.perf_counter()
    c = Cooccurrence(
        window=s["window"], weighting="harmonic", min_count=s["min_count"], workers=2
    ).fit(corpus)
    m = c.matrix_
    for name in ("data", "indices", "indptr"):
        np.asarray(getattr(m, name)).tofile(folder / name)
    np.save(folder / "counts.npy", np.asarray(c.counts_))
    meta = {
        "words": c.words_,
        "dtypes": {k: str(getattr(m, k).dtype) for k in ("data", "indices", "indptr")},
        "nnz": int(m.nnz),
        "seconds": time.perf_counter() - t0,
        "peak": _status("VmHWM"),
    }
    (folder / "meta.json").write_text(json.dumps(meta))


def _on_files(folder: Path, words, counts, dtypes: dict, params: dict):
    """A Cooccurrence whose matrix maps the raw arrays in ``folder`` read-only."""
    import scipy.sparse as sp

    from wordvec.count.cooccurrence import Cooccurrence

    arrays = {k: np.memmap(folder / k, dtype=t, mode="r") for k, t in dtypes.items()}
    c = Cooccurrence(**params)
    c.words_, c.counts_, v = words, counts, len(words)
    c.matrix_ = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), (v, v))
    return c


def warm_up(folder: Path) -> None:
    """Load NumPy's, SciPy's and Numba's code and every GloVe kernel (in memory, on disk,
    from a mapped matrix) on a small random matrix, so the baseline holds them."""
    import scipy.sparse as sp

    from wordvec.count.glove import GloVe

    v = 3000
    m = sp.random(v, v, density=0.03, format="csr", dtype=np.float32, random_state=0)
    for name in ("data", "indices", "indptr"):
        getattr(m, name).tofile(folder / name)
    dtypes = {k: str(getattr(m, k).dtype) for k in ("data", "indices", "indptr")}
    c = _on_files(folder, [f"w{i}" for i in range(v)], np.ones(v, np.int64), dtypes, {})
    for mem in (None, 10 * MiB):  # on disk: the budget must hold a mapped matrix's slop
        GloVe(vector_size=8, epochs=1, max_memory=mem, work_dir=folder).fit(c)


def child(case: str, corpus: str, folder: Path, out: Path, s: dict) -> None:
    """Fit one case in this process; print one JSON line."""
    from wordvec.count.glove import GloVe

    started = _status("VmRSS")
    (out / "warm").mkdir(exist_ok=True)
    warm_up(out / "warm")
    mem, deterministic, from_corpus = CASES[case]
    model = GloVe(
        vector_size=s["size"],
        window=s["window"],
        min_count=s["min_count"],
        x_max=s["x_max"],
        epochs=s["epochs"],
        workers=2,
        seed=1,
        deterministic=deterministic,
        max_memory=None if mem is None else s["budget"] * MiB,
        work_dir=s["work_dir"],
    )
    if from_corpus:
        source = corpus
    else:
        meta = json.loads((folder / "meta.json").read_text())
        params = dict(window=s["window"], weighting="harmonic", min_count=s["min_count"])
        counts = np.load(folder / "counts.npy")
        source = _on_files(folder, meta["words"], counts, meta["dtypes"], params)
    epochs: list[float] = []

    class Times:
        def on_epoch_end(self, model, stats):
            epochs.append(stats.seconds)

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM from here: the fit's peak
    baseline = _status("VmRSS")
    t0 = time.perf_counter()
    model.fit(source, callbacks=[Times()])
    seconds = time.perf_counter() - t0
    peak = _status("VmHWM")
    for name in ("W_", "C_", "bw_", "bc_"):
        np.save(out / f"{case}.{name}.npy", getattr(model, name))
    spill = {k: v for k, v in model.spill_.items() if isinstance(v, int | float | str)}
    print(
        json.dumps(
            {
                "case": case,
                "seconds": seconds,
                "started": started,
                "baseline": baseline,
                "peak": peak,
                "epochs": epochs,
                "parts": model.seconds_,
                "loss": model.loss_history_,
                "spill": spill,
            }
        )
    )


def run(case: str, corpus: str, folder: Path, out: Path, s: dict) -> dict:
    cmd = [sys.executable, __file__, "--child", case, "--corpus", corpus]
    cmd += ["--folder", str(folder), "--out", str(out), "--settings", json.dumps(s)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode:
        raise RuntimeError(f"{case} failed: {res.stderr.strip()[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def same_bits(out: Path, a: str, b: str) -> bool:
    return all(
        np.array_equal(np.load(out / f"{a}.{n}.npy"), np.load(out / f"{b}.{n}.npy"))
        for n in ("W_", "C_", "bw_", "bc_")
    )


def table(rows: list[dict], s: dict) -> str:
    head = (
        "| case | entries | parts/round | budget MiB | baseline MiB | peak MiB "
        "| peak - baseline MiB | layout s | epoch s | 15 epochs s (projected) | written MiB "
        "| read MiB | write s | read s | loss |"
    )
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        sp_, mem = r["spill"], CASES[r["case"]][0] and s["budget"]
        ep = r["epochs"]
        proj = r["parts"]["count"] + r["parts"]["layout"] + 15 * sum(ep) / len(ep)
        lines.append(
            f"| {r['case']} ({r['rep'] + 1}) | {sp_['where']} | "
            f"{sp_.get('parts_per_round', 0) or '-'} | "
            f"{mem if mem else 'free: ' + format(sp_['budget'] / MiB, ',.0f')} | "
            f"{r['baseline'] / MiB:,.0f} | {r['peak'] / MiB:,.0f} | "
            f"{(r['peak'] - r['baseline']) / MiB:,.0f} | {r['parts']['layout']:.1f} | "
            f"{', '.join(f'{x:.1f}' for x in ep)} | {proj:.0f} | "
            f"{sp_.get('bytes_written', 0) / MiB:,.0f} | {sp_.get('bytes_read', 0) / MiB:,.0f} | "
            f"{sp_.get('write_seconds', 0):.2f} | {sp_.get('read_seconds', 0):.2f} | "
            f"{r['loss'][-1]:.5f} |"
        )
    lines += ["", "| case | runs | median epoch s | median layout s | 15 epochs s (projected) |"]
    lines.append("|---|---|---|---|---|")
    for case in dict.fromkeys(r["case"] for r in rows):
        mine = [r for r in rows if r["case"] == case]
        ep = statistics.median(x for r in mine for x in r["epochs"])
        lay = statistics.median(r["parts"]["layout"] for r in mine)
        count = statistics.median(r["parts"]["count"] for r in mine)
        proj = count + lay + 15 * ep
        lines.append(f"| {case} | {len(mine)} | {ep:.1f} | {lay:.1f} | {proj:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(DATA / "wiki100m.txt"))
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--x-max", type=float, default=10.0)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--budget", type=int, default=256, help="max_memory of the disk cases, MiB")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temp folder)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each case, alternating")
    ap.add_argument("--markdown", help="write the report here too")
    ap.add_argument("--json", help="write every run here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--settings", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        s = json.loads(a.settings)
        if a.child == "count":
            count(a.corpus, Path(a.folder), s)
        else:
            child(a.child, a.corpus, Path(a.folder), Path(a.out), s)
        return 0
    work = Path(a.workdir or tempfile.mkdtemp(prefix="bench_glove_spill."))
    (work / "matrix").mkdir(parents=True, exist_ok=True)
    (work / "out").mkdir(exist_ok=True)
    s = {
        "window": a.window,
        "size": a.size,
        "epochs": a.epochs,
        "x_max": a.x_max,
        "min_count": a.min_count,
        "budget": a.budget,
        "work_dir": str(work),
    }
    folder, out = work / "matrix", work / "out"
    if not (folder / "meta.json").exists():
        cmd = [sys.executable, __file__, "--child", "count", "--corpus", a.corpus]
        cmd += ["--folder", str(folder), "--settings", json.dumps(s)]
        subprocess.run(cmd, check=True)
    meta = json.loads((folder / "meta.json").read_text())
    rows = []
    for rep in range(a.repeat):  # the cases take turns: the machine's noise falls on all alike
        for case in a.cases.split(","):
            if rep and CASES[case][2]:
                continue  # from the corpus: once is enough (its peak, not its time, is the point)
            rows.append({**run(case, a.corpus, folder, out, s), "rep": rep})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    report = table(rows, s)
    names = [r["case"] for r in rows]
    notes = []
    for x, y in (("memory", "disk"), ("memory", "corpus-disk")):
        if x in names and y in names:
            notes.append(f"- {y} against {x}: bit-identical W, C, biases: {same_bits(out, x, y)}")
    with open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    text = (
        f"# GloVe's entries on disk against in memory ({Path(a.corpus).name})\n\n"
        f"`python bench/bench_glove_spill.py {' '.join(argv)}` on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {cpu}, "
        f"{os.cpu_count()} CPUs, load average at the end {load}\n\n"
        f"matrix: {len(meta['words']):,} words, {meta['nnz']:,} non-zeros, counted in "
        f"{meta['seconds']:.1f} s (peak {meta['peak'] / MiB:,.0f} MiB); settings: {json.dumps(s)}"
        "\n\n" + report + "\n" + "\n".join(notes) + "\n"
    )
    print(text)
    if a.markdown:
        Path(a.markdown).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
