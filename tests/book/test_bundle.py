"""The bundle the site offers runs offline, and a learner's code carries forward in it.

`_build/html/mlpbook-notebooks.zip` (tools/make_bundle.py, written by the HTML build)
is unpacked into an empty folder. A fresh virtual environment gets only what a
reader's Jupyter has: a kernel (ipykernel, nbclient, nbformat), NumPy and Matplotlib,
from the test environment's own wheels, as the standalone notebook test does --
no mlpbook. The notebooks then run there with no package index at all
(PIP_NO_INDEX=1, no pip configuration), with MLPBOOK_BUILD=quick and one BLAS thread:

* the bundle: a workbook chapter (its stubs written: the reference bodies put back
  with make_workbook.restore, saved over the workbook file as a learner saves it)
  installs the wheel lying in the bundle, runs, and saves the learner's code; a
  reading chapter runs;
* your own library: the workbook chapters 1-6 run one after another, each on the
  package the earlier ones saved into workbook/my_mlpbook/, and Chapter 6 trains
  Fashion-MNIST on the learner's package (every mlpbook module comes from that
  folder) and reaches the test accuracy of the reading edition's Chapter 6 run in
  the same mode. The chapter is run up to that accuracy (not its ensemble), and the
  reading edition's run goes on at the same time as the workbook chapters.
"""
import concurrent.futures
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import make_workbook as mw  # noqa: E402

SITE = ROOT / "_build" / "html"
BUNDLE = SITE / "mlpbook-notebooks.zip"
READER_PACKAGES = ["ipykernel", "nbclient", "nbformat", "numpy", "matplotlib"]
TIMEOUT = 1200
RESULT = "MLPBOOK_TEST_RESULT "

pytestmark = pytest.mark.slow

RUNNER = r"""
import json, os, re, sys, time, traceback
import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path, timeout = sys.argv[1], int(sys.argv[2])
nb = nbformat.read(path, as_version=4)
folder = os.path.dirname(os.path.abspath(path))
km = KernelManager(kernel_name="python3", transport="ipc", ip=sys.argv[3])
client = NotebookClient(nb, km=km, timeout=timeout, startup_timeout=120, kernel_name="python3",
                        resources={"metadata": {"path": folder}})
out = {"ok": True}
start = time.perf_counter()
try:
    client.execute()
except CellExecutionError as err:
    out = {"ok": False, "error": re.sub(r"\x1b\[[0-9;]*m", "", str(err))[-4000:]}
except Exception:
    out = {"ok": False, "error": traceback.format_exc()[-4000:]}
out["seconds"] = round(time.perf_counter() - start, 1)
out["stdout"] = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                        for o in c.get("outputs", []) if o.get("output_type") == "stream")
print("RUNNER " + json.dumps(out))
"""


def _pinned(name):
    try:
        return f"{name}=={importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return name


@pytest.fixture(scope="module")
def bundle():
    if not BUNDLE.exists():
        pytest.skip(f"{BUNDLE} is missing: build the site first (make html)")
    return BUNDLE


@pytest.fixture(scope="module")
def reader_python(tmp_path_factory):
    "A fresh venv with a Jupyter kernel, NumPy and Matplotlib, and no mlpbook."
    work = tmp_path_factory.mktemp("reader-env")
    venv = work / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-3000:]
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    install = subprocess.run([str(python), "-m", "pip", "install", "-q"] + [_pinned(p) for p in READER_PACKAGES],
                             capture_output=True, text=True, timeout=900, env=env, cwd=work)
    assert install.returncode == 0, install.stderr[-3000:]
    (work / "runner.py").write_text(RUNNER)
    return python, work / "runner.py"


def _offline_env(python, home):
    "A reader's activated environment with no package index and no pip configuration."
    # OPENBLAS_* are kept: where the machine sets them (to pick a BLAS kernel), the runs
    # here must use the kernel of the book build, whose numbers the chapters check.
    env = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ") or k.startswith("OPENBLAS_")}
    env.update(PATH=f"{python.parent}:/usr/local/bin:/usr/bin:/bin", VIRTUAL_ENV=str(python.parent.parent),
               HOME=str(home), MLPBOOK_BUILD="quick", MPLBACKEND="agg", PYTHONDONTWRITEBYTECODE="1",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PIP_NO_INDEX="1",
               PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _unpack(bundle, where):
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(where)
    (top,) = [p for p in Path(where).iterdir() if p.is_dir()]
    return top


def _run(reader, path, home):
    python, runner = reader
    sockets = home / f"kernel-{path.stem}"
    res = subprocess.run([str(python), str(runner), str(path), str(TIMEOUT), str(sockets)], cwd=path.parent,
                         env=_offline_env(python, home), capture_output=True, text=True, timeout=TIMEOUT + 120)
    lines = [l for l in res.stdout.splitlines() if l.startswith("RUNNER ")]
    assert lines, f"the runner failed on {path.name} (exit {res.returncode}):\n{res.stderr[-3000:]}"
    out = json.loads(lines[-1][len("RUNNER "):])
    assert out["ok"], f"{path.relative_to(path.parents[1])} failed:\n{out['error']}"
    return out


def _load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _write_as_learner(workbook_path):
    "The learner's saved workbook: every stub written (here, the reference body put back)."
    original = _load(ROOT / "nbs" / workbook_path.name)
    written = mw.restore(_load(workbook_path), original)
    workbook_path.write_text(mw.dumps(written), encoding="utf-8")
    return written


def _result(stdout):
    lines = [l for l in stdout.splitlines() if l.startswith(RESULT)]
    assert lines, f"no result printed:\n{stdout[-2000:]}"
    return json.loads(lines[-1][len(RESULT):])


def _until_test_accuracy(path, extra):
    "Chapter 6 up to its single network's test accuracy, then the `extra` cell."
    nb = _load(path)
    cut = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                and "test_accuracy = " in mw.source(c)), None)
    assert cut is not None, f"{path.name}: no cell computes test_accuracy any more: update this test"
    nb["cells"] = nb["cells"][:cut + 1] + [
        {"cell_type": "code", "execution_count": None, "id": "test-result", "metadata": {},
         "outputs": [], "source": extra}]
    path.write_text(mw.dumps(nb), encoding="utf-8")


REPORT = f"""\
import json, pathlib, sys
print({RESULT!r} + json.dumps({{
    "accuracy": float(test_accuracy),
    "modules": {{m: getattr(sys.modules[m], "__file__", None) for m in sorted(sys.modules)
                if m.split(".")[0] == "mlpbook"}},
    "mine": str(pathlib.Path("my_mlpbook").resolve())}}))"""


# --- the bundle ----------------------------------------------------------------------------------

def test_bundle_holds_the_notebooks_the_wheel_and_a_readme(bundle):
    import mlpbook
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        readme = zf.read(next(n for n in names if n.endswith("/README.md"))).decode()
    top = names[0].split("/")[0]
    assert top == f"mlpbook-notebooks-{mlpbook.__version__}"
    assert f"{top}/mlpbook-{mlpbook.__version__}-py3-none-any.whl" in names
    stems = sorted(p.stem for p in (ROOT / "nbs").glob("*.ipynb"))
    assert sorted(Path(n).stem for n in names if n.startswith(f"{top}/reading/")) == stems
    tagged = sorted(p.stem for p in (ROOT / "nbs").glob("*.ipynb") if mw.workbook_names(_load(p)))
    assert sorted(Path(n).stem for n in names if n.endswith(".ipynb") and "/workbook/" in n) == tagged
    assert f"{top}/workbook/export_my_code.py" in names
    assert "USE_MY_CODE" in readme and "pip install" in readme
    for claim in (r"Colab", r"Binder", r"pip install mlpbook(?![-\w])"):
        assert not re.search(claim, readme), f"the bundle's README promises {claim!r}"


def test_bundle_runs_offline_from_an_empty_folder(bundle, reader_python, tmp_path):
    python, _ = reader_python
    home = tmp_path / "home"
    home.mkdir()
    probe = subprocess.run([str(python), "-c", "import mlpbook"], capture_output=True, cwd=home,
                           env=_offline_env(python, home))
    assert probe.returncode != 0, "the fresh environment already has mlpbook"
    top = _unpack(bundle, tmp_path / "reader")
    workbook = top / "workbook" / "01_layers.ipynb"
    _write_as_learner(workbook)
    first = _run(reader_python, workbook, home)
    shown = subprocess.run([str(python), "-m", "pip", "show", "-f", "mlpbook"], capture_output=True, text=True,
                           env=_offline_env(python, home))
    assert shown.returncode == 0, "the set-up cell did not install the bundle's wheel"
    assert str(python.parent.parent) in shown.stdout
    saved = top / "workbook" / "my_mlpbook" / "mlpbook" / "layers.py"
    assert saved.exists() and saved.read_text().startswith("# Your code"), first["stdout"][-2000:]
    reading = _run(reader_python, top / "reading" / "02_activations.ipynb", home)
    print(f"workbook 01_layers: {first['seconds']} s; reading 02_activations: {reading['seconds']} s")


# --- your own library ------------------------------------------------------------------------------

def test_the_learners_own_package_trains_fashion_mnist(bundle, reader_python, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    top = _unpack(bundle, tmp_path / "reader")
    chapters = sorted(p for p in (top / "workbook").glob("0[1-6]*.ipynb"))
    assert [p.stem for p in chapters][:2] == ["01_layers", "01b_gradcheck"] and chapters[-1].stem.startswith("06")
    *earlier, last = chapters
    reading = top / "reading" / last.name
    _until_test_accuracy(reading, REPORT)
    times, exported = {}, {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        book = None
        for path in earlier:
            nb = _write_as_learner(path)
            times[path.stem] = _run(reader_python, path, home)["seconds"]
            if any("export_chapter(" in mw.source(c) for c in nb["cells"]):
                module = next(line.split()[-1] for c in nb["cells"] for line in mw.source(c).splitlines()
                              if line.startswith("#| default_exp"))
                saved = top / "workbook" / "my_mlpbook" / "mlpbook" / f"{module}.py"
                assert saved.read_text().startswith("# Your code"), f"{path.stem} did not save {module}"
                exported[path.stem] = module
            if book is None:       # mlpbook is installed now: the book's run can go alongside
                book = pool.submit(_run, reader_python, reading, home)
        _write_as_learner(last)
        _until_test_accuracy(last, REPORT)
        mine_run = _run(reader_python, last, home)
        book_run = book.result()
    mine, ref = _result(mine_run["stdout"]), _result(book_run["stdout"])
    assert "runs on your own code" in mine_run["stdout"], "the set-up cell did not switch to the learner's package"
    foreign = {m: f for m, f in mine["modules"].items() if f and not f.startswith(mine["mine"])}
    assert not foreign, f"Chapter 6 imported modules from outside the learner's package: {foreign}"
    for module in exported.values():
        path = Path(mine["mine"]) / "mlpbook" / f"{module}.py"
        assert mine["modules"].get(f"mlpbook.{module}", str(path)) == str(path)
    assert not any(f.startswith(mine["mine"]) for f in ref["modules"].values() if f)
    print(f"chapters (s): {times}; saved modules: {sorted(set(exported.values()))}")
    print(f"Chapter 6 (quick): learner's package {mine['accuracy']:.4f} in {mine_run['seconds']} s, "
          f"the book's {ref['accuracy']:.4f} in {book_run['seconds']} s")
    assert mine["accuracy"] >= ref["accuracy"] - 0.002, (
        f"the learner's package reaches {mine['accuracy']:.4f}, the reading edition {ref['accuracy']:.4f}")
