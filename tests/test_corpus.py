"""Corpus scanning and vocabulary: counts, encoding, limits and bad input."""

import bz2
import gzip
import itertools
import lzma
from collections import Counter

import numpy as np
import pytest

from wordvec.corpus.reader import CorpusError, scan_corpus
from wordvec.corpus.vocab import build_vocab, effective_min_count, keep_thresholds, noise_alias

TEXT = "the cat sat on the mat\nthe dog sat\n\n  on the log the end\n"


def decoded(scan):
    """Sentences of a RawScan as lists of words."""
    words = [w.decode() for w in scan.words]
    toks = [words[s] for s in scan.tokens]
    ends = [0, *scan.line_ends.tolist()]
    return [toks[a:b] for a, b in itertools.pairwise(ends)]


def sentences_of(vocab, enc):
    return [
        [vocab.words[i] for i in enc.token_ids()[a:b]]
        for a, b in zip(enc.bounds[:-1], enc.bounds[1:], strict=True)
    ]


def test_counts_and_sentences_of_a_hand_made_corpus(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text(TEXT)
    scan = scan_corpus(p)
    expected = [line.split() for line in TEXT.splitlines() if line.split()]
    assert decoded(scan) == expected
    counts = dict(zip((w.decode() for w in scan.words), scan.counts.tolist(), strict=True))
    assert counts == Counter(TEXT.split())
    assert scan.raw_tokens == len(TEXT.split())


def test_vocab_is_frequency_sorted_and_drops_rare_words(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text(TEXT)
    vocab, enc = build_vocab(scan_corpus(p), min_count=2)
    assert vocab.words == ["the", "sat", "on"]
    assert vocab.counts.tolist() == [5, 2, 2]
    # rare words are removed from the stream before windows are formed, sentences kept apart
    assert sentences_of(vocab, enc) == [
        ["the", "sat", "on", "the"],
        ["the", "sat"],
        ["on", "the", "the"],
    ]
    assert enc.raw_tokens == 14


@pytest.mark.parametrize("block", [7, 64, 1 << 23])
def test_one_line_corpus_longer_than_any_buffer_loses_no_token(tmp_path, block):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in rng.zipf(1.5, 20_000) % 500]
    p = tmp_path / "one.txt"
    p.write_text(" ".join(words))  # one line, no newline at the end
    scan = scan_corpus(p, block_bytes=block)
    assert decoded(scan) == [words]
    assert scan.raw_tokens == len(words)


@pytest.mark.parametrize(
    ("suffix", "opener"), [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)]
)
def test_compressed_corpora(tmp_path, suffix, opener):
    p = tmp_path / f"c.txt{suffix}"
    with opener(p, "wt") as f:
        f.write(TEXT)
    assert decoded(scan_corpus(p)) == [s.split() for s in TEXT.splitlines() if s.split()]


def test_directory_reads_files_in_order_and_keeps_them_apart(tmp_path):
    (tmp_path / "b.txt").write_text("c d")
    (tmp_path / "a.txt").write_text("a b")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "z.txt").write_text("e")
    assert decoded(scan_corpus(tmp_path)) == [["a", "b"], ["c", "d"], ["e"]]


def test_iterable_of_token_lists_is_read_once():
    sents = iter([["über", "straße"], [], ["straße"]])  # a generator: not restartable
    scan = scan_corpus(sents)
    assert decoded(scan) == [["über", "straße"], ["straße"]]


@pytest.mark.parametrize("bad", [[["a b"]], [["a", ""]], ["not a list"]])
def test_iterable_with_bad_tokens_is_refused(bad):
    with pytest.raises(CorpusError):
        scan_corpus(bad)


def test_bad_inputs_give_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        scan_corpus(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("  \n\n ")
    with pytest.raises(CorpusError, match="empty"):
        scan_corpus(tmp_path / "empty.txt")
    (tmp_path / "bin.dat").write_bytes(b"abc def\x00\x01\x02")
    with pytest.raises(CorpusError, match="binary"):
        scan_corpus(tmp_path / "bin.dat")
    (tmp_path / "huge").write_bytes(b"x" * (3 << 20))
    with pytest.raises(CorpusError, match="no whitespace"):
        scan_corpus(tmp_path / "huge", block_bytes=1 << 20)
    (tmp_path / "d").mkdir()
    with pytest.raises(CorpusError, match="no files"):
        scan_corpus(tmp_path / "d")


def test_vocabulary_that_ends_up_empty(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b c")
    with pytest.raises(CorpusError, match="vocabulary is empty"):
        build_vocab(scan_corpus(p), min_count=2)


def test_invalid_utf8_is_refused_or_replaced_as_asked(tmp_path):
    p = tmp_path / "c.txt"
    p.write_bytes(b"ok caf\xe9 ok caf\xe9 caf\xff")
    with pytest.raises(CorpusError, match="invalid UTF-8"):
        build_vocab(scan_corpus(p), min_count=1)
    vocab, enc = build_vocab(scan_corpus(p), min_count=1, unicode_errors="replace")
    # b"caf\xe9" and b"caf\xff" both decode to "caf\ufffd": merged into one word
    assert vocab.words == ["caf\ufffd", "ok"]
    assert vocab.counts.tolist() == [3, 2]
    assert sentences_of(vocab, enc) == [["ok", "caf\ufffd", "ok", "caf\ufffd", "caf\ufffd"]]


def reduce_vocab_reference(tokens, max_vocab_size):
    """The C tool's ReduceVocab, word by word: prune counts < min_reduce, then min_reduce += 1."""
    counts: dict[str, int] = {}
    min_reduce = 1
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
        if len(counts) > max_vocab_size:
            while len(counts) > max_vocab_size:
                counts = {w: c for w, c in counts.items() if c >= min_reduce}
                min_reduce += 1
    return counts


def test_max_vocab_size_prunes_like_the_c_tool(tmp_path):
    rng = np.random.default_rng(1)
    tokens = [f"w{i}" for i in rng.zipf(1.3, 30_000) % 3000]
    p = tmp_path / "c.txt"
    p.write_text(" ".join(tokens))
    scan = scan_corpus(p, max_vocab_size=200)
    got = dict(zip((w.decode() for w in scan.words), scan.counts.tolist(), strict=True))
    assert got == reduce_vocab_reference(tokens, 200)
    assert len(got) <= 200
    assert scan.raw_tokens == len(tokens)
    # the encoded stream holds exactly the surviving words, in order
    assert decoded(scan) == [[t for t in tokens if t in got]]


def test_max_final_vocab_follows_gensim():
    counts = np.array([9, 7, 7, 5, 5, 5, 2])
    assert effective_min_count(counts, 1, None) == 1
    assert effective_min_count(counts, 1, 3) == 6
    assert effective_min_count(counts, 1, 2) == 8  # a tie at the cut: all tied words go
    assert effective_min_count(counts, 1, 6) == 3
    assert effective_min_count(counts, 6, 6) == 6


def test_subsampling_thresholds_match_the_formula():
    counts = np.array([1000, 100, 10, 1])
    keep = keep_thresholds(counts, 1e-2) / 2.0**32
    t = 1e-2 * counts.sum()
    expected = np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)
    np.testing.assert_allclose(keep, expected, rtol=1e-9)
    assert np.all(keep_thresholds(counts, 0) == 1 << 32)


def test_noise_alias_table_gives_unigram_to_the_075():
    counts = np.array([1000, 300, 50, 7, 1, 1])
    thr, alias = noise_alias(counts, 0.75)
    v = counts.shape[0]
    # exact distribution the table encodes: each bucket 1/v, split between i and alias[i]
    p = np.zeros(v)
    for i in range(v):
        p[i] += thr[i] / 2.0**32 / v
        p[alias[i]] += (1 - thr[i] / 2.0**32) / v
    expected = counts**0.75 / (counts**0.75).sum()
    np.testing.assert_allclose(p, expected, atol=1e-9)


def test_packed_ids_round_trip_and_escape_ids_past_65534():
    from wordvec.corpus.vocab import EncodedCorpus
    from wordvec.kernels.train import _subsample

    rng = np.random.default_rng(2)
    ids = rng.integers(0, 70_000, 5000).astype(np.int32)
    ids[:10] = [65534, 65535, 65536, 69_999, 0, 1, 65535, 2, 3, 4]
    bounds = np.array([0, 3, 1000, 1001, 5000])
    enc = EncodedCorpus.from_ids(ids, bounds, 5000)
    assert enc.ids.dtype == np.uint16 and enc.rare.dtype == np.int32
    assert np.array_equal(enc.token_ids(), ids)
    assert enc.ids.nbytes + enc.rare.nbytes < 0.6 * ids.nbytes
    starts = enc.rare_starts(bounds)
    keep = np.full(70_000, 1 << 32, np.uint64)  # keep everything
    sent = np.empty(5000, np.int32)
    for s in range(len(bounds) - 1):  # every sentence decodes alone from its rare offset
        n, _ = _subsample(
            enc.ids, enc.rare, starts[s], bounds[s], bounds[s + 1], keep, sent, np.uint64(1)
        )
        assert np.array_equal(sent[:n], ids[bounds[s] : bounds[s + 1]])


@pytest.mark.parametrize("one_line", [True, False])
@pytest.mark.parametrize("workers", [2, 3, 5])
def test_parallel_scan_gives_exactly_the_sequential_result(tmp_path, one_line, workers):
    rng = np.random.default_rng(workers)
    words = [f"w{i}" for i in rng.zipf(1.3, 40_000) % 5000]
    sep = lambda i: " " if one_line or i % 17 else "\n"  # noqa: E731
    p = tmp_path / "c.txt"
    p.write_text("".join(w + sep(i) for i, w in enumerate(words)))
    seq = scan_corpus(p)
    par = scan_corpus(p, workers=workers, parallel_min_bytes=0, block_bytes=4096)
    assert par.words == seq.words
    assert np.array_equal(par.counts, seq.counts)
    assert np.array_equal(par.tokens, seq.tokens)
    assert np.array_equal(par.line_ends, seq.line_ends)
    assert par.raw_tokens == seq.raw_tokens == len(words)


def test_words_alike_in_prefix_length_and_hash_bits_stay_apart(tmp_path):
    """Words that share their first 8 bytes and their length, of lengths around the 8-byte
    chunk, enough of them to grow the table several times: every count matches a Counter."""
    rng = np.random.default_rng(7)
    stems = ["", "a", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghabcdefgh", "ééé"]
    vocab = [f"{stem}{i}" for stem in stems for i in range(20_000)]
    tokens = [vocab[i] for i in rng.integers(0, len(vocab), 300_000)]
    p = tmp_path / "c.txt"
    p.write_text(" ".join(tokens[:150_000]) + "\n" + " ".join(tokens[150_000:]) + "\n")
    for workers in (1, 2):
        scan = scan_corpus(p, workers=workers, parallel_min_bytes=0)
        words = [w.decode() for w in scan.words]
        assert Counter(tokens) == dict(zip(words, scan.counts.tolist(), strict=True))
        assert [words[s] for s in scan.tokens] == tokens


def test_a_giant_token_from_an_iterable_is_refused():
    with pytest.raises(CorpusError, match="not a text corpus"):
        scan_corpus([["ok", "x" * (1 << 24)]])


def test_table_lookup_tells_apart_words_on_one_probe_chain():
    """All words hashed to one entry (the worst case): lookup must still compare prefix, length
    and the bytes past the prefix, and say when a word is absent."""
    from wordvec.kernels.scan import lookup, rehash, word_hash

    words = [
        b"abcdefgh1",
        b"abcdefgh2",
        b"abcdefgh",
        b"abcdefg",
        b"abcdefgh" * 2 + b"1",
        b"abcdefgh" * 2 + b"2",
        b"a",
    ]
    arena = np.frombuffer(b"".join(words), np.uint8)
    woff = np.concatenate([[0], np.cumsum([len(w) for w in words])]).astype(np.int64)
    table = np.empty(2 * 16, np.int64)
    rehash(table, np.zeros(len(words), np.uint64), woff, arena, len(words))
    for probe, want in [
        *((w, i) for i, w in enumerate(words)),
        (b"abcdefgh3", -1),
        (b"b", -1),
        (b"abcdefgh" * 2 + b"3", -1),
    ]:
        data = np.frombuffer(probe, np.uint8)
        _, prefix = word_hash(data, 0, len(probe))
        assert lookup(table, woff, arena, data, 0, len(probe), np.uint64(0), prefix)[0] == want


def test_token_reading_eight_bytes_at_a_time_agrees_with_the_byte_loop():
    """``token`` (8 bytes a load, bit tricks for the end) gives the end, hash and prefix the
    plain byte loop gives: tokens of 1..30 bytes with UTF-8 and control bytes inside, every
    whitespace byte as separator, buffers cut at every offset near a token."""
    from wordvec.kernels.scan import token, word_hash

    rng = np.random.default_rng(5)
    alphabet = np.array(
        [*b"abcxyzAZ09-_.", 0xC3, 0xA9, 0xFF, 0x80, 1, 8, 14, 31, 127, 33], np.uint8
    )
    spaces = np.array([*b" \t\n\r\x0b\x0c"], np.uint8)
    parts = []
    for _ in range(400):
        parts.append(rng.choice(alphabet, rng.integers(1, 31)))
        parts.append(rng.choice(spaces, rng.integers(1, 3)))
    buf = np.concatenate(parts)
    starts = [
        p for p in range(len(buf)) if buf[p] not in spaces and (p == 0 or buf[p - 1] in spaces)
    ]
    for pos in starts:
        for end in (len(buf), *range(pos + 1, min(pos + 40, len(buf)))):
            tok_end = pos
            while tok_end < end and buf[tok_end] not in spaces:
                tok_end += 1
            h, prefix = word_hash(buf, pos, tok_end - pos)
            assert token(buf, pos, end) == (tok_end, h, prefix)


def test_a_vocabulary_past_65535_words_encodes_every_token(tmp_path):
    """build_vocab's one-pass encoding: ids past 65534 go through the escape, dropped rare words
    and the sentences they empty disappear, and every kept token decodes to its word."""
    rng = np.random.default_rng(11)
    vocab = [f"w{i}" for i in range(70_000)]
    lines = [
        [vocab[i] for i in rng.integers(0, 70_000, rng.integers(1, 30))] for _ in range(40_000)
    ]
    lines += [["only_once"]] * 1 + [["twice", "twice"]]  # one line that min_count=2 empties
    p = tmp_path / "c.txt"
    p.write_text("".join(" ".join(line) + "\n" for line in lines))
    vocab_, enc = build_vocab(scan_corpus(p), min_count=2)
    counts = Counter(w for line in lines for w in line)
    kept = [[w for w in line if counts[w] >= 2] for line in lines]
    assert len(vocab_) > 65_535
    assert enc.rare.shape[0] > 0
    kept = [line for line in kept if line]
    words = np.array(vocab_.words)
    assert list(words[enc.token_ids()]) == [w for line in kept for w in line]
    assert np.diff(enc.bounds).tolist() == [len(line) for line in kept]
