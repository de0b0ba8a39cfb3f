"""wordvec: fast word2vec, and the tools to query, evaluate, see and export embeddings.

``import wordvec`` stays light: NumPy and the pure-Python modules only; Numba kernels compile (or
load from Numba's cache) the first time they run.
"""

from .cooccurrence import Cooccurrence
from .corpus import CorpusError
from .glove import GloVe
from .io import FormatError, load_vectors, load_word2vec, save_vectors
from .keyedvectors import KeyedVectors
from .phrases import ENGLISH_CONNECTOR_WORDS, Phrases
from .ppmi import PPMI
from .train import Callback, EpochStats, TrainingReport, Word2Vec

__version__ = "0.1.0"

__all__ = [
    "ENGLISH_CONNECTOR_WORDS",
    "PPMI",
    "Callback",
    "Cooccurrence",
    "CorpusError",
    "EpochStats",
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
