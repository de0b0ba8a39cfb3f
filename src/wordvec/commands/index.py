"""``wordvec index MODEL``: build an approximate-neighbour index saved beside the model as
MODEL.ann (``wordvec[ann]``: faiss); ``similar``, ``analogy`` and ``explore`` then answer
through it. Exact search stays the default without one; see docs/ann.md."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "index", help="build an approximate-neighbour index beside a model", description=__doc__
    )
    p.add_argument("model")
    p.add_argument("--kind", choices=["auto", "ivf", "hnsw", "flat"], default="auto")
    p.add_argument("--recall", type=float, default=0.95, help="target recall@10 (0.95)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wordvec.ann import main

    argv = [
        "build",
        args.model,
        "--kind",
        args.kind,
        "--recall",
        str(args.recall),
        "--seed",
        str(args.seed),
    ]
    return main(argv)
