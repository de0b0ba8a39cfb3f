"""Phrase detection kernels: count phrase candidates, and join phrases in token ids or raw bytes.

A *candidate* is two non-connector tokens of one sentence with only connector words (maybe none)
between them: ``a c1 .. ck b``. It is keyed by two int64 numbers:

- ``pair = a * n_slots + b``, from the slot ids of its ends (exact: no hashing);
- ``run``: the connector words between them, as digits of ``bits`` bits each, first connector in
  the highest digit (connector indices start at 1, so 0 = adjacent words). A run longer than
  ``max_run`` digits does not fit in 62 bits: such a candidate is never counted or joined.

Counting is a sort, not a hash table: the keys of all candidates are radix-sorted (LSD, about 10
bits a pass, skipping passes whose digit is constant) and equal keys are runs.

Joining follows gensim's greedy left-to-right rule: a non-connector word starts a candidate;
connectors after it are held; the next non-connector word either completes a phrase (all are
joined into one token and nothing is pending) or releases the held tokens and starts a new
candidate itself. A newline ends the sentence and releases everything.

Phrase lookup tables (``ptab``): int64[cap] open addressing (cap a power of two) of phrase
indices into ``first``/``second``/``inner`` (int32, int32, int64 per phrase); -1 = empty.
Word tables (``wtab``): int64[2 * cap] of (FNV-1a hash, word id) pairs (``find_slot``);
word ids ``>= n_words`` are connector words (connector index ``id - n_words + 1``). The joining
kernels take a layer's tables in two bundles, ``PhraseTable`` and ``WordTable``.
"""

from typing import NamedTuple

import numpy as np
from numba import njit

FNV_OFFSET = np.uint64(14695981039346656037)  # FNV-1a
FNV_PRIME = np.uint64(1099511628211)


class PhraseTable(NamedTuple):  # one layer's phrases, and how a connector run is packed
    ptab: np.ndarray  # int64[cap] phrase table (``build_phrase_table``)
    first: np.ndarray  # int32[p] phrase-word id of each phrase's first word
    second: np.ndarray  # int32[p] and of its last word
    inner: np.ndarray  # int64[p] its connector run (0 = adjacent words)
    bits: int  # bits of one connector index in a run
    max_run: int  # connectors a run holds at most


class WordTable(NamedTuple):  # one layer's words (then the connector words), found by their bytes
    wtab: np.ndarray  # int64[2 * cap] word table (``build_word_table``)
    arena: np.ndarray  # uint8[...] the words' bytes: word i is ``arena[offsets[i]:offsets[i + 1]]``
    offsets: np.ndarray  # int64[w + 1]
    n_words: int  # ids >= n_words are connector words


@njit(cache=True, nogil=True, inline="always")
def _is_space(b):
    return b == 32 or (9 <= b <= 13)


@njit(cache=True, nogil=True, inline="always")
def find_slot(table, woff, arena, buf, start, n, h):
    """In a (hash, slot) table (the word tables), look up the word
    ``buf[start:start + n]`` (FNV-1a hash ``h``): returns (its slot or -1, the table position
    where it is or would go)."""
    cap = table.shape[0] // 2
    hi = np.int64(h)
    i = np.int64(h & np.uint64(cap - 1))
    while True:
        s = table[2 * i + 1]
        if s < 0:
            return -1, i
        if table[2 * i] == hi and woff[s + 1] - woff[s] == n:
            o = woff[s]
            same = True
            for k in range(n):
                if arena[o + k] != buf[start + k]:
                    same = False
                    break
            if same:
                return s, i
        i = (i + 1) & (cap - 1)


# status codes of apply_bytes
OK, GIANT_TOKEN = 0, 1


# -- counting -----------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def pair_keys(tokens, line_ends, n_slots):
    """Keys ``a * n_slots + b`` of every adjacent pair inside a sentence (no connector words).

    tokens: int32[n] slot ids; line_ends: int64[s] token index where each sentence ends.
    Returns int64[n - s] (sentences of one token give no pair).
    """
    out = np.empty(max(tokens.shape[0] - line_ends.shape[0], 0), np.int64)
    o = 0
    t0 = 0
    for li in range(line_ends.shape[0]):
        t1 = line_ends[li]
        for t in range(t0 + 1, t1):
            out[o] = np.int64(tokens[t - 1]) * n_slots + tokens[t]
            o += 1
        t0 = t1
    return out[:o]


@njit(cache=True, nogil=True)
def candidate_keys(tokens, line_ends, conn, n_slots, bits, max_run):
    """(pair, run) keys of every candidate ``a c1 .. ck b`` inside a sentence.

    conn: int32[n_slots] connector index of each slot (0 = not a connector).
    Returns (pair int64[m], run int64[m]).
    """
    n = tokens.shape[0]
    pair = np.empty(n, np.int64)
    run_out = np.empty(n, np.int64)
    o = 0
    t0 = 0
    for li in range(line_ends.shape[0]):
        t1 = line_ends[li]
        start = -1
        run = np.int64(0)
        k = 0
        for t in range(t0, t1):
            w = tokens[t]
            c = conn[w]
            if c == 0:
                if start >= 0 and k <= max_run:
                    pair[o] = np.int64(start) * n_slots + w
                    run_out[o] = run
                    o += 1
                start = w  # each word ends one candidate and starts the next
                run = 0
                k = 0
            elif start >= 0:
                if k < max_run:
                    run = (run << bits) | c
                k += 1
        t0 = t1
    return pair[:o], run_out[:o]


@njit(cache=True, nogil=True)
def _radix_pass(src_hi, src_lo, dst_hi, dst_lo, key, shift, width, use_lo):
    """Stable counting sort of (hi, lo) by the digit ``(key >> shift) & mask``, key = hi or lo.

    Returns False (and moves nothing) when every key has the same digit.
    """
    n = src_hi.shape[0]
    mask = (np.int64(1) << width) - 1
    count = np.zeros((1 << width) + 1, np.int64)
    for i in range(n):
        count[((key[i] >> shift) & mask) + 1] += 1
    for d in range(1 << width):
        if count[d + 1] == n:
            return False
    for d in range(1 << width):
        count[d + 1] += count[d]
    for i in range(n):
        d = (key[i] >> shift) & mask
        j = count[d]
        count[d] = j + 1
        dst_hi[j] = src_hi[i]
        if use_lo:
            dst_lo[j] = src_lo[i]
    return True


@njit(cache=True, nogil=True)
def _passes(max_key):
    """(number of passes, bits per pass) to radix-sort keys in ``0..max_key``."""
    nbits = 0
    while max_key >> nbits:
        nbits += 1
    if nbits == 0:
        return 0, 1
    n = (nbits + 10) // 11
    return n, (nbits + n - 1) // n


@njit(cache=True, nogil=True)
def sort_keys(hi, lo):
    """Sort (hi, lo) int64 key pairs, both >= 0, by hi then lo; ``lo`` may be empty (all zero).

    Returns the sorted (hi, lo); the inputs are used as scratch space.
    """
    n = hi.shape[0]
    use_lo = lo.shape[0] == n and n > 0
    tmp_hi = np.empty_like(hi)
    tmp_lo = np.empty_like(lo) if use_lo else lo
    if use_lo:
        n_pass, width = _passes(lo.max())
        for p in range(n_pass):
            if _radix_pass(hi, lo, tmp_hi, tmp_lo, lo, p * width, width, True):
                hi, tmp_hi = tmp_hi, hi
                lo, tmp_lo = tmp_lo, lo
    if n > 0:
        n_pass, width = _passes(hi.max())
        for p in range(n_pass):
            if _radix_pass(hi, lo, tmp_hi, tmp_lo, hi, p * width, width, use_lo):
                hi, tmp_hi = tmp_hi, hi
                lo, tmp_lo = tmp_lo, lo
    return hi, lo


@njit(cache=True, nogil=True)
def count_sorted(hi, lo, keep_min):
    """Collapse runs of equal keys in sorted (hi, lo) (``lo`` empty = all zero).

    Returns (distinct keys int64, then the keys seen at least ``keep_min`` times: hi int64[m],
    lo int64[m], count int64[m]).
    """
    n = hi.shape[0]
    use_lo = lo.shape[0] == n
    out_hi = np.empty(n, np.int64)
    out_lo = np.zeros(n, np.int64)
    out_n = np.empty(n, np.int64)
    distinct = 0
    m = 0
    i = 0
    while i < n:
        j = i + 1
        if use_lo:
            while j < n and hi[j] == hi[i] and lo[j] == lo[i]:
                j += 1
        else:
            while j < n and hi[j] == hi[i]:
                j += 1
        distinct += 1
        if j - i >= keep_min:
            out_hi[m] = hi[i]
            if use_lo:
                out_lo[m] = lo[i]
            out_n[m] = j - i
            m += 1
        i = j
    return distinct, out_hi[:m].copy(), out_lo[:m].copy(), out_n[:m].copy()


# -- lookup tables ------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _mix(a, b, run):
    """A 64-bit hash of one candidate key (splitmix64 finaliser over a combination)."""
    x = np.uint64(a) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(b)
    x = (x ^ np.uint64(run)) * np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(31)
    x *= np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(29))


@njit(cache=True, nogil=True)
def build_phrase_table(first, second, inner):
    """Open-addressing table over phrases ``(first, second, inner)``; int64[cap], -1 = empty."""
    n = first.shape[0]
    cap = 16
    while cap < 2 * n:
        cap *= 2
    table = np.full(cap, -1, np.int64)
    mask = np.uint64(cap - 1)
    for p in range(n):
        i = np.int64(_mix(first[p], second[p], inner[p]) & mask)
        while table[i] >= 0:
            i = (i + 1) & (cap - 1)
        table[i] = p
    return table


@njit(cache=True, nogil=True)
def find_phrase(table, first, second, inner, a, b, run):
    """Index of phrase (a, run, b), or -1."""
    if a < 0 or b < 0:
        return -1
    cap = table.shape[0]
    i = np.int64(_mix(a, b, run) & np.uint64(cap - 1))
    while True:
        p = table[i]
        if p < 0:
            return -1
        if first[p] == a and second[p] == b and inner[p] == run:
            return p
        i = (i + 1) & (cap - 1)


@njit(cache=True, nogil=True)
def _hash_bytes(buf, start, end):
    h = FNV_OFFSET
    for k in range(start, end):
        h = (h ^ np.uint64(buf[k])) * FNV_PRIME
    return h


@njit(cache=True, nogil=True)
def build_word_table(arena, offsets):
    """Table of words ``arena[offsets[i]:offsets[i + 1]]`` -> i: int64[2 * cap] (hash, id)."""
    n = offsets.shape[0] - 1
    cap = 16
    while cap < 2 * n:
        cap *= 2
    table = np.full(2 * cap, -1, np.int64)
    for w in range(n):
        h = _hash_bytes(arena, offsets[w], offsets[w + 1])
        i = np.int64(h & np.uint64(cap - 1))
        while table[2 * i + 1] >= 0:
            i = (i + 1) & (cap - 1)
        table[2 * i] = np.int64(h)
        table[2 * i + 1] = w
    return table


@njit(cache=True, nogil=True, inline="always")
def _find_word(table, arena, offsets, buf, start, end, h):
    """Id of the word ``buf[start:end]``, whose FNV-1a hash is ``h``, in a word table, or -1."""
    return find_slot(table, offsets, arena, buf, start, end - start, h)[0]


# -- joining ------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def apply_ids(tokens, line_ends, slot_word, slot_conn, phrases, phrase_slot):
    """Join the phrases (a ``PhraseTable``) of an id-encoded corpus.

    slot_word: int32[n_slots] phrase-word id of each slot (-1 = in no phrase); slot_conn:
    int32[n_slots] connector index (0 = none); phrase_slot: int32[p] slot id of each joined
    phrase. Returns (tokens int32[m], line_ends int64[s']) of the joined corpus.
    """
    ptab, first, second, inner = phrases.ptab, phrases.first, phrases.second, phrases.inner
    bits, max_run = phrases.bits, phrases.max_run
    out = np.empty(tokens.shape[0], np.int32)
    out_ends = np.empty(line_ends.shape[0], np.int64)
    o = 0
    n_lines = 0
    t0 = 0
    for li in range(line_ends.shape[0]):
        t1 = line_ends[li]
        s = -1  # index of the pending start token
        run = np.int64(0)
        k = 0
        for t in range(t0, t1):
            w = tokens[t]
            c = slot_conn[w]
            if c == 0:
                p = -1
                if s >= 0 and k <= max_run:
                    p = find_phrase(
                        ptab, first, second, inner, slot_word[tokens[s]], slot_word[w], run
                    )
                if p >= 0:
                    out[o] = phrase_slot[p]
                    o += 1
                    s = -1
                else:
                    if s >= 0:  # release the start token and the connectors after it
                        for u in range(s, t):
                            out[o] = tokens[u]
                            o += 1
                    s = t
                run = 0
                k = 0
            elif s >= 0:
                if k < max_run:
                    run = (run << bits) | c
                k += 1
            else:
                out[o] = w
                o += 1
        if s >= 0:
            for u in range(s, t1):
                out[o] = tokens[u]
                o += 1
        out_ends[n_lines] = o
        n_lines += 1
        t0 = t1
    return out[:o], out_ends[:n_lines]


@njit(cache=True, nogil=True)
def apply_bytes(buf, end, final, words, phrases, delim, out, max_token):
    """Join the phrases (a ``PhraseTable``; their words found in ``words``, a ``WordTable``) of
    raw text ``buf[:end]``, writing the result to ``out``.

    Bytes are copied as they are, except that the whitespace between the parts of a phrase is
    replaced by ``delim`` (uint8[d]). ``out`` needs room for ``end * max(d, 1)`` bytes. Unless
    ``final``, stops before the last candidate that the next bytes could still complete (and
    before a token that touches ``end``). Returns (bytes consumed, bytes written, phrases
    joined, status).
    """
    wtab, warena, woffsets, n_words = words.wtab, words.arena, words.offsets, words.n_words
    ptab, first, second, inner = phrases.ptab, phrases.first, phrases.second, phrases.inner
    bits, max_run = phrases.bits, phrases.max_run
    o = 0
    joined = 0
    w = 0  # buf[w:s0] (or buf[w:pos] when nothing is pending) still has to be copied
    s0 = -1  # byte where the pending start token begins; -1 = none
    sid = -1  # its phrase-word id
    run = np.int64(0)
    k = 0
    pos = 0
    stop = end
    while pos < end:
        b = buf[pos]
        if _is_space(b):
            if b == 10:
                s0 = -1  # a sentence never continues past a newline
            pos += 1
            continue
        tok_end = pos
        h = FNV_OFFSET
        while tok_end < end and not _is_space(buf[tok_end]):
            h = (h ^ np.uint64(buf[tok_end])) * FNV_PRIME
            tok_end += 1
        if tok_end - pos > max_token:
            return 0, 0, 0, GIANT_TOKEN
        if tok_end == end and not final:
            stop = pos
            break
        wid = _find_word(wtab, warena, woffsets, buf, pos, tok_end, h)
        if wid >= n_words:  # a connector word
            if s0 >= 0:
                if k < max_run:
                    run = (run << bits) | (wid - n_words + 1)
                k += 1
            pos = tok_end
            continue
        p = -1
        if s0 >= 0 and k <= max_run:
            p = find_phrase(ptab, first, second, inner, sid, wid, run)
        if p >= 0:
            out[o : o + s0 - w] = buf[w:s0]
            o += s0 - w
            # copy start .. end of the phrase, each whitespace run becoming the delimiter
            u = s0
            while u < tok_end:
                if _is_space(buf[u]):
                    while _is_space(buf[u]):
                        u += 1
                    for q in range(delim.shape[0]):
                        out[o] = delim[q]
                        o += 1
                else:
                    out[o] = buf[u]
                    o += 1
                    u += 1
            w = tok_end
            s0 = -1
            joined += 1
        else:
            s0 = pos
            sid = wid
        run = 0
        k = 0
        pos = tok_end
    if s0 >= 0 and not final:
        stop = s0
    out[o : o + stop - w] = buf[w:stop]
    o += stop - w
    return stop, o, joined, OK
