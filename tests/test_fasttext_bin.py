"""fastText's whole ``.bin`` model (``read_fasttext_model``, ``write_fasttext_bin``) against
fastText itself (its binding, fasttext-wheel: a test-only dependency, those tests skipped without
it): a file fastText wrote comes back byte for byte; a file wordvec wrote loads in fastText, whose
word vectors (in and out of the vocabulary) are the means NumPy computes from our arrays; every
truncated, corrupt, supervised, quantized or other file is one ``FormatError``, with no
allocation the file cannot back; a failed write leaves nothing behind."""

from __future__ import annotations

import gzip
import itertools
import os
import struct
import tracemalloc

import numpy as np
import pytest

from wordvec.formats import fasttext as ftmod
from wordvec.formats.fasttext import (
    ARG_NAMES,
    LOSS_NAMES,
    MODEL_NAMES,
    FastTextModel,
    ngram_rows,
    read_fasttext_bin,
    read_fasttext_model,
    write_fasttext_bin,
)
from wordvec.formats.native import FormatError

WORDS = ["the", "a", "quick", "café", "naïve", "Straße", "東京", "日本語", "😀", "e😀x", "ñandú"]
WORDS += ["über", "Ελλάδα", "москва", "北京大学", "🎉party", "x", *(f"w{i}" for i in range(200))]
UNSEEN = ["quikc", "teh", "cafe", "cafés", "naive", "strasse", "Strasse", "東京都", "日本", "京都"]
UNSEEN += ["😀😀", "🎉", "ñandúes", "uber", "Ελλαδα", "москвa", "北京", "大学", "zzz", "q", ""]
UNSEEN += [f"{w}s" for w in WORDS[17:47]] + [f"w{i}x" for i in range(10)]  # misspellings
#: (model, loss, minn, maxn, bucket): both models and both of word2vec's losses, other n-gram
#: ranges and no n-grams at all (fastText then sets bucket to 0)
CONFIGS = [
    ("skipgram", "ns", 3, 6, 1000),
    ("skipgram", "hs", 2, 4, 5000),
    ("cbow", "ns", 3, 6, 1000),
    ("cbow", "hs", 1, 3, 1000),
    ("skipgram", "ns", 0, 0, 1000),
]


@pytest.fixture(scope="module")
def fasttext():
    return pytest.importorskip("fasttext", reason="the fastText binding (fasttext-wheel)")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    lines = (" ".join(rng.choice(WORDS, 20)) for _ in range(300))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=CONFIGS, ids=lambda c: "-".join(map(str, c)))
def trained(request, fasttext, corpus, tmp_path_factory):
    """(fastText's model, the .bin it saved)."""
    model, loss, minn, maxn, bucket = request.param
    ft = fasttext.train_unsupervised(
        str(corpus),
        model=model,
        loss=loss,
        dim=8,
        epoch=1,
        minCount=1,
        minn=minn,
        maxn=maxn,
        bucket=bucket,
        thread=1,
        verbose=0,
    )
    path = tmp_path_factory.mktemp("ft") / "model.bin"
    ft.save_model(str(path))
    return ft, path


def test_fasttexts_file_comes_back_byte_for_byte(trained, tmp_path):
    _, path = trained
    model = read_fasttext_model(path)
    write_fasttext_bin(tmp_path / "again.bin", model)
    assert (tmp_path / "again.bin").read_bytes() == path.read_bytes()


def test_the_model_read_is_fasttexts(trained):
    ft, path = trained
    model = read_fasttext_model(path)
    words, counts = ft.get_words(include_freq=True)
    assert model.words == words and "</s>" in model.words
    np.testing.assert_array_equal(model.counts, counts)
    assert model.counts.dtype == np.int64 and model.prune is None
    np.testing.assert_array_equal(model.input, ft.get_input_matrix())
    np.testing.assert_array_equal(model.output, ft.get_output_matrix())
    assert list(model.args) == list(ARG_NAMES)
    for name in ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "bucket", "minn", "maxn"):
        assert model.args[name] == getattr(ft, name), name
    assert model.args["lrUpdateRate"] == ft.lrUpdateRate and model.args["t"] == ft.t
    assert LOSS_NAMES[model.args["loss"]] == ft.loss.name
    assert model.args["loss"] == int(ft.loss) and model.args["model"] == int(ft.f.getArgs().model)
    # the binding spells the C++ enum's names sg and sup out in full
    assert ft.f.getArgs().model.name.startswith(MODEL_NAMES[model.args["model"]][0])
    assert model.input.shape == (len(words) + model.args["bucket"], 8)
    for a in (model.input, model.output, model.counts):  # arrays of their own, for training
        assert a.flags.writeable and a.flags.aligned and a.flags.c_contiguous


def reference_vector(model: FastTextModel, word: str) -> tuple[np.ndarray, np.ndarray]:
    """(the mean of the word's rows in float64, fastText's float32 arithmetic: the rows added
    one by one, times float32(1 / n)): the word's own row, if it has one, then its n-grams'."""
    a, n_words = model.args, len(model.words)
    rows = [model.words.index(word)] if word in model.words else []
    if word != "</s>":
        rows += ngram_rows(word, a["minn"], a["maxn"], a["bucket"], n_words, model.prune).tolist()
    if not rows:
        zero = np.zeros(a["dim"], np.float32)
        return zero, zero
    total = np.zeros(a["dim"], np.float32)
    for r in rows:
        total += model.input[r]
    return model.input[rows].mean(axis=0, dtype=np.float64), total * np.float32(1.0 / len(rows))


def test_fasttext_reads_what_wordvec_writes(trained, fasttext, tmp_path):
    _, path = trained
    model = read_fasttext_model(path)
    rng = np.random.default_rng(1)
    model.input[:] += rng.standard_normal(model.input.shape, np.float32)  # in place: writable
    model.output[:] -= rng.standard_normal(model.output.shape, np.float32)
    write_fasttext_bin(tmp_path / "ours.bin", model)
    theirs = fasttext.load_model(str(tmp_path / "ours.bin"))
    np.testing.assert_array_equal(theirs.get_input_matrix(), model.input)
    np.testing.assert_array_equal(theirs.get_output_matrix(), model.output)
    assert theirs.get_words() == model.words
    unseen = [w for w in UNSEEN if w not in model.words]
    assert len(unseen) >= 50
    for word in model.words + unseen:
        mean, fasttexts_sum = reference_vector(model, word)
        got = theirs.get_word_vector(word)
        np.testing.assert_allclose(got, mean, rtol=1e-6, atol=1e-6, err_msg=word)
        np.testing.assert_array_equal(got, fasttexts_sum, err_msg=word)  # the same float32 steps
    words, vectors, _ = read_fasttext_bin(tmp_path / "ours.bin")  # the vectors reader agrees
    assert words == model.words
    for i in range(0, len(words), 7):
        np.testing.assert_allclose(
            vectors[i], theirs.get_word_vector(words[i]), rtol=1e-6, atol=1e-6
        )


def test_gensims_file_comes_back_byte_for_byte(tmp_path):
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    rng = np.random.default_rng(0)
    sentences = [list(rng.choice(WORDS[:12], 8)) for _ in range(40)]
    for hs in (0, 1):
        model = gensim_ft.FastText(
            sentences,
            vector_size=6,
            min_count=1,
            epochs=1,
            bucket=500,
            min_n=2,
            max_n=4,
            workers=1,
            seed=1,
            hs=hs,
            negative=0 if hs else 5,
        )
        gensim_ft.save_facebook_model(model, str(tmp_path / "g.bin"))
        write_fasttext_bin(tmp_path / "w.bin", read_fasttext_model(tmp_path / "g.bin"))
        assert (tmp_path / "w.bin").read_bytes() == (tmp_path / "g.bin").read_bytes()


# -- models made in NumPy (no fastText needed) ------------------------------------------------------
def make_model(prune: dict[int, int] | None = None, n_words: int = 5) -> FastTextModel:
    rng = np.random.default_rng(2)
    args = dict.fromkeys(ARG_NAMES, 1) | {"dim": 4, "bucket": 50, "minn": 2, "maxn": 4, "t": 1e-4}
    args |= {"loss": 2, "model": 2}
    words = ["</s>", "café", "東京", "😀", "a"][:n_words]
    rows = n_words + (args["bucket"] if prune is None else len(prune))
    return FastTextModel(
        args,
        words,
        np.arange(n_words, 0, -1, dtype=np.int64),
        100,
        rng.standard_normal((rows, 4), np.float32),
        rng.standard_normal((n_words, 4), np.float32),
        prune,
    )


def test_a_pruned_model_and_undecodable_words_round_trip(tmp_path):
    model = make_model({7: 1, 3: 0, 42: 2})  # fastText writes its map's order: kept here
    model.words[2] = b"caf\xe9".decode("utf-8", "surrogateescape")  # Latin-1, not UTF-8
    write_fasttext_bin(tmp_path / "p.bin", model)
    back = read_fasttext_model(tmp_path / "p.bin")
    assert back.prune == model.prune and list(back.prune) == [7, 3, 42]
    assert back.words == model.words and back.ntokens == 100
    np.testing.assert_array_equal(back.input, model.input)
    write_fasttext_bin(tmp_path / "again.bin", back)
    assert (tmp_path / "again.bin").read_bytes() == (tmp_path / "p.bin").read_bytes()
    assert read_fasttext_bin(tmp_path / "p.bin")[0][2] == "caf\ufffd"  # the vectors: replaced
    (tmp_path / "p.bin.gz").write_bytes(gzip.compress((tmp_path / "p.bin").read_bytes()))
    np.testing.assert_array_equal(read_fasttext_model(tmp_path / "p.bin.gz").output, model.output)


def boundaries(model: FastTextModel) -> dict[str, int]:
    """Where each part of the file ``model`` makes starts."""
    at = {"header": 0, "arguments": 8, "dictionary header": 64, "words": 92}
    at["pruned ids"] = 92 + sum(len(w.encode("utf-8", "surrogateescape")) + 10 for w in model.words)
    at["input header"] = at["pruned ids"] + 8 * len(model.prune or ())
    at["input"] = at["input header"] + 17
    at["output header"] = at["input"] + model.input.nbytes
    at["output"] = at["output header"] + 17
    at["end"] = at["output"] + model.output.nbytes
    return at


def cuts(model: FastTextModel) -> list[int]:
    """Every part's start, one byte into it, and its middle; inside a word, its count, its type."""
    at = list(boundaries(model).values())
    out = {c for a, b in itertools.pairwise(at) for c in (a, a + 1, (a + b) // 2)}
    first = len(model.words[0].encode()) + 92
    out |= {92 + 1, first, first + 1, first + 5, first + 9, at[-1] - 1}
    return sorted(c for c in out if c < at[-1])


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_truncated_anywhere_is_one_format_error(tmp_path, compressed):
    model = make_model({7: 1, 3: 0, 42: 2})
    write_fasttext_bin(tmp_path / "m.bin", model)
    data = (tmp_path / "m.bin").read_bytes()
    assert boundaries(model)["end"] == len(data)
    for cut in cuts(model):
        path = tmp_path / f"cut{cut}.bin"
        path.write_bytes(gzip.compress(data[:cut]) if compressed else data[:cut])
        with pytest.raises(FormatError, match=rf"cut{cut}\.bin: truncated fastText model"):
            read_fasttext_model(path)
        with pytest.raises(FormatError, match=rf"cut{cut}\.bin: truncated fastText model"):
            read_fasttext_bin(path)


def test_truncated_fasttext_file(trained, tmp_path):
    _, path = trained
    data = path.read_bytes()
    at = boundaries(read_fasttext_model(path))
    assert at["end"] == len(data)
    for start in at.values():
        for cut in {start, start + 3} - {len(data), len(data) + 3}:
            (tmp_path / "cut.bin").write_bytes(data[:cut])
            with pytest.raises(FormatError, match=r"truncated fastText model"):
                read_fasttext_model(tmp_path / "cut.bin")


def patched(data: bytes, offset: int, fmt: str, *values) -> bytes:
    return data[:offset] + struct.pack(fmt, *values) + data[offset + struct.calcsize(fmt) :]


def test_corrupt_files_say_what_is_wrong(tmp_path):
    model = make_model()
    write_fasttext_bin(tmp_path / "m.bin", model)
    data, at = (tmp_path / "m.bin").read_bytes(), boundaries(model)
    cases = {
        "text": (b"the quick brown fox\njumps over\n", "not a fastText model"),
        "empty": (b"", "truncated fastText model"),
        "version": (patched(data, 4, "<i", 11), "version 11"),
        "dim": (patched(data, 8, "<i", 0), r"corrupt fastText arguments \(dim=0\)"),
        "loss": (patched(data, 8 + 24, "<i", 9), r"arguments \(loss=9"),
        "model": (patched(data, 8 + 28, "<i", 0), r"arguments \(model=0"),
        "nwords": (patched(data, 68, "<i", 9), "corrupt fastText dictionary header"),
        "label-type": (patched(data, at["pruned ids"] - 1, "<b", 1), "entry 5 has type 1"),
        "twice": (data.replace("😀".encode(), b"</s>"), "word '</s>' appears twice"),
        "input-rows": (patched(data, at["input header"] + 1, "<q", 54), "input matrix header"),
        "input-cols": (patched(data, at["input header"] + 9, "<q", 5), "input matrix header"),
        "quantized": (
            patched(data, at["input header"], "<b", 1),
            r"quantized fastText model \(.ftz\)",
        ),
        "output-quantized": (
            patched(data, at["output header"], "<b", 1),
            "quantized fastText output",
        ),
        "output-rows": (patched(data, at["output header"] + 1, "<q", 4), "output matrix header"),
        "trailing": (data + b"\0", "bytes after its output matrix"),
        "nan": (
            patched(data, at["input"] + 4 * 4 * 7, "<f", np.nan),
            r"input matrix row 8 \(n-gram bucket 2\)",
        ),
        "inf-out": (patched(data, at["output"] + 4, "<f", np.inf), "output matrix row 1 has a NaN"),
    }
    for name, (raw, expect) in cases.items():
        (tmp_path / f"{name}.bin").write_bytes(raw)
        with pytest.raises(FormatError, match=rf"{name}\.bin: .*{expect}") as e:
            read_fasttext_model(tmp_path / f"{name}.bin")
        assert "\n" not in str(e.value)
    assert np.isnan(read_fasttext_model(tmp_path / "nan.bin", allow_nonfinite=True).input[7, 0])


@pytest.mark.parametrize("seed", range(20))
def test_garbage_after_the_magic_is_one_format_error(tmp_path, seed):
    """Random bytes after the magic, the version, the arguments or the dictionary header."""
    rng = np.random.default_rng(seed)
    write_fasttext_bin(tmp_path / "m.bin", make_model())
    data = (tmp_path / "m.bin").read_bytes()
    for keep in (4, 8, 64, 92):
        raw = data[:keep] + rng.integers(0, 256, 400, dtype=np.uint8).tobytes()
        (tmp_path / "g.bin").write_bytes(raw)
        with pytest.raises(FormatError, match=r"g\.bin: "):
            read_fasttext_model(tmp_path / "g.bin")


def test_huge_declared_sizes_allocate_nothing_big(tmp_path):
    model = make_model()
    write_fasttext_bin(tmp_path / "m.bin", model)
    data, at, big = (tmp_path / "m.bin").read_bytes(), boundaries(model), 2**31 - 1
    n_rows = len(model.words) + big
    lies = {
        "words": patched(data, 64, "<2i", big, big),
        "pruned": patched(data, 84, "<q", 2**62),
        "ngram-rows": patched(
            patched(data, 8 + 32, "<i", big), at["input header"] + 1, "<q", n_rows
        ),
        "dim": patched(patched(data, 8, "<i", big), at["input header"] + 9, "<q", big),
    }
    tracemalloc.start()
    try:
        for name, raw in lies.items():
            for suffix, content in ((".bin", raw), (".bin.gz", gzip.compress(raw))):
                (tmp_path / f"{name}{suffix}").write_bytes(content)
                with pytest.raises(FormatError, match=r"truncated|corrupt"):
                    read_fasttext_model(tmp_path / f"{name}{suffix}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20  # a compressed file's matrix starts at 64 MB, grown as data comes


def test_supervised_and_quantized_models_are_refused(fasttext, tmp_path):
    rng = np.random.default_rng(3)
    lines = [
        f"__label__{rng.choice(['x', 'y', 'z'])} " + " ".join(rng.choice(WORDS, 8))
        for _ in range(300)
    ]
    (tmp_path / "sup.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sup = fasttext.train_supervised(
        str(tmp_path / "sup.txt"), dim=8, epoch=1, bucket=1000, wordNgrams=2, thread=1, verbose=0
    )
    sup.save_model(str(tmp_path / "sup.bin"))
    sup.quantize(
        input=str(tmp_path / "sup.txt"), retrain=False
    )  # fastText quantizes supervised only
    sup.save_model(str(tmp_path / "sup.ftz"))
    with pytest.raises(FormatError, match=r"sup\.bin: a supervised fastText model \(3 labels\)"):
        read_fasttext_model(tmp_path / "sup.bin")
    with pytest.raises(
        FormatError, match=r"sup\.ftz: a supervised fastText model \(3 labels, quantized\)"
    ):
        read_fasttext_model(tmp_path / "sup.ftz")
    with pytest.raises(FormatError, match="supervised"):
        read_fasttext_bin(tmp_path / "sup.ftz")


# -- writing ----------------------------------------------------------------------------------------
def test_inconsistent_models_are_refused_and_nothing_is_written(tmp_path):
    good = make_model()
    bad = {
        "args needs exactly": good._replace(args={k: v for k, v in good.args.items() if k != "t"}),
        r"args\['dim'\] = 4.0": good._replace(args=good.args | {"dim": 4.0}),
        r"args: loss=7": good._replace(args=good.args | {"loss": 7}),
        "needs float32": good._replace(input=good.input.astype(np.float64)),
        r"input is float32\[54, 4\]; fastText needs float32\[55, 4\]": good._replace(
            input=good.input[:-1]
        ),
        r"output is float32\[5, 3\]": good._replace(output=good.output[:, :3]),
        "counts must be": good._replace(counts=good.counts[:-1]),
        "appears twice": good._replace(words=["a", *good.words[1:]]),
        "holds a 0 byte": good._replace(words=["a\0b", *good.words[1:]]),
        "str of text": good._replace(words=[b"a", *good.words[1:]]),
        "prune must be": good._replace(prune={50: 0}, input=good.input[:6]),
        r"input matrix row 3 \(word '東京'\) has a NaN": good._replace(
            input=np.where(np.arange(55)[:, None] == 2, np.nan, good.input).astype(np.float32)
        ),
        "output matrix row 5 has a NaN": good._replace(
            output=np.where(np.arange(5)[:, None] == 4, np.inf, good.output).astype(np.float32)
        ),
    }
    for expect, model in bad.items():
        with pytest.raises(ValueError, match=expect) as e:
            write_fasttext_bin(tmp_path / "m.bin", model)
        assert "\n" not in str(e.value)
    assert os.listdir(tmp_path) == []


def test_a_missing_or_read_only_folder_is_one_error_and_nothing_is_left(tmp_path):
    model = make_model()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_fasttext_bin(tmp_path / "nowhere" / "m.bin", model)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        write_fasttext_bin(tmp_path / "file" / "m.bin", model)
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            with pytest.raises(PermissionError, match="cannot create a file"):
                write_fasttext_bin(ro / "m.bin", model)
            assert os.listdir(ro) == []
        finally:
            ro.chmod(0o755)
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_a_failure_while_writing_leaves_the_old_file(tmp_path, monkeypatch):
    write_fasttext_bin(tmp_path / "m.bin", make_model())
    before = (tmp_path / "m.bin").read_bytes()

    class DiskFull:
        def pack(self, *values):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(ftmod, "_ENTRY", DiskFull())
    with pytest.raises(OSError, match=r"No space left on device.*m\.bin"):
        write_fasttext_bin(tmp_path / "m.bin", make_model(n_words=4))
    assert (tmp_path / "m.bin").read_bytes() == before
    assert os.listdir(tmp_path) == ["m.bin"]


def test_reading_and_writing_in_small_blocks_change_nothing(tmp_path, monkeypatch):
    """Matrices are read and written a block at a time, and a compressed file's matrix is grown
    as its data comes: with blocks of 16 bytes every one of those paths runs on a tiny model."""
    model = make_model({7: 1, 3: 0, 42: 2})
    write_fasttext_bin(tmp_path / "m.bin", model)
    data = (tmp_path / "m.bin").read_bytes()
    (tmp_path / "m.bin.gz").write_bytes(gzip.compress(data))
    monkeypatch.setattr(ftmod, "_BLOCK", 16)
    monkeypatch.setattr(ftmod, "_CHUNK", 8)
    for name in ("m.bin", "m.bin.gz"):
        back = read_fasttext_model(tmp_path / name)
        np.testing.assert_array_equal(back.input, model.input)
        np.testing.assert_array_equal(back.output, model.output)
        assert back.prune == model.prune and back.words == model.words
        write_fasttext_bin(
            tmp_path / "again.bin", back._replace(input=np.asfortranarray(back.input))
        )
        assert (tmp_path / "again.bin").read_bytes() == data
