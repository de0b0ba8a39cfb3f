"""Regenerate the README's pictures: docs/plot.png (the analogy plot) and docs/explorer.png (the
explorer page in headless Chromium, with neighbours, an analogy and a scatter).

Usage::

    python scripts/make_screenshots.py                 # trains the demo model first (~30 s)
    python scripts/make_screenshots.py --model demo.wv # or uses a model you have

Needs ``wordvec[plot,web]``, ``playwright`` (the Python package only: its browser downloads are
not used) and Debian's ``chromium`` at /usr/bin/chromium (or ``--chromium PATH``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def demo_model(directory: str) -> str:
    path = str(Path(directory) / "demo.wv")
    subprocess.run(
        [sys.executable, "-m", "wordvec.cli", "demo", "-o", path, "--quiet"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return path


def plot_png(kv, out: Path) -> None:
    from wordvec.viz.plot import analogy_pairs, plot_analogy, save_figure

    fig = plot_analogy(kv, analogy_pairs(kv, ["man", "king", "woman", "queen"]), figsize=(7, 5.5))
    save_figure(fig, out)


def explorer_png(kv, name: str, out: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    from wordvec.web import create_app, running

    with running(create_app(kv, name=name)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 880})
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        page.fill("#plot-n", "50")
        page.locator("#search").press_sequentially("king", delay=30)
        page.wait_for_selector("#suggest li")
        page.keyboard.press("Enter")
        page.wait_for_selector("#neighbours li[data-word]")
        page.wait_for_selector("#scatter[data-ready='1']")
        page.fill("#an-a", "man")
        page.fill("#an-b", "king")
        page.fill("#an-c", "woman")
        page.click("#an-go")
        page.wait_for_selector("#an-mul li[data-word]")
        page.locator("#search").blur()
        page.wait_for_timeout(300)
        out.write_bytes(page.screenshot())
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="native model or word2vec file (default: train the demo)")
    ap.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNGs (docs/)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()

    from wordvec.commands.query import load_vectors

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or demo_model(tmp)
        kv = load_vectors(model)
        plot_png(kv, out / "plot.png")
        print(f"wrote {out / 'plot.png'}")
        explorer_png(kv, Path(args.model or "demo.wv").name, out / "explorer.png", args.chromium)
        print(f"wrote {out / 'explorer.png'}")


if __name__ == "__main__":
    main()
