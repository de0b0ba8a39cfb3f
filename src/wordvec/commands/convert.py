"""``wordvec convert IN OUT``: rewrite word vectors in another file format.

Formats: native (.wv), word2vec text (.txt, .vec: fastText's format too), word2vec binary
(.bin), GloVe (.glove: text without the header line) and the TensorFlow Embedding Projector
(.tsv: vectors, plus a metadata file beside it); any of them gzip, bzip2 or xz compressed
(.gz, .bz2, .xz after the suffix). The input may also be a fastText .bin model (its word
vectors). The output format comes from --to or the output's name (the rule every command
uses); the input's from --from or its contents. The output is checked before the input is
read, and may not be the input.
"""

from __future__ import annotations

import argparse
import sys

FORMAT_HELP = "native, text (word2vec/fastText .vec), binary, glove, projector"


def register(sub) -> None:
    p = sub.add_parser(
        "convert",
        help="convert word vectors between file formats",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--from", dest="from_format", metavar="FORMAT", help=FORMAT_HELP)
    p.add_argument("--to", dest="to_format", metavar="FORMAT", help=FORMAT_HELP)
    p.add_argument("--limit", type=int, default=None, help="keep only the first N words")
    p.add_argument(
        "--unicode-errors",
        default="strict",
        choices=("strict", "replace", "ignore"),
        help="what invalid UTF-8 in an input word does",
    )
    p.add_argument(
        "--allow-nonfinite",
        action="store_true",
        help="accept NaN and infinite values (refused by default)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os

    from wordvec import KeyedVectors
    from wordvec.io import check_writable, load_vectors, output_format, output_paths, save_vectors

    try:
        to = output_format(args.output, args.to_format)
    except ValueError as e:
        raise ValueError(f"{e}: pass --to ({FORMAT_HELP})") from None
    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be >= 1, got {args.limit}")
    if not os.path.exists(args.input):
        raise FileNotFoundError(2, "no such file", args.input)
    for path in output_paths(args.output, to):
        if os.path.exists(path) and os.path.samefile(path, args.input):
            raise ValueError(f"{path} is the input: write the output to another file")
        check_writable(path)
    kv = load_vectors(
        args.input,
        args.from_format,
        unicode_errors=args.unicode_errors,
        allow_nonfinite=args.allow_nonfinite,
    )
    if args.limit is not None and args.limit < len(kv):
        kv = KeyedVectors(
            kv.index_to_key[: args.limit], kv.vectors[: args.limit], kv.counts[: args.limit]
        )
    save_vectors(kv, args.output, to)
    print(f"wrote {len(kv):,} words x {kv.vector_size} ({to}) to {args.output}", file=sys.stderr)
    return 0
