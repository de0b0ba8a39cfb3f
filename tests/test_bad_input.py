"""A corpus of bad inputs, each run through the CLI in-process: exit code 2, exactly one line on
stderr, no traceback, and nothing written (no output file, no temporary left behind).

Corpora, parameters, output paths, model files of every format truncated and corrupted (and
files that are something else entirely), and queries. Every fixture is tiny.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import pickle
import re
import struct
import zipfile

import numpy as np
import pytest

from wordvec import Word2Vec
from wordvec.cli import main

CASES: list[tuple[str, list[str], str]] = []  # (id, argv with {placeholders}, expected text)


def case(name: str, argv: str | list[str], expect: str = "") -> None:
    CASES.append((name, argv.split() if isinstance(argv, str) else argv, expect))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Every input file the cases name, made once: {placeholder: path}."""
    d = tmp_path_factory.mktemp("inputs")
    f = {}

    def put(name: str, data: bytes) -> None:
        (d / name).write_bytes(data)
        f[name] = str(d / name)

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    text = "\n".join(" ".join(rng.choice(words, 10)) for _ in range(200)) + "\n"
    put("corpus.txt", text.encode())
    put("corpus.gz", gzip.compress(text.encode()))
    put("corpus_cut.gz", gzip.compress(text.encode())[:-20])
    put("corpus_bad.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 60)
    put("corpus_cut.xz", lzma.compress(text.encode())[:-30])
    put("corpus_cut.bz2", bz2.compress(text.encode())[:-30])
    put("empty.txt", b"")
    put("blank.txt", b"\n  \n\t\n")
    put("binary.txt", bytes(range(256)) * 4)
    put("latin1.txt", "café olé\n".encode("latin-1"))
    put("nul.txt", b"a b c\x00 d\n")
    put("pickle.txt", pickle.dumps({"a": 1}))
    (d / "emptydir").mkdir()
    f["emptydir"] = str(d / "emptydir")
    (d / "outdir").mkdir()
    f["outdir"] = str(d / "outdir")

    model = Word2Vec(vector_size=4, min_count=1, epochs=1, workers=1, seed=1)
    model.fit([ln.split() for ln in text.splitlines()])
    model.save(d / "model.wv")
    f["model.wv"] = str(d / "model.wv")
    kv = model.wv
    kv.save(d / "kv.wv")
    f["kv.wv"] = str(d / "kv.wv")
    from wordvec import io as wio

    for name in ("v.txt", "v.bin", "v.glove", "vectors.tsv"):
        wio.save_vectors(kv, d / name)
        f[name] = str(d / name)
    f["metadata.tsv"] = str(d / "metadata.tsv")
    for name in ("v.txt", "v.bin", "v.glove", "kv.wv", "model.wv"):
        data = (d / name).read_bytes()
        for label, cut in (("half", len(data) // 2), ("head", 12), ("last", len(data) - 3)):
            if name == "v.glove" and label == "last":
                cut = len(data) - 2  # glove: a cut inside the last number
            if name.endswith(".wv") and label == "last":
                cut = len(data) - 40  # inside the last array (not only its padding)
            put(f"cut-{label}-{name}", data[:cut])
        put(f"gz-cut-{name}.gz", gzip.compress(data)[:-12])
        put(f"xz-cut-{name}.xz", lzma.compress(data)[:-12])
    for name in ("v.txt", "v.glove"):
        lines = (d / name).read_bytes().split(b"\n")
        lines[2] = lines[2].replace(b" ", b" nan ", 1) if name == "v.glove" else lines[2]
        bad = (d / name).read_bytes()
        put(
            f"nan-{name}",
            bad.replace(b"\n", b"\nw999 " + b"nan " * 3 + b"1.0\n", 1)
            if name == "v.glove"
            else bad.replace(b"\n", b"\nw999 inf 1 2 3\n", 1).replace(b"30 4", b"31 4", 1),
        )
    binary = bytearray((d / "v.bin").read_bytes())
    put("nan-v.bin", binary[:-5] + struct.pack("<f", np.nan) + b"\n")
    put("wrongdim-v.txt", b"2 3\na 1 2 3\nb 1 2\n")
    put("badheader-v.txt", b"two three\na 1 2\n")
    put("dup-v.txt", b"2 2\na 1 2\na 3 4\n")
    put("notnum-v.txt", b"2 2\na 1 x\nb 1 2\n")
    put("overlong-v.bin", b"1 2\n" + b"a " + struct.pack("<2f", 1, 2) + b"\nb junk\n")
    put("badutf8-v.txt", b"2 2\nok 1 2\nbad\xff 3 4\n")
    # native files with one flipped byte in each array (header JSON left intact)
    import json

    for src in ("kv.wv", "model.wv"):
        raw = (d / src).read_bytes()
        hlen = struct.unpack("<Q", raw[12:20])[0]
        header = json.loads(raw[20 : 20 + hlen])
        for array, info in header["arrays"].items():
            flipped = bytearray(raw)
            flipped[header["data_start"] + info["offset"]] ^= 0x40
            put(f"flip-{array}-{src}", bytes(flipped))
        bad_json = bytearray(raw)
        bad_json[25] = ord("!")
        put(f"badjson-{src}", bytes(bad_json))
    put("version-kv.wv", raw[:8] + struct.pack("<I", 99) + raw[12:])
    # files that are something else
    put("pickle.bin", pickle.dumps(kv.vectors, protocol=4))
    put("pickle2.wv", pickle.dumps([1, 2, 3], protocol=2))
    buf = __import__("io").BytesIO()
    np.save(buf, kv.vectors)
    put("arr.npy", buf.getvalue())
    buf = __import__("io").BytesIO()
    np.savez(buf, a=kv.vectors)
    put("arr.npz", buf.getvalue())
    zbuf = __import__("io").BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("vectors.txt", "1 2\na 1 2\n")
    put("archive.zip", zbuf.getvalue())
    put("hdf5.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    put("empty.wv", b"")
    put("gzip-empty.txt", gzip.compress(b""))
    put("gzip-pickle.bin", gzip.compress(pickle.dumps([1], protocol=4)))
    put("ft-cut.bin", struct.pack("<2i", 793712314, 12) + b"\0" * 30)
    put("ft-version.bin", struct.pack("<2i", 793712314, 11) + b"\0" * 200)
    put("random.bin", rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    # query files
    put("q.txt", b": capital\nw1 w2 w3 w4\n")
    put("q-bad.txt", b": capital\nw1 w2 w3\n")
    put("q-empty.txt", b": capital\n")
    put("q-latin1.txt", "w1 w2 w3 café\n".encode("latin-1"))
    put("p.tsv", b"w1\tw2\t5.0\nw3\tw4\t1.0\nw5\tw6\t3.0\n")
    put("p-bad.tsv", b"w1\tw2\t5.0\nw3\tw4\tlots\n")
    put("p-fields.tsv", b"w1\tw2\n")
    put("p-empty.tsv", b"# nothing\n")
    # a checkpoint-looking input that is not one
    return f


# -- corpora --------------------------------------------------------------------------------------
T = "train {%s} -o {out}/m.wv --min-count 1 --vector-size 4 --epochs 1 --quiet"
for name, expect in [
    ("missing.txt", "not found"),
    ("empty.txt", "empty"),
    ("blank.txt", ""),
    ("binary.txt", "binary"),
    ("latin1.txt", "UTF-8"),
    ("nul.txt", "NUL"),
    ("pickle.txt", ""),
    ("emptydir", "no files"),
    ("corpus_cut.gz", ""),
    ("corpus_bad.gz", ""),
    ("corpus_cut.xz", ""),
    ("corpus_cut.bz2", ""),
]:
    case(f"corpus-{name}", T % name, expect)
case("corpus-min-count-too-high", (T % "corpus.txt") + " --min-count 100000", "vocabulary")

# -- parameters -----------------------------------------------------------------------------------
P = "train {corpus.txt} -o {out}/m.wv --quiet "
for opts, expect in [
    ("--vector-size 0", "vector_size"),
    ("--vector-size -5", "vector_size"),
    ("--vector-size x", "invalid int"),
    ("--vector-size 1.5", "invalid int"),
    ("--window 0", "window"),
    ("--window -1", "window"),
    ("--min-count -1", "min_count"),
    ("--sample 1.5", "sample"),
    ("--sample -0.1", "sample"),
    ("--sample nan", "sample"),
    ("--alpha 0", "alpha"),
    ("--alpha 2", "alpha"),
    ("--alpha -1", "alpha"),
    ("--min-alpha 0.5", "min_alpha"),
    ("--min-alpha -1", "min_alpha"),
    ("--epochs 0", "epochs"),
    ("--epochs -3", "epochs"),
    ("--negative -1", "negative"),
    ("--negative 0", "nothing to train"),
    ("--ns-exponent 11", "ns_exponent"),
    ("--hs 2", "invalid choice"),
    ("--sg 5", "invalid choice"),
    ("--cbow-mean 3", "invalid choice"),
    ("--softmax", "softmax"),
    ("--softmax --negative 0 --hs 1", "softmax"),
    ("--workers 0", "workers"),
    ("--workers -2", "workers"),
    ("--seed x", "invalid int"),
    ("--max-vocab-size 0", "max_vocab_size"),
    ("--max-final-vocab 0", "max_final_vocab"),
    ("--unicode-errors bogus", "invalid choice"),
    ("--device tpu", "invalid choice"),
    ("--ray nowhere", "not HOST:PORT"),
    ("--ray 127.0.0.1:1", "no Ray cluster answers at 127.0.0.1:1"),
    ("--cluster ray", "unrecognized"),
    ("--checkpoint-every 0 --checkpoint {out}/c.ckpt", "checkpoint-every"),
    ("--progress-every -1", "progress-every"),
    ("--no-such-option 1", "unrecognized"),
    ("--vector-size 1000000000", "needs about"),
    ("--window 1000000000", "needs about"),
    ("--vector-size 100000000 --workers 64", "needs about"),
    ("--resume {out}/none.ckpt", "no such checkpoint"),
    ("--resume {kv.wv}", "not 'wordvec"),
    ("--resume {model.wv}", "not 'wordvec"),
    ("--resume {v.txt}", "not a wordvec native"),
]:
    case(f"param{opts.split()[0]}-{len(CASES)}", P + opts, expect)

# -- output paths ---------------------------------------------------------------------------------
OUT = "train {corpus.txt} --min-count 1 --vector-size 4 --epochs 1 --quiet -o "
for out, expect in [
    ("", "empty"),
    ("{outdir}", "directory"),
    ("{out}/", "directory"),
    ("{out}/missing/m.wv", "does not exist"),
    ("{corpus.txt}/m.wv", "not a directory"),
    ("{out}/m.foo", "cannot tell a format"),
    ("{out}/m.wv.zip", "cannot tell a format"),
    ("{corpus.txt}", "is an input"),
    ("{out}/m.wv --checkpoint {out}/m.wv", "same file"),
    ("{out}/m.wv --checkpoint {out}/missing/c.ckpt", "does not exist"),
    ("{out}/m.wv --checkpoint {outdir}", "directory"),
    ("{out}/vectors.tsv --checkpoint {out}/metadata.tsv", "same file"),
]:
    case(
        f"output-{len(CASES)}", [*OUT.split(), *out.split()] if out else [*OUT.split(), ""], expect
    )

# -- every command that writes a file: one suffix rule (wordvec.io.artefact_format) -------------
C = " --min-count 1 --window 3 --quiet"
for argv, expect in [
    ("cooccur {corpus.txt} -o {out}/counts.txt" + C, "must end in .npz (NumPy) or .wv"),
    ("cooccur {corpus.txt} -o {out}/counts.foo" + C, "must end in .npz"),
    ("cooccur {corpus.txt} -o {out}/counts.npz.gz" + C, "must end in .npz"),
    ("ppmi {corpus.txt} -o {out}/p.foo --vector-size 4" + C, "cannot tell a format"),
    ("glove {corpus.txt} -o {out}/g.foo --vector-size 4 --epochs 1" + C, "cannot tell a format"),
    ("glove {corpus.txt} -o {out}/g.wv.zip --vector-size 4 --epochs 1" + C, "cannot tell"),
    ("phrases {corpus.txt} -o {out}/ph.txt --save-model {out}/ph.txt2", "must end in .wv"),
    ("evaluate {kv.wv} --analogies {q.txt} --json {out}/e.txt", "must end in .json"),
    ("plot {kv.wv} --words w1 w2 -o {out}/p.txt", "must end in .png, .svg or .pdf"),
    ("convert {kv.wv} {out}/o.npz", "cannot tell a format"),
    ("demo -o {out}/m.foo", "cannot tell a format"),
]:
    case(f"suffix-{argv.split()[0]}-{len(CASES)}", argv, expect)

# -- model files: truncated, corrupt, something else -----------------------------------------------
BROKEN = (
    [
        f"cut-{c}-{n}"
        for c in ("half", "head", "last")
        for n in ("v.txt", "v.bin", "v.glove", "kv.wv", "model.wv")
    ]
    + [
        f"{z}-cut-{n}.{e}"
        for z, e in (("gz", "gz"), ("xz", "xz"))
        for n in ("v.txt", "v.bin", "v.glove", "kv.wv", "model.wv")
    ]
    + [
        "nan-v.txt",
        "nan-v.glove",
        "nan-v.bin",
        "wrongdim-v.txt",
        "badheader-v.txt",
        "dup-v.txt",
        "notnum-v.txt",
        "overlong-v.bin",
        "badutf8-v.txt",
        "badjson-kv.wv",
        "badjson-model.wv",
        "version-kv.wv",
        "missing.wv",
    ]
)
for name in BROKEN:
    case(f"similar-{name}", f"similar {{{name}}} w1", "")
for name in BROKEN[::3]:
    case(f"convert-{name}", f"convert {{{name}}} {{out}}/o.txt", "")
OTHER = {
    "pickle.bin": "pickle",
    "pickle2.wv": "pickle",
    "arr.npy": "NumPy",
    "arr.npz": "zip",
    "archive.zip": "zip",
    "hdf5.h5": "HDF5",
    "empty.wv": "empty",
    "gzip-empty.txt": "empty",
    "gzip-pickle.bin": "gzip-compressed a Python pickle",
    "ft-cut.bin": "truncated fastText",
    "ft-version.bin": "version 11",
    "random.bin": "",
    "outdir": "directory",
}
for name, expect in OTHER.items():
    case(f"similar-{name}", f"similar {{{name}}} w1", expect)
    case(f"convert-{name}", f"convert {{{name}}} {{out}}/o.vec", expect)

# a flipped byte in every native array, through every command that reads vectors
FLIPS = [
    "flip-vectors-kv.wv",
    "flip-counts-kv.wv",
    "flip-vectors-model.wv",
    "flip-counts-model.wv",
    "flip-syn1neg-model.wv",
]
for name in FLIPS:
    for cmd in (
        "similar {%s} w1",
        "analogy {%s} w1 w2 w3",
        "evaluate {%s} --analogies {q.txt}",
        "evaluate {%s} --pairs {p.tsv}",
        "convert {%s} {out}/o.txt",
        "plot {%s} --words w1 w2 w3 -o {out}/p.png",
    ):
        case(f"{cmd.split()[0]}-{name}-{len(CASES)}", cmd % name, "checksum mismatch")

# -- queries and the other commands ------------------------------------------------------------
for argv, expect in [
    ("similar {kv.wv} nope", "not in vocabulary"),
    ("similar {kv.wv} w1 --topn -1", "topn"),
    ("similar {kv.wv} w1 --topn x", "invalid int"),
    ("similar {kv.wv}", "required"),
    ("analogy {kv.wv} w1 w2 nope", "not in vocabulary"),
    ("analogy {kv.wv} w1 w2", "required"),
    ("analogy {v.txt} w1 w2 w3 --topn -2", "topn"),
    ("evaluate {kv.wv} --pairs wordsim354", "no such file"),  # a shipped set misspelt
    ("evaluate {kv.wv} --analogies {out}/none.txt", "no such file"),
    ("evaluate {kv.wv} --pairs {out}/none.tsv", "no such file"),
    ("evaluate {kv.wv} --analogies {q-bad.txt}", "expected 4 words"),
    ("evaluate {kv.wv} --analogies {q-empty.txt}", "no analogy questions"),
    ("evaluate {kv.wv} --analogies {q-latin1.txt}", "UTF-8"),
    ("evaluate {kv.wv} --pairs {p-bad.tsv}", "not a number"),
    ("evaluate {kv.wv} --pairs {p-fields.tsv}", "expected 3 fields"),
    ("evaluate {kv.wv} --pairs {p-empty.tsv}", "no word pairs"),
    ("evaluate {kv.wv} --analogies {q.txt} --restrict-vocab 0", "restrict-vocab"),
    ("evaluate {kv.wv} --analogies {q.txt} --json {out}/missing/e.json", "does not exist"),
    ("evaluate {kv.wv} --analogies {q.txt} --json {outdir}", "directory"),
    ("evaluate {kv.wv} --analogies {q.txt} --method 4cosadd", "invalid choice"),
    ("evaluate {missing.wv} --analogies {q.txt}", "no such file"),
    ("convert {kv.wv} {out}/o.foo", "pass --to"),
    ("convert {kv.wv} {out}/o --to pdf", "unknown"),
    ("convert {kv.wv} {kv.wv}", "is the input"),
    ("convert {v.txt} {v.txt}", "is the input"),
    ("convert {kv.wv} {out}/o.txt --limit 0", "limit"),
    ("convert {kv.wv} {out}/missing/o.txt", "does not exist"),
    ("convert {kv.wv} {outdir}", "directory"),
    ("convert {v.txt} {out}/o.txt --from binary", ""),
    ("convert {v.bin} {out}/o.txt --from native", "not a wordvec native"),
    ("convert {missing.wv} {out}/o.txt", "no such file"),
    ("convert {kv.wv} {out}/o.tsv --to projector --unicode-errors x", "invalid choice"),
    ("plot {kv.wv} --words w1 w2 -o {out}/p.jpg", ".png"),
    ("plot {kv.wv} --words w1 w2 -o {out}/missing/p.png", "does not exist"),
    ("plot {kv.wv} --words w1 nope -o {out}/p.png", "nope"),
    ("plot {kv.wv} --words w1 w2 -o {out}/p.png --size 0x5", "size"),
    ("plot {kv.wv} --words w1 w2 -o {out}/p.png --dpi 0", "dpi"),
    ("plot {kv.wv} --analogy w1 w2 w3 -o {out}/p.png --dims 3", "2-D"),
    ("plot {kv.wv} -o {out}/p.png", "required"),
    ("phrases {missing.txt} -o {out}/ph.txt", "not found"),
    ("phrases {corpus.txt} -o {corpus.txt}", "is the corpus"),
    ("phrases {corpus.txt} -o {out}/missing/ph.txt", "does not exist"),
    ("phrases {corpus.txt} -o {out}/ph.txt --top -1", "top"),
    ("phrases {corpus.txt} -o {out}/ph.txt --save-model {out}/ph.txt", "same file"),
    ("phrases {corpus.txt} -o {out}/ph.txt --model {out}/none.ph", ""),
    ("nosuchcommand", "invalid choice"),
]:
    case(f"{argv.split()[0]}-{len(CASES)}", argv, expect)


def test_there_are_enough_cases():
    assert len(CASES) >= 150, len(CASES)


@pytest.mark.parametrize(
    ("argv", "expect"), [(a, e) for _, a, e in CASES], ids=[n for n, _, _ in CASES]
)
def test_bad_input_is_one_line(files, tmp_path, capsys, argv, expect):
    out = tmp_path / "out"
    out.mkdir()
    names = {
        **files,
        "out": str(out),
        "missing.txt": str(out / "missing.txt"),
        "missing.wv": str(out / "missing.wv"),
    }
    args = [re.sub(r"\{([^{}]+)\}", lambda m: names[m.group(1)], a) for a in argv]
    before = {
        p: p.stat().st_mtime_ns
        for p in map(__import__("pathlib").Path, files.values())
        if p.is_file()
    }
    code = main(args)
    _, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert expect.lower() in err.lower(), err
    assert list(out.iterdir()) == [], "something was written"
    for p, mtime in before.items():  # no input was touched
        assert p.stat().st_mtime_ns == mtime, p
    assert not [p for p in os.listdir(os.path.dirname(files["kv.wv"])) if p.endswith(".tmp")]
