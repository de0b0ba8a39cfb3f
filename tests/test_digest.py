"""A seeded ``workers=1`` run gives the same bits as the code did before the training core was
split into schedule / executors / kernel bundles (digests recorded on commit 795da02).

The kernels are compiled with ``fastmath``: how a dot product's terms are summed follows the
vector width LLVM picks for the CPU, so the last bits differ between an AVX2, an AVX-512
Intel and an AVX-512 AMD machine (not between two runs on one). The runs here are compiled for
one fixed target, Haswell's AVX2, in a process of their own, on any x86 machine that has it.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wordvec import Word2Vec

# sha256 of vectors, then syn1neg, then syn1 (those present), after two epochs, for AVX2; the
# three with CBOW or hierarchical softmax recorded again when one input's outputs became a
# register-blocked block (issue #23: every score before any row moves, sums in another order)
DIGESTS = {
    "sg-ns": "baa49f34162fba5856c7891281b46fac563952cd22c1d0f2e3d19c1d8c4f527e",
    "cbow-ns": "468b6229d7080400e8a524ea7454fe1fe49c7bd9fd032af04b13f92f4d7c8b1f",
    "sg-hs": "220b69109cf225ec4d106c317ebf7d76c121247fe959bf97c9c0d59627fe9a60",
    "cbow-hs-ns": "4a31e955c46a74d18225026e2e0fdd2475e5de7986809dfe654e6e7e7d9fe334",
    "sg-softmax": "3d730ecd97ed733e97655c4b0dfe4841effef4a2e0dfb25db4191052263a18be",
}
MODES = {
    "sg-ns": dict(sg=1, negative=5),
    "cbow-ns": dict(sg=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-hs-ns": dict(sg=0, hs=1, negative=3, cbow_mean=0),
    "sg-softmax": dict(sg=1, softmax=True, negative=0),
}


def corpus_lines(n_lines=1500, seed=3):
    """Zipf-distributed words w0..w399 with a few escaped-style long lines."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n_lines):
        n = 5 + int(rng.integers(0, 30)) if i % 97 else 700  # a few long sentences, cut in pieces
        lines.append([f"w{x % 400}" for x in rng.zipf(1.3, n)])
    return lines


def digest(model):
    h = hashlib.sha256(np.ascontiguousarray(model.wv.vectors).tobytes())
    for w in (model.syn1neg_, model.syn1_):
        if w is not None:
            h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()


def train(mode):
    params = dict(
        vector_size=24,
        window=4,
        min_count=2,
        sample=1e-3,
        epochs=2,
        workers=1,
        seed=11,
        batch_words=500,
        max_sentence_length=300,
        **MODES[mode],
    )
    return Word2Vec(**params).fit(corpus_lines())


# Haswell's features, and no others: Numba otherwise adds the host's (AVX-512 among them)
AVX2 = (
    "+64bit,+avx,+avx2,+bmi,+bmi2,+cmov,+cx16,+f16c,+fma,+fsgsbase,+lzcnt,+mmx,+movbe,"
    "+pclmul,+popcnt,+rdrnd,+sahf,+sse,+sse2,+sse3,+sse4.1,+sse4.2,+ssse3,+xsave,+xsaveopt"
)


@pytest.fixture(scope="module")
def digests():
    """Every mode's digest, trained in one process compiled for Haswell."""
    from llvmlite import binding

    host = binding.get_host_cpu_features()
    if not all(host.get(f, False) for f in ("avx2", "fma", "bmi2", "movbe", "f16c")):
        pytest.skip("the recorded digests are for AVX2 machines; this CPU lacks AVX2")
    env = dict(os.environ, NUMBA_CPU_NAME="haswell", NUMBA_CPU_FEATURES=AVX2)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import test_digest as t; "
        "print(json.dumps({m: t.digest(t.train(m)) for m in t.MODES}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", sorted(MODES))
def test_workers1_bits_are_unchanged(mode, digests):
    assert digests[mode] == DIGESTS[mode]


if __name__ == "__main__":  # prints the table to paste above
    for mode in MODES:
        print(f'    "{mode}": "{digest(train(mode))}",')
