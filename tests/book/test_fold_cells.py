"""Folded on the site, folded in Jupyter: every code cell tagged hide-input, hide-cell or
remove-cell carries `{"jupyter": {"source_hidden": true}}` (tools/fold_cells.py writes it)."""
import copy
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import fold_cells  # noqa: E402

NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))


def _cell(source, tags=(), **meta):
    return {"cell_type": "code", "execution_count": None, "id": f"c{abs(hash(source)) % 10**6}",
            "metadata": {"tags": list(tags), **meta} if tags else dict(meta), "outputs": [],
            "source": source}


def _nb(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_hidden_cell_is_folded_in_jupyter(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    open_cells = [i for i, c in enumerate(nb["cells"]) if fold_cells.needs_fold(c)]
    assert not open_cells, (f"{path.name}: code cells {open_cells} are hidden on the site but open "
                            "in Jupyter; run python tools/fold_cells.py")


def test_fold_marks_exactly_the_hidden_cells_and_is_idempotent():
    nb = _nb(_cell("x = 1"),
             _cell("plot()", ["hide-input"]),
             _cell("glue('a', 1)", ["remove-cell"], jupyter={"outputs_hidden": True}),
             _cell("helper()", ["hide-cell", "workbook:f"]),
             _cell("shown()", ["hide-output"]),
             {"cell_type": "markdown", "id": "m", "metadata": {"tags": ["remove-cell"]}, "source": "x"})
    before = copy.deepcopy(nb)
    assert fold_cells.fold(nb) == [1, 2, 3]
    for i in (1, 2, 3):
        assert nb["cells"][i]["metadata"]["jupyter"]["source_hidden"] is True
    assert nb["cells"][2]["metadata"]["jupyter"]["outputs_hidden"] is True   # kept
    for i in (0, 4, 5):
        assert nb["cells"][i] == before["cells"][i]
    for i in (1, 2, 3):   # nothing but the metadata changed
        changed = copy.deepcopy(nb["cells"][i])
        changed["metadata"]["jupyter"].pop("source_hidden")
        if not changed["metadata"]["jupyter"]:
            del changed["metadata"]["jupyter"]
        assert changed == before["cells"][i]
    once = copy.deepcopy(nb)
    assert fold_cells.fold(nb) == [] and nb == once


def test_the_setup_cell_is_left_to_its_own_tool():
    nb = _nb(_cell("#| hide\n# Set-up", ["remove-cell", fold_cells.SETUP_TAG]))
    assert fold_cells.fold(nb) == []


def test_check_mode_changes_nothing_and_fails_until_folded(tmp_path, capsys):
    path = tmp_path / "ch.ipynb"
    text = fold_cells.dumps(_nb(_cell("x = 1"), _cell("glue('a', 1)", ["remove-cell"])))
    path.write_text(text, encoding="utf-8")
    assert fold_cells.main(["--check", str(tmp_path)]) == 1
    assert path.read_text(encoding="utf-8") == text
    assert "cells [1]" in capsys.readouterr().out
    assert fold_cells.main([str(path)]) == 0
    folded = path.read_text(encoding="utf-8")
    assert folded != text and fold_cells.main(["--check", str(path)]) == 0
    assert fold_cells.main([str(path)]) == 0 and path.read_text(encoding="utf-8") == folded
