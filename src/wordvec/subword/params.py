"""The parameters a subword model adds to Word2Vec's (``wordvec.word2vec.params``): gensim's
names and defaults (fastText's own are ``-minn 3 -maxn 6 -bucket 2000000``)."""

from __future__ import annotations

from typing import Any

from wordvec.word2vec.params import CHECKS, Param, _short

PARAMS: list[Param] = [
    Param("min_n", 3, "int>=0", "shortest character n-gram (0 with max_n 0: no subwords)"),
    Param("max_n", 6, "int>=0", "longest character n-gram (0: no subwords)"),
    Param("bucket", 2_000_000, "int>=0", "rows the n-grams are hashed into"),
]
NAMES: list[str] = [p.name for p in PARAMS]


def validate(params: dict[str, Any]) -> None:
    """Raise ValueError naming the first invalid subword parameter, or a clash."""
    for p in PARAMS:
        ok, what = CHECKS[p.check]
        if not ok(params[p.name]):
            raise ValueError(f"{p.name} must be {what}, got {_short(params[p.name])}")
    min_n, max_n, bucket = params["min_n"], params["max_n"], params["bucket"]
    if not (0 < min_n <= max_n or min_n == max_n == 0):
        raise ValueError(
            f"min_n and max_n must satisfy 0 < min_n <= max_n (or both be 0: no subwords), "
            f"got min_n={min_n}, max_n={max_n}"
        )
    if max_n > 0 and bucket == 0:
        raise ValueError(
            "bucket must be >= 1 when subwords are on (the n-grams need rows): "
            "raise it, or set min_n=max_n=0"
        )
    if params["softmax"]:
        raise ValueError("softmax=True is not offered for FastText: use negative > 0 or hs=1")
    if params["device"] != "cpu":
        raise ValueError(
            "FastText trains on the CPU (threads) or on Ray actors; device='cuda' is not "
            "offered for it yet"
        )
