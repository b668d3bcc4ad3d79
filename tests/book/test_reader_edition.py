"""The notebooks a reader downloads read in Jupyter as the site does (tools/reader_edition.py).

* Conversion, on small MyST samples: glued values written in with the role's format,
  equation references as numbers and labelled equations tagged, cross-references and
  citations as links with the site's text, MyST-only blocks turned into Markdown,
  code spans left alone, folds kept.
* The built site (skipped when `_build/html` has no reader's notebooks): every
  notebook a reader can download -- reading/, workbook/, the copy behind the theme's
  download button, and the bundle -- holds no raw MyST role, directive, target or
  labelled equation; every cell folded or hidden on the site is folded; every stub
  message is whole sentences; a workbook chapter that writes a module ends with the
  cell that saves the learner's code, and starts with the USE_MY_CODE switch.
"""
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import make_workbook as mw  # noqa: E402
import reader_edition as re_  # noqa: E402

SITE = ROOT / "_build" / "html"

XREF = {
    "titles": {"nbs/01_layers": "Layers", "nbs/02_act": "Activation functions",
               "bibliography": "Bibliography"},
    "labels": {"sec-away": ["nbs/02_act", "sec-away", "Behaviour away from the data"],
               "fig-curve": ["nbs/02_act", "fig-curve", "A caption"]},
    "anonlabels": {"sec-away": ["nbs/02_act", "sec-away"], "fig-curve": ["nbs/02_act", "fig-curve"]},
    "secnumbers": {"nbs/01_layers": [1], "nbs/02_act": [2]},
    "equations": {"eq-dense": ["nbs/01_layers", "1.1", "equation-eq-dense"],
                  "eq-relu": ["nbs/02_act", "2.3", "equation-eq-relu"]},
    "figures": {"fig-curve": ["nbs/02_act", "2.1"]},
    "citations": {"rumelhart86": {"names": "Rumelhart et al.", "year": "1986",
                                  "docname": "bibliography", "anchor": "id9"},
                  "glorot10": {"names": "Glorot and Bengio", "year": "2010",
                               "docname": "bibliography", "anchor": "id3"}},
    "numfig_format": {"figure": "Fig. %s"}, "baseurl": "",
}
GLUE = {"n01_ratio": {"data": {"text/plain": "0.28498727735368956"}},
        "n01_count": {"data": {"text/plain": "12"}},
        "n01_label": {"data": {"text/plain": "'8 ± 1'"}}}


def _render(text, docname="nbs/01_layers", location="reading"):
    r = re_.Renderer(docname, GLUE, XREF, re_.Links(XREF, location))
    return r.text(text), r.problems


# --- conversion ---------------------------------------------------------------------------------

def test_glued_values_are_written_in_with_the_roles_format():
    out, problems = _render("a share of {glue:text}`n01_ratio:.0%`, {glue:text}`n01_ratio:.3f`, "
                            "{glue:text}`n01_count` runs, {glue:text}`n01_label` and {glue}`n01_count`.")
    assert out == "a share of 28%, 0.285, 12 runs, 8 ± 1 and 12." and not problems


def test_equations_are_numbered_and_referenced_by_number():
    text = "$$\nY = XW + b\n$$ (eq-dense)\n\nBy {eq}`eq-dense` and {eq}`eq-relu`."
    out, problems = _render(text)
    assert "\\tag{1.1}\n$$" in out and "(eq-dense)" not in out
    assert "By (1.1) and [(2.3)](../nbs/02_act.html#equation-eq-relu)." in out and not problems


def test_references_and_citations_are_links_with_the_sites_text():
    text = ("See {doc}`02_act`, {ref}`sec-away`, {ref}`that section <sec-away>`, {numref}`fig-curve`, "
            "{cite:p}`rumelhart86,glorot10` and {cite:t}`glorot10`.")
    out, problems = _render(text)
    assert "[Activation functions](../nbs/02_act.html)" in out
    assert "[Behaviour away from the data](../nbs/02_act.html#sec-away)" in out
    assert "[that section](../nbs/02_act.html#sec-away)" in out
    assert "[Fig. 2.1](../nbs/02_act.html#fig-curve)" in out
    assert ("([Rumelhart et al., 1986](../bibliography.html#id9); "
            "[Glorot and Bengio, 2010](../bibliography.html#id3))") in out
    assert "[Glorot and Bengio (2010)](../bibliography.html#id3)" in out and not problems


def test_links_are_relative_to_where_the_notebook_lies_or_absolute_with_a_base_url():
    out, _ = _render("{doc}`02_act`", location="_sources/nbs")
    assert "(../../nbs/02_act.html)" in out
    r = re_.Renderer("nbs/01_layers", GLUE, dict(XREF, baseurl="https://book.example"),
                     re_.Links(dict(XREF, baseurl="https://book.example"), "reading"))
    assert "(https://book.example/nbs/02_act.html)" in r.text("{doc}`02_act`")


def test_myst_blocks_become_markdown_jupyter_renders():
    text = ("(sec-here)=\n## A section\n\n:::{note}\nA *note*.\n:::\n\n"
            "```{math}\n:label: eq-dense\nx = 1\n```\n\n```{warning}\nCareful.\n```")
    out, problems = _render(text)
    assert "(sec-here)=" not in out and "## A section" in out
    assert "> **Note.**\n>\n> A *note*." in out and "> **Warning.**" in out
    assert "$$\nx = 1\n\\tag{1.1}\n$$" in out and not problems


def test_a_definition_list_becomes_bold_terms():
    out, problems = _render("Some terms:\n\nEpoch\n: one pass over the data\n\nBatch\n: a slice of it")
    assert out == "Some terms:\n\n**Epoch**: one pass over the data\n\n**Batch**: a slice of it"


def test_code_is_left_as_it_is():
    text = "a path may contain `{epoch}` as in `\"ckpt-{epoch:02d}.npz\"`\n\n```python\n{eq}`x`\n```"
    out, problems = _render(text)
    assert out == text and not problems


def test_what_cannot_be_converted_is_reported():
    _, problems = _render("{glue:text}`n01_missing:.2f` and {eq}`eq-nowhere` and {unknown}`x`")
    assert len(problems) == 3


def test_folded_on_the_site_is_folded_in_jupyter():
    cells = [{"cell_type": "code", "metadata": {"tags": [tag]}, "source": "x = 1"}
             for tag in ("hide-input", "remove-cell", "remove-input")]
    cells += [{"cell_type": "code", "metadata": {}, "source": "#| hide\nx = 1"},
              {"cell_type": "code", "metadata": {}, "source": "#| export\nx = 1"}]
    for cell in cells:
        re_.fold(cell)
    assert [c["metadata"].get("jupyter", {}).get("source_hidden", False) for c in cells] == [
        True, True, True, True, False]


def test_a_figure_gets_its_numbered_caption_after_its_cell():
    nb = {"cells": [{"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# Title"},
                    {"cell_type": "code", "id": "f", "metadata": {"mystnb": {"figure": {
                        "caption": "Loss by {eq}`eq-dense`.", "name": "fig-curve"}}},
                     "source": "plot()", "outputs": [], "execution_count": 3}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    out, problems = re_.render(nb, "nbs/02_act", GLUE, XREF, "reading", chapter="Chapter 2")
    texts = [mw.source(c) for c in out["cells"]]
    assert texts[-1] == "**Fig. 2.1** Loss by [(1.1)](../nbs/01_layers.html#equation-eq-dense)."
    assert "Chapter 2: Activation functions" in texts[1] and "#|" in texts[1]
    assert out["cells"][2]["execution_count"] is None and not problems


# --- the built site ----------------------------------------------------------------------------

RAW_MYST = {
    "role": re.compile(r"(?<!`)\{[a-z][\w:-]*\}`[^`\s]"),
    "target": re.compile(r"^\([\w:.-]+\)=\s*$", flags=re.M),
    "labelled equation": re.compile(r"\$\$[ \t]*\([\w:.-]+\)"),
    "directive": re.compile(r"^(`{3,}|:{3,})\s*\{[\w:-]+\}", flags=re.M),
    "colon fence": re.compile(r"^:{3,}", flags=re.M),
    "definition list": re.compile(r"^:[ \t]", flags=re.M),
    "footnote": re.compile(r"\[\^[\w-]+\]"),
}


def _downloads():
    "Every notebook a reader can download from the built site, as (name, notebook)."
    found = []
    for folder in ("reading", "workbook", "_sources/nbs"):
        for path in sorted((SITE / folder).glob("*.ipynb")):
            found.append((f"{folder}/{path.name}", json.loads(path.read_text(encoding="utf-8"))))
    bundle = SITE / "mlpbook-notebooks.zip"
    if bundle.exists():
        with zipfile.ZipFile(bundle) as zf:
            for name in zf.namelist():
                if name.endswith(".ipynb"):
                    found.append((f"zip:{name}", json.loads(zf.read(name))))
    return found


@pytest.fixture(scope="module")
def downloads():
    if not (SITE / "reading").is_dir():
        pytest.skip(f"{SITE}/reading is missing: build the site first (make html)")
    return _downloads()


def _code_spans_removed(text):
    "The Markdown without fenced code and inline code (where MyST syntax is only shown)."
    text = re.sub(r"^(`{3,}|~{3,})[^{\n]*\n.*?^\1[ \t]*$", "", text, flags=re.M | re.S)
    return re.sub(r"(?<![}`])(`+)(?!\{)[^`]+?\1(?!`)", "", text)


def test_no_raw_myst_in_any_downloadable_notebook(downloads):
    assert len(downloads) >= 3 * 20, f"only {len(downloads)} notebooks offered"
    found = []
    for name, nb in downloads:
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "markdown":
                continue
            text = mw.source(cell)
            for kind, pattern in RAW_MYST.items():
                for m in pattern.finditer(text):
                    found.append(f"{name} cell {i}: {kind} {text[max(0, m.start() - 30):m.end() + 30]!r}")
    assert not found, f"{len(found)} raw MyST constructs:\n" + "\n".join(found[:30])


def test_every_glued_number_is_written_in(downloads):
    for name, nb in downloads:
        text = "\n".join(mw.source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert "{glue" not in text and "[n0" not in text, f"{name}: a glued value is missing"


def test_cells_folded_on_the_site_are_folded(downloads):
    open_cells = []
    for name, nb in downloads:
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            tags = set(cell.get("metadata", {}).get("tags", []))
            hidden = tags & {"hide-input", "remove-cell", "remove-input"} or \
                mw.source(cell).lstrip().startswith("#| hide")
            if hidden and not cell["metadata"].get("jupyter", {}).get("source_hidden"):
                open_cells.append(f"{name} cell {i}")
    assert not open_cells, "folded on the site, open in Jupyter:\n" + "\n".join(open_cells)


def test_sources_are_clean_and_outputs_empty(downloads):
    for name, nb in downloads:
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, name


def test_stub_messages_are_whole(downloads):
    messages = 0
    for name, nb in downloads:
        if "workbook/" not in name:
            continue
        for cell in nb["cells"]:
            raised = {}
            for m in re.finditer(r"raise NotImplementedError\(((?:\s*\"(?:[^\"\\]|\\.)*\")+)\s*\)",
                                 mw.source(cell)):
                text = "".join(json.loads(s) for s in re.findall(r"\"(?:[^\"\\]|\\.)*\"", m.group(1)))
                raised[re.match(r"Implement ([\w.]+)", text).group(1)] = text
            for qualname in mw.tags_of(cell):
                message = raised.get(qualname)
                assert message, f"{name}: {qualname} is not a stub"
                assert mw.is_whole(message), f"{name}: the stub message of {qualname} is cut: {message!r}"
                messages += 1
    assert messages > 0


def test_the_workbook_switches_to_the_learners_code_and_saves_it(downloads):
    for name, nb in downloads:
        if not name.startswith("workbook/"):
            continue
        sources = [mw.source(c) for c in nb["cells"]]
        setup = next(i for i, c in enumerate(nb["cells"]) if "mlpbook-setup" in c["metadata"].get("tags", []))
        assert sources[setup - 1].rstrip().endswith("USE_MY_CODE = True"), f"{name}: no switch"
        exports = any(s.lstrip().startswith("#| export") and "NotImplementedError" in s for s in sources)
        saves = any('export_chapter("' in s for s in sources)
        assert saves == exports, f"{name}: exports your code: {exports}, saves it: {saves}"


def test_the_theme_download_button_gives_the_reading_edition(downloads):
    names = {n for n, _ in downloads}
    for stem in (p.stem for p in (ROOT / "nbs").glob("*.ipynb")):
        assert f"_sources/nbs/{stem}.ipynb" in names and f"reading/{stem}.ipynb" in names
