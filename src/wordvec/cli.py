"""The ``wordvec`` command. ``main(argv) -> int``; uses only the public API.

Each subcommand is a module in ``wordvec.commands`` with ``register(subparsers)`` (adds its parser;
imports nothing heavy) and ``run(args) -> int``. User mistakes raise ``UserError`` (or one of the
library's ValueError/KeyError/OSError kinds) and print one line, exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import lzma
import pkgutil
import sys
import zlib

from wordvec import commands
from wordvec.commands import UserError

__all__ = ["UserError", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """Usage mistakes as one line (the usage is one ``--help`` away), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


@functools.cache
def build_parser() -> argparse.ArgumentParser:
    """The parser (built once per process: parsing does not change it)."""
    parser = _Parser(
        prog="wordvec", description="Train, query, evaluate, see and export word vectors."
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def _version() -> str:
    from wordvec import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage mistake (already printed)
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("wordvec: interrupted", file=sys.stderr)
        return 130
    except (
        UserError,
        ValueError,
        KeyError,
        OSError,
        EOFError,
        ImportError,
        zlib.error,
        lzma.LZMAError,
    ) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        if isinstance(e, OSError) and e.filename:
            msg = f"{e.filename}: {e.strerror}"
        print(f"wordvec {args.command}: error: {_one_line(msg)}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"wordvec {args.command}: error: out of memory", file=sys.stderr)
        return 2


def _one_line(msg) -> str:
    """An error message on one line, cut to a readable length."""
    text = " ".join(str(msg).split())
    return text if len(text) <= 1000 else text[:1000] + "..."


if __name__ == "__main__":
    sys.exit(main())
