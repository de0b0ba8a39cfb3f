"""Word-word co-occurrence counts: the matrix count-based models (PPMI + SVD, GloVe) start from.

``Cooccurrence(window=5).fit(corpus)`` reads the corpus with the same reader and vocabulary rules
as ``Word2Vec`` (files, directories, compressed files, iterables of token lists; ``min_count``,
``max_final_vocab``), then counts, for each word ``i`` and each context word ``j`` within
``window`` tokens of it in the same sentence, a weight that depends on the distance ``d``:

- ``weighting="uniform"``: 1 (Levy et al. 2015's plain window);
- ``"harmonic"``: 1/d (GloVe);
- ``"dynamic"``: (window - d + 1)/window, the expected weight of word2vec's window shrunk at
  random (Levy et al.'s ``dyn``).

``context="symmetric"`` counts both sides (the matrix is symmetric); ``"left"``/``"right"``
only the words before/after (GloVe's ``-symmetric 0`` is ``"left"``). ``sample`` > 0 removes
frequent tokens first, as word2vec does and Levy et al. recommend ("dirty" subsampling: windows
then reach further), with a seeded draw per token position.

Memory: ``max_memory`` (default: the memory free when the count starts) bounds what the count
holds above the process's baseline, the encoded corpus and the decoded tokens included
(``wordvec.count.plan`` shares it). No V x V array is ever allocated. As the GloVe C tool, pairs
of two frequent words (``(i + 1)(j + 1)`` under a bound chosen from the budget, never more than a
1 GiB budget gives) are added in a dense table; the others go to a buffer that is sorted and
summed in place into runs, merged in memory. When a worker's runs outgrow its share they are
written to ``work_dir`` as sorted run files (``wordvec.count.spill``), and the matrix is made by a
streaming k-way merge of the runs and the dense table, in row order: into memory if it fits what
is left, else into files that ``matrix_`` maps read-only (``np.memmap``; the work folder is
removed all the same: the files live as long as the mapping). ``spill_`` says what went to disk.
Each of ``workers`` threads owns the rows ``i % workers == w`` and writes only there; weights
are exact integers while counting (scaled, divided at the end), so any number of workers and any
budget, spilled or not, give the same bits.

Measured (bench/results/cooc-spill.md): wiki100m.txt, window 10, harmonic, 2 workers, 45.9M
non-zeros: in memory the fit peaks 1,152-1,240 MiB above the baseline in 21.4 s (median); with
``max_memory`` 256 MiB at 237-239 MiB above it (54 packed runs and the result: 775 MiB written,
424 MiB read back) in 28.0 s, the same matrix bit for bit.

Concessions: what the scan leaves held counts against the budget, but the scan's own peak (about
100 MB above the baseline on wiki100m.txt) is not planned here; nor is anything after the count
(PPMI's SVD, GloVe's training). A budget that cannot hold the encoded corpus, its decoded tokens
and the smallest table and buffers is refused (one line, with the estimate). glibc's malloc is
set to map every block of 1 MiB or more on its own for the rest of the process (so freed runs
leave the resident set: ``plan.fix_mmap_threshold``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

from wordvec.core.memory import budget, resident_bytes, scan_word_limit
from wordvec.core.report import CountProgress
from wordvec.corpus.buffers import trim_heap
from wordvec.corpus.reader import CorpusError, ReadProgress, scan_corpus
from wordvec.corpus.vocab import Vocab, build_vocab, keep_thresholds
from wordvec.corpus.workdir import WorkDir, check_parent
from wordvec.count.plan import Plan, fix_mmap_threshold, plan_count
from wordvec.count.spill import RunFiles, Spill, merge_to_csr
from wordvec.kernels import ESCAPE

Weighting = Literal["uniform", "harmonic", "dynamic"]
Context = Literal["symmetric", "left", "right"]
WEIGHTINGS: tuple[str, ...] = ("uniform", "harmonic", "dynamic")
CONTEXTS = {"symmetric": (1, 1), "left": (1, 0), "right": (0, 1)}  # (count left, count right)
COOC_KIND = "wordvec.Cooccurrence"
CHUNK_TOKENS = 1 << 21  # focal positions per step (a progress tick)
_EXACT = 2.0**53  # float64 sums of integers stay exact below this

# parameters every count-based model shares: (name, default)
COUNT_PARAMS: dict[str, Any] = dict(
    window=5,
    weighting="uniform",
    context="symmetric",
    min_count=5,
    max_vocab_size=None,
    max_final_vocab=None,
    sample=0.0,
    seed=1,
    workers=2,
    max_memory=None,  # bytes; None: what the machine has free now (wordvec.core.memory.budget)
    unicode_errors="strict",
    work_dir=None,  # where what does not fit in max_memory goes; None: the temporary folder
)


def is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def is_num(x: Any) -> bool:
    return isinstance(x, int | float | np.number) and not isinstance(x, bool)


def need(p: dict, ok: bool, name: str, what: str) -> None:
    """Raise ValueError naming ``name`` unless ``ok``."""
    if not ok:
        raise ValueError(f"{name} must be {what}, got {p[name]!r}")


def check_count_params(p: dict) -> None:
    """Validate the shared co-occurrence parameters in ``p`` (ValueError naming the first bad
    one)."""
    for name in ("window", "workers"):
        need(p, is_int(p[name]) and p[name] >= 1, name, "an integer >= 1")
    need(p, is_int(p["min_count"]) and p["min_count"] >= 0, "min_count", "an integer >= 0")
    for name in ("max_vocab_size", "max_final_vocab"):
        need(p, p[name] is None or (is_int(p[name]) and p[name] >= 1), name, "None or >= 1")
    need(p, p["weighting"] in WEIGHTINGS, "weighting", "'uniform', 'harmonic' or 'dynamic'")
    need(p, p["context"] in CONTEXTS, "context", "'symmetric', 'left' or 'right'")
    need(p, is_num(p["sample"]) and 0 <= p["sample"] < 1, "sample", "a number in [0, 1)")
    need(p, is_int(p["seed"]), "seed", "an integer")
    need(
        p,
        p["max_memory"] is None or (is_int(p["max_memory"]) and p["max_memory"] >= 1 << 20),
        "max_memory",
        "None or an integer number of bytes >= 1 MiB",
    )
    need(
        p,
        p["unicode_errors"] in ("strict", "replace", "ignore"),
        "unicode_errors",
        "'strict', 'replace' or 'ignore'",
    )


def distance_weights(window: int, weighting: str, n_tokens: int) -> tuple[np.ndarray, float]:
    """float64[window + 1] integer weight of each distance and the scale that divides them.

    Integers keep the sums exact (order-independent) when ``scale * 2 * window * n_tokens`` stays
    under 2**53; beyond that (huge windows) the float weights are used as they are."""
    d = np.arange(window + 1, dtype=np.float64)
    if weighting == "uniform":
        return np.where(d > 0, 1.0, 0.0), 1.0
    scale = float(math.lcm(*range(1, window + 1))) if weighting == "harmonic" else float(window)
    if scale * 2.0 * window * max(n_tokens, 1) >= _EXACT:
        scale = 1.0
    with np.errstate(divide="ignore"):
        w = 1.0 / d if weighting == "harmonic" else (window - d + 1) / window
    w[0] = 0.0
    return (np.round(w * scale) if scale > 1 else w), scale


def dense_layout(counts_len: int, entries: int) -> tuple[np.ndarray, np.ndarray]:
    """GloVe's dense table for frequent pairs: row ``i`` holds columns ``j < width[i]`` with
    ``width[i] = min(V, P // (i + 1))``, the largest ``P`` fitting ``entries`` cells.
    Returns (width: int64[V], offset: int64[V])."""
    v = counts_len
    rank = np.arange(1, v + 1, dtype=np.int64)

    def size(p: int) -> int:
        return int(np.minimum(v, p // rank).sum())

    lo, hi = 0, v * v
    while lo < hi:  # the largest P with size(P) <= entries
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if size(mid) <= entries else (lo, mid - 1)
    width = np.minimum(v, lo // rank)
    offset = np.concatenate([[0], np.cumsum(width)[:-1]]).astype(np.int64)
    return width.astype(np.int64), offset


def read_corpus(corpus, p: dict, progress: ReadProgress | None = None):
    """Scan and encode a corpus with the shared parameters: (Vocab, EncodedCorpus)."""
    limit = p["max_vocab_size"] or scan_word_limit(budget(p.get("max_memory")))
    halve = p["max_vocab_size"] is None  # a budget's limit: pruned to half (as Word2Vec)
    scan = scan_corpus(corpus, limit, progress, workers=p["workers"], halve=halve)
    vocab, enc = build_vocab(scan, p["min_count"], p["max_final_vocab"], p["unicode_errors"])
    del scan
    if len(vocab) < 2:
        raise CorpusError(
            f"the vocabulary has {len(vocab)} word ({vocab.words[0]!r}): co-occurrence needs at "
            "least two words; lower min_count or use a larger corpus"
        )
    return vocab, enc


def count_corpus(
    corpus, p: dict, progress: CountProgress | None = None
) -> tuple[Vocab, sp.csr_matrix, Spill, dict[str, float]]:
    """Read a corpus, choose its vocabulary and count (``count_matrix``) with the shared
    parameters ``p``: (vocab, matrix, what went to disk, seconds of each step). The work folder
    is checked before the corpus is read; what the scan leaves held counts against
    ``max_memory``."""
    check_parent(p.get("work_dir"))  # a missing or read-only work_dir: refused before reading
    fix_mmap_threshold()  # freed arrays leave the resident set (the budget is a bound)
    rss0 = resident_bytes()
    t0 = time.perf_counter()
    vocab, enc = read_corpus(corpus, p)
    trim_heap()  # the scan's freed pieces go back to the OS before the budget is shared
    t1 = time.perf_counter()
    spill = Spill()
    matrix = count_matrix(vocab, enc, p, progress, held=resident_bytes() - rss0, spill=spill)
    return vocab, matrix, spill, {"vocabulary": t1 - t0, "count": time.perf_counter() - t1}


def count_matrix(
    vocab: Vocab,
    enc,
    p: dict,
    progress: CountProgress | None = None,
    *,
    held: int = 0,
    spill: Spill | None = None,
) -> sp.csr_matrix:
    """The co-occurrence matrix of an encoded corpus: scipy CSR float32[V, V], sorted indices.

    ``p`` holds the shared parameters (``COUNT_PARAMS``; ``max_memory`` and ``work_dir`` say
    what may be held and where the rest goes: ``wordvec.count.plan``). ``held``: bytes the
    process already holds above its baseline (the scan's leftovers; the corpus' arrays at least
    are counted); ``spill``: a ``Spill`` to fill with what went to disk. When the runs went to
    disk and the result does not fit the budget, the matrix's arrays are read-only ``np.memmap``
    of files whose folder is already removed (the space goes back with the matrix). Raises
    ValueError when the window cannot matter (it spans every sentence), when no pair occurs at
    all, or when ``max_memory`` cannot hold the corpus and the smallest counting state;
    ``WorkDirError`` (a ValueError) when ``work_dir`` cannot take the runs."""
    v, window = len(vocab), p["window"]
    lengths = np.diff(enc.bounds)
    longest = int(lengths.max(initial=0))
    if longest < 2:
        raise ValueError(
            "no pair of words co-occurs: every sentence has at most one "
            "vocabulary word, so the co-occurrence matrix is all zeros"
        )
    if window >= longest:
        raise ValueError(
            f"window {window} is larger than any sentence (the longest has {longest} vocabulary "
            f"words): every window would be the whole sentence; use window < {longest}"
        )
    corpus_bytes = enc.ids.nbytes + enc.rare.nbytes + enc.bounds.nbytes
    tokens_bytes = 4 * enc.n_tokens + 16 * enc.bounds.shape[0]
    mem = budget(p.get("max_memory"))
    fix_mmap_threshold()
    plan = plan_count(mem, corpus_bytes, held, tokens_bytes, v, window, p["workers"])
    stats = spill if spill is not None else Spill()
    with WorkDir(p.get("work_dir"), 0, "co-occurrence runs") as workdir:  # removed on any exit
        data, indices, indptr = _count(vocab, enc, p, plan, progress, RunFiles(workdir, stats))
    if int(indptr[-1]) == 0:
        raise ValueError(
            "no pair of words co-occurs within the window: the co-occurrence matrix is all zeros"
        )
    return scipy_sparse().csr_matrix((data, indices, indptr), shape=(v, v))


def _count(vocab: Vocab, enc, p: dict, plan: Plan, progress, disk: RunFiles):
    """``count_matrix``'s work: (data, indices, indptr) of the CSR matrix."""
    from wordvec.kernels import cooccur as k
    from wordvec.kernels.spill import Dense

    v, window, workers = len(vocab), p["window"], p["workers"]
    keep = keep_thresholds(vocab.counts, p["sample"])
    tokens = np.empty(enc.n_tokens, np.int32)
    out_bounds = np.empty(enc.bounds.shape[0], np.int64)
    m, s = k.decode(enc.ids, enc.rare, enc.bounds, ESCAPE, keep, p["seed"], tokens, out_bounds)
    tokens, bounds = tokens[:m], out_bounds[: s + 1].copy()
    del out_bounds
    if m == 0:
        raise ValueError(
            "no pair of words co-occurs after subsampling (sample="
            f"{p['sample']}): the co-occurrence matrix is all zeros"
        )
    weights, scale = distance_weights(window, p["weighting"], m)
    left, right = CONTEXTS[p["context"]]
    width, offset = dense_layout(v, max(plan.table_entries, v))
    dense = np.zeros(int(width.sum()), np.float64)
    win = k.Window(size=window, left=left, right=right, weights=weights)
    tables = [
        k.Table(
            width=width,
            offset=offset,
            dense=dense,
            keys=np.empty(plan.cap, np.int64),
            vals=np.empty(plan.cap, np.float64),
        )
        for _ in range(workers)
    ]
    runs: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(workers)]

    def merged(w: int) -> tuple[np.ndarray, np.ndarray]:
        """Worker w's runs as one sorted run (its list emptied; twice its bytes at the peak)."""
        if len(runs[w]) == 1:
            return runs[w].pop()
        keys = np.concatenate([r[0] for r in runs[w]])
        vals = np.concatenate([r[1] for r in runs[w]])
        runs[w].clear()
        u = k.sort_reduce(keys, vals, keys.shape[0])
        return keys[:u], vals[:u]

    def merge(w: int) -> None:
        if len(runs[w]) > 1:
            keys, vals = merged(w)
            runs[w] = [(keys.copy(), vals.copy())]

    def to_disk(w: int) -> None:
        if runs[w]:
            disk.add(*merged(w))

    def work(w: int, p0: int, p1: int) -> None:
        corpus, table = k.Tokens(tokens=tokens, bounds=bounds), tables[w]
        pos, fill = p0, 0
        while True:
            pos, fill = k.count_range(corpus, win, table, pos, p1, w, workers, fill)
            if pos >= p1 or fill:
                if fill:
                    u = k.sort_reduce(table.keys, table.vals, fill)
                    sizes = [r[0].nbytes + r[1].nbytes for r in runs[w]]
                    if 2 * (sum(sizes) + 16 * u) > plan.room:  # a merge would not fit: to disk
                        to_disk(w)
                    runs[w].append((table.keys[:u].copy(), table.vals[:u].copy()))
                    fill = 0
                # merge when the new runs outgrow both their budget and the merged run (so
                # each pair is re-sorted O(log n) times, not once per flush)
                sizes = [r[0].nbytes + r[1].nbytes for r in runs[w]]
                if len(sizes) > 1 and sum(sizes[1:]) > max(plan.merge_every, sizes[0]):
                    merge(w)
            if pos >= p1:
                return

    with ThreadPoolExecutor(workers) as pool:
        for p0 in range(0, m, CHUNK_TOKENS):
            p1 = min(p0 + CHUNK_TOKENS, m)
            list(pool.map(lambda w, a=p0, b=p1: work(w, a, b), range(workers)))
            if progress:
                progress(p1, m)
        tables.clear()
        tokens = bounds = None  # the decoded corpus and the buffers are not needed any more
        list(pool.map(to_disk if disk.runs else merge, range(workers)))
    trim_heap()  # the runs and buffers the workers' heaps freed go back to the OS
    left = plan.after_count(dense.nbytes)
    dense_nnz = int(np.count_nonzero(dense))
    if not disk.runs:
        held_runs = sum(r[0].nbytes + r[1].nbytes for rs in runs for r in rs)
        nnz_max = dense_nnz + held_runs // 16
        if held_runs + 8 * nnz_max + 20 * (v + 1) <= left:  # today's path: all in memory
            return _csr_in_memory(k, Dense(width, offset, dense), runs, scale)
        for w in range(workers):
            to_disk(w)
    return merge_to_csr(disk, Dense(width, offset, dense), v, scale, left, dense_nnz)


def _csr_in_memory(k, table, runs, scale: float):
    """(data, indices, indptr) from the dense table and each worker's one sorted run (rows of
    different workers are disjoint, so a row's run entries come sorted from one run)."""
    v = table.width.shape[0]
    done = [r for rs in runs for r in rs]
    counts = np.zeros(v + 1, np.int64)
    k.dense_row_counts(table.dense, table.width, table.offset, counts)
    for keys, _ in done:
        k.run_row_counts(keys, v, counts)
    indptr = np.cumsum(counts)
    nnz = int(indptr[-1])
    indices = np.empty(nnz, np.int32)
    data = np.empty(nnz, np.float32)
    cursor = indptr[:-1].copy()
    k.fill_dense(table.dense, table.width, table.offset, scale, cursor, indices, data)
    for keys, vals in done:
        k.fill_run(keys, vals, v, scale, cursor, indices, data)
    return data, indices, indptr


class Cooccurrence:
    """The word-word co-occurrence matrix of a corpus (see the module docstring for the
    parameters; they are shared with ``PPMI`` and ``GloVe``).

    Usage::

        cooc = Cooccurrence(window=5, weighting="harmonic").fit("corpus.txt")
        cooc.matrix_            # scipy.sparse CSR float32[V, V]; row = word, column = context
        cooc.words_, cooc.counts_

    Learned state: ``matrix_``, ``words_`` (list of V words, most frequent first),
    ``counts_`` (int64[V] corpus counts), ``seconds_`` (time of the vocabulary and count steps),
    ``spill_`` (``wordvec.count.spill.Spill``: what went to disk and what it cost; ``.as_dict()``,
    ``.line()``).
    """

    def __init__(
        self,
        window: int = 5,
        weighting: Weighting = "uniform",
        context: Context = "symmetric",
        min_count: int = 5,
        max_vocab_size: int | None = None,
        max_final_vocab: int | None = None,
        sample: float = 0.0,
        seed: int = 1,
        workers: int = 2,
        max_memory: int | None = None,
        unicode_errors: str = "strict",
        work_dir: str | os.PathLike | None = None,
    ):
        args = locals()
        for name in COUNT_PARAMS:  # every parameter stored as given (scikit-learn's rule)
            setattr(self, name, args[name])

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COUNT_PARAMS}

    def check_params(self) -> None:
        check_count_params(self.get_params())

    def fit(
        self,
        corpus: str | os.PathLike | Iterable[list[str]],
        progress: CountProgress | None = None,
    ) -> Cooccurrence:
        """Read the corpus, choose the vocabulary and count. ``progress(done, total)`` is called
        as focal tokens are counted."""
        self.check_params()
        vocab, self.matrix_, self.spill_, self.seconds_ = count_corpus(
            corpus, self.get_params(), progress
        )
        self.words_, self.counts_ = vocab.words, vocab.counts
        return self

    @property
    def vocab_(self) -> Vocab:
        return Vocab(self.words_, self.counts_)

    # -- files ----------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save matrix, vocabulary and parameters: ``.npz`` (NumPy, no pickle: the words are one
        UTF-8 blob) by suffix, otherwise wordvec's native format. Atomic either way."""
        m = self.matrix_
        arrays = {"data": m.data, "indices": m.indices, "indptr": m.indptr, "counts": self.counts_}
        meta = {"kind": COOC_KIND, "params": self.get_params(), "words": self.words_}
        if Path(path).suffix.lower() == ".npz":
            import json

            from wordvec.formats.native import atomic_write

            blob = json.dumps(meta, ensure_ascii=False).encode("utf-8")
            with atomic_write(path) as f:
                np.savez(f, meta=np.frombuffer(blob, np.uint8), **arrays)
            return
        from wordvec.formats.native import save_native

        save_native(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Cooccurrence:
        """Load a file written by ``save`` (``.npz`` or native)."""
        from wordvec.formats.native import FormatError, load_native

        if Path(path).suffix.lower() == ".npz":
            import json
            import zipfile

            try:
                with np.load(path, allow_pickle=False) as z:
                    arrays = {name: z[name] for name in z.files}
                meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
            except FileNotFoundError:
                raise FileNotFoundError(f"no such file: {path}") from None
            except (ValueError, KeyError, OSError, zipfile.BadZipFile) as e:
                raise FormatError(f"{path}: not a co-occurrence .npz file: {e}") from None
        else:
            meta, arrays = load_native(path)
        if meta.get("kind") != COOC_KIND:
            raise FormatError(f"{path}: holds {meta.get('kind')!r}, not a co-occurrence matrix")
        try:
            self = cls(**meta["params"])
            v = len(meta["words"])
            self.matrix_ = scipy_sparse().csr_matrix(
                (arrays["data"], arrays["indices"], arrays["indptr"]), shape=(v, v)
            )
            self.words_, self.counts_ = list(meta["words"]), arrays["counts"]
        except (KeyError, TypeError, ValueError) as e:
            raise FormatError(f"{path}: inconsistent co-occurrence file: {e}") from None
        return self


def scipy_sparse():
    """scipy.sparse, imported on first use (``import wordvec`` stays light)."""
    import scipy.sparse

    return scipy.sparse
