"""GloVe's entries on disk (issue #24): the same bits as in memory in the deterministic mode
(1 and 2 workers, any number of parts a round, a matrix in memory or mapped from files), Hogwild
close to in memory, the work folder gone after a fit, an error or Ctrl-C, a full disk in one
line, and budgets or work folders that cannot serve refused before training."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import zipf_sentences
from wordvec.corpus.workdir import WorkDirError
from wordvec.count.cooccurrence import Cooccurrence
from wordvec.count.glove import GloVe

TINY = 1 << 20  # the smallest max_memory: the entries (2.8 MB) go to disk, 8 parts a round
PARAMS = dict(vector_size=8, window=4, min_count=1, epochs=3, x_max=10.0)


@pytest.fixture(scope="module")
def cooc() -> Cooccurrence:
    # 2,922 words, 175,719 non-zeros: 2.8 MB of entries
    return Cooccurrence(window=4, weighting="harmonic", min_count=1).fit(
        zipf_sentences(3000, 3000, 20, seed=0)
    )


def state(m: GloVe) -> list:
    return [m.W_, m.C_, m.bw_, m.bc_, m.wv.vectors, m.loss_history_]


def same(a: GloVe, b: GloVe) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(state(a), state(b), strict=True))


def on_files(c: Cooccurrence, folder) -> Cooccurrence:
    """``c`` with its matrix over read-only np.memmap of files (as the counting's spill gives)."""
    m = c.matrix_
    arrays = {}
    for name in ("data", "indices", "indptr"):
        a = getattr(m, name)
        a.tofile(folder / name)
        arrays[name] = np.memmap(folder / name, dtype=a.dtype, mode="r", shape=a.shape)
    out = Cooccurrence(**c.get_params())
    out.words_, out.counts_ = c.words_, c.counts_
    out.matrix_ = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), m.shape)
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_disk_gives_the_in_memory_bits(cooc, workers, tmp_path):
    mem = GloVe(**PARAMS, workers=workers).fit(cooc)
    disk = GloVe(**PARAMS, workers=workers, max_memory=TINY, work_dir=tmp_path).fit(cooc)
    assert mem.spill_["where"] == "memory" and disk.spill_["where"] == "disk"
    assert disk.spill_["parts_per_round"] == 8
    assert disk.spill_["bytes_written"] == 16 * cooc.matrix_.nnz
    assert disk.spill_["bytes_read"] == 3 * disk.spill_["bytes_written"]
    assert same(mem, disk)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("parts", "budget", "passes"), [(1, TINY, 16), (16, 16 * TINY, 1)])
def test_any_number_of_parts_and_a_matrix_on_files(
    cooc, parts, budget, passes, tmp_path, monkeypatch
):
    import wordvec.count.glove as glove

    mem = GloVe(**PARAMS, workers=2).fit(cooc)
    monkeypatch.setattr(glove, "plan_parts", lambda *a: parts)
    (tmp_path / "m").mkdir()
    disk = GloVe(**PARAMS, workers=2, max_memory=budget).fit(on_files(cooc, tmp_path / "m"))
    assert disk.spill_["parts_per_round"] == parts
    # one pass counts, then each gathers as many parts as the budget holds
    assert disk.spill_["matrix_passes"] == 1 + passes
    assert same(mem, disk)


def test_matrix_pages_are_given_back(cooc, tmp_path):
    from wordvec.corpus.buffers import anon_array
    from wordvec.count.glove_entries import file_mapping

    m = on_files(cooc, tmp_path).matrix_
    found = file_mapping(m.indices)
    assert found is not None and found[1] == 0
    assert file_mapping(cooc.matrix_.indices) is None  # memory of its own: never released
    assert file_mapping(anon_array(10, np.int32)[0]) is None  # private: releasing loses data


def test_unsorted_duplicated_and_zero_entries_are_summed_as_scipy_does(cooc):
    m = cooc.matrix_.tocoo()
    half = m.data / 2  # exact in float32: the duplicates sum back to the same values
    rows = np.concatenate([m.row, m.row, m.row[:50]])[::-1]
    cols = np.concatenate([m.col, m.col, (m.col[:50] + 1) % m.shape[1]])[::-1]
    vals = np.concatenate([half, half, np.zeros(50, np.float32)])[::-1]
    order = np.argsort(rows, kind="stable")  # rows in order, columns descending, repeated
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=m.shape[0]))])
    messy = Cooccurrence(**cooc.get_params())
    messy.words_, messy.counts_ = cooc.words_, cooc.counts_
    messy.matrix_ = sp.csr_matrix((vals[order], cols[order], indptr), shape=m.shape)
    assert not messy.matrix_.has_sorted_indices
    p = dict(PARAMS, epochs=1)
    assert same(GloVe(**p).fit(cooc), GloVe(**p, max_memory=TINY).fit(messy))
    bad = Cooccurrence(**cooc.get_params())
    bad.words_, bad.counts_ = cooc.words_, cooc.counts_
    bad.matrix_ = cooc.matrix_.copy()
    bad.matrix_.data[7] = -1
    with pytest.raises(ValueError, match="negative or NaN"):
        GloVe(**p, max_memory=TINY).fit(bad)


def test_hogwild_on_disk_trains_as_well(cooc, tmp_path):
    mem = GloVe(**PARAMS, deterministic=False).fit(cooc)
    disk = GloVe(**PARAMS, deterministic=False, max_memory=TINY, work_dir=tmp_path).fit(cooc)
    assert disk.spill_["where"] == "disk"
    assert disk.loss_history_[-1] == pytest.approx(mem.loss_history_[-1], rel=0.1)
    assert disk.loss_history_[-1] < 0.7 * disk.loss_history_[0]


class Raise:
    def __init__(self, error: BaseException, folder):
        self.error, self.folder, self.seen = error, folder, []

    def on_train_begin(self, model):
        # the file is nameless while training: nothing to leave even on kill -9
        self.seen = list(self.folder.iterdir())

    def on_epoch_end(self, model, stats):
        raise self.error


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_the_folder_goes_on_error_and_ctrl_c(cooc, tmp_path, error):
    cb = Raise(error, tmp_path)
    with pytest.raises(type(error)):
        GloVe(**PARAMS, max_memory=TINY, work_dir=tmp_path).fit(cooc, callbacks=[cb])
    assert cb.seen == []
    assert list(tmp_path.iterdir()) == []


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["wordvec.corpus.workdir.allocate", "os.pwrite"])
def test_a_full_disk_is_one_line_and_leaves_nothing(cooc, tmp_path, monkeypatch, where):
    monkeypatch.setattr(where, enospc)
    with pytest.raises(WorkDirError, match="ran out of space") as e:
        GloVe(**PARAMS, max_memory=TINY, work_dir=tmp_path).fit(cooc)
    assert "\n" not in str(e.value)
    assert list(tmp_path.iterdir()) == []


class Began:
    began = False

    def on_train_begin(self, model):
        self.began = True


def test_a_budget_below_the_weights_is_refused_before_training(cooc):
    cb = Began()
    with pytest.raises(ValueError, match=r"GloVe needs about [\d.]+ MB in memory") as e:
        GloVe(**{**PARAMS, "vector_size": 300}, max_memory=TINY).fit(cooc, callbacks=[cb])
    assert "\n" not in str(e.value) and not cb.began
    with pytest.raises(ValueError, match="GloVe needs about"):  # from a corpus: before counting
        GloVe(**{**PARAMS, "vector_size": 10**5}, max_memory=TINY).fit([["a", "b", "c"]] * 50)


def test_a_missing_or_read_only_work_dir_is_refused_before_training(cooc, tmp_path, monkeypatch):
    cb = Began()
    with pytest.raises(WorkDirError, match="does not exist"):
        GloVe(**PARAMS, max_memory=TINY, work_dir=tmp_path / "nope").fit(cooc, callbacks=[cb])
    monkeypatch.setattr("wordvec.corpus.workdir.os.access", lambda *a: False)  # root ignores 0o500
    with pytest.raises(WorkDirError, match="not writable"):
        GloVe(**PARAMS, max_memory=TINY, work_dir=tmp_path).fit(cooc, callbacks=[cb])
    assert not cb.began


BOUND = r"""
import json, sys
import numpy as np, scipy.sparse as sp
from wordvec.count.cooccurrence import Cooccurrence
from wordvec.count.glove import GloVe

def status(key):
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) * 1024 for x in f if x.startswith(key + ":"))

def on_files(m, folder):
    a = {}
    for name in ("data", "indices", "indptr"):
        getattr(m, name).tofile(f"{folder}/{name}")
        a[name] = np.memmap(f"{folder}/{name}", dtype=getattr(m, name).dtype, mode="r")
    c = Cooccurrence()
    c.words_, c.counts_ = [f"w{i}" for i in range(m.shape[0])], np.ones(m.shape[0], np.int64)
    c.matrix_ = sp.csr_matrix((a["data"], a["indices"], a["indptr"]), m.shape)
    return c

def matrix(v, per_row, seed):  # per_row distinct sorted columns a row, values in [0.1, 1.1)
    cols = (np.arange(v)[:, None] * 7919 + np.arange(per_row)[None, :] * 197) % v
    data = np.random.default_rng(seed).random(v * per_row, np.float32) + np.float32(0.1)
    indptr = np.arange(0, v * per_row + 1, per_row, dtype=np.int64)
    return sp.csr_matrix((data, np.sort(cols, axis=1).ravel().astype(np.int32), indptr), (v, v))

folder, budget = sys.argv[1], int(sys.argv[2])
for mem in (None, 10 << 20):  # every kernel loaded before the baseline (in memory, on disk)
    GloVe(vector_size=8, epochs=1, max_memory=mem, work_dir=folder).fit(
        on_files(matrix(2000, 100, 1), folder)
    )
big = on_files(matrix(10000, 200, 0), folder)  # 2M non-zeros: 32 MB of entries
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = status("VmRSS")
m = GloVe(vector_size=8, epochs=2, max_memory=budget, work_dir=folder).fit(big)
print(json.dumps({"above": status("VmHWM") - base, "where": m.spill_["where"]}))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's VmHWM")
def test_the_budget_holds_in_a_process_of_its_own(tmp_path):
    import json
    import subprocess
    import sys

    budget = 16 << 20  # 2M non-zeros: 32 MB of entries in memory
    out = subprocess.run(
        [sys.executable, "-c", BOUND, str(tmp_path), str(budget)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["where"] == "disk"
    assert got["above"] <= budget, got
