"""The count-based subcommands: ``wordvec cooccur``, ``wordvec ppmi`` and ``wordvec glove``.

    wordvec cooccur corpus.txt -o counts.npz --window 5         # the matrix alone (.npz or native)
    wordvec ppmi corpus.txt -o ppmi.wv                          # PPMI + SVD (Levy et al. 2015)
    wordvec glove corpus.txt -o glove.wv --epochs 15            # GloVe

Every output is named by the one rule of ``wordvec.io.artefact_format``, checked before the
corpus is read: vectors as ``wordvec train`` writes them (``.wv`` or no suffix the native model,
``.bin``/``.txt``/``.vec``/``.glove``/``.tsv`` vectors in that format), the matrix ``.npz`` or
native (``.wv`` or no suffix); any other suffix is an error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_COUNT_HELP = "text file, directory, or .gz/.bz2/.xz file"
_VECTORS_HELP = (
    "by suffix: .wv native model (also without a suffix), vectors as .bin word2vec "
    "binary, .txt/.vec text, .glove, .tsv projector; .gz/.bz2/.xz after it "
    "compresses"
)


def _count_options(p: argparse.ArgumentParser, window: int, weighting: str, sample: float) -> None:
    """The co-occurrence options every count-based model shares."""
    g = p.add_argument_group("co-occurrence")
    g.add_argument("--window", type=int, default=window)
    g.add_argument(
        "--weighting",
        default=weighting,
        choices=("uniform", "harmonic", "dynamic"),
        help="weight of a pair at distance d: 1, 1/d or (window - d + 1)/window",
    )
    g.add_argument("--context", default="symmetric", choices=("symmetric", "left", "right"))
    g.add_argument("--min-count", type=int, default=5)
    g.add_argument("--max-vocab-size", type=int, default=None)
    g.add_argument("--max-final-vocab", type=int, default=None)
    g.add_argument("--sample", type=float, default=sample, help="subsampling threshold (0: off)")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--workers", type=int, default=2)
    g.add_argument(
        "--max-memory",
        type=float,
        default=None,
        metavar="GB",
        help="memory the count may hold above the process's baseline, in GiB (a hard bound: "
        "what does not fit goes to --work-dir); default: the memory free now",
    )
    g.add_argument(
        "--work-dir",
        default=None,
        metavar="DIR",
        help="folder for what does not fit in --max-memory (removed at the end); default: the "
        "system's temporary folder",
    )
    g.add_argument("--unicode-errors", default="strict", choices=("strict", "replace", "ignore"))


_COUNT_KEYS = (
    "window",
    "weighting",
    "context",
    "min_count",
    "max_vocab_size",
    "max_final_vocab",
    "sample",
    "seed",
    "workers",
    "unicode_errors",
    "work_dir",
)


def _params(args: argparse.Namespace, keys: tuple[str, ...]) -> dict:
    params = {k: getattr(args, k) for k in (*_COUNT_KEYS, *keys)}
    if args.max_memory is not None and args.max_memory <= 0:
        raise ValueError(f"--max-memory must be > 0 GiB, got {args.max_memory}")
    params["max_memory"] = None if args.max_memory is None else int(args.max_memory * (1 << 30))
    return params


_PPMI_KEYS = ("vector_size", "cds", "shift", "eig", "add_context", "svd_solver")
_GLOVE_KEYS = ("vector_size", "x_max", "alpha", "eta", "epochs", "add_context", "deterministic")


def register(sub) -> None:
    p = sub.add_parser("cooccur", help="count a word-word co-occurrence matrix")
    p.add_argument("corpus", help=_COUNT_HELP)
    p.add_argument(
        "-o", "--output", required=True, help=".npz (NumPy, no pickle), or .wv / no suffix (native)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _count_options(p, 5, "uniform", 0.0)
    p.set_defaults(run=run)

    p = sub.add_parser("ppmi", help="word vectors from PPMI + truncated SVD (Levy et al. 2015)")
    p.add_argument("corpus", help=_COUNT_HELP)
    p.add_argument("-o", "--output", required=True, help=_VECTORS_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _count_options(p, 2, "dynamic", 1e-5)
    g = p.add_argument_group("PPMI + SVD")
    g.add_argument("--vector-size", type=int, default=100)
    g.add_argument("--cds", type=float, default=0.75, help="context smoothing exponent")
    g.add_argument("--shift", type=float, default=1.0, help="k of the shifted PPMI (log k)")
    g.add_argument("--eig", type=float, default=0.5, help="singular value exponent (0, 0.5, 1)")
    g.add_argument("--add-context", action="store_true", help="vectors W + C")
    g.add_argument("--svd-solver", default="randomized", choices=("randomized", "arpack"))
    p.set_defaults(run=run)

    p = sub.add_parser("glove", help="train GloVe word vectors")
    p.add_argument("corpus", help=_COUNT_HELP)
    p.add_argument("-o", "--output", required=True, help=_VECTORS_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _count_options(p, 10, "harmonic", 0.0)
    g = p.add_argument_group("GloVe")
    g.add_argument("--vector-size", type=int, default=100)
    g.add_argument("--x-max", type=float, default=100.0)
    g.add_argument("--alpha", type=float, default=0.75, help="exponent of the weighting f(x)")
    g.add_argument("--eta", type=float, default=0.05, help="AdaGrad learning rate")
    g.add_argument("--epochs", type=int, default=25)
    g.add_argument(
        "--no-add-context",
        dest="add_context",
        action="store_false",
        help="vectors W alone (default W + C)",
    )
    g.add_argument(
        "--nondeterministic",
        dest="deterministic",
        action="store_false",
        help="Hogwild threads as the reference C code (runs differ in the last bits)",
    )
    p.set_defaults(run=run)


def _check_output(args: argparse.Namespace) -> str:
    """The output's format by ``artefact_format``, and every file it names checked writable
    (the projector writes two), before any work."""
    from wordvec.io import artefact_format, check_writable, output_paths

    cooccur = args.command == "cooccur"
    fmt = artefact_format("cooccurrence" if cooccur else "vectors", args.output)
    for path in [Path(args.output)] if cooccur else output_paths(args.output, fmt):
        check_writable(path)
    return fmt


def _save(model, output: str, fmt: str) -> str:
    """Native: the whole model (``PPMI.load``/``GloVe.load`` read it); else its vectors."""
    if fmt == "native":
        model.save(output)
        return "native model"
    from wordvec.io import save_vectors

    save_vectors(model.wv, output, fmt)
    return f"{fmt} vectors"


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    fmt = _check_output(args)
    if not Path(args.corpus).exists():
        raise ValueError(f"no such corpus: {args.corpus}")
    disable = args.quiet or None  # None: tqdm turns itself off when stderr is not a terminal
    bar = tqdm(
        total=1,
        unit="tok",
        unit_scale=True,
        desc=args.command,
        disable=disable,
        file=sys.stderr,
        delay=0.5,
    )

    def progress(done: int, total: int, *loss: float) -> None:
        bar.total = total
        bar.update(done - bar.n)
        if loss:
            bar.set_postfix(loss=f"{loss[0]:.4f}", refresh=False)

    with bar:
        if args.command == "cooccur":
            from wordvec.count.cooccurrence import Cooccurrence

            model = Cooccurrence(**_params(args, ())).fit(args.corpus, progress=progress)
        elif args.command == "ppmi":
            from wordvec.count.ppmi import PPMI

            model = PPMI(**_params(args, _PPMI_KEYS)).fit(args.corpus, progress=progress)
        else:
            from wordvec.count.glove import GloVe

            model = GloVe(**_params(args, _GLOVE_KEYS)).fit(args.corpus, progress=progress)
    spill = getattr(model, "spill_", None)  # what went to disk (wordvec.count.spill.Spill)
    if hasattr(spill, "line"):
        print(spill.line(), file=sys.stderr)
    if args.command == "cooccur":
        model.save(args.output)
        m = model.matrix_
        print(
            f"{m.shape[0]:,} words, {m.nnz:,} non-zero pairs; saved to {args.output}",
            file=sys.stderr,
        )
        return 0
    what = _save(model, args.output, fmt)
    times = ", ".join(f"{k} {v:.1f} s" for k, v in model.seconds_.items())
    print(
        f"{len(model.wv):,} words x {model.wv.vector_size}; {times}; saved the {what} to "
        f"{args.output}",
        file=sys.stderr,
    )
    return 0
