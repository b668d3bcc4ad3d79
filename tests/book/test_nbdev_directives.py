"""tools/nbdev_directives.py on a page built by Sphinx and myst-nb: nbdev's `#|` lines
are not shown, `#| hide` cells are left out, and a cell that held nothing but
directives leaves no empty code box behind."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "tools")!r})
extensions = ["myst_nb", "nbdev_directives"]
nb_execution_mode = "off"
html_theme = "basic"
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    src = tmp_path_factory.mktemp("book")
    (src / "conf.py").write_text(CONF)
    cells = [nbformat.v4.new_markdown_cell("# A page"),
             nbformat.v4.new_code_cell("#| default_exp layers"),
             nbformat.v4.new_code_cell("#| export\n\ndef f(x):\n    return x"),
             nbformat.v4.new_code_cell("#| hide\nsecret = 2"),
             nbformat.v4.new_code_cell("#|export\n#| hide_line\n"),
             nbformat.v4.new_code_cell("y = f(3)  # no directive: untouched")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), src / "index.ipynb")
    out = src / "_html"
    done = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return (out / "index.html").read_text(encoding="utf-8")


def test_directive_lines_are_not_shown(page):
    assert "#|" not in page
    assert "def" in page and "f(3)" in page


def test_hide_cells_are_left_out(page):
    assert "secret" not in page


def test_no_empty_code_cell_box(page):
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(page, "html.parser")
    cells = soup.select("div.cell")
    assert len(cells) == 2, [c.get_text() for c in cells]       # f and y; the rest are gone
    for pre in soup.select("div.cell pre"):
        assert pre.get_text().strip(), "an empty code box is left on the page"
    assert soup.select("div.cell pre")[0].get_text().startswith("def f(x):")
