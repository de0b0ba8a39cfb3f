"""``wordvec plot MODEL ... -o out.png``: a scatter of projected words, or the analogy figure.

Needs ``pip install 'wordvec[plot]'`` (matplotlib, scikit-learn); UMAP also needs
``wordvec[umap]``. Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "plot",
        help="plot words projected to 2-D/3-D, or an analogy (needs wordvec[plot])",
        description="Project words with PCA, t-SNE or UMAP and save the picture (PNG, SVG, PDF).",
    )
    p.add_argument("model", help="native model or word2vec text/binary file")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--words", nargs="+", metavar="WORD", help="these words")
    src.add_argument("--top", type=int, metavar="N", help="the N most frequent words")
    src.add_argument("--neighbours-of", metavar="WORD", help="a word and its --topn neighbours")
    src.add_argument(
        "--analogy",
        nargs="+",
        metavar="WORD",
        help="A B C [D]: A is to B as C is to D; arrows A->C and B->D (D defaults to the answer)",
    )
    src.add_argument(
        "--pairs", nargs="+", metavar="FROM:TO", help="arrows, e.g. france:paris italy:rome"
    )
    p.add_argument("--topn", type=int, default=30, help="neighbours for --neighbours-of (30)")
    p.add_argument("--method", choices=("pca", "tsne", "umap"), default="pca")
    p.add_argument("--dims", type=int, choices=(2, 3), default=2)
    p.add_argument("--title", default=None)
    p.add_argument("--no-labels", action="store_true", help="points only")
    p.add_argument("--size", default="9x7", metavar="WxH", help="inches (9x7)")
    p.add_argument("--dpi", type=float, default=120.0)
    p.add_argument("--seed", type=int, default=0, help="random state of t-SNE and UMAP")
    p.add_argument("-o", "--output", required=True, help="out.png, out.svg or out.pdf")
    p.set_defaults(run=run)


def _size(text: str) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size is WIDTHxHEIGHT in inches, e.g. 9x7; got {text!r}") from None
    if not (0 < w <= 100 and 0 < h <= 100):
        raise ValueError(f"--size must be between 0 and 100 inches a side; got {text!r}")
    return w, h


def run(args: argparse.Namespace) -> int:
    from wordvec.commands import UserError
    from wordvec.commands.query import load_vectors
    from wordvec.io import artefact_format, check_writable
    from wordvec.viz.project import MissingDependency, select_words

    artefact_format("figure", args.output)
    figsize = _size(args.size)
    if args.dpi <= 0 or args.dpi > 1200:
        raise ValueError(f"--dpi must be in (0, 1200]; got {args.dpi}")
    if (args.analogy or args.pairs) and args.dims == 3:
        raise ValueError("analogy plots are 2-D; drop --dims 3")
    from wordvec.viz import plot  # NumPy only; matplotlib is imported when the figure is made

    check_writable(args.output)
    kv = load_vectors(args.model)
    try:
        if args.analogy or args.pairs:
            pairs = (
                plot.analogy_pairs(kv, args.analogy)
                if args.analogy
                else plot.parse_pairs(args.pairs)
            )
            fig = plot.plot_analogy(
                kv,
                pairs,
                method=args.method,
                title=args.title,
                seed=args.seed,
                figsize=figsize,
                dpi=args.dpi,
            )
            what = ", ".join(f"{x}->{y}" for x, y in pairs)
        else:
            words = select_words(
                kv,
                words=args.words,
                top=args.top,
                neighbours_of=args.neighbours_of,
                topn=args.topn,
            )
            fig = plot.plot_words(
                kv,
                words,
                method=args.method,
                dims=args.dims,
                highlight=[args.neighbours_of] if args.neighbours_of else (),
                title=args.title,
                labels=not args.no_labels,
                seed=args.seed,
                figsize=figsize,
                dpi=args.dpi,
            )
            what = f"{len(words)} words"
    except MissingDependency as e:
        raise UserError(str(e)) from None
    plot.save_figure(fig, args.output)
    print(f"wrote {args.output} ({what}, {args.method} {args.dims}-D)")
    return 0
