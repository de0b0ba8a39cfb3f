"""Memory you can predict: ``training_bytes`` against the arrays a real training allocates and
the peak a fresh process reaches, and the refusal before allocating what cannot fit."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from wordvec import Word2Vec
from wordvec.core import memory
from wordvec.core.memory import HELD, check_memory, training_bytes, word_bytes
from wordvec.word2vec.model import Callback


def estimate(model: Word2Vec) -> dict[str, int]:
    """What ``estimate_memory`` says, checked to be ``training_bytes`` with the corpus's sizes."""
    enc = model.corpus_
    replicas = model.workers if (model.deterministic and model.workers > 1) else 0
    out = model.estimate_memory()
    assert out == training_bytes(
        len(model.wv),
        model.vector_size,
        model.window,
        model.negative,
        bool(model.hs),
        bool(model.softmax),
        model.workers,
        replicas,
        tokens=enc.n_tokens,
        rare_tokens=int(enc.rare.shape[0]),
        sentences=int(enc.bounds.shape[0] - 1),
    )
    assert out["corpus"] > 0
    return out


class Arrays(Callback):
    """Notes, while the executor is alive, the arrays training holds."""

    def on_epoch_end(self, model, stats):
        ex, obj = model._executor, model._executor.train_job
        copies = getattr(ex, "_copies", [])
        self.replicas = sum(c.nbytes for c in copies) + (ex._touched.nbytes if copies else 0)
        self.corpus = sum(a.nbytes for a in obj.corpus)  # ids, rare, rare_starts, bounds
        t = obj.tables
        self.tables = model.vocab_.counts.nbytes + t.keep.nbytes + t.noise_p.nbytes
        self.tables += t.noise_a.nbytes
        if model.hs:  # without hs they are placeholders of one element
            lengths = getattr(t, "code_len", getattr(t, "lengths", None))
            self.tables += t.codes.nbytes + t.points.nbytes + lengths.nbytes


def corpus(vocab: int, rng) -> list[list[str]]:
    """Every one of ``vocab`` words three times, shuffled, 50 tokens a sentence."""
    ids = rng.permutation(np.repeat(np.arange(vocab), 3))
    words = [f"w{i}" for i in range(vocab)]
    return [[words[i] for i in ids[a : a + 50]] for a in range(0, ids.shape[0], 50)]


@pytest.mark.parametrize(
    ("vocab", "params"),
    [
        (300, dict(deterministic=True)),
        (300, dict(deterministic=False)),
        (300, dict(deterministic=True, hs=1, negative=0)),
        (70_000, dict(deterministic=True)),
    ],  # over 65,535 words: rare ids escaped
)
def test_estimate_matches_the_arrays_training_allocates(vocab, params):
    rng = np.random.default_rng(0)
    noted = Arrays()
    model = Word2Vec(vector_size=8, min_count=1, epochs=1, workers=2, **params)
    model.fit(corpus(vocab, rng), callbacks=[noted])
    est, row = estimate(model), 4 * model.vector_size
    assert est["vectors"] == model.wv.vectors.nbytes
    if model.negative:
        assert est["syn1neg"] == model.syn1neg_.nbytes
    else:  # the V - 1 inner nodes of the Huffman tree
        assert 0 <= est["syn1"] - model.syn1_.nbytes <= row
    # the replicas also copy the unused matrix (float32[1, d]) once each
    assert 0 <= noted.replicas - est["replicas"] <= 2 * row * model.workers
    assert (noted.replicas > 0) == model.deterministic
    assert est["corpus"] == noted.corpus
    if vocab > 0xFFFF:
        assert model.corpus_.rare.shape[0] > 0
    if model.hs:  # codes and points assume ~40 levels: a bound, not the size
        assert noted.tables <= est["tables"]
    else:
        assert est["tables"] == noted.tables
    assert est["total"] == sum(v for k, v in est.items() if k != "total")


def test_the_words_estimate_is_what_python_holds():
    words = [f"word{i:06d}" for i in range(20_000)]  # 10 characters each
    model = Word2Vec(vector_size=2, min_count=1, epochs=1, workers=1).fit([words])
    kv = model.wv
    # what the allocator hands out: str in 16-byte blocks, an int in 32 bytes
    held = sum(-(-sys.getsizeof(w) // 16) * 16 for w in kv.index_to_key) + 32 * len(kv)
    held += sum(map(sys.getsizeof, (kv.key_to_index, kv.index_to_key, model.vocab_.words)))
    # the estimate also covers the dict's earlier tables, freed but still resident
    assert 1.0 <= len(words) * word_bytes(10) / held <= 1.3
    assert word_bytes(30) > word_bytes(10)


def test_nce_adds_a_bias_and_a_noise_table_per_word():
    args = (1000, 50, 5, 5, False, False, 2)
    plain, nce = training_bytes(*args, 2), training_bytes(*args, 2, nce=True)
    assert nce["nce"] == 8 * 1000 and "nce" not in plain
    assert nce["replicas"] - plain["replicas"] == 2 * 4 * 1000  # each replica trains the biases
    hogwild = training_bytes(*args, 0, nce=True)
    assert hogwild["total"] - training_bytes(*args, 0)["total"] == 8 * 1000


PEAK_CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from wordvec import Word2Vec
    from wordvec.core.memory import peak_rss
    def rss():
        with open("/proc/self/status") as f:
            return next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmRSS:"))
    kw = dict(vector_size=64, min_count=1, epochs=1, workers=2, deterministic=True)
    Word2Vec(**kw).fit([["a", "b", "c"]] * 20)  # the kernels loaded (compiled if need be)
    base = max(rss(), 1)
    ids = np.random.default_rng(0).permutation(np.repeat(np.arange(60_000), 2))
    words = [f"w{i}" for i in range(60_000)]
    m = Word2Vec(**kw).fit([[words[i] for i in ids[a:a + 1000]] for a in range(0, 120_000, 1000)])
    print(json.dumps({"base": base, "peak": peak_rss(), "vocab": len(m.wv),
                      "tokens": m.corpus_.n_tokens, "sentences": 120, "rare": int(m.corpus_.rare.shape[0])}))
""")


@pytest.mark.skipif(memory.peak_rss() is None, reason="needs Linux's /proc/self/status")
def test_a_fresh_process_peaks_where_the_estimate_says():
    out = subprocess.run(
        [sys.executable, "-c", PEAK_CHILD], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    got = json.loads(out.splitlines()[-1])
    est = training_bytes(
        got["vocab"],
        64,
        5,
        5,
        False,
        False,
        2,
        2,
        tokens=got["tokens"],
        rare_tokens=got["rare"],
        sentences=got["sentences"],
    )
    # the arrays a fresh training adds to the process it starts in (the test's input corpus,
    # made as lists of str, is the child's own and outside the estimate: about 20 MB here)
    arrays = est["total"] - est["baseline"]
    grown = got["peak"] - got["base"]
    assert 0.9 < grown / arrays < 1.25, (grown, arrays)


# -- refusing before allocating -------------------------------------------------------------------
def test_refusal_is_one_line_naming_the_estimate_and_what_is_available(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 << 20)
    monkeypatch.setattr(Word2Vec, "_init_weights", lambda self: pytest.fail("allocated"))
    model = Word2Vec(vector_size=300, min_count=1, workers=4)
    with pytest.raises(ValueError, match="needs about") as e:
        model.fit([[f"w{i}" for i in range(20_000)]])
    msg = str(e.value)
    need = model.estimate_memory(20_000)
    need = need["total"] - sum(need.get(k, 0) for k in HELD)
    assert "\n" not in msg
    assert memory._size(need) in msg and "10.0 MB is available" in msg
    assert "deterministic=False" in msg and "replicas" in msg


def test_hogwild_fits_where_the_replicas_do_not(monkeypatch):
    v = 50_000
    det = Word2Vec(vector_size=100, workers=4).estimate_memory(v)
    hog = Word2Vec(vector_size=100, workers=4, deterministic=False).estimate_memory(v)
    assert det["replicas"] == 4 * (2 * v * 400 + 3 * v) and hog["replicas"] == 0
    room = (hog["total"] + det["total"]) // 2 - det["baseline"]
    monkeypatch.setattr(memory, "available_bytes", lambda: room)
    check_memory(hog, "training")
    with pytest.raises(ValueError, match="needs about"):
        check_memory(det, "training")


def test_what_the_process_already_holds_is_not_asked_for_again(monkeypatch):
    est = {"baseline": 900, "corpus": 900, "vectors": 100, "total": 1900}
    monkeypatch.setattr(memory, "available_bytes", lambda: 150)
    check_memory(est, "training")  # 100 more is needed: it fits
    monkeypatch.setattr(memory, "available_bytes", lambda: 99)
    with pytest.raises(ValueError, match=r"needs about 100 B more \(vectors 100 B\)"):
        check_memory(est, "training")
    monkeypatch.setattr(memory, "available_bytes", lambda: None)  # unknown: no refusal
    check_memory({"vectors": 1 << 60, "total": 1 << 60}, "training")


def test_a_cluster_driver_counts_no_copies_and_no_training_buffers():
    """On a cluster the actors hold the weights' copies and train: the driver's estimate is
    its own weights, vocabulary and tables only (no Ray needed to ask)."""
    v = 50_000
    local = Word2Vec(vector_size=100, workers=4).estimate_memory(v)
    driver = Word2Vec(vector_size=100, workers=4, cluster="ray").estimate_memory(v)
    assert local["replicas"] > 0 and local["buffers"] > 0
    assert driver["replicas"] == 0 and driver["buffers"] == 0
    assert driver["vectors"] == local["vectors"] and driver["syn1neg"] == local["syn1neg"]
    assert driver["total"] == local["total"] - local["replicas"] - local["buffers"]
