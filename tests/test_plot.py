"""Projections (PCA against SVD and scikit-learn, t-SNE and UMAP cluster recovery), the plots
(label placement, analogy arrows, atomic saving) and ``wordvec plot``."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import keyed_vectors
from wordvec import KeyedVectors
from wordvec.cli import main
from wordvec.viz.plot import (
    analogy_pairs,
    parse_pairs,
    plot_analogy,
    plot_words,
    save_figure,
)
from wordvec.viz.project import MissingDependency, pca, project, select_words


def toy_vectors() -> KeyedVectors:
    """man:king::woman:queen holds exactly; three tight topic clusters for the scatter."""
    rng = np.random.default_rng(11)
    e = np.eye(10, dtype=np.float32)
    words = {
        "man": e[0] + e[2],
        "woman": e[1] + e[2],
        "king": e[0] + e[3],
        "queen": e[1] + e[3],
        "uncle": e[0] + 0.7 * e[2] + 0.5 * e[4],
        "aunt": e[1] + 0.7 * e[2] + 0.5 * e[4],
    }
    for topic, axis in (("fruit", 5), ("car", 6), ("star", 7)):
        for k in range(12):
            words[f"{topic}{k}"] = e[axis] + 0.08 * rng.normal(size=10).astype(np.float32)
    return keyed_vectors(words)


@pytest.fixture(scope="module")
def kv() -> KeyedVectors:
    return toy_vectors()


def clustered(n_per: int = 15, d: int = 20, k: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 5
    x = np.vstack([c + 0.3 * rng.normal(size=(n_per, d)) for c in centres])
    return x.astype(np.float32), np.repeat(np.arange(k), n_per)


def nn_same_cluster(y: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of points whose nearest other point (in the projection) has the same label."""
    dist = np.linalg.norm(y[:, None] - y[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    return float(np.mean(labels[dist.argmin(1)] == labels))


# -- projections -------------------------------------------------------------------------------
def test_pca_preserves_a_plane():
    """Points on a 2-D plane in 12-D: PCA to 2-D keeps every pairwise distance."""
    rng = np.random.default_rng(1)
    basis, _ = np.linalg.qr(rng.normal(size=(12, 2)))
    x = rng.normal(size=(40, 2)) @ basis.T + rng.normal(size=12)
    y = pca(x, 2)
    dx = np.linalg.norm(x[:, None] - x[None], axis=-1)
    dy = np.linalg.norm(y[:, None] - y[None], axis=-1)
    np.testing.assert_allclose(dy, dx, atol=1e-4)
    assert pca(x, 3)[:, 2] == pytest.approx(np.zeros(40), abs=1e-4)


def test_pca_matches_scikit_learn_up_to_sign():
    from sklearn.decomposition import PCA

    x, _ = clustered()
    ours = pca(x, 3)
    theirs = PCA(n_components=3).fit_transform(x.astype(np.float64))
    for k in range(3):
        sign = np.sign(ours[:, k] @ theirs[:, k])
        np.testing.assert_allclose(ours[:, k], sign * theirs[:, k], rtol=1e-4, atol=1e-3)
    # and our signs are fixed: the largest loading of each component is positive
    np.testing.assert_array_equal(pca(x, 3), pca(x.copy(), 3))
    np.testing.assert_allclose(pca(-x, 3), -pca(x, 3), atol=1e-4)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_pca_tiny_inputs(n):
    y = pca(np.ones((n, 5)), 3)
    assert y.shape == (n, 3) and y.dtype == np.float32
    assert np.all(y == 0)


@pytest.mark.parametrize("dims", [2, 3])
def test_tsne_keeps_clusters(dims):
    x, labels = clustered()
    y = project(x, "tsne", dims, seed=0)
    assert y.shape == (45, dims) and y.dtype == np.float32
    # at most 2 of 45 points stranded: scikit-learn 1.9 in 3-D leaves one point of cluster 1
    # nearer cluster 0 (0.978); Barnes-Hut's approximation mixed 9 % (0.91), chance is 0.33
    assert nn_same_cluster(y, labels) >= 0.95
    np.testing.assert_array_equal(y, project(x, "tsne", dims, seed=0))  # seeded


def test_umap_keeps_clusters():
    pytest.importorskip("umap", reason="umap-learn is optional (pip install 'wordvec[umap]')")
    x, labels = clustered()
    y = project(x, "umap", 2, seed=0)
    assert y.shape == (45, 2)
    assert nn_same_cluster(y, labels) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "lda"}, "method must be one of"),
        ({"dims": 4}, "dims must be 2 or 3"),
        ({"dims": 1}, "dims must be 2 or 3"),
    ],
)
def test_project_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        project(np.ones((10, 3)), **kwargs)


def test_project_needs_enough_points():
    with pytest.raises(ValueError, match="tsne needs at least 4 words; got 3"):
        project(np.eye(3), "tsne")
    with pytest.raises(ValueError, match="2-D array"):
        project(np.ones(5))


def test_missing_library_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)  # import now raises ImportError
    with pytest.raises(MissingDependency, match=r"pip install 'wordvec\[plot\]'"):
        project(np.eye(6), "tsne")


# -- choosing words ----------------------------------------------------------------------------
def test_select_words(kv):
    assert select_words(kv, top=3) == ["man", "woman", "king"]
    assert select_words(kv, top=10_000) == kv.index_to_key
    near = select_words(kv, neighbours_of="fruit0", topn=5)
    assert near[0] == "fruit0" and len(near) == 6
    assert all(w.startswith("fruit") for w in near)
    assert select_words(kv, words=["king", "man", "king"]) == ["king", "man"]
    with pytest.raises(KeyError, match="dragon"):
        select_words(kv, words=["king", "dragon"])
    with pytest.raises(ValueError, match="exactly one"):
        select_words(kv, words=["king"], top=4)
    with pytest.raises(ValueError, match="exactly one"):
        select_words(kv)
    with pytest.raises(ValueError, match="top must be"):
        select_words(kv, top=0)


# -- figures -----------------------------------------------------------------------------------
def _label_boxes(fig):
    """(word, box of its text) per visible label; an annotation's own extent would include its
    leader line, so the Text base class measures the text alone."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    return [
        (t.get_text(), Text.get_window_extent(t, renderer))
        for t in ax.texts
        if t.get_visible() and t.get_text()
    ]


def _assert_no_overlap(boxes):
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        # touching edges are fine; a shared interior is not
        inter_w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
        inter_h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
        assert inter_w <= 0.5 or inter_h <= 0.5, f"labels {a!r} and {b!r} overlap"


@pytest.mark.parametrize("dims", [2, 3])
def test_plot_words_labels_do_not_overlap(kv, dims):
    from matplotlib.figure import Figure

    words = select_words(kv, top=len(kv))
    fig = plot_words(kv, words, dims=dims, highlight=["queen"])
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    boxes = _label_boxes(fig)
    labelled = {w for w, _ in boxes}
    assert "queen" in labelled  # highlighted words are labelled first
    assert len(labelled) >= 10
    _assert_no_overlap(boxes)


def test_dense_labels_are_skipped_not_piled_up():
    rng = np.random.default_rng(5)
    words = [f"word{k:03d}" for k in range(300)]
    vecs = np.vstack([np.eye(4)[0] + 0.01 * rng.normal(size=(150, 4)), rng.normal(size=(150, 4))])
    dense = KeyedVectors(words, vecs.astype(np.float32))
    fig = plot_words(dense, words, figsize=(5, 4))
    fig.canvas.draw()
    boxes = _label_boxes(fig)
    assert 10 < len(boxes) < 300
    _assert_no_overlap(boxes)
    # every label lies inside the axes
    frame = fig.axes[0].get_window_extent(fig.canvas.get_renderer())
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for _, b in boxes)


def test_plot_words_without_labels(kv):
    fig = plot_words(kv, ["man", "woman", "king"], labels=False)
    assert _label_boxes(fig) == []


def test_plot_words_precomputed_coords_checked(kv):
    with pytest.raises(ValueError, match="coords must have shape"):
        plot_words(kv, ["man", "woman"], coords=np.zeros((3, 2)))


def test_analogy_arrows_are_parallel(kv):
    pairs = analogy_pairs(kv, ["man", "king", "woman", "queen"])
    assert pairs == [("man", "woman"), ("king", "queen")]
    fig = plot_analogy(kv, pairs)
    ax = fig.axes[0]
    arrows = [t for t in ax.texts if t.arrow_patch is not None and not t.get_text()]
    assert len(arrows) == 2
    vecs = [np.subtract(a.xy, a.xyann) for a in arrows]  # head minus tail, in data coordinates
    cos = vecs[0] @ vecs[1] / (np.linalg.norm(vecs[0]) * np.linalg.norm(vecs[1]))
    assert cos == pytest.approx(1.0, abs=1e-6)  # PCA is linear: equal offsets stay equal
    np.testing.assert_allclose(vecs[0], vecs[1], atol=1e-5)
    fig.canvas.draw()
    boxes = _label_boxes(fig)
    assert {w for w, _ in boxes} == {"man", "woman", "king", "queen"}
    _assert_no_overlap(boxes)


def test_analogy_answer_filled_in(kv):
    assert analogy_pairs(kv, ["man", "king", "woman"]) == [("man", "woman"), ("king", "queen")]
    with pytest.raises(ValueError, match="3 or 4 words"):
        analogy_pairs(kv, ["man", "king"])
    with pytest.raises(KeyError, match="dragon"):
        analogy_pairs(kv, ["man", "king", "dragon"])


def test_analogy_many_pairs(kv):
    pairs = parse_pairs(["man:woman", "king:queen", "uncle:aunt"])
    fig = plot_analogy(kv, pairs)
    assert sum(t.arrow_patch is not None and not t.get_text() for t in fig.axes[0].texts) == 3
    with pytest.raises(ValueError, match="FROM:TO"):
        parse_pairs(["man-woman"])
    with pytest.raises(ValueError, match="at least two pairs"):
        plot_analogy(kv, [("man", "woman")])


# -- saving ------------------------------------------------------------------------------------
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF"}


@pytest.mark.parametrize("fmt", sorted(MAGIC))
def test_save_formats(kv, tmp_path, fmt):
    out = tmp_path / f"words.{fmt.upper() if fmt == 'png' else fmt}"
    save_figure(plot_words(kv, ["man", "woman", "king", "queen"]), out)
    assert out.read_bytes().startswith(MAGIC[fmt])
    assert os.listdir(tmp_path) == [out.name]  # no temporary file left
    assert out.stat().st_mode & 0o777 == 0o644


def test_save_is_atomic(kv, tmp_path):
    out = tmp_path / "plot.png"
    out.write_bytes(b"old picture")
    fig = plot_words(kv, ["man", "woman"])

    def fail_halfway(f, **kwargs):
        f.write(b"half a png")
        raise RuntimeError("disk full")

    fig.savefig = fail_halfway
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, out)
    assert out.read_bytes() == b"old picture"
    assert os.listdir(tmp_path) == ["plot.png"]


def test_save_rejects_unknown_format(kv, tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf"):
        save_figure(plot_words(kv, ["man", "woman"]), tmp_path / "plot.gif")


# -- the command -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model(tmp_path_factory, kv):
    path = tmp_path_factory.mktemp("model") / "toy.txt"
    kv.save_word2vec_format(path)
    return str(path)


@pytest.mark.parametrize(
    "args",
    [
        ["--words", "man", "woman", "king", "queen"],
        ["--top", "20", "--dims", "3"],
        ["--neighbours-of", "star3", "--topn", "8", "--method", "tsne"],
        ["--analogy", "man", "king", "woman"],
        ["--pairs", "man:woman", "uncle:aunt", "--size", "6x5", "--dpi", "80"],
    ],
)
def test_cli_plot(model, tmp_path, capsys, args):
    out = tmp_path / "out.png"
    assert main(["plot", model, *args, "-o", str(out)]) == 0
    assert out.read_bytes().startswith(MAGIC["png"])
    assert capsys.readouterr().out.startswith(f"wrote {out}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--words", "man", "dragon", "-o", "x.png"], "'dragon' not in vocabulary"),
        (["--words", "man", "woman", "-o", "x.gif"], "must end in .png"),
        (["--analogy", "man", "king", "woman", "--dims", "3", "-o", "x.png"], "2-D"),
        (["--analogy", "man", "king", "-o", "x.png"], "3 or 4 words"),
        (["--pairs", "man", "king", "-o", "x.png"], "FROM:TO"),
        (["--words", "man", "woman", "--method", "tsne", "-o", "x.png"], "at least 4"),
        (["--top", "0", "-o", "x.png"], "top must be"),
        (["--top", "5", "--size", "big", "-o", "x.png"], "--size"),
        (["--top", "5", "-o", "no/such/dir/x.png"], "does not exist"),
    ],
)
def test_cli_plot_mistakes_are_one_line(model, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["plot", model, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("wordvec plot: error:")
    assert message in err[0]
    assert os.listdir(tmp_path) == []


def test_plotting_never_imports_pyplot(tmp_path):
    code = (
        "import sys, wordvec, wordvec.viz.plot, wordvec.viz.project\n"
        "assert 'matplotlib' not in sys.modules, 'import wordvec loaded matplotlib'\n"
        "import numpy as np\n"
        "from wordvec import KeyedVectors\n"
        "kv = KeyedVectors(['a', 'b', 'c'], np.eye(3, dtype=np.float32))\n"
        f"wordvec.viz.plot.save_figure(wordvec.viz.plot.plot_words(kv, ['a', 'b', 'c']), {str(tmp_path / 'p.png')!r})\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
