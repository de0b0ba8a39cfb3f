"""``wordvec train CORPUS -o OUT``: train a model with a live progress bar, then report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP_FORMATS = "native model (.wv, default), word2vec text (.txt/.vec) or binary (.bin)"


def add_training_options(p: argparse.ArgumentParser) -> None:
    """The Word2Vec parameters as options (gensim's names, ``wordvec.params``); shared with
    ``demo``."""
    from wordvec.params import add_arguments

    add_arguments(p.add_argument_group("training"))


def model_params(args: argparse.Namespace) -> dict:
    from wordvec.params import from_args

    return from_args(args)


def register(sub) -> None:
    p = sub.add_parser("train", help="train word vectors on a corpus")
    p.add_argument("corpus", help="text file, directory, or .gz/.bz2/.xz file")
    p.add_argument("-o", "--output", required=True, help=HELP_FORMATS)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--checkpoint", help="write a resumable checkpoint here (each epoch, Ctrl-C)")
    p.add_argument("--checkpoint-every", type=float, default=600.0, metavar="SECONDS",
                   help="also checkpoint this often (default 600)")  # fmt: skip
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue the run saved in CHECKPOINT")
    add_training_options(p)
    p.set_defaults(run=run)


def train_with_progress(corpus, params: dict, quiet: bool = False, checkpoint=None,
                        checkpoint_every=None, resume=None):  # fmt: skip
    """Build the vocabulary and train (or resume), with tqdm bars; returns the model."""
    from tqdm import tqdm

    from wordvec import Word2Vec

    disable = quiet or None  # None: tqdm turns itself off when stderr is not a terminal
    bar = tqdm(total=1, unit="word", unit_scale=True, desc="training", disable=disable,
               file=sys.stderr, delay=0.5)  # fmt: skip

    def progress(done: int, total: int, loss: float) -> None:
        bar.total = total
        bar.update(done - bar.n)
        bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    try:
        with bar:
            if resume:
                model = Word2Vec.resume(resume, corpus, progress=progress,
                                        checkpoint_every=checkpoint_every)  # fmt: skip
            else:
                model = Word2Vec(**params)
                with tqdm(total=_corpus_bytes(corpus), unit="B", unit_scale=True,
                          desc="vocabulary", disable=disable, file=sys.stderr) as vbar:  # fmt: skip
                    model.build_vocab(corpus, progress=vbar.update)
                model.train(progress=progress, checkpoint=checkpoint,
                            checkpoint_every=checkpoint_every)  # fmt: skip
    except KeyboardInterrupt:
        where = resume or checkpoint
        if where:
            print(f"interrupted: checkpoint saved to {where}; continue with "
                  f"--resume {where}", file=sys.stderr)  # fmt: skip
        raise
    print(model.report_.summary(), file=sys.stderr)
    return model


def _corpus_bytes(corpus) -> int | None:
    p = Path(corpus)
    if p.is_file():
        return p.stat().st_size
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return None


def save_model(model, output: str) -> str:
    """Save by the output's extension: .bin/.txt/.vec = word2vec formats, else native."""
    suffix = Path(output).suffix.lower()
    if suffix in (".bin", ".txt", ".vec"):
        from wordvec.io import save_word2vec

        save_word2vec(model.wv, output, binary=suffix == ".bin")
        return "word2vec " + ("binary" if suffix == ".bin" else "text")
    model.save(output)
    return "native"


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if not out.parent.exists():
        raise ValueError(f"output directory does not exist: {out.parent}")
    model = train_with_progress(
        args.corpus, model_params(args), args.quiet, checkpoint=args.checkpoint,
        checkpoint_every=args.checkpoint_every if args.checkpoint else None, resume=args.resume,
    )  # fmt: skip
    kind = save_model(model, args.output)
    print(f"saved {kind} model to {args.output}", file=sys.stderr)
    return 0
