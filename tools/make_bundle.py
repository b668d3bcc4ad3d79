"""Pack the one download a reader needs to work offline: the book's notebooks and its package.

    python tools/make_bundle.py _build/html          # after the HTML build

writes `_build/html/mlpbook-notebooks.zip`, one folder `mlpbook-notebooks-<version>/`:

    README.md                          how to start, in a few lines
    mlpbook-<version>-py3-none-any.whl the package the book was built with
    reading/NN_*.ipynb                 every chapter with the book's code (no outputs)
    workbook/NN_*.ipynb                the chapters with their central code left to write
    workbook/export_my_code.py         saves a learner's code into workbook/my_mlpbook/

The notebooks are the reader's editions that tools/reader_edition.py wrote into the
site. Their set-up cell installs the wheel from the folder above them when the
kernel lacks mlpbook, so no package index is needed once numpy and matplotlib are
there. The wheel is built from a copy of the package's files, so the source tree
gets no build/ or egg-info folder.
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUNDLE_NAME = "mlpbook-notebooks.zip"
EXPORTER = ROOT / "tools" / "export_my_code.py"
PACKAGE_FILES = ["pyproject.toml", "README.md", "LICENSE", "mlpbook"]
# A fixed date for every member: the same notebooks give the same zip.
DATE = (2026, 1, 1, 0, 0, 0)

README = """\
# mlpbook: the notebooks, to run on your own computer

*mlpbook: a deep neural network from scratch* builds a multilayer perceptron from
NumPy alone. This folder holds every chapter as a Jupyter notebook, in two
editions, and the book's Python package, version {version}.

- `reading/`: the chapters as the book prints them, with the book's code.
- `workbook/`: the same chapters with the central functions (a layer's forward and
  backward, each optimizer's update, ...) left for you to write. Each stops with a
  message saying what to write; the chapter's own checks tell you when it is right.
- `{wheel}`: the `mlpbook` package the chapters import.

## Start

You need Python 3.10 or newer with Jupyter (JupyterLab, Jupyter Notebook, or
VS Code with its Jupyter extension), NumPy and Matplotlib.

1. Unpack this folder anywhere and open it in Jupyter (`jupyter lab` in a terminal
   in this folder), or in VS Code.
2. Open a chapter, say `workbook/01_layers.ipynb`, and run the cells from the top.

The first cell of every chapter installs `mlpbook` from the wheel in this folder
when your kernel lacks it; nothing is downloaded. If it cannot, it says so and
names your kernel's Python; install the package with that Python yourself:

    <that python> -m pip install {wheel}

and restart the kernel. Chapter 6 needs the Fashion-MNIST images (about 30 MB):
it looks in `$MLPBOOK_DATA`, `~/.cache/mlpbook`, and Debian's
`dataset-fashion-mnist` package, and downloads them once otherwise, checking
every file's checksum.

## Your own library

The last cell of a workbook chapter saves what you wrote (every cell marked
`#| export`) into `workbook/my_mlpbook/`, your own copy of the package. The later
workbook chapters run on it: once you have written Chapter 1's `Dense` and
Chapter 4's `Adam`, Chapter 6 trains Fashion-MNIST with them. Each workbook
chapter starts with `USE_MY_CODE = True`; set it to `False` to run that chapter on
the book's code instead, for example while you track down a mistake. Delete a
file of `my_mlpbook/mlpbook/` to go back to the book's version of that module.

The numbers in the text of each notebook are the ones the book computed when it
was built; your run computes them again. Equation and figure numbers are those
of the book; its links point to the pages of the book's website, where the same
chapter reads with its figures.
"""


def version():
    text = (ROOT / "mlpbook" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, flags=re.M).group(1)


def build_wheel(out):
    "The package's wheel, built from a copy of its files (no build/ in the tree)."
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlpbook-wheel-") as tmp:
        src = pathlib.Path(tmp) / "src"
        src.mkdir()
        for name in PACKAGE_FILES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(path, src / name)
        base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
        res = subprocess.run(base + ["--no-build-isolation", str(src)], capture_output=True, text=True)
        if res.returncode != 0:                   # no setuptools here: let pip fetch it
            res = subprocess.run(base + [str(src)], capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit(f"make_bundle: could not build the wheel:\n{res.stderr[-3000:]}")
    wheels = sorted(out.glob(f"mlpbook-{version()}-*.whl"))
    if not wheels:
        raise SystemExit(f"make_bundle: no wheel of mlpbook {version()} in {out}")
    return wheels[-1]


def _add(zf, arcname, data):
    info = zipfile.ZipInfo(arcname, DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def make_bundle(site, out=None):
    "Write the bundle from the reader's editions in `site` (the built HTML folder)."
    site = pathlib.Path(site)
    out = pathlib.Path(out) if out else site / BUNDLE_NAME
    reading = sorted((site / "reading").glob("*.ipynb"))
    workbook = sorted((site / "workbook").glob("*.ipynb"))
    if not reading:
        raise SystemExit(f"make_bundle: no notebooks in {site / 'reading'}: build the site first")
    top = f"mlpbook-notebooks-{version()}"
    with tempfile.TemporaryDirectory(prefix="mlpbook-bundle-") as tmp:
        wheel = build_wheel(tmp)
        part = out.with_suffix(".zip.part")
        with zipfile.ZipFile(part, "w") as zf:
            _add(zf, f"{top}/README.md", README.format(version=version(), wheel=wheel.name))
            _add(zf, f"{top}/{wheel.name}", wheel.read_bytes())
            for path in reading:
                _add(zf, f"{top}/reading/{path.name}", path.read_bytes())
            for path in workbook:
                _add(zf, f"{top}/workbook/{path.name}", path.read_bytes())
            _add(zf, f"{top}/workbook/{EXPORTER.name}", EXPORTER.read_bytes())
        part.replace(out)
    print(f"make_bundle: wrote {out} ({out.stat().st_size / 1e6:.1f} MB: {len(reading)} reading and "
          f"{len(workbook)} workbook notebooks, {wheel.name})")
    return out


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    make_bundle(*sys.argv[1:])
