"""``wordvec evaluate MODEL --analogies FILE --pairs FILE``: analogy accuracy and word-pair
correlation, as a table and optionally as JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

GENSIM_CUTOFF = 300_000  # gensim's default restrict_vocab for evaluate_word_analogies
# the evaluation sets shipped in wordvec/data (src/wordvec/data/README.md: provenance, licences)
BUNDLED = {"questions-words": "questions-words.txt", "wordsim353": "wordsim353.tsv"}


def bundled(name: str) -> Path:
    """The path of a shipped evaluation set (``BUNDLED``)."""
    from importlib import resources

    return Path(str(resources.files("wordvec") / "data" / BUNDLED[name]))


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="analogy accuracy and word-similarity correlation",
        description="Evaluate word vectors on analogy questions (Google layout or four words "
        "a line) and on scored word pairs (e.g. WordSim-353); without --analogies or --pairs, "
        "on Google's analogies and WordSim-353, which ship with wordvec. Numbers match "
        "gensim's evaluate_word_analogies (3cosadd) and evaluate_word_pairs.",
    )
    p.add_argument("model", help="native model or vectors (.wv), or word2vec text/binary")
    p.add_argument(
        "--analogies",
        metavar="FILE",
        help="analogy questions (questions-words: Google's set, shipped with wordvec)",
    )
    p.add_argument(
        "--pairs",
        metavar="FILE",
        help="word pairs with human scores (wordsim353: WordSim-353, shipped)",
    )
    p.add_argument("--method", choices=("3cosadd", "3cosmul"), default="3cosadd")
    cut = p.add_mutually_exclusive_group()
    cut.add_argument(
        "--restrict-vocab",
        type=int,
        default=30_000,
        metavar="N",
        help="analogies use the N most frequent words (default 30,000, the C tool's)",
    )
    cut.add_argument(
        "--gensim-cutoff",
        dest="restrict_vocab",
        action="store_const",
        const=GENSIM_CUTOFF,
        help=f"analogies use gensim's default cutoff, {GENSIM_CUTOFF:,} words",
    )
    p.add_argument(
        "--no-case-fold",
        dest="case_insensitive",
        action="store_false",
        help="compare words as written (default: upper-cased, as gensim)",
    )
    p.add_argument(
        "--oov",
        choices=("skip", "ngrams"),
        default="skip",
        help="word pairs and analogy questions with a word outside the vocabulary (or the "
        "analogies' cutoff): skip them (default, as gensim) or, with a subword model (FastText), "
        "answer them from the words' n-grams (an expected word outside the cutoff: wrong)",
    )
    p.add_argument("--json", metavar="OUT.json", help="also write the results here as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wordvec.commands.query import load_vectors  # a fastText .bin: its subword vectors
    from wordvec.io import artefact_format, atomic_write, check_writable
    from wordvec.vectors.evaluate import evaluate_analogies, evaluate_word_pairs

    if not (args.analogies or args.pairs):  # the two sets shipped with wordvec
        args.analogies, args.pairs = (str(bundled(name)) for name in BUNDLED)
        print(
            "evaluating on the sets shipped with wordvec (Google analogies, WordSim-353); "
            "--analogies FILE / --pairs FILE for others",
            file=sys.stderr,
        )
    args.analogies = str(bundled(args.analogies)) if args.analogies in BUNDLED else args.analogies
    args.pairs = str(bundled(args.pairs)) if args.pairs in BUNDLED else args.pairs
    if args.restrict_vocab < 1:
        raise ValueError(f"--restrict-vocab must be >= 1, got {args.restrict_vocab}")
    for path in (args.model, args.analogies, args.pairs):
        if path is not None and not Path(path).is_file():
            raise FileNotFoundError(2, "no such file", path)
    if args.json:
        check_writable(args.json)  # first: a directory is named as one, not as a bad suffix
        artefact_format("json", args.json)
    kv = load_vectors(args.model)
    report: dict = {"model": args.model, "words": len(kv), "dimensions": kv.vector_size}
    if args.analogies:
        r = evaluate_analogies(
            kv, args.analogies, args.restrict_vocab, args.method, args.case_insensitive, args.oov
        )
        report["analogies"] = {"file": args.analogies, **r.to_dict()}
        print_analogies(args.analogies, r, args.case_insensitive)
    if args.pairs:
        r = evaluate_word_pairs(kv, args.pairs, args.case_insensitive, oov=args.oov)
        report["pairs"] = {"file": args.pairs, **r.to_dict()}
        print_pairs(args.pairs, r)
    if args.json:
        with atomic_write(args.json) as f:
            f.write(json.dumps(report, indent=2, ensure_ascii=False).encode() + b"\n")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def _pct(x: float) -> str:
    return "   n/a" if math.isnan(x) else f"{100 * x:5.1f}%"


def print_analogies(path: str, r, case_insensitive: bool) -> None:
    fold = "case folded" if case_insensitive else "case kept"
    print(f"analogies: {path} ({r.method}, {r.restrict_vocab:,} most frequent words, {fold})")
    width = max([len(k) for k in r.sections] + [10])
    print(f"  {'section':<{width}}  {'correct':>7}  {'total':>6}  accuracy")
    for name, (c, t) in r.sections.items():
        print(f"  {name:<{width}}  {c:>7,}  {t:>6,}  {_pct(c / t if t else math.nan)}")
    print(f"  {'semantic':<{width}}  {'':>7}  {'':>6}  {_pct(r.semantic)}")
    print(f"  {'syntactic':<{width}}  {'':>7}  {'':>6}  {_pct(r.syntactic)}")
    print(f"  {'total':<{width}}  {r.correct:>7,}  {r.total:>6,}  {_pct(r.accuracy)}")
    asked = r.total + r.skipped
    print(
        f"  skipped: {r.skipped:,} of {asked:,} questions (a word outside the vocabulary)"
        + (f"  answered from n-grams {r.from_ngrams:,}" if r.from_ngrams else "")
    )


def print_pairs(path: str, r) -> None:
    def num(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.4f}"

    print(f"word pairs: {path}")
    print(
        f"  spearman {num(r.spearman)}  pearson {num(r.pearson)}  pairs {r.pairs:,}  "
        f"out of vocabulary {r.oov:,} ({_pct(r.oov_ratio).strip()})"
        + (f"  scored from n-grams {r.from_ngrams:,}" if r.from_ngrams else "")
    )
