"""``wordvec phrases CORPUS -o OUT``: learn collocations and write the corpus with them joined."""

from __future__ import annotations

import argparse
import sys
import time

_LEARNING = ("min_count", "threshold", "scoring", "passes", "delimiter", "connector_words")


def register(sub) -> None:
    p = sub.add_parser(
        "phrases",
        help="join collocations (new york -> new_york) in a corpus",
        description="Learn which word pairs are phrases and write the corpus with each phrase "
        "joined into one token; then `wordvec train OUT ...` learns vectors for them.",
    )
    p.add_argument("corpus", help="text file, directory, or .gz/.bz2/.xz file")
    p.add_argument(
        "-o", "--output", required=True, help="phrased corpus to write (.gz/.bz2/.xz: compressed)"
    )
    p.add_argument("--min-count", type=int, default=None, help="default 5")
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="default: 100 (word2phrase), 10 (gensim), 0.5 (npmi)",
    )
    p.add_argument(
        "--scoring", choices=("word2phrase", "gensim", "npmi"), default=None, help="default gensim"
    )
    p.add_argument("--passes", type=int, default=None, help="2 = trigrams, ... (default 1)")
    p.add_argument("--delimiter", default=None, help="joins the words of a phrase (default _)")
    p.add_argument(
        "--connector-words",
        choices=("none", "english"),
        default=None,
        help="english: a, the, of ... may sit inside phrases",
    )
    p.add_argument(
        "--save-model",
        metavar="FILE",
        help="also save the learned phrases (.wv or no suffix: native)",
    )
    p.add_argument(
        "--model", metavar="FILE", help="apply phrases saved with --save-model instead of learning"
    )
    p.add_argument("--top", type=int, default=10, help="show this many phrases (default 10)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os

    from wordvec.corpus.phrases import ENGLISH_CONNECTOR_WORDS, Phrases
    from wordvec.io import artefact_format, check_writable

    given = [f"--{n.replace('_', '-')}" for n in _LEARNING if getattr(args, n) is not None]
    if args.top < 0:
        raise ValueError(f"--top must be >= 0, got {args.top}")
    for out in (args.output, args.save_model):
        if out is not None and os.path.realpath(out) == os.path.realpath(args.corpus):
            raise ValueError(f"{out} is the corpus: write the output to another file")
    if args.save_model and os.path.realpath(args.save_model) == os.path.realpath(args.output):
        raise ValueError(f"-o and --save-model are the same file: {args.output}")
    if args.save_model:
        artefact_format("phrases", args.save_model)  # the phrased corpus is text by any name
    for out in (args.output, args.save_model):
        if out is not None:
            check_writable(out)
    t0 = time.perf_counter()
    if args.model:
        if given:
            raise ValueError(f"{', '.join(given)} only apply when learning, not with --model")
        model = Phrases.load(args.model)
        print(f"loaded {len(model):,} phrases from {args.model}", file=sys.stderr)
    else:
        params = {n: getattr(args, n) for n in _LEARNING if getattr(args, n) is not None}
        if "connector_words" in params:
            english = params["connector_words"] == "english"
            params["connector_words"] = ENGLISH_CONNECTOR_WORDS if english else frozenset()
        model = Phrases(**params).fit(args.corpus)
        sizes = ", ".join(f"{len(layer):,}" for layer in model.layers_)
        print(
            f"learned {len(model):,} phrases ({sizes} per pass) in {time.perf_counter() - t0:.1f}s",
            file=sys.stderr,
        )
    if args.top:
        for text, count, score in model.top_phrases(args.top):
            print(f"  {count:9,}  {score:10.4g}  {text}", file=sys.stderr)
    if args.save_model:
        model.save(args.save_model)
        print(f"saved the phrases to {args.save_model}", file=sys.stderr)
    t1 = time.perf_counter()
    joined = model.transform_file(args.corpus, args.output)
    print(
        f"wrote {args.output}: {joined:,} phrases joined in {time.perf_counter() - t1:.1f}s",
        file=sys.stderr,
    )
    return 0
