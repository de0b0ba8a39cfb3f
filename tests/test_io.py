"""File formats: bit-exact round trips (Hypothesis, arbitrary Unicode words), gensim interop,
and a clear FormatError for every truncated or corrupt file."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import re
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordvec import FormatError, KeyedVectors
from wordvec import io as wio
from wordvec.cli import main
from wordvec.formats import word2vec as w2v_formats

SUFFIX = {"native": ".wv", "text": ".txt", "binary": ".bin", "glove": ".glove", "projector": ".tsv"}


def make_kv(n=4, d=3, seed=0, words=None) -> KeyedVectors:
    rng = np.random.default_rng(seed)
    words = words or ["the", "ñandú", "日本語", "x\x00y", "a-b", "Ω", "z"][:n]
    return KeyedVectors(words, rng.standard_normal((len(words), d)).astype(np.float32))


def same(a: KeyedVectors, b: KeyedVectors) -> None:
    assert a.index_to_key == b.index_to_key
    assert a.vectors.dtype == b.vectors.dtype == np.float32
    assert a.vectors.tobytes() == b.vectors.tobytes()  # bit for bit, -0.0 and subnormals too


def save_load(kv, tmp_path, fmt):
    path = tmp_path / f"v{SUFFIX[fmt]}"
    assert wio.save_vectors(kv, path) == fmt  # format from the name
    assert wio.sniff_format(path) == fmt  # and from the contents
    return wio.load_vectors(path), path


# -- round trips --------------------------------------------------------------------------------
# any Unicode but ASCII whitespace: no-break spaces, U+2028, \x1c, NUL... are all kept
no_space_words = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\n\r\x0b\x0c"),
    min_size=1,
    max_size=12,
)
float32s = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def keyed_vectors(draw):
    words = draw(st.lists(no_space_words, min_size=1, max_size=8, unique=True))
    d = draw(st.integers(1, 5))
    values = draw(st.lists(float32s, min_size=len(words) * d, max_size=len(words) * d))
    return KeyedVectors(words, np.array(values, np.float32).reshape(len(words), d))


@pytest.mark.parametrize("fmt", wio.FORMATS)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kv=keyed_vectors())
def test_round_trip_any_words(tmp_path, fmt, kv):
    back, _ = save_load(kv, tmp_path, fmt)
    same(back, kv)


@pytest.mark.parametrize("fmt", wio.FORMATS)
def test_round_trip_edge_values(tmp_path, fmt):
    values = [[0.0, -0.0, 1e-45], [3.4028235e38, -1.1754944e-38, 0.1], [1e-5, 1e16, -7.0]]
    kv = KeyedVectors(["a", "bé", "c"], np.array(values, np.float32))
    back, path = save_load(kv, tmp_path, fmt)
    same(back, kv)
    wio.save_vectors(back, path)  # writing what was read gives the same bytes
    same(wio.load_vectors(path), kv)


def test_text_is_what_gensim_writes(tmp_path):
    kv = KeyedVectors(["a", "b"], np.array([[0.1, -2.5e-7], [1e20, 3.0]], np.float32))
    wio.save_word2vec(kv, tmp_path / "v.txt")
    assert (tmp_path / "v.txt").read_bytes() == b"2 2\na 0.1 -2.5e-07\nb 1e+20 3.0\n"
    wio.save_word2vec(kv, tmp_path / "v.bin", binary=True)
    raw = kv.vectors.astype("<f4")
    assert (tmp_path / "v.bin").read_bytes() == (
        b"2 2\na " + raw[0].tobytes() + b"\nb " + raw[1].tobytes() + b"\n"
    )


def test_projector_layout(tmp_path):
    kv = KeyedVectors(["a", "b"], np.array([[0.5, 1.0], [-2.0, 0.25]], np.float32))
    meta = wio.save_projector(kv, tmp_path / "vectors.tsv")
    assert meta == tmp_path / "metadata.tsv"
    assert (tmp_path / "vectors.tsv").read_bytes() == b"0.5\t1.0\n-2.0\t0.25\n"
    assert meta.read_bytes() == b"a\nb\n"
    # a metadata file with several columns has a header row; the word is the first column
    meta.write_bytes(b"word\tcount\na\t5\r\nb\t3\n")
    same(wio.load_projector(tmp_path / "vectors.tsv"), kv)
    assert wio.projector_metadata_path("x/emb_vectors.tsv").name == "emb_metadata.tsv"
    assert wio.projector_metadata_path("x/emb.tsv").name == "emb_metadata.tsv"


def test_limit(tmp_path):
    kv = make_kv(n=5)
    for binary in (False, True):
        path = tmp_path / f"v{binary}"
        wio.save_word2vec(kv, path, binary=binary)
        for limit in (0, 2, 5, 9):
            back = wio.load_word2vec(path, limit=limit)
            assert back.index_to_key == kv.index_to_key[:limit]
            assert back.vectors.tobytes() == kv.vectors[:limit].tobytes()
    wio.save_glove(kv, tmp_path / "v.glove")
    assert len(wio.load_glove(tmp_path / "v.glove", limit=3)) == 3
    with pytest.raises(ValueError, match="limit"):
        wio.load_word2vec(path, limit=-1)


@pytest.mark.parametrize("fmt", ["text", "binary", "glove", "projector"])
@pytest.mark.parametrize("word", ["a b", "a\tb", "new\nline", "cr\r", "vt\x0b", "ff\x0c", ""])
def test_whitespace_words_are_refused(tmp_path, fmt, word):
    kv = KeyedVectors(["ok", word], np.zeros((2, 2), np.float32))
    path = tmp_path / f"v{SUFFIX[fmt]}"
    with pytest.raises(ValueError, match="whitespace"):
        wio.save_vectors(kv, path)
    assert not path.exists()  # nothing half-written is left behind
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", wio.FORMATS)
def test_unicode_whitespace_is_kept(tmp_path, fmt):
    kv = make_kv(n=4, words=["nbsp\u00a0x", "line\u2028sep", "nel\x85", "fs\x1c"])
    back, _ = save_load(kv, tmp_path, fmt)
    same(back, kv)


def test_native_holds_any_word(tmp_path):
    kv = make_kv(n=2, words=["a b", "tab\there"])
    back, _ = save_load(kv, tmp_path, "native")
    same(back, kv)


# -- gensim interop -----------------------------------------------------------------------------
@pytest.fixture
def gensim_kv():
    return pytest.importorskip("gensim.models").KeyedVectors


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_ours_and_back(tmp_path, gensim_kv, binary):
    kv = make_kv(n=7, d=5, words=["the", "ñandú", "日本語", "x\x00y", "nbsp\u00a0", "Ω", "z"])
    ours = tmp_path / "ours"
    wio.save_word2vec(kv, ours, binary=binary)
    g = gensim_kv.load_word2vec_format(ours, binary=binary)
    assert g.index_to_key == kv.index_to_key
    assert g.vectors.tobytes() == kv.vectors.tobytes()
    theirs = tmp_path / "theirs"
    g.save_word2vec_format(theirs, binary=binary)
    back = wio.load_word2vec(theirs)  # format guessed
    same(back, kv)
    again = tmp_path / "again"
    wio.save_word2vec(back, again, binary=binary)
    assert again.read_bytes() == ours.read_bytes()  # ours -> gensim -> ours, byte for byte
    if not binary:
        assert theirs.read_bytes() == ours.read_bytes()  # gensim writes the same text


@pytest.mark.parametrize("binary", [False, True])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kv=keyed_vectors())
def test_gensim_round_trip_any_words(tmp_path, gensim_kv, binary, kv):
    wio.save_word2vec(kv, tmp_path / "ours", binary=binary)
    g = gensim_kv.load_word2vec_format(tmp_path / "ours", binary=binary)
    assert g.index_to_key == kv.index_to_key
    assert g.vectors.tobytes() == kv.vectors.tobytes()
    g.save_word2vec_format(tmp_path / "theirs", binary=binary)
    same(wio.load_word2vec(tmp_path / "theirs"), kv)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # gensim leaves
@pytest.mark.filterwarnings("ignore::ResourceWarning")  # a file open when no_header=True
def test_gensim_reads_glove_and_fasttext_vec(tmp_path, gensim_kv):
    kv = make_kv(n=6, d=4)
    wio.save_vectors(kv, tmp_path / "v.glove")
    g = gensim_kv.load_word2vec_format(tmp_path / "v.glove", no_header=True)
    assert g.vectors.tobytes() == kv.vectors.tobytes()
    wio.save_vectors(kv, tmp_path / "v.vec")
    g = gensim_kv.load_word2vec_format(tmp_path / "v.vec")
    assert g.index_to_key == kv.index_to_key
    assert g.vectors.tobytes() == kv.vectors.tobytes()


# -- truncated and corrupt files ----------------------------------------------------------------
def cut_everywhere(path, ok_sizes=()):
    """Every prefix of the file must fail with a FormatError naming the file (or, for sizes in
    ``ok_sizes``, load as the same vectors)."""
    data = path.read_bytes()
    cut = path.with_name("cut" + path.suffix)
    for size in range(len(data)):
        cut.write_bytes(data[:size])
        if size in ok_sizes:
            continue
        with pytest.raises(FormatError, match=str(cut.name)):
            wio.load_vectors(cut, wio.sniff_format(path))


def test_truncated_binary(tmp_path):
    path = tmp_path / "v.bin"
    wio.save_word2vec(make_kv(), path, binary=True)
    full = path.stat().st_size
    cut_everywhere(path, ok_sizes={full - 1})  # only the last newline gone: still whole
    cut = path.with_name("cut.bin")
    cut.write_bytes(path.read_bytes()[: full - 1])
    same(wio.load_word2vec(cut), make_kv())
    cut.write_bytes(path.read_bytes()[:30])
    with pytest.raises(FormatError, match=r"truncated.*byte|byte.*truncated|at least"):
        wio.load_word2vec(cut)


def test_truncated_text(tmp_path):
    path = tmp_path / "v.txt"
    wio.save_word2vec(make_kv(), path)
    cut_everywhere(path)
    cut = path.with_name("cut.txt")
    cut.write_bytes(path.read_bytes()[:-3])  # the last number cut short: still a number
    with pytest.raises(FormatError, match="line 5: no newline"):
        wio.load_word2vec(cut)


def test_truncated_glove_and_projector(tmp_path):
    path = tmp_path / "v.glove"
    wio.save_vectors(make_kv(), path)
    data = path.read_bytes()
    line_ends = {i + 1 for i, b in enumerate(data) if b == ord("\n")}
    cut_everywhere(path, ok_sizes=line_ends)  # no header: whole lines are a valid file
    path = tmp_path / "vectors.tsv"
    meta = wio.save_projector(make_kv(), path)
    whole = meta.read_bytes()
    for size in range(len(whole) - 1):
        meta.write_bytes(whole[:size])
        with pytest.raises(FormatError, match=r"metadata\.tsv"):
            wio.load_projector(path)
    meta.write_bytes(whole)
    data = path.read_bytes()
    for size in range(len(data) - 1):
        path.write_bytes(data[:size])
        with pytest.raises(FormatError, match=r"metadata.tsv|vectors.tsv"):
            wio.load_projector(path)


def test_truncated_native(tmp_path):
    path = tmp_path / "v.wv"
    make_kv().save(path)
    meta_len = struct.unpack("<Q", path.read_bytes()[12:20])[0]
    header = json.loads(path.read_bytes()[20 : 20 + meta_len])
    end = header["data_start"] + max(
        a["offset"] + int(np.prod(a["shape"])) * np.dtype(a["dtype"]).itemsize
        for a in header["arrays"].values()
    )
    cut_everywhere(path, ok_sizes=range(end, path.stat().st_size))  # only padding lost


def test_binary_header_disagrees_with_contents(tmp_path):
    path = tmp_path / "v.bin"
    kv = make_kv(n=4, d=6)
    wio.save_word2vec(kv, path, binary=True)
    body = path.read_bytes().split(b"\n", 1)[1]
    for header in (b"4 5\n", b"4 7\n", b"3 6\n", b"5 6\n", b"4 3\n", b"1000000000 300\n"):
        path.write_bytes(header + body)
        with pytest.raises(FormatError, match=r"v\.bin"):
            wio.load_word2vec(path, binary=True)
    path.write_bytes(b"4 six\n" + body)
    with pytest.raises(FormatError, match="line 1"):
        wio.load_word2vec(path)


def test_binary_non_finite_values(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"2 1\na " + struct.pack("<f", 1.0) + b"\nb " + struct.pack("<f", np.nan))
    with pytest.raises(FormatError, match=r"'b' \(byte 11\) has a NaN .* dimension 1"):
        wio.load_word2vec(path)
    assert np.isnan(wio.load_word2vec(path, allow_nonfinite=True)["b"][0])


@pytest.mark.parametrize("fmt", wio.FORMATS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_refused_in_every_format(tmp_path, fmt, bad):
    kv = make_kv(n=3, d=4)
    kv.vectors[1, 2] = bad
    path = tmp_path / f"v{SUFFIX[fmt]}"
    wio.save_vectors(kv, path)
    where = {
        "native": "entry 2",
        "binary": "byte",
        "text": "line 3",
        "glove": "line 2",
        "projector": "line 2",
    }[fmt]
    with pytest.raises(FormatError, match=f"word 'ñandú' \\({where}.*dimension 3"):
        wio.load_vectors(path).most_similar("the")
    back = wio.load_vectors(path, allow_nonfinite=True)
    assert back.vectors[1, 2] == bad or (np.isnan(bad) and np.isnan(back.vectors[1, 2]))


def test_text_errors_name_the_line(tmp_path):
    path = tmp_path / "v.txt"
    cases = {
        b"2 2\na 1 2\nb 1\n": "line 3: expected a word and 2 values, got 1",
        b"2 2\na 1 2\nb 1 x\n": "line 3: not a number",
        b"2 2\na 1 2\n": "truncated: the header promises 2",
        b"3 2\na 1.5 2.5\nb 3.5 4.5\n": "truncated: the header promises 3 words, found 2",
        b"1 2\na 1 2\nb 3 4\n": "line 3: more lines than the 1",
        b"2 2\na 1 2\na 3 4\n": "word 'a' appears twice",
        b"2 2\n 1 2\nb 3 4\n": "line 2: starts with a separator",
        b"": "the file is empty",
    }
    for data, message in cases.items():
        path.write_bytes(data)
        with pytest.raises(FormatError, match=message):
            wio.load_word2vec(path, binary=False)
    path.write_bytes(b"a 1 2\nb 1 2 3\n")
    with pytest.raises(FormatError, match="line 2: expected a word and 2 values, got 3"):
        wio.load_glove(path)


def test_windows_line_endings_and_c_tool_trailing_space(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 2\r\na 1 2 \r\nb 3 4 \r\n")
    kv = wio.load_word2vec(path)
    assert kv.index_to_key == ["a", "b"]
    assert kv.vectors.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("binary", [False, True])
def test_invalid_utf8_choice(tmp_path, binary):
    path = tmp_path / "v"
    kv = make_kv(n=2, d=2, words=["ok", "PLACEHOLDER"])
    wio.save_word2vec(kv, path, binary=binary)
    path.write_bytes(path.read_bytes().replace(b"PLACEHOLDER", b"bad\xff\xfeword"))
    where = "byte 16" if binary else "line 3"  # header 4 bytes, "ok " 3, 8 float bytes, newline
    with pytest.raises(FormatError, match=f"invalid UTF-8 .* at {where}"):
        wio.load_word2vec(path)
    assert (
        wio.load_word2vec(path, unicode_errors="replace").index_to_key[1] == "bad\ufffd\ufffdword"
    )
    assert wio.load_word2vec(path, unicode_errors="ignore").index_to_key[1] == "badword"
    with pytest.raises(ValueError, match="unicode_errors"):
        wio.load_word2vec(path, unicode_errors="bogus")


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_binary_records_across_chunks(tmp_path, monkeypatch, chunk):
    kv = make_kv(n=4, d=3, words=["a", "w" * 100, "ü" * 9, "z"])
    wio.save_word2vec(kv, tmp_path / "v.bin", binary=True)
    monkeypatch.setattr(w2v_formats, "_CHUNK", chunk)  # records and words split between reads
    same(wio.load_word2vec(tmp_path / "v.bin"), kv)
    assert wio.load_word2vec(tmp_path / "v.bin", limit=2).index_to_key == ["a", "w" * 100]


def test_gensim_style_binary_without_newlines(tmp_path):
    kv = make_kv(n=3, d=2)
    raw = kv.vectors.astype("<f4")
    data = b"3 2\n" + b"".join(
        w.encode() + b" " + r.tobytes() for w, r in zip(kv.index_to_key, raw, strict=True)
    )
    (tmp_path / "v.bin").write_bytes(data)
    same(wio.load_word2vec(tmp_path / "v.bin"), kv)
    (tmp_path / "v.bin").write_bytes(data[:-1])
    with pytest.raises(FormatError, match="truncated at byte"):
        wio.load_word2vec(tmp_path / "v.bin")


def test_garbage_is_a_format_error_not_a_hang(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "junk.bin"
    for trial in range(20):
        data = rng.integers(0, 256, 2000, dtype=np.uint8).tobytes()
        if trial % 2:
            data = b"10 4\n" + data
        path.write_bytes(data)
        with pytest.raises(FormatError):
            wio.load_vectors(path)


def test_native_corrupt_header(tmp_path):
    path = tmp_path / "v.wv"
    make_kv().save(path)
    data = bytearray(path.read_bytes())
    start = data.index(b'"dtype"')
    data[start : start + 7] = b'"dtypX"'
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="corrupt header entry"):
        wio.load_vectors(path)
    (tmp_path / "w.wv").write_bytes(b"WORDVEC\0" + b"\x01\0\0\0" + b"\xff" * 8)
    with pytest.raises(FormatError, match="truncated inside the header"):
        wio.load_vectors(tmp_path / "w.wv")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        wio.load_vectors(tmp_path / "nope.bin")


# -- format names -------------------------------------------------------------------------------
def test_format_names():
    assert wio.format_from_name("a/b.BIN") == "binary"
    assert wio.format_from_name("x.vec") == wio.format_from_name("x.txt") == "text"
    assert wio.format_from_name("x.tsv") == "projector"
    assert wio.format_from_name("x.wv") == "native"
    assert wio.format_from_name("x.glove") == "glove"
    assert wio.format_from_name("x.foo") is None
    assert wio.check_format("fasttext") == wio.check_format("word2vec") == "text"
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        wio.check_format("pdf")
    with pytest.raises(ValueError, match="cannot tell a format"):
        wio.save_vectors(make_kv(), "x.foo")
    assert wio.output_format("model") == "native"  # no suffix: a model
    assert wio.output_format("v.txt.gz") == "text" and wio.output_format("v.glove.xz") == "glove"
    assert wio.output_format("x.foo", "bin") == "binary"


@pytest.mark.parametrize(
    ("kind", "name", "fmt"),
    [
        ("vectors", "v.txt.gz", "text"),
        ("vectors", "model", "native"),
        ("cooccurrence", "c.npz", "npz"),
        ("cooccurrence", "c.WV", "native"),
        ("cooccurrence", "c", "native"),
        ("cooccurrence", "c.wv.xz", "native"),
        ("phrases", "p.wv", "native"),
        ("phrases", "p.wv.gz", "native"),
        ("figure", "f.SVG", "svg"),
        ("json", "r.json", "json"),
    ],
)
def test_artefact_format(kind, name, fmt):
    assert wio.artefact_format(kind, name) == fmt


@pytest.mark.parametrize(
    ("kind", "name", "accepted"),
    [
        ("vectors", "v.foo", "cannot tell a format"),
        ("cooccurrence", "c.txt", "must end in .npz (NumPy) or .wv, or have no suffix (native"),
        ("cooccurrence", "c.npz.gz", "must end in .npz"),
        ("cooccurrence", "c.tsv", "must end in .npz"),
        ("phrases", "p.txt", "must end in .wv, or have no suffix"),
        ("figure", "f.jpg", "must end in .png, .svg or .pdf"),
        ("figure", "f.png.gz", "must end in .png"),
        ("json", "r.txt", "must end in .json"),
        ("json", "r", "must end in .json"),
        ("json", " ", "empty"),
    ],
)
def test_artefact_format_refuses_other_suffixes_in_one_line(kind, name, accepted):
    with pytest.raises(ValueError, match=re.escape(accepted)) as e:
        wio.artefact_format(kind, name)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="unknown kind of output"):
        wio.artefact_format("picture", "p.png")


def test_sniff_glove_named_txt(tmp_path):
    kv = make_kv()
    wio.save_word2vec(kv, tmp_path / "glove.6B.txt", header=False)
    assert wio.sniff_format(tmp_path / "glove.6B.txt") == "glove"
    same(wio.load_vectors(tmp_path / "glove.6B.txt"), kv)


# -- wordvec convert ----------------------------------------------------------------------------
def test_convert_cli_chain(tmp_path, capsys):
    kv = make_kv(n=5, d=4)
    kv.save(tmp_path / "a.wv")
    chain = ["b.bin", "c.vec", "d.tsv", "e.glove", "f.txt", "g.wv"]
    src = "a.wv"
    for dst in chain:
        assert main(["convert", str(tmp_path / src), str(tmp_path / dst)]) == 0
        src = dst
    same(KeyedVectors.load(tmp_path / "g.wv"), kv)
    assert "5 words x 4" in capsys.readouterr().err
    assert (
        main(
            [
                "convert",
                str(tmp_path / "a.wv"),
                str(tmp_path / "h.out"),
                "--to",
                "glove",
                "--limit",
                "2",
            ]
        )
        == 0
    )
    assert wio.load_glove(tmp_path / "h.out").index_to_key == kv.index_to_key[:2]
    assert (
        main(["convert", str(tmp_path / "h.out"), str(tmp_path / "i.bin"), "--from", "glove"]) == 0
    )


def test_convert_cli_errors(tmp_path, capsys):
    make_kv().save(tmp_path / "a.wv")
    assert main(["convert", str(tmp_path / "a.wv"), str(tmp_path / "b.foo")]) == 2
    assert "pass --to" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "a.wv"), str(tmp_path / "b"), "--to", "pdf"]) == 2
    assert "unknown format" in capsys.readouterr().err
    (tmp_path / "bad.bin").write_bytes(b"3 2\nab")
    assert main(["convert", str(tmp_path / "bad.bin"), str(tmp_path / "b.txt")]) == 2
    err = capsys.readouterr().err
    assert "bad.bin" in err and "truncated" in err
    assert err.count("\n") == 1  # one line, no traceback
    assert not (tmp_path / "b.txt").exists()
    bad_words = KeyedVectors(["a b"], np.zeros((1, 2), np.float32))
    bad_words.save(tmp_path / "sp.wv")
    assert main(["convert", str(tmp_path / "sp.wv"), str(tmp_path / "sp.txt")]) == 2
    assert "whitespace" in capsys.readouterr().err


# -- compression, recognition, fastText, checksums ----------------------------------------------
MAGIC = {"gz": b"\x1f\x8b", "bz2": b"BZh", "xz": b"\xfd7zXZ\x00"}


@pytest.mark.parametrize("fmt", wio.FORMATS)
@pytest.mark.parametrize("comp", ["gz", "bz2", "xz"])
def test_compressed_round_trip_every_format(tmp_path, fmt, comp):
    kv = make_kv(n=5, d=3)
    path = tmp_path / f"vectors{SUFFIX[fmt]}.{comp}"
    assert wio.save_vectors(kv, path) == fmt
    assert path.read_bytes().startswith(MAGIC[comp])  # really compressed
    if fmt == "projector":
        assert (tmp_path / f"metadata.tsv.{comp}").read_bytes().startswith(MAGIC[comp])
    assert wio.sniff_format(path) == fmt
    same(wio.load_vectors(path), kv)
    if fmt != "projector":  # by magic bytes, whatever the name says
        disguised = tmp_path / f"disguised{SUFFIX[fmt]}"
        disguised.write_bytes(path.read_bytes())
        same(wio.load_vectors(disguised), kv)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_gzip(tmp_path, gensim_kv, binary):
    kv = make_kv(n=5, d=3)
    wio.save_word2vec(kv, tmp_path / "v.gz", binary=binary)
    g = gensim_kv.load_word2vec_format(tmp_path / "v.gz", binary=binary)
    assert g.vectors.tobytes() == kv.vectors.tobytes()
    g.save_word2vec_format(tmp_path / "theirs.bz2", binary=binary)
    same(wio.load_word2vec(tmp_path / "theirs.bz2"), kv)


def test_convert_writes_real_gzip(tmp_path, gensim_kv):
    make_kv(n=5, d=3).save(tmp_path / "m.wv")
    assert (
        main(["convert", str(tmp_path / "m.wv"), str(tmp_path / "out.vec.gz"), "--to", "text"]) == 0
    )
    g = gensim_kv.load_word2vec_format(tmp_path / "out.vec.gz")
    assert g.index_to_key == make_kv(n=5, d=3).index_to_key


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (pickle.dumps({"a": 1}, protocol=2), "pickle"),
        (pickle.dumps([1.0], protocol=5), "pickle"),
        (b"\x93NUMPY\x01\x00" + b" " * 40, ".npy"),
        (b"PK\x03\x04" + b"\0" * 40, "zip"),
        (b"PK\x05\x06" + b"\0" * 40, "zip"),
        (b"\x89HDF\r\n\x1a\n" + b"\0" * 40, "HDF5"),
        (gzip.compress(pickle.dumps([1], protocol=4)), "gzip-compressed a Python pickle"),
        (gzip.compress(b""), "empty"),
    ],
)
def test_other_files_are_named_by_their_first_bytes(tmp_path, data, says):
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    assert says in wio.identify(path)
    with pytest.raises(FormatError, match=re.escape(says)):
        wio.load_vectors(path)
    with pytest.raises(FormatError, match=re.escape(says)):
        wio.load_word2vec(path)


def test_damaged_compression_is_a_format_error(tmp_path):
    kv = make_kv()
    for comp in ("gz", "bz2", "xz"):
        path = tmp_path / f"v.txt.{comp}"
        wio.save_vectors(kv, path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        with pytest.raises(FormatError, match=r"damaged .* data|truncated"):
            wio.load_vectors(path)


def test_fasttext_bin_word_vectors_as_gensim(tmp_path):
    fasttext = pytest.importorskip("gensim.models.fasttext")
    rng = np.random.default_rng(0)
    words = ["ñandú", "日本", "cat", "cats", "dog", "a-b"]
    sentences = [list(rng.choice(words, 8)) for _ in range(60)]
    model = fasttext.FastText(
        sentences,
        vector_size=6,
        min_count=1,
        epochs=2,
        bucket=500,
        min_n=2,
        max_n=4,
        workers=1,
        seed=1,
    )
    fasttext.save_facebook_model(model, str(tmp_path / "ft.bin"))
    theirs = fasttext.load_facebook_vectors(str(tmp_path / "ft.bin"))
    assert wio.sniff_format(tmp_path / "ft.bin") == "fasttext-bin"
    ours = wio.load_vectors(tmp_path / "ft.bin")
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_allclose(ours.vectors, theirs.vectors, rtol=1e-5, atol=1e-6)
    assert ours.get_vecattr("cat", "count") == theirs.get_vecattr("cat", "count")
    data = (tmp_path / "ft.bin").read_bytes()
    for cut in (10, 80, len(data) // 2, len(data) - 4):
        (tmp_path / "cut.bin").write_bytes(data[:cut])
        with pytest.raises(FormatError, match=r"cut\.bin"):
            wio.load_vectors(tmp_path / "cut.bin")


@pytest.mark.parametrize("array", ["vectors", "counts", "syn1neg"])
def test_flipped_byte_caught_after_mmap_before_first_use(tmp_path, array):
    kv = make_kv(n=6, d=4)
    path = tmp_path / "m.wv"
    wio.save_native(
        path,
        {"kind": wio.MODEL_KIND, "words": kv.index_to_key},
        {"vectors": kv.vectors, "counts": np.arange(6), "syn1neg": kv.vectors},
    )
    raw = path.read_bytes()
    header = json.loads(raw[20 : 20 + struct.unpack("<Q", raw[12:20])[0]])
    flipped = bytearray(raw)
    flipped[header["data_start"] + header["arrays"][array]["offset"] + 1] ^= 1
    path.write_bytes(bytes(flipped))
    with pytest.raises(FormatError, match=f"'{array}' is corrupt"):
        wio.load_vectors(path)  # read into memory: checked at once
    lazy = wio.load_vectors(path, mmap=True)  # memory-mapped: checked before the first use
    for use in (lambda: lazy.most_similar("the"), lambda: lazy["the"], lambda: lazy.vectors):
        with pytest.raises(FormatError, match=f"'{array}' is corrupt"):
            use()
    with pytest.raises(FormatError, match=f"'{array}' is corrupt"):
        wio.load_native(path, mmap=True)  # the plain reader always checks


def test_check_writable(tmp_path):
    assert wio.check_writable(tmp_path / "ok.wv") == tmp_path / "ok.wv"
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing
    with pytest.raises(ValueError, match="empty"):
        wio.check_writable("")
    with pytest.raises(IsADirectoryError):
        wio.check_writable(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        wio.check_writable(tmp_path / "no" / "x.wv")
    with pytest.raises(OSError, match="free"):
        wio.check_writable(tmp_path / "x.wv", nbytes=1 << 62)
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        with pytest.raises(PermissionError, match="cannot create"):
            wio.check_writable(ro / "x.wv")


def test_atomic_write_errors_name_the_target(tmp_path, monkeypatch):
    target = tmp_path / "v.txt"

    def full(*_):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space") as e, wio.atomic_write(target) as f:  # noqa: PT012
        monkeypatch.setattr(f, "write", full)
        f.write(b"x")
    assert e.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []
