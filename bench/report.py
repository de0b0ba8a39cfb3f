"""Tables, chart and BENCHMARKS.md from the JSON that compare.py writes.

python bench/report.py [bench/results/latest.json]     # same as compare.py --report
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = "gensim"
LABELS = {
    "wordvec": "wordvec (fastest: Hogwild)",
    "wordvec-det": "wordvec (deterministic, default)",
    "gensim": "gensim (iterator)",
    "gensim-file": "gensim (corpus_file)",
    "fasttext": "fastText (no subwords)",
}
QUALITY_POINTS = 1.0  # "no more than 1 point less" and "equal quality": within 1 point


def chart_path(json_path: Path) -> Path:
    name = "throughput_quality.png" if json_path.name == "latest.json" else f"{json_path.stem}.png"
    return json_path.parent / name


def _cell(stat: dict | None, fmt: str) -> str:
    """``median`` or ``median (min–max)`` when the runs differ."""
    if stat is None:
        return "–"
    if stat["min"] == stat["max"]:
        return format(stat["median"], fmt)
    return f"{stat['median']:{fmt}} ({stat['min']:{fmt}}–{stat['max']:{fmt}})"


def _pct(stat: dict | None) -> dict | None:
    return stat and {k: 100 * v for k, v in stat.items()}


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main_table(res: dict) -> str:
    header = [
        "config",
        "system",
        "wall s (vocab + train)",
        "tokens/s",
        "vs gensim",
        "peak RSS MB",
        "analogy %",
        "semantic %",
        "syntactic %",
        "WS353 ρ",
    ]
    rows = []
    for config, systems in res["summary"].items():
        for system, c in systems.items():
            rows.append(
                [
                    config,
                    LABELS[system],
                    _cell(c["seconds_total"], ".1f"),
                    _cell(c["tokens_per_sec"], ",.0f"),
                    f"{c['speedup']:.2f}x" if "speedup" in c else "–",
                    _cell(c["peak_rss_mb"], ".0f"),
                    _cell(_pct(c["analogy"]), ".2f"),
                    _cell(_pct(c["semantic"]), ".2f"),
                    _cell(_pct(c["syntactic"]), ".2f"),
                    _cell(c["ws353"], ".3f"),
                ]
            )
    return _table(header, rows)


def coverage(res: dict) -> str:
    """Analogy questions each system could answer, and its share of WS353 pairs out of vocab."""
    seen: dict[str, tuple] = {}
    for r in res["runs"]:
        seen.setdefault(r["system"], (r.get("analogy_questions"), r.get("ws353_oov")))
    parts = [f"{LABELS[k]} {q:,} / {100 * o:.1f}%" for k, (q, o) in seen.items() if q is not None]
    return (
        "Analogy questions answered (all four words among the 30,000 most frequent) / "
        "WordSim-353 pairs out of vocabulary: " + "; ".join(parts) + "."
    )


def vocab_times(res: dict) -> dict[str, list[float]]:
    """seconds of the vocabulary step of every training run, per system (all configurations)."""
    out: dict[str, list[float]] = {}
    for r in res["runs"]:
        if r.get("seconds_vocab") is not None:
            out.setdefault(r["system"], []).append(r["seconds_vocab"])
    return out


def vocab_table(res: dict) -> str:
    times = vocab_times(res)
    base = statistics.median(times[BASELINE]) if BASELINE in times else None
    rows = []
    for system, ts in times.items():
        med = statistics.median(ts)
        stat = {"median": med, "min": min(ts), "max": max(ts)}
        rows.append(
            [
                LABELS[system],
                _cell(stat, ".2f"),
                str(len(ts)),
                f"{base / med:.2f}x" if base else "–",
            ]
        )
    return _table(["system", "build_vocab s", "runs", "vs gensim"], rows)


def scaling_table(res: dict) -> str:
    by: dict[int, list[float]] = {}
    for s in res["scaling"]:
        by.setdefault(s["workers"], []).append(s["tokens_per_sec"])
    if not by:
        return "(not measured)"
    one = statistics.median(by[min(by)])
    rows = []
    for w, tps in sorted(by.items()):
        med = statistics.median(tps)
        stat = {"median": med, "min": min(tps), "max": max(tps)}
        rows.append([str(w), _cell(stat, ",.0f"), f"{med / one:.2f}x"])
    return _table(["workers", "training tokens/s", f"vs {min(by)} worker"], rows)


def targets(res: dict) -> list[tuple[str, str, str]]:
    """(target, measured, PASS / MISS / not measured) for each of the issue's targets."""
    s, out = res["summary"], []

    def wv(config: str) -> dict | None:
        c = s.get(config, {}).get("wordvec")
        return c if c and "speedup" in c else None

    for config, need, what in [
        ("sg-ns", 5.0, "SG-NS >= 5x gensim end to end, at most 1 point less analogy accuracy"),
        (
            "cbow-ns",
            2.0,
            f"CBOW-NS >= 2x gensim end to end, equal quality (within {QUALITY_POINTS:g} point)",
        ),
    ]:
        c = wv(config)
        if c is None:
            out.append((what, "–", "not measured"))
            continue
        diff = 100 * c["analogy_diff"]
        ok = c["speedup"] >= need and diff >= -QUALITY_POINTS
        out.append((what, f"{c['speedup']:.2f}x, {diff:+.2f} points", "PASS" if ok else "MISS"))
    c = wv("sg-hs")
    what = "SG-HS faster than gensim"
    if c is None:
        out.append((what, "–", "not measured"))
    else:
        out.append((what, f"{c['speedup']:.2f}x", "PASS" if c["speedup"] > 1 else "MISS"))
    times = vocab_times(res)
    what = "vocabulary scan >= 5x gensim's build_vocab"
    if "wordvec" in times and BASELINE in times:
        r = statistics.median(times[BASELINE]) / statistics.median(times["wordvec"])
        out.append((what, f"{r:.2f}x", "PASS" if r >= 5 else "MISS"))
    else:
        out.append((what, "–", "not measured"))
    ratios = {
        k: v["wordvec"]["memory_ratio"]
        for k, v in s.items()
        if "memory_ratio" in v.get("wordvec", {})
    }
    what = "peak memory <= 1.5x gensim's"
    if ratios:
        worst = max(ratios.values())
        measured = ", ".join(f"{k} {v:.3f}x" for k, v in ratios.items())
        out.append((what, measured, "PASS" if worst <= 1.5 else "MISS"))
    else:
        out.append((what, "–", "not measured"))
    return out


def tables(res: dict) -> str:
    t = [list(row) for row in targets(res)]
    return "\n\n".join(
        [
            main_table(res),
            "Vocabulary step:\n\n" + vocab_table(res),
            "wordvec scaling (training only, 1 epoch):\n\n" + scaling_table(res),
            "Targets:\n\n" + _table(["target", "measured", "result"], t),
        ]
    )


def chart(res: dict, path: Path) -> None:
    """Throughput (tokens/s, end to end) against analogy accuracy, one point per system and
    configuration; bars show min–max over repeats."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    markers = {
        "wordvec": "o",
        "wordvec-det": "P",
        "gensim": "s",
        "gensim-file": "D",
        "fasttext": "^",
    }
    colors = {"sg-ns": "tab:blue", "cbow-ns": "tab:orange", "sg-hs": "tab:green"}
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for config, systems in res["summary"].items():
        for system, c in systems.items():
            x, y = c["tokens_per_sec"], _pct(c["analogy"])
            ax.errorbar(
                x["median"],
                y["median"],
                xerr=[[x["median"] - x["min"]], [x["max"] - x["median"]]],
                yerr=[[y["median"] - y["min"]], [y["max"] - y["median"]]],
                marker=markers.get(system, "x"),
                color=colors.get(config, "k"),
                markersize=9,
                capsize=3,
                linestyle="none",
            )
            ax.annotate(
                f"{system} {config}",
                (x["median"], y["median"]),
                fontsize=7,
                xytext=(6, 4),
                textcoords="offset points",
            )
    ax.set_xscale("log")
    ax.set_xlabel("raw tokens per second, end to end (vocabulary + training), log scale")
    ax.set_ylabel("analogy accuracy, % (3CosAdd, 30k words)")
    corpus = res["corpus"]
    ax.set_title(
        f"{Path(corpus['used']).name}: {corpus['tokens']:,} tokens x "
        f"{res['settings']['epochs']} epoch(s), {res['settings']['workers']} workers"
    )
    handles = [
        plt.Line2D([], [], marker=m, color="gray", linestyle="none", label=LABELS[s])
        for s, m in markers.items()
    ]
    handles += [
        plt.Line2D([], [], marker="o", color=colors[k], linestyle="none", label=k)
        for k in res["summary"]
    ]
    ax.legend(handles=handles, fontsize=8, loc="best")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_markdown(res: dict, json_path: Path, md_path: Path = ROOT / "BENCHMARKS.md") -> None:
    m, c, st = res["machine"], res["corpus"], res["settings"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    configs = "; ".join(
        f"{k}: " + ", ".join(f"{a}={b}" for a, b in v.items()) for k, v in st["configs"].items()
    )
    load = res["load_average"]
    n_repeats = max(r["repeat"] for r in res["runs"]) + 1
    png = chart_path(json_path)
    try:
        png_rel, json_rel = png.resolve().relative_to(ROOT), json_path.resolve().relative_to(ROOT)
    except ValueError:
        png_rel, json_rel = png, json_path
    target_rows = [[a, b, f"**{r}**"] for a, b, r in targets(res)]
    warnings = []
    if c["quick"]:
        warnings.append(
            "> **Quick mode** (first 10 MB, few epochs): a smoke test of the harness. "
            "Speeds and accuracies here are not the benchmark."
        )
    if max(load["start"][0], load["end"][0]) > 0.5 * m["cores"]:
        warnings.append(
            f"> **The machine was busy** (load average up to "
            f"{max(load['start'][0], load['end'][0]):.1f} on {m['cores']} cores): "
            "timings are noisy."
        )
    banner = "\n\n".join(warnings)
    text = f"""# Benchmarks: wordvec, gensim and fastText side by side

Written by `bench/report.py` from `{json_rel}`; reproduce with the command below
(install `bench/requirements.txt` first).

{banner}

- **date**: {res["date"]} (the run took {res["seconds"] / 60:.0f} min)
- **machine**: {m["cpu"]}, {m["cores"]} cores ({m["cores_usable"]} usable), {m["memory_gb"]} GiB;
  {m["os"]}; load average at start {load["start"][0]:.2f}, at end {load["end"][0]:.2f}
- **versions**: {versions}
- **command**: `{res["command"]}`
- **corpus**: `{c["path"]}`{" (first 10 MB: quick mode)" if c["quick"] else ""},
  {c["tokens"]:,} tokens
- **settings** (every system): vector_size={st["vector_size"]}, window={st["window"]},
  negative / alpha / sg / hs per configuration, sample={st["sample"]}, min_count={st["min_count"]},
  epochs={st["epochs"]}, workers={st["workers"]}; {configs}

## Speed, memory and quality

Wall time is the vocabulary step plus training, timed inside each system's own process (imports,
interpreter start and writing the vectors are not counted). Tokens/s is corpus tokens x epochs /
wall time. "vs gensim" is gensim's (iterator mode) wall time / this system's. Peak RSS is the
process's high-water mark (`VmHWM`; `ru_maxrss` is not used, as Linux carries the parent's peak
into it across fork + exec). Cells are the median over {n_repeats} run(s), with (min–max) when
the runs differ.

{main_table(res)}

{coverage(res)}

![throughput against analogy accuracy]({png_rel})

## Vocabulary step

wordvec: `Word2Vec(...).build_vocab(path)` (reading, counting, and encoding the corpus as ids for
training); gensim: `build_vocab` on the split copy (iterator: `LineSentence`; corpus_file: the
file path). Taken from every training run above. wordvec's time includes importing Numba and
starting it (about 0.45 s on the benchmark machine: wordvec imports Numba on first use so that
`import wordvec` stays fast), while gensim's imports happen before its timer starts.

{vocab_table(res)}

## wordvec scaling with workers

Training only, one epoch of {st["configs"] and next(iter(st["configs"]))} on the same corpus.

{scaling_table(res)}

## Targets

{_table(["target", "measured (wordvec against gensim, iterator mode)", "result"], target_rows)}

"1 point" is one percentage point of analogy accuracy (0.01).

## How the comparison is made

- Each system trains in its own Python process (`bench/run_one.py`); the systems take turns
  within each repeat and configuration (wordvec, gensim, gensim corpus_file, fastText), so noise
  on the machine falls on each of them alike.
- Every system writes its vectors in the word2vec binary format, and the same code scores every
  file: `wordvec.load_word2vec`, then `wordvec.vectors.evaluate.evaluate_analogies(kv,
  questions-words.txt, restrict_vocab=30000, method="3cosadd", case_insensitive=True)` and
  `evaluate_word_pairs(kv, wordsim353.tsv)`.
- wordvec and fastText read the original file. gensim reads a copy cut into lines of 1,000
  tokens (same tokens, same order): gensim's iterator mode drops every token past the 10,000th of
  a line, and its `corpus_file` mode, given the one-line original, trains on almost nothing
  (analogy accuracy 0.0001 on wiki100m, 0.0 on its first 10 MB), so it is not timed on that file.
- fastText is `fasttext.train_unsupervised` with subwords off (`minn=0, maxn=0`, and `bucket=0`,
  which its command line sets by itself in that case) and the same dim / ws / neg / epoch / thread
  / minCount / t / lr; `loss="hs"` for SG-HS. It counts and trains in one call, so it has no
  separate vocabulary time. Its learning rate decays to 0 (wordvec and gensim: to 0.0001).
- wordvec's Numba kernels are compiled into Numba's on-disk cache before timing (once per install);
  loading them from that cache is inside the timed wall time.
- gensim's `corpus_file` mode is listed for reference; the ratios and targets use its usual
  iterator mode (`LineSentence`).
"""
    md_path.write_text(text.replace("\n\n\n", "\n\n").rstrip() + "\n")
    print(f"wrote {md_path}", file=sys.stderr)


if __name__ == "__main__":
    p = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results" / "latest.json"
    write_markdown(json.loads(p.read_text()), p)
