"""Byte-level tokenizer and word counter: one pass that counts words and encodes the corpus.

Tokens are runs of bytes separated by ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r), as in the
word2vec C tool. Words are kept as raw bytes here (decoded to ``str`` once, for the final
vocabulary only), so a scan never builds a Python string per token.

State lives in plain arrays so a scan can be paused when a buffer fills, grown by the caller, and
resumed at the same byte (see ``wordvec.corpus.reader``):

- ``table``: int64[2 * cap], open-addressing hash table (cap a power of two) of entries
  (prefix, slot << 24 | length) side by side; -1 = empty. ``prefix`` is the word's first 8
  bytes as one number, so a word of at most 8 bytes (most tokens) is recognised from its entry
  alone, and a longer one compares only its remaining bytes
- ``whash``: uint64[wcap] hash of each slot's word (``_mix`` of its 8-byte chunks);
  ``counts``: int64[wcap]
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
DONE, GROW_TABLE, GROW_WORDS, GROW_ARENA, GROW_OUT, GROW_LINES, OVER_LIMIT, GIANT = range(8)

LEN_BITS = 24  # bits of a word's length in a table entry; a longer token stops a scan (GIANT)


@njit(cache=True, nogil=True)
def _is_space(b):
    return b == 32 or (9 <= b <= 13)


@njit(cache=True, nogil=True, inline="always")
def _mix(h, chunk):
    """Fold an 8-byte chunk into a word's hash."""
    h = (h ^ chunk) * np.uint64(0x9E3779B97F4A7C15)
    return h ^ (h >> np.uint64(29))


@njit(cache=True, nogil=True, inline="always")
def _finish(h, last, n):
    """The hash of a word from its folded full chunks ``h``, its last partial chunk and its
    length (murmur3's finaliser, so the low bits that pick a table entry are well mixed)."""
    h ^= last ^ (np.uint64(n) << np.uint64(56))
    h = (h ^ (h >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)
    h = (h ^ (h >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@njit(cache=True, nogil=True)
def word_hash(data, start, n):
    """(hash, prefix) of the word ``data[start:start + n]``, byte by byte (``token`` gets the
    same 8 bytes at a time)."""
    h = np.uint64(0)
    chunk = np.uint64(0)
    prefix = np.uint64(0)
    for k in range(n):
        chunk |= np.uint64(data[start + k]) << np.uint64(8 * (k & 7))
        if k & 7 == 7:
            if k == 7:
                prefix = chunk
            h = _mix(h, chunk)
            chunk = np.uint64(0)
    if n < 8:
        prefix = chunk
    return _finish(h, chunk, n), np.int64(prefix)


ONES = np.uint64(0x0101010101010101)  # 1 in every byte
BELOW_33 = np.uint64(0x2121212121212121)
HIGH_BITS = np.uint64(0x8080808080808080)


@njit(cache=True, nogil=True, inline="always")
def _load8(buf, p):
    """``buf[p:p + 8]`` as one little-endian number (LLVM turns this into a single load)."""
    w = np.uint64(0)
    for k in range(8):
        w |= np.uint64(buf[p + k]) << np.uint64(8 * k)
    return w


@njit(cache=True, nogil=True, inline="always")
def token(buf, pos, end):
    """(end, hash, prefix) of the token that starts at ``buf[pos]`` (not whitespace), the hash
    and prefix as ``word_hash`` gives them. Reads 8 bytes at a time and finds the first byte
    below 33 in them with bit arithmetic, so a word of up to 7 bytes costs one load and no
    loop over its bytes; near ``end`` or at a control byte inside a token, goes byte by byte."""
    p = pos
    h = np.uint64(0)
    prefix = np.uint64(0)
    while p + 8 <= end:
        w = _load8(buf, p)
        # the high bit of each byte below 33 is set (exact for the first such byte; a borrow
        # from it can mark later ones, which are not looked at)
        low = (w - BELOW_33) & ~w & HIGH_BITS
        if low == 0:  # eight token bytes
            if p == pos:
                prefix = w
            h = _mix(h, w)
            p += 8
            continue
        below = ((low & (~low + np.uint64(1))) >> np.uint64(7)) - np.uint64(1)  # bytes before
        k = np.int64(((below & ONES) * ONES) >> np.uint64(56))  # how many
        c = buf[p + k]
        if c < 32 and not (9 <= c <= 13):
            break  # a control byte, part of the token
        n = p + k - pos
        last = w & below
        return p + k, _finish(h, last, n), np.int64(last if n < 8 else prefix)
    tok_end = pos
    while tok_end < end and not _is_space(buf[tok_end]):
        tok_end += 1
    h, pre = word_hash(buf, pos, tok_end - pos)
    return tok_end, h, pre


@njit(cache=True, nogil=True, inline="always")
def lookup(table, woff, arena, data, start, n, h, prefix):
    """Look up the word ``data[start:start + n]`` (hash ``h`` and ``prefix`` as ``word_hash``
    gives) in the scan table: returns (its slot or -1, the entry where it is or would go)."""
    mask = table.shape[0] // 2 - 1
    i = np.int64(h) & mask
    while True:
        e = table[2 * i + 1]
        if e < 0:
            return -1, i
        if table[2 * i] == prefix and e & ((1 << LEN_BITS) - 1) == n:
            s = e >> LEN_BITS
            if n <= 8:  # the length and every byte agree
                return s, i
            o = woff[s]
            same = True
            for k in range(8, n):
                if arena[o + k] != data[start + k]:
                    same = False
                    break
            if same:
                return s, i
        i = (i + 1) & mask


@njit(cache=True, nogil=True, inline="always")
def _add_word(table, i, h, prefix, whash, counts, woff, arena, slot, used, data, start, n):
    """Make ``data[start:start + n]`` slot ``slot`` (count 0), at free table entry ``i``; its
    bytes go to ``arena[used:]``. Returns the arena bytes used after it."""
    table[2 * i] = prefix
    table[2 * i + 1] = (slot << LEN_BITS) | n
    whash[slot] = h
    counts[slot] = 0
    for k in range(n):
        arena[used + k] = data[start + k]
    woff[slot + 1] = used + n
    return used + n


@njit(cache=True, nogil=True)
def scan(buf, end, final, table, whash, counts, woff, arena, out, line_ends, st):
    """Count and encode the tokens of ``buf[st[POS]:end]``; returns nothing, updates ``st``.

    ``final`` says the buffer ends the current file: a newline is implied there. Stops early with
    ``st[STATUS]`` set to a GROW_* code when a buffer is full (the caller grows it and calls
    again), OVER_LIMIT when the vocabulary exceeds ``st[LIMIT]`` (the caller prunes), or GIANT
    at a token of ``2 ** LEN_BITS`` bytes or more (not text).
    """
    # the state is kept in locals (registers) and written back once, at the end
    cap = table.shape[0] // 2
    pos, n_words, used, n_out = st[POS], st[N_WORDS], st[ARENA], st[N_OUT]
    n_lines, line_start, limit = st[N_LINES], st[LINE_START], st[LIMIT]
    frozen = st[FROZEN] != 0
    status = DONE
    while pos < end:
        b = buf[pos]
        if b <= 32 and _is_space(b):
            if b == 10 and n_out > line_start:  # a newline closes a non-empty sentence
                if n_lines >= line_ends.shape[0]:
                    status = GROW_LINES
                    break
                line_ends[n_lines] = n_out
                n_lines += 1
                line_start = n_out
            pos += 1
            continue
        tok_end, h, prefix = token(buf, pos, end)  # a token starts here
        n = tok_end - pos
        if n >> LEN_BITS:
            status = GIANT
            break
        # check capacities before touching anything, so a resumed call redoes this token cleanly
        if n_out >= out.shape[0]:
            status = GROW_OUT
            break
        if not frozen:
            if 10 * (n_words + 1) > 7 * cap:
                status = GROW_TABLE
                break
            if n_words + 1 >= whash.shape[0]:
                status = GROW_WORDS
                break
            if used + n > arena.shape[0]:
                status = GROW_ARENA
                break
        slot, i = lookup(table, woff, arena, buf, pos, n, h, prefix)
        if not frozen:
            if slot < 0:  # a new word
                slot = n_words
                used = _add_word(
                    table, i, h, prefix, whash, counts, woff, arena, slot, used, buf, pos, n
                )
                n_words += 1
            counts[slot] += 1
        out[n_out] = slot
        n_out += 1
        pos = tok_end
        if n_words > limit:
            status = OVER_LIMIT
            break
    if final and status == DONE and n_out > line_start:
        if n_lines >= line_ends.shape[0]:
            status = GROW_LINES
        else:
            line_ends[n_lines] = n_out
            n_lines += 1
            line_start = n_out
    st[POS], st[N_WORDS], st[ARENA], st[N_OUT] = pos, n_words, used, n_out
    st[N_LINES], st[LINE_START], st[STATUS] = n_lines, line_start, status


@njit(cache=True, nogil=True)
def rehash(table, whash, woff, arena, n_words):
    """Fill ``table`` with slots ``0..n_words-1`` (after growing or pruning)."""
    mask = table.shape[0] // 2 - 1
    table[:] = -1
    for s in range(n_words):
        i = np.int64(whash[s]) & mask
        while table[2 * i + 1] >= 0:
            i = (i + 1) & mask
        n = woff[s + 1] - woff[s]
        table[2 * i] = word_hash(arena, woff[s], n)[1]
        table[2 * i + 1] = (s << LEN_BITS) | n


@njit(cache=True, nogil=True)
def absorb(table, whash, counts, woff, arena, n_words, used, o_whash, o_counts, o_woff, o_arena):
    """Add the words and counts of another scan (``o_*``, ``o_woff.shape[0] - 1`` words) to this
    one; words new here are appended in the other's order. The caller makes room first (table
    load, word arrays, arena). Returns (other slot -> slot here int32[m], n_words, used)."""
    m = o_woff.shape[0] - 1
    remap = np.empty(m, np.int32)
    for j in range(m):
        start, n = o_woff[j], o_woff[j + 1] - o_woff[j]
        prefix = word_hash(o_arena, start, n)[1]
        s, i = lookup(table, woff, arena, o_arena, start, n, o_whash[j], prefix)
        if s < 0:
            s = n_words
            used = _add_word(
                table, i, o_whash[j], prefix, whash, counts, woff, arena, s, used, o_arena, start, n
            )
            n_words += 1
        counts[s] += o_counts[j]
        remap[j] = s
    return remap, n_words, used


@njit(cache=True, nogil=True)
def gather_words(slots, woff, arena, sep):
    """The bytes of the words ``slots`` (int64[k]), in that order, each followed by ``sep``."""
    size = 0
    for s in slots:
        size += woff[s + 1] - woff[s] + 1
    out = np.empty(size, np.uint8)
    o = 0
    for s in slots:
        for k in range(woff[s], woff[s + 1]):
            out[o] = arena[k]
            o += 1
        out[o] = sep
        o += 1
    return out


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
def map_down(out, src, dst, n, remap):
    """``out[dst:dst + n] = remap[out[src:src + n]]`` with ``dst <= src`` (in one pass: each
    token is read before anything is written over it)."""
    for t in range(n):
        out[dst + t] = remap[out[src + t]]


ALL = 1 << 62  # a token index past every line end


@njit(cache=True, nogil=True, inline="always")
def _close_lines(line_ends, n_lines, li, t, j, nl, last):
    """For token mapping in place: every line ``li..`` that ends at or before token ``t`` now
    ends after the ``j`` tokens kept so far (``line_ends[nl]``), unless that leaves it empty
    (``last`` = where the previous kept line ends). Returns (li, nl, last)."""
    while li < n_lines and line_ends[li] <= t:
        if j > last:
            line_ends[nl] = j
            nl += 1
            last = j
        li += 1
    return li, nl, last


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
        li, nl, last = _close_lines(line_ends, n_lines, li, t, j, nl, last)
        s = out[t]
        if s >= 0:
            s = remap[s]
            if s >= 0:
                out[j] = s
                j += 1
    li, nl, last = _close_lines(line_ends, n_lines, li, ALL, j, nl, last)
    return j, nl, last


@njit(cache=True, nogil=True)
def encode_packed(tokens, t0, t1, final, line_ends, n_lines, slot_to_id, packed, rare, escape, st):
    """``remap_tokens`` and packing in one pass over tokens ``t0 .. t1 - 1`` (a call per range,
    in order, ``final`` on the last): map every token's slot through ``slot_to_id`` (-1:
    dropped, and lines left empty with it), writing the ids into ``packed`` (a uint16 view of
    ``tokens``' memory: token j goes to bytes 2j..2j+1, never ahead of what is still to be
    read), ids >= ``escape`` as ``escape`` with the id in ``rare`` (int32, room for every
    token). ``st``: int64[5] (tokens kept, ids in ``rare``, lines passed, lines kept, where the
    last kept line ends), zeros before the first call; after the last, ``st[0]``, ``st[3]``
    and ``st[1]`` are the tokens, lines and rare ids kept."""
    j, r, li, nl, last = st[0], st[1], st[2], st[3], st[4]
    for t in range(t0, t1):
        li, nl, last = _close_lines(line_ends, n_lines, li, t, j, nl, last)
        s = tokens[t]  # -1: a word a frozen scan did not know
        w = slot_to_id[s] if s >= 0 else -1
        if w >= 0:
            if w >= escape:
                rare[r] = w
                r += 1
                w = escape
            packed[j] = w
            j += 1
    if final:
        li, nl, last = _close_lines(line_ends, n_lines, li, ALL, j, nl, last)
    st[0], st[1], st[2], st[3], st[4] = j, r, li, nl, last
