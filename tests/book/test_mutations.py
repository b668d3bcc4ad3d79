"""The reader's own code is what gets checked: a wrong central formula fails its chapter.

Each `tests/book/mutations/<notebook stem>.json` lists mutations of `nbs/<stem>.ipynb`:

    [{"name": "...", "find": "<exact code>", "replace": "<wrong code>", "expect": "<regex>"}]

For each, a copy of the notebook with `find` replaced (it must occur exactly
once in the code cells) is executed, and must stop at an error whose
"<ExceptionName>: <message>" matches `expect`: a cell of the chapter notices the
mistake and says what is wrong.

The mutants of a chapter run in one process (tests/helpers/nbfork.py), with the
chapter's correct alternatives (tests/book/test_alternatives.py): the chapter's cells
before a mutant's change run once, and the mutant goes on from there in a forked copy of
that process, in quick mode, as a fresh kernel would run it. Two chapters run at a time.
"""
import json
import re
from pathlib import Path

import pytest

import nbfork
import nbrun

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "tests" / "book" / "mutations").glob("*.json"))
FIXTURE = ROOT / "tests" / "fixtures" / "tiny_chapter.ipynb"
FIXTURE_SPEC = ROOT / "tests" / "fixtures" / "mutations" / "tiny_chapter.json"
KEYS = {"name", "find", "replace", "expect"}


def load_spec(path):
    spec = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(spec, list) and spec, f"{path.name}: a non-empty list of mutations"
    for m in spec:
        assert set(m) == KEYS, f"{path.name}: each mutation has exactly the keys {sorted(KEYS)}, got {sorted(m)}"
        re.compile(m["expect"])
        assert m["find"] != m["replace"], f"{path.name}: {m['name']!r} changes nothing"
    names = [m["name"] for m in spec]
    assert len(set(names)) == len(names), f"{path.name}: two mutations share a name"
    return spec


def mutate(nb, mutation):
    "A copy of `nb` with the mutation applied to the one code cell that contains `find`."
    return nbrun.replace_once(nb, mutation, "mutation")


def check_mutant(nb, mutation, result=None):
    """Raise AssertionError unless the mutant (run now, or its `result` of
    nbfork.run_variants) fails with the expected message."""
    result = result or nbfork.run_variants(nb, [mutate(nb, mutation)])[0]
    name = mutation["name"]
    assert not result["ok"], f"mutation {name!r} ran without any error: no cell notices the mistake"
    assert result["ename"] not in nbfork.NOT_RUN, (
        f"mutation {name!r} did not run to a check: {result['ename']}: {result['evalue']}")
    message = f"{result['ename']}: {result['evalue']}"
    assert re.search(mutation["expect"], message), (
        f"mutation {name!r} failed in cell {result['cell']} with\n  {message[:600]}\n"
        f"which does not match {mutation['expect']!r}\n{result['traceback'][-1500:]}")
    return result


def _cases():
    for path in SPECS:
        nb_path = ROOT / "nbs" / f"{path.stem}.ipynb"
        for m in load_spec(path):
            yield pytest.param(nb_path, m, id=f"{path.stem}:{m['name']}")


CASES = list(_cases())


_RUNS = {}                        # (notebook name, mutation name) -> Future of its result


def start_runs(items):
    """Queue the selected mutants among `items` (tests/helpers/nbfork.py: each chapter's
    variants, these and the alternatives', run in one process); called by
    tests/conftest.py when the tests start, before nbfork.start_queued(). A spec that
    does not apply fails its own test."""
    notebooks = {}
    for item in items:
        if getattr(item, "originalname", "") != "test_mutant_fails_with_a_readable_message":
            continue
        nb_path, mutation = item.callspec.params["notebook"], item.callspec.params["mutation"]
        key = (nb_path.name, mutation["name"])
        if key not in _RUNS:
            try:
                if nb_path not in notebooks:
                    notebooks[nb_path] = json.loads(nb_path.read_text(encoding="utf-8"))
                changed = mutate(notebooks[nb_path], mutation)
            # A missing notebook or a stale spec fails this test only; the others run.
            except Exception as err:      # noqa: BLE001
                _RUNS[key] = nbfork.failed(err)
            else:
                _RUNS[key] = nbfork.queue(nb_path, changed)


@pytest.fixture(scope="module")
def mutant_results(request):
    "The future of each selected mutant's result, by (notebook name, mutation name)."
    if not _RUNS:
        start_runs(request.session.items)
        nbfork.start_queued()
    return _RUNS


# The central formulas of the book: a wrong backward, a missing bias correction, a dropped
# 1/N, a wrong mask. Their chapters must carry mutation specs.
CENTRAL = ["01_layers", "03_losses", "04_optimizers", "05e_regularization"]


@pytest.mark.parametrize("stem", CENTRAL)
def test_central_chapters_have_mutation_specs(stem):
    path = ROOT / "tests" / "book" / "mutations" / f"{stem}.json"
    assert path.exists(), f"no {path.relative_to(ROOT)}: add the chapter's mutations (CONTRIBUTING.md, rule 7)"
    load_spec(path)


def test_every_spec_names_a_notebook():
    for path in SPECS:
        assert (ROOT / "nbs" / f"{path.stem}.ipynb").exists(), f"{path.name}: no nbs/{path.stem}.ipynb"


@pytest.mark.slow
@pytest.mark.parametrize("notebook,mutation", CASES)
def test_mutant_fails_with_a_readable_message(notebook, mutation, mutant_results):
    result = mutant_results[(notebook.name, mutation["name"])].result()
    print(f"{notebook.name} / {mutation['name']}: failed in cell {result.get('cell')} after {result['seconds']} s")
    assert not result["ok"], f"mutation {mutation['name']!r} of {notebook.name} ran without any error"
    assert result["ename"] not in nbfork.NOT_RUN, (
        f"mutation {mutation['name']!r} of {notebook.name} did not run to a check: "
        f"{result['ename']}: {result['evalue']}\n{result['traceback'][-1500:]}")
    message = f"{result['ename']}: {result['evalue']}"
    assert re.search(mutation["expect"], message), (
        f"mutation {mutation['name']!r} of {notebook.name} failed in cell {result['cell']} with\n"
        f"  {message[:600]}\nwhich does not match {mutation['expect']!r}\n{result['traceback'][-1500:]}")


# --- the harness itself, on a synthetic chapter ------------------------------------------------

def test_harness_on_a_synthetic_chapter():
    nb = json.loads(FIXTURE.read_text())
    assert nbrun.execute(nb)["ok"], "the unmutated fixture must run"
    spec = load_spec(FIXTURE_SPEC)
    for m, result in zip(spec, nbfork.run_variants(nb, [mutate(nb, m) for m in spec])):
        check_mutant(nb, m, result)


def test_harness_rejects_bad_specs():
    nb = json.loads(FIXTURE.read_text())
    with pytest.raises(AssertionError, match="exactly once"):
        mutate(nb, {"name": "absent", "find": "no such code", "replace": "x", "expect": "x"})
    with pytest.raises(AssertionError, match="exactly once"):
        mutate(nb, {"name": "twice", "find": "np.", "replace": "x", "expect": "x"})
    harmless = {"name": "harmless", "find": "eps = 1e-6", "replace": "eps = 2e-6", "expect": "x"}
    wrong = {"name": "wrong expect", "find": "return g * self.w", "replace": "return g",
             "expect": "Scale\\.forward"}
    results = nbfork.run_variants(nb, [mutate(nb, harmless), mutate(nb, wrong)])
    with pytest.raises(AssertionError, match="ran without any error"):             # a harmless change
        check_mutant(nb, harmless, results[0])
    with pytest.raises(AssertionError, match="does not match"):                    # the wrong message
        check_mutant(nb, wrong, results[1])
