"""The workbook edition (tools/make_workbook.py): stubs that the chapter's checks catch.

* Text: stubbing every `workbook:<name>` function and putting the reference
  bodies back gives the original notebook exactly; each stub keeps signature
  and docstring, raises a NotImplementedError that says what to implement, and
  fits the page.
* Execution, as a reader works: run the workbook from the top; the first cell
  that calls an unwritten function must stop with its "Implement <name>: ..."
  message, at or after the cell that defines it. The reader then writes that
  body (the reference one is put back), runs the defining cell again and goes
  on. Every stub must be met this way, and with all bodies written the chapter
  runs to the end. This is done for the synthetic chapter in tests/fixtures and
  for the chapters in EXECUTED (cheap ones: the rest are covered by the text
  test plus the standalone run of the original).
"""
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import make_workbook as mw  # noqa: E402
import nbrun  # noqa: E402

NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
FIXTURE = ROOT / "tests" / "fixtures" / "tiny_chapter.ipynb"
# Chapters that implement the book's central formulas; each must have workbook tags.
TAGGED = ["01_layers", "02_activations", "03_losses", "04_optimizers", "04a_schedules",
          "05_trainer", "05e_regularization", "05f_batchnorm", "09_autograd"]
# Chapters whose workbook is executed in CI, as a reader would (a few fast ones).
EXECUTED = ["01_layers", "02_activations", "03_losses"]


def _load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def work_through(nb, timeout=600):
    """Run the workbook of `nb` as a reader would; returns [(name, failing cell, message)].

    Fails (AssertionError) if a cell errs with anything but a stub's message, if a stub
    stops the notebook before the cell that defines it, or if a stub is never called."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    import nbformat
    import os
    import tempfile

    workbook = nbformat.reads(json.dumps(mw.make(nb)), as_version=4)
    where = {name: i for i, c in enumerate(workbook.cells) if c.cell_type == "code" for name in mw.tags_of(c)}
    pending, met = set(where), []
    originals = {c.get("id"): c for c in nb["cells"]}
    with tempfile.TemporaryDirectory(prefix="mlpbook-workbook-") as tmp:
        from jupyter_client import KernelManager
        km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(tmp, "kernel"))
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        client = NotebookClient(workbook, km=km, timeout=timeout, startup_timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": work}})
        saved = dict(os.environ)
        os.environ.update(nbrun.kernel_env())
        try:
            with client.setup_kernel():
                i = 0
                while i < len(workbook.cells):
                    cell = workbook.cells[i]
                    if cell.cell_type != "code":
                        i += 1
                        continue
                    try:
                        client.execute_cell(cell, i)
                    except CellExecutionError as err:
                        m = re.match(r"Implement ([\w.]+)", err.evalue or "")
                        assert err.ename == "NotImplementedError" and m and m.group(1) in pending, (
                            f"workbook cell {i} failed with {err.ename}: {err.evalue} "
                            f"(expected a stub's NotImplementedError; still to write: {sorted(pending)})")
                        name = m.group(1)
                        assert i >= where[name], f"{name} was called in cell {i}, before its cell {where[name]}"
                        met.append((name, i, err.evalue))
                        # The reader writes the body: here, the reference one goes back in.
                        defining = workbook.cells[where[name]]
                        ref = "".join(originals[defining.get("id")]["source"])
                        defining.source = mw.fill(defining.source, name, ref)
                        pending.discard(name)
                        i = where[name]
                        continue
                    i += 1
        finally:
            os.environ.clear()
            os.environ.update(saved)
    assert not pending, f"stubs no later cell calls (so nothing checks them): {sorted(pending)}"
    return met


# --- text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS + [FIXTURE], ids=lambda p: p.stem)
def test_stub_then_restore_gives_back_the_original(path):
    nb = _load(path)
    workbook = mw.make(nb)
    assert mw.restore(workbook, nb) == nb
    names = mw.workbook_names(nb)
    for cell in workbook["cells"]:
        for name in mw.tags_of(cell):
            src = mw.source(cell)
            func = mw.find_function(src, name)
            body = [n for n in func.body if not isinstance(n, __import__("ast").Expr)]
            assert len(body) == 1 and type(body[0]).__name__ == "Raise", f"{path.name}: {name} not stubbed"
            assert f"Implement {name}: " in src.replace('"\n', "").replace('    "', ""), (
                f"{path.name}: the workbook message of {name} has no docstring summary: "
                "its docstring must say what to compute, with shapes")
            original = set(mw.source(next(c for c in nb["cells"] if c.get("id") == cell.get("id"))).splitlines())
            for line in set(src.splitlines()) - original:
                assert len(line) <= 88, f"{path.name}: stub line over 88 characters: {line!r}"
    if names:
        assert "Workbook edition" in mw.source(workbook["cells"][1])


@pytest.mark.parametrize("stem", TAGGED)
def test_central_chapters_are_tagged(stem):
    names = mw.workbook_names(_load(ROOT / "nbs" / f"{stem}.ipynb"))
    assert names, f"nbs/{stem}.ipynb has no workbook:<name> cell tag (CONTRIBUTING.md, rule 6)"


def test_stub_keeps_signature_docstring_and_the_rest_of_the_cell():
    src = mw.source(_load(FIXTURE)["cells"][2])
    out = mw.stub(src, "Scale.backward")
    assert "def backward(self, g):" in out and "dL/dx = g * w (batch, d)" in out
    assert "return g * self.w" not in out and "return x * self.w" in out and "return x ** 2" in out
    assert 'raise NotImplementedError(' in out and "Implement Scale.backward: Given g = dL/dy" in out
    assert mw.fill(out, "Scale.backward", src) == src
    with pytest.raises(ValueError, match="no function"):
        mw.stub(src, "Scale.nothing")


def test_make_workbook_writes_only_tagged_chapters(tmp_path):
    src = tmp_path / "nbs"
    src.mkdir()
    (src / "01_tiny.ipynb").write_text(FIXTURE.read_text())
    (src / "02_plain.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                    "nbformat_minor": 5}))
    written = mw.build(src, tmp_path / "workbook")
    assert [p.name for p in written] == ["01_tiny.ipynb"]
    assert "NotImplementedError" in written[0].read_text()


# --- execution ------------------------------------------------------------------------------------

def test_workbook_of_the_synthetic_chapter_fails_then_passes():
    met = work_through(_load(FIXTURE))
    assert [name for name, _, _ in met] == ["Scale.forward", "Scale.backward", "square"]
    assert met[1][2].startswith("Implement Scale.backward: Given g = dL/dy of shape (batch, d)")


@pytest.mark.slow
@pytest.mark.parametrize("stem", EXECUTED)
def test_workbook_chapter_fails_at_its_checks_then_passes(stem):
    nb = _load(ROOT / "nbs" / f"{stem}.ipynb")
    if not mw.workbook_names(nb):
        pytest.fail(f"nbs/{stem}.ipynb has no workbook tags yet")
    for name, cell, message in work_through(nb):
        print(f"{stem}: {name} stopped cell {cell}: {message[:100]}")
