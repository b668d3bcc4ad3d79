"""Pages read well: code fits the rendered column (CONTRIBUTING.md, rule 8).

The book's code column shows about 88 characters; a longer line scrolls
sideways on the site and in the PDF. Every line of every code cell of every
notebook (hidden cells too: they are read in Jupyter) is checked.
"""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
MAX = 88


def long_lines(nb):
    "(cell index, line number, length) of each code line longer than MAX."
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = cell["source"]
        for j, line in enumerate(("".join(src) if isinstance(src, list) else src).splitlines(), 1):
            if len(line) > MAX:
                out.append((i, j, len(line)))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_lines_fit_the_page(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    bad = long_lines(nb)
    assert not bad, f"{path.name}: code lines longer than {MAX} characters (cell, line, length): {bad}"


def test_checker():
    cell = {"cell_type": "code", "source": ["x = 1\n", "y = '" + "a" * 90 + "'\n"]}
    md = {"cell_type": "markdown", "source": ["b" * 200]}
    assert long_lines({"cells": [md, cell]}) == [(1, 2, 96)]
