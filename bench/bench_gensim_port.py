"""A gensim 4 script run twice, unchanged but for its imports: with gensim and with wordvec.gensim.

    python bench/bench_gensim_port.py [--corpus ../shared/data/wiki100m.txt] [--sg 1]

Each run is a fresh process (imports and Numba's cache load are inside the timer for both).
Prints training time, analogy accuracy (3CosAdd, 30,000 most frequent words) and WordSim-353
Spearman for both, and the difference.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
{imports}

class EpochLoss(CallbackAny2Vec):
    def __init__(self):
        self.losses = []
    def on_epoch_end(self, model):
        self.losses.append(model.get_latest_training_loss())

corpus, questions, pairs, sg, workers = sys.argv[1:6]
loss = EpochLoss()
model = Word2Vec(sentences=Text8Corpus(corpus), vector_size=100, window=5, min_count=5,
                 sg=int(sg), workers=int(workers), compute_loss=True, callbacks=[loss])
seconds = time.perf_counter() - t0
score, sections = model.wv.evaluate_word_analogies(questions, restrict_vocab=30000)
pearson, spearman, oov = model.wv.evaluate_word_pairs(pairs)
print(json.dumps({{"seconds": seconds, "analogy": score, "spearman": spearman[0],
                  "vocab": len(model.wv), "corpus_count": model.corpus_count,
                  "losses": loss.losses}}))
"""

IMPORTS = {
    "gensim": "from gensim.models import Word2Vec\n"
    "from gensim.models.word2vec import Text8Corpus\n"
    "from gensim.models.callbacks import CallbackAny2Vec",
    "wordvec.gensim": "from wordvec.gensim import Word2Vec, Text8Corpus, CallbackAny2Vec",
}


def run(module: str, args) -> dict:
    code = SCRIPT.format(imports=IMPORTS[module])
    t0 = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(args.corpus),
            str(args.questions),
            str(args.pairs),
            str(args.sg),
            str(args.workers),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - t0
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=DATA / "wiki100m.txt")
    p.add_argument("--questions", type=Path, default=DATA / "questions-words.txt")
    p.add_argument("--pairs", type=Path, default=DATA / "wordsim353.tsv")
    p.add_argument("--sg", type=int, default=0, help="0: CBOW (gensim's default), 1: skip-gram")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    results = {m: run(m, args) for m in IMPORTS}
    print(
        f"corpus {args.corpus.name}, sg={args.sg}, workers={args.workers}, 5 epochs, "
        "the script's defaults otherwise"
    )
    print("| | training s | analogy % | WordSim-353 spearman | vocab | corpus_count |")
    print("|---|---|---|---|---|---|")
    for m, r in results.items():
        print(
            f"| {m} | {r['seconds']:.1f} | {100 * r['analogy']:.2f} | {r['spearman']:.4f} | "
            f"{r['vocab']:,} | {r['corpus_count']:,} |"
        )
    g, w = results["gensim"], results["wordvec.gensim"]
    print(
        f"analogy difference (wordvec - gensim): {100 * (w['analogy'] - g['analogy']):+.2f} "
        f"points; time ratio gensim/wordvec {g['seconds'] / w['seconds']:.2f}x"
    )


if __name__ == "__main__":
    main()
