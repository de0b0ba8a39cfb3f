"""Pictures of word vectors: scatter plots of projected words and the word2vec analogy figure.

Scope: :func:`plot_words` (2-D or 3-D scatter of any word list, projected by PCA, t-SNE or UMAP),
:func:`plot_analogy` (pairs such as man -> woman, king -> queen drawn as arrows over a PCA
projection, the figure of Mikolov et al. 2013), :func:`select_words` (from ``viz.project``: the word
lists the CLI offers) and :func:`save_figure` (atomic write of PNG, SVG or PDF).

Every function returns or takes a :class:`matplotlib.figure.Figure` drawn on the Agg canvas; pyplot
is never imported, so nothing opens a window and no global figure state is kept. matplotlib is
imported inside the functions: ``import wordvec`` and ``import wordvec.viz.plot`` never load it.

Labels are placed greedily (:func:`place_labels`): each word, in priority order, tries a ring of
positions around its point at growing distances and takes the first whose box overlaps no label
and no other point; a word with no free position is left unlabelled rather than drawn into a blur.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from wordvec.formats.native import atomic_write
from wordvec.viz.project import Method, project, require

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from wordvec.vectors.keyedvectors import KeyedVectors

FORMATS = ("png", "svg", "pdf")
POINT_COLOUR = "#3b6ea8"
HIGHLIGHT_COLOUR = "#d1495b"
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
ARROW_COLOURS = ("#d1495b", "#2e8b57", "#8a5cc2", "#e08e0b", "#1f9bb0", "#6b6b6b")


# -- figure plumbing ---------------------------------------------------------------------------
def _new_figure(figsize: tuple[float, float], dpi: float) -> Figure:
    require("matplotlib", "plot", "plotting")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike) -> str:
    """Write ``fig`` to ``path`` as PNG, SVG or PDF (chosen by the extension), atomically: the
    picture goes to a temporary file in the same directory that is then renamed over ``path``, so
    a reader never sees half a file and a failed save leaves any old file untouched.

    Returns the format written. Raises ``ValueError`` for an unsupported extension.
    """
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"output must end in .{', .'.join(FORMATS)}; got {path!r}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: no directory {directory!r}")
    with atomic_write(path) as f:  # the one atomic writer (wordvec.formats.native)
        fig.savefig(f, format=fmt, dpi="figure")
    return fmt


# -- labels ------------------------------------------------------------------------------------
# unit directions tried around each point: right, left, up, down, then the diagonals
_DIRECTIONS = np.array(
    [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)], dtype=float
)
_DIRECTIONS[4:] /= np.sqrt(2.0)
_RADII_PT = (3.0, 9.0, 18.0)  # distances (points) of the rings of candidate positions


def _overlaps(boxes: np.ndarray, box: np.ndarray) -> bool:
    """Does ``box`` (x0, y0, x1, y1) intersect any row of ``boxes`` float[k, 4]?"""
    if boxes.shape[0] == 0:
        return False
    return bool(
        np.any(
            (boxes[:, 0] < box[2])
            & (box[0] < boxes[:, 2])
            & (boxes[:, 1] < box[3])
            & (box[1] < boxes[:, 3])
        )
    )


def place_labels(
    ax: Axes,
    points_px: np.ndarray,
    labels: Sequence[str],
    anchors: np.ndarray | None = None,
    *,
    anchor_coords: str = "data",
    point_radius_px: float | np.ndarray = 3.0,
    fontsize: float = 8.0,
    colours: Sequence[str] | None = None,
    obstacles_px: np.ndarray | None = None,
) -> list[Text | None]:
    """Label points without overlap; crowded points stay unlabelled.

    Parameters
    ----------
    ax : the axes to draw on (its figure must have a canvas)
    points_px : float[n, 2] display (pixel) positions of the points, used for collisions
    labels : n strings, in priority order (earlier labels claim space first)
    anchors : float[n, 2] positions the annotations point at, in ``anchor_coords``
        (defaults to ``points_px`` in figure pixels)
    point_radius_px : half the side of the box each point occupies (one value or float[n])
    colours : n text colours (default black)
    obstacles_px : float[k, 4] further boxes (x0, y0, x1, y1) labels must avoid, e.g. arrows

    Returns
    -------
    list of n: the ``Text`` placed for each label, or None where it was skipped.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    pts = np.asarray(points_px, float).reshape(-1, 2)
    if anchors is None:
        anchors, anchor_coords = pts, "figure pixels"
    r = np.broadcast_to(np.asarray(point_radius_px, float), (pts.shape[0],))[:, None]
    point_boxes = np.column_stack([pts - r, pts + r])  # float[n, 4]
    fixed = np.zeros((0, 4)) if obstacles_px is None else np.asarray(obstacles_px, float)
    frame = ax.get_window_extent(renderer)
    px_per_pt = fig.dpi / 72.0
    placed: list[np.ndarray] = []
    out: list[Text | None] = []
    for i, label in enumerate(labels):
        colour = colours[i] if colours is not None else "black"
        probe = ax.annotate(
            label, (0, 0), xycoords="figure pixels", fontsize=fontsize, ha="left", va="bottom"
        )
        ext = probe.get_window_extent(renderer)
        probe.remove()
        w, h = ext.width, ext.height
        taken = np.vstack([np.delete(point_boxes, i, axis=0), fixed, *placed])
        chosen = None
        for ring, radius in enumerate(_RADII_PT):
            for ux, uy in _DIRECTIONS:
                dx, dy = ux * radius * px_per_pt, uy * radius * px_per_pt
                # the label's box hangs off the anchor on the side the direction points to
                x0 = pts[i, 0] + dx - (w if ux < 0 else w / 2 if ux == 0 else 0)
                y0 = pts[i, 1] + dy - (h if uy < 0 else h / 2 if uy == 0 else 0)
                box = np.array([x0, y0, x0 + w, y0 + h])
                inside = (
                    box[0] >= frame.x0
                    and box[2] <= frame.x1
                    and box[1] >= frame.y0
                    and box[3] <= frame.y1
                )
                if inside and not _overlaps(taken, box):
                    chosen = (ring, ux, uy, radius, box)
                    break
            if chosen:
                break
        if chosen is None:
            out.append(None)
            continue
        ring, ux, uy, radius, box = chosen
        placed.append(box[None, :])
        text = ax.annotate(
            label,
            tuple(anchors[i]),
            xycoords=anchor_coords,
            xytext=(ux * radius, uy * radius),
            textcoords="offset points",
            ha="left" if ux > 0 else "right" if ux < 0 else "center",
            va="bottom" if uy > 0 else "top" if uy < 0 else "center",
            fontsize=fontsize,
            color=colour,
            # a leader line when the label had to move away from its point
            arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5} if ring > 0 else None,
        )
        out.append(text)
    return out


def _freeze_layout(fig: Figure) -> None:
    """Draw once to fix limits, layout and (3-D) the view, then stop the layout engine, so the
    labels placed in pixels afterwards stay where they were placed."""
    fig.canvas.draw()
    fig.set_layout_engine("none")


def _display_xy(ax: Axes, coords: np.ndarray) -> np.ndarray:
    """Pixel positions of data points (2-D axes, or 3-D axes after a draw)."""
    if coords.shape[1] == 2:
        return ax.transData.transform(coords)
    from mpl_toolkits.mplot3d import proj3d

    x, y, _ = proj3d.proj_transform(coords[:, 0], coords[:, 1], coords[:, 2], ax.get_proj())
    return ax.transData.transform(np.column_stack([x, y]))


# -- plots -------------------------------------------------------------------------------------
def plot_words(
    kv: KeyedVectors,
    words: Sequence[str],
    *,
    method: Method = "pca",
    dims: int = 2,
    highlight: Sequence[str] = (),
    title: str | None = None,
    labels: bool = True,
    seed: int = 0,
    figsize: tuple[float, float] = (9.0, 7.0),
    dpi: float = 120.0,
    coords: np.ndarray | None = None,
) -> Figure:
    """Scatter plot of ``words`` projected to 2-D or 3-D.

    Parameters
    ----------
    kv : the vectors
    words : the words to show, most important first (they get labels first)
    method, dims, seed : passed to :func:`wordvec.viz.project.project`
    highlight : words drawn larger and in red (e.g. the centre of a neighbourhood)
    labels : write the words beside their points (skipping crowded ones)
    coords : float[n, dims] precomputed coordinates (skips the projection)

    Returns
    -------
    matplotlib Figure (Agg canvas)
    """
    words = list(words)
    idx = [kv.get_index(w) for w in words]
    if coords is None:
        coords = project(kv.vectors[idx], method, dims, seed=seed)
    coords = np.asarray(coords, float)
    if coords.shape != (len(words), dims):
        raise ValueError(f"coords must have shape ({len(words)}, {dims}); got {coords.shape}")
    hl = set(highlight)
    is_hl = np.array([w in hl for w in words], bool)
    fig = _new_figure(figsize, dpi)
    ax = fig.add_subplot(projection="3d" if dims == 3 else None)
    size = float(np.clip(1500.0 / max(len(words), 1), 6.0, 40.0))
    colours = np.where(is_hl, HIGHLIGHT_COLOUR, POINT_COLOUR)
    sizes = np.where(is_hl, size * 2.5, size)
    extra = {"depthshade": False} if dims == 3 else {}
    ax.scatter(*coords.T, s=sizes, c=list(colours), alpha=0.85, linewidths=0, **extra)
    if dims == 2:
        ax.margins(0.08)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.set_xticklabels([])
        ax.set_yticklabels([])
        ax.set_zticklabels([])
    name = METHOD_NAMES.get(method, method)
    ax.set_title(title or f"{len(words)} words, {name} {dims}-D", fontsize=11)
    if labels:
        _freeze_layout(fig)
        order = np.argsort(~is_hl, kind="stable")  # highlighted words claim space first
        pts = _display_xy(ax, coords)[order]
        anchors = coords[order] if dims == 2 else None
        place_labels(
            ax,
            pts,
            [words[i] for i in order],
            anchors,
            # a marker of area s (points^2) has a radius of sqrt(s)/2 points
            point_radius_px=np.sqrt(sizes[order]) * fig.dpi / 72.0 / 2.0,
            fontsize=9.0 if len(words) <= 60 else 7.0,
            colours=[HIGHLIGHT_COLOUR if is_hl[i] else "black" for i in order],
        )
    return fig


def analogy_pairs(kv: KeyedVectors, words: Sequence[str]) -> list[tuple[str, str]]:
    """Arrow pairs for ``a b c [d]`` (a is to b as c is to d): the two parallel arrows a -> c and
    b -> d (man -> woman, king -> queen). Without ``d`` the 3CosAdd answer is used."""
    words = list(words)
    if len(words) not in (3, 4):
        raise ValueError(f"an analogy is 3 or 4 words (a b c [d]); got {len(words)}")
    for w in words:
        kv.get_index(w)
    if len(words) == 3:
        a, b, c = words
        words.append(kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0])
    a, b, c, d = words
    return [(a, c), (b, d)]


def parse_pairs(items: Sequence[str]) -> list[tuple[str, str]]:
    """``["france:paris", "italy:rome"]`` -> ``[("france", "paris"), ("italy", "rome")]``."""
    out = []
    for item in items:
        left, sep, right = item.partition(":")
        if not sep or not left or not right or ":" in right:
            raise ValueError(f"a pair is written FROM:TO, e.g. man:woman; got {item!r}")
        out.append((left, right))
    return out


def plot_analogy(
    kv: KeyedVectors,
    pairs: Sequence[tuple[str, str]],
    *,
    method: Method = "pca",
    title: str | None = None,
    seed: int = 0,
    figsize: tuple[float, float] = (8.0, 6.5),
    dpi: float = 120.0,
) -> Figure:
    """The analogy figure: each pair ``(x, y)`` drawn as an arrow x -> y over a 2-D projection
    of all the pair words. When the vectors encode the relation the arrows come out parallel and
    of similar length (man -> woman beside king -> queen; countries -> capitals). With exactly two
    pairs the other two sides of the parallelogram are drawn dashed.

    Returns a matplotlib Figure. Raises ``KeyError`` for an unknown word, ``ValueError`` for
    fewer than two pairs.
    """
    pairs = [(str(x), str(y)) for x, y in pairs]
    if len(pairs) < 2:
        raise ValueError("an analogy plot needs at least two pairs")
    words = list(dict.fromkeys(w for p in pairs for w in p))
    idx = [kv.get_index(w) for w in words]
    coords = project(kv.vectors[idx], method, 2, seed=seed).astype(float)
    where = {w: coords[i] for i, w in enumerate(words)}
    fig = _new_figure(figsize, dpi)
    ax = fig.add_subplot()
    ax.scatter(*coords.T, s=36, c=POINT_COLOUR, zorder=3, linewidths=0)
    for k, (x, y) in enumerate(pairs):
        colour = ARROW_COLOURS[k % len(ARROW_COLOURS)]
        ax.annotate(
            "",
            xy=where[y],
            xytext=where[x],
            arrowprops={
                "arrowstyle": "-|>",
                "color": colour,
                "lw": 1.8,
                "shrinkA": 4,
                "shrinkB": 4,
                "mutation_scale": 14,
            },
            zorder=2,
        )
    if len(pairs) == 2:
        (a, c), (b, d) = pairs
        for p, q in ((a, b), (c, d)):
            ax.plot(*np.array([where[p], where[q]]).T, ls="--", lw=0.9, color="0.65", zorder=1)
    ax.set_aspect("equal", adjustable="datalim")  # equal scales keep the arrows' true angles
    ax.margins(0.15)
    ax.set_xticks([])
    ax.set_yticks([])
    rel = ", ".join(f"{x} → {y}" for x, y in pairs[:4]) + (" …" if len(pairs) > 4 else "")
    ax.set_title(title or f"{rel} ({METHOD_NAMES.get(method, method)})", fontsize=11)
    _freeze_layout(fig)
    # the arrows and dashed sides are obstacles too: boxes at points sampled along each segment
    t = np.linspace(0.0, 1.0, 24)[:, None]
    segments = [(where[x], where[y]) for x, y in pairs]
    if len(pairs) == 2:
        segments += [
            (where[pairs[0][0]], where[pairs[1][0]]),
            (where[pairs[0][1]], where[pairs[1][1]]),
        ]
    samples = np.vstack([p + t * (q - p) for p, q in segments] + [np.zeros((0, 2))])
    samples = ax.transData.transform(samples)
    place_labels(
        ax,
        ax.transData.transform(coords),
        words,
        coords,
        point_radius_px=4.0,
        fontsize=11.0,
        obstacles_px=np.column_stack([samples - 3.0, samples + 3.0]),
    )
    return fig
