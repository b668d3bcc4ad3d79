"""The whole book as one PDF (`make book` prints it to _build/html/mlpbook.pdf).

Checked with poppler-utils, as a person would look at it: the text has every
chapter and no raw TeX, math is typeset (MathJax's glyphs, not dollar signs),
the figures are embedded, internal links work (link annotations with
destinations inside the file), and a few pages are turned into PNGs
(_build/screenshots/pdf-page-N.png) that are not blank.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
PDF = SITE / "mlpbook.pdf"
SHOTS = ROOT / "_build" / "screenshots"
PDF_LOG = ROOT / "_build" / "pdf.log"            # where `make test` prints it (Makefile)


def chapter_titles():
    "The title of every page of the book, in _toc.yml order, as the site shows it."
    import html
    import yaml
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []

    def walk(entries):
        for e in entries:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    titles = []
    for f in files:
        page = (SITE / f"{f}.html").read_text(encoding="utf-8")
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", "", h1.group(1))).replace("#", "")
        titles.append(" ".join(re.sub(r"^\s*[\d.]+\s", "", text).split()))
    return titles

pytestmark = pytest.mark.browser


def _tool(name):
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils): PDF tests skipped")
    return name


@pytest.fixture(scope="module")
def pdf(pdf_printed):
    if pdf_printed not in (None, "0"):          # printed beside the tests, and it failed
        log = PDF_LOG.read_text(errors="replace") if PDF_LOG.exists() else ""
        log = re.sub(r"\x1b\[[0-9;]*m", "", log)[-3000:]       # without jupyter-book's colours
        pytest.fail(f"`make pdf` failed (exit status {pdf_printed!r}); the end of "
                    f"{PDF_LOG.relative_to(ROOT)}:\n{log}")
    if not (SITE / "index.html").exists():
        pytest.skip("no book built: run `make book` first")
    if not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")):
        pytest.skip("Chromium is not installed: `make book` prints no PDF without it")
    assert PDF.exists(), f"{PDF.relative_to(ROOT)} is missing: `make book` prints it (make pdf)"
    return PDF


@pytest.fixture(scope="module")
def pages(pdf):
    "The text of each page."
    out = subprocess.run([_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return out.split("\f")


def test_pdf_has_every_chapter_in_order(pages):
    assert len(pages) > 40, f"only {len(pages)} pages"
    text = " ".join(" ".join(pages).split())
    position = 0
    for title in chapter_titles():
        title = title[:30]
        found = text.find(title, position)
        assert found >= 0, f"chapter {title!r} not found (after position {position}) in the PDF"
        position = found


def test_math_typeset_no_raw_tex(pages):
    "No TeX source in the prose (code may spell TeX inside string literals: matplotlib labels)."
    text = re.sub(r'"[^"\n]*"|\'[^\'\n]*\'', " ", "\n".join(pages))
    for raw in ("\\frac", "\\partial", "\\mathbf", "\\top", "$$", "\\(", "\\[", "\\begin{"):
        assert raw not in text, f"raw TeX {raw!r} in the PDF text: MathJax did not finish"
    assert text.count("∂") > 50, "few ∂ glyphs: the derivations' math is missing"


def figure_pages(pdf):
    "Page of each embedded colour image 300 px or wider (the plots; not rasterised grey boxes)."
    listing = subprocess.run([_tool("pdfimages"), "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    rows = [l.split() for l in listing if len(l.split()) > 8]
    return [int(r[0]) for r in rows if int(r[3]) >= 300 and r[5] != "gray"]


def test_figures_embedded(pdf):
    assert len(figure_pages(pdf)) >= 15, f"only {len(figure_pages(pdf))} figures in the PDF"


def test_internal_links(pdf):
    raw = pdf.read_bytes()
    internal = len(re.findall(rb"/S\s*/GoTo|/Dest\s*[\[(/]", raw))
    assert internal >= 20, f"only {internal} internal links in the PDF"
    outline = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:" in outline


def _page_with(pages, needle):
    return next(i for i, t in enumerate(pages, 1) if needle in t)


def test_pages_render_with_math_and_figures(pdf, pages):
    "Pages a person should look at: a derivation, a figure page. Each rendered to PNG and not blank."
    import matplotlib.image as mpimg
    SHOTS.mkdir(parents=True, exist_ok=True)
    picks = {"derivation": _page_with(pages, "∂"), "figure": None}
    pages_with_figures = figure_pages(pdf)
    picks["figure"] = pages_with_figures[len(pages_with_figures) // 2]
    for what, number in picks.items():
        stem = SHOTS / f"pdf-{what}-page-{number}"
        subprocess.run([_tool("pdftoppm"), "-png", "-r", "60", "-f", str(number), "-l", str(number),
                        "-singlefile", str(pdf), str(stem)], check=True)
        image = mpimg.imread(f"{stem}.png")
        ink = (image[..., :3].mean(axis=2) < 0.8).mean()
        assert ink > 0.02, f"page {number} ({what}) is almost blank: {ink:.3f} of it is ink"
