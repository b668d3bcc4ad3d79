"""The learner's exporter (tools/export_my_code.py, shipped in the bundle's workbook folder).

It writes a chapter's `#| export` cells into `my_mlpbook/mlpbook/<module>.py`, without
nbdev: run on the book's own notebooks it gives the module nbdev exports (the same code,
line for line, up to nbdev's cell markers); it refuses a chapter whose stubs are still
unwritten or whose code does not compile, saying what to do; it starts the learner's
package as a copy of the book's, and a second export replaces only its own module.
"""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import export_my_code as ex  # noqa: E402
import make_workbook as mw  # noqa: E402

EXPORTING = sorted(p for p in (ROOT / "nbs").glob("*.ipynb")
                   if ex.module_name(json.loads(p.read_text())) not in (None, "__init__"))


def _code_lines(text):
    "The module's code, without comments, blank lines or the __all__ list (its layout differs)."
    body = text.split("\n__all__ = [", 1)[-1].split("]\n", 1)[-1] if "__all__" in text else text
    return [l.strip() for l in body.splitlines() if l.strip() and not l.lstrip().startswith("#")]


@pytest.mark.parametrize("path", EXPORTING, ids=lambda p: p.stem)
def test_the_book_notebooks_export_to_the_packages_modules(path):
    nb = json.loads(path.read_text())
    module = ex.module_name(nb)
    reference = ROOT / "mlpbook" / f"{module}.py"
    mine = ex.module_text(nb, path.name, ex._public_names(reference))
    ours = [l.replace("from mlpbook.", "from .").replace("from mlpbook import", "from . import")
            for l in _code_lines(reference.read_text())]
    assert _code_lines(mine) == ours, f"{path.name}: the exporter's {module}.py differs from nbdev's"


def _chapter(tmp_path, stubbed=False, broken=False):
    src = json.loads((ROOT / "nbs" / "05e_regularization.ipynb").read_text())
    nb = mw.make(src) if stubbed else src
    if broken:
        cell = next(c for c in nb["cells"] if mw.tags_of(c))
        mw.set_source(cell, mw.source(cell) + "\n    def broken(:\n")
    path = tmp_path / "workbook" / "05e_regularization.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(mw.dumps(nb))
    return path


def test_export_copies_the_book_package_then_writes_the_chapters_module(tmp_path):
    path = _chapter(tmp_path)
    written = ex.export(path, quiet=True)
    package = tmp_path / "workbook" / "my_mlpbook" / "mlpbook"
    assert written == package / "regularization.py" and written.read_text().startswith("# Your code")
    assert (package / "layers.py").read_text() == (ROOT / "mlpbook" / "layers.py").read_text()
    assert "from .layers import" in written.read_text() and "from mlpbook." not in written.read_text()
    # The learner's package imports, and its Dropout is the learner's.
    probe = subprocess.run([sys.executable, "-c", "import mlpbook, mlpbook.regularization as r; "
                            "print(r.__file__); print(mlpbook.Dropout is r.Dropout)"],
                           cwd=package.parent, capture_output=True, text=True,
                           env={"PYTHONPATH": str(package.parent), "PATH": "/usr/bin:/bin"})
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [str(written), "True"]
    (package / "layers.py").write_text("# the learner's layers\n" + (package / "layers.py").read_text())
    ex.export(path, quiet=True)                                   # a second export
    assert (package / "layers.py").read_text().startswith("# the learner's layers")


def test_unwritten_stubs_are_not_saved(tmp_path, capsys):
    path = _chapter(tmp_path, stubbed=True)
    with pytest.raises(ex.ExportError, match=r"Dropout\.forward.*NotImplementedError.*save the notebook"):
        ex.export(path, quiet=True)
    assert ex.export_chapter(path) is None
    assert "was not saved" in capsys.readouterr().out
    assert not (tmp_path / "workbook" / "my_mlpbook" / "mlpbook" / "regularization.py").exists()


def test_code_that_does_not_compile_is_not_saved(tmp_path):
    path = _chapter(tmp_path, broken=True)
    with pytest.raises(ex.ExportError, match="do not compile"):
        ex.export(path, quiet=True)
    assert not (tmp_path / "workbook" / "my_mlpbook" / "mlpbook" / "regularization.py").exists()


def test_a_notebook_without_a_module_says_so(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with pytest.raises(ex.ExportError, match="no cell marked"):
        ex.export(path, quiet=True)


def _run_in_kernel(path, source, namespace):
    "Run `source` as a kernel runs a cell: in __main__, its text kept where inspect finds it."
    path.write_text(source)
    namespace.setdefault("__name__", "__main__")
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


def test_code_that_ran_but_was_not_saved_is_not_saved(tmp_path):
    "The kernel ran another Dropout.forward than the saved notebook holds: the learner forgot to save."
    path = _chapter(tmp_path)
    ran = _run_in_kernel(tmp_path / "ran.py", "class Dropout:\n    def forward(self, x):\n        return 2 * x\n", {})
    with pytest.raises(ex.ExportError, match=r"Dropout\.forward .*not the code that last ran"):
        ex.export(path, quiet=True, namespace=ran)
    # The cell as saved, run as the kernel ran it (in the module's namespace): exported.
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if "workbook:Dropout.forward" in c["metadata"].get("tags", []))
    namespace = dict(vars(importlib.import_module("mlpbook.regularization")), __name__="__main__")
    assert ex.export(path, quiet=True, namespace=_run_in_kernel(tmp_path / "cell.py", mw.source(cell),
                                                                  namespace)).exists()


def test_a_name_bound_later_to_the_library_is_not_compared(tmp_path):
    "A chapter may import the library's Dropout after defining its own: that is no unsaved edit."
    path = _chapter(tmp_path)
    from mlpbook.regularization import Dropout
    assert ex.export(path, quiet=True, namespace={"Dropout": Dropout}).exists()


@pytest.mark.parametrize("path", [p for p in EXPORTING if mw.workbook_names(json.loads(p.read_text()))],
                         ids=lambda p: p.stem)
def test_the_code_as_saved_and_run_is_never_taken_for_unsaved(path, tmp_path):
    "Each written function, run as the kernel runs its cell, matches the saved notebook."
    nb = json.loads(path.read_text())
    namespace = dict(vars(importlib.import_module(f"mlpbook.{ex.module_name(nb)}")), __name__="__main__")
    ran = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and mw.tags_of(cell):
            try:
                _run_in_kernel(tmp_path / f"cell{i}.py", mw.source(cell), namespace)
            except Exception:          # a cell that needs the chapter's earlier cells: not compared
                continue
            ran += mw.tags_of(cell)
    assert ran and ex.not_saved(nb, namespace) == []
