"""``wordvec train CORPUS -o OUT``: train a model with live progress, then report.

Every output path is checked before the corpus is read; the output's format follows the one
rule of ``wordvec.io.output_format`` (``convert`` and ``demo`` use it too). In a terminal the
progress is a bar; elsewhere (a log file, CI, a notebook) a line every ``--progress-every``
seconds. ``--subwords`` trains a ``FastText`` (its options from ``wordvec.subword.params``); for
it a ``.bin`` name is fastText's whole model, not word2vec's binary vectors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# what a first run spends compiling the kernels (measured: bench/results/first-run.md)
COMPILE_COST = "about 15 s on 2 cores"
HELP_FORMATS = (
    "by suffix: .wv native model (the default without a suffix: trainable, "
    "queryable), vectors as .bin word2vec binary, .txt/.vec text, .glove, .tsv "
    "projector; .gz/.bz2/.xz after it compresses. With --subwords, .bin is fastText's "
    "whole model (fasttext.load_model opens it; not word2vec binary vectors) and native "
    "the whole FastText model"
)
KERNELS = ("scan", "train", "merge")  # what a training run compiles
SUBWORD_KERNELS = ("scan", "subword", "ngrams", "merge")  # and a subword (FastText) run


def add_training_options(p: argparse.ArgumentParser) -> None:
    """The Word2Vec parameters as options (gensim's names, ``wordvec.word2vec.params``); shared with
    ``demo``."""
    from wordvec.word2vec.params import add_arguments

    add_arguments(p.add_argument_group("training"))
    p.add_argument(
        "--progress-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="without a terminal, print a progress line this often (default 10)",
    )


def model_params(args: argparse.Namespace) -> dict:
    from wordvec.word2vec.params import from_args

    return from_args(args)


_FLOAT_CHECKS = ("sample", "alpha", "min_alpha", "exponent")  # the others hold integers


def add_subword_options(p: argparse.ArgumentParser) -> None:
    """``--subwords`` and the subword parameters (``wordvec.subword.params``) as options; one
    not given sets nothing (``argparse.SUPPRESS``), so that ``subword_options`` names those
    given."""
    from wordvec.subword.params import PARAMS
    from wordvec.word2vec.params import option

    g = p.add_argument_group("subwords (fastText)")
    g.add_argument(
        "--subwords",
        action="store_true",
        help="train fastText's subword model (wordvec.FastText): a word's vector is the mean "
        "of its own and its character n-grams' rows, so unseen words get vectors too; "
        "Hogwild by default (--deterministic for the same vectors on every run); a .bin "
        "output is then fastText's whole model (fasttext.load_model opens it)",
    )
    for prm in PARAMS:
        kind = float if prm.check in _FLOAT_CHECKS else int
        g.add_argument(
            option(prm.name),
            dest=prm.name,
            type=kind,
            default=argparse.SUPPRESS,
            help=f"{prm.help} (default: {prm.default}; with --subwords)",
        )
    g.add_argument(
        "--deterministic",
        action="store_true",
        default=argparse.SUPPRESS,
        help="with --subwords: the same vectors on every run (FastText's default is Hogwild; "
        "it says in one line when it needs fewer --workers); Word2Vec's default already",
    )


def subword_options(args: argparse.Namespace) -> dict:
    """The subword parameters given on the command line, with their values."""
    from wordvec.subword.params import NAMES

    return {name: getattr(args, name) for name in NAMES if hasattr(args, name)}


def subword_params(args: argparse.Namespace) -> dict:
    """A ``FastText``'s parameters: the Word2Vec options (the command line's defaults) and the
    subword ones; ``deterministic`` FastText's own default unless an option set it. Built by
    the estimator, so that a bad value or clash is its one-line ``ValueError``."""
    from wordvec import FastText

    params = model_params(args) | subword_options(args)
    if not hasattr(args, "deterministic"):
        del params["deterministic"]  # FastText's default (Hogwild), not Word2Vec's
    return FastText(**params).get_params()


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train word vectors on a corpus",
        description="Train word2vec (or, with --subwords, fastText's subword model) on a "
        "corpus. The defaults are the library's (gensim's) "
        "except three, shown as such below: --sg 1, --sample 1e-4, --workers 2.",
    )
    p.add_argument("corpus", help="text file, directory, or .gz/.bz2/.xz file")
    p.add_argument("-o", "--output", required=True, help=HELP_FORMATS)
    p.add_argument("--quiet", action="store_true", help="no progress")
    p.add_argument("--checkpoint", help="write a resumable checkpoint here (each epoch, Ctrl-C)")
    p.add_argument(
        "--checkpoint-every",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="also checkpoint this often (default 600)",
    )
    p.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue the run saved in CHECKPOINT, with its parameters (a training "
        "option that differs from them is refused) and checkpointing to it",
    )
    add_training_options(p)  # --ray [ADDRESS] among them (the cluster parameter)
    add_subword_options(p)
    p.set_defaults(run=run)


# -- output ---------------------------------------------------------------------------------------
def check_outputs(
    output: str, *others: str | None, inputs: tuple = (), subwords: bool = False
) -> str:
    """Check every file a run will write, before any work (none may be an input, nor two the
    same file): returns the output's format. With ``subwords`` a ``.bin`` name is fastText's
    model, which is never compressed (``fasttext.load_model`` reads it as is)."""
    from wordvec.io import artefact_format, check_writable, output_paths, split_compression

    fmt = artefact_format("vectors", output)
    plain, compression = split_compression(output)
    if subwords and fmt == "binary" and compression is not None:
        raise ValueError(
            f"cannot write fastText's .bin model as {str(output)!r}: fasttext.load_model reads "
            f"it uncompressed; name it {str(plain)!r}"
        )
    paths = [*output_paths(output), *(Path(o) for o in others if o)]
    for path in paths:
        check_writable(path)
    names = [os.path.realpath(p) for p in paths]
    if len(set(names)) < len(names):
        raise ValueError(f"two outputs are the same file: {', '.join(map(str, paths))}")
    for i in inputs:
        if i is not None and os.path.realpath(i) in names:
            raise ValueError(f"{i} is an input: write the output to another file")
    return fmt


def save_model(model, output: str) -> str:
    """Save by ``wordvec.io.output_format``: native is the whole model (trainable), the other
    formats its vectors, except a ``FastText``'s ``.bin``: fastText's whole model. Returns a
    description of what was written."""
    from wordvec import FastText
    from wordvec.io import output_format, save_vectors

    fmt = output_format(output)
    if fmt == "native":
        model.save(output)
        return "native model"
    if fmt == "binary" and isinstance(model, FastText):
        model.save(output)  # FastText.save: fastText's .bin for a .bin name
        return "fastText .bin model"
    save_vectors(model.wv, output, fmt)
    return f"{fmt} vectors"


def _model_bytes(model, fmt: str) -> int:
    """About how many bytes the output will take (text: ~12 bytes a value); a FastText's
    whole model (native or .bin) adds its n-gram rows."""
    from wordvec import FastText

    v, d = len(model.wv), model.vector_size
    arrays = 1 + (model.syn1neg_ is not None) + (model.syn1_ is not None)
    if isinstance(model, FastText) and fmt in ("native", "binary"):
        ngrams = model.bucket if model.max_n > 0 else 0
        return 4 * d * (ngrams + v * (arrays + (fmt == "native")))  # native: composed rows too
    return v * d * (4 * arrays if fmt == "native" else 4 if fmt == "binary" else 12)


# -- progress -------------------------------------------------------------------------------------
def kernels_cached(names: tuple[str, ...] = KERNELS) -> bool:
    """Whether Numba's cache holds the kernels of ``wordvec.kernels.<name>`` (those a training
    run compiles) built from the current sources; else the first run compiles them."""
    kernels = Path(__file__).resolve().parents[1] / "kernels"
    # Numba caches beside the sources, or only in NUMBA_CACHE_DIR when that is set
    roots = [Path(os.environ["NUMBA_CACHE_DIR"])] if os.environ.get("NUMBA_CACHE_DIR") else []
    roots = roots or [kernels / "__pycache__"]
    for name in names:
        source = (kernels / f"{name}.py").stat().st_mtime
        found = any(
            f.stat().st_mtime >= source
            for root in roots
            if root.is_dir()
            for f in root.rglob(f"{name}.*.nbi")
        )
        if not found:
            return False
    return True


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class ProgressLines:
    """Progress as plain lines (no terminal): at most one every ``every`` seconds, and one when
    the work is done. ``vocabulary(bytes)`` and ``training(done, total, loss)`` are the
    estimator's progress hooks."""

    def __init__(self, every: float, file=None, corpus_bytes: int | None = None):
        self.every, self.file, self.corpus_bytes = every, file or sys.stderr, corpus_bytes
        self.begin_training()
        self.read = 0

    def _due(self, finished: bool) -> bool:
        now = time.monotonic()
        if finished or now - self.last >= self.every:
            self.last = now
            return True
        return False

    def vocabulary(self, nbytes: int) -> None:
        self.read += nbytes
        if self._due(False):
            of = f" of {self.corpus_bytes / 1e6:,.1f}" if self.corpus_bytes else ""
            print(f"vocabulary: {self.read / 1e6:,.1f}{of} MB read", file=self.file, flush=True)

    def training(self, done: int, total: int, loss: float) -> None:
        """Words/s and the ETA are measured from the first report on, so that the seconds
        before it (a first run compiling the kernels) do not count as training time."""
        if done == 0:
            return
        now = time.monotonic()
        if self.anchor is None:
            self.anchor = (now, done)
        if not self._due(done >= total):
            return
        t0, done0 = self.anchor
        if done > done0 and now > t0:
            rate = (done - done0) / (now - t0)
            speed = f"{rate:,.0f} words/s, loss {loss:.4f}, ETA {_duration((total - done) / rate)}"
        else:  # one report so far: no rate to measure yet
            speed = f"loss {loss:.4f}, ETA when the next report comes"
        print(
            f"training: {100 * done / max(total, 1):5.1f}% ({done:,} of {total:,} words), {speed}",
            file=self.file,
            flush=True,
        )

    def begin_training(self) -> None:
        self.last = time.monotonic()
        self.anchor: tuple[float, int] | None = None


def train_with_progress(
    corpus,
    params: dict,
    quiet: bool = False,
    checkpoint=None,
    checkpoint_every=None,
    resume=None,
    progress_every: float = 10.0,
    output: str | None = None,
    subwords: bool = False,
):
    """Build the vocabulary and train (or resume) with progress (bars in a terminal, lines
    otherwise); with ``output``, check its disk space once the vocabulary is known. A
    ``FastText`` with ``subwords``, else a ``Word2Vec``."""
    from wordvec import FastText, Word2Vec

    estimator = FastText if subwords else Word2Vec
    if not quiet and not kernels_cached(SUBWORD_KERNELS if subwords else KERNELS):
        print(
            f"compiling the training kernels for this machine (first run only, {COMPILE_COST}; "
            "later runs load them from Numba's cache)",
            file=sys.stderr,
            flush=True,
        )

    terminal = sys.stderr.isatty()
    bars = _Bars(quiet or not terminal, _corpus_bytes(corpus))
    lines = ProgressLines(progress_every, sys.stderr, _corpus_bytes(corpus))
    vocab_progress = None if quiet else bars.vocabulary if terminal else lines.vocabulary
    train_progress = None if quiet else bars.training if terminal else lines.training
    try:
        with bars:
            if resume:
                lines.begin_training()
                model = estimator.resume(
                    resume, corpus, progress=train_progress, checkpoint_every=checkpoint_every
                )
            else:
                model = estimator(**params)
                model.build_vocab(corpus, progress=vocab_progress)
                bars.vocab_done()
                if output is not None:
                    from wordvec.io import check_writable, output_format

                    fmt = output_format(output)
                    check_writable(output, nbytes=_model_bytes(model, fmt))
                lines.begin_training()
                model.train(
                    progress=train_progress,
                    checkpoint=checkpoint,
                    checkpoint_every=checkpoint_every,
                )
    except KeyboardInterrupt:
        where = resume or checkpoint
        if where:
            print(
                f"interrupted: checkpoint saved to {where}; continue with --resume {where}",
                file=sys.stderr,
            )
        raise
    print(model.report_.summary(), file=sys.stderr)
    return model


class _Bars:
    """tqdm bars for a terminal (or nothing)."""

    def __init__(self, disable: bool, corpus_bytes: int | None):
        self.disable, self.corpus_bytes = disable, corpus_bytes
        self.vbar = self.bar = None

    def __enter__(self):
        if not self.disable:
            from tqdm import tqdm

            self.vbar = tqdm(
                total=self.corpus_bytes,
                unit="B",
                unit_scale=True,
                desc="vocabulary",
                file=sys.stderr,
            )
            self.bar = tqdm(
                total=1, unit="word", unit_scale=True, desc="training", file=sys.stderr, delay=0.5
            )
        return self

    def __exit__(self, *exc):
        for b in (self.vbar, self.bar):
            if b is not None:
                b.close()

    def vocabulary(self, nbytes: int) -> None:
        self.vbar.update(nbytes)

    def vocab_done(self) -> None:
        if self.vbar is not None:
            self.vbar.close()

    def training(self, done: int, total: int, loss: float) -> None:
        self.bar.total = total
        self.bar.update(done - self.bar.n)
        self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)


def _corpus_bytes(corpus) -> int | None:
    p = Path(corpus)
    if p.is_file():
        return p.stat().st_size
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return None


def run(args: argparse.Namespace) -> int:
    from wordvec.commands import UserError
    from wordvec.word2vec.params import option, validate

    subwords = _trains_subwords(args)
    if not subwords and (given := subword_options(args)):
        one = len(given) == 1
        raise UserError(
            f"{', '.join(map(option, given))} {'is an option' if one else 'are options'} of "
            "the subword model: add --subwords"
        )
    fmt = check_outputs(args.output, args.checkpoint, inputs=(args.corpus,), subwords=subwords)
    if args.progress_every < 0:
        raise ValueError(f"--progress-every must be >= 0, got {args.progress_every}")
    if args.checkpoint_every <= 0:
        raise ValueError(f"--checkpoint-every must be > 0, got {args.checkpoint_every}")
    # a bad parameter is refused before the corpus is read
    params = subword_params(args) if subwords else model_params(args)
    if not subwords:
        validate(params)
    elif fmt == "binary" and _resumed(args, params).get("nce"):
        raise ValueError("fastText's .bin holds negative sampling or hs models, not NCE ones")
    if not Path(args.corpus).exists():
        raise FileNotFoundError(2, "corpus not found", args.corpus)
    if args.resume:
        if not Path(args.resume).is_file():
            raise FileNotFoundError(2, "no such checkpoint file", args.resume)
        refuse_contradictions(args, subwords)
    checkpointing = args.checkpoint or args.resume  # a resumed run checkpoints to its own file
    model = train_with_progress(
        args.corpus,
        params,
        args.quiet,
        checkpoint=args.checkpoint,
        checkpoint_every=args.checkpoint_every if checkpointing else None,
        resume=args.resume,
        progress_every=args.progress_every,
        output=args.output,
        subwords=subwords,
    )
    kind = save_model(model, args.output)
    print(f"saved {kind} to {args.output}", file=sys.stderr)
    return 0


def _trains_subwords(args: argparse.Namespace) -> bool:
    """Whether the run trains a ``FastText``: ``--subwords``, or the checkpoint resumed is a
    FastText's (its header says; an unreadable one is left for resuming to explain)."""
    from wordvec.subword.model import CHECKPOINT_KIND

    kind = _checkpoint_head(args.resume).get("kind") if args.resume else None
    return args.subwords if kind is None else kind == CHECKPOINT_KIND


def _checkpoint_head(path: str) -> dict:
    """The header of the checkpoint at ``path``; {} where it cannot be read (resuming it
    then says why)."""
    from wordvec.io import load_native

    try:
        head = load_native(path, mmap=True, lazy=True)[0]  # the header only: nothing read
    except (OSError, ValueError, EOFError):
        return {}
    return head if isinstance(head, dict) else {}


def _resumed(args: argparse.Namespace, params: dict) -> dict:
    """The parameters the run trains with: the checkpoint's when resuming, else ``params``."""
    if not args.resume:
        return params
    saved = _checkpoint_head(args.resume).get("params")
    return saved if isinstance(saved, dict) else {}


def refuse_contradictions(args: argparse.Namespace, subwords: bool = False) -> None:
    """``--resume`` continues the checkpoint's run with the checkpoint's parameters: refuse,
    in one line, every training option given on the command line that differs from them (one
    that repeats the checkpoint's value changes nothing and is let through), ``--subwords``
    for a Word2Vec's checkpoint, and a ``--checkpoint`` other than the file resumed (the
    resumed run checkpoints to that one). ``subwords``: the checkpoint is a FastText's."""
    from wordvec.io import load_native
    from wordvec.word2vec.params import given

    wrong = []
    if args.checkpoint and os.path.realpath(args.checkpoint) != os.path.realpath(args.resume):
        wrong.append((f"--checkpoint {args.checkpoint}", f"it checkpoints to {args.resume}"))
    if args.subwords and not subwords:
        wrong.append(("--subwords", "the checkpoint is a Word2Vec's run"))
    options = given(args) | subword_options(args)
    if options:
        meta = load_native(args.resume, mmap=True, lazy=True)[0]  # the header only
        saved = meta.get("params") if "run" in meta else None
        if isinstance(saved, dict):  # else not a checkpoint: resuming it says so
            wrong += [
                (_as_option(name, value), f"the checkpoint has {_shown(name, saved[name])}")
                for name, value in options.items()
                if name in saved and saved[name] != value
            ]
    if wrong:
        them = "them" if len(wrong) > 1 else "it"
        raise ValueError(
            f"--resume continues the checkpoint's run: "
            f"{'; '.join(f'{o} cannot apply ({why})' for o, why in wrong)}; "
            f"leave {them} out"
        )


def _shown(name: str, value) -> str:
    """A checkpoint's parameter in a message: ``100``; ``deterministic=True``, ``cluster=None``
    where the value alone would say little."""
    return f"{name}={value}" if isinstance(value, bool) or value is None else str(value)


def _as_option(name: str, value) -> str:
    """``as_option`` (``wordvec.word2vec.params``), and ``--deterministic`` as it is typed."""
    from wordvec.word2vec.params import as_option

    return "--deterministic" if name == "deterministic" and value else as_option(name, value)
