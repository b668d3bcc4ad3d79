"""Execute every notebook of the book afresh, several at a time, into the build's cache.

`make html` runs this, then `jupyter-book build`, which finds each notebook's outputs in
the cache (_config.yml: execute_notebooks: cache) and executes nothing itself. Jupyter
Book alone runs the notebooks one after another; here they run side by side, one per
core (at most four), which is what makes the build fit the time CI gives it.

Every build starts from an empty cache, so every number and figure is made by this build:
a notebook whose code did not change still prints what the library computes today.

Running side by side, each notebook gets one BLAS thread, so two kernels never fight over
a core. Chapters that measure the machine itself run alone, first, with every thread
(ALONE): Chapter 8 times two-thread matrix products and memory bandwidth, which another
process on the machine would change. The other chapters that time code compare two ways
of doing the same work on one thread, side by side, and are not changed by a neighbour on
another core.

Usage: python tools/execute_book.py [--jobs N]. Exits 1 if a notebook fails, after the
others have run, naming the cell and the error, as `jupyter-book build -W` would.
"""
import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import nbformat
import yaml

import figure_text                   # tools/: the kernels record each figure's text size

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
ALONE = ("nbs/08_performance.ipynb",)
# The longest runs, longest first (about 185, 130, 45, 33 and 31 s in book mode), started
# before the others so that no long run ends last with the other core idle. The order
# changes only how long the build takes.
FIRST = ("nbs/06_fashion_mnist.ipynb", "nbs/07a_estimators.ipynb", "nbs/09_autograd.ipynb",
         "nbs/05d_examples.ipynb", "nbs/07_rbf.ipynb")
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                     "MKL_NUM_THREADS")}


def book_notebooks():
    "The notebooks the table of contents lists (_toc.yml), as paths relative to ROOT."
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                path = ROOT / (str(node["file"]) + ".ipynb")
                if path.exists():
                    found.append(path.relative_to(ROOT).as_posix())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))
    return found


def config():
    "The execution settings of _config.yml: (timeout, allow_errors)."
    execute = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["execute"]
    return int(execute.get("timeout", 30)), bool(execute.get("allow_errors", False))


def cores():
    "The cores this process may run on (its CPU affinity, where the system reports it)."
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def execute(name, one_thread):
    """Execute notebook `name` in its own folder, as Jupyter Book would; returns
    (name, executed notebook, seconds, error text or None). Runs in a worker process."""
    from jupyter_cache.executors.utils import single_nb_execution
    from jupyter_client import KernelManager

    if one_thread:
        os.environ.update(ONE_THREAD)              # the kernel inherits the environment
    path = ROOT / name
    nb = nbformat.read(path, as_version=4)
    timeout, allow_errors = config()
    with tempfile.TemporaryDirectory(prefix="mlpbook-kernel-") as sockets:
        # IPC sockets, not TCP ports: kernels started at the same moment cannot race
        # for a port.
        kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
        km = KernelManager(kernel_name=kernel, transport="ipc",
                           ip=os.path.join(sockets, "kernel"))
        try:
            result = single_nb_execution(nb, cwd=str(path.parent), timeout=timeout,
                                         allow_errors=allow_errors, meta_override=True,
                                         km=km)
        finally:                                   # a client given a km leaves it running
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    error = None if result.err is None else result.exc_string
    return name, result.nb, result.time, error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=min(4, cores()),
                        help="notebooks run at once (default: one per core, at most 4)")
    args = parser.parse_args(argv)
    # The book's mode (CONTRIBUTING.md, rule 9), whatever the shell had: the cache does not
    # know which mode made its outputs, and the book shows them.
    os.environ["MLPBOOK_BUILD"] = "book"
    figure_text.point_kernels_here()                # as the Sphinx build's kernels do

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    shutil.rmtree(CACHE, ignore_errors=True)
    cache = get_cache(str(CACHE))
    names = book_notebooks()
    alone = [n for n in names if n in ALONE]
    together = ([n for n in FIRST if n in names]
                + [n for n in names if n not in ALONE and n not in FIRST])
    failures = []
    start = time.perf_counter()

    def store(name, nb, seconds, error):
        if error is not None:
            failures.append((name, error))
            print(f"FAILED   {name} after {seconds:.0f} s", flush=True)
            return
        uri = str(ROOT / name)
        cache.add_nb_to_project(uri)
        cache.cache_notebook_bundle(CacheBundleIn(nb, uri, data={"execution_seconds": seconds}),
                                    check_validity=False, overwrite=True)
        print(f"executed {name} in {seconds:.1f} s", flush=True)

    # A fresh process per notebook (max_tasks_per_child=1): nothing a notebook's
    # execution leaves in its worker reaches the next one.
    for group, jobs, one_thread in ((alone, 1, False), (together, args.jobs, args.jobs > 1)):
        if not group:
            continue
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs,
                                                    max_tasks_per_child=1) as pool:
            futures = {pool.submit(execute, name, one_thread): name for name in group}
            for future in concurrent.futures.as_completed(futures):
                try:
                    store(*future.result())
                except Exception:          # noqa: BLE001 (a kernel that died, or no kernel)
                    store(futures[future], None, 0.0, traceback.format_exc())

    print(f"{len(names) - len(failures)} of {len(names)} notebooks executed in "
          f"{time.perf_counter() - start:.0f} s ({args.jobs} at a time)", flush=True)
    for name, error in failures:
        print(f"\n{name} failed:\n{error[-4000:]}", file=sys.stderr)
    if failures:
        return 1
    # Jupyter Book must find every notebook in the cache, or it would run it again.
    for name in names:
        try:
            cache.match_cache_notebook(nbformat.read(ROOT / name, as_version=4))
        except KeyError:
            print(f"{name}: executed, but not found in the cache", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
