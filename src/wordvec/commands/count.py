"""The count-based subcommands: ``wordvec cooccur``, ``wordvec ppmi`` and ``wordvec glove``.

    wordvec cooccur corpus.txt -o counts.npz --window 5         # the matrix alone (.npz or native)
    wordvec ppmi corpus.txt -o ppmi.wv                          # PPMI + SVD (Levy et al. 2015)
    wordvec glove corpus.txt -o glove.wv --epochs 15            # GloVe

Vectors are saved by the output's suffix as ``wordvec train`` does: ``.bin``/``.txt``/``.vec``
word2vec formats, ``.glove`` GloVe text, anything else the native model file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_COUNT_HELP = "text file, directory, or .gz/.bz2/.xz file"


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
    g.add_argument("--max-memory", type=float, default=1.0, metavar="GB",
                   help="memory for the counting state, in GiB (default 1)")  # fmt: skip
    g.add_argument("--unicode-errors", default="strict", choices=("strict", "replace", "ignore"))


_COUNT_KEYS = ("window", "weighting", "context", "min_count", "max_vocab_size", "max_final_vocab",
               "sample", "seed", "workers", "unicode_errors")  # fmt: skip


def _params(args: argparse.Namespace, keys: tuple[str, ...]) -> dict:
    params = {k: getattr(args, k) for k in (*_COUNT_KEYS, *keys)}
    if args.max_memory <= 0:
        raise ValueError(f"--max-memory must be > 0 GiB, got {args.max_memory}")
    params["max_memory"] = int(args.max_memory * (1 << 30))
    return params


_PPMI_KEYS = ("vector_size", "cds", "shift", "eig", "add_context", "svd_solver")
_GLOVE_KEYS = ("vector_size", "x_max", "alpha", "eta", "epochs", "add_context", "deterministic")


def register(sub) -> None:
    p = sub.add_parser("cooccur", help="count a word-word co-occurrence matrix")
    p.add_argument("corpus", help=_COUNT_HELP)
    p.add_argument("-o", "--output", required=True, help=".npz (NumPy, no pickle) or native")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _count_options(p, 5, "uniform", 0.0)
    p.set_defaults(run=run)

    p = sub.add_parser("ppmi", help="word vectors from PPMI + truncated SVD (Levy et al. 2015)")
    p.add_argument("corpus", help=_COUNT_HELP)
    p.add_argument("-o", "--output", required=True, help="native (.wv), .bin, .txt/.vec, .glove")
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
    p.add_argument("-o", "--output", required=True, help="native (.wv), .bin, .txt/.vec, .glove")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _count_options(p, 10, "harmonic", 0.0)
    g = p.add_argument_group("GloVe")
    g.add_argument("--vector-size", type=int, default=100)
    g.add_argument("--x-max", type=float, default=100.0)
    g.add_argument("--alpha", type=float, default=0.75, help="exponent of the weighting f(x)")
    g.add_argument("--eta", type=float, default=0.05, help="AdaGrad learning rate")
    g.add_argument("--epochs", type=int, default=25)
    g.add_argument("--no-add-context", dest="add_context", action="store_false",
                   help="vectors W alone (default W + C)")  # fmt: skip
    g.add_argument(
        "--nondeterministic",
        dest="deterministic",
        action="store_false",
        help="Hogwild threads as the reference C code (runs differ in the last bits)",
    )
    p.set_defaults(run=run)


def _save_vectors(model, output: str) -> str:
    suffix = Path(output).suffix.lower()
    if suffix in (".bin", ".txt", ".vec"):
        from wordvec.io import save_word2vec

        save_word2vec(model.wv, output, binary=suffix == ".bin")
        return "word2vec " + ("binary" if suffix == ".bin" else "text")
    if suffix == ".glove":
        from wordvec.io import save_glove

        save_glove(model.wv, output)
        return "GloVe text"
    model.save(output)
    return "native"


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    out = Path(args.output)
    if not out.parent.exists():
        raise ValueError(f"output directory does not exist: {out.parent}")
    if not Path(args.corpus).exists():
        raise ValueError(f"no such corpus: {args.corpus}")
    disable = args.quiet or None  # None: tqdm turns itself off when stderr is not a terminal
    bar = tqdm(total=1, unit="tok", unit_scale=True, desc=args.command, disable=disable,
               file=sys.stderr, delay=0.5)  # fmt: skip

    def progress(done: int, total: int, *loss: float) -> None:
        bar.total = total
        bar.update(done - bar.n)
        if loss:
            bar.set_postfix(loss=f"{loss[0]:.4f}", refresh=False)

    with bar:
        if args.command == "cooccur":
            from wordvec.cooccurrence import Cooccurrence

            model = Cooccurrence(**_params(args, ())).fit(args.corpus, progress=progress)
        elif args.command == "ppmi":
            from wordvec.ppmi import PPMI

            model = PPMI(**_params(args, _PPMI_KEYS)).fit(args.corpus, progress=progress)
        else:
            from wordvec.glove import GloVe

            model = GloVe(**_params(args, _GLOVE_KEYS)).fit(args.corpus, progress=progress)
    if args.command == "cooccur":
        model.save(args.output)
        m = model.matrix_
        print(f"{m.shape[0]:,} words, {m.nnz:,} non-zero pairs; saved to {args.output}",
              file=sys.stderr)  # fmt: skip
        return 0
    kind = _save_vectors(model, args.output)
    times = ", ".join(f"{k} {v:.1f} s" for k, v in model.seconds_.items())
    print(f"{len(model.wv):,} words x {model.wv.vector_size}; {times}; saved {kind} vectors to "
          f"{args.output}", file=sys.stderr)  # fmt: skip
    return 0
