"""The estimate of a training's peak (``training_bytes``), the memory available, and the refusal
(``check_memory``) by which a run that cannot fit stops before it allocates. The arrays whose pages
go back to the OS as a scan proceeds are ``wordvec.corpus.buffers``.

Concessions: the estimate is the peak of training, not of the scan before it (that one grows
with the distinct words of the raw corpus, rare ones included); its baseline and per-word
costs were measured on one platform (bench/results/memory.md).
"""

from __future__ import annotations

# what a training process holds before its arrays: CPython, NumPy, Numba and the training
# kernels loaded from Numba's cache (measured on CPython 3.11, NumPy 2.4, Numba 0.68, Linux
# x86-64: bench/bench_memory.py); already held when training checks what it needs
BASELINE_BYTES = 165 << 20
WORD_CHARS = 10  # characters of an average vocabulary word (ASCII), for ``word_bytes``
HELD = ("baseline", "corpus")
# what one distinct word costs a scan at most (hash slots at their lowest load, count, offset,
# hash, bytes, and the arrays' doubling); a scan with a budget keeps at most a quarter of it
# in words (``scan_word_limit``), pruning the rarest beyond, as the C tool's ReduceVocab
SCAN_WORD_BYTES = 128  # parts a process holds when ``build_vocab`` checks memory


def available_bytes() -> int | None:
    """Memory this process can still take: the kernel's ``MemAvailable``, lowered by a cgroup
    limit if one is set; None where neither can be read."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        return None
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_file) as f, open(usage_file) as g:
                text = f.read().strip()
                if text != "max" and int(text) < 1 << 60:
                    room = int(text) - int(g.read().strip())
                    avail = room if avail is None else min(avail, room)
            break
        except (OSError, ValueError):
            continue
    return avail


def budget(max_memory: int | None) -> int:
    """The bytes a run may hold above its baseline: ``max_memory`` when given, else what the
    machine has available now (``available_bytes``; 1 GiB where that cannot be read)."""
    if max_memory is not None:
        return int(max_memory)
    avail = available_bytes()
    return avail if avail is not None else 1 << 30


def scan_word_limit(budget_bytes: int) -> int:
    """Distinct words a scan may hold within ``budget_bytes`` (a quarter of it) before it
    prunes the rarest: what bounds a scan of a corpus with tens of millions of strings."""
    return max(budget_bytes // 4 // SCAN_WORD_BYTES, 1 << 16)


def check_memory(estimate: dict[str, int], what: str) -> None:
    """Refuse (ValueError, one line) when the bytes of ``estimate`` (``training_bytes``) not
    yet held (all but ``HELD``) would not fit in the memory available now."""
    avail = available_bytes()
    need = estimate["total"] - sum(estimate.get(k, 0) for k in HELD)
    if avail is not None and need > avail:
        parts = ", ".join(
            f"{k} {_size(v)}" for k, v in estimate.items() if k != "total" and k not in HELD and v
        )
        raise ValueError(
            f"{what} needs about {_size(need)} more ({parts}) but only {_size(avail)} is "
            "available: lower vector_size, window, workers or the vocabulary (min_count, "
            "max_final_vocab), or pass deterministic=False (no per-worker replicas)"
        )


def corpus_to_disk(estimate: dict[str, int], max_memory: int | None, what: str) -> bool:
    """Whether the encoded corpus must go to disk for ``estimate`` (``training_bytes``, the
    corpus in memory) to stay within ``max_memory`` above the baseline; None: the memory
    available now, as ``check_memory``. Refuses (ValueError, one line with the estimate) when
    what must stay in memory (all but the corpus) does not fit."""
    if max_memory is None:
        check_memory(estimate, what)
        return False
    held = estimate["total"] - estimate.get("baseline", 0)
    rest = held - estimate.get("corpus", 0)
    if rest > max_memory:
        parts = ", ".join(
            f"{k} {_size(v)}"
            for k, v in estimate.items()
            if k not in ("total", "baseline", "corpus") and v and not k.startswith("disk_")
        )
        raise ValueError(
            f"{what} needs about {_size(rest)} in memory ({parts}) but max_memory is "
            f"{_size(max_memory)}: raise max_memory, or lower vector_size, workers or the "
            "vocabulary (min_count, max_final_vocab), or pass deterministic=False"
        )
    return held > max_memory


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} B"


def training_bytes(
    vocab_size: int,
    vector_size: int,
    window: int,
    negative: int,
    hs: bool,
    softmax: bool,
    workers: int,
    replicas: int,
    *,
    nce: bool = False,
    corpus_on_disk: bool = False,
    tokens: int = 0,
    rare_tokens: int = 0,
    sentences: int = 0,
    max_sentence_length: int = 10_000,
    word_chars: int = WORD_CHARS,
    baseline: int = BASELINE_BYTES,
) -> dict[str, int]:
    """The peak memory (resident bytes) of a word2vec training process, by part; ``total``
    sums them. It is what the process holds at the end of its last epoch, the peak when
    the weights dominate (bench/results/memory.md compares it with measured peaks):

    - ``baseline``: the interpreter, NumPy, Numba and the kernels loaded from Numba's cache
      (``BASELINE_BYTES``; a first run that compiles the kernels takes about 80 MB more);
    - ``words``: the vocabulary as Python objects (``word_bytes``);
    - ``corpus``: the encoded corpus (``EncodedCorpus``): 2 bytes a token, 4 more for each of
      the ``rare_tokens`` (ids from 65,535 up), 16 a sentence (bounds and where its rare ids
      start); 0 when ``tokens`` is not given (before the corpus is read); with
      ``corpus_on_disk`` the ids are in a file (``disk_corpus``, not in ``total``) and only
      the sentence tables count here;
    - ``vectors``, ``syn1neg``, ``syn1``: the float32 weights; ``nce``: NCE's output bias and
      its table of log(k P_n(w)), float32 each;
    - ``replicas``: the deterministic mode's copies of every trained matrix, one per worker
      (``replicas``; 0 for Hogwild and for one worker), with a byte a row a matrix to note
      the rows a replica touched;
    - ``tables``: counts, subsampling thresholds, the noise alias table, Huffman codes and
      points (about 40 levels);
    - ``buffers``: each worker's buffers for its longest sentence and one window.
    """
    v, row = vocab_size, 4 * vector_size
    out = {"baseline": baseline, "words": v * word_bytes(word_chars)}
    out["corpus"] = 2 * tokens + 4 * rare_tokens + 16 * (sentences + 1) if tokens else 0
    if corpus_on_disk:
        out["corpus"] -= 2 * tokens
    out["vectors"] = v * row
    if negative:
        out["syn1neg"] = v * row
    if hs or softmax:
        out["syn1"] = v * row
    if nce:
        out["nce"] = 8 * v
    trained = sum(out[k] for k in ("vectors", "syn1neg", "syn1") if k in out)
    trained += 4 * v if nce else 0  # the output biases are trained (and replicated)
    out["replicas"] = replicas * (trained + 3 * v)
    out["tables"] = v * (8 + 8 + 12 + (5 * 40 if hs else 0))  # codes + points: ~40 levels
    n_out = max(negative + 1, 40 if hs else 0, v if softmax else 0)
    sentence = min(max_sentence_length, tokens) if tokens else max_sentence_length
    out["buffers"] = workers * (2 * window * (row + 4 * n_out + 8) + sentence * (12 + 8 * negative))
    out["total"] = sum(out.values())
    if corpus_on_disk:
        out["disk_corpus"] = 2 * tokens
    return out


def word_bytes(word_chars: int = WORD_CHARS) -> int:
    """What one vocabulary word costs as Python objects (CPython 3.11, 64-bit): its ``str``
    (ASCII: 49 bytes + one a character, in 16-byte blocks), a slot in two lists
    (``Vocab.words`` and ``KeyedVectors.index_to_key``), its ``int`` row and its entry in the
    ``key_to_index`` dict (about 40 bytes: a hash table between one and two thirds full)."""
    text = -(-(49 + word_chars) // 16) * 16
    return text + 2 * 8 + 32 + 40


def peak_rss() -> int | None:
    """This process's peak resident memory in bytes (Linux ``VmHWM``); None elsewhere."""
    return _status_bytes("VmHWM:")


def resident_bytes() -> int:
    """This process's resident memory now (Linux ``VmRSS``); 0 where it cannot be read."""
    return _status_bytes("VmRSS:") or 0


def _status_bytes(key: str) -> int | None:
    """A ``kB`` line of ``/proc/self/status`` in bytes; None where it cannot be read."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
