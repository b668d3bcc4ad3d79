"""Fixtures every test folder shares, and the place of the shared helpers.

Tests live in tests/lib/<module>/ (the library), tests/book/ (the book's artefacts) and
tests/package/ (the wheel). Files in different folders share names (each module has its
own test_misuse.py), so pytest imports them with --import-mode=importlib (pyproject.toml)
and needs no __init__.py files; in that mode no test folder is put on sys.path, so the
helper modules of tests/helpers/ (nbrun: run a notebook in a fresh kernel) are put there
here and imported by name: `import nbrun`.
"""
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "helpers"))

# Modules whose tests wait for notebook runs (each defines start_runs(items)): their runs
# are submitted to the pool of nbrun when the tests start, and their tests go last, so
# that the runs go on while every other test runs. The first two queue their variants of
# the chapters (nbfork.queue), which then run one process per chapter for both; the
# chapters run alone against the wheel after them.
NOTEBOOK_RUNS = ("test_mutations.py", "test_alternatives.py", "test_notebooks_standalone.py")


def _runs_notebooks(item):
    return item.path.name in NOTEBOOK_RUNS and item.path.parent.name == "book"


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=_runs_notebooks)          # stable: the order within each part is kept


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    """Start the notebook runs, unless no test will run (--collect-only, --setup-plan,
    --setup-only, collection errors; with --continue-on-collection-errors the fixtures
    start them when their tests come)."""
    option = session.config.option
    if (option.collectonly or getattr(option, "setupplan", False)
            or getattr(option, "setuponly", False) or session.testsfailed):
        return None
    import nbfork
    modules = {}
    for item in session.items:
        if _runs_notebooks(item):
            modules[item.path.name] = item.module
    for name in NOTEBOOK_RUNS:
        if name in modules:
            modules[name].start_runs(session.items)
        if name == "test_alternatives.py":
            nbfork.start_queued()            # the variants' runs, the longest, go first
    return None


def pytest_sessionfinish(session, exitstatus):
    import nbrun
    nbrun.shutdown_pool()


def pytest_terminal_summary(terminalreporter):
    "The longest notebook runs of the session's pool, which --durations does not show."
    import nbrun
    if nbrun.TIMES:
        longest = sorted(nbrun.TIMES, key=lambda t: -t[1])[:10]
        terminalreporter.write_sep("=", f"notebook runs: {len(nbrun.TIMES)}, "
                                        f"{sum(t for _, t in nbrun.TIMES):.0f} s in all")
        for label, seconds in longest:
            terminalreporter.write_line(f"{seconds:7.1f}s  {label}")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def spirals():
    """Three interleaved spirals (100 points each), split 80/20 into training and
    validation sets: the Trainer's and callbacks' small classification problem."""
    from mlpbook.data import ArrayDataset, make_spirals, random_split
    X, y = make_spirals(n_per_class=100, rng=0)
    train, val = random_split(ArrayDataset(X, y), [0.8, 0.2], rng=1)
    return train, val


@pytest.fixture(scope="session")
def pdf_printed():
    """Wait for the PDF of the book if it is being printed beside the tests: `make test`
    starts the tests once the site is built and prints the PDF meanwhile, then writes its
    exit status to the file MLPBOOK_PDF_STATUS names (whole, by a rename). Returns that
    status as text ("0": printed), or None where nothing is printed beside the tests
    (`make book` prints the PDF before it returns). Tests that read the PDF check it;
    the others only wait."""
    status = os.environ.get("MLPBOOK_PDF_STATUS")
    if not status:
        return None
    status = Path(status)
    deadline = time.monotonic() + 1800        # make_pdf.py stops Chromium after 900 s
    while not status.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the PDF printed beside the tests did not finish: no {status} after 1800 s")
        time.sleep(1)
    return status.read_text().strip()


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the oracle for parity tests; those tests skip where it is absent."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity tests skipped "
                                "(pip install torch==2.13.0 to run them)")
    torch.set_default_dtype(torch.float64)
    return torch


# Property-based tests: derandomized by default, so `make test` and CI see the same
# examples on every run (a failure is reproducible, never a one-off). Set
# HYPOTHESIS_PROFILE=explore to draw fresh random examples while developing.
try:
    from hypothesis import settings

    settings.register_profile("repeatable", derandomize=True, deadline=None, database=None)
    settings.register_profile("explore", deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
except ImportError:   # hypothesis is a dev extra; the property tests skip without it
    pass
