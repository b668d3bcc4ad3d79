"""The forking runner of the mutation and alternative tests (tests/helpers/nbfork.py) gives
each variant what a fresh kernel would: the objects and the files of the cells before its
change, nothing that another variant did, and its own first error."""
import concurrent.futures
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nbfork
import nbrun

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "tiny_chapter.ipynb"


def notebook(*sources):
    "A notebook of code cells (and one Markdown cell first, so indices are checked)."
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# A chapter"}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": src} for src in sources]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def variant(nb, index, source):
    "A copy of `nb` with its code cell `index` (among the code cells) replaced."
    changed = json.loads(json.dumps(nb))
    [c for c in changed["cells"] if c["cell_type"] == "code"][index]["source"] = source
    return changed


def test_results_agree_with_a_fresh_kernel():
    nb = json.loads(FIXTURE.read_text(encoding="utf-8"))
    spec = json.loads((ROOT / "tests" / "fixtures" / "mutations" / "tiny_chapter.json").read_text())
    changed = [nbrun.replace_once(nb, m, "mutation") for m in spec]
    forked = nbfork.run_variants(nb, changed)
    for m, c, f in zip(spec, changed, forked):
        fresh = nbrun.execute(c)
        keys = ("ok", "cell", "ename", "evalue")
        assert [f.get(k) for k in keys] == [fresh.get(k) for k in keys], m["name"]


def test_a_variant_sees_earlier_state_and_files_but_no_other_variants_changes():
    nb = notebook(
        "import os, pathlib, tempfile\nstate = [1]\nd = tempfile.mkdtemp()\n"
        "pathlib.Path(d, 'a.txt').write_text('one')\npathlib.Path('here.txt').write_text('one')",
        "state.append(2)",
        "assert state == [1, 2], state\n"
        "assert pathlib.Path(d, 'a.txt').read_text() == 'one'\n"
        "assert pathlib.Path('here.txt').read_text() == 'one'\n"
        "assert sorted(os.listdir(d)) == ['a.txt'] and sorted(os.listdir('.')) == ['here.txt']")
    meddler = ("state.append(2)\npathlib.Path(d, 'a.txt').write_text('two')\n"
               "pathlib.Path(d, 'b.txt').write_text('new')\nos.remove('here.txt')\n"
               "pathlib.Path(tempfile.mkdtemp(), 'c.txt').write_text('mine')")
    wrong = "state.append(3)"
    honest = "state.append(1 + 1)"
    results = nbfork.run_variants(nb, [variant(nb, 1, meddler), variant(nb, 1, wrong),
                                       variant(nb, 1, honest)])
    assert not results[0]["ok"] and results[0]["ename"] == "AssertionError"
    assert results[0]["cell"] == 3                      # nb["cells"] counts the Markdown cell
    assert not results[1]["ok"] and results[1]["evalue"] == "[1, 3]"
    assert results[2]["ok"], results[2]                  # the meddler's files were put back


def test_a_variant_that_hangs_is_stopped_and_the_others_still_run():
    nb = notebook("x = 1", "y = x + 1", "assert y == 2")
    results = nbfork.run_variants(nb, [variant(nb, 1, "import time\ntime.sleep(60)"),
                                       variant(nb, 1, "y = 2")], timeout=3)
    assert not results[0]["ok"] and results[0]["ename"] == "RunnerError"
    assert "stopped after the timeout of 3 s" in results[0]["evalue"]
    assert results[1]["ok"]


def test_an_original_that_fails_before_the_change_is_reported_for_the_variant():
    nb = notebook("x = 1", "raise ValueError('the original is broken')", "y = 2")
    results = nbfork.run_variants(nb, [variant(nb, 0, "x = 2"), variant(nb, 2, "y = 3")])
    assert not results[0]["ok"] and results[0]["ename"] == "ValueError"   # its own run
    assert results[1]["ename"] == "OriginalFailed" and "OriginalFailed" in nbfork.NOT_RUN
    assert "the original is broken" in results[1]["evalue"]


def test_an_original_cell_that_hangs_stops_the_variants_after_it():
    nb = notebook("x = 1", "import time\ntime.sleep(60)", "y = 2")
    (result,) = nbfork.run_variants(nb, [variant(nb, 2, "y = 3")], timeout=3)
    assert result["ename"] == "OriginalFailed" and "CellTimeout" in result["evalue"]


def test_a_cell_that_catches_exception_cannot_swallow_its_deadline():
    nb = notebook("import time\ntry:\n    time.sleep(60)\nexcept Exception:\n    pass", "y = 2")
    (result,) = nbfork.run_variants(nb, [variant(nb, 1, "y = 3")], timeout=2)
    assert result["ename"] == "OriginalFailed" and "CellTimeout" in result["evalue"]


def test_a_variant_that_dies_says_how():
    nb = notebook("x = 1", "y = 2")
    (result,) = nbfork.run_variants(nb, [variant(nb, 1, "import os\nos._exit(3)")])
    assert result["ename"] == "RunnerError" and "exited with status 3" in result["evalue"]


def test_a_variant_with_a_syntax_error_fails_in_its_cell():
    nb = notebook("x = 1", "y = x")
    (result,) = nbfork.run_variants(nb, [variant(nb, 1, "y = (x")])
    assert not result["ok"] and result["ename"] == "SyntaxError" and result["cell"] == 2


def _alive(pid):
    "True while process `pid` runs (a zombie, ended but not yet reaped, is not alive)."
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state


def test_a_runner_ends_when_the_test_process_that_started_it_is_gone():
    runner = nbrun.WATCH_PARENT + "import time\ntime.sleep(60)\n"
    starter = ("import os, subprocess, sys\n"          # starts the runner, then is gone
               "env = dict(os.environ, MLPBOOK_TEST_PARENT=str(os.getpid()))\n"
               "p = subprocess.Popen([sys.executable, '-c', sys.argv[1]], start_new_session=True,\n"
               "                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)\n"
               "print(p.pid)\n")
    out = subprocess.run([sys.executable, "-c", starter, runner], capture_output=True, text=True,
                         timeout=30)
    pid = int(out.stdout)
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid), "the runner outlived the process that started it"


@pytest.fixture
def own_queue(monkeypatch):
    """start_queued() on a queue and a pool of this test's own: the session's pool is busy
    with the chapters' runs, queued before the first test."""
    monkeypatch.setattr(nbfork, "_QUEUED", {})
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    yield lambda: nbfork.start_queued(submit=lambda label, fn, *args: pool.submit(fn, *args))
    pool.shutdown(wait=False, cancel_futures=True)   # a stuck runner: the session kills it


def test_queued_variants_of_two_test_kinds_run_in_one_process_per_chapter(tmp_path, own_queue):
    "queue() from two callers, one start_queued(): each future gets its own variant's result."
    path = tmp_path / "chapter.ipynb"
    nb = notebook("import os\nx = 2", "assert x == 2, 'x must be 2'", "y = x + 1")
    path.write_text(json.dumps(nb), encoding="utf-8")
    wrong = nbfork.queue(path, variant(nb, 0, "import os\nx = 3"))     # a planted mistake
    right = nbfork.queue(path, variant(nb, 2, "y = 1 + x"))            # a correct alternative
    runs = own_queue()
    assert len(runs) == 1                                               # one run, not two
    assert wrong.result(timeout=120)["ename"] == "AssertionError"
    assert right.result(timeout=120)["ok"]
    runs[0].result(timeout=120)


def test_a_chapter_that_cannot_be_read_fails_every_queued_variant(tmp_path, own_queue):
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json", encoding="utf-8")
    futures = [nbfork.queue(path, notebook("x = 1")) for _ in range(2)]
    (run,) = own_queue()
    assert isinstance(run.exception(timeout=60), ValueError)
    for future in futures:
        assert isinstance(future.exception(timeout=60), ValueError)
