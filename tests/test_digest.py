"""A seeded ``workers=1`` run gives the same bits as the code did before the training core was
split into schedule / executors / kernel bundles (digests recorded on commit 795da02)."""

import hashlib

import numpy as np
import pytest

from wordvec import Word2Vec

# sha256 of vectors, then syn1neg, then syn1 (those present), after two epochs. Skip-gram NS
# has one per vector width Numba compiles for: AVX2 (NUMBA_CPU_NAME=haswell gives the first)
# and AVX-512 (a rocketlake host gives the second) add the products of its dot products in
# another order, so the last bits differ between the two machines (not between two runs on one)
DIGESTS = {
    "sg-ns": ("baa49f34162fba5856c7891281b46fac563952cd22c1d0f2e3d19c1d8c4f527e",
              "ff2ef41c1a4ea8d5e191d67929806437160595137f277e8f782b51cca5f3cefd"),
    "cbow-ns": "8b0c42b8e955c71fcc224e840c9bf4db64346bcd00f7f821b883abb6c8d75af5",
    "sg-hs": "3e892e1fd6b81caac9de46fb75a68ad08304cc9a9b4073dc0def0b332d4c6a9f",
    "cbow-hs-ns": "8c0865a8c0648c334d0dee25236c2c8a71fb0113ae6e82ce9f236482f86402b0",
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
    params = dict(vector_size=24, window=4, min_count=2, sample=1e-3, epochs=2, workers=1,
                  seed=11, batch_words=500, max_sentence_length=300, **MODES[mode])
    return Word2Vec(**params).fit(corpus_lines())


@pytest.mark.parametrize("mode", sorted(MODES))
def test_workers1_bits_are_unchanged(mode):
    known = DIGESTS[mode]
    assert digest(train(mode)) in (known if isinstance(known, tuple) else (known,))


if __name__ == "__main__":  # prints the table to paste above
    for mode in MODES:
        print(f'    "{mode}": "{digest(train(mode))}",')
