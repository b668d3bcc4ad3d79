"""Give every chapter a first code cell that makes it run anywhere.

A reader who opens one chapter alone (from the notebooks bundle the site offers,
or a single downloaded notebook) may have no `mlpbook` installed, and the
chapter's imports would fail. This tool inserts, as the first code cell of each
notebook, a set-up cell that does nothing when `mlpbook` of the book's version
is importable and otherwise installs exactly that version: first the wheel
`mlpbook-<version>-*.whl` lying beside the notebook or one folder up (where the
bundle puts it; no package index needed), then the same wheel with the index at
hand for its dependencies, then `mlpbook==<version>` from the index. When all
fail it raises one message saying what to do, naming the kernel's Python.

It also puts the reader's own package first on `sys.path` when
`USE_MY_CODE` is true and `my_mlpbook/mlpbook/` exists beside the notebook (the
workbook edition sets the switch in a visible cell above; the folder is written
by the workbook's "carry your code forward" cell, tools/export_my_code.py), and
takes it off again when the switch is false.

The version is read from `mlpbook.__version__` when the tool runs, so re-run
the tool after a version bump; `--check` (and the set-up cell tests) fails while
a pin is stale. The cell is hidden from the site (tag `remove-cell` and
`#| hide`), folded in Jupyter (`jupyter.source_hidden`), carries the tag
`mlpbook-setup` so that the tool finds it again (running twice changes
nothing), and also defines the `glue` fallback unless the notebook already has
its own glue cell.

Usage:  python tools/setup_cell.py [--check] [notebooks or folders ...]   (default: nbs)
"""
import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TAG = "mlpbook-setup"
CELL_ID = "mlpbook-setup"
MARKER = "# Set-up: lets this chapter run on its own"
SWITCH = "USE_MY_CODE"
MY_PACKAGE = "my_mlpbook"

SETUP = '''\
#| hide
# Set-up: lets this chapter run on its own. It makes sure that the mlpbook version
# this book was built with is importable: from the wheel that comes with the
# notebooks (no download needed), else from the package index.
import importlib
import pathlib
import subprocess
import sys

MLPBOOK_VERSION = "{version}"
_mine = str(pathlib.Path("{my_package}").resolve())
_use_mine = bool(globals().get("{switch}"))  # set in the workbook, above this cell
_use_mine = _use_mine and pathlib.Path(_mine, "mlpbook", "__init__.py").is_file()
if _use_mine != (_mine in sys.path):  # switched: forget the mlpbook imported before
    sys.path[:] = [p for p in sys.path if p != _mine]
    if _use_mine:
        sys.path.insert(0, _mine)
    for _name in [m for m in sys.modules if m.split(".")[0] == "mlpbook"]:
        del sys.modules[_name]
    importlib.invalidate_caches()
try:
    import mlpbook
    _mlpbook_ok = _use_mine or mlpbook.__version__ == MLPBOOK_VERSION
except ImportError:
    _mlpbook_ok = False
if not _mlpbook_ok:
    _pip = [sys.executable, "-m", "pip", "install", "-q"]
    _wheels = sorted(str(w) for d in (".", "..")
                     for w in pathlib.Path(d).glob(f"mlpbook-{{MLPBOOK_VERSION}}-*.whl"))
    _tries = [_pip + ["--no-index", _wheels[0]], _pip + [_wheels[0]]] if _wheels else []
    _tries.append(_pip + [f"mlpbook=={{MLPBOOK_VERSION}}"])
    if not any(subprocess.run(cmd).returncode == 0 for cmd in _tries):
        raise RuntimeError(
            f"mlpbook {{MLPBOOK_VERSION}} is not installed for this kernel's Python "
            f"({{sys.executable}}) and could not be installed. Open this notebook from "
            "the folder of the book's notebooks bundle (it holds the wheel "
            f"mlpbook-{{MLPBOOK_VERSION}}-py3-none-any.whl), or run "
            f"`{{sys.executable}} -m pip install <that wheel>`; then restart the kernel."
        )
    for _name in [m for m in sys.modules if m.split(".")[0] == "mlpbook"]:
        del sys.modules[_name]
    importlib.invalidate_caches()
if _use_mine:
    print(f"This chapter runs on your own code in {{_mine}} "
          f"(set {switch} = False in the cell above to run it on the book's).")'''

GLUE = '''

try:
    from myst_nb import glue as _myst_glue
except ImportError:  # outside the book build: show the value instead
    _myst_glue = None


def glue(name, value, display=True):
    "Make `value` available to the text as {glue:text}`name`."
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()  # a NumPy scalar: myst-nb formats Python numbers only
    if _myst_glue is not None:
        _myst_glue(name, value, display)
    elif display:
        print(f"{name} = {value}")'''


def read(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def dumps(nb):
    "The notebook as nbdev writes it (so a diff shows only what changed)."
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def is_setup_cell(cell):
    return cell.get("cell_type") == "code" and (
        TAG in cell.get("metadata", {}).get("tags", []) or source(cell).startswith("#| hide\n" + MARKER))


def has_own_glue(nb):
    "Does a cell other than the set-up cell already define the glue fallback?"
    return any(c.get("cell_type") == "code" and not is_setup_cell(c)
               and ("from myst_nb import glue" in source(c) or "def glue(" in source(c))
               for c in nb["cells"])


def setup_source(version, glue=True):
    return SETUP.format(version=version, switch=SWITCH, my_package=MY_PACKAGE) + (GLUE if glue else "")


def as_lines(text):
    lines = text.splitlines(keepends=True)
    return lines


def setup_cell(version, glue=True):
    return {"cell_type": "code", "execution_count": None, "id": CELL_ID,
            "metadata": {"jupyter": {"source_hidden": True}, "tags": ["remove-cell", TAG]},
            "outputs": [],
            "source": as_lines(setup_source(version, glue))}


def current_version():
    sys.path.insert(0, str(ROOT))
    import mlpbook
    return mlpbook.__version__


def apply(nb, version):
    "Insert or update the set-up cell; returns the (new) notebook."
    cells = [c for c in nb["cells"] if not is_setup_cell(c)]
    nb = dict(nb, cells=cells)
    cell = setup_cell(version, glue=not has_own_glue(nb))
    first_code = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), len(cells))
    nb["cells"] = cells[:first_code] + [cell] + cells[first_code:]
    return nb


def pinned_version(nb):
    "The version the notebook's set-up cell installs, or None without one."
    for c in nb["cells"]:
        if is_setup_cell(c):
            for line in source(c).splitlines():
                if line.startswith("MLPBOOK_VERSION = "):
                    return line.split("=", 1)[1].strip().strip('"')
    return None


def notebooks(paths):
    for p in map(pathlib.Path, paths):
        yield from sorted(p.glob("*.ipynb")) if p.is_dir() else [p]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "nbs")])
    ap.add_argument("--check", action="store_true", help="change nothing; fail if a cell is missing or stale")
    ap.add_argument("--version", help="pin this version instead of mlpbook.__version__")
    args = ap.parse_args(argv)
    version = args.version or current_version()
    stale = []
    for path in notebooks(args.paths):
        text = path.read_text(encoding="utf-8")
        new = dumps(apply(json.loads(text), version))
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "lack an up-to-date" if args.check else "updated:"
    for path in stale:
        print(f"{path}: set-up cell {'missing or stale' if args.check else 'written'} (mlpbook=={version})")
    print(f"{len(stale)} notebook(s) {verb} set-up cell" if stale else "every set-up cell is up to date")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
