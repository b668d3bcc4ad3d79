"""Correct code written another way passes the whole chapter.

Each `tests/book/alternatives/<notebook stem>.json` lists correct alternatives to code of
`nbs/<stem>.ipynb` (another operation order, another formula with the same value, a
staged backward):

    [{"name": "...", "find": "<exact code>", "replace": "<another correct version>"}]

For each, a copy of the notebook with `find` replaced (it must occur exactly once in the
code cells) is executed in quick mode, as the mutation tests run their mutants
(tests/helpers/nbfork.py: the cells before the change run once for the chapter, each copy
goes on from there in a forked process), and must run to the end: every check of the
chapter, the hidden checks of its exercises included, accepts it. A check that fails
here compares an operation order instead of a value at a tolerance.

Running every alternative of a chapter alone would execute the rest of the chapter once
per alternative. Alternatives whose `find` strings do not overlap are written into one
copy together (`rounds`): each is correct, so the copy must pass as each alone would. A
round that fails is run again one alternative at a time, so a failure is still reported
against the alternative that caused it. The rounds run in one process with the chapter's
mutants (tests/book/test_mutations.py). Two chapters run at a time.
"""
import copy
import json
from pathlib import Path

import pytest

import nbfork
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


def _span(nb, alternative):
    "(code cell index, start, end) of the alternative's `find` in notebook `nb`."
    rewrite(nb, alternative)                     # exactly once, or an AssertionError
    for i, src in enumerate(nbrun.code_source(nb)):
        start = src.find(alternative["find"])
        if start >= 0:
            return i, start, start + len(alternative["find"])


def rounds(nb, spec):
    """The alternatives of `spec` grouped into as few rounds as possible: within a round no
    two `find` strings overlap, so all of them can be written into one copy."""
    out = []
    for a in spec:
        cell, start, end = _span(nb, a)
        for group in out:
            if all(c != cell or end <= s or e <= start for c, s, e in group["spans"]):
                group["alternatives"].append(a)
                group["spans"].append((cell, start, end))
                break
        else:
            out.append({"alternatives": [a], "spans": [(cell, start, end)]})
    return [g["alternatives"] for g in out]


def rewrite_all(nb, alternatives):
    "A copy of `nb` with every alternative of one round written in (their finds are disjoint)."
    nb = copy.deepcopy(nb)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    spans = sorted(((*_span(nb, a), a) for a in alternatives), key=lambda t: (t[0], -t[1]))
    for cell, start, end, a in spans:            # from the end of a cell backwards
        src = "".join(code[cell]["source"]) if isinstance(code[cell]["source"], list) \
            else code[cell]["source"]
        code[cell]["source"] = src[:start] + a["replace"] + src[end:]
    return nb


def check_alternative(nb, alternative):
    "Execute the rewritten chapter; raise AssertionError unless it runs to the end."
    result = nbfork.run_variants(nb, [rewrite(nb, alternative)])[0]
    report(alternative, result)
    return result


def _cases():
    for path in SPECS:
        nb_path = ROOT / "nbs" / f"{path.stem}.ipynb"
        for a in load_spec(path):
            yield pytest.param(nb_path, a, id=f"{path.stem}:{a['name']}")


CASES = list(_cases())


_RUNS = {}                        # (notebook name, alternative name) -> (Future, its round)


def start_runs(items):
    """Queue the selected alternatives among `items`, packed into rounds per chapter
    (tests/helpers/nbfork.py: each chapter's variants, these and the mutants', run in one
    process); called by tests/conftest.py when the tests start, before
    nbfork.start_queued(). An alternative that does not apply fails its own test."""
    selected = {}
    for item in items:
        if getattr(item, "originalname", "") == "test_correct_alternative_passes_the_chapter":
            nb_path, alternative = item.callspec.params["notebook"], item.callspec.params["alternative"]
            if (nb_path.name, alternative["name"]) not in _RUNS:
                selected.setdefault(nb_path, []).append(alternative)
    for nb_path, spec in selected.items():
        try:
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
        except Exception as err:          # noqa: BLE001 (the chapter's tests report it)
            for a in spec:
                _RUNS[(nb_path.name, a["name"])] = (nbfork.failed(err), [a])
            continue
        applies = []
        for a in spec:                    # one that does not apply fails its own test
            try:
                _span(nb, a)
            except Exception as err:      # noqa: BLE001
                _RUNS[(nb_path.name, a["name"])] = (nbfork.failed(err), [a])
            else:
                applies.append(a)
        for group in rounds(nb, applies):
            future = nbfork.queue(nb_path, rewrite_all(nb, group))
            for a in group:
                _RUNS[(nb_path.name, a["name"])] = (future, group)


@pytest.fixture(scope="module")
def alternative_results(request):
    "The future of each selected alternative's round, and the round, by (notebook, name)."
    if not _RUNS:
        start_runs(request.session.items)
        nbfork.start_queued()
    return _RUNS


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
    future, group = alternative_results[(notebook.name, alternative["name"])]
    result = future.result()
    names = ", ".join(a["name"] for a in group)
    print(f"{notebook.name} / {alternative['name']}: ran in {result['seconds']} s "
          f"(in one copy with: {names})")
    if not result["ok"] and len(group) > 1:     # which of the round stopped it?
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        result = nbfork.run_variants(nb, [rewrite(nb, alternative)])[0]
    report(alternative, result)


# --- the harness itself, on a synthetic chapter ------------------------------------------------

def test_harness_passes_correct_alternatives_of_a_synthetic_chapter():
    nb = json.loads(FIXTURE.read_text(encoding="utf-8"))
    spec = load_spec(FIXTURE_SPEC)
    for a, result in zip(spec, nbfork.run_variants(nb, [rewrite(nb, a) for a in spec])):
        report(a, result)
        assert result["ok"]


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


def test_rounds_pack_disjoint_alternatives_and_keep_overlapping_apart():
    nb = json.loads(FIXTURE.read_text(encoding="utf-8"))
    spec = load_spec(FIXTURE_SPEC)
    groups = rounds(nb, spec)
    assert sorted(a["name"] for g in groups for a in g) == sorted(a["name"] for a in spec)
    for g in groups:                     # within a round the finds are disjoint ...
        spans = sorted(_span(nb, a) for a in g)
        assert all(a[0] != b[0] or a[2] <= b[1] for a, b in zip(spans, spans[1:]))
    together = rewrite_all(nb, groups[0])  # ... and all of them are written in
    text = "\n".join(nbrun.code_source(together))
    assert all(a["replace"] in text for a in groups[0])
    same = {"name": "same place", "find": spec[0]["find"], "replace": spec[0]["replace"] + " "}
    assert len(rounds(nb, [spec[0], same])) == 2
