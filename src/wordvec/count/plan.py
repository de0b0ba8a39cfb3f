"""The memory plan of a co-occurrence count: how ``max_memory`` is shared between the parts a
count holds, so that the process never holds more than its baseline plus ``max_memory``.

The parts (V words, m kept tokens, ``workers`` threads):

- held before counting: the encoded corpus (2 bytes a token) and what the scan left (measured by
  ``Cooccurrence.fit`` as RSS growth, at least the corpus' arrays, at most half the budget);
- the decoded tokens: int32[m] (4 bytes a token), freed when counting ends;
- the dense table of frequent pairs: float64, 8 bytes a cell;
- the overflow buffers: (int64 key, float64 weight), 16 bytes an entry, one a worker;
- the runs kept in memory: 16 bytes a distinct pair, twice that while they are merged;
- after counting: the result (8 bytes a non-zero) or, when the runs went to disk, the blocks of
  the streaming merge (``wordvec.count.spill``).

A large budget does not grow the counting state: the table and buffers keep the sizes a 1 GiB
budget gives them (measured enough on wiki100m.txt: docs/count-based.md); what a large budget
buys is runs and a result held in memory instead of on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from wordvec.core.memory import _size

RESERVE = 16 << 20  # headroom: Python objects, thread stacks, kernels loaded from Numba's cache
TABLE_MAX = (1 << 30) * 2 // 5  # the dense table's bytes at most (40 % of 1 GiB, as before #24)
BUFFERS_MAX = (1 << 30) // 10  # the overflow buffers' bytes at most, all workers (10 % of 1 GiB)
MERGE_EVERY = (1 << 30) * 2 // 5  # runs in memory are merged past this (all workers)
ENTRY = 16  # bytes of a (key, weight) entry
# glibc's malloc keeps a freed block below its dynamic mmap threshold (which grows up to 32 MiB
# as big blocks are freed) for reuse: on wiki100m.txt 30 MiB of freed runs stayed resident. A
# fixed threshold gives every block of 1 MiB or more its own mapping, unmapped when freed.
MMAP_THRESHOLD = 1 << 20


@dataclass
class Plan:
    """Bytes (or entries) each part of a count may take."""

    budget: int  # max_memory, resolved
    held: int  # what the process holds above its baseline before counting (corpus, scan)
    tokens: int  # the decoded corpus
    reserve: int  # headroom
    table_entries: int  # cells of the dense table (``dense_layout``'s ``entries``)
    cap: int  # entries of a worker's overflow buffer
    room: int  # bytes of runs a worker may hold in memory, merges included
    merge_every: int  # bytes of new runs a worker merges past

    def after_count(self, table_bytes: int) -> int:
        """Bytes left once counting is done (tokens and buffers freed) beside the table."""
        return self.budget - self.held - self.reserve - table_bytes


def plan_count(
    budget: int, corpus: int, held: int, tokens: int, v: int, window: int, workers: int
) -> Plan:
    """Share ``budget`` bytes (see the module docstring). ``corpus``: bytes of the encoded
    corpus' arrays; ``held``: measured bytes held before counting (0: unknown); ``tokens``: bytes
    of the decoded corpus. Raises ValueError (one line, with the estimate) when even the smallest
    table, buffers and runs do not fit beside the corpus."""
    min_cap = 4 * window + 16
    min_parts = 8 * v + workers * ENTRY * min_cap * 3  # a cell a row; a buffer and twice its runs
    reserve = min(RESERVE, budget // 8)
    need = corpus + tokens + min_parts + reserve
    if need > budget:
        raise ValueError(
            f"max_memory {_size(budget)} is too small for this count: the encoded corpus "
            f"({_size(corpus)}), the decoded tokens ({_size(tokens)}) and the smallest table and "
            f"buffers ({_size(min_parts)}) need about {_size(need)}; raise max_memory, or lower "
            "the vocabulary (min_count) or the corpus"
        )
    # what the scan left counts up to half the budget: past that it is mostly code loaded once
    # (a fresh process loads Numba's kernels during the scan), the baseline's part
    held = min(max(held, corpus), corpus + (budget - corpus) // 2)
    free = max(budget - held - tokens - reserve, min_parts)
    table = min(max(free * 2 // 5, 8 * v), TABLE_MAX)
    buffers = min(max(free // 10, workers * ENTRY * min_cap), BUFFERS_MAX)
    cap = max(buffers // ENTRY // workers, min_cap)
    room = max((free - table - buffers) // workers, 2 * ENTRY * min_cap)
    merge_every = min(MERGE_EVERY // workers, room // 2)
    return Plan(budget, held, tokens, reserve, table // 8, cap, room, merge_every)


def fix_mmap_threshold() -> None:
    """Make glibc map blocks of ``MMAP_THRESHOLD`` bytes or more on their own (freed: back to
    the OS at once) for the rest of the process; elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-3, MMAP_THRESHOLD)  # -3: M_MMAP_THRESHOLD
    except (OSError, AttributeError, TypeError):  # not glibc
        pass
