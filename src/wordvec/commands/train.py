"""``wordvec train CORPUS -o OUT``: train a model with live progress, then report.

Every output path is checked before the corpus is read; the output's format follows the one
rule of ``wordvec.io.output_format`` (``convert`` and ``demo`` use it too). In a terminal the
progress is a bar; elsewhere (a log file, CI, a notebook) a line every ``--progress-every``
seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HELP_FORMATS = ("by suffix: .wv native model (the default without a suffix: trainable, "
                "queryable), vectors as .bin word2vec binary, .txt/.vec text, .glove, .tsv "
                "projector; .gz/.bz2/.xz after it compresses")  # fmt: skip


def add_training_options(p: argparse.ArgumentParser) -> None:
    """The Word2Vec parameters as options (gensim's names, ``wordvec.params``); shared with
    ``demo``."""
    from wordvec.params import add_arguments

    add_arguments(p.add_argument_group("training"))
    p.add_argument(
        "--progress-every", type=float, default=10.0, metavar="SECONDS",
        help="without a terminal, print a progress line this often (default 10)",
    )  # fmt: skip


def model_params(args: argparse.Namespace) -> dict:
    from wordvec.params import from_args

    return from_args(args)


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train word vectors on a corpus",
        description="Train word2vec on a corpus. The defaults are the library's (gensim's) "
        "except three, shown as such below: --sg 1, --sample 1e-4, --workers 2.",
    )
    p.add_argument("corpus", help="text file, directory, or .gz/.bz2/.xz file")
    p.add_argument("-o", "--output", required=True, help=HELP_FORMATS)
    p.add_argument("--quiet", action="store_true", help="no progress")
    p.add_argument("--checkpoint", help="write a resumable checkpoint here (each epoch, Ctrl-C)")
    p.add_argument("--checkpoint-every", type=float, default=600.0, metavar="SECONDS",
                   help="also checkpoint this often (default 600)")  # fmt: skip
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue the run saved in CHECKPOINT")
    add_training_options(p)
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="train on Ray actors (--workers of them): the cluster at ADDRESS, else "
                   "RAY_ADDRESS or this machine's `ray start` cluster, else a new local one "
                   "(the same as --cluster ray[:ADDRESS]; pip install 'wordvec[ray]'; "
                   "docs/cluster.md)")  # fmt: skip
    p.set_defaults(run=run)


# -- output ---------------------------------------------------------------------------------------
def check_outputs(output: str, *others: str | None, inputs: tuple = ()) -> str:
    """Check every file a run will write, before any work (none may be an input, nor two the
    same file): returns the output's format."""
    from wordvec.io import check_writable, output_format, output_paths

    fmt = output_format(output)
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
    formats its vectors. Returns a description of what was written."""
    from wordvec.io import output_format, save_vectors

    fmt = output_format(output)
    if fmt == "native":
        model.save(output)
        return "native model"
    save_vectors(model.wv, output, fmt)
    return f"{fmt} vectors"


def _model_bytes(model, fmt: str) -> int:
    """About how many bytes the output will take (text: ~12 bytes a value)."""
    v, d = len(model.wv), model.vector_size
    arrays = 1 + (model.syn1neg_ is not None) + (model.syn1_ is not None)
    return v * d * (4 * arrays if fmt == "native" else 4 if fmt == "binary" else 12)


# -- progress -------------------------------------------------------------------------------------
def kernels_cached(names: tuple[str, ...] = ("scan", "train")) -> bool:
    """Whether Numba's cache holds the kernels of ``wordvec.kernels.<name>`` compiled from the
    current sources (else the first run compiles them: tens of seconds)."""
    kernels = Path(__file__).resolve().parents[1] / "kernels"
    roots = [kernels / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        roots.append(Path(os.environ["NUMBA_CACHE_DIR"]))
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
        self.start_training = self.last = time.monotonic()
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
        if done == 0 or not self._due(done >= total):
            return
        elapsed = max(time.monotonic() - self.start_training, 1e-9)
        rate = done / elapsed
        eta = (total - done) / max(rate, 1e-9)
        print(f"training: {100 * done / max(total, 1):5.1f}% ({done:,} of {total:,} words), "
              f"{rate:,.0f} words/s, loss {loss:.4f}, ETA {_duration(eta)}",
              file=self.file, flush=True)  # fmt: skip

    def begin_training(self) -> None:
        self.start_training = self.last = time.monotonic()


def train_with_progress(corpus, params: dict, quiet: bool = False, checkpoint=None,
                        checkpoint_every=None, resume=None, progress_every: float = 10.0,
                        output: str | None = None):  # fmt: skip
    """Build the vocabulary and train (or resume) with progress (bars in a terminal, lines
    otherwise); with ``output``, check its disk space once the vocabulary is known."""
    from wordvec import Word2Vec

    def notice(names: tuple[str, ...]) -> None:
        if not quiet and not kernels_cached(names):
            print("compiling the training kernels for this machine (first run only, about "
                  "20-30 s; later runs load them from Numba's cache)", file=sys.stderr, flush=True)

    terminal = sys.stderr.isatty()
    bars = _Bars(quiet or not terminal, _corpus_bytes(corpus))
    lines = ProgressLines(progress_every, sys.stderr, _corpus_bytes(corpus))
    vocab_progress = None if quiet else bars.vocabulary if terminal else lines.vocabulary
    train_progress = None if quiet else bars.training if terminal else lines.training
    try:
        with bars:
            if resume:
                notice(("scan", "train"))
                lines.begin_training()
                model = Word2Vec.resume(resume, corpus, progress=train_progress,
                                        checkpoint_every=checkpoint_every)  # fmt: skip
            else:
                model = Word2Vec(**params)
                notice(("scan",))
                model.build_vocab(corpus, progress=vocab_progress)
                bars.vocab_done()
                if output is not None:
                    from wordvec.io import check_writable, output_format

                    fmt = output_format(output)
                    check_writable(output, nbytes=_model_bytes(model, fmt))
                notice(("train",))
                lines.begin_training()
                model.train(progress=train_progress, checkpoint=checkpoint,
                            checkpoint_every=checkpoint_every)  # fmt: skip
    except KeyboardInterrupt:
        where = resume or checkpoint
        if where:
            print(f"interrupted: checkpoint saved to {where}; continue with "
                  f"--resume {where}", file=sys.stderr)  # fmt: skip
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

            self.vbar = tqdm(total=self.corpus_bytes, unit="B", unit_scale=True,
                             desc="vocabulary", file=sys.stderr)  # fmt: skip
            self.bar = tqdm(total=1, unit="word", unit_scale=True, desc="training",
                            file=sys.stderr, delay=0.5)  # fmt: skip
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
    from wordvec.params import validate

    check_outputs(args.output, args.checkpoint, inputs=(args.corpus,))
    if args.progress_every < 0:
        raise ValueError(f"--progress-every must be >= 0, got {args.progress_every}")
    if args.checkpoint_every <= 0:
        raise ValueError(f"--checkpoint-every must be > 0, got {args.checkpoint_every}")
    params = model_params(args)
    if getattr(args, "ray", None) is not None:
        params["cluster"] = f"ray:{args.ray}" if args.ray else "ray"
    validate(params)  # a bad parameter is refused before the corpus is read
    if not Path(args.corpus).exists():
        raise FileNotFoundError(2, "corpus not found", args.corpus)
    if args.resume and not Path(args.resume).is_file():
        raise FileNotFoundError(2, "no such checkpoint file", args.resume)
    model = train_with_progress(
        args.corpus, params, args.quiet, checkpoint=args.checkpoint,
        checkpoint_every=args.checkpoint_every if args.checkpoint else None, resume=args.resume,
        progress_every=args.progress_every, output=args.output,
    )  # fmt: skip
    kind = save_model(model, args.output)
    print(f"saved {kind} to {args.output}", file=sys.stderr)
    return 0
