"""Training on a local Ray cluster against single-process training (issue #15).

Runs, one after the other in this process: in-process deterministic training (``workers`` 1
and/or 2), then ``Word2Vec(cluster="ray")`` with 1, 2, 4, 8 actors on a local Ray cluster of
``--cpus`` logical CPUs (8 actors on a 2-core machine measure quality and traffic, not speed).
For each: analogy accuracy (3CosAdd, 30,000 most frequent words), WS353 Spearman, training
throughput (tokens / seconds of the epochs: actor start-up excluded, reported apart), and for
the cluster runs the bytes per round and per epoch, rows touched, and the round latency
overhead (a round's wall time minus its slowest actor's training time: RPC, transfers and the
driver's merge). Writes a markdown table (``--out``) after every run, and a JSON file beside it.

    python bench/bench_cluster.py --corpus ../shared/data/wiki100m.txt --bytes 40e6 --epochs 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _slice(corpus: Path, n_bytes: int | None) -> Path:
    if not n_bytes or n_bytes >= corpus.stat().st_size:
        return corpus
    with open(corpus, "rb") as f:
        data = f.read(n_bytes)
    data = data[: data.rfind(b" ") + 1]  # end on a token boundary
    out = Path(tempfile.gettempdir()) / f"bench-cluster-{len(data)}.txt"
    if not out.exists():
        out.write_bytes(data)
    return out


def _quality(model, analogies: Path, pairs: Path) -> tuple[float, float]:
    from wordvec.vectors.evaluate import evaluate_analogies, evaluate_word_pairs

    a = evaluate_analogies(model.wv, analogies, restrict_vocab=30_000, method="3cosadd")
    p = evaluate_word_pairs(model.wv, pairs)
    return 100.0 * a.correct / max(a.total, 1), float(p.spearman)


def _run(params: dict, corpus: Path, cluster: bool, analogies: Path, pairs: Path) -> dict:
    from wordvec import Word2Vec
    from wordvec.core.executors import ray as rx

    seen: list = []
    close = rx.RayExecutor.close

    def keep(self):
        seen.append(self.traffic)
        close(self)

    rx.RayExecutor.close = keep
    try:
        t0 = time.perf_counter()
        model = Word2Vec(**params, cluster="ray" if cluster else None).build_vocab(corpus)
        t_vocab = time.perf_counter() - t0
        model.train()
        t_total = time.perf_counter() - t0
    finally:
        rx.RayExecutor.close = close
    epochs = model.report_.epochs
    tokens = model.report_.vocab_tokens * len(epochs)
    seconds = sum(e.seconds for e in epochs)
    ana, ws = _quality(model, analogies, pairs)
    row = {
        "system": f"ray, {params['workers']} actors"
        if cluster
        else f"in-process, {params['workers']} workers",
        "workers": params["workers"],
        "cluster": cluster,
        "analogy": ana,
        "ws353": ws,
        "tokens_per_s": tokens / seconds,
        "seconds_epochs": seconds,
        "seconds_setup": t_total - t_vocab - seconds,
        "seconds_total": t_total,
        "loss": model.loss_history_[-1],
    }
    if cluster and seen:
        t = seen[0]
        per = np.array(t.per_round, np.float64)  # up, down, wall, slowest actor
        row.update(
            {
                "rounds": t.rounds,
                "rounds_per_epoch": t.rounds / len(epochs),
                "steps_per_round": t.steps / t.rounds,
                "bytes_up_round": float(per[:, 0].mean()),
                "bytes_down_round": float(per[:, 1].mean()),
                "bytes_epoch": (t.bytes_up + t.bytes_down) / len(epochs),
                "rows_up_round": t.rows_up / t.rounds,
                "overhead_ms": 1e3 * float(np.median(per[:, 2] - per[:, 3])),
                "train_ms": 1e3 * float(np.median(per[:, 3])),
                "merge_ms": 1e3 * float(np.median(per[:, 4])),
                "vocab_bytes": len(model.wv) * params["vector_size"] * 4,
                "tokens_round": model.report_.vocab_tokens * len(epochs) / t.rounds,
            }
        )
    return row


def _markdown(rows: list[dict], spec: dict) -> str:
    out = [
        "# Training on a local Ray cluster (bench/bench_cluster.py)",
        "",
        f"Corpus: `{spec['corpus']}` ({spec['tokens']:,} tokens in the vocabulary, "
        f"{spec['vocab']:,} words); {spec['params']}. Ray {spec['ray']}, local cluster of "
        f"{spec['cpus']} logical CPUs on a {os.cpu_count()}-core machine shared with other "
        "jobs (timings are noisy; 4 and 8 actors time-share 2 cores: their speed means "
        "nothing).",
        "",
        "| system | analogy % | WS353 | tokens/s | setup s | rounds/epoch | up/round | "
        "down/round | bytes/epoch | rows up/round | round overhead ms | actor ms/round | "
        "merge ms/round |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = r.get("rounds")
        out.append(
            f"| {r['system']} | {r['analogy']:.2f} | {r['ws353']:.4f} | "
            f"{r['tokens_per_s']:,.0f} | {r['seconds_setup']:.1f} | "
            + (
                f"{r['rounds_per_epoch']:.0f} | {r['bytes_up_round'] / 1e6:.2f} MB | "
                f"{r['bytes_down_round'] / 1e6:.2f} MB | {r['bytes_epoch'] / 1e6:.0f} MB | "
                f"{r['rows_up_round']:,.0f} | {r['overhead_ms']:.1f} | {r['train_ms']:.1f} | "
                f"{r['merge_ms']:.1f} |"
                if c
                else "| | | | | | | |"
            )
        )
    return "\n".join(out) + "\n"


LINK = 10e9 / 8  # bytes/s of a 10 Gbit/s link
RPC_S = 0.5e-3  # a call's round trip on a LAN


def _model(rows: list[dict]) -> str:
    """A round on a real cluster (each actor on its own core and node, the driver on its own
    node behind one 10 Gbit/s link) from the measured bytes, rows and actor speed."""
    one = next((r for r in rows if r.get("cluster") and r["workers"] == 1), None)
    one = one or next((r for r in rows if r["workers"] == 1), None)  # else in-process, 1 worker
    if one is None:
        return ""
    rate = one["tokens_per_s"]  # one actor with a core to itself (the 1-actor run)
    out = [
        "",
        "## Scaling model: a 10 Gbit/s network",
        "",
        f"Assumptions: each actor has a core and a node to itself and trains at the 1-actor rate "
        f"measured here ({rate:,.0f} tokens/s); the driver is a node of its own behind one "
        "10 Gbit/s link (1.25 GB/s) that carries every actor's touched rows in and the merged "
        "rows out (star through the driver; the link's two directions are not overlapped, so "
        "this is pessimistic); a call costs 0.5 ms (a round is one call per actor, or one a "
        "job when the frequent rows merge after every job); the driver's merge takes the time "
        "measured here; nothing overlaps with training. Bytes per round are the measured ones "
        "(they depend on the corpus, vocabulary and round size, not on the machine).",
        "",
        "| actors | tokens/actor/round | train ms | network ms | merge ms | round ms | "
        "tokens/s (model) | efficiency |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if not r.get("cluster") or r["workers"] == 1:
            continue
        n = r["workers"]
        per_actor = r["tokens_round"] / n
        train = per_actor / rate
        net = (r["bytes_up_round"] + r["bytes_down_round"]) / LINK
        merge = r["merge_ms"] / 1e3
        total = train + net + merge + RPC_S * r.get("steps_per_round", 1)
        out.append(
            f"| {n} | {per_actor:,.0f} | {1e3 * train:.1f} | {1e3 * net:.1f} | "
            f"{1e3 * merge:.1f} | {1e3 * total:.1f} | {n * per_actor / total:,.0f} | "
            f"{train / total:.0%} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    data = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    ap.add_argument("--corpus", type=Path, default=data / "wiki100m.txt")
    ap.add_argument("--bytes", type=float, default=None, help="train on the first N bytes")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--actors", default="1,2,4,8")
    ap.add_argument("--local", default="2", help="in-process worker counts (deterministic)")
    ap.add_argument("--cpus", type=int, default=8, help="logical CPUs of the local Ray cluster")
    ap.add_argument("--round-words", type=int, default=None, help="default: the estimator's")
    ap.add_argument("--merge", default=None, help="replica merge mode (default: the estimator's)")
    ap.add_argument(
        "--max-sentence-length",
        type=int,
        default=None,
        help="cut lines this long (a corpus on one line: jobs are whole sentences, "
        "and 8 replicas want jobs of 2,500 tokens)",
    )
    ap.add_argument(
        "--exchange",
        choices=["auto", "store"],
        default="auto",
        help="frequent rows between actors: auto (a node's shared memory when the "
        "actors share the driver's node) or store (the object store, a call a step)",
    )
    ap.add_argument(
        "--local-plan",
        choices=["default", "cluster"],
        default="default",
        help="cluster: in-process training takes the 2 actors' plan (rounds of "
        "CLUSTER_PAIR_ROUND_SIZE tokens, frequent rows every CLUSTER_PAIR_ROUND_WORDS)",
    )
    ap.add_argument("--order", default="local,cluster", help="which runs first")
    ap.add_argument("--out", type=Path, default=Path("bench/results/cluster.md"))
    ap.add_argument("--render", action="store_true", help="only rewrite --out from its .json")
    args = ap.parse_args(argv)
    if args.render:
        saved = json.loads(args.out.with_suffix(".json").read_text())
        for r in saved["rows"]:
            if r.get("cluster") and "tokens_round" not in r:
                r["tokens_round"] = saved["spec"]["tokens"] / r["rounds_per_epoch"]
        args.out.write_text(_markdown(saved["rows"], saved["spec"]) + _model(saved["rows"]))
        return 0
    import ray

    corpus = _slice(args.corpus, int(args.bytes) if args.bytes else None)
    analogies, pairs = data / "questions-words.txt", data / "wordsim353.tsv"
    from wordvec import Word2Vec

    if args.merge:
        Word2Vec._replica_merge = args.merge  # as bench/replicas.py compares them
    from wordvec.core.executors import ray as rx

    rx.EXCHANGE = args.exchange
    base = dict(
        vector_size=100,
        window=5,
        min_count=5,
        sample=1e-4,
        sg=1,
        negative=5,
        epochs=args.epochs,
        seed=args.seed,
    )
    if args.round_words:
        base["round_words"] = args.round_words
    if args.max_sentence_length:
        base["max_sentence_length"] = args.max_sentence_length
    round_words = base.get("round_words")
    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    rows: list[dict] = []
    spec: dict = {
        "corpus": f"{args.corpus.name}"
        + (f", first {corpus.stat().st_size:,} bytes" if corpus != args.corpus else ""),
        "params": "",
        "ray": ray.__version__,
        "cpus": args.cpus,
        "tokens": 0,
        "vocab": 0,
    }
    spec["params"] = (
        f"skip-gram, negative 5, d 100, window 5, sample 1e-4, min_count 5, "
        f"{args.epochs} epochs, seed {args.seed}, round_words "
        f"{f'{round_words:,}' if round_words else 'default'}, "
        f"max_sentence_length {base.get('max_sentence_length', 10_000):,}, "
        f"replica merge {Word2Vec._replica_merge or 'default'!r}, "
        f"exchange {args.exchange}, in-process plan {args.local_plan}"
    )
    local = [(int(w), False) for w in args.local.split(",") if w]
    remote = [(int(a), True) for a in args.actors.split(",") if a]
    runs = local + remote if args.order.startswith("local") else remote + local
    if args.local_plan == "cluster":  # the same plan both ways (the actors' own is unchanged)
        import wordvec.core.replicas as replicas

        replicas.PAIR_ROUND_WORDS = replicas.CLUSTER_PAIR_ROUND_WORDS
    for workers, cluster in runs:
        params = {**base, "workers": workers}
        if args.local_plan == "cluster" and not cluster and "round_words" not in base:
            params["round_words"] = replicas.CLUSTER_PAIR_ROUND_SIZE
        row = _run(params, corpus, cluster, analogies, pairs)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        if not spec["tokens"]:
            m = Word2Vec(**base, workers=1).build_vocab(corpus)
            spec["tokens"], spec["vocab"] = m.report_.vocab_tokens, len(m.wv)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(_markdown(rows, spec) + _model(rows))
        args.out.with_suffix(".json").write_text(json.dumps({"spec": spec, "rows": rows}, indent=1))
    ray.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
