"""Fold in Jupyter what the site folds: hidden code cells get `jupyter.source_hidden`.

On the site, a code cell tagged `hide-input`, `hide-cell` or `remove-cell` is folded or
left out; Jupyter, JupyterLab and VS Code know nothing of those tags and show the code
open unless the cell's metadata says `{"jupyter": {"source_hidden": true}}`. This tool
writes that metadata into every such cell (and changes nothing else), so a downloaded
notebook is folded where the page is. Running it twice changes nothing.

Usage:  python tools/fold_cells.py [--check] [notebooks or folders ...]   (default: nbs)
`--check` changes nothing and fails while a cell lacks the metadata
(tests/book/test_fold_cells.py runs it on nbs/).
"""
import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOLDED_TAGS = ("hide-input", "hide-cell", "remove-cell")
# The set-up cell is written whole by tools/setup_cell.py (its --check compares the cell
# byte for byte), so its metadata is that tool's to write; it is left alone here.
SETUP_TAG = "mlpbook-setup"


def needs_fold(cell):
    "Is this a code cell the site hides, still open in Jupyter?"
    meta = cell.get("metadata", {})
    tags = meta.get("tags", [])
    return (cell.get("cell_type") == "code" and any(t in FOLDED_TAGS for t in tags)
            and SETUP_TAG not in tags and meta.get("jupyter", {}).get("source_hidden") is not True)


def fold(nb):
    "Add the metadata to every cell that needs it, in place; returns the indices of the cells changed."
    changed = []
    for i, cell in enumerate(nb.get("cells", [])):
        if needs_fold(cell):
            cell.setdefault("metadata", {}).setdefault("jupyter", {})["source_hidden"] = True
            changed.append(i)
    return changed


def dumps(nb):
    "The notebook as nbdev writes it (so a diff shows only what changed)."
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def notebooks(paths):
    for p in map(pathlib.Path, paths):
        yield from sorted(p.glob("*.ipynb")) if p.is_dir() else [p]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "nbs")])
    ap.add_argument("--check", action="store_true",
                    help="change nothing; fail while a hidden cell is open in Jupyter")
    args = ap.parse_args(argv)
    open_cells = 0
    for path in notebooks(args.paths):
        nb = json.loads(path.read_text(encoding="utf-8"))
        changed = fold(nb)
        if not changed:
            continue
        open_cells += len(changed)
        if args.check:
            print(f"{path}: code cells {changed} are hidden on the site but open in Jupyter "
                  "(run python tools/fold_cells.py)")
        else:
            path.write_text(dumps(nb), encoding="utf-8")
            print(f"{path}: folded code cells {changed}")
    if not open_cells:
        print("every hidden cell is folded in Jupyter too")
    return 1 if (args.check and open_cells) else 0


if __name__ == "__main__":
    sys.exit(main())
