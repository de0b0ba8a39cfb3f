"""Co-occurrence counts under a hard ``max_memory`` (issue #24): runs spilled to disk and merged
by the streaming k-way merge give the in-memory matrix bit for bit; the process stays within its
budget; the work folder goes on success, error, Ctrl-C and a full disk; a bad ``work_dir`` is
refused before the corpus is read."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import wordvec.count.cooccurrence as co
import wordvec.count.spill as spill
from conftest import zipf_sentences
from wordvec.corpus.workdir import PREFIX, WorkDirError
from wordvec.count.cooccurrence import Cooccurrence

TINY = 1 << 20  # a budget that sends most runs, and the result, to disk


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    """~40k tokens over 3,000 Zipf words: 100k+ distinct pairs, far more than TINY holds."""
    return zipf_sentences(400, 3000, (5, 200), seed=3)


@pytest.fixture(autouse=True)
def _nothing_held(monkeypatch):
    """The budget shared from the corpus' arrays alone (pytest's own RSS growth is noise)."""
    monkeypatch.setattr(co, "resident_bytes", lambda: 0)


def same_bits(a, b) -> None:
    for name in ("data", "indices", "indptr"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y), name


@pytest.mark.parametrize(
    ("window", "weighting", "context", "workers"),
    [
        (5, "harmonic", "symmetric", 2),
        (3, "uniform", "left", 1),
        (8, "dynamic", "symmetric", 2),
        (2, "uniform", "right", 2),
    ],
)
def test_spilled_matrix_is_the_in_memory_one(corpus, tmp_path, window, weighting, context, workers):
    kw = dict(window=window, weighting=weighting, context=context, min_count=1, workers=workers)
    ref = Cooccurrence(**kw, max_memory=1 << 30).fit(corpus)
    assert ref.spill_.runs == 0 and ref.spill_.written == 0
    got = Cooccurrence(**kw, max_memory=TINY, work_dir=tmp_path).fit(corpus)
    assert got.spill_.runs > 1 and got.spill_.read > 0
    if window >= 5:  # the matrix does not fit either: mapped read-only from files, not copied
        assert got.spill_.result == "files"
        assert not got.matrix_.data.flags.writeable
    same_bits(got.matrix_, ref.matrix_)
    assert got.matrix_.has_sorted_indices
    assert list(tmp_path.iterdir()) == []  # the folder went; the mapping lives on


def test_runs_on_disk_result_in_memory(corpus, tmp_path, monkeypatch):
    """Runs spilled while counting, but room for the result afterwards: merged into memory."""
    kw = dict(window=4, weighting="harmonic", min_count=1, workers=2)
    ref = Cooccurrence(**kw).fit(corpus)
    real = co.plan_count

    def small_runs(*a, **k):
        plan = real(*a, **k)
        plan.room, plan.table_entries, plan.cap = 4096 * 16, 0, 1000  # pairs in many runs
        return plan

    monkeypatch.setattr(co, "plan_count", small_runs)
    got = Cooccurrence(**kw, max_memory=64 << 20, work_dir=tmp_path).fit(corpus)
    assert got.spill_.runs > 1 and got.spill_.result == "memory"
    same_bits(got.matrix_, ref.matrix_)


def test_sort_reduce_against_numpy():
    from wordvec.kernels.cooccur import sort_reduce

    rng = np.random.default_rng(0)
    for n in (0, 1, 5, 23, 24, 25, 1000, 50_000):
        keys = rng.integers(0, max(n // 3, 1), n).astype(np.int64)
        vals = rng.integers(1, 9, n).astype(np.float64)
        want_k, inv = np.unique(keys, return_inverse=True)
        want_v = np.bincount(inv, vals, minlength=want_k.shape[0]) if n else np.empty(0)
        u = sort_reduce(keys, vals, n)
        assert np.array_equal(keys[:u], want_k)
        assert np.array_equal(vals[:u], want_v)


def test_error_removes_the_work_folder(corpus, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("merge failed")

    monkeypatch.setattr(co, "merge_to_csr", boom)
    with pytest.raises(RuntimeError, match="merge failed"):
        Cooccurrence(window=5, min_count=1, max_memory=TINY, work_dir=tmp_path).fit(corpus)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_removes_the_work_folder(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(co, "CHUNK_TOKENS", 2000)
    seen = []

    def progress(done, total):
        seen.append(len(list(tmp_path.glob(f"{PREFIX}*/run-*"))))
        if len(seen) == 12:
            raise KeyboardInterrupt

    c = Cooccurrence(window=5, min_count=1, max_memory=TINY, work_dir=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        c.fit(corpus, progress=progress)
    assert seen[-1] > 0  # runs were on disk when it stopped
    assert list(tmp_path.iterdir()) == []


def test_full_disk_is_one_line_and_leaves_nothing(corpus, tmp_path, monkeypatch):
    class Full:
        def __init__(self, path, mode):
            self.f = open(path, mode)  # noqa: SIM115

        def write(self, b):
            self.f.write(bytes(b)[:100])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def close(self):
            self.f.close()

    monkeypatch.setattr(spill, "open", Full, raising=False)
    with pytest.raises(WorkDirError) as e:
        Cooccurrence(window=5, min_count=1, max_memory=TINY, work_dir=tmp_path).fit(corpus)
    assert "ran out of space" in str(e.value) and "\n" not in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_work_dir_is_refused_before_reading(tmp_path, monkeypatch):
    def no_read(*a, **k):
        raise AssertionError("the corpus was read")

    monkeypatch.setattr(co, "read_corpus", no_read)
    with pytest.raises(WorkDirError, match="does not exist"):
        Cooccurrence(work_dir=tmp_path / "missing").fit([["a", "b"]])
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(WorkDirError, match="not writable"):
                Cooccurrence(work_dir=ro).fit([["a", "b"]])
        finally:
            ro.chmod(0o700)


def test_budget_too_small_for_the_corpus_is_one_line(corpus):
    big = corpus * 40  # 1.6M tokens: 10 MB of corpus and tokens
    with pytest.raises(ValueError, match="too small") as e:
        Cooccurrence(window=5, min_count=1, max_memory=TINY).fit(big)
    assert "\n" not in str(e.value)


PEAK = textwrap.dedent(
    """
    import sys
    import numpy as np
    from wordvec.count.cooccurrence import Cooccurrence

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024

    tiny = [[f"w{(i * 7 + j * 3) % 50}" for j in range(40)] for i in range(300)]
    Cooccurrence(window=3, min_count=1).fit(tiny)
    Cooccurrence(window=3, min_count=1, max_memory=1 << 20).fit(tiny)  # every kernel loaded
    path, budget = sys.argv[1], int(sys.argv[2])
    open("/proc/self/clear_refs", "w").write("5")
    base = status("VmRSS:")
    c = Cooccurrence(window=8, min_count=1, workers=2, max_memory=budget).fit(path)
    print(status("VmHWM:") - base, c.spill_.result, c.spill_.result_bytes, c.matrix_.nnz)
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
def test_peak_stays_within_the_budget(tmp_path):
    """A corpus whose matrix alone (8 bytes a non-zero) outgrows the budget: the in-memory count
    would hold it; the spilled one keeps the process within baseline + max_memory."""
    rng = np.random.default_rng(5)
    v, n = 40_000, 1_200_000
    p = 1.0 / np.arange(1, v + 1) ** 0.8
    ids = rng.choice(v, n, p=p / p.sum())
    names = np.array([f"w{i}" for i in range(v)])
    lines = names[ids].reshape(-1, 100)
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(row) for row in lines) + "\n")
    budget = 40 << 20
    out = subprocess.run(
        [sys.executable, "-c", PEAK, str(path), str(budget)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    peak, where, result_bytes, _nnz = out.stdout.split()
    assert where == "files" and int(result_bytes) > budget  # in memory, the result alone is over
    assert int(peak) <= budget, f"peak {int(peak) >> 20} MiB over a {budget >> 20} MiB budget"


def test_many_runs_are_merged_in_groups_first(corpus, tmp_path, monkeypatch):
    """Runs too many for one merge's blocks go through passes of merge_runs (3 at a time)."""
    kw = dict(window=5, weighting="harmonic", min_count=1, workers=2)
    ref = Cooccurrence(**kw).fit(corpus)
    monkeypatch.setattr(spill, "FAN_IN", 3)
    monkeypatch.setattr(spill, "FINAL_BLOCK", 1 << 16)
    got = Cooccurrence(**kw, max_memory=TINY, work_dir=tmp_path).fit(corpus)
    assert got.spill_.runs > 9
    same_bits(got.matrix_, ref.matrix_)


def test_ppmi_of_a_spilled_matrix(corpus, tmp_path):
    """PPMI reads the mapped matrix in row blocks: the same PPMI matrix and vectors."""
    from wordvec.count.ppmi import PPMI, ppmi_matrix

    kw = dict(window=5, weighting="dynamic", min_count=1, workers=2)
    ref = Cooccurrence(**kw).fit(corpus)
    got = Cooccurrence(**kw, max_memory=TINY, work_dir=tmp_path).fit(corpus)
    assert got.spill_.result == "files"
    same_bits(ppmi_matrix(got.matrix_), ppmi_matrix(ref.matrix_))
    a = PPMI(vector_size=8, **kw).fit(ref)
    b = PPMI(vector_size=8, **kw).fit(got)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert b.spill_ is got.spill_


def test_cli_work_dir_and_max_memory(corpus, tmp_path, capsys):
    from conftest import write_corpus
    from wordvec.cli import main

    path = write_corpus(tmp_path / "corpus.txt", corpus)
    work = tmp_path / "work"
    work.mkdir()
    common = ["--window", "5", "--min-count", "1", "--quiet"]
    assert main(["cooccur", str(path), "-o", str(tmp_path / "a.npz"), *common]) == 0
    assert "counted in memory" in capsys.readouterr().err
    argv = ["cooccur", str(path), "-o", str(tmp_path / "b.npz"), *common]
    assert main([*argv, "--max-memory", "0.001", "--work-dir", str(work)]) == 0
    assert "spilled" in capsys.readouterr().err
    assert list(work.iterdir()) == []
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        for name in ("data", "indices", "indptr"):
            assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name])
    assert main([*argv, "--work-dir", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_transposed_product_without_the_transpose(workers):
    """The SVD's M^T @ x without making M^T (its copy was 8 bytes a PPMI cell): the same bits."""
    import scipy.sparse as sp

    from wordvec.count.ppmi import spmm, spmm_t

    m = sp.random(700, 500, density=0.02, format="csr", dtype=np.float32, random_state=1)
    x = np.random.default_rng(0).standard_normal((700, 13)).astype(np.float32)
    assert np.array_equal(spmm_t(m, x, workers), spmm(m.T.tocsr(), x, 1))


def test_unpacked_runs(corpus, tmp_path, monkeypatch):
    """Runs whose gaps or sums do not pack (forced here) are written as int64 keys and float64
    sums: the same matrix."""
    kw = dict(window=5, weighting="harmonic", min_count=1, workers=2)
    ref = Cooccurrence(**kw).fit(corpus)
    packed = Cooccurrence(**kw, max_memory=TINY, work_dir=tmp_path).fit(corpus)
    monkeypatch.setattr(spill, "_packable", lambda keys, vals: False)
    plain = Cooccurrence(**kw, max_memory=TINY, work_dir=tmp_path).fit(corpus)
    assert plain.spill_.runs == packed.spill_.runs
    assert plain.spill_.written > packed.spill_.written  # 16 bytes an entry, not 8
    same_bits(plain.matrix_, ref.matrix_)
    same_bits(packed.matrix_, ref.matrix_)


def test_packing_refuses_wide_gaps_and_inexact_sums():
    keys = np.array([0, 5, (1 << 32) + 10], np.int64)
    assert not spill._packable(keys, np.ones(3))
    assert spill._packable(keys[:2], np.array([1.0, 2.0**24]))
    assert not spill._packable(keys[:2], np.array([1.0, 2.0**24 + 1]))
