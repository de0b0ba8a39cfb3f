"""Train one system once, in a process of its own, and print what it cost as one JSON line.

Usage (compare.py calls it; it is not meant to be typed)::

    python bench/run_one.py '{"system": "gensim", "sg": 1, "hs": 0, ..., "out": "v.bin"}'

The spec holds the system (``wordvec``, ``gensim``, ``gensim-file``, ``fasttext``), the word2vec
settings under wordvec's (= gensim's) names, ``corpus`` (the original file), ``split`` (the same
tokens, 1,000 to a line, for gensim) and ``out`` (where the vectors go, word2vec binary format,
most frequent word first). Only the vocabulary and training are timed; imports, interpreter start
and writing the vectors are not. ``peak_rss_mb`` is the process's peak resident memory (``VmHWM``)
read right after training, before the vectors are written.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _peak_mb() -> float:
    """Peak resident memory of this process so far, in MiB: ``VmHWM``, the high-water mark of
    this process's own memory. (``getrusage``'s ``ru_maxrss`` is not used: across fork + exec
    Linux carries the parent's peak into it, so a child of a 190 MB parent reads >= 190 MB.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB or B


def run_wordvec(s: dict, deterministic: bool = False) -> dict:
    """wordvec's fastest mode (Hogwild, like gensim and the C tool), or with ``deterministic``
    its default: the same vectors on every run with the same seed and number of workers."""
    from wordvec import Word2Vec
    from wordvec.io import save_word2vec

    import_mb = _peak_mb()
    model = Word2Vec(
        vector_size=s["vector_size"],
        window=s["window"],
        min_count=s["min_count"],
        sample=s["sample"],
        negative=s["negative"],
        hs=s["hs"],
        sg=s["sg"],
        alpha=s["alpha"],
        epochs=s["epochs"],
        workers=s["workers"],
        seed=s["seed"],
        deterministic=deterministic,
    )
    t0 = time.perf_counter()
    model.build_vocab(s["corpus"])
    t1 = time.perf_counter()
    model.train()
    t2 = time.perf_counter()
    peak = _peak_mb()
    if s.get("out"):
        save_word2vec(model.wv, s["out"], binary=True)
    return dict(
        seconds_vocab=t1 - t0,
        seconds_train=t2 - t1,
        peak_rss_mb=peak,
        import_mb=import_mb,
        vocab_size=len(model.wv),
    )


def run_gensim(s: dict, corpus_file: bool) -> dict:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    import_mb = _peak_mb()
    model = Word2Vec(
        vector_size=s["vector_size"],
        window=s["window"],
        min_count=s["min_count"],
        sample=s["sample"],
        negative=s["negative"],
        hs=s["hs"],
        sg=s["sg"],
        alpha=s["alpha"],
        epochs=s["epochs"],
        workers=s["workers"],
        seed=s["seed"],
    )
    t0 = time.perf_counter()
    if corpus_file:
        model.build_vocab(corpus_file=s["split"])
    else:
        model.build_vocab(LineSentence(s["split"]))
    t1 = time.perf_counter()
    if corpus_file:
        model.train(
            corpus_file=s["split"], total_words=model.corpus_total_words, epochs=model.epochs
        )
    else:
        model.train(
            LineSentence(s["split"]), total_examples=model.corpus_count, epochs=model.epochs
        )
    t2 = time.perf_counter()
    peak = _peak_mb()
    if s.get("out"):
        model.wv.save_word2vec_format(s["out"], binary=True)
    return dict(
        seconds_vocab=t1 - t0,
        seconds_train=t2 - t1,
        peak_rss_mb=peak,
        import_mb=import_mb,
        vocab_size=len(model.wv),
    )


def run_fasttext(s: dict) -> dict:
    """fastText as word2vec: no subwords (``minn = maxn = 0``, so ``bucket = 0`` as its command
    line sets by itself), one call that counts and trains, so there is no separate vocab time."""
    import fasttext

    from wordvec import KeyedVectors
    from wordvec.io import save_word2vec

    import_mb = _peak_mb()
    t0 = time.perf_counter()
    model = fasttext.train_unsupervised(
        input=s["corpus"],
        model="skipgram" if s["sg"] else "cbow",
        dim=s["vector_size"],
        ws=s["window"],
        minCount=s["min_count"],
        t=s["sample"],
        neg=s["negative"] or 5,  # not used by loss="hs"
        loss="hs" if s["hs"] else "ns",
        lr=s["alpha"],
        epoch=s["epochs"],
        thread=s["workers"],
        minn=0,
        maxn=0,
        bucket=0,
        wordNgrams=1,
        verbose=0,
    )
    t2 = time.perf_counter()
    peak = _peak_mb()
    words = model.get_words()  # most frequent first, as the word2vec format expects
    if s.get("out"):
        save_word2vec(
            KeyedVectors(words, model.get_input_matrix()[: len(words)]), s["out"], binary=True
        )
    return dict(
        seconds_vocab=None,
        seconds_train=None,
        seconds_total=t2 - t0,
        peak_rss_mb=peak,
        import_mb=import_mb,
        vocab_size=len(words),
    )


RUNNERS = {
    "wordvec": run_wordvec,
    "wordvec-det": lambda s: run_wordvec(s, deterministic=True),
    "gensim": lambda s: run_gensim(s, corpus_file=False),
    "gensim-file": lambda s: run_gensim(s, corpus_file=True),
    "fasttext": run_fasttext,
}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    result = RUNNERS[spec["system"]](spec)
    if result.get("seconds_total") is None:
        result["seconds_total"] = result["seconds_vocab"] + result["seconds_train"]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
