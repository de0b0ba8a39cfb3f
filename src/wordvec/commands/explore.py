"""``wordvec explore MODEL``: the embedding explorer in the browser, served on this machine.

Needs ``pip install 'wordvec[web]'`` (starlette, uvicorn). Binds 127.0.0.1 unless told otherwise
and opens no browser unless ``--open``. Nothing heavy is imported until the command runs. With
``wordvec[ann]``, the approximate index beside the model (``MODEL.ann``) answers neighbours and
analogies (``--index build`` makes it; a stale one is never used).
"""

from __future__ import annotations

import argparse
import sys

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(sub) -> None:
    p = sub.add_parser(
        "explore",
        help="browse neighbours, analogies and projections in the browser (needs wordvec[web])",
        description="Serve a local web page to search the vocabulary, list neighbours, solve "
        "analogies and plot projections. The JSON API is described at /openapi.json.",
    )
    p.add_argument("model", help="native model or word2vec text/binary file")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000; 0 picks a free one)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--max-topn", type=int, default=1000, help="most neighbours per request")
    p.add_argument("--max-points", type=int, default=5000, help="most words per projection")
    p.add_argument(
        "--index",
        choices=["auto", "build", "off"],
        default="auto",
        help="approximate neighbours (needs wordvec[ann]): auto uses MODEL.ann when it is there "
        "and matches the model; build also builds it (or rebuilds a stale one) and saves it; "
        "off searches exactly (default: auto)",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="threads answering queries (one per core)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os

    from wordvec.ann import index_path, use_index_beside
    from wordvec.commands import UserError
    from wordvec.io import load_vectors
    from wordvec.viz.project import MissingDependency

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be from 0 to 65535; got {args.port}")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1; got {args.workers}")
    try:
        from wordvec.web import create_app, serve
    except ImportError as e:
        raise UserError(f"the explorer needs {e.name!r}: pip install 'wordvec[web]'") from None
    print(f"loading {args.model} ...", file=sys.stderr)
    kv = load_vectors(args.model, mmap=True)
    if args.index != "off":
        if args.index == "build" and not index_path(args.model).exists():
            print(f"building {index_path(args.model)} ...", file=sys.stderr)
        try:
            index = use_index_beside(kv, args.model, build=args.index == "build")
        except MissingDependency as e:
            raise UserError(str(e)) from None
        if index is not None:
            print(f"approximate neighbours: {index}", file=sys.stderr)
    app = create_app(
        kv,
        name=os.path.basename(args.model),
        max_topn=args.max_topn,
        max_points=args.max_points,
        workers=args.workers,
    )
    if args.host not in LOOPBACK:
        print(
            f"warning: listening on {args.host}: anyone who can reach this address can query "
            "the model",
            file=sys.stderr,
        )

    def ready(url: str) -> None:
        print(f"wordvec explorer: {url}  ({len(kv):,} words; Ctrl+C to stop)", flush=True)

    serve(app, args.host, args.port, open_browser=args.open, on_ready=ready)
    return 0
