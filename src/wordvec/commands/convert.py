"""``wordvec convert IN OUT``: rewrite word vectors in another file format.

Formats: native (.wv), word2vec text (.txt, .vec: fastText's format too), word2vec binary
(.bin), GloVe (.glove: text without the header line) and the TensorFlow Embedding Projector
(.tsv: vectors, plus a metadata file beside it). The output format comes from --to or the
output's name; the input's from --from or its contents.
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
    p.add_argument("--unicode-errors", default="strict", choices=("strict", "replace", "ignore"),
                   help="what invalid UTF-8 in an input word does")  # fmt: skip
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wordvec import KeyedVectors
    from wordvec.io import check_format, format_from_name, load_vectors, save_vectors

    to = check_format(args.to_format) if args.to_format else format_from_name(args.output)
    if to is None:
        raise ValueError(
            f"cannot tell the output format from {args.output!r}: pass --to ({FORMAT_HELP})"
        )
    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be >= 1, got {args.limit}")
    kv = load_vectors(args.input, args.from_format, unicode_errors=args.unicode_errors)
    if args.limit is not None and args.limit < len(kv):
        kv = KeyedVectors(kv.index_to_key[: args.limit], kv.vectors[: args.limit],
                          kv.counts[: args.limit])  # fmt: skip
    save_vectors(kv, args.output, to)
    print(f"wrote {len(kv):,} words x {kv.vector_size} ({to}) to {args.output}", file=sys.stderr)
    return 0
