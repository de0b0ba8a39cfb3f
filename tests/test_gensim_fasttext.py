"""wordvec.gensim's FastText: a gensim 4 FastText script runs with only its import changed and
sees what it sees under gensim (the same vocabulary and counts, the same attribute names and
values); ``save_facebook_model`` writes a ``.bin`` that fastText reads back with wordvec's
vectors, ``load_facebook_model`` reads gensim's ``.bin`` with gensim's vectors; bad input fails
in one clear line."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import topic_sentences, write_corpus, zipf_sentences
from wordvec import gensim as wg
from wordvec.formats.native import FormatError
from wordvec.vectors.subword import FastTextKeyedVectors

# small: gensim's default bucket (2,000,000 rows) would allocate 128 MB a model
PARAMS = {
    "vector_size": 16,
    "window": 3,
    "min_count": 3,
    "epochs": 3,
    "min_n": 2,
    "max_n": 4,
    "bucket": 5000,
    "workers": 1,
    "seed": 3,
}
MODEL_ATTRS = ("epochs", "vector_size", "window", "min_count", "word_ngrams", "sg", "hs")
WV_ATTRS = ("min_n", "max_n", "bucket", "vector_size")
OOV = ["w1x", "xw12", "w3w4"]  # not in the corpus; their n-grams are


@pytest.fixture(scope="module")
def gensim_models():
    return pytest.importorskip("gensim.models")


@pytest.fixture(scope="module")
def zipf(tmp_path_factory):
    """300 sentences of 5 to 20 words drawn from 200 (3,641 tokens; 176 words seen 3 times or
    more), as a list and a file."""
    sentences = zipf_sentences(300, 200, (5, 21))
    path = write_corpus(tmp_path_factory.mktemp("zipf") / "c.txt", sentences)
    return sentences, str(path)


def script(module, corpus, folder) -> dict:
    """A gensim 4 FastText script; ``module`` is ``gensim.models`` or ``wordvec.gensim``.
    Returns what it saw, to compare across the two (nothing that depends on the floats)."""
    FastText = module.FastText
    sentences, path = corpus
    seen = {}
    for given in ({"sentences": sentences}, {"corpus_file": path}):
        model = FastText(**given, **PARAMS)
        wv = model.wv
        counts = [int(wv.get_vecattr(w, "count")) for w in wv.index_to_key]
        seen[next(iter(given))] = {
            "vocab": dict(zip(map(str, wv.index_to_key), counts, strict=True)),
            "by_frequency": counts == sorted(counts, reverse=True),
            "key_to_index": all(wv.key_to_index[w] == i for i, w in enumerate(wv.index_to_key)),
            "corpus": (model.corpus_count, model.corpus_total_words),
            "model": {a: getattr(model, a) for a in MODEL_ATTRS},
            "wv": {a: getattr(wv, a) for a in WV_ATTRS},
            "shapes": (wv.vectors.shape, wv.vectors_vocab.shape, wv.vectors_ngrams.shape),
            "syn1neg": model.syn1neg.shape,
            "oov": [(wv[w].shape, w in wv, wv.has_index_for(w)) for w in OOV],
        }
    # continue training on new sentences, query an unseen word, save and load
    more = [["w1", "w2", "neww"]] * 30
    model.build_vocab(more, update=True)
    model.train(more, total_examples=len(more), epochs=model.epochs)
    similar = model.wv.most_similar(OOV[0], topn=3)
    seen["update"] = {
        "words": len(model.wv),
        "new": model.wv.has_index_for("neww"),
        "count": int(model.wv.get_vecattr("neww", "count")),
        "most_similar": [(type(str(w)), -1 <= s <= 1) for w, s in similar],
    }
    model.save(str(folder / f"{module.__name__}.model"))
    back = FastText.load(str(folder / f"{module.__name__}.model"))
    seen["load"] = {
        "words": list(back.wv.index_to_key) == list(model.wv.index_to_key),
        "oov": bool(np.array_equal(back.wv[OOV[0]], model.wv[OOV[0]])),
        "vectors": bool(np.array_equal(back.wv.vectors, model.wv.vectors)),
    }
    # an unseen word's neighbours: the words of its topic (their n-grams "<a", "<a1" ...)
    topics = FastText(topic_sentences(400, words=10), **(PARAMS | {"min_count": 1, "epochs": 5}))
    seen["topics"] = [
        {str(w)[0] for w, _ in topics.wv.most_similar(word, topn=5)} for word in ("a1x", "b7y")
    ]
    # max_n < min_n: no n-grams, so no vector for an unseen word
    plain = FastText(sentences, **(PARAMS | {"min_n": 3, "max_n": 0}))
    seen["no_ngrams"] = (plain.wv.bucket, plain.wv.vectors_ngrams.shape, OOV[0] in plain.wv)
    with pytest.raises(KeyError):
        plain.wv[OOV[0]]
    return seen


def test_a_gensim_fasttext_script_runs_unchanged(zipf, tmp_path):
    sentences, _ = zipf
    seen = script(wg, zipf, tmp_path)
    words = [w for s in sentences for w in s]
    expected = {w: words.count(w) for w in set(words) if words.count(w) >= 3}
    for given in ("sentences", "corpus_file"):
        assert seen[given]["vocab"] == expected and len(expected) == 176
        assert seen[given]["corpus"] == (300, 3641)
        assert seen[given]["model"] == dict(zip(MODEL_ATTRS, (3, 16, 3, 3, 1, 0, 0), strict=True))
        assert seen[given]["wv"] == {"min_n": 2, "max_n": 4, "bucket": 5000, "vector_size": 16}
        assert seen[given]["oov"] == [((16,), True, False)] * 3
    u = seen["update"]
    assert (u["words"], u["new"], u["count"], len(u["most_similar"])) == (177, True, 30, 3)
    assert all(seen["load"].values())
    assert seen["topics"] == [{"a"}, {"b"}]
    assert seen["no_ngrams"] == (0, (0, 16), False)


def test_the_script_sees_what_it_sees_under_gensim(zipf, tmp_path, gensim_models):
    ours = script(wg, zipf, tmp_path)
    theirs = script(gensim_models, zipf, tmp_path)
    assert ours == theirs


def test_a_model_wordvec_saved_is_read_by_fasttext(zipf, tmp_path):
    fasttext = pytest.importorskip("fasttext", reason="the fastText binding (fasttext-wheel)")
    sentences, _ = zipf
    model = wg.FastText(sentences, **PARAMS)
    wg.save_facebook_model(model, str(tmp_path / "m.bin"), lr_update_rate=50)
    ft = fasttext.load_model(str(tmp_path / "m.bin"))
    assert ft.get_words() == model.wv.index_to_key
    a = ft.f.getArgs()
    assert (a.dim, a.minn, a.maxn, a.bucket, a.wordNgrams, a.lrUpdateRate) == (
        16,
        2,
        4,
        5000,
        1,
        50,
    )
    for word in [*model.wv.index_to_key, *OOV]:
        np.testing.assert_allclose(
            ft.get_word_vector(word), model.wv[word], rtol=1e-5, atol=1e-7, err_msg=word
        )
    # and back: the same model, ready to train further
    back = wg.load_facebook_model(str(tmp_path / "m.bin"))
    assert isinstance(back, wg.FastText) and back.wv.index_to_key == model.wv.index_to_key
    assert np.array_equal(back.wv[OOV], model.wv[OOV])
    assert np.array_equal(back.syn1neg, model.syn1neg)
    kv = wg.load_facebook_vectors(str(tmp_path / "m.bin"))
    assert isinstance(kv, FastTextKeyedVectors) and np.array_equal(kv.vectors, model.wv.vectors)
    back.train(sentences, total_examples=len(sentences), epochs=1)
    assert not np.array_equal(back.wv.vectors, model.wv.vectors)


def test_a_model_gensim_saved_loads_with_gensims_vectors(zipf, tmp_path, gensim_models):
    sentences, _ = zipf
    gensim_ft = gensim_models.fasttext
    theirs = gensim_ft.FastText(sentences, **PARAMS)
    gensim_ft.save_facebook_model(theirs, str(tmp_path / "g.bin"))
    ours = wg.load_facebook_model(str(tmp_path / "g.bin"))
    assert ours.wv.index_to_key == list(theirs.wv.index_to_key)
    assert ours.wv.counts.tolist() == [
        theirs.wv.get_vecattr(w, "count") for w in ours.wv.index_to_key
    ]
    for word in [*ours.wv.index_to_key, *OOV]:
        np.testing.assert_allclose(ours.wv[word], theirs.wv[word], rtol=1e-5, atol=1e-7)
    assert (ours.vector_size, ours.window, ours.epochs, ours.min_count) == (16, 3, 3, 3)
    more = [["w1", "w2", "neww"]] * 30
    ours.build_vocab(more, update=True)
    ours.train(more, total_examples=len(more), epochs=ours.epochs)
    assert ours.wv.has_index_for("neww") and ours.wv["neww"].shape == (16,)


def test_bad_input_fails_in_one_clear_line(zipf, tmp_path):
    sentences, _ = zipf
    errors = []
    with pytest.raises(ValueError, match=r"word_ngrams=2: .* not word n-grams") as e:
        wg.FastText(sentences, word_ngrams=2, bucket=100)
    errors.append(e)
    model = wg.FastText(sentences, **(PARAMS | {"epochs": 1}))
    with pytest.raises(ValueError, match="word_ngrams=2") as e:
        wg.save_facebook_model(model, str(tmp_path / "m.bin"), word_ngrams=2)
    errors.append(e)
    with pytest.raises(ValueError, match="UTF-8") as e:
        wg.save_facebook_model(model, str(tmp_path / "m.bin"), encoding="latin-1")
    errors.append(e)
    assert not (tmp_path / "m.bin").exists()
    for load in (wg.load_facebook_model, wg.load_facebook_vectors, wg.FastText.load):
        with pytest.raises(FileNotFoundError, match=r"missing\.bin") as e:
            load(str(tmp_path / "missing.bin"))
        errors.append(e)
    fasttext = pytest.importorskip("fasttext", reason="the fastText binding (fasttext-wheel)")
    lines = [f"__label__{'xy'[i % 2]} " + " ".join(s) for i, s in enumerate(sentences)]
    (tmp_path / "sup.txt").write_text("\n".join(lines) + "\n")
    sup = fasttext.train_supervised(
        str(tmp_path / "sup.txt"), dim=8, epoch=1, bucket=1000, thread=1, verbose=0
    )
    sup.save_model(str(tmp_path / "sup.bin"))
    for load in (wg.load_facebook_model, wg.load_facebook_vectors):
        with pytest.raises(FormatError, match=r"sup\.bin: a supervised fastText model") as e:
            load(str(tmp_path / "sup.bin"))
        errors.append(e)
    assert all("\n" not in str(e.value) and len(str(e.value)) < 300 for e in errors)
