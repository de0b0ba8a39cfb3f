"""Rounds on one CUDA GPU (``Word2Vec(device="cuda")``): the executor of ``kernels.cuda_train``.

The packed corpus (two bytes a token, plus the escaped rare ids), the sampling tables and the
weights move to the device once, when the executor is made; a round is one kernel launch over
all the sentences of its jobs (one thread block a sentence), then one small copy back of each
sentence's (loss, pairs, kept words), summed per job on the host in sentence order. The host's
weights are stale while training runs: ``sync()`` copies the device's into them in place (the
estimator calls it before a checkpoint), ``close()`` syncs and frees the device memory.

One replica (the schedule's shared rounds): sentences train concurrently on the device's
weights without locks, as the CPU's Hogwild mode. A seed fixes every random choice (kept
words, windows, noise words, learning rates; so the pairs and kept counts) but not the order
of concurrent updates: see ``wordvec.kernels.cuda_train`` for what is and is not reproducible.

The kernels take the CPU kernels' ``Corpus``, ``Weights``, ``Tables`` and ``Options`` bundles
and ``cuda_train``'s ``Launch`` and ``Scratch``: built here by field name on the host
(``host_bundles``, ``round_launch``, ``make_scratch``; ``tests/test_cuda_compile.py`` compiles
the kernels for their types) and copied to the device field by field (``on_device``).

Negative sampling only (skip-gram or CBOW); anything else is refused with one line.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from wordvec.core.schedule import Round

# tokens a round: one launch, then a copy of the stats back. Large rounds fill the GPU (a
# text8-like corpus cut into 10,000-token sentences gives ~1,700 blocks per 16M tokens)
ROUND_WORDS = 1 << 24
MAX_WARPS = 8  # warps a block (a sentence), at most: 3 blocks an SM at 75 registers a thread
SHARED_BYTES = 48 * 1024  # dynamic shared memory a block may ask without opting in
TOKENS_PER_WARP = 512  # raw tokens of a sentence per warp, at least: short sentences, few warps

NO_GPU = (
    "device='cuda' found no usable NVIDIA GPU ({why}); train on a machine with one and "
    "`pip install 'wordvec[gpu]'`, or set NUMBA_ENABLE_CUDASIM=1 to run the GPU kernels in "
    "Numba's CUDA simulator (very slow: for testing)"
)


def _cuda():
    """``numba.cuda`` if it can run kernels here (a GPU, or the simulator); otherwise a
    ValueError of one line saying what is missing."""
    try:
        from numba import cuda
    except ImportError as e:  # a Numba without its CUDA target
        raise ValueError(NO_GPU.format(why=f"Numba's CUDA target is missing: {e}")) from None
    try:
        ok = cuda.is_available()
    except Exception as e:  # a broken driver or toolkit
        ok, why = False, " ".join(str(e).split())
    else:
        why = "no CUDA driver or device" if not ok else ""
    if not ok:
        raise ValueError(NO_GPU.format(why=why))
    return cuda


def require_gpu() -> None:
    """Raise the one-line ValueError of ``_cuda`` when no GPU (or simulator) can run the
    kernels: for the estimator to check before it reads a corpus."""
    _cuda()


def gpu_bytes(
    vocab_size: int,
    vector_size: int,
    tokens: int,
    rare: int,
    sentences: int,
    round_tokens: int = ROUND_WORDS,
) -> int:
    """Device memory a training run takes: per word the two weight rows (float32[d] each) and
    the tables (keep 8 B, alias 12 B), the packed corpus (2 B a token, 4 B an escaped id,
    16 B a sentence), and each round's scratch (12 B a token: kept id, random state)."""
    per_word = 2 * 4 * vector_size + 20
    return (
        vocab_size * per_word
        + 2 * tokens
        + 4 * rare
        + 16 * (sentences + 1)
        + 12 * min(round_tokens, tokens)
        + 24 * sentences
    )


class CudaExecutor:
    """``weights``: the host's (syn0, syn1neg, syn1) float32 arrays (syn1 unused);
    ``objective``: a ``wordvec.core.objective.Objective`` of kind 'sg' or 'cbow' with negative
    sampling. ``warps``: warps per block (a sentence); None chooses by sentence length.
    ``round_words``: tokens a round the estimator should give (see ``ROUND_WORDS``)."""

    replicas = 1

    def __init__(
        self, weights, objective, warps: int | None = None, round_words: int = ROUND_WORDS
    ):
        from wordvec.kernels.cuda_train import MAX_DL, MAX_OUT, WARP

        opts = objective.opts
        d = weights[0].shape[1]
        if objective.kind not in ("sg", "cbow") or opts.hs or opts.negative < 1 or opts.nce:
            raise ValueError(
                "device='cuda' trains skip-gram or CBOW with negative sampling only "
                "(negative > 0, hs=0, softmax=False, nce=False): use device='cpu' for "
                "hierarchical or full softmax, or NCE"
            )
        if opts.negative > MAX_OUT - 1:
            raise ValueError(
                f"device='cuda' supports negative <= {MAX_OUT - 1}, got {opts.negative}"
            )
        if objective.kind == "cbow" and d > MAX_DL * WARP:
            raise ValueError(f"device='cuda' CBOW supports vector_size <= {MAX_DL * WARP}, got {d}")
        if warps is not None and not 1 <= warps <= MAX_WARPS:
            raise ValueError(f"warps must be in 1..{MAX_WARPS}, got {warps}")
        from wordvec.kernels.cuda_train import shared_bytes

        if shared_bytes(1, opts.window, opts.negative) > SHARED_BYTES:
            raise ValueError(
                f"device='cuda': window={opts.window} with negative={opts.negative} "
                "needs more shared memory than a block has"
            )
        cuda = _cuda()
        from wordvec.kernels.cuda_train import KERNELS

        corpus = objective.corpus
        need = gpu_bytes(
            weights[0].shape[0],
            d,
            corpus.ids.shape[0],
            corpus.rare.shape[0],
            corpus.bounds.shape[0] - 1,
            round_words,
        )
        free = cuda.current_context().get_memory_info()[0]
        if need > free:
            raise ValueError(
                f"device='cuda': training needs about {need / 2**30:.2f} GiB of GPU "
                f"memory, {free / 2**30:.2f} GiB is free (the corpus is not "
                "streamed: train a smaller corpus or on the CPU)"
            )
        self._cuda = cuda
        self._kernel = KERNELS[objective.kind]
        self.round_words = int(round_words)
        self.warps = warps
        self.opts = opts  # the kernels' Options bundle, as it is: numbers only
        self.host = (weights[0], weights[1])
        corpus_h, weights_h, tables_h = host_bundles(objective, weights)
        self.bounds = corpus_h.bounds
        self._corpus = on_device(corpus_h, cuda)
        self._weights = on_device(weights_h, cuda)
        self._tables = on_device(tables_h, cuda)
        self._scratch = None  # Scratch (kept ids, kept states), grown to the largest round
        self._stats = None  # float64[B, 3], grown to the largest round
        self.device_bytes = sum(a.nbytes for a in (*self._corpus, *self._tables, *self._weights))
        self._closed = False

    # -- the Executor protocol -------------------------------------------------------------
    def run_round(self, work: Round, stats: np.ndarray) -> None:
        if self._closed:
            raise RuntimeError("the executor is closed")
        jobs = [job for part in work.jobs for job in part]
        jobs = [job for job in jobs if job.s1 > job.s0]
        if not jobs:
            return
        per_job = np.array([job.s1 - job.s0 for job in jobs], np.int64)
        launch, n_tokens = round_launch(jobs, self.bounds)
        n_blocks = launch.sents.shape[0]
        self._grow(n_tokens, n_blocks)
        launch = on_device(launch, self._cuda)
        from wordvec.kernels.cuda_train import WARP, shared_bytes

        o = self.opts
        warps = self.warps or int(
            np.clip(n_tokens // max(n_blocks, 1) // TOKENS_PER_WARP, 1, MAX_WARPS)
        )
        while warps > 1 and shared_bytes(warps, o.window, o.negative) > SHARED_BYTES:
            warps -= 1
        shmem = shared_bytes(warps, o.window, o.negative)
        with warnings.catch_warnings():  # a small corpus is a small grid: say nothing of it
            warnings.filterwarnings("ignore", r"Grid size \d+ will likely result in GPU under")
            self._kernel[n_blocks, warps * WARP, 0, shmem](
                self._corpus, self._weights, self._tables, o, launch, self._scratch, self._stats
            )
        interrupted = False
        while True:  # a Ctrl-C lets the round finish (the protocol), then is raised
            try:
                per_sentence = self._stats[:n_blocks].copy_to_host()  # waits for it
                break
            except KeyboardInterrupt:
                interrupted = True
        starts = np.zeros(len(jobs), np.int64)
        np.cumsum(per_job[:-1], out=starts[1:])
        sums = np.add.reduceat(per_sentence, starts, axis=0)  # in sentence order: deterministic
        for job, row in zip(jobs, sums, strict=True):
            stats[job.index] += row
        if interrupted:
            raise KeyboardInterrupt

    def sync(self) -> None:
        """Copy the device's weights into the host arrays, in place."""
        if self._closed:
            return
        dev_weights = (self._weights.syn0, self._weights.syn1neg)
        for dev, host in zip(dev_weights, self.host, strict=True):
            if host.flags.c_contiguous:
                dev.copy_to_host(host)
            else:
                host[...] = dev.copy_to_host()

    def close(self) -> None:
        """Sync, then free the device memory (idempotent)."""
        if self._closed:
            return
        self.sync()
        self._closed = True
        self._corpus = self._tables = self._weights = ()
        self._scratch = self._stats = None

    def __enter__(self) -> CudaExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------
    def _grow(self, tokens: int, sentences: int) -> None:
        """Scratch for ``tokens`` kept words and stats for ``sentences`` blocks."""
        cuda = self._cuda
        if self._scratch is None or self._scratch.kept_ids.shape[0] < tokens:
            self._scratch = make_scratch(max(tokens, 1), cuda.device_array)
        if self._stats is None or self._stats.shape[0] < sentences:
            self._stats = cuda.device_array((max(sentences, 1), 3), np.float64)
        held = (*self._corpus, *self._tables, *self._weights, *self._scratch, self._stats)
        self.device_bytes = sum(a.nbytes for a in held)


def host_bundles(objective, weights) -> tuple:
    """The kernels' ``(Corpus, Weights, Tables)`` bundles of a run, on the host: C-contiguous
    arrays of the dtypes the kernels are compiled for (``on_device`` moves them;
    ``tests/test_cuda_compile.py`` takes their Numba types). ``weights``: the host's (syn0,
    syn1neg, ...) float32 arrays; negative sampling only (the executor refuses the rest)."""
    from wordvec.kernels.bundles import Corpus, Tables, Weights

    corpus, tables = objective.corpus, objective.tables
    rare = corpus.rare if corpus.rare.shape[0] else np.zeros(1, np.int32)  # never empty
    d = weights[0].shape[1]
    return (
        Corpus(
            ids=np.ascontiguousarray(corpus.ids),  # uint16
            rare=np.ascontiguousarray(rare, np.int32),
            rare_starts=np.ascontiguousarray(corpus.rare_starts, np.int64),
            bounds=np.ascontiguousarray(corpus.bounds, np.int64),
        ),
        Weights(
            syn0=np.ascontiguousarray(weights[0]),
            syn1neg=np.ascontiguousarray(weights[1]),
            syn1=np.zeros((1, d), weights[0].dtype),  # unused: no hierarchical or full softmax
        ),
        Tables(
            keep=np.ascontiguousarray(tables.keep, np.uint64),
            noise_p=np.ascontiguousarray(tables.noise_p, np.uint64),
            noise_a=np.ascontiguousarray(tables.noise_a, np.int32),
            # unused (no Huffman tree, no NCE): one-element placeholders, as make_objective's
            codes=np.zeros((1, 1), np.uint8),
            points=np.zeros((1, 1), np.int32),
            code_len=np.zeros(1, np.int32),
            nce_shift=np.zeros(1, np.float32),
        ),
    )


def round_launch(jobs, bounds: np.ndarray):
    """The ``Launch`` of a round's ``jobs`` (``schedule.Job``s, none empty) over a corpus with
    sentence starts ``bounds`` (int64[S + 1]), on the host: one block a sentence in job order,
    each block's scratch after the raw tokens of the blocks before it. Returns (launch, raw
    tokens of the round: the scratch it needs)."""
    from wordvec.kernels.cuda_train import Launch

    per_job = np.array([job.s1 - job.s0 for job in jobs], np.int64)
    sents = np.concatenate([np.arange(job.s0, job.s1, dtype=np.int64) for job in jobs])
    lengths = bounds[sents + 1] - bounds[sents]
    offs = np.zeros(sents.shape[0], np.int64)
    np.cumsum(lengths[:-1], out=offs[1:])
    launch = Launch(
        sents=sents,
        offs=offs,
        job_of=np.repeat(np.arange(len(jobs), dtype=np.int32), per_job),
        job_s0=np.array([job.s0 for job in jobs], np.int64),
        job_s1=np.array([job.s1 for job in jobs], np.int64),
        job_alpha0=np.array([job.alpha0 for job in jobs], np.float64),
        job_alpha1=np.array([job.alpha1 for job in jobs], np.float64),
        job_seed=np.array([job.seed for job in jobs], np.uint64),
    )
    return launch, int(lengths.sum())


def make_scratch(tokens: int, empty):
    """A ``Scratch`` of ``tokens`` slots made by ``empty(n, dtype)`` (``cuda.device_array`` or
    ``np.empty``)."""
    from wordvec.kernels.cuda_train import Scratch

    return Scratch(kept_ids=empty(tokens, np.int32), kept_state=empty(tokens, np.uint64))


def on_device(bundle, cuda):
    """``bundle`` (a NamedTuple of host arrays) with each field copied to the device."""
    return bundle._replace(**{name: cuda.to_device(a) for name, a in bundle._asdict().items()})


def simulated() -> bool:
    """True when Numba's CUDA simulator stands in for a GPU (``NUMBA_ENABLE_CUDASIM=1``)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")
