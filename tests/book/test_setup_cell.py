"""The set-up cell that lets each chapter run on its own (tools/setup_cell.py)."""
import copy
import json
import re
import sys
import types
from pathlib import Path

import pytest

import mlpbook

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import setup_cell  # noqa: E402

NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))


def _nb(*sources, glue=False):
    cells = [{"cell_type": "markdown", "id": "t", "metadata": {}, "source": ["# Title"]}]
    for i, src in enumerate(sources):
        cells.append({"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                      "outputs": [], "source": src.splitlines(keepends=True)})
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_pins_the_package_version(path):
    nb = setup_cell.read(path)
    pinned = setup_cell.pinned_version(nb)
    assert pinned is not None, f"{path.name} has no set-up cell: run `python tools/setup_cell.py`"
    assert pinned == mlpbook.__version__, (
        f"{path.name} installs mlpbook=={pinned} but the package is {mlpbook.__version__}: "
        "run `python tools/setup_cell.py`")
    assert setup_cell.dumps(setup_cell.apply(nb, mlpbook.__version__)) == path.read_text(encoding="utf-8"), (
        f"{path.name}: set-up cell is not what tools/setup_cell.py writes (run it)")


def test_inserted_first_hidden_and_idempotent():
    nb = _nb("#| default_exp layers\n#| hide", "import numpy as np")
    once = setup_cell.apply(nb, "1.2.3")
    codes = [c for c in once["cells"] if c["cell_type"] == "code"]
    assert setup_cell.is_setup_cell(codes[0]) and len(codes) == 3
    assert once["cells"][0]["cell_type"] == "markdown"             # the title stays on top
    assert "remove-cell" in codes[0]["metadata"]["tags"] and codes[0]["source"][0] == "#| hide\n"
    assert setup_cell.pinned_version(once) == "1.2.3"
    assert setup_cell.apply(copy.deepcopy(once), "1.2.3") == once
    again = setup_cell.apply(once, "1.2.4")                          # a version bump updates in place
    assert setup_cell.pinned_version(again) == "1.2.4"
    assert sum(setup_cell.is_setup_cell(c) for c in again["cells"]) == 1


def test_glue_fallback_only_where_the_notebook_has_none():
    own = "#| hide\ntry:\n    from myst_nb import glue\nexcept ImportError:\n    pass"
    with_own = setup_cell.apply(_nb("#| default_exp x", own), "1.0.0")
    without = setup_cell.apply(_nb("#| default_exp x"), "1.0.0")
    assert "glue" not in setup_cell.source(with_own["cells"][1])
    assert "def glue(" in setup_cell.source(without["cells"][1])


def test_setup_cell_lines_fit_the_page():
    for line in setup_cell.setup_source("10.20.30").splitlines():
        assert len(line) <= 88, line


def _run_cell(monkeypatch, version, pip_returncode):
    "Execute the set-up cell with a fake mlpbook and a fake pip; the real modules are put back."
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "mlpbook"}
    try:
        return _exec_cell(monkeypatch, version, pip_returncode)
    finally:
        for k in [k for k in sys.modules if k.split(".")[0] == "mlpbook"]:
            del sys.modules[k]
        sys.modules.update(saved)


def _exec_cell(monkeypatch, version, pip_returncode):
    calls = []
    fake = types.ModuleType("mlpbook")
    fake.__version__ = version
    monkeypatch.setitem(sys.modules, "mlpbook", fake)
    monkeypatch.setattr("subprocess.run",
                        lambda cmd, **kw: calls.append(cmd) or types.SimpleNamespace(returncode=pip_returncode))
    namespace = {}
    exec(setup_cell.setup_source("1.2.3"), namespace)
    return calls, namespace


def test_setup_cell_does_nothing_when_the_right_version_is_there(monkeypatch):
    calls, namespace = _run_cell(monkeypatch, "1.2.3", 0)
    assert calls == [] and callable(namespace["glue"])


def test_setup_cell_installs_exactly_the_pinned_version(monkeypatch):
    calls, _ = _run_cell(monkeypatch, "1.0.0", 0)
    assert len(calls) == 1 and calls[0][1:] == ["-m", "pip", "install", "-q", "mlpbook==1.2.3"]
    assert "mlpbook" not in sys.modules or sys.modules["mlpbook"].__version__ != "1.0.0"   # stale copy dropped


def test_setup_cell_says_what_to_do_when_the_install_fails(monkeypatch):
    with pytest.raises(RuntimeError, match=rf"mlpbook 1\.2\.3 .*{re.escape(sys.executable)}.*pip install"):
        _run_cell(monkeypatch, "1.0.0", 1)


def test_check_mode_changes_nothing(tmp_path):
    path = tmp_path / "01_x.ipynb"
    path.write_text(setup_cell.dumps(_nb("import numpy")), encoding="utf-8")
    before = path.read_text()
    assert setup_cell.main(["--check", "--version", "1.0.0", str(tmp_path)]) == 1
    assert path.read_text() == before
    assert setup_cell.main(["--version", "1.0.0", str(tmp_path)]) == 0
    assert setup_cell.main(["--check", "--version", "1.0.0", str(tmp_path)]) == 0
    assert json.loads(path.read_text())["cells"][1]["id"] == "mlpbook-setup"
