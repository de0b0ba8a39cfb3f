"""wordvec: fast word2vec, and the tools to query, evaluate, see and export embeddings.

``import wordvec`` stays light: NumPy and the pure-Python modules only; Numba kernels compile (or
load from Numba's cache) the first time they run.
"""

from wordvec.corpus.phrases import ENGLISH_CONNECTOR_WORDS, Phrases
from wordvec.corpus.reader import CorpusError
from wordvec.count.cooccurrence import Cooccurrence
from wordvec.count.glove import GloVe
from wordvec.count.ppmi import PPMI
from wordvec.io import FormatError, load_vectors, load_word2vec, save_vectors
from wordvec.subword.model import FastText
from wordvec.vectors.keyedvectors import KeyedVectors
from wordvec.vectors.subword import FastTextKeyedVectors
from wordvec.word2vec.model import Callback, EpochStats, TrainingReport, Word2Vec

__version__ = "0.1.0"

__all__ = [
    "ENGLISH_CONNECTOR_WORDS",
    "PPMI",
    "Callback",
    "Cooccurrence",
    "CorpusError",
    "EpochStats",
    "FastText",
    "FastTextKeyedVectors",
    "FormatError",
    "GloVe",
    "KeyedVectors",
    "Phrases",
    "TrainingReport",
    "Word2Vec",
    "load_vectors",
    "load_word2vec",
    "save_vectors",
]
