"""Save the code you wrote in a workbook chapter into your own copy of mlpbook.

This file comes with the book's notebooks (the workbook folder of the bundle). The
last cell of a workbook chapter runs

    from export_my_code import export_chapter
    export_chapter("01_layers.ipynb")

which reads the saved notebook, takes every cell marked `#| export` (the code that
makes up the chapter's module, your functions included) and writes it to
`my_mlpbook/mlpbook/<module>.py` beside the notebook. The first time, `my_mlpbook/`
starts as a copy of the book's own package, so every module you have not written
yet is the book's. The first cell of each later chapter puts `my_mlpbook/` first on
Python's path while `USE_MY_CODE = True`, so that chapter imports your code.

Nothing else is needed (no nbdev): lines beginning with `#|` are dropped and
`from mlpbook.x import ...` becomes `from .x import ...`, as in the package.
From a shell:  python export_my_code.py 01_layers.ipynb [more notebooks ...]
"""
import ast
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

MY_FOLDER = "my_mlpbook"
PACKAGE = "mlpbook"
STUB = re.compile(r"raise NotImplementedError\(\s*\"Implement ([\w.]+)")
EXPORT = re.compile(r"^#\|\s*export(s|i)?\s*$")
DEFAULT_EXP = re.compile(r"^#\|\s*default_exp\s+(\S+)\s*$")
IMPORT = re.compile(rf"^(\s*)from {PACKAGE}(\.[\w.]+)? import ", flags=re.M)


class ExportError(Exception):
    "The chapter cannot be saved yet; the message says why and what to do."


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _directives(text):
    "The `#|` lines at the top of a cell."
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.lstrip().startswith("#|"):
            break
        out.append(line.strip())
    return out


def module_name(nb):
    "The module a chapter exports to (its `#| default_exp` line), or None."
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            for line in _directives(_source(cell)):
                m = DEFAULT_EXP.match(line)
                if m:
                    return m.group(1)
    return None


def export_cells(nb):
    "The sources of the cells marked `#| export` (or exports/exporti), in order."
    return [_source(c) for c in nb["cells"] if c.get("cell_type") == "code"
            and any(EXPORT.match(line) for line in _directives(_source(c)))]


def module_text(nb, notebook_name, names=None):
    "The module's source: the exported cells without `#|` lines, imports made relative."
    parts = []
    for text in export_cells(nb):
        body = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#|"))
        body = IMPORT.sub(lambda m: f"{m.group(1)}from .{(m.group(2) or '')[1:]} import ", body)
        parts.append(body.strip("\n"))
    header = [f"# Your code: written by export_my_code.py from {notebook_name}.",
              "# Run that notebook's last cell again to update it; delete this file",
              "# to go back to the book's version of this module.", ""]
    if names is not None:
        header.append(f"__all__ = {names!r}")
        header.append("")
    return "\n".join(header) + "\n\n" + "\n\n\n".join(parts) + "\n"


def unwritten(nb):
    "The functions of the chapter whose body is still the workbook's stub."
    return [m.group(1) for text in export_cells(nb) for m in STUB.finditer(text)]


def _tags(cell):
    return [t[len("workbook:"):] for t in cell.get("metadata", {}).get("tags", [])
            if t.startswith("workbook:")]


def _saved_function(text, qualname):
    "The ast of `name` or `Class.name` as the saved cell has it, or None."
    try:
        tree = ast.parse("\n".join("#" + l if l.lstrip().startswith(("%", "!")) else l
                                   for l in text.split("\n")))
    except SyntaxError:
        return None
    scope, parts = tree.body, qualname.split(".")
    for part in parts[:-1]:
        scope = next((n.body for n in scope if isinstance(n, ast.ClassDef) and n.name == part), [])
    return next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and n.name == parts[-1]), None)


def _same_code(node, source):
    "Is `source` (a function's text) the same code as the ast `node` (comments and layout aside)?"
    try:                      # a method keeps its indentation (and its docstring's) inside an `if`
        indented = source[:1] in (" ", "\t")
        tree = ast.parse("if True:\n" + source if indented else source)
        live = tree.body[0].body[0] if indented else tree.body[0]
    except (SyntaxError, IndexError, AttributeError):
        return True                                   # cannot tell: do not stand in the way
    return ast.dump(live) == ast.dump(node)


def not_saved(nb, namespace):
    """The functions the learner wrote whose last run differs from the saved notebook
    (edited and run but not saved, or edited and saved but not run)."""
    import inspect
    differ = []
    for cell in nb["cells"]:
        for qualname in _tags(cell):
            obj = namespace
            try:
                for part in qualname.split("."):
                    obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
                if getattr(obj, "__module__", None) != "__main__":
                    continue                    # the name now means an imported one: not the cell's
                live = inspect.getsource(obj)
            except (KeyError, AttributeError, OSError, TypeError):
                continue                                  # not run here: nothing to compare
            saved = _saved_function(_source(cell), qualname)
            if saved is not None and not _same_code(saved, live):
                differ.append(qualname)
    return differ


def _reference_package(mine):
    "The folder of the book's own mlpbook package (not the reader's copy)."
    mine = Path(mine).resolve()
    entries = [p for p in sys.path if Path(p or ".").resolve() != mine]
    spec = importlib.machinery.PathFinder.find_spec(PACKAGE, entries)
    if spec is None:                        # e.g. an editable install's import hook
        spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ExportError(f"the book's {PACKAGE} package is not installed for this Python "
                          f"({sys.executable}): run this chapter's first cell, then this one")
    folder = Path(list(spec.submodule_search_locations)[0]).resolve()
    if mine in folder.parents:
        raise ExportError(f"only your own copy of {PACKAGE} is importable; set USE_MY_CODE = "
                          "False in the first cell, run it, then run this cell again")
    return folder


def _public_names(reference_module):
    "The reference module's __all__, so that `from mlpbook.x import *` sees the same names."
    if not reference_module.exists():
        return None
    tree = ast.parse(reference_module.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def _write(path, text):
    "Write through a temporary file in the same folder, then rename: never half a module."
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(notebook, folder=None, quiet=False, namespace=None):
    """Write the chapter `notebook` (a saved .ipynb) into `folder`/my_mlpbook/mlpbook/.

    `folder` defaults to the notebook's own folder. With `namespace` (the kernel's
    variables), a function whose saved code differs from the code that last ran is
    not saved. Returns the path of the module written; raises ExportError (saying
    what to do) when the chapter cannot be saved."""
    notebook = Path(notebook)
    if not notebook.exists():
        raise ExportError(f"{notebook} not found: run this cell from the folder of the notebook")
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    module = module_name(nb)
    if module is None or not export_cells(nb):
        raise ExportError(f"{notebook.name} has no cell marked `#| export`: nothing to save")
    todo = unwritten(nb)
    if todo:
        raise ExportError(
            f"not saved: {', '.join(todo)} still raise NotImplementedError in the saved "
            f"{notebook.name}. Write them (or, if you have, save the notebook: File > Save) "
            "and run this cell again.")
    differ = not_saved(nb, namespace) if namespace is not None else []
    if differ:
        raise ExportError(
            f"not saved: the code of {', '.join(differ)} in the saved {notebook.name} is not "
            "the code that last ran. Save the notebook (File > Save), run the cells you "
            "changed again, and then this cell.")
    mine = Path(folder if folder is not None else notebook.parent) / MY_FOLDER
    package = mine / PACKAGE
    try:
        reference = _reference_package(mine)
    except ExportError:
        if not (package / "__init__.py").exists():
            raise
        reference = package                    # the book's package is gone: keep the copy's names
    text = module_text(nb, notebook.name, _public_names(reference / f"{module}.py"))
    try:
        compile(text, f"{package / module}.py", "exec")
    except SyntaxError as err:
        raise ExportError(f"not saved: the exported cells of {notebook.name} do not compile "
                          f"({err.msg}, line {err.lineno} of the module)") from None
    if not (package / "__init__.py").exists():
        shutil.copytree(reference, package, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    target = package / f"{module}.py"
    _write(target, text)
    for cached in (package / "__pycache__").glob(f"{module}.*.pyc"):
        cached.unlink(missing_ok=True)
    if not quiet:
        print(f"Saved the code of {notebook.name} to {target}. The next chapters run on it "
              "while their first cell says USE_MY_CODE = True.")
    return target


def export_chapter(notebook, folder=None):
    "What the workbook's last cell calls: export, or print why not (no traceback)."
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    try:
        return export(notebook, folder, namespace=shell.user_ns if shell is not None else None)
    except ExportError as err:
        print(f"Your code of {Path(notebook).name} was not saved: {err}")
        return None


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    failed = [n for n in sys.argv[1:] if export_chapter(n) is None]
    sys.exit(1 if failed else 0)
