"""The explorer page in a real headless Chromium, driven by Playwright, against a real uvicorn
server on a free loopback port.

Needs Debian's ``chromium`` (``apt-get install chromium``); the tests skip, saying so, only when
that browser is absent. Playwright's own browser downloads are never used (``executable_path``).
"""

from __future__ import annotations

import io
import os
import shutil
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import expect as pw_expect

from conftest import add_fillers, keyed_vectors, royal_words
from wordvec import KeyedVectors
from wordvec.web import create_app, running

CHROMIUM = os.environ.get("WORDVEC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"chromium is not installed at {CHROMIUM} (apt-get install chromium)",
)


def toy_vectors() -> KeyedVectors:
    """man:king::woman:queen holds exactly (axes: 0 male, 1 female, 2 person, 3 royal, 4 heir,
    5 young); 40 filler words on axes 6-11 give the scatter something to show."""
    e = np.eye(12, dtype=np.float32)
    words = {**royal_words(e), "kingdom": e[3] + 0.8 * e[6], "kind": e[7] + 0.3 * e[2]}
    return keyed_vectors(add_fillers(words, 40, dim=12, split=6, scale=0.15, seed=2))


@pytest.fixture(scope="module")
def kv() -> KeyedVectors:
    return toy_vectors()


@pytest.fixture(scope="module")
def server(kv):
    with running(create_app(kv, name="toy")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A fresh page on the explorer; fails the test on any script error or console error, and on
    any request that leaves the server (the page must load nothing from elsewhere)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # 4xx answers are shown to the user on purpose; the browser logs them as console errors
    pg.on(
        "console",
        lambda m: m.type == "error" and "status of 4" not in m.text and problems.append(m.text),
    )
    origin = urlparse(server).netloc
    pg.on(
        "request",
        lambda r: (
            urlparse(r.url).scheme != "data"
            and urlparse(r.url).netloc != origin
            and problems.append(f"request outside the server: {r.url}")
        ),
    )
    pg.goto(server)
    pg.wait_for_selector("body[data-ready='1']")
    yield pg
    context.close()
    assert problems == []


def canvas_pixels(pg: Page) -> np.ndarray:
    """The scatter's screenshot as uint8[h, w, 3]."""
    png = pg.locator("#scatter").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def words_in(pg: Page, selector: str) -> list[str]:
    return pg.eval_on_selector_all(
        f"{selector} li[data-word]", "els => els.map(e => e.dataset.word)"
    )


def test_type_a_word_and_see_its_neighbours(page, kv):
    page.locator("#search").press_sequentially("kin", delay=40)
    suggest = page.locator("#suggest li")
    pw_expect(suggest.first).to_have_text("king")
    assert suggest.all_inner_texts() == ["king", "kingdom", "kind"]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    pw_expect(page.locator("#neighbours-title")).to_contain_text("king")
    page.wait_for_selector("#neighbours li[data-word]")
    want = kv.most_similar("king", topn=15)
    assert words_in(page, "#neighbours") == [w for w, _ in want]
    scores = page.locator("#neighbours li .score").all_inner_texts()
    assert scores[0] == f"{want[0][1]:.4f}"


def test_analogy_finds_queen(page):
    page.fill("#an-a", "man")
    page.fill("#an-b", "king")
    page.fill("#an-c", "woman")
    page.click("#an-go")
    page.wait_for_selector("#an-add li[data-word]")
    page.wait_for_selector("#an-mul li[data-word]")
    add, mul = words_in(page, "#an-add"), words_in(page, "#an-mul")
    assert add[0] == "queen"
    assert mul[0] == "queen"
    assert not {"man", "king", "woman"} & set(add + mul)


def test_page_opens_on_the_most_frequent_words(page):
    # all 50 words of the toy model (the opening picture is the 300 most frequent, or fewer)
    page.wait_for_selector("#scatter[data-ready='1'][data-points='50']")
    pixels = canvas_pixels(page)
    assert pixels.std() > 10.0, "the opening picture is blank"
    assert int(page.get_attribute("#scatter", "data-labels")) >= 10
    pw_expect(page.locator("#plot-status")).to_contain_text("50 most frequent words")
    assert page.evaluate("wordvecScatter.positionOf('king')") is not None


def test_scatter_renders_and_a_click_shows_neighbours(page):
    page.wait_for_selector("#scatter[data-ready='1'][data-points='50']")  # the opening picture
    page.select_option("#plot-source", "top")
    page.fill("#plot-n", "8")
    page.click("#plot-go")
    page.wait_for_selector("#scatter[data-points='8']")
    blank_ish = canvas_pixels(page)
    assert blank_ish.std() > 1.0
    page.select_option("#plot-source", "top")
    page.fill("#plot-n", "50")
    page.click("#plot-go")
    page.wait_for_selector("#scatter[data-ready='1'][data-points='50']")
    pixels = canvas_pixels(page)
    assert pixels.std() > 10.0, "the scatter screenshot is blank"
    ink = (pixels.min(axis=2) < 200).mean()
    assert 0.002 < ink < 0.5, f"{ink:.4f} of the canvas is drawn"
    assert int(page.get_attribute("#scatter", "data-labels")) >= 10
    # click the point of "queen": its neighbours are listed
    pos = page.evaluate("wordvecScatter.positionOf('queen')")
    assert pos is not None
    page.locator("#scatter").click(position=pos)
    pw_expect(page.locator("#neighbours-title")).to_contain_text("queen")
    assert words_in(page, "#neighbours")[0] in {"princess", "king", "woman"}


def test_analogy_is_drawn_as_two_arrows(page):
    page.fill("#an-a", "man")
    page.fill("#an-b", "king")
    page.fill("#an-c", "woman")
    page.click("#an-go")
    page.wait_for_selector("#scatter[data-ready='1'][data-points='4'][data-arrows='2']")
    pw_expect(page.locator("#plot-status")).to_contain_text("man → king and woman → queen")
    pixels = canvas_pixels(page).astype(int)
    # the arrows' colours (#2a9d8f, #e76f51), which nothing else on the canvas uses
    for rgb in ((0x2A, 0x9D, 0x8F), (0xE7, 0x6F, 0x51)):
        near = (np.abs(pixels - np.array(rgb)).sum(axis=2) < 40).sum()
        assert near > 100, (rgb, near)
    # the arrows are parallel here (man:king::woman:queen holds exactly): same screen direction
    p = {
        w: page.evaluate(f"wordvecScatter.positionOf('{w}')")
        for w in ("man", "king", "woman", "queen")
    }
    ab = np.array([p["king"]["x"] - p["man"]["x"], p["king"]["y"] - p["man"]["y"]])
    cd = np.array([p["queen"]["x"] - p["woman"]["x"], p["queen"]["y"] - p["woman"]["y"]])
    assert ab @ cd / (np.linalg.norm(ab) * np.linalg.norm(cd)) > 0.99


def test_neighbourhood_in_3d_rotates_by_drag(page):
    page.select_option("#plot-dims", "3")
    page.fill("#plot-n", "15")
    page.locator("#search").fill("queen")
    page.locator("#search").press("Enter")
    page.wait_for_selector("#scatter[data-ready='1'][data-points='16']")
    pw_expect(page.locator("#plot-status")).to_contain_text("3-D")
    before = canvas_pixels(page)
    box = page.locator("#scatter").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 40, steps=6)
    page.mouse.up()
    after = canvas_pixels(page)
    assert before.std() > 10.0 and after.std() > 10.0
    assert np.abs(before.astype(int) - after.astype(int)).mean() > 1.0, "drag did not rotate"


def test_tsne_projection_from_the_page(page):
    page.select_option("#plot-source", "top")
    page.fill("#plot-n", "30")
    page.select_option("#plot-method", "tsne")
    page.click("#plot-go")
    page.wait_for_selector("#scatter[data-ready='1'][data-points='30']", timeout=60_000)
    pw_expect(page.locator("#plot-status")).to_contain_text("t-SNE 2-D")
    assert canvas_pixels(page).std() > 10.0


def test_unknown_word_shows_a_message(page):
    page.locator("#search").fill("zebra")
    page.locator("#search").press("Enter")
    error = page.locator("#error")
    pw_expect(error).to_be_visible()
    pw_expect(error).to_contain_text("'zebra' not in vocabulary")
