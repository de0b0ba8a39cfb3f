"""Deterministic merge of per-replica weight copies (``Word2Vec(deterministic=True)``)."""

import math

import numpy as np
from numba import njit

SUM, MEAN, CAPPED = 0, 1, 2  # how the changes of a row several replicas moved combine
MODES = {"sum": SUM, "mean": MEAN, "capped": CAPPED}
CAP = 2.0  # capped: a merged change is at most this many times the longest replica's change


def parse_modes(merge, n: int) -> list[int]:
    """The mode of each of ``n`` matrices from ``merge``: one name of ``MODES`` for all, or one
    per matrix, comma-separated or a list (repeated when fewer)."""
    names = merge.split(",") if isinstance(merge, str) else list(merge)
    if not names or any(name not in MODES for name in names):
        raise ValueError(
            f"merge must be one of {sorted(MODES)} (or one per matrix, "
            f"comma-separated), got {merge!r}"
        )
    return [MODES[name] for name in (names * n)[:n]]


@njit(cache=True, nogil=True)
def merge_touched(shared, copies, touched, mode):
    """Combine every replica's change since the last merge into ``shared`` and reset the
    replicas to the result: ``shared``: float32[V, d]; ``copies``: float32[N, V, d], each equal
    to ``shared`` at the last merge; ``touched``: uint8[N, >= V] flags (replica, row) of the
    rows each replica updated, cleared here (the other rows are equal everywhere already).

    A row only one replica updated is that replica's row. A row ``k > 1`` replicas moved, each
    from the same start on its own share of the data, gets (``mode``):

    - ``SUM``: the sum of their changes ``D = sum_i d_i``, as sequential training adds small
      independent steps. Where every replica pushes a row the same way (a frequent word's
      output vector, a Huffman node near the root) the sum steps ``k`` times too far: with 2
      replicas training holds (as good as Hogwild), with 4 or 8 skip-gram and CBOW diverge;
    - ``MEAN``: ``D / k`` (what Spark MLlib does to whole models): no divergence, but every row
      replicas share learns ``k`` times slower (2 replicas of CBOW: 0.5 % analogy, not 3.1 %);
    - ``CAPPED``: the sum, shortened when needed so that it is at most ``CAP`` times the
      longest single replica's change: a row never moves further in one merge than two
      replicas could move it. With 2 replicas this is always the sum (``|d_1 + d_2| <=
      2 max |d_i|``); with more, only rows that many replicas push the same way are cut back.

    Always in replica order, so the result does not depend on which thread finished first.
    """
    acc = np.empty(copies.shape[2], np.float32)
    for i in range(copies.shape[1]):
        _merge_row(shared, copies, touched, i, mode, acc)


@njit(cache=True, nogil=True)
def merge_listed(shared, copies, touched, rows, mode):
    """``merge_touched`` over the rows ``rows`` (int64[k]) only: rows that are frequent but
    not contiguous (a subword model's most used n-gram rows among its buckets)."""
    acc = np.empty(copies.shape[2], np.float32)
    for i in rows:
        _merge_row(shared, copies, touched, i, mode, acc)


@njit(cache=True, nogil=True, inline="always")
def _merge_row(shared, copies, touched, i, mode, acc):
    """Row ``i`` of ``merge_touched``."""
    n = copies.shape[0]
    hits = 0
    first = 0
    for w in range(n):
        if touched[w, i]:
            if hits == 0:
                first = w
            hits += 1
            touched[w, i] = 0
    if hits == 0:
        return
    s = shared[i]
    if hits == 1:  # the one replica's row is the result: copy it, nothing to add
        src = copies[first, i]
        s[:] = src
        for w in range(n):
            if w != first:
                copies[w, i][:] = src
        return
    combine(s, copies, i, hits, mode, acc)
    for w in range(n):
        copies[w, i][:] = acc


@njit(cache=True, nogil=True, inline="always")  # a call a row costs 10 % of a merge
def combine(s, copies, i, hits, mode, acc):
    """Row ``i`` that ``hits`` > 1 replicas moved: ``s`` (float32[d]) as they all started,
    ``copies[r, i]`` replica ``r``'s (``s`` where it did not move it); ``acc`` and ``s`` become
    the merged row (``merge_touched``'s modes)."""
    acc[:] = 0.0
    longest = 0.0  # max over replicas of |d_i|^2
    for w in range(copies.shape[0]):
        longest = max(longest, add_change(acc, copies[w, i], s, mode))
    finish(s, acc, hits, mode, longest, acc)


@njit(cache=True, nogil=True, inline="always")
def add_change(acc, c, s, mode):
    """``acc += c - s``; returns ``|c - s|^2`` for ``CAPPED`` (else 0: without that sum the
    loop vectorises)."""
    d = s.shape[0]
    q = np.float32(0.0)
    if mode == CAPPED:
        for t in range(d):
            x = c[t] - s[t]
            acc[t] += x
            q += x * x
    else:
        for t in range(d):
            acc[t] += c[t] - s[t]
    return q


@njit(cache=True, nogil=True, inline="always")
def finish(s, acc, hits, mode, longest, out):
    """``s`` and ``out`` (float32[d], may be ``acc`` or ``s``) become ``s`` plus the
    replicas' summed changes ``acc``, scaled as ``mode`` says (``longest``: the largest
    ``|d_i|^2``, for ``CAPPED``)."""
    d = s.shape[0]
    scale = 1.0
    if mode == MEAN:
        scale = 1.0 / hits
    elif mode == CAPPED:
        total = 0.0
        for t in range(d):
            total += acc[t] * acc[t]
        if total > CAP * CAP * longest:
            scale = CAP * math.sqrt(longest / total)
    g = np.float32(scale)
    for t in range(d):
        y = s[t] + acc[t] * g
        s[t] = y
        out[t] = y


@njit(cache=True, nogil=True)
def merge_sparse(w, base, lo, ids, vals, mode, moved):
    """``merge_touched`` over rows ``lo .. lo + h - 1`` for replicas that sent only the rows
    they moved there (``ids[r]``: int32, sorted; ``vals[r]``: their values; replica order):
    into ``w`` (float32[h, d], this replica's rows) from ``base`` (float32[h, d], the rows as
    every replica started, which become the merged rows too); sets ``moved[i]`` (bool[h]) for
    every row some replica moved."""
    n = len(ids)
    h, d = base.shape
    acc = np.empty(d, np.float32)
    at = np.zeros(n, np.int64)  # each replica's next row in ids[r]
    mark = np.zeros(n, np.bool_)
    for i in range(h):
        hits = 0
        first = 0
        for r in range(n):
            mark[r] = at[r] < ids[r].shape[0] and ids[r][at[r]] == lo + i
            if mark[r]:
                if hits == 0:
                    first = r
                hits += 1
        if hits == 0:
            continue
        moved[i] = True
        s = base[i]
        if hits == 1:
            s[:] = vals[first][at[first]]
            w[i] = s
        else:  # combine's sums, each replica's row read where it lies
            acc[:] = 0.0
            longest = 0.0
            for r in range(n):
                if mark[r]:
                    q = add_change(acc, vals[r][at[r]], s, mode)
                else:
                    q = add_change(acc, s, s, mode)
                longest = max(longest, q)
            finish(s, acc, hits, mode, longest, w[i])
        for r in range(n):
            at[r] += mark[r]


@njit(cache=True, nogil=True)
def gather_touched(w, flags, lo, hi, ids, rows):
    """The rows ``lo .. hi - 1`` of ``w`` whose ``flags`` (uint8) are set, in order, into
    ``ids`` (int32) and ``rows`` (float32[>= n, d]), their flags cleared; returns ``n``: what
    a replica sends of the rows it moved."""
    n = 0
    for i in range(lo, hi):
        if flags[i]:
            flags[i] = 0
            ids[n] = i
            rows[n] = w[i]
            n += 1
    return n


@njit(cache=True, nogil=True)
def merge_slots(shared, slots, stores, touched, lo, hi, rows, mode, last):
    """``merge_touched`` for replicas that hold only the rows they moved (``kernels.subword``):
    replica ``r``'s copy of row ``i`` is ``stores[r, slots[r, i]]`` (float32[N, >= used, d],
    int32[N, V]), the shared row where it has no slot. Over rows ``lo .. hi - 1``, then the
    listed ``rows`` (int64[k]). A replica marks a row once a round, when it copies it, so a
    marked copy equal to the shared row has not moved since the last merge and is not counted:
    the same replicas as ``merge_touched`` counts, the same arithmetic, the same bits. The
    merged row goes to ``shared`` and to every copy; ``last``: the round's merge, after which
    the marks are cleared (the replicas then read the shared rows again: ``release_slots``)."""
    acc = np.empty(shared.shape[1], np.float32)
    for i in range(lo, hi):
        _merge_slot_row(shared, slots, stores, touched, i, mode, acc, last)
    for i in rows:
        _merge_slot_row(shared, slots, stores, touched, i, mode, acc, last)


@njit(cache=True, nogil=True, inline="always")
def _merge_slot_row(shared, slots, stores, touched, i, mode, acc, last):
    """Row ``i`` of ``merge_slots``."""
    n = slots.shape[0]
    s = shared[i]
    hits = 0
    first = 0
    for w in range(n):
        if touched[w, i]:
            if last:
                touched[w, i] = 0
            c = stores[w, slots[w, i]]
            moved = False
            for t in range(s.shape[0]):
                if c[t] != s[t]:
                    moved = True
                    break
            if moved:
                if hits == 0:
                    first = w
                hits += 1
    if hits == 0:
        return
    if hits == 1:  # the one replica's row is the result
        s[:] = stores[first, slots[first, i]]
    else:
        acc[:] = 0.0
        longest = 0.0
        for w in range(n):
            k = slots[w, i]
            longest = max(longest, add_change(acc, stores[w, k] if k >= 0 else s, s, mode))
        finish(s, acc, hits, mode, longest, acc)
    for w in range(n):
        k = slots[w, i]
        if k >= 0:
            stores[w, k][:] = s


@njit(cache=True, nogil=True)
def release_slots(slot, has, owner, used):
    """A replica's rows all merged (a round's end): it reads the shared rows again."""
    for k in range(used[0]):
        slot[owner[k]] = -1
    has[:] = 0
    used[0] = 0
