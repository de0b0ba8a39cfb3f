"""A corpus that does not fit ``max_memory``: its encoded ids go to a file in ``work_dir``, the
results are the same bits, and nothing is left behind (errors, Ctrl-C, kill -9, a full disk)."""

import errno
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import write_corpus, zipf_stream
from wordvec import FastText, Word2Vec
from wordvec.corpus import workdir
from wordvec.corpus.workdir import PREFIX, WorkDir, WorkDirError

MiB = 1 << 20
PARAMS = dict(vector_size=16, min_count=1, epochs=2, seed=3, batch_words=1000, round_words=20_000)


@pytest.fixture(scope="module")
def sentences():
    return zipf_stream(400_000, a=1.3, vocab=400, line=40)  # 1.6 MB of int32 ids: > 1 MiB


@pytest.fixture
def corpus(tmp_path, sentences):
    return write_corpus(tmp_path / "c.txt", sentences)


def leftovers(folder):
    return [p for p in folder.iterdir() if p.name.startswith(PREFIX)]


def same_bits(a, b) -> bool:
    return np.array_equal(a.wv.vectors, b.wv.vectors) and np.array_equal(a.syn1neg_, b.syn1neg_)


@pytest.mark.parametrize(("sg", "workers"), [(1, 1), (1, 2), (0, 2)])
def test_corpus_on_disk_gives_the_same_bits(tmp_path, corpus, sg, workers):
    work = tmp_path / "work"
    work.mkdir()
    kw = dict(PARAMS, sg=sg, workers=workers)
    memory = Word2Vec(**kw).fit(corpus)
    disk = Word2Vec(**kw, max_memory=2 * MiB, work_dir=work).fit(corpus)
    assert not memory.corpus_.on_disk and disk.corpus_.on_disk
    assert np.array_equal(disk.corpus_.ids, memory.corpus_.ids)
    assert same_bits(disk, memory)
    assert disk.loss_history_ == memory.loss_history_
    assert "on disk (max_memory): corpus" in disk.report_.summary()
    assert leftovers(work) == []  # the file has no name: nothing in the folder, even now


def test_token_lists_spill_too(sentences):
    memory = Word2Vec(**PARAMS, workers=2).fit(sentences)
    disk = Word2Vec(**PARAMS, workers=2, max_memory=2 * MiB).fit(sentences)
    assert disk.corpus_.on_disk and same_bits(disk, memory)


def tight_budget(cls, kw: dict, corpus) -> int:
    """A max_memory that holds all but half of the encoded corpus."""
    est = cls(**kw).build_vocab(corpus).estimate_memory()
    return est["total"] - est["baseline"] - est["corpus"] // 2


def test_fasttext_trains_from_disk(corpus):
    kw = dict(PARAMS, workers=2, bucket=2000, deterministic=True)
    memory = FastText(**kw).fit(corpus)
    disk = FastText(**kw, max_memory=tight_budget(FastText, kw, corpus)).fit(corpus)
    assert disk.corpus_.on_disk
    assert np.array_equal(disk.wv.vectors, memory.wv.vectors)


def test_estimate_says_what_is_on_disk(corpus):
    disk = Word2Vec(**PARAMS, workers=2, max_memory=2 * MiB).build_vocab(corpus)
    memory = Word2Vec(**PARAMS, workers=2).build_vocab(corpus)
    d, m = disk.estimate_memory(), memory.estimate_memory()
    n = memory.corpus_.n_tokens
    assert d["disk_corpus"] == 2 * n and "disk_corpus" not in m
    assert d["corpus"] == m["corpus"] - 2 * n
    assert d["total"] == m["total"] - 2 * n  # the file is not memory


def test_a_corpus_that_fits_the_scan_but_not_beside_the_weights_moves_after_the_vocabulary(
    corpus,
):
    kw = dict(PARAMS, vector_size=200, workers=2)
    budget = tight_budget(Word2Vec, kw, corpus)
    assert budget // 2 > 4 * 400_000  # the scan's ids stay in memory
    model = Word2Vec(**kw, max_memory=budget).build_vocab(corpus)
    assert model.corpus_.on_disk
    memory = Word2Vec(**kw).fit(corpus)
    assert same_bits(model.train(), memory)


def test_weights_that_do_not_fit_are_refused_in_one_line(corpus):
    model = Word2Vec(**{**PARAMS, "vector_size": 400}, workers=2, max_memory=MiB)
    with pytest.raises(
        ValueError, match=r"^training needs about .* but max_memory is 1\.0 MB"
    ) as e:
        model.fit(corpus)
    assert "\n" not in str(e.value)
    assert not hasattr(model, "wv")  # refused before the weights


def test_a_work_dir_that_is_no_folder_is_refused_before_the_scan(tmp_path, corpus):
    seen = []
    model = Word2Vec(**PARAMS, max_memory=2 * MiB, work_dir=tmp_path / "missing")
    with pytest.raises(WorkDirError, match="does not exist or is not a folder"):
        model.build_vocab(corpus, progress=seen.append)
    assert seen == []  # not a byte read
    with pytest.raises(WorkDirError, match="not a folder"):
        Word2Vec(**PARAMS, max_memory=2 * MiB, work_dir=corpus).build_vocab(corpus)


def test_a_work_dir_without_room_is_refused_before_the_scan(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr(workdir, "free_bytes", lambda path: 1000)
    with pytest.raises(WorkDirError, match="has 1,000 B free but the encoded corpus needs"):
        Word2Vec(**PARAMS, max_memory=2 * MiB, work_dir=tmp_path).build_vocab(corpus)
    assert leftovers(tmp_path) == []


def test_a_full_disk_while_spilling_is_one_line_and_leaves_nothing(tmp_path, corpus, monkeypatch):
    def full(fd, nbytes):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(workdir, "allocate", full)
    before = corpus.read_bytes()
    with pytest.raises(WorkDirError, match="ran out of space writing the encoded corpus") as e:
        Word2Vec(**PARAMS, max_memory=2 * MiB, work_dir=tmp_path).fit(corpus)
    assert "\n" not in str(e.value)
    assert leftovers(tmp_path) == [] and corpus.read_bytes() == before


def test_ctrl_c_while_spilling_leaves_nothing(tmp_path, sentences):
    big = write_corpus(tmp_path / "big.txt", sentences * 4)  # several 4 MB blocks

    read = []

    def interrupt(nbytes: int) -> None:  # called with each block's bytes
        read.append(nbytes)
        if len(read) == 2:
            raise KeyboardInterrupt

    work = tmp_path / "work"
    work.mkdir()
    model = Word2Vec(**PARAMS, max_memory=2 * MiB, work_dir=work)
    with pytest.raises(KeyboardInterrupt):
        model.build_vocab(big, progress=interrupt)
    assert leftovers(work) == []


KILLED = """
import os, signal, sys
from wordvec import Word2Vec

read = []

def die(nbytes):
    read.append(nbytes)
    if len(read) == 2:
        os.kill(os.getpid(), signal.SIGKILL)

Word2Vec(min_count=1, max_memory=2 << 20, work_dir=sys.argv[2]).build_vocab(sys.argv[1], die)
"""


def test_kill_9_while_spilling_the_next_run_removes_the_folder(tmp_path, sentences):
    big = write_corpus(tmp_path / "big.txt", sentences * 4)
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-c", KILLED, str(big), str(work)], check=False)
    assert done.returncode == -signal.SIGKILL
    stale = leftovers(work)
    assert len(stale) == 1 and list(stale[0].iterdir()) == []  # a folder, no data in it
    w = WorkDir(work, 0, "the encoded corpus")
    assert w.removed == stale and leftovers(work) == [w.path]
    w.close()
    assert leftovers(work) == []


def test_a_live_runs_folder_is_not_removed(tmp_path):
    mine = tmp_path / f"{PREFIX}{os.getppid()}-cafe"  # a live process (the test runner's parent)
    mine.mkdir()
    with WorkDir(tmp_path) as w:
        assert w.removed == [] and mine.exists()


def test_a_spilled_run_resumes_from_its_checkpoint(tmp_path, corpus):
    class CtrlCAfterFirstEpoch:
        def on_train_begin(self, model):
            pass

        def on_epoch_begin(self, model, epoch):
            pass

        def on_epoch_end(self, model, stats):
            if stats.epoch == 0:
                raise KeyboardInterrupt

        def on_train_end(self, model):
            pass

    kw = dict(PARAMS, workers=2, max_memory=2 * MiB)
    full = Word2Vec(**kw).fit(corpus)
    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        Word2Vec(**kw).fit(corpus, callbacks=[CtrlCAfterFirstEpoch()], checkpoint=ckpt)
    resumed = Word2Vec.resume(ckpt, corpus)
    assert resumed.corpus_.on_disk  # re-encoded to disk, as the parameters say
    assert same_bits(resumed, full)


def test_the_command_line_takes_a_budget_and_a_work_dir(tmp_path, corpus, capsys):
    from wordvec.cli import main

    out = tmp_path / "m.wv"
    args = ["train", str(corpus), "-o", str(out), "--min-count", "1", "--vector-size", "16"]
    args += ["--epochs", "1", "--max-memory", "0.002", "--work-dir", str(tmp_path)]
    assert main(args) == 0
    assert out.exists() and leftovers(tmp_path) == []
    capsys.readouterr()
    assert main([*args[:-4], "--max-memory", "0"]) != 0
    assert "--max-memory: must be at least 0.001 GiB" in capsys.readouterr().err


def test_a_parallel_scan_with_too_many_words_prunes_as_one_thread(tmp_path, sentences):
    from wordvec.corpus.reader import scan_corpus

    path = write_corpus(tmp_path / "c.txt", sentences)
    one = scan_corpus(path, max_vocab_size=100)
    two = scan_corpus(path, max_vocab_size=100, workers=2, parallel_min_bytes=1)
    assert one.pruned_words > 0 and two.pruned_words == one.pruned_words
    assert np.array_equal(one.tokens, two.tokens) and np.array_equal(one.counts, two.counts)
    free = scan_corpus(path, max_vocab_size=1000, workers=2, parallel_min_bytes=1)
    assert free.pruned_words == 0  # 400 words: every piece within its share, in parallel


def test_a_scan_spilled_in_parallel_gives_the_same_ids(tmp_path, sentences):
    from wordvec.corpus.reader import Spill, scan_corpus

    path = write_corpus(tmp_path / "c.txt", sentences)
    memory = scan_corpus(path, workers=2, parallel_min_bytes=1)
    spill = Spill(MiB, tmp_path)
    disk = scan_corpus(path, workers=2, parallel_min_bytes=1, spill=spill)
    spill.close()
    assert memory.file is None and disk.file is not None
    assert np.array_equal(memory.tokens, disk.tokens)
    assert np.array_equal(memory.line_ends, disk.line_ends)
    assert leftovers(tmp_path) == []


def test_a_budget_scan_keeps_the_frequent_words_exactly(tmp_path):
    from wordvec.corpus.reader import scan_corpus

    rng = np.random.default_rng(2)
    common = rng.zipf(1.3, 200_000) % 300
    ids = np.concatenate([common, 1000 + np.arange(100_000)])  # 100k strings seen once
    rng.shuffle(ids)
    tokens = [f"w{i}" for i in ids]
    path = write_corpus(tmp_path / "c.txt", [tokens[a : a + 50] for a in range(0, len(tokens), 50)])
    scan = scan_corpus(path, max_vocab_size=2000, halve=True)
    got = dict(zip((w.decode() for w in scan.words), scan.counts.tolist(), strict=True))
    assert len(got) <= 2000 and scan.pruned_words >= 100_000 - 2000
    words, counts = np.unique(common, return_counts=True)
    for w, c in zip(words, counts, strict=True):
        if c >= 500:  # frequent from the start: above every prune's threshold, counted exactly
            assert got[f"w{w}"] == c
    assert scan.raw_tokens == len(tokens)


PEAK = """
import json, sys
import numpy as np
from wordvec import Word2Vec

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

Word2Vec(vector_size=8, min_count=1, epochs=1, workers=2).fit([["a", "b", "c"] * 10] * 10)
base = status("VmRSS:")
mm = None if sys.argv[2] == "none" else int(sys.argv[2])
m = Word2Vec(vector_size=16, min_count=1, epochs=1, workers=2, max_memory=mm).fit(sys.argv[1])
print(json.dumps({"over": status("VmHWM:") - base, "disk": m.corpus_.on_disk}))
"""


def test_the_peak_stays_within_the_budget(tmp_path):
    import json

    rng = np.random.default_rng(0)
    ids = rng.zipf(1.3, 6_000_000) % 400
    path = tmp_path / "c.txt"
    with open(path, "w") as f:
        for a in range(0, ids.shape[0], 1000):
            f.write(" ".join(f"w{i}" for i in ids[a : a + 1000]) + "\n")

    def run(mm: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-c", PEAK, str(path), mm], capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    budget = 16 * MiB
    memory, disk = run("none"), run(str(budget))
    assert not memory["disk"] and disk["disk"]
    assert memory["over"] > budget  # the int32 ids alone are 24 MB: the bound has to work
    assert disk["over"] <= budget, disk
