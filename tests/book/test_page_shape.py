"""What the reader sees first (CONTRIBUTING.md, "Plain first" and "Infrastructure out of
sight"): each chapter that builds something shows the idea as short, visible code before
the library version; Chapter 1 reaches the dense layer's forward pass within 80 visible
code lines; no `glue(...)` call is visible on any page."""
import json
import re
from pathlib import Path

import pytest

NBS = Path(__file__).resolve().parents[2] / "nbs"
NOTEBOOKS = sorted(NBS.glob("*.ipynb"))
HIDDEN_TAGS = {"remove-cell", "remove-input", "hide-input", "hide-cell"}

# (chapter, the plain version's definition, the library version's definition)
PLAIN_FIRST = [
    ("01_layers", "class PlainDense(", "class Dense("),
    ("01_layers", "class PlainSequential(", "class Sequential("),
    ("01b_gradcheck", "def numerical_grad(", "def gradcheck("),
    ("03_losses", "def mse(", "class MSELoss("),
    ("05_trainer", "def train(", "class Trainer("),
]


def _cells(stem):
    return json.loads((NBS / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"])


def _visible(cell):
    "A code cell the page shows (not removed, not folded, not nbdev's `#| hide`)."
    tags = set(cell.get("metadata", {}).get("tags", []))
    return (cell["cell_type"] == "code" and not tags & HIDDEN_TAGS
            and not _source(cell).startswith("#| hide"))


def _first(cells, text):
    hits = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and text in _source(c)]
    assert hits, f"no code cell contains {text!r}"
    return hits[0]


@pytest.mark.parametrize("stem,plain,library", PLAIN_FIRST, ids=lambda v: str(v))
def test_plain_version_is_shown_before_the_library_version(stem, plain, library):
    cells = _cells(stem)
    i, j = _first(cells, plain), _first(cells, library)
    assert _visible(cells[i]), f"{stem}: the plain {plain!r} is not shown on the page"
    assert i < j, f"{stem}: {library!r} (cell {j}) comes before the plain {plain!r} (cell {i})"


def test_chapter_1_reaches_the_dense_forward_within_80_lines():
    shown = 0
    for cell in _cells("01_layers"):
        if not _visible(cell):
            continue
        for line in _source(cell).splitlines():
            if re.search(r"x @ self\.W", line):
                assert shown <= 80, f"{shown} visible code lines before {line.strip()!r}"
                return
            shown += 1
    pytest.fail("Chapter 1 shows no line computing x @ self.W")


GLUE_CALL = re.compile(r"(?<![\w.])glue\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_glue_call_is_visible(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    shown = [i for i, c in enumerate(cells) if _visible(c)
             and any(GLUE_CALL.search(l) and not l.lstrip().startswith("def glue")
                     for l in _source(c).splitlines())]
    assert not shown, (f"{path.name}: cells {shown} show a glue(...) call; move it to a "
                       "hidden cell (tags remove-cell, metadata jupyter.source_hidden)")


def test_glue_finder():
    assert GLUE_CALL.search('glue("a", 1)') and not GLUE_CALL.search("myst_nb.glue(x)")
    cell = {"cell_type": "code", "metadata": {"tags": ["remove-cell"]}, "source": ["x"]}
    assert not _visible(cell) and _visible({**cell, "metadata": {}})
