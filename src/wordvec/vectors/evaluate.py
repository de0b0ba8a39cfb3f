"""Intrinsic benchmarks: word analogies (Mikolov et al. 2013) and word-pair similarity.

Both give the numbers gensim's ``evaluate_word_analogies`` and ``evaluate_word_pairs`` give on
the same vectors (3CosAdd; the same vocabulary cutoff and case folding). Analogies are solved a
section at a time: one matrix product gives the cosines of the section's distinct words with
every candidate, then a Numba loop combines them per question (``cos(x, b) + cos(x, c) -
cos(x, a)`` for each candidate ``x``) and NumPy's argmax takes the best: 3 operations per
candidate instead of the d of one matrix-vector product per question.

Conventions (gensim's, which come from the C tool's ``compute-accuracy``):

- Only the ``restrict_vocab`` most frequent words take part: a question counts only if its four
  words are among them (else it is *skipped*), and the answer is searched among them.
- With case folding, words are compared upper-cased and a folded word stands for its most
  frequent spelling; every spelling of the three question words is excluded from the answers.
- Sections whose name starts with ``gram`` are syntactic, the others semantic.

Concession: when two candidates tie to the last bit, the lower row wins here; gensim's order of
ties is unspecified, so on such a question the two may differ.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from wordvec.formats.native import FormatError


class Vectors(Protocol):
    """What the benchmarks read of a ``wordvec.KeyedVectors`` (so this module needs none)."""

    index_to_key: list[str]

    @property
    def unit_vectors(self) -> np.ndarray: ...


COSMUL_EPSILON = 1e-6  # Levy & Goldberg's epsilon in 3CosMul, as gensim

Method = Literal["3cosadd", "3cosmul"]
_BLOCK_FLOATS = 1 << 25  # cosines held at once (128 MB of float32)
_ROWS = 16  # questions scored at once before an argmax


# -- analogies ----------------------------------------------------------------------------------
@dataclass
class AnalogyResult:
    """Analogy accuracy. ``sections``: name -> (correct, total) in file order; ``total`` counts
    the questions answered, ``skipped`` those left out for a word outside the vocabulary cutoff;
    ``from_ngrams``: questions answered although a word is outside the cutoff (``oov="ngrams"``,
    a subword model), counted in ``total``. Accuracies are fractions in [0, 1], NaN when there
    is no question to count."""

    correct: int
    total: int
    skipped: int
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    method: str = "3cosadd"
    restrict_vocab: int = 30000
    from_ngrams: int = 0

    @property
    def accuracy(self) -> float:
        return _ratio(self.correct, self.total)

    def _kind(self, syntactic: bool) -> float:
        parts = [v for k, v in self.sections.items() if k.startswith("gram") == syntactic]
        if list(self.sections) == ["all"]:  # no section headers: kind unknown
            parts = []
        return _ratio(sum(c for c, _ in parts), sum(t for _, t in parts))

    @property
    def semantic(self) -> float:
        """Accuracy over sections not named ``gram*`` (NaN for a file without sections)."""
        return self._kind(False)

    @property
    def syntactic(self) -> float:
        """Accuracy over sections named ``gram*`` (NaN for a file without sections)."""
        return self._kind(True)

    def to_dict(self) -> dict:
        """JSON-ready: NaN becomes None."""
        return {
            "method": self.method,
            "restrict_vocab": self.restrict_vocab,
            "accuracy": _json_float(self.accuracy),
            "semantic": _json_float(self.semantic),
            "syntactic": _json_float(self.syntactic),
            "correct": self.correct,
            "total": self.total,
            "skipped": self.skipped,
            "from_ngrams": self.from_ngrams,
            "sections": {
                k: {"correct": c, "total": t, "accuracy": _json_float(_ratio(c, t))}
                for k, (c, t) in self.sections.items()
            },
        }


def cosmul(positive: Sequence[np.ndarray], negative: Sequence[np.ndarray]) -> np.ndarray:
    """3CosMul's score (Levy & Goldberg 2014, eq. 4) from cosines: ``prod_p s_p / (prod_n s_n +
    COSMUL_EPSILON)`` with ``s = (1 + cos) / 2`` in [0, 1], as gensim's ``most_similar_cosmul``.
    ``positive``, ``negative``: float32[m] cosines of the m candidates with each query word
    (the batched form for analogy sets is ``kernels.evaluate.scores_3cosmul``)."""
    products = []
    for group in (positive, negative):
        prod = np.float32(1.0)  # the empty product
        for cos in group:
            prod = prod * ((1.0 + cos) / 2.0)
        products.append(prod)
    return products[0] / (products[1] + np.float32(COSMUL_EPSILON))


def read_analogies(
    path: str | os.PathLike, case_insensitive: bool = True
) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Questions ``a b c d`` ("a is to b as c is to d") by section, in file order.

    Google layout (``: name`` lines start sections) or plain four words per line (one section
    ``"all"``). Blank lines are skipped; any other line must hold exactly four words. With
    ``case_insensitive`` the words are upper-cased (as gensim).
    """
    path = Path(path)
    fold = str.upper if case_insensitive else str
    sections: list[tuple[str, list]] = []
    for no, line in enumerate(_read_lines(path), 1):
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
            continue
        words = line.split()
        if not words:
            continue
        if len(words) != 4:
            raise FormatError(f"{path}: line {no}: expected 4 words, got {len(words)}")
        if not sections:
            sections.append(("all", []))
        sections[-1][1].append(tuple(fold(w) for w in words))
    if not any(qs for _, qs in sections):
        raise FormatError(f"{path}: no analogy questions found")
    return sections


def evaluate_analogies(
    kv: Vectors,
    path: str | os.PathLike,
    restrict_vocab: int = 30000,
    method: Method = "3cosadd",
    case_insensitive: bool = True,
    oov: Literal["skip", "ngrams"] = "skip",
) -> AnalogyResult:
    """Accuracy on analogy questions: for ``a b c d``, is ``d`` the best answer to
    ``b - a + c`` among the first ``restrict_vocab`` words, the three question words excluded?

    ``method``: ``"3cosadd"`` ranks by ``cos(x, b) - cos(x, a) + cos(x, c)`` (gensim's
    ``most_similar``); ``"3cosmul"`` by ``s(x, b) s(x, c) / (s(x, a) + 1e-6)`` with
    ``s = (1 + cos) / 2`` (Levy & Goldberg 2014; gensim's ``most_similar_cosmul``).

    ``oov="ngrams"`` (a subword model, ``FastTextKeyedVectors``): a question with a word outside
    the cutoff is answered too. Its ``a``, ``b`` or ``c`` takes the vector the model gives it
    (a vocabulary word's own beyond the cutoff, else its n-grams'); an expected ``d`` outside
    the cutoff cannot be found among the candidates, so that question counts as wrong. Only a
    word the model gives no vector at all (no n-gram it learned) leaves its question out. The
    default, ``"skip"``, leaves out every question with a word outside the cutoff, as gensim
    and the C tool do, so that numbers compare with models that have no subwords.
    """
    result = AnalogyResult(0, 0, 0, {}, method, restrict_vocab)
    for name, _questions, _known, right, from_ngrams in _answer(
        kv, path, restrict_vocab, method, case_insensitive, oov
    ):
        result.from_ngrams += from_ngrams
        correct = int(np.count_nonzero(right))
        result.skipped += len(_questions) - right.shape[0]
        c0, t0 = result.sections.get(name, (0, 0))  # a repeated section name adds up
        result.sections[name] = (c0 + correct, t0 + right.shape[0])
        result.correct += correct
        result.total += right.shape[0]
    return result


def _answer(kv, path, restrict_vocab, method, case_insensitive, oov="skip"):
    """Per section: (name, questions, bool[q] each question answerable (its four words within
    the cutoff, or with ``oov="ngrams"`` given vectors), bool[k] each answerable question
    answered right, how many of those had a word outside the cutoff)."""
    if method not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    if restrict_vocab < 1:
        raise ValueError(f"restrict_vocab must be >= 1, got {restrict_vocab}")
    if oov not in ("skip", "ngrams"):
        raise ValueError(f"oov must be 'skip' or 'ngrams', got {oov!r}")
    from wordvec.kernels import evaluate as kernels  # Numba: loaded on first use, not on import

    kernel = getattr(kernels, _METHODS[method])
    sections = read_analogies(path, case_insensitive)
    ok, canon = _vocab_cutoff(kv, restrict_vocab, case_insensitive)
    n = canon.shape[0]
    unit = kv.unit_vectors[:n]
    spellings = _spellings(canon)
    ngrams = oov == "ngrams" and hasattr(kv, "oov_vector")
    more: dict[str, int] = {}  # a word outside the cutoff -> its row of ``queries`` (>= n)
    queries = unit  # the question words' unit vectors: the candidates', then those given
    if ngrams:
        outside = (w for _, qs in sections for q in qs for w in q[:3] if w not in ok)
        given: list[np.ndarray] = []
        for w in dict.fromkeys(outside):  # in question order: the same rows every run
            v = _query_vector(kv, w, case_insensitive)
            if v is not None:
                more[w] = n + len(given)
                given.append(v)
        queries = np.vstack([unit, *given]) if given else unit
    for name, questions in sections:
        rows = np.array([[ok.get(w, -1) for w in q] for q in questions], np.int64).reshape(-1, 4)
        if ngrams:
            for i, j in zip(*np.nonzero(rows[:, :3] < 0), strict=True):
                rows[i, j] = more.get(questions[i][j], -1)
            rows[:, 3] = np.where(rows[:, 3] < 0, -2, rows[:, 3])  # a wrong answer, not left out
        known = (rows != -1).all(axis=1)
        q = rows[known]  # (a, b, c, expected)
        right = _solve(unit, q, canon, spellings, kernel, queries)
        from_ngrams = int(np.count_nonzero((q[:, :3] >= n).any(axis=1) | (q[:, 3] < 0)))
        yield name, questions, known, right, from_ngrams


def _query_vector(kv, word: str, case_insensitive: bool) -> np.ndarray | None:
    """float32[d] the unit vector a subword model gives a question word outside the cutoff: a
    vocabulary spelling's own, else from its n-grams (lower-cased when folded); None when it
    gives none."""
    spellings = (word.lower(), word.capitalize(), word) if case_insensitive else (word,)
    for w in dict.fromkeys(spellings):
        if w in kv.key_to_index:
            return kv.get_vector(w, norm=True)
    try:
        return kv.get_vector(spellings[0], norm=True)
    except KeyError:
        return None


def gensim_analogies(
    kv: Vectors,
    path: str | os.PathLike,
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
    dummy4unknown: bool = False,
    similarity_function: str = "most_similar",
    oov: Literal["skip", "ngrams"] = "skip",
) -> tuple[float, list[dict]]:
    """``KeyedVectors.evaluate_word_analogies``: gensim's arguments and return shape,
    (accuracy, [{"section", "correct", "incorrect"}, ..., {"section": "Total accuracy", ...}]),
    questions as (a, b, c, expected) tuples (upper-cased with ``case_insensitive``). With
    ``dummy4unknown`` the questions with a word outside the cutoff count as wrong; ``oov``:
    as ``evaluate_analogies``."""
    methods = {"most_similar": "3cosadd", "most_similar_cosmul": "3cosmul"}
    if similarity_function not in methods:
        raise ValueError(
            f"similarity_function must be one of {sorted(methods)}, got {similarity_function!r}"
        )
    sections: list[dict] = []
    for name, questions, known, right, _ in _answer(
        kv, path, restrict_vocab, methods[similarity_function], case_insensitive, oov
    ):
        answered = [q for q, k in zip(questions, known, strict=True) if k]
        correct = [q for q, r in zip(answered, right, strict=True) if r]
        incorrect = [q for q, r in zip(answered, right, strict=True) if not r]
        if dummy4unknown:
            incorrect += [q for q, k in zip(questions, known, strict=True) if not k]
        sections.append({"section": name, "correct": correct, "incorrect": incorrect})
    total = {
        "section": "Total accuracy",
        "correct": [q for s in sections for q in s["correct"]],
        "incorrect": [q for s in sections for q in s["incorrect"]],
    }
    n = len(total["correct"]) + len(total["incorrect"])
    sections.append(total)
    return (len(total["correct"]) / n if n else 0.0), sections


def _vocab_cutoff(
    kv: Vectors, restrict_vocab: int, case_insensitive: bool
) -> tuple[dict[str, int], np.ndarray]:
    """(folded word -> row of its most frequent spelling, int64[n] that row for each of the
    first n = min(restrict_vocab, V) rows)."""
    fold = str.upper if case_insensitive else str
    ok: dict[str, int] = {}
    keys = kv.index_to_key[:restrict_vocab]
    canon = np.array([ok.setdefault(fold(w), i) for i, w in enumerate(keys)], np.int64)
    return ok, canon


_METHODS: dict[str, str] = {"3cosadd": "scores_3cosadd", "3cosmul": "scores_3cosmul"}


def _spellings(canon: np.ndarray) -> dict[int, np.ndarray]:
    """Rows of every spelling of each folded word that has more than one among the first n."""
    dup = np.flatnonzero(canon != np.arange(canon.shape[0]))
    out: dict[int, list[int]] = {}
    for r in dup:
        out.setdefault(int(canon[r]), [int(canon[r])]).append(int(r))
    return {k: np.array(v, np.int64) for k, v in out.items()}


def _solve(unit, q, canon, spellings, kernel: Callable, queries=None) -> np.ndarray:
    """bool[k]: for each question (rows of ``q``: a, b, c, expected as int64 rows), is its best
    answer, every spelling of a, b and c excluded, a spelling of the expected word?
    ``queries``: the unit vectors of the question words, ``unit`` (the candidates) and after it
    the vectors given to words outside the cutoff (rows >= n, nothing to exclude); an expected
    row < 0 is never right.

    Per block of questions (a whole section unless that needs too much memory), one matrix
    product gives the cosines of the block's distinct words with every candidate.
    """
    n = unit.shape[0]
    queries = unit if queries is None else queries
    whole = np.unique(q[:, :3]).shape[0] * n <= _BLOCK_FLOATS
    step = q.shape[0] if whole else max(1, _BLOCK_FLOATS // (3 * n))
    right = np.zeros(q.shape[0], bool)
    eps = np.float32(COSMUL_EPSILON)
    for start in range(0, q.shape[0], max(step, 1)):
        block = q[start : start + step]
        words, local = np.unique(block[:, :3].ravel(), return_inverse=True)
        local = local.reshape(-1, 3)
        cos = queries[words] @ unit.T  # float32[k, n]
        if spellings or (block[:, :3] >= n).any():
            none = np.zeros(0, np.int64)
            groups = [
                spellings.get(int(r), np.array([r])) if r < n else none
                for r in block[:, :3].ravel()
            ]
            sizes = np.array([g.shape[0] for g in groups]).reshape(-1, 3).sum(axis=1)
            ex_rows = np.concatenate(groups)
        else:
            sizes, ex_rows = np.full(block.shape[0], 3), block[:, :3].ravel()
        ex_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        ex_rows = ex_rows.astype(np.int64)
        best = np.empty(block.shape[0], np.int64)
        scores = np.empty((min(_ROWS, block.shape[0]), n), np.float32)
        for i in range(0, block.shape[0], _ROWS):
            m = min(_ROWS, block.shape[0] - i)
            ia, ib, ic = (np.ascontiguousarray(local[i : i + m, k]) for k in range(3))
            kernel(cos, ia, ib, ic, ex_ptr[i : i + m + 1], ex_rows, scores[:m], eps)
            best[i : i + m] = scores[:m].argmax(axis=1)  # NumPy's SIMD argmax: first on ties
        right[start : start + step] = canon[best] == block[:, 3]
    return right


# -- word pairs ---------------------------------------------------------------------------------
@dataclass
class PairResult:
    """Correlation of model cosines with human scores. ``pairs``: pairs scored; ``oov``: pairs
    left out for a word outside the vocabulary; ``oov_ratio``: oov / (pairs + oov), a fraction
    (gensim reports a percentage); ``from_ngrams``: pairs scored although a word is outside the
    vocabulary (``oov="ngrams"``, a subword model). Correlations are NaN with fewer than two
    pairs."""

    spearman: float
    pearson: float
    pairs: int
    oov: int
    spearman_pvalue: float = math.nan
    pearson_pvalue: float = math.nan
    from_ngrams: int = 0

    @property
    def oov_ratio(self) -> float:
        return _ratio(self.oov, self.pairs + self.oov)

    def to_dict(self) -> dict:
        """JSON-ready: NaN becomes None."""
        return {
            "spearman": _json_float(self.spearman),
            "pearson": _json_float(self.pearson),
            "spearman_pvalue": _json_float(self.spearman_pvalue),
            "pearson_pvalue": _json_float(self.pearson_pvalue),
            "pairs": self.pairs,
            "oov": self.oov,
            "oov_ratio": _json_float(self.oov_ratio),
            "from_ngrams": self.from_ngrams,
        }


def read_word_pairs(path: str | os.PathLike) -> list[tuple[str, str, float]]:
    """(word, word, score) lines: tab separated (or whitespace when a line has no tab), ``#``
    comments, Windows line endings, and an optional header line (a first line whose third field
    is not a number)."""
    path = Path(path)
    pairs: list[tuple[str, str, float]] = []
    header_allowed = True
    for no, line in enumerate(_read_lines(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
        if len(fields) != 3:
            raise FormatError(f"{path}: line {no}: expected 3 fields, got {len(fields)}")
        try:
            score = float(fields[2])
        except ValueError:
            if header_allowed:
                header_allowed = False
                continue
            raise FormatError(f"{path}: line {no}: score {fields[2]!r} is not a number") from None
        header_allowed = False
        pairs.append((fields[0], fields[1], score))
    if not pairs:
        raise FormatError(f"{path}: no word pairs found")
    return pairs


def evaluate_word_pairs(
    kv: Vectors,
    path: str | os.PathLike,
    case_insensitive: bool = True,
    restrict_vocab: int = 300_000,
    dummy4unknown: bool = False,
    oov: Literal["skip", "ngrams"] = "skip",
) -> PairResult:
    """Spearman and Pearson correlation between human similarity scores and model cosines.

    Pairs with a word outside the first ``restrict_vocab`` words (gensim's default cutoff,
    300,000) count as out of vocabulary: left out, or (``dummy4unknown``, as gensim) scored
    with similarity 0. With ``case_insensitive`` words are compared upper-cased, a folded word
    standing for its most frequent spelling. ``oov="ngrams"``: a word outside the vocabulary
    (or the cutoff) is scored with the vector the model gives it, when it gives one (a subword
    model's, from its n-grams: ``FastTextKeyedVectors``); the default, ``"skip"``, leaves such
    pairs out, as gensim does, so that numbers compare with models that have no subwords.
    """
    from scipy import stats

    if restrict_vocab < 1:
        raise ValueError(f"restrict_vocab must be >= 1, got {restrict_vocab}")
    if oov not in ("skip", "ngrams"):
        raise ValueError(f"oov must be 'skip' or 'ngrams', got {oov!r}")
    fold = str.upper if case_insensitive else str
    ok, _ = _vocab_cutoff(kv, restrict_vocab, case_insensitive)
    unit = kv.unit_vectors
    gold, vectors = [], []
    missing = from_ngrams = 0
    for a, b, score in read_word_pairs(path):
        va, vb = (_pair_vector(kv, unit, ok, w, fold, oov) for w in (a, b))
        if va is not None and vb is not None:
            gold.append(score)
            vectors.append((va, vb))
            from_ngrams += fold(a) not in ok or fold(b) not in ok
        else:
            missing += 1
            if dummy4unknown:
                gold.append(score)
                vectors.append(None)
    pairs = len(gold) - (missing if dummy4unknown else 0)
    if len(gold) < 2:
        return PairResult(math.nan, math.nan, pairs, missing, from_ngrams=from_ngrams)
    model = np.array([0.0 if v is None else float(v[0] @ v[1]) for v in vectors])
    with warnings.catch_warnings():
        # constant scores: the correlation is undefined and scipy returns NaN (and warns)
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        spearman = stats.spearmanr(gold, model)
        pearson = stats.pearsonr(gold, model)
    return PairResult(
        float(spearman.statistic),
        float(pearson.statistic),
        pairs,
        missing,
        float(spearman.pvalue),
        float(pearson.pvalue),
        from_ngrams,
    )


def _pair_vector(kv, unit, ok, word, fold, oov):
    """float32[d] unit vector of a pair's word: its row within the cutoff; else, with
    ``oov="ngrams"``, the vector the model gives it (None when it gives none)."""
    if fold(word) in ok:
        return unit[ok[fold(word)]]
    if oov == "ngrams" and hasattr(kv, "oov_vector"):
        for w in dict.fromkeys((word, word.lower())):
            try:
                v = kv.get_vector(w, norm=True)
            except KeyError:
                continue
            return v
    return None


# -- helpers ------------------------------------------------------------------------------------
def _read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file (any line endings); FormatError names a bad line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None
    try:
        return [line.rstrip("\r") for line in data.decode("utf-8-sig").split("\n")]
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise FormatError(f"{path}: line {line}: invalid UTF-8 ({e.reason})") from None


def _ratio(a: int, b: int) -> float:
    return a / b if b else math.nan


def _json_float(x: float) -> float | None:
    return None if math.isnan(x) else x
