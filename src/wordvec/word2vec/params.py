"""The Word2Vec parameters: one table from which the estimator's defaults, ``get_params``, the
validation and the ``wordvec train`` options are all derived.

Names and library defaults follow gensim. The command line keeps three defaults of its own
(``cli_default``), each chosen for someone training on a real corpus from a shell, and its
``--help`` shows them: skip-gram (better vectors for rare words than gensim's CBOW default),
``sample=1e-4`` (the C tool's recommendation for corpora of this size and up), and 2 workers.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, NamedTuple

import numpy as np

_SAME = object()


class Param(NamedTuple):
    name: str
    default: Any
    check: str  # a key of CHECKS
    help: str
    cli_default: Any = _SAME  # the command line's own default, when it differs


def _is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _is_num(x: Any) -> bool:
    return isinstance(x, int | float | np.number) and not isinstance(x, bool)


# check -> (test, what a valid value is)
CHECKS: dict[str, tuple[Any, str]] = {
    "int>=1": (lambda x: _is_int(x) and x >= 1, "an integer >= 1"),
    "int>=0": (lambda x: _is_int(x) and x >= 0, "an integer >= 0"),
    "none|int>=1": (lambda x: x is None or (_is_int(x) and x >= 1), "None or an integer >= 1"),
    "flag": (lambda x: x in (0, 1, True, False) and not isinstance(x, float), "0/1 or a bool"),
    "sample": (lambda x: _is_num(x) and 0 <= x < 1, "a number in [0, 1)"),
    "alpha": (lambda x: _is_num(x) and 0 < x <= 1, "a number in (0, 1]"),
    "min_alpha": (lambda x: _is_num(x) and 0 <= x <= 1, "a number in [0, alpha]"),
    "exponent": (lambda x: _is_num(x) and -10 <= x <= 10, "a number in [-10, 10]"),
    "int": (_is_int, "an integer"),
    "unicode": (lambda x: x in ("strict", "replace", "ignore"), "'strict', 'replace' or 'ignore'"),
    "device": (lambda x: x in ("cpu", "cuda"), "'cpu' or 'cuda'"),
    "memory": (
        lambda x: x is None or (_is_int(x) and x >= 1 << 20),
        "None or an integer number of bytes >= 1 MiB",
    ),
    "path": (lambda x: x is None or isinstance(x, str | os.PathLike), "None or a folder"),
    "cluster": (
        lambda x: x is None or (isinstance(x, str) and (x == "ray" or x.startswith("ray:"))),
        "None, 'ray' (a local cluster) or 'ray:ADDRESS'",
    ),
}

PARAMS: list[Param] = [
    Param("vector_size", 100, "int>=1", "dimensions of the vectors"),
    Param("window", 5, "int>=1", "largest distance between a word and its context"),
    Param("min_count", 5, "int>=0", "drop words seen fewer times"),
    Param("max_vocab_size", None, "none|int>=1", "prune rarest words while scanning beyond this"),
    Param("max_final_vocab", None, "none|int>=1", "raise min_count to keep at most this many"),
    Param("sample", 1e-3, "sample", "subsampling threshold of frequent words", cli_default=1e-4),
    Param("alpha", 0.025, "alpha", "initial learning rate"),
    Param("min_alpha", 0.0001, "min_alpha", "final learning rate"),
    Param("epochs", 5, "int>=1", "passes over the corpus"),
    Param("negative", 5, "int>=0", "noise words per pair (0: no negative sampling)"),
    Param("ns_exponent", 0.75, "exponent", "noise distribution ~ count ** ns_exponent"),
    Param("hs", 0, "flag", "1: hierarchical softmax"),
    Param("sg", 0, "flag", "1: skip-gram, 0: CBOW", cli_default=1),
    Param("cbow_mean", 1, "flag", "CBOW: 1 mean of the context vectors, 0 their sum"),
    Param("softmax", False, "flag", "the full softmax (vocabularies up to 10,000 words)"),
    Param(
        "nce",
        False,
        "flag",
        "noise-contrastive estimation with `negative` noise words, not negative sampling",
    ),
    Param("shrink_windows", True, "flag", "draw each window's size in 1..window, as the C tool"),
    Param("seed", 1, "int", "random seed"),
    Param("workers", 3, "int>=1", "training threads", cli_default=2),
    Param("batch_words", 10_000, "int>=1", "tokens a job (the unit of work and of seeding)"),
    Param("max_sentence_length", 10_000, "int>=1", "longer sentences are cut (nothing dropped)"),
    Param("unicode_errors", "strict", "unicode", "invalid UTF-8: strict, replace or ignore"),
    Param(
        "deterministic",
        True,
        "flag",
        "several workers give the same vectors on every run (False: Hogwild, fastest)",
    ),
    Param(
        "round_words",
        None,
        "none|int>=1",
        "tokens between two consistent points (merges of every row, progress, checkpoints); "
        "default 1,000,000, or 4,000,000 on 2 Ray actors",
    ),
    Param("device", "cpu", "device", "where to train: cpu (threads) or cuda (one GPU)"),
    Param("cluster", None, "cluster", "train on Ray actors (workers = actors): ray or ray:ADDRESS"),
    Param(
        "max_memory",
        None,
        "memory",
        "bytes the run may hold above the interpreter's baseline; the encoded corpus goes to "
        "a file in work_dir when it does not fit (None: the memory free now)",
    ),
    Param("work_dir", None, "path", "where the corpus goes when it does not fit (None: $TMPDIR)"),
]

NAMES: list[str] = [p.name for p in PARAMS]
DEFAULTS: dict[str, Any] = {p.name: p.default for p in PARAMS}


def validate(params: dict[str, Any]) -> None:
    """Raise ValueError naming the first invalid parameter, or a clash between two."""
    for p in PARAMS:
        ok, what = CHECKS[p.check]
        value = params[p.name]
        if not ok(value):
            raise ValueError(f"{p.name} must be {what}, got {_short(value)}")
    if params["min_alpha"] > params["alpha"]:
        raise ValueError(f"min_alpha must be a number in [0, alpha], got {params['min_alpha']!r}")
    if params["softmax"] and (params["hs"] or params["negative"]):
        raise ValueError("softmax=True is the full softmax: set hs=0 and negative=0 with it")
    if params["nce"] and (params["hs"] or params["softmax"] or not params["negative"]):
        raise ValueError(
            "nce=True replaces negative sampling: it needs negative > 0 (its noise "
            "words) and cannot be combined with hs=1 or softmax=True"
        )
    if not (params["softmax"] or params["hs"] or params["negative"]):
        raise ValueError("nothing to train: set negative > 0, hs=1, or softmax=True")


SOFTMAX_MAX_VOCAB = 10_000  # full softmax is O(V d) per pair: beyond this, use hs or negative


def check_vocab_size(params: dict[str, Any], v: int) -> None:
    """Raise ValueError when the full softmax would run over more than ``SOFTMAX_MAX_VOCAB``."""
    if params["softmax"] and v > SOFTMAX_MAX_VOCAB:
        raise ValueError(
            f"softmax=True over {v:,} words would be absurdly slow (O(V) per pair); "
            f"it is allowed up to {SOFTMAX_MAX_VOCAB:,} words: raise min_count or use "
            "negative sampling or hs=1"
        )


def _short(value: Any) -> str:
    """A value as the user would recognise it, never thousands of characters."""
    text = repr(value)
    if len(text) > 60:
        text = f"{text[:40]}... (a {type(value).__name__})"
    return text


# -- the command line -----------------------------------------------------------------------------
_CLI_SKIP = {"batch_words", "max_sentence_length", "round_words"}  # tuning knobs: library only
# options without a value (store_true, store_false): parameter -> its option
_SWITCHES = {
    "deterministic": "--nondeterministic",
    "shrink_windows": "--no-shrink-windows",
    "softmax": "--softmax",
    "nce": "--nce",
}


def option(name: str) -> str:
    """The command line's spelling of parameter ``name``: ``--vector-size``, ``--ray``..."""
    if name == "cluster":
        return "--ray"
    return _SWITCHES.get(name, "--" + name.replace("_", "-"))


def cli_default(name: str) -> Any:
    """Parameter ``name``'s value when its option is not given (as the option would give it)."""
    p = PARAMS[NAMES.index(name)]
    default = p.default if p.cli_default is _SAME else p.cli_default
    return int(default) if p.check == "flag" and name not in _SWITCHES else default


def _ray_address(text: str) -> str:
    """``--ray [ADDRESS]`` as the ``cluster`` parameter: "ray", or "ray:ADDRESS"."""
    return f"ray:{text}" if text else "ray"


def add_arguments(group: argparse._ArgumentGroup) -> None:
    """The parameters as ``--vector-size`` style options; ``--help`` shows the command line's
    defaults. An option not given sets nothing (its default is ``argparse.SUPPRESS``):
    ``from_args`` fills in the defaults and ``given`` names the options that were given."""
    for p in PARAMS:
        if p.name in _CLI_SKIP:
            continue
        flag = option(p.name)
        default = cli_default(p.name)
        help_ = p.help + (
            f" (default: {default}"
            + ("" if p.cli_default is _SAME else f"; the library's: {p.default}")
            + ")"
        )
        kw: dict[str, Any] = {"dest": p.name, "default": argparse.SUPPRESS}
        if p.name == "deterministic":
            group.add_argument(
                flag,
                action="store_false",
                **kw,
                help="fastest mode with several workers (Hogwild): runs differ in "
                "the last bits; default: the same vectors on every run",
            )
        elif p.name == "shrink_windows":
            group.add_argument(
                flag, action="store_false", **kw, help="use the full window for every word"
            )
        elif p.name == "softmax":
            group.add_argument(
                flag, action="store_true", **kw, help=p.help + " (needs --negative 0)"
            )
        elif p.name == "nce":
            group.add_argument(flag, action="store_true", **kw, help=p.help + " (needs --hs 0)")
        elif p.name == "cluster":  # the one spelling of the cluster: --ray [ADDRESS]
            group.add_argument(
                flag,
                nargs="?",
                const="",
                type=_ray_address,
                metavar="ADDRESS",
                **kw,
                help="train on Ray actors (--workers of them): the cluster at ADDRESS "
                "(HOST:PORT, or auto), else RAY_ADDRESS or this machine's `ray start` cluster, "
                'else a new local one (the library\'s cluster="ray[:ADDRESS]"; '
                "pip install 'wordvec[ray]'; docs/cluster.md)",
            )
        elif p.name in ("unicode_errors", "device"):
            unicode = ("strict", "replace", "ignore")
            choices = unicode if p.name == "unicode_errors" else ("cpu", "cuda")
            group.add_argument(flag, choices=choices, help=help_, **kw)
        elif p.check == "flag":
            group.add_argument(flag, type=int, choices=(0, 1), help=help_, **kw)
        elif p.name == "max_memory":  # GiB on the command line, as the count commands
            help_ = "GiB the run may hold above the interpreter's baseline; the corpus goes to "
            help_ += "--work-dir when it does not fit (default: the memory free now)"
            group.add_argument(flag, type=_gib, metavar="GB", help=help_, **kw)
        elif p.name == "work_dir":
            group.add_argument(flag, metavar="DIR", help=help_, **kw)
        else:
            kind = {"sample": float, "alpha": float, "min_alpha": float, "exponent": float}.get(
                p.check, int
            )
            group.add_argument(flag, type=kind, help=help_, **kw)


def _gib(text: str) -> int:
    """--max-memory's GiB as bytes."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of GiB: {text!r}") from None
    if not value * (1 << 30) >= 1 << 20:
        raise argparse.ArgumentTypeError(f"must be at least 0.001 GiB (1 MiB), got {text}")
    return int(value * (1 << 30))


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator's parameters from parsed options: the command line's defaults for the
    options not given, the library's for the parameters that are no options."""
    params = dict(DEFAULTS)
    for name in NAMES:
        if hasattr(args, name):
            params[name] = getattr(args, name)
        elif name not in _CLI_SKIP:
            params[name] = cli_default(name)
    return params


def given(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters whose options were given on the command line, with their values."""
    return {name: getattr(args, name) for name in NAMES if hasattr(args, name)}


def as_option(name: str, value: Any) -> str:
    """Parameter ``name`` = ``value`` as it is typed: ``--vector-size 37``, ``--ray HOST:PORT``,
    ``--nondeterministic``."""
    if name in _SWITCHES:
        return option(name)
    if name == "cluster":
        return "--ray" if value == "ray" else f"--ray {str(value).removeprefix('ray:')}"
    return f"{option(name)} {value}"
