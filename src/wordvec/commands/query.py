"""``wordvec similar MODEL WORD...`` and ``wordvec analogy MODEL A B C``.

A subword model (a native ``FastText``, or a fastText ``.bin``) answers words outside its
vocabulary too, from their character n-grams; a word none of whose n-grams it knows is one line.
"""

from __future__ import annotations

import argparse
import contextlib


def load_vectors(path: str):
    """KeyedVectors from any format wordvec reads (native files memory-mapped), with the
    approximate index kept beside it (``MODEL.ann``, see ``wordvec.ann``) attached when usable;
    a stale one, or one without faiss installed, is left unused with a line on stderr.

    A subword model's are ``FastTextKeyedVectors`` (every word gets a vector): a native
    FastText's from ``wordvec.io.load_vectors``, a fastText ``.bin``'s from ``FastText.load``
    (``wordvec.io`` reads only its words' vectors); a ``.bin`` FastText cannot train on (a
    supervised or pruned model) gives its words' vectors."""
    from wordvec.ann import use_index_beside
    from wordvec.io import FormatError, load_vectors, sniff_format

    kv = None
    if sniff_format(path) == "fasttext-bin":
        from wordvec import FastText

        with contextlib.suppress(FormatError):  # else not a model FastText reads: below
            kv = FastText.load(path).wv
    if kv is None:
        kv = load_vectors(path, mmap=True)
    use_index_beside(kv, path)
    return kv


def register(sub) -> None:
    p = sub.add_parser("similar", help="nearest neighbours of words")
    p.add_argument("model")
    p.add_argument("words", nargs="+")
    p.add_argument("--topn", type=int, default=10)
    p.set_defaults(run=run_similar)
    p = sub.add_parser("analogy", help="A is to B as C is to ? (3CosAdd)")
    p.add_argument("model")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("c")
    p.add_argument("--topn", type=int, default=5)
    p.set_defaults(run=run_analogy)


def _print(title: str, rows: list[tuple[str, float]]) -> None:
    print(title)
    for w, s in rows:
        print(f"  {s:7.4f}  {w}")


def run_similar(args: argparse.Namespace) -> int:
    kv = load_vectors(args.model)
    for w in args.words:
        _print(f"{w}:", kv.most_similar(w, topn=args.topn))
    return 0


def run_analogy(args: argparse.Namespace) -> int:
    kv = load_vectors(args.model)
    rows = kv.most_similar(positive=[args.b, args.c], negative=[args.a], topn=args.topn)
    _print(f"{args.a} is to {args.b} as {args.c} is to:", rows)
    return 0
