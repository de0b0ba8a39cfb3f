"""The approximate index (``wordvec.ann``): recall against exact search on a seeded clustered
set, exact scores, the ``indexer`` hook, save/load beside the model, stale and corrupt files,
and the one-line message when faiss is missing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from wordvec import KeyedVectors
from wordvec.ann import AnnIndex, StaleIndexError, index_path, row_hashes, use_index_beside
from wordvec.cli import main
from wordvec.io import FormatError


def clustered(n: int, d: int, seed: int) -> KeyedVectors:
    """``n`` words around ``n // 50`` centres (noise as long as the centres), so that the
    neighbours are mostly, not only, the word's own cluster's."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n // 50, d)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + rng.standard_normal((n, d), np.float32)
    return KeyedVectors([f"w{i}" for i in range(n)], x)


@pytest.fixture(scope="module")
def kv() -> KeyedVectors:
    return clustered(24_000, 32, seed=1)


@pytest.fixture(scope="module")
def index(kv) -> AnnIndex:
    return AnnIndex.build(kv, "ivf", seed=0)


def exact_rows(kv: KeyedVectors, words: list[str], k: int = 10) -> list[list[int]]:
    return [[kv.key_to_index[w] for w, _ in kv.most_similar(q, topn=k)] for q in words]


def test_recall_against_exact_search(kv, index):
    assert index.kind == "ivf" and index.factory.startswith("IVF")
    assert index.recall_ >= 0.95
    # fresh queries, not the ones the build calibrated on
    words = [kv.index_to_key[i] for i in np.random.default_rng(99).choice(len(kv), 300)]
    truth = exact_rows(kv, words)
    found = [
        [kv.key_to_index[w] for w, _ in kv.most_similar(q, topn=10, indexer=index)] for q in words
    ]
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.93, recall
    # the search is narrower than a scan: a poorly calibrated index would fail the floor above
    assert index.search_value < int(index.factory[3:].split(",")[0])


def test_scores_are_exact_cosines(kv, index):
    rows, scores = index.search(kv["w7"], 5)
    unit = kv.unit_vectors
    np.testing.assert_allclose(scores, unit[rows] @ unit[7], rtol=1e-5, atol=1e-6)
    assert rows[0] == 7  # the word itself: the raw index search excludes nothing
    assert np.all(np.diff(scores) <= 0)
    many_rows, _ = index.search(kv.vectors[[7, 8]], 5)
    assert many_rows.shape == (2, 5)
    np.testing.assert_array_equal(many_rows[0], rows)


def test_indexer_attached_is_used_and_excludes_query_words(kv, index):
    class Counting:
        calls = 0

        def most_similar(self, vector, n):
            Counting.calls += 1
            return index.most_similar(vector, n)

    kv.indexer = Counting()
    try:
        got = kv.most_similar("w3", topn=4)
        assert Counting.calls == 1
        assert len(got) == 4 and "w3" not in [w for w, _ in got]
        got = kv.most_similar(positive=["w3", "w4"], negative=["w5"], topn=6)
        assert not {"w3", "w4", "w5"} & {w for w, _ in got} and len(got) == 6
        by_vector = kv.similar_by_vector(kv["w3"], topn=3)
        assert by_vector[0][0] == "w3"  # a vector query excludes nothing
        assert Counting.calls == 3
        # restrict_vocab stays exact
        assert kv.most_similar("w3", topn=3, restrict_vocab=100) == kv.most_similar(
            "w3", topn=3, restrict_vocab=100, indexer=None
        )
        assert Counting.calls == 3
    finally:
        kv.indexer = None
    # detached: exact again
    assert kv.indexer is None and kv.most_similar("w3", topn=1)


def test_gensim_style_indexer_argument(kv, index):
    exact = kv.most_similar("w11", topn=10)
    approx = kv.most_similar("w11", topn=10, indexer=index)
    assert len({w for w, _ in exact} & {w for w, _ in approx}) >= 7
    shared = dict(exact).keys() & dict(approx).keys()
    for w in shared:
        assert dict(approx)[w] == pytest.approx(dict(exact)[w], abs=1e-5)
    assert index.most_similar(kv["w11"], 0) == []


def test_save_load_round_trip(tmp_path, kv, index):
    model = tmp_path / "model.wv"
    kv.save(model)
    path = index_path(model)
    assert path.name == "model.wv.ann"
    index.save(path)
    loaded = AnnIndex.load(path, KeyedVectors.load(model))
    assert (loaded.factory, loaded.search_value, loaded.recall_) == (
        index.factory,
        index.search_value,
        index.recall_,
    )
    for w in ("w1", "w500", "w23999"):
        a, b = index.search(kv[w], 10), loaded.search(kv[w], 10)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic writer left nothing behind


def test_stale_index_is_refused_or_rebuilt(tmp_path, kv, index):
    path = tmp_path / "m.wv.ann"
    index.save(path)
    changed = KeyedVectors(kv.index_to_key, kv.vectors.copy())
    changed.vectors[123, 5] += 0.5
    with pytest.raises(StaleIndexError, match=r"1 of 24000 rows differ.*rebuild"):
        AnnIndex.load(path, changed)
    smaller = KeyedVectors(kv.index_to_key[:100], kv.vectors[:100])
    with pytest.raises(StaleIndexError, match="built for 24000 x 32 vectors"):
        AnnIndex.load(path, smaller)
    rebuilt = AnnIndex.load(path, changed, rebuild=True)
    assert rebuilt.kv is changed
    assert AnnIndex.load(path, changed).factory == index.factory  # the new one was saved
    with pytest.raises(StaleIndexError):
        AnnIndex.load(path, kv)  # ...and now the old vectors are the stale ones


def test_changed_vectors_are_never_answered_from(kv):
    own = KeyedVectors(kv.index_to_key, kv.vectors.copy())
    idx = AnnIndex.build(own, "ivf")
    row = own.key_to_index["w42"]
    assert own.most_similar("w42", indexer=idx)
    # a row the answer touches, edited in place: caught by the query itself
    own.vectors[row] *= 2.0
    with pytest.raises(StaleIndexError, match="rebuild"):
        idx.search(own.vectors[row], 10)
    # a row no answer touches: caught by check()
    own.vectors[row] /= 2.0
    idx.check()
    own.vectors[17, 0] += 1.0
    with pytest.raises(StaleIndexError, match="1 of 24000 vectors changed"):
        idx.check()
    # the array replaced (words added, say): every query refuses
    own.vectors = np.vstack([own.vectors, own.vectors[:1]])
    with pytest.raises(StaleIndexError, match=r"24000 rows indexed, 24001 now\): rebuild"):
        idx.search(own.vectors[0], 3)


def test_row_hashes_see_every_value():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 300)).astype(np.float32)
    base = row_hashes(x)
    for i, j in [(0, 0), (7, 299), (49, 150)]:
        y = x.copy()
        y[i, j] = np.nextafter(y[i, j], np.float32(np.inf))  # one bit of one value
        h = row_hashes(y)
        assert h[i] != base[i] and np.count_nonzero(h != base) == 1


def test_row_hashes_match_their_definition():
    # sum(bits * multiplier) mod 2**32 per row, as in every index file already written: a
    # different value for the same vectors would make every saved index look stale
    from wordvec.ann import _MULTIPLIERS

    rng = np.random.default_rng(1)
    for d in (1, 7, 300):
        x = rng.standard_normal((5, d)).astype(np.float32)
        bits = x.view(np.uint32).astype(object)
        mult = _MULTIPLIERS[:d].astype(object)
        want = [int(sum(b * m for b, m in zip(row, mult, strict=True)) % 2**32) for row in bits]
        assert row_hashes(x).tolist() == want


def test_sq_index_is_widened_for_simd_and_version_1_files_still_read(tmp_path, monkeypatch):
    import wordvec.ann as ann

    small = clustered(24_000, 20, seed=4)
    wide = AnnIndex.build(small, "ivf", seed=0)
    assert wide._index.d == 32  # 20 values + 12 zeros: faiss's SIMD scan wants 16 at a time
    # an index as version 1 wrote them: as wide as the vectors, and the file says version 1
    with monkeypatch.context() as m:
        m.setattr(ann, "_SIMD_WIDTH", 1)
        narrow = AnnIndex.build(small, "ivf", seed=0)
    path = tmp_path / "v1.ann"
    narrow.save(path)
    data = bytearray(path.read_bytes())
    data[12:16] = (1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    old = AnnIndex.load(path, small)
    assert old._index.d == 20
    unit = small.unit_vectors
    same = 0
    for i in range(0, 24_000, 240):
        rows, scores = wide.search(small.vectors[i], 10)
        np.testing.assert_allclose(scores, unit[rows] @ unit[i], rtol=1e-5, atol=1e-6)
        same += rows.tolist() == old.search(small.vectors[i], 10)[0].tolist()
    assert same >= 95  # the zeros change no inner product: (nearly) the same candidates


def test_one_query_runs_on_one_openmp_thread_and_the_setting_is_restored(kv, index):
    import faiss

    real, seen = index._index, []

    class Spy:  # the faiss index, noting the calling thread's OpenMP setting
        d = real.d

        def search(self, q, k):
            seen.append(faiss.omp_get_max_threads())
            if len(seen) == 3:
                raise RuntimeError("faiss failed")
            return real.search(q, k)

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(3)
    index._index = Spy()
    try:
        index.search(kv["w1"], 5)
        assert faiss.omp_get_max_threads() == 3
        index.search(kv.vectors[:4], 5)  # a batch keeps the thread's setting
        with pytest.raises(RuntimeError, match="faiss failed"):
            index.search(kv["w2"], 5)
        assert seen == [1, 3, 1] and faiss.omp_get_max_threads() == 3
    finally:
        index._index = real
        faiss.omp_set_num_threads(threads)


@pytest.mark.parametrize("kind", ["hnsw", "flat"])
def test_other_kinds(kind):
    small = clustered(3000, 16, seed=5)
    idx = AnnIndex.build(small, kind)
    assert idx.kind == kind and idx.recall_ >= 0.95
    approx = small.most_similar("w9", topn=5, indexer=idx)
    assert approx[0][0] == small.most_similar("w9", topn=5)[0][0]


def test_small_model_defaults_to_flat():
    small = clustered(500, 8, seed=2)
    idx = AnnIndex.build(small)
    assert idx.kind == "flat" and idx.search_name is None
    assert [w for w, _ in small.most_similar("w1", indexer=idx)] == [
        w for w, _ in small.most_similar("w1")
    ]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"kind": "annoy"}, "kind must be one of"),
        ({"target_recall": 0.0}, "target_recall"),
        ({"target_recall": 1.5}, "target_recall"),
    ],
)
def test_bad_build_arguments(kv, args, fragment):
    with pytest.raises(ValueError, match=fragment):
        AnnIndex.build(kv, **args)


def test_bad_queries(index):
    with pytest.raises(ValueError, match="32 values"):
        index.search(np.zeros(5, np.float32))
    with pytest.raises(ValueError, match="k must be"):
        index.search(np.zeros(32, np.float32), 0)


def test_corrupt_and_foreign_files(tmp_path, kv, index):
    path = tmp_path / "m.ann"
    index.save(path)
    data = path.read_bytes()
    cases = {
        "empty": b"",
        "foreign": b"\x93NUMPY" + b"\0" * 100,
        "truncated hashes": data[:300],
        "truncated index": data[: len(data) - 1000],
        "flipped index byte": data[:-500] + bytes([data[-500] ^ 0xFF]) + data[-499:],
    }
    for name, blob in cases.items():
        path.write_bytes(blob)
        with pytest.raises(FormatError) as e:
            AnnIndex.load(path, kv)
        assert str(path) in str(e.value) and "\n" not in str(e.value), name


def _header(data: bytes) -> dict:
    import json
    import struct

    (size,) = struct.unpack_from("<Q", data, 16)
    return json.loads(data[24 : 24 + size])


def _with_header(data: bytes, meta: dict) -> bytes:
    """The index file ``data`` with its JSON header replaced by ``meta``."""
    import json
    import struct

    (size,) = struct.unpack_from("<Q", data, 16)
    header = json.dumps(meta).encode()
    return data[:16] + struct.pack("<Q", len(header)) + header + data[24 + size :]


@pytest.mark.parametrize(
    "damage",
    [
        {"index_bytes": 2**62},  # would have been allocated before reading
        {"index_bytes": -1},
        {"index_bytes": None},
        {"search": {"name": "efSearch", "value": 8}},  # faiss refuses the parameter
        {"kind": "nope"},
        {"rows": "24000"},
    ],
)
def test_damaged_header_is_a_format_error(tmp_path, kv, index, damage):
    path = tmp_path / "m.ann"
    index.save(path)
    data = path.read_bytes()
    path.write_bytes(_with_header(data, {**_header(data), **damage}))
    with pytest.raises(FormatError, match="corrupt ANN index"):
        AnnIndex.load(path, kv)
    meta = _header(data)
    del meta["index_crc32"]
    path.write_bytes(_with_header(data, meta))
    with pytest.raises(FormatError):
        AnnIndex.load(path, kv)
    # a header size past the end of the file is not read into memory
    path.write_bytes(data[:16] + (2**62).to_bytes(8, "little") + data[24:])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        AnnIndex.load(path, kv)


def _damaged(data: bytes) -> dict[str, bytes]:
    """An index file's bytes spoilt three ways: a flipped byte in the middle, cut short, and
    not an index at all."""
    mid = len(data) // 2
    return {
        "flipped": data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :],
        "truncated": data[: len(data) - 1000],
        "garbage": b"this is not an index\n" * 50,
    }


DAMAGE = ["flipped", "truncated", "garbage"]


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_index_beside_the_model_is_not_used(tmp_path, kv, index, damage):
    """The index is derived data: a damaged one is treated as a stale one, never an error."""
    model = tmp_path / "model.wv"
    index.save(index_path(model))
    index_path(model).write_bytes(_damaged(index_path(model).read_bytes())[damage])
    fresh = KeyedVectors(kv.index_to_key, kv.vectors)
    notes: list[str] = []
    assert use_index_beside(fresh, model, notify=notes.append) is None
    assert fresh.indexer is None
    assert len(notes) == 1 and "\n" not in notes[0], notes
    assert notes[0].startswith(f"not used: {index_path(model)}: ")
    assert notes[0].endswith(f"searching exactly (rebuild the index: wordvec index {model})")
    # asked to build, it builds a new one over the damaged file
    notes.clear()
    got = use_index_beside(fresh, model, build=True, notify=notes.append)
    assert got is not None and fresh.indexer is got
    assert len(notes) == 1 and notes[0].endswith("building a new one"), notes
    AnnIndex.load(index_path(model), fresh)  # the new file is whole


def test_unreadable_index_beside_the_model_is_not_used(tmp_path, kv):
    model = tmp_path / "model.wv"
    index_path(model).mkdir()  # open() fails: still not a reason to stop a query
    notes: list[str] = []
    fresh = KeyedVectors(kv.index_to_key, kv.vectors)
    assert use_index_beside(fresh, model, notify=notes.append) is None
    assert len(notes) == 1 and notes[0].startswith(f"not used: {index_path(model)}: ")


def test_use_index_beside(tmp_path, kv, index):
    model = tmp_path / "model.wv"
    notes: list[str] = []
    fresh = KeyedVectors(kv.index_to_key, kv.vectors)
    assert use_index_beside(fresh, model, notify=notes.append) is None  # nothing there
    assert fresh.indexer is None and notes == []
    index.save(index_path(model))
    got = use_index_beside(fresh, model, notify=notes.append)
    assert fresh.indexer is got and got is not None and notes == []
    other = clustered(24_000, 32, seed=3)
    assert use_index_beside(other, model, notify=notes.append) is None
    assert other.indexer is None
    assert len(notes) == 1 and notes[0].startswith("not used: ") and "rebuild" in notes[0]
    assert notes[0].endswith(f"searching exactly (rebuild the index: wordvec index {model})")


def test_cli_uses_the_index_beside_the_model(tmp_path, capsys, kv, index):
    model = tmp_path / "model.wv"
    kv.save(model)
    assert main(["similar", str(model), "w5", "--topn", "3"]) == 0
    exact = capsys.readouterr()
    index.save(index_path(model))
    assert main(["similar", str(model), "w5", "--topn", "3"]) == 0
    approx = capsys.readouterr()
    assert approx.err == ""
    # the top neighbours agree with exact search (the scores are exact either way)
    assert approx.out.splitlines()[1] == exact.out.splitlines()[1]
    # a stale index beside the model: not used, one line says so, the answer is exact
    other = clustered(24_000, 32, seed=3)
    other.save(model)
    assert main(["similar", str(model), "w5", "--topn", "3"]) == 0
    out = capsys.readouterr()
    assert out.err.count("\n") == 1 and "not used" in out.err and "rebuild" in out.err


@pytest.mark.parametrize("damage", DAMAGE)
def test_cli_answers_exactly_beside_a_damaged_index(tmp_path, capsys, kv, index, damage):
    model = tmp_path / "model.wv"
    kv.save(model)
    assert main(["similar", str(model), "w5", "--topn", "3"]) == 0
    exact = capsys.readouterr()
    index.save(index_path(model))
    index_path(model).write_bytes(_damaged(index_path(model).read_bytes())[damage])
    assert main(["similar", str(model), "w5", "--topn", "3"]) == 0
    out = capsys.readouterr()
    assert out.out == exact.out  # exact search, the same answer
    assert out.err.count("\n") == 1 and out.err.startswith(f"not used: {index_path(model)}")
    assert f"wordvec index {model}" in out.err


def test_build_command(tmp_path, kv):
    model = tmp_path / "model.wv"
    kv.save(model)
    from wordvec.ann import main as ann_main

    assert ann_main(["build", str(model), "--recall", "0.9"]) == 0
    assert AnnIndex.load(index_path(model), KeyedVectors.load(model)).recall_ >= 0.9
    assert ann_main(["build", str(tmp_path / "missing.wv")]) == 2


def test_missing_faiss_is_one_clear_line(tmp_path, kv, index):
    model = tmp_path / "model.wv"
    kv.save(model)
    index.save(index_path(model))
    code = f"""
import sys
sys.modules["faiss"] = None  # as if faiss-cpu were not installed
import wordvec
from wordvec import KeyedVectors
from wordvec.ann import AnnIndex, use_index_beside
kv = KeyedVectors.load({str(model)!r})
try:
    AnnIndex.build(kv)
except ImportError as e:
    print("build:", e)
use_index_beside(kv, {str(model)!r})
print("attached:", kv.indexer)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    msg = "approximate search needs the 'faiss' package: pip install 'wordvec[ann]'"
    assert out.stdout.splitlines() == [f"build: {msg}", "attached: None"]
    assert out.stderr.strip() == f"{index_path(model)} not used: {msg}"


def test_import_wordvec_does_not_import_faiss():
    code = "import sys, wordvec, wordvec.ann; print('faiss' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
