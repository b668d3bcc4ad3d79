"""Exercise solutions stay hidden where readers open the notebooks, not only on the site.

Jupyter (Notebook 7, JupyterLab) and Colab render a markdown cell as CommonMark
with raw HTML passed through, each cell on its own. That is reproduced here with
markdown-it-py's CommonMark preset (html on), and the HTML is read as a browser
builds its tree (BeautifulSoup). A solution is an HTML block (CONTRIBUTING.md, rule 3):

    <details class="solution">
    <summary>Solution</summary>

    ...markdown, $math$...

    </details>

The tests fail when a solution's text would show outside a closed `<details>`,
when a `<details class="solution">` is left open or unclosed in its cell, when
a MyST admonition (`:::{admonition}`, shown as raw text by Jupyter) remains,
or when a solution uses MyST-only roles that Jupyter shows raw.
"""
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))

_md = MarkdownIt("commonmark", {"html": True})
OPEN = re.compile(r'<details\s+class="solution"\s*>', re.I)
CLOSE = re.compile(r"</details\s*>", re.I)
MYST_ROLE = re.compile(r"\{(doc|eq|ref|numref|cite|cite:p|cite:t|term|math)\}`")   # glue: no plain form
SOLUTION_LABEL = re.compile(r"\s*Solutions?(\s*\d+)?\s*([.:)\u2014-]|$)")   # "Solution.", "Solution 2:"
ADMONITION = re.compile(r"^\s*(:::+|```+)\s*\{(admonition|dropdown|solution|hint|tip|note)\}", re.M)


def render(markdown):
    "A markdown cell as Jupyter shows it: CommonMark, raw HTML kept, as a browser's tree."
    return BeautifulSoup(_md.render(markdown), "html.parser")


def _norm(text):
    return " ".join(text.split())


def solution_spans(markdown):
    "The source text of each solution in a cell: (inner markdown, closed?)."
    spans, pos = [], 0
    while (m := OPEN.search(markdown, pos)):
        close = CLOSE.search(markdown, m.end())
        spans.append((markdown[m.end(): close.start() if close else len(markdown)], close is not None))
        pos = close.end() if close else len(markdown)
    return spans


def visible_text(soup):
    "The text a reader sees without opening anything: everything outside <details> elements."
    soup = BeautifulSoup(str(soup), "html.parser")
    for d in soup.find_all("details"):
        d.decompose()
    return _norm(soup.get_text(" "))


def problems(markdown):
    "What is wrong with one markdown cell, as readable messages (empty when fine)."
    found = []
    if ADMONITION.search(markdown):
        found.append("a MyST admonition/dropdown (Jupyter shows it as raw text): use "
                     '<details class="solution"><summary>Solution</summary> ... </details>')
    soup = render(markdown)
    shown = visible_text(soup)
    for inner, closed in solution_spans(markdown):
        if not closed:
            found.append('a <details class="solution"> is not closed by </details> in the same cell')
        if re.search(r"<summary>\s*Solution", inner, re.I) is None:
            found.append("a solution has no <summary>Solution</summary> line")
        body = re.sub(r"<summary>.*?</summary>", " ", inner, flags=re.S | re.I)
        for role in sorted(set(MYST_ROLE.findall(body))):
            found.append(f"a solution uses the MyST role {{{role}}} (Jupyter shows it raw)")
        for para in render(body).find_all(["p", "li", "pre", "td"]):
            text = _norm(para.get_text(" "))
            if len(text) >= 12 and text in shown:
                found.append(f"solution text shows outside a closed <details>: {text[:80]!r}")
    for details in soup.find_all("details"):
        if "solution" in (details.get("class") or []) and details.has_attr("open"):
            found.append("a solution <details> has the `open` attribute")
        summary = details.find("summary")
        if summary is None:
            found.append("a <details> without <summary> (browsers show a bare 'Details')")
    for tag in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "strong", "summary"]):
        if tag.find_parent("details") is None and SOLUTION_LABEL.match(tag.get_text()):
            found.append(f"text starting with 'Solution' outside a <details>: {_norm(tag.get_text())[:60]!r}")
    return sorted(set(found))


def _markdown_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            src = cell["source"]
            yield i, "".join(src) if isinstance(src, list) else src


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_hidden_in_jupyter(path):
    bad = [f"{path.name} cell {i}: {p}" for i, md in _markdown_cells(path) for p in problems(md)]
    assert not bad, "\n".join(bad)


# --- the checker itself, on small cells whose answer is known ---------------------------------

GOOD = """## Exercises

1. Why is the gradient of a sum the sum of the gradients?

<details class="solution">
<summary>Solution</summary>

Differentiation is linear: $\\partial(a+b) = \\partial a + \\partial b$, so each term
contributes its own gradient.

- a list item inside the solution stays hidden too

</details>
"""


def test_checker_accepts_the_convention():
    assert problems(GOOD) == []
    assert problems("Solutions are hidden behind the toggles; try each exercise first.") == []
    soup = render(GOOD)
    assert "Differentiation is linear" not in visible_text(soup)
    assert soup.find("details").find("summary").get_text() == "Solution"


@pytest.mark.parametrize("bad,message", [
    (":::{admonition} Solution\n:class: dropdown\n\nThe answer is forty-two, always.\n:::\n",
     "MyST admonition"),
    ('<details class="solution">\n<summary>Solution</summary>\n\nThe answer is forty-two, always.\n',
     "not closed"),
    ('    <details class="solution">\n    <summary>Solution</summary>\n\nThe answer is forty-two, always.'
     "\n\n</details>\n", "shows outside"),                       # indented: a code block, not HTML
    ('<details class="solution" open>\n<summary>Solution</summary>\n\nThe answer is forty-two.\n\n'
     "</details>\n", "`open` attribute"),
    ('<details class="solution">\n<summary>Solution</summary>\n\nSee {doc}`01_layers` for the answer.\n\n'
     "</details>\n", "MyST role {doc}"),
    ("**Solution.** The answer is forty-two, always.\n", "starting with 'Solution'"),
    ("### Solution 2\n\nThe answer is forty-two, always.\n", "starting with 'Solution'"),
    ('<details class="solution">\n\nThe answer is forty-two, always.\n\n</details>\n', "no <summary>"),
])
def test_checker_catches(bad, message):
    found = problems(bad)
    assert any(message in f for f in found), found
