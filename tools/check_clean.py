"""Fail if any notebook is committed with outputs or execution counts.

The book and the tests execute the notebooks, so outputs in the repository
would only be stale copies. Usage: python tools/check_clean.py nbs
"""
import json
import pathlib
import sys


def dirty_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [i for i, c in enumerate(nb.get("cells", []))
            if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count") is not None)]


def main(folder):
    notebooks = sorted(pathlib.Path(folder).glob("*.ipynb"))
    if not notebooks:
        print(f"no notebooks found in {folder}")
        return 1
    bad = {p: dirty_cells(p) for p in notebooks}
    bad = {p: cells for p, cells in bad.items() if cells}
    for p, cells in bad.items():
        print(f"{p}: cells {cells} carry outputs or execution counts (run nbdev-clean)")
    if not bad:
        print(f"{len(notebooks)} notebooks clean")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "nbs"))
