"""gensim 4's API on wordvec: change the import, keep the script.

::

    from wordvec.gensim import Word2Vec, KeyedVectors, LineSentence, CallbackAny2Vec

    model = Word2Vec(sentences=LineSentence("corpus.txt"), vector_size=100, window=5,
                     min_count=5, workers=2)
    model.wv.most_similar("king")

``Word2Vec`` here is ``wordvec.Word2Vec`` with gensim's constructor that trains (``sentences``
or ``corpus_file``), gensim's ``build_vocab(corpus_iterable, ..., update=...)`` and
``train(corpus_iterable, total_examples=..., epochs=..., compute_loss=...)``,
``get_latest_training_loss()``, and callbacks with gensim's signatures (``on_epoch_end(model)``).
As in gensim, several workers update the shared weights without locks (Hogwild: wordvec's
``deterministic=False``); pass ``deterministic=True`` for wordvec's reproducible rounds.
The corpus readers (``LineSentence``, ``Text8Corpus``, ``PathLineSentences``) iterate like
gensim's, and a plain file or folder behind them is handed to wordvec's fast reader instead of
being iterated in Python. Models are saved in wordvec's native format (no pickle).

``FastText`` is that ``Word2Vec`` over ``wordvec.FastText`` (gensim's ``FastText`` signature;
``wv[word]`` answers any word from its character n-grams), and ``load_facebook_model``,
``load_facebook_vectors`` and ``save_facebook_model`` read and write fastText's ``.bin``.
What still differs is listed in ``docs/gensim.md``.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from wordvec.core.report import EpochStats, TrainingReport
from wordvec.corpus.reader import open_file
from wordvec.formats.fasttext import read_fasttext_model, write_fasttext_bin
from wordvec.subword.model import FastText as _FastText
from wordvec.vectors.keyedvectors import KeyedVectors
from wordvec.vectors.subword import FastTextKeyedVectors
from wordvec.word2vec.model import Callback
from wordvec.word2vec.model import Word2Vec as _Word2Vec

__all__ = [
    "CallbackAny2Vec",
    "FastText",
    "KeyedVectors",
    "LineSentence",
    "PathLineSentences",
    "Text8Corpus",
    "Word2Vec",
    "load_facebook_model",
    "load_facebook_vectors",
    "save_facebook_model",
]

MAX_WORDS_IN_BATCH = 10_000  # gensim's default batch_words and max_sentence_length


# -- corpora --------------------------------------------------------------------------------------
def _split(line: bytes) -> list[str]:
    return line.decode("utf-8").split()


class LineSentence:
    """gensim's ``LineSentence``: one sentence per line, words separated by whitespace, lines
    longer than ``max_sentence_length`` words cut into pieces; ``limit`` reads only the first
    lines. ``source`` is a path (``.gz``/``.bz2``/``.xz`` decompressed) or an open file."""

    def __init__(
        self, source, max_sentence_length: int = MAX_WORDS_IN_BATCH, limit: int | None = None
    ):
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit

    def __iter__(self) -> Iterator[list[str]]:
        if hasattr(self.source, "read"):
            self.source.seek(0)
            yield from self._lines(self.source)
            return
        with open_file(Path(self.source)) as f:
            yield from self._lines(f)

    def _lines(self, f) -> Iterator[list[str]]:
        for n, line in enumerate(f):
            if self.limit is not None and n >= self.limit:
                return
            words = _split(line if isinstance(line, bytes) else line.encode("utf-8"))
            for i in range(0, len(words), self.max_sentence_length):
                yield words[i : i + self.max_sentence_length]

    def _path(self) -> Path | None:
        """The file wordvec's reader can take instead of this iterator (same sentences)."""
        if hasattr(self.source, "read") or self.limit is not None:
            return None
        return Path(self.source)


class Text8Corpus:
    """gensim's ``Text8Corpus``: a file of whitespace-separated words (text8 is one line),
    yielded as sentences of ``max_sentence_length`` words."""

    def __init__(self, fname, max_sentence_length: int = MAX_WORDS_IN_BATCH):
        self.fname = fname
        self.max_sentence_length = max_sentence_length

    def __iter__(self) -> Iterator[list[str]]:
        sentence: list[str] = []
        with open_file(Path(self.fname)) as f:
            for line in f:
                sentence.extend(_split(line))
                while len(sentence) >= self.max_sentence_length:
                    yield sentence[: self.max_sentence_length]
                    sentence = sentence[self.max_sentence_length :]
        if sentence:
            yield sentence

    def _path(self) -> Path | None:
        path = Path(self.fname)  # one line: wordvec cuts it into the same pieces
        return path if _one_line(path) else None


def _one_line(path: Path) -> bool:
    """Whether a file has no line break before its end (text8's layout)."""
    try:
        with open_file(path) as f:
            while chunk := f.read(1 << 20):
                if b"\n" in chunk.rstrip(b"\n"):
                    return False
        return True
    except OSError:
        return False


class PathLineSentences:
    """gensim's ``PathLineSentences``: ``LineSentence`` over one file, or over every file of a
    folder in name order (not its subfolders)."""

    def __init__(
        self, source, max_sentence_length: int = MAX_WORDS_IN_BATCH, limit: int | None = None
    ):
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit
        path = Path(source)
        if path.is_file():
            self.input_files = [str(path)]
        elif path.is_dir():
            self.input_files = sorted(str(p) for p in path.iterdir() if p.is_file())
            if not self.input_files:
                raise ValueError(f"no files in the folder {source}")
        else:
            raise ValueError(f"input is neither a file nor a folder: {source}")

    def __iter__(self) -> Iterator[list[str]]:
        for name in self.input_files:
            yield from LineSentence(name, self.max_sentence_length, self.limit)

    def _path(self) -> Path | None:
        path = Path(self.source)
        if self.limit is not None:
            return None
        if path.is_dir() and any(p.is_dir() or p.name.startswith(".") for p in path.iterdir()):
            return None  # wordvec's reader would also read subfolders and skip hidden files
        return path


def _reader_input(corpus, max_sentence_length: int):
    """What to hand wordvec's reader: the file or folder behind one of the corpus classes when
    reading it directly gives the same sentences; else the corpus itself."""
    path_of = getattr(corpus, "_path", None)
    if path_of is not None and corpus.max_sentence_length == max_sentence_length:
        path = path_of()
        if path is not None:
            return path
    return corpus


def _source_key(corpus) -> Any:
    """Identifies a corpus: the same file read by two reader objects is the same corpus."""
    if isinstance(corpus, str | os.PathLike):
        return ("path", os.path.realpath(corpus))
    if isinstance(corpus, LineSentence | Text8Corpus | PathLineSentences):
        path = corpus._path()
        if path is not None:
            return ("path", os.path.realpath(path), corpus.max_sentence_length)
    return ("object", id(corpus))


# -- callbacks ------------------------------------------------------------------------------------
class CallbackAny2Vec:
    """gensim's callback base class: override any of these; each gets the model. Batch hooks
    are never called (wordvec trains in rounds of many batches)."""

    def on_epoch_begin(self, model) -> None: ...
    def on_epoch_end(self, model) -> None: ...
    def on_batch_begin(self, model) -> None: ...
    def on_batch_end(self, model) -> None: ...
    def on_train_begin(self, model) -> None: ...
    def on_train_end(self, model) -> None: ...


class _GensimCallbacks(Callback):
    """Calls gensim-style callbacks from wordvec's hooks and keeps the running loss."""

    def __init__(self, callbacks: Sequence):
        self.callbacks = list(callbacks)

    def _call(self, hook: str, model) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(model)

    def on_train_begin(self, model) -> None:
        self._call("on_train_begin", model)

    def on_epoch_begin(self, model, epoch: int) -> None:
        self._call("on_epoch_begin", model)

    def on_epoch_end(self, model, stats: EpochStats) -> None:
        model.running_training_loss += stats.loss * stats.pairs
        self._call("on_epoch_end", model)

    def on_train_end(self, model) -> None:
        self._call("on_train_end", model)


# -- the model ------------------------------------------------------------------------------------
class Word2Vec(_Word2Vec):
    """gensim 4's ``Word2Vec``: the constructor trains when given ``sentences`` or
    ``corpus_file``; same parameter names, order and defaults. wordvec's own parameters
    (``deterministic``, ``softmax``, ...) may be passed by name too."""

    def __init__(
        self,
        sentences: Iterable[list[str]] | None = None,
        corpus_file: str | os.PathLike | None = None,
        vector_size: int = 100,
        alpha: float = 0.025,
        window: int = 5,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        sample: float = 1e-3,
        seed: int = 1,
        workers: int = 3,
        min_alpha: float = 0.0001,
        sg: int = 0,
        hs: int = 0,
        negative: int = 5,
        ns_exponent: float = 0.75,
        cbow_mean: int = 1,
        hashfxn=hash,
        epochs: int = 5,
        null_word: int = 0,
        trim_rule=None,
        sorted_vocab: int = 1,
        batch_words: int = MAX_WORDS_IN_BATCH,
        compute_loss: bool = False,
        callbacks: Sequence = (),
        comment: str | None = None,
        max_final_vocab: int | None = None,
        shrink_windows: bool = True,
        **wordvec_params,
    ):
        _unsupported(trim_rule=trim_rule, null_word=null_word, sorted_vocab=sorted_vocab)
        wordvec_params.setdefault("deterministic", False)  # gensim's threads: Hogwild
        super().__init__(
            vector_size=vector_size,
            window=window,
            min_count=min_count,
            max_vocab_size=max_vocab_size,
            max_final_vocab=max_final_vocab,
            sample=sample,
            alpha=alpha,
            min_alpha=min_alpha,
            epochs=epochs,
            negative=negative,
            ns_exponent=ns_exponent,
            hs=hs,
            sg=sg,
            cbow_mean=cbow_mean,
            shrink_windows=shrink_windows,
            seed=seed,
            workers=workers,
            batch_words=batch_words,
            **wordvec_params,
        )
        self.compute_loss = compute_loss
        self.callbacks = tuple(callbacks)
        self.comment = comment
        self.running_training_loss = 0.0
        if sentences is not None and corpus_file is not None:
            raise ValueError("give sentences or corpus_file, not both")
        if sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file=corpus_file)
            self.train(
                sentences,
                corpus_file=corpus_file,
                total_examples=self.corpus_count,
                total_words=self.corpus_total_words,
                epochs=self.epochs,
                compute_loss=compute_loss,
                callbacks=callbacks,
            )

    # gensim's attribute names for the learned state
    @property
    def syn1neg(self):
        return self.syn1neg_

    @property
    def syn1(self):
        return self.syn1_

    @property
    def corpus_count(self) -> int:
        """Sentences in the corpus given to ``build_vocab``, as gensim counts them: long ones
        count once per ``max_sentence_length`` piece (text8 is 1,700 sentences). Lines longer
        than that are counted by their words in the vocabulary (gensim: by all their words),
        except for a ``Text8Corpus``, counted exactly. Kept by ``save``/``load``; 0 before
        ``build_vocab`` and for a file saved before wordvec kept it."""
        return getattr(self, "_corpus_count", 0)

    @corpus_count.setter
    def corpus_count(self, value: int) -> None:  # gensim's is a plain attribute
        self._corpus_count = int(value)

    @property
    def corpus_total_words(self) -> int:
        """Tokens in the corpus given to ``build_vocab`` (gensim's name); kept by ``save``/``load``
        as ``corpus_count``."""
        report = getattr(self, "report_", None)
        return report.raw_tokens if report is not None else 0

    @property
    def total_train_time(self) -> float:
        """Seconds spent training since ``build_vocab`` or ``load``."""
        report = getattr(self, "report_", None)
        return report.seconds_train if report is not None else 0.0

    def _counted(self, corpus) -> None:
        """Note what ``build_vocab`` just counted: the corpus (``train`` on it needs no
        encoding) and its sentences as gensim counts them."""
        self._source = _source_key(corpus)
        if isinstance(corpus, Text8Corpus):  # one line cut into pieces of raw words
            self._corpus_count = -(-self.report_.raw_tokens // self.max_sentence_length)
        else:
            self._corpus_count = int(self.corpus_.bounds.shape[0] - 1)

    def _corpus(self, corpus_iterable, corpus_file):
        if corpus_iterable is not None and corpus_file is not None:
            raise ValueError("give corpus_iterable or corpus_file, not both")
        if corpus_iterable is None and corpus_file is None:
            raise ValueError(
                "no corpus: give corpus_iterable (e.g. a list of token lists or a "
                "LineSentence) or corpus_file (a path)"
            )
        return corpus_file if corpus_file is not None else corpus_iterable

    def build_vocab(
        self,
        corpus_iterable=None,
        corpus_file=None,
        update: bool = False,
        progress_per: int = 10_000,
        keep_raw_vocab: bool = False,
        trim_rule=None,
        **kwargs,
    ) -> Word2Vec:
        """gensim's ``build_vocab``: count the corpus, choose the words (``update=True`` adds
        a new corpus's words to a trained model). Also encodes the corpus for ``train``."""
        _unsupported(trim_rule=trim_rule)
        corpus = self._corpus(corpus_iterable, corpus_file)
        super().build_vocab(_reader_input(corpus, self.max_sentence_length), update=update)
        self._counted(corpus)
        return self

    def fit(self, corpus, callbacks=(), progress=None, checkpoint=None, checkpoint_every=None):
        """wordvec's ``fit`` (wordvec-style callbacks)."""
        _Word2Vec.build_vocab(self, _reader_input(corpus, self.max_sentence_length))
        self._counted(corpus)
        return _Word2Vec.train(self, callbacks, progress, checkpoint, checkpoint_every)

    def train(
        self,
        corpus_iterable=None,
        corpus_file=None,
        total_examples: int | None = None,
        total_words: int | None = None,
        epochs: int | None = None,
        start_alpha: float | None = None,
        end_alpha: float | None = None,
        word_count: int = 0,
        queue_factor: int = 2,
        report_delay: float = 1.0,
        compute_loss: bool = False,
        callbacks: Sequence = (),
        **kwargs,
    ) -> tuple[int, int]:
        """gensim's ``train``: ``epochs`` passes over the corpus (which must be the one given to
        ``build_vocab``, or is encoded with its vocabulary). Returns (words trained on after
        subsampling, raw words), as gensim."""
        corpus = self._corpus(corpus_iterable, corpus_file)
        if epochs is None:
            raise ValueError(
                "You must specify an explicit epochs count. The usual value is epochs=model.epochs."
            )
        if corpus_file is None and not total_examples and not total_words:
            raise ValueError(
                "You must specify either total_examples or total_words, for proper "
                "learning-rate and progress calculations. If you've just built the "
                "vocabulary using the same corpus, using the count cached in the "
                "model is sufficient: total_examples=model.corpus_count."
            )
        if not hasattr(self, "vocab_"):
            raise RuntimeError("you must first build vocabulary before training the model")
        if getattr(self, "_source", None) != _source_key(corpus):
            self._encode(corpus)
        self.compute_loss = compute_loss
        self.running_training_loss = 0.0
        wordvec_callbacks = [c for c in callbacks if isinstance(c, Callback)]
        gensim_callbacks = [c for c in callbacks if not isinstance(c, Callback)]
        saved = self.epochs, self.alpha, self.min_alpha
        self.epochs = epochs
        self.alpha = saved[1] if start_alpha is None else start_alpha
        self.min_alpha = saved[2] if end_alpha is None else end_alpha
        if getattr(self, "report_", None) is None:  # loaded from a file without corpus sizes
            self.report_ = TrainingReport(vocab_size=len(self.wv))
        done = len(self.report_.epochs)
        try:
            _Word2Vec.train(self, [_GensimCallbacks(gensim_callbacks), *wordvec_callbacks])
        finally:
            self.epochs, self.alpha, self.min_alpha = saved
        new = self.report_.epochs[done:]
        return sum(e.words_kept for e in new), self.corpus_.raw_tokens * len(new)

    def _encode(self, corpus) -> None:
        """Encode a corpus other than the one given to ``build_vocab`` (or any corpus after
        ``load``) with the model's vocabulary (words outside it are skipped, as gensim).
        ``corpus_count`` and ``corpus_total_words`` stay those of ``build_vocab``'s corpus."""
        from wordvec.corpus.encoded import encode_split
        from wordvec.corpus.reader import scan_corpus

        scan = scan_corpus(
            _reader_input(corpus, self.max_sentence_length),
            self.max_vocab_size,
            workers=self.workers,
        )
        self.corpus_, _ = encode_split(
            scan, self.wv.index_to_key, self.unicode_errors, self.max_sentence_length
        )
        self._source = _source_key(corpus)

    def get_latest_training_loss(self) -> float:
        """Sum of the loss over the pairs trained by the latest ``train`` call, up to the last
        finished epoch (gensim's running total; wordvec always computes it)."""
        return float(self.running_training_loss)

    def estimate_memory(self, vocab_size: int | None = None, report=None) -> dict[str, int]:
        return super().estimate_memory(vocab_size)

    def save(self, fname_or_handle, *args, **kwargs) -> None:
        """Save in wordvec's native format (gensim's pickle options are ignored)."""
        super().save(fname_or_handle)

    @classmethod
    def load(cls, fname, *args, mmap=None, **kwargs) -> Word2Vec:
        """Load a model saved by ``save`` (wordvec's format; gensim's pickles are refused with
        a line saying how to convert them)."""
        from wordvec.formats.native import identify

        what = identify(fname)
        if what is not None:
            from wordvec.formats.native import FormatError

            raise FormatError(f"{fname}: {what}")
        model = super().load(fname, mmap=bool(mmap))
        model.compute_loss, model.callbacks, model.comment = False, (), None
        model.running_training_loss = 0.0
        return model


# -- FastText -------------------------------------------------------------------------------------
class FastText(Word2Vec, _FastText):
    """gensim 4's ``FastText``: the ``Word2Vec`` above over ``wordvec.FastText`` (same parameter
    names, order and defaults as gensim's); ``wv[word]`` answers any word from its n-grams.
    ``max_n < min_n`` means no n-grams, as in gensim; wordvec has no word n-grams."""

    def __init__(
        self,
        sentences: Iterable[list[str]] | None = None,
        corpus_file: str | os.PathLike | None = None,
        sg: int = 0,
        hs: int = 0,
        vector_size: int = 100,
        alpha: float = 0.025,
        window: int = 5,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        word_ngrams: int = 1,
        sample: float = 1e-3,
        seed: int = 1,
        workers: int = 3,
        min_alpha: float = 0.0001,
        negative: int = 5,
        ns_exponent: float = 0.75,
        cbow_mean: int = 1,
        hashfxn=hash,
        epochs: int = 5,
        null_word: int = 0,
        min_n: int = 3,
        max_n: int = 6,
        sorted_vocab: int = 1,
        bucket: int = 2_000_000,
        trim_rule=None,
        batch_words: int = MAX_WORDS_IN_BATCH,
        callbacks: Sequence = (),
        max_final_vocab: int | None = None,
        shrink_windows: bool = True,
        **wordvec_params,
    ):
        _fasttext_options(word_ngrams)
        if max_n < min_n:  # gensim's "no n-grams"
            min_n = max_n = 0
        # every parameter by name to the Word2Vec drop-in; min_n, max_n, bucket go through
        # its wordvec_params to wordvec.FastText
        given = {k: v for k, v in locals().items() if k not in ("self", "word_ngrams")}
        extra = given.pop("wordvec_params")
        self.word_ngrams = word_ngrams
        Word2Vec.__init__(self, **given, **extra)


def _fasttext_options(word_ngrams: int = 1, encoding: str = "utf-8") -> None:
    if word_ngrams != 1:
        raise ValueError(
            f"word_ngrams={word_ngrams}: wordvec's FastText learns words and their character "
            "n-grams, not word n-grams (word_ngrams=1, as gensim's FastText needs too)"
        )
    if codecs.lookup(encoding).name != "utf-8":
        raise ValueError(
            f"encoding={encoding!r}: wordvec reads and writes fastText's words as UTF-8"
        )


def load_facebook_model(path: str | os.PathLike, encoding: str = "utf-8") -> FastText:
    """gensim's ``load_facebook_model``: the whole model in a fastText ``.bin`` (unsupervised,
    not quantized), ready to query and to train further. A supervised or quantized model, or a
    truncated file, raises ``FormatError``; a missing one ``FileNotFoundError``."""
    _fasttext_options(encoding=encoding)
    return FastText.from_fasttext(read_fasttext_model(path))


def load_facebook_vectors(path: str | os.PathLike, encoding: str = "utf-8") -> FastTextKeyedVectors:
    """gensim's ``load_facebook_vectors``: the ``wv`` of ``load_facebook_model(path)``."""
    return load_facebook_model(path, encoding).wv


def save_facebook_model(
    model, path: str | os.PathLike, encoding="utf-8", lr_update_rate=100, word_ngrams=1
) -> None:
    """gensim's ``save_facebook_model``: write a FastText model (this module's or
    ``wordvec.FastText``) as fastText's ``.bin``, which ``fasttext.load_model`` reads."""
    _fasttext_options(word_ngrams, encoding)
    ft = model.to_fasttext()
    write_fasttext_bin(path, ft._replace(args=ft.args | {"lrUpdateRate": int(lr_update_rate)}))


def _unsupported(**given) -> None:
    defaults = {"trim_rule": None, "null_word": 0, "sorted_vocab": 1}
    for name, value in given.items():
        if value != defaults[name] if name != "trim_rule" else value is not None:
            what = {
                "trim_rule": "trim_rule (filter the corpus before, or use min_count / "
                "max_final_vocab)",
                "null_word": "null_word=1",
                "sorted_vocab": "sorted_vocab=0 (wordvec always sorts by frequency)",
            }
            raise ValueError(f"wordvec.gensim does not support {what[name]}")
