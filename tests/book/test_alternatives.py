"""Correct code written another way passes the whole chapter.

Each `tests/book/alternatives/<notebook stem>.json` lists correct alternatives to code of
`nbs/<stem>.ipynb` (another operation order, another formula with the same value, a
staged backward):

    [{"name": "...", "find": "<exact code>", "replace": "<another correct version>"}]

For each, a copy of the notebook with `find` replaced (it must occur exactly once in the
code cells) is executed in an empty folder, in quick mode, as the mutation tests run
their mutants, and must run to the end: every check of the chapter, the hidden checks of
its exercises included, accepts it. A check that fails here compares an operation order
instead of a value at a tolerance. Two alternatives run at a time.
"""
import concurrent.futures
import json
from pathlib import Path

import pytest

import nbrun

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "tests" / "book" / "alternatives").glob("*.json"))
FIXTURE = ROOT / "tests" / "fixtures" / "tiny_chapter.ipynb"
FIXTURE_SPEC = ROOT / "tests" / "fixtures" / "alternatives" / "tiny_chapter.json"
KEYS = {"name", "find", "replace"}


def load_spec(path):
    spec = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(spec, list) and spec, f"{path.name}: a non-empty list of alternatives"
    for a in spec:
        assert isinstance(a, dict) and set(a) == KEYS, (
            f"{path.name}: each alternative has exactly the keys {sorted(KEYS)}, got {sorted(a)}")
        assert a["find"] != a["replace"], f"{path.name}: {a['name']!r} changes nothing"
    names = [a["name"] for a in spec]
    assert len(set(names)) == len(names), f"{path.name}: two alternatives share a name"
    return spec


def rewrite(nb, alternative):
    "A copy of `nb` with the alternative written into the one code cell that contains `find`."
    return nbrun.replace_once(nb, alternative, "alternative")


def report(alternative, result):
    "Raise AssertionError unless the rewritten chapter ran to the end."
    assert result["ok"], (
        f"alternative {alternative['name']!r}: the chapter stopped in cell {result['cell']} with\n"
        f"  {result['ename']}: {str(result['evalue'])[:600]}\n"
        "If the alternative is correct, that check compares an operation order, not a value "
        "at a tolerance.\n"
        f"{result['traceback'][-1500:]}")


def check_alternative(nb, alternative):
    "Execute the rewritten chapter; raise AssertionError unless it runs to the end."
    result = nbrun.execute(rewrite(nb, alternative))
    report(alternative, result)
    return result


def _cases():
    for path in SPECS:
        nb_path = ROOT / "nbs" / f"{path.stem}.ipynb"
        for a in load_spec(path):
            yield pytest.param(nb_path, a, id=f"{path.stem}:{a['name']}")


CASES = list(_cases())


@pytest.fixture(scope="module")
def alternative_results(request):
    "Every selected alternative submitted at once, two at a time."
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    futures = {}
    for item in request.session.items:
        if getattr(item, "originalname", "") == "test_correct_alternative_passes_the_chapter":
            nb_path, a = item.callspec.params["notebook"], item.callspec.params["alternative"]
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
            futures[(nb_path.name, a["name"])] = pool.submit(nbrun.execute, rewrite(nb, a))
    yield futures
    pool.shutdown(cancel_futures=True)


def test_every_spec_names_a_notebook_and_applies_once():
    for path in SPECS:
        nb_path = ROOT / "nbs" / f"{path.stem}.ipynb"
        assert nb_path.exists(), f"{path.name}: no nbs/{path.stem}.ipynb"
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for a in load_spec(path):
            rewrite(nb, a)


@pytest.mark.slow
@pytest.mark.parametrize("notebook,alternative", CASES)
def test_correct_alternative_passes_the_chapter(notebook, alternative, alternative_results):
    result = alternative_results[(notebook.name, alternative["name"])].result()
    print(f"{notebook.name} / {alternative['name']}: ran in {result['seconds']} s")
    report(alternative, result)


# --- the harness itself, on a synthetic chapter ------------------------------------------------

def test_harness_passes_correct_alternatives_of_a_synthetic_chapter():
    nb = json.loads(FIXTURE.read_text(encoding="utf-8"))
    spec = load_spec(FIXTURE_SPEC)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(check_alternative, nb, a) for a in spec]
        for run in runs:
            assert run.result()["ok"]


def test_harness_reports_a_wrong_alternative_and_bad_specs(tmp_path):
    nb = json.loads(FIXTURE.read_text(encoding="utf-8"))
    wrong = {"name": "square doubles instead", "find": "return x ** 2", "replace": "return 2 * x"}
    with pytest.raises(AssertionError, match=r"'square doubles instead': the chapter stopped in "
                                             r"cell 7 with\s+AssertionError: square: expected \[4, 9\]"):
        check_alternative(nb, wrong)
    with pytest.raises(AssertionError, match="exactly once"):
        rewrite(nb, {"name": "absent", "find": "no such code", "replace": "x"})
    with pytest.raises(AssertionError, match="exactly once"):
        rewrite(nb, {"name": "twice", "find": "np.", "replace": "x"})
    bad = tmp_path / "bad.json"
    for spec, message in [([], "non-empty list"),
                          ([{"name": "a", "find": "x", "replace": "y", "expect": "z"}], "exactly the keys"),
                          ([{"name": "a", "find": "x", "replace": "x"}], "changes nothing"),
                          ([{"name": "a", "find": "x", "replace": "y"}] * 2, "share a name")]:
        bad.write_text(json.dumps(spec))
        with pytest.raises(AssertionError, match=message):
            load_spec(bad)
