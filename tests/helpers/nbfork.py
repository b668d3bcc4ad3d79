"""Run many variants of one notebook, sharing the cells they have in common.

A variant is the notebook with some of its code cells rewritten: a planted mistake
(tests/book/test_mutations.py) or a correct alternative (tests/book/test_alternatives.py).
Running each variant in a fresh kernel executes the cells before its change once per
variant, and starts a kernel each time; for a chapter with thirty variants that is most
of the work.

Here one process executes the chapter's original code cells in order, in an IPython shell
(what a Jupyter kernel runs cells with, without the messaging). Just before the first cell
a variant rewrites, the process forks: the child has every object the cells before made,
exactly as a fresh run would have them at that point, and goes on with the variant's
cells, to the end or to the first error; the parent waits for it, then runs the original
cell and goes on. Children run one at a time, so one runner uses one core; run two
runners (two chapters) at once to use two.

A child works in the same folders as the parent: the working folder and TMPDIR (a folder
of the runner's own, so every temporary folder a cell makes is inside it). Before it
forks, the parent copies both aside; when the child is done, it puts them back as they
were, so a file a child wrote, changed or removed is not seen by the parent or the next
child, and every child finds the files a fresh run would find.

What differs from a kernel, and why no chapter minds: there is no Jupyter messaging
(get_ipython() is an InteractiveShell without the kernel's config, so a progress bar is
text; stdin is empty); the `random` module is reseeded in a child (no chapter draws from
it); threads that a cell started before a fork point do not exist in the child (no
chapter keeps a thread pool across cells); files a cell left open share their offsets.

The test modules do not call run_variants per chapter themselves: they queue() their
variants and start_queued() submits one run per chapter to nbrun's pool, so that a
chapter's mutants and its correct alternatives share the cells before their changes.

`run_variants(nb, variants)` returns one result per variant, in the shape of
`nbrun.execute`: {"ok", "seconds"} and, on an error, "cell" (the index in nb["cells"]),
"ename", "evalue", "traceback".
"""
import concurrent.futures
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbrun

# The names of the errors that mean a variant did not run to its end or to a check of the
# chapter: a planted mistake must never count as caught by one of these.
NOT_RUN = ("OriginalFailed", "RunnerError")

_RUNNER = r'''
import json, os, shutil, signal, sys, tempfile, time, traceback
spec = json.load(open(sys.argv[1], encoding="utf-8"))
results_path, TMP, SNAPSHOT = sys.argv[2], sys.argv[3], sys.argv[4]
cells, variants, timeout = spec["cells"], spec["variants"], spec["timeout"]
os.environ["TMPDIR"] = tempfile.tempdir = TMP
HERE = os.getcwd()

from traitlets.config import Config
from IPython.core.interactiveshell import InteractiveShell
config = Config()
config.HistoryManager.enabled = False          # no SQLite thread to carry across fork()
shell = InteractiveShell.instance(config=config)


def run(source):
    "Execute one cell; the exception it raised, or None."
    result = shell.run_cell(source, store_history=False)
    return result.error_before_exec or result.error_in_exec


class CellTimeout(BaseException):
    "Not an Exception: a cell's `except Exception` cannot swallow its deadline."


def too_long(signum, frame):
    signal.alarm(5)                               # again, should a cell catch this one
    raise CellTimeout(f"the cell ran for more than {timeout} s")


def run_original(source):
    "Execute one cell of the original, stopped with a TimeoutError after `timeout` s."
    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(timeout)
    try:
        return run(source)
    finally:
        signal.alarm(0)


def failure(err, index):
    return {"ok": False, "ename": type(err).__name__, "evalue": str(err), "cell": index,
            "traceback": "".join(traceback.format_exception(err))[-3000:]}


def report(result):
    with open(results_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")


def copy_folder(source, target):
    "Make folder `target` hold exactly what folder `source` holds (both exist)."
    for name in os.listdir(target):
        path = os.path.join(target, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)


def snapshot():
    "Copy the working folder and TMPDIR aside, as they are before a fork."
    shutil.rmtree(SNAPSHOT, ignore_errors=True)
    for name, folder in (("work", HERE), ("tmp", TMP)):
        os.makedirs(os.path.join(SNAPSHOT, name))
        copy_folder(folder, os.path.join(SNAPSHOT, name))


def restore():
    "Put the working folder and TMPDIR back as snapshot() found them."
    for name, folder in (("work", HERE), ("tmp", TMP)):
        copy_folder(os.path.join(SNAPSHOT, name), folder)


def fork_variant(variant, first):
    "Run `variant` from cell `first` on, in a child process; its result."
    fd, out_path = tempfile.mkstemp(prefix="result-", suffix=".json", dir=os.path.dirname(TMP))
    os.close(fd)
    log_path = out_path[:-len(".json")] + ".txt"
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:                                  # the child: the variant from `first` on
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)   # ends the child if it is left alone
            signal.alarm(timeout + 30)
            log = os.open(log_path, os.O_WRONLY | os.O_CREAT)
            os.dup2(log, 1)
            os.dup2(log, 2)
            sys.stdout = open(1, "w", buffering=1, closefd=False)    # line by line: a child
            sys.stderr = open(2, "w", buffering=1, closefd=False)    # killed keeps its log
            result = {"ok": True}
            for index in range(first, len(cells)):
                err = run(variant["cells"].get(str(index), cells[index]))
                if err is not None:
                    result = failure(err, index)
                    break
            with open(out_path, "w", encoding="utf-8") as f:
                json.dump(result, f)
        finally:
            os._exit(0)
    deadline = time.monotonic() + timeout
    killed = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            killed = True
            break
        time.sleep(0.02)
    try:
        with open(out_path, encoding="utf-8") as f:
            result = json.load(f)
    except (OSError, ValueError):
        try:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                tail = f.read()[-3000:]
        except OSError:
            tail = ""
        how = (f"was stopped after the timeout of {timeout} s" if killed else
               f"was ended by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else
               f"exited with status {os.waitstatus_to_exitcode(status)}")
        result = {"ok": False, "ename": "RunnerError", "cell": None,
                  "evalue": f"the variant's process {how}, without a result",
                  "traceback": tail}
    for path in (out_path, log_path):
        if os.path.exists(path):
            os.unlink(path)
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


starts = {}
for n, variant in enumerate(variants):
    starts.setdefault(min(int(k) for k in variant["cells"]), []).append(n)
last = max(starts)
for index, source in enumerate(cells):
    if index in starts:
        snapshot()
        for n in starts[index]:
            report({"n": n, **fork_variant(variants[n], index)})
            restore()
    if index == last:
        break
    err = run_original(source)
    if err is not None:                           # the original stops: later variants cannot run
        base = failure(err, index)
        for later in sorted(k for k in starts if k > index):
            for n in starts[later]:
                report({"n": n, **base, "seconds": 0.0, "ename": "OriginalFailed",
                        "evalue": f"the original chapter stopped before the variant's change, "
                                  f"in code cell {index}: {base['ename']}: {base['evalue']}"})
        break
'''


def _code_cells(nb):
    "Indices into nb['cells'] of the code cells, and their sources."
    index = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    return index, nbrun.code_source(nb)


def variant_of(nb, changed):
    """The variant of `nb` that notebook `changed` is: its code cells that differ, by their
    position among the code cells. Both must have the same number of code cells."""
    _, base = _code_cells(nb)
    _, new = _code_cells(changed)
    assert len(base) == len(new), "a variant keeps the notebook's code cells (it rewrites them)"
    cells = {str(i): src for i, (old, src) in enumerate(zip(base, new)) if old != src}
    assert cells, "a variant changes at least one code cell"
    return cells


def run_variants(nb, changed, timeout=900):
    """Execute every notebook of `changed` (rewritten copies of `nb`), sharing the cells
    before each one's first change. One result per notebook, in order, each as
    `nbrun.execute` returns it."""
    index, base = _code_cells(nb)
    variants = [{"cells": variant_of(nb, c)} for c in changed]
    timeout = int(timeout)                        # signal.alarm takes whole seconds
    with tempfile.TemporaryDirectory(prefix="mlpbook-nbfork-") as tmp:
        tmp = Path(tmp)
        work = tmp / "work"
        work.mkdir()
        (tmp / "tmp").mkdir()
        (tmp / "runner.py").write_text(nbrun.WATCH_PARENT + _RUNNER, encoding="utf-8")
        (tmp / "spec.json").write_text(json.dumps({"cells": base, "variants": variants,
                                                   "timeout": timeout}), encoding="utf-8")
        results = tmp / "results.jsonl"
        results.touch()
        start = time.perf_counter()
        cmd = [sys.executable, str(tmp / "runner.py"), str(tmp / "spec.json"), str(results),
               str(tmp / "tmp"), str(tmp / "snapshot")]
        # Each original cell and each variant has `timeout`; the whole run, four times that
        # (a chapter's runs take minutes): reached only by a runner stuck outside them.
        bound = 4 * timeout + 120
        try:
            res = nbrun.run_process(cmd, bound, cwd=work,
                                    env=nbrun.kernel_env(IPYTHONDIR=str(tmp / "ipython")))
        except subprocess.TimeoutExpired as err:
            res = subprocess.CompletedProcess(cmd, None, err.stdout or "",
                                              f"the runner was stopped after {bound} s")
        found = {}
        for line in results.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(line)
            except ValueError:                    # a line cut short by a killed runner
                continue
            found[r.pop("n")] = r
    out = []
    for n in range(len(variants)):
        r = found.get(n)
        if r is None:
            r = {"ok": False, "ename": "RunnerError", "cell": None, "seconds": 0.0,
                 "evalue": f"the runner stopped (exit {res.returncode}) before this variant ran "
                           f"({round(time.perf_counter() - start)} s in)",
                 "traceback": (res.stderr or res.stdout)[-3000:]}
        elif r.get("cell") is not None:
            r["cell"] = index[r["cell"]]          # the index in nb["cells"], as nbrun reports
        out.append(r)
    return out


# --- one run per chapter for the variants of every test module --------------------------------

_QUEUED = {}                      # notebook path -> [(rewritten notebook, Future of its result)]


def queue(nb_path, changed):
    """A Future of the result of notebook `changed`, a rewritten copy of the notebook at
    `nb_path`, run by the next start_queued(). The mutation and the alternative tests
    queue their variants first, so that each chapter's cells before the changes run once
    for both."""
    future = concurrent.futures.Future()
    _QUEUED.setdefault(nb_path, []).append((changed, future))
    return future


def failed(err):
    "A Future that holds the exception `err`: a variant that could not be queued."
    future = concurrent.futures.Future()
    future.set_exception(err)
    return future


def start_queued(submit=None):
    """Submit the queued variants, one run_variants per chapter, the largest chapters
    first, to nbrun's pool (or with `submit(label, fn, *args)`); returns the futures of
    the chapters' runs."""
    submit = submit or nbrun.submit
    chapters = sorted(_QUEUED.items(),
                      key=lambda kv: -(kv[0].stat().st_size if kv[0].exists() else 0))
    _QUEUED.clear()
    return [submit(f"variants: {nb_path.stem}", _run_queued, nb_path, queued)
            for nb_path, queued in chapters]


def _run_queued(nb_path, queued):
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        results = run_variants(nb, [changed for changed, _ in queued])
    except BaseException as err:               # every test of the chapter reports it
        for _, future in queued:
            future.set_exception(err)
        raise
    for (_, future), result in zip(queued, results):
        future.set_result(result)
