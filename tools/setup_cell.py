"""Give every chapter a first code cell that makes it run anywhere.

A reader who opens one chapter alone (downloaded, on Colab, on Binder) has no
`mlpbook` installed, and the chapter's imports would fail. This tool inserts,
as the first code cell of each notebook, a set-up cell that does nothing when
`mlpbook` of the book's version is importable and otherwise installs exactly
that version (`pip install mlpbook==<version>`). The version is read from
`mlpbook.__version__` when the tool runs, so re-run the tool after a version
bump; `--check` (and tests/test_setup_cell.py) fails while a pin is stale.

The cell is hidden from the site (tag `remove-cell` and `#| hide`), carries the
tag `mlpbook-setup` so that the tool finds it again (running twice changes
nothing), and also defines the `glue` fallback of CONVENTIONS §1 unless the
notebook already has its own glue cell.

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

SETUP = '''\
#| hide
# Set-up: lets this chapter run on its own (a download, Colab, Binder).
# It installs the mlpbook version this book was built with, unless present.
import importlib
import subprocess
import sys

MLPBOOK_VERSION = "{version}"
try:
    import mlpbook
    _mlpbook_ok = mlpbook.__version__ == MLPBOOK_VERSION
except ImportError:
    _mlpbook_ok = False
if not _mlpbook_ok:
    _spec = f"mlpbook=={{MLPBOOK_VERSION}}"
    if subprocess.run([sys.executable, "-m", "pip", "install", "-q", _spec]).returncode:
        raise RuntimeError(
            f"Could not install {{_spec}}. In a clone of the book's repository, "
            "run `pip install -e .` and restart the kernel."
        )
    for _name in [m for m in sys.modules if m.split(".")[0] == "mlpbook"]:
        del sys.modules[_name]
    importlib.invalidate_caches()'''

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
    return SETUP.format(version=version) + (GLUE if glue else "")


def as_lines(text):
    lines = text.splitlines(keepends=True)
    return lines


def setup_cell(version, glue=True):
    return {"cell_type": "code", "execution_count": None, "id": CELL_ID,
            "metadata": {"tags": ["remove-cell", TAG]}, "outputs": [],
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
