"""Byte-level tokenizer and word counter: one pass that counts words and encodes the corpus.

Tokens are runs of bytes separated by ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r), as in the
word2vec C tool. Words are kept as raw bytes here (decoded to ``str`` once, for the final
vocabulary only), so a scan never builds a Python string per token.

State lives in plain arrays so a scan can be paused when a buffer fills, grown by the caller, and
resumed at the same byte (see ``wordvec.corpus``):

- ``table``: int64[2 * cap], open-addressing hash table (cap a power of two) of (hash, slot)
  pairs side by side, so that a probe touches one cache line; slot -1 = empty
- ``whash``: uint64[wcap] hash of each slot's word; ``counts``: int64[wcap]
- ``woff``: int64[wcap + 1] offsets of each slot's bytes in ``arena``: uint8[acap]
- ``out``: int32[ocap] slot id of every token, in corpus order
- ``line_ends``: int64[lcap] token count at the end of each non-empty line (sentence)
- ``st``: int64[9] scalar state, indices below; with ``st[FROZEN]`` set the vocabulary and counts
  stay as they are and unknown words are encoded as -1 (a second pass after pruning)
"""

import numpy as np
from numba import njit

# indices into the scalar state array ``st``
POS, N_WORDS, ARENA, N_OUT, N_LINES, LINE_START, STATUS, LIMIT, FROZEN = range(9)
# STATUS values
DONE, GROW_TABLE, GROW_WORDS, GROW_ARENA, GROW_OUT, GROW_LINES, OVER_LIMIT = range(7)

FNV_OFFSET = np.uint64(14695981039346656037)
FNV_PRIME = np.uint64(1099511628211)


@njit(cache=True, nogil=True)
def _is_space(b):
    return b == 32 or (9 <= b <= 13)


@njit(cache=True, nogil=True, inline="always")
def find_slot(table, woff, arena, buf, start, n, h):
    """Look up the word ``buf[start:start + n]`` (FNV-1a hash ``h``): returns (its slot or -1,
    the table position where it is or would go)."""
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


@njit(cache=True, nogil=True)
def scan(buf, end, final, table, whash, counts, woff, arena, out, line_ends, st):
    """Count and encode the tokens of ``buf[st[POS]:end]``; returns nothing, updates ``st``.

    ``final`` says the buffer ends the current file: a newline is implied there. Stops early with
    ``st[STATUS]`` set to a GROW_* code when a buffer is full (the caller grows it and calls
    again), or OVER_LIMIT when the vocabulary exceeds ``st[LIMIT]`` (the caller prunes).
    """
    cap = table.shape[0] // 2
    pos = st[POS]
    n_words = st[N_WORDS]
    st[STATUS] = DONE
    while pos < end:
        b = buf[pos]
        if _is_space(b):
            if b == 10 and st[N_OUT] > st[LINE_START]:  # a newline closes a non-empty sentence
                if st[N_LINES] >= line_ends.shape[0]:
                    st[STATUS] = GROW_LINES
                    break
                line_ends[st[N_LINES]] = st[N_OUT]
                st[N_LINES] += 1
                st[LINE_START] = st[N_OUT]
            pos += 1
            continue
        # a token starts here: find its end and hash it (FNV-1a, 64 bit)
        tok_end = pos
        h = FNV_OFFSET
        while tok_end < end and not _is_space(buf[tok_end]):
            h = (h ^ np.uint64(buf[tok_end])) * FNV_PRIME
            tok_end += 1
        n = tok_end - pos
        # check capacities before touching anything, so a resumed call redoes this token cleanly
        if st[N_OUT] >= out.shape[0]:
            st[STATUS] = GROW_OUT
            break
        if 10 * (n_words + 1) > 7 * cap:
            st[STATUS] = GROW_TABLE
            break
        if n_words + 1 >= whash.shape[0]:
            st[STATUS] = GROW_WORDS
            break
        if st[ARENA] + n > arena.shape[0]:
            st[STATUS] = GROW_ARENA
            break
        hi = np.int64(h)
        slot, i = find_slot(table, woff, arena, buf, pos, n, h)
        if st[FROZEN]:
            out[st[N_OUT]] = slot
            st[N_OUT] += 1
            pos = tok_end
            continue
        if slot < 0:  # a new word: append its bytes to the arena
            slot = n_words
            table[2 * i] = hi
            table[2 * i + 1] = slot
            whash[slot] = h
            counts[slot] = 0
            o = st[ARENA]
            for k in range(n):
                arena[o + k] = buf[pos + k]
            st[ARENA] = o + n
            woff[slot + 1] = o + n
            n_words += 1
        counts[slot] += 1
        out[st[N_OUT]] = slot
        st[N_OUT] += 1
        pos = tok_end
        if n_words > st[LIMIT]:
            st[POS] = pos
            st[N_WORDS] = n_words
            st[STATUS] = OVER_LIMIT
            return
    st[POS] = pos
    st[N_WORDS] = n_words
    if final and st[STATUS] == DONE and pos >= end and st[N_OUT] > st[LINE_START]:
        if st[N_LINES] >= line_ends.shape[0]:
            st[STATUS] = GROW_LINES
            return
        line_ends[st[N_LINES]] = st[N_OUT]
        st[N_LINES] += 1
        st[LINE_START] = st[N_OUT]


@njit(cache=True, nogil=True)
def rehash(table, whash, n_words):
    """Fill ``table`` with slots ``0..n_words-1`` (after growing or pruning)."""
    cap = table.shape[0] // 2
    table[:] = -1
    for s in range(n_words):
        i = np.int64(whash[s] & np.uint64(cap - 1))
        while table[2 * i + 1] >= 0:
            i = (i + 1) & (cap - 1)
        table[2 * i] = np.int64(whash[s])
        table[2 * i + 1] = s


@njit(cache=True, nogil=True)
def compact_words(keep, whash, counts, woff, arena):
    """Drop the slots where ``keep`` is False, in place; returns (old -> new slot map, n, bytes)."""
    remap = np.full(keep.shape[0], -1, np.int32)
    n = 0
    a = 0
    for s in range(keep.shape[0]):
        if not keep[s]:
            continue
        o, e = woff[s], woff[s + 1]
        for k in range(o, e):
            arena[a + k - o] = arena[k]
        whash[n] = whash[s]
        counts[n] = counts[s]
        woff[n] = a
        a += e - o
        woff[n + 1] = a
        remap[s] = n
        n += 1
    return remap, n, a


@njit(cache=True, nogil=True)
def remap_tokens(out, n_out, line_ends, n_lines, remap, line_start):
    """Map token slots through ``remap`` in place, dropping -1s and empty lines.

    Tokens before index ``line_start`` belong to closed lines described by ``line_ends``; tokens
    after it belong to the line still open. Returns (n_out, n_lines, new line_start).
    """
    j = 0
    li = 0
    nl = 0
    last = 0
    for t in range(n_out):
        while li < n_lines and line_ends[li] <= t:
            if j > last:
                line_ends[nl] = j
                nl += 1
                last = j
            li += 1
        s = out[t]
        if s >= 0:
            s = remap[s]
            if s >= 0:
                out[j] = s
                j += 1
    while li < n_lines:
        if j > last:
            line_ends[nl] = j
            nl += 1
            last = j
        li += 1
    return j, nl, last


@njit(cache=True, nogil=True)
def pack_in_place(ids, packed, rare, escape):
    """Pack int32 word ids two bytes a token, in the same memory: ``packed`` is a uint16 view
    of ``ids``' buffer (token i goes to bytes 2i..2i+1, never ahead of what is still to be
    read). Ids >= ``escape`` become ``escape`` and go to ``rare`` (int32[count]) in order."""
    r = 0
    for i in range(ids.shape[0]):
        w = ids[i]
        if w >= escape:
            rare[r] = w
            r += 1
            w = escape
        packed[i] = w
