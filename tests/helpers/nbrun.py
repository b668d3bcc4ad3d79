"""Execute a notebook in a fresh kernel, in an empty temporary folder, stopping at the first error.

Shared by the mutation, alternative and workbook tests. The kernel is the test environment's
Python with the repository on PYTHONPATH (so later chapters import this
checkout's `mlpbook`) and `MLPBOOK_BUILD=quick`. Each run is a subprocess, so
several can run at once from threads.
"""
import concurrent.futures
import copy
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_RUNNER = r"""
import json, os, re, sys, tempfile
import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path, timeout = sys.argv[1], int(sys.argv[2])
nb = nbformat.read(path, as_version=4)
# IPC sockets, not TCP ports: kernels started at the same moment cannot race for a port.
km = KernelManager(kernel_name="python3", transport="ipc",
                   ip=os.path.join(os.path.dirname(os.path.abspath(path)), "kernel"))
client = NotebookClient(nb, km=km, timeout=timeout, startup_timeout=120, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[3]}})
out = {"ok": True}
try:
    client.execute()
except CellExecutionError as err:
    index = next((i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"
                  and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    out = {"ok": False, "ename": err.ename, "evalue": err.evalue, "cell": index,
           "traceback": re.sub(r"\x1b\[[0-9;]*m", "", str(err))[-3000:]}
print("RESULT " + json.dumps(out))
"""


_POOL = None
_RUNNING = set()                  # the process groups of the runs going on now
_STOPPING = False                 # set while shutdown_pool() stops them
_LOCK = threading.Lock()


def pool():
    """The one pool that the notebook runs of a test session share, two runs at a time:
    the mutation, alternative and standalone tests submit to it when the tests start
    (tests/conftest.py), so it works while the other tests run."""
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    return _POOL


TIMES = []                        # (label, seconds) of each finished run, for the summary
_THREADS = []                     # work started beside the pool (start_beside)


def start_beside(fn):
    """Run fn() in a thread beside the pool (work that would hold up a worker, such as
    building an environment every run needs); shutdown_pool() waits for it."""
    thread = threading.Thread(target=fn, daemon=True)
    _THREADS.append(thread)
    thread.start()


def submit(label, fn, *args):
    """Submit fn(*args) to the pool; its time is recorded under `label` (the test
    session's summary lists the longest runs: they set how long the session takes)."""
    def timed():
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            TIMES.append((label, time.perf_counter() - start))
    return pool().submit(timed)


def shutdown_pool():
    """Stop the session's runs: the waiting ones are cancelled, the running ones killed
    with their process groups (a runner and the children it forked; a Jupyter kernel
    follows its runner out through ipykernel's parent poller), and no new one starts, so a
    session that ends early (-x, an interrupt) does not wait for them."""
    global _POOL, _STOPPING
    with _LOCK:
        _STOPPING = True
        groups = list(_RUNNING)
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if _POOL is not None:
        _POOL.shutdown(wait=True)
        _POOL = None
    for thread in _THREADS:           # its process was killed above; no new one starts
        thread.join(timeout=60)
    _THREADS.clear()
    with _LOCK:
        _STOPPING = False


class Stopped(Exception):
    "The test session is ending: no new run starts."


def run_process(cmd, timeout, **kwargs):
    """subprocess.run(cmd, capture_output=True, text=True) in a process group of its own,
    with no stdin. On `timeout` the whole group is killed and subprocess.TimeoutExpired
    raised; on any other exception (an interrupt) it is killed too. shutdown_pool() kills
    the groups still running, and refuses new ones (Stopped)."""
    env = dict(kwargs.pop("env", None) or os.environ, MLPBOOK_TEST_PARENT=str(os.getpid()))
    with _LOCK:
        if _STOPPING:
            raise Stopped(f"the test session is ending: {cmd[0]} not started")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env=env, **kwargs)
        _RUNNING.add(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise
    finally:
        with _LOCK:
            _RUNNING.discard(proc.pid)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# A runner ends itself when the test process that started it (MLPBOOK_TEST_PARENT, set by
# run_process) is gone, killed before it could stop its runs: runners live in process
# groups of their own, which a signal to the test's group does not reach.
WATCH_PARENT = """
import os as _os, threading as _threading, time as _time
def _watch(parent=int(_os.environ.get("MLPBOOK_TEST_PARENT", _os.getppid()))):
    while _os.getppid() == parent:
        _time.sleep(1)
    _os._exit(1)
_threading.Thread(target=_watch, daemon=True).start()
"""


def kernel_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                                      if p and Path(p).resolve() != ROOT])
    env.update(MLPBOOK_BUILD="quick", MPLBACKEND="agg", PYTHONDONTWRITEBYTECODE="1")
    # Two runs share the cores (the mutation and workbook tests): one BLAS thread each,
    # or their threads fight for the cores and every run slows down many times over.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env.update(extra)
    return env


def execute(nb, timeout=900):
    """Run notebook `nb` (a dict); returns {"ok", "seconds"} and, on an error, the failing
    cell's index, "ename", "evalue" and the traceback."""
    with tempfile.TemporaryDirectory(prefix="mlpbook-nbrun-") as tmp:
        tmp = Path(tmp)
        work = tmp / "work"
        work.mkdir()
        path = tmp / "notebook.ipynb"
        path.write_text(json.dumps(nb), encoding="utf-8")
        (tmp / "runner.py").write_text(WATCH_PARENT + _RUNNER)
        start = time.perf_counter()
        res = run_process([sys.executable, str(tmp / "runner.py"), str(path), str(timeout), str(work)],
                          timeout + 120, cwd=work, env=kernel_env())
        lines = [l for l in res.stdout.splitlines() if l.startswith("RESULT ")]
        if not lines:
            out = {"ok": False, "ename": "RunnerError", "evalue": res.stderr[-3000:], "cell": None,
                   "traceback": res.stderr[-3000:]}
        else:
            out = json.loads(lines[-1][len("RESULT "):])
        out["seconds"] = round(time.perf_counter() - start, 1)
        return out


def code_source(nb):
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def replace_once(nb, change, kind):
    """A copy of notebook `nb` (a dict) with change["find"] replaced by change["replace"] in
    the one code cell that holds it; `find` must occur exactly once in the code cells.
    `kind` names the change in the error ("mutation", "alternative")."""
    hits = sum(src.count(change["find"]) for src in code_source(nb))
    assert hits == 1, (f"{kind} {change['name']!r}: `find` must occur exactly once in the code cells, "
                       f"found {hits} times: {change['find']!r}")
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and change["find"] in src:
            cell["source"] = src.replace(change["find"], change["replace"])
    return nb
