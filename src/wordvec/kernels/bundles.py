"""The bundles the training kernels take (``kernels.train``, ``kernels.cuda_train``): typed
NamedTuples of arrays and numbers. No Numba here: the estimator's side builds them without
loading the kernels, and a change of fields changes the kernels' argument types, so Numba's cache
compiles them anew (V words, d dimensions, L the longest Huffman code, s sentences)."""

from typing import NamedTuple

import numpy as np


class Corpus(NamedTuple):  # packed as ``wordvec.corpus.encoded.EncodedCorpus``
    ids: np.ndarray  # uint16[n] word ids, ``ESCAPE`` standing for the next id of ``rare``
    rare: np.ndarray  # int32[r]
    rare_starts: np.ndarray  # int64[s + 1] index in ``rare`` at each sentence start
    bounds: np.ndarray  # int64[s + 1] sentence starts


class Weights(NamedTuple):  # an unused matrix is float32[1, d]
    syn0: np.ndarray  # float32[V, d] input vectors
    syn1neg: np.ndarray  # float32[V, d] output vectors of negative sampling (and of NCE)
    syn1: np.ndarray  # float32[V - 1, d] Huffman tree nodes, [V, d] full softmax, [V, 1] NCE biases


class SubwordWeights(NamedTuple):  # a subword kernel's ``Weights`` in a replica
    # float32[R, d]: the shared input rows (V + bucket of them, read only here), then the copies
    # the replica made of the rows it moved, from row ``used[1]`` (one array: one code path)
    syn0: np.ndarray
    syn1neg: np.ndarray
    syn1: np.ndarray
    slot: np.ndarray  # int32[V + bucket] a replica's slot of each row it moved, -1 for none
    has: np.ndarray  # uint64[(V + bucket + 63) // 64] bit r: row r has a slot (cache-sized)
    owner: np.ndarray  # int32[V + bucket] the row of each slot
    used: np.ndarray  # int64[2] slots in use, the row of ``syn0`` where slot 0 lies


class Tables(NamedTuple):
    keep: np.ndarray  # uint64[V] subsampling thresholds (``wordvec.corpus.vocab.keep_thresholds``)
    noise_p: np.ndarray  # uint64[V] thresholds and
    noise_a: np.ndarray  # int32[V] aliases: the alias table of the noise distribution
    codes: np.ndarray  # uint8[V, L] Huffman codes
    points: np.ndarray  # int32[V, L] their inner nodes
    code_len: np.ndarray  # int32[V]
    nce_shift: np.ndarray  # float32[V] log(k P_n(w)), k = negative (float32[1] without NCE)


# ``Tables`` and each word's rows (``kernels.subword``): word w's rows are
# ``rows[starts[w]:starts[w + 1]]`` (int64[V + 1] starts, int32[r] rows of syn0: its own, w, then
# its n-grams', V + hash % bucket)
SubwordTables = NamedTuple(
    "SubwordTables", [*Tables.__annotations__.items(), ("starts", np.ndarray), ("rows", np.ndarray)]
)


class Options(NamedTuple):  # int64 each
    window: int
    shrink: int  # shrink_windows
    negative: int
    hs: int
    sg: int
    cbow_mean: int
    nce: int
    # other threads move the same rows at once (no replicas): > 0; skip-gram then trains the
    # ``hogwild`` heaviest Huffman nodes on the thread's own copy, renewed every
    # ``kernels.train.HOGWILD_SYNC`` positions
    hogwild: int
