"""What the test files share: the benchmark data beside the repository, toy corpora, toy vectors.

The helpers are plain functions, imported by name (``from conftest import topic_sentences``):
pytest puts this folder on ``sys.path`` before it imports a test file (the default "prepend"
import mode; ``tests/`` has no ``__init__.py``), and the subprocesses that import a test module
themselves (test_cuda, test_digest) put the folder there too. So this module imports nothing
heavy when it loads (``wordvec`` only inside ``keyed_vectors``).

Each builder is seeded and makes its random draws in a fixed order: a test that calls it gets the
same data on every run, which the calibrated thresholds and the recorded digests rely on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterable

    from wordvec import KeyedVectors

# -- the benchmark data ---------------------------------------------------------------------------
# ../shared/data from the repository root (described in its README.md): not in the repository,
# so the tests that need it skip, saying which file is missing, where it is absent
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_file(name: str) -> Path:
    """``DATA / name``; skips the calling test when that file is absent."""
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"benchmark data absent: {path} (../shared/data beside the repository)")
    return path


@pytest.fixture
def wiki100m() -> Path:
    """The benchmark corpus: the first 10^8 bytes of English Wikipedia, text8-style, one line."""
    return shared_file("wiki100m.txt")


@pytest.fixture
def questions_words() -> Path:
    """Google's analogy test set (19,544 questions in 14 sections)."""
    return shared_file("questions-words.txt")


@pytest.fixture
def wordsim353() -> Path:
    """WordSim-353, tab separated, with a header line."""
    return shared_file("wordsim353.tsv")


# -- toy corpora ----------------------------------------------------------------------------------
def topic_sentences(
    n_sentences: int,
    *,
    seed: int = 0,
    words: int = 8,
    length: int = 12,
    topics: list[list[str]] | None = None,
) -> list[list[str]]:
    """Two topics whose words never share a sentence: sentence ``s`` is ``length`` words drawn,
    with replacement, from topic ``s % 2``; the topics are a0.. and b0.. (``words`` each) unless
    given."""
    rng = np.random.default_rng(seed)
    if topics is None:
        topics = [[f"a{i}" for i in range(words)], [f"b{i}" for i in range(words)]]
    return [list(rng.choice(topics[s % len(topics)], length)) for s in range(n_sentences)]


def zipf_sentences(
    n_sentences: int, vocab: int, length: int | tuple[int, int], *, seed: int = 0
) -> list[list[str]]:
    """Words w0..w{vocab-1}, drawn with probability proportional to 1 / rank: ``length`` words a
    sentence, or, for a pair (lo, hi), a length drawn from [lo, hi) for each sentence first."""
    rng = np.random.default_rng(seed)
    names = [f"w{i}" for i in range(vocab)]
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    out = []
    for _ in range(n_sentences):
        size = rng.integers(*length) if isinstance(length, tuple) else length
        out.append(list(rng.choice(names, size=size, p=p)))
    return out


def zipf_stream(
    n_tokens: int, *, a: float, vocab: int, line: int | None, seed: int = 0
) -> list[list[str]]:
    """``n_tokens`` tokens w{k % vocab}, k drawn from Zipf(a), cut into sentences of ``line``
    tokens (the last one shorter), or kept as one sentence when ``line`` is None."""
    rng = np.random.default_rng(seed)
    tokens = [f"w{i}" for i in rng.zipf(a, n_tokens) % vocab]
    step = line or max(len(tokens), 1)
    return [tokens[i : i + step] for i in range(0, len(tokens), step)]


def write_corpus(path: Path, sentences: Iterable[Iterable[str]], end: str = "\n") -> Path:
    """One sentence a line, words separated by one space, ``end`` after the last line."""
    path.write_text("\n".join(" ".join(s) for s in sentences) + end)
    return path


# -- toy vectors ----------------------------------------------------------------------------------
def royal_words(e: np.ndarray) -> dict[str, np.ndarray]:
    """man:king::woman:queen holds exactly, on the rows of the identity ``e`` (axes: 0 male,
    1 female, 2 person, 3 royal, 4 heir, 5 young)."""
    return {
        "man": e[0] + e[2],
        "woman": e[1] + e[2],
        "king": e[0] + e[3],
        "queen": e[1] + e[3],
        "prince": e[0] + e[3] + 0.6 * e[4],
        "princess": e[1] + e[3] + 0.6 * e[4],
        "boy": e[0] + 0.8 * e[2] + 0.5 * e[5],
        "girl": e[1] + 0.8 * e[2] + 0.5 * e[5],
    }


def add_fillers(
    words: dict[str, np.ndarray], n: int, *, dim: int, split: int, scale: float, seed: int
) -> dict[str, np.ndarray]:
    """Adds filler00..: random on the axes from ``split`` on, ``scale`` times as much below."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        v = np.zeros(dim, np.float32)
        v[split:] = rng.normal(size=dim - split)
        v[:split] = scale * rng.normal(size=split)
        words[f"filler{k:02d}"] = v
    return words


def keyed_vectors(words: dict[str, np.ndarray]) -> KeyedVectors:
    """KeyedVectors of ``words``, in its order."""
    from wordvec import KeyedVectors

    return KeyedVectors(list(words), np.stack(list(words.values())))
