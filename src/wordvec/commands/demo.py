"""``wordvec demo``: train on the small corpus shipped with the package and show what it learnt.

The corpus is the first 16 MB of ``wiki100m.txt`` (English Wikipedia, text8-style), xz-compressed.
"""

from __future__ import annotations

import argparse
from importlib import resources

DEMO_WORDS = ("king", "france", "computer", "three")
DEMO_ANALOGY = ("man", "king", "woman")  # man is to king as woman is to ? (queen)


def demo_corpus() -> str:
    return str(resources.files("wordvec") / "data" / "wiki16m.txt.xz")


def register(sub) -> None:
    p = sub.add_parser("demo", help="train on the bundled corpus and show neighbours")
    p.add_argument("-o", "--output", default=None, help="also save the model here")
    p.add_argument("--quiet", action="store_true")
    from wordvec.commands.train import add_training_options

    add_training_options(p)
    p.set_defaults(run=run, min_count=5, epochs=5)


def run(args: argparse.Namespace) -> int:
    from wordvec.commands.query import _print
    from wordvec.commands.train import check_outputs, model_params, save_model, train_with_progress

    if args.output:
        check_outputs(args.output)
    model = train_with_progress(
        demo_corpus(),
        model_params(args),
        args.quiet,
        progress_every=args.progress_every,
        output=args.output,
    )
    wv = model.wv
    for w in DEMO_WORDS:
        _print(f"nearest to {w!r}:", wv.most_similar(w, topn=8))
    a, b, c = DEMO_ANALOGY
    _print(f"{a} is to {b} as {c} is to:", wv.most_similar(positive=[b, c], negative=[a], topn=5))
    if args.output:
        print(f"saved {save_model(model, args.output)} to {args.output}")
    return 0
