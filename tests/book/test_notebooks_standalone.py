"""Every chapter runs alone, as a reader runs it: no repository around it.

The package is built into a wheel and installed in a fresh virtual environment
(with only what a Jupyter kernel needs besides: ipykernel, nbclient, nbformat).
Each notebook is copied alone into an empty temporary folder and executed there
by that environment's kernel, with `MLPBOOK_BUILD=quick` (CONTRIBUTING.md, rule 9: the
long training runs may use fewer epochs; wall-clock targets are reported, not
asserted), no PYTHONPATH and a home directory of its own. Fashion-MNIST is
found by the loader's search order (Debian's copy under /usr/share/datasets).

A notebook passes when every cell runs and it leaves no file behind in its
folder (a cell that writes files does so inside a TemporaryDirectory).

The runs go to the pool that the notebook runs of the session share (tests/helpers/nbrun.py,
two at a time), submitted when the tests start, so they go on while other tests run.
"""
import atexit
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import nbrun

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
TIMEOUT = 1200

pytestmark = pytest.mark.slow

# Run by the fresh environment's Python: execute one notebook in its own folder.
RUNNER = r"""
import json, os, re, sys, tempfile, time, traceback
import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path, timeout = sys.argv[1], int(sys.argv[2])
nb = nbformat.read(path, as_version=4)
folder = os.path.dirname(path)
# IPC sockets, not TCP ports: kernels started at the same moment cannot race for a port.
sockets = os.path.dirname(folder)                  # beside the reader's folder, removed with it
km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
client = NotebookClient(nb, km=km, timeout=timeout, startup_timeout=120, kernel_name="python3",
                        allow_errors=False, resources={"metadata": {"path": folder}})
result = {"ok": True}
start = time.perf_counter()
try:
    client.execute()
except CellExecutionError as err:
    result = {"ok": False, "error": re.sub(r"\x1b\[[0-9;]*m", "", str(err))[-4000:]}
except Exception as err:
    result = {"ok": False, "error": traceback.format_exc()[-4000:]}
result["seconds"] = round(time.perf_counter() - start, 1)
result["left_behind"] = sorted(set(os.listdir(folder)) - {os.path.basename(path)})
print("RESULT " + json.dumps(result))
"""

KERNEL_PACKAGES = ["ipykernel", "nbclient", "nbformat"]


def _pinned(name):
    "The version the test environment itself has, so pip can take it from its cache."
    try:
        return f"{name}=={importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return name


_ENV = {}
_ENV_LOCK = threading.Lock()


def standalone_python():
    """A fresh venv with the built wheel installed, and nothing of the repository on its
    path; made by the first run that needs it, in a folder removed when Python exits."""
    with _ENV_LOCK:
        if "error" in _ENV:
            raise AssertionError(_ENV["error"])
        if "python" not in _ENV:
            try:
                _ENV["python"] = _make_env()
            except Exception as err:       # noqa: BLE001 (every run reports it; none retries)
                _ENV["error"] = f"the standalone environment could not be made: {err}"
                raise AssertionError(_ENV["error"]) from err
        return _ENV["python"]


def _make_env():
    work = Path(tempfile.mkdtemp(prefix="mlpbook-standalone-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    build = nbrun.run_process([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                               str(work / "dist"), str(ROOT)], 600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next((work / "dist").glob("mlpbook-*.whl"))
    env_dir = work / "venv"
    made = nbrun.run_process([sys.executable, "-m", "venv", str(env_dir)], 300)
    assert made.returncode == 0, made.stderr[-3000:]
    python = env_dir / "bin" / "python"
    no_path = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    install = nbrun.run_process([str(python), "-m", "pip", "install", "-q", str(wheel)]
                                + [_pinned(p) for p in KERNEL_PACKAGES], 900, env=no_path, cwd=work)
    assert install.returncode == 0, install.stderr[-3000:]
    (work / "runner.py").write_text(nbrun.WATCH_PARENT + RUNNER)
    return python, work / "runner.py"


def _clean_env(python, home):
    "What a reader's activated environment has: its own bin first on PATH, nothing of ours."
    # OPENBLAS_* are kept: where the machine sets them (to pick a BLAS kernel), every
    # run of the notebooks here must use the same kernel as the book build.
    env = {k: v for k, v in os.environ.items()
           if k in ("LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "PIP_FIND_LINKS", "PIP_INDEX_URL")
           or k.startswith("OPENBLAS_")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")   # two runs share the cores
    env.update(PATH=f"{python.parent}:/usr/local/bin:/usr/bin:/bin", VIRTUAL_ENV=str(python.parent.parent), HOME=str(home), MLPBOOK_BUILD="quick",
               MPLBACKEND="agg", PYTHONDONTWRITEBYTECODE="1")
    return env


def _run(notebook):
    python, runner = standalone_python()
    with tempfile.TemporaryDirectory(prefix="mlpbook-alone-") as tmp:
        folder, home = Path(tmp) / "reader", Path(tmp) / "home"
        folder.mkdir()
        home.mkdir()
        copy = folder / notebook.name
        shutil.copy(notebook, copy)
        start = time.perf_counter()
        res = nbrun.run_process([str(python), str(runner), str(copy), str(TIMEOUT)], TIMEOUT + 120,
                                cwd=folder, env=_clean_env(python, home))
        lines = [l for l in res.stdout.splitlines() if l.startswith("RESULT ")]
        if not lines:
            return {"ok": False, "error": f"runner failed (exit {res.returncode}):\n{res.stderr[-3000:]}",
                    "seconds": round(time.perf_counter() - start, 1), "left_behind": []}
        return json.loads(lines[-1][len("RESULT "):])


_RUNS = {}


def _size(path):
    return path.stat().st_size if path.exists() else 0


def _make_env_early():
    "Build the environment while the pool works on other runs (an error is kept for them)."
    try:
        standalone_python()
    except AssertionError:            # kept in _ENV: every run reports it
        pass


def start_runs(items):
    """Submit the selected notebooks among `items` to nbrun's pool, the largest first, and
    start building the wheel's environment beside the pool, so that no worker of the pool
    waits for it; called by tests/conftest.py when the tests start."""
    selected = {item.callspec.params["notebook"] for item in items
                if getattr(item, "originalname", "") == "test_notebook_runs_alone_in_an_empty_folder"}
    selected = sorted((nb for nb in selected if nb.name not in _RUNS), key=lambda nb: -_size(nb))
    if selected and not _ENV:
        nbrun.start_beside(_make_env_early)
    for nb in selected:
        _RUNS[nb.name] = nbrun.submit(f"standalone: {nb.stem}", _run, nb)


@pytest.fixture(scope="session")
def executions(request):
    if not _RUNS:
        start_runs(request.session.items)
    return _RUNS


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_alone_in_an_empty_folder(executions, notebook):
    result = executions[notebook.name].result()
    print(f"{notebook.name}: {result['seconds']} s")
    assert result["ok"], f"{notebook.name} fails when run alone against the installed wheel:\n{result['error']}"
    assert not result["left_behind"], (
        f"{notebook.name} left files in the reader's folder: {result['left_behind']} "
        "(write them inside a tempfile.TemporaryDirectory())")
