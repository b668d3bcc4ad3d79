"""Write the workbook edition: the chapters with their central code left to the reader.

A code cell of a chapter tagged `workbook:<name>` (`workbook:Dense.backward`,
`workbook:softmax`, one tag per function or method) keeps, in the workbook,
the function's decorators, signature and docstring; its body becomes

    raise NotImplementedError("Implement Dense.backward: <docstring summary>")

Everything else stays: the prose, the rest of the cell, and the chapter's
checks, which then fail with that message until the reader writes the body,
and pass once it is right. Marking is by tag in the source notebooks, so there
is no second copy to keep in step. `restore(workbook_nb, original_nb)` puts the
reference bodies back (the tests check that this gives the original exactly).

Usage:  python tools/make_workbook.py [--out workbook] [notebooks or folders ...]   (default: nbs)
"""
import argparse
import ast
import copy
import json
import pathlib
import re
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[1]
PREFIX = "workbook:"
INTRO_TAG = "workbook-intro"
WIDTH = 88
INTRO = """\
**Workbook edition.** In this copy of the chapter the central code is yours to
write: {names} {verb} `NotImplementedError` with what to compute. Run the
notebook from the top; the first check that calls an unwritten function stops
with its message. Write the body (the docstring says what to compute, with
shapes), run that cell again and the cells after it: the chapter's own checks
tell you whether it is right. The reading edition has the reference code."""


def source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def set_source(cell, text):
    cell["source"] = text.splitlines(keepends=True)


def tags_of(cell):
    return [t[len(PREFIX):] for t in cell.get("metadata", {}).get("tags", []) if t.startswith(PREFIX)]


def workbook_names(nb):
    return [name for c in nb["cells"] if c.get("cell_type") == "code" for name in tags_of(c)]


def _parseable(text):
    "The cell as Python: IPython magics and shell escapes become comments (line numbers kept)."
    return "\n".join("#" + l if l.lstrip().startswith(("%", "!")) else l for l in text.split("\n"))


def find_function(text, qualname):
    "The ast node of `name` or `Class.name` (top level of the cell), or a ValueError."
    tree = ast.parse(_parseable(text))
    parts = qualname.split(".")
    if len(parts) not in (1, 2):
        raise ValueError(f"workbook tag {qualname!r}: use `function` or `Class.method`")
    scope = tree.body
    if len(parts) == 2:
        classes = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == parts[0]]
        if not classes:
            raise ValueError(f"workbook tag {qualname!r}: no class {parts[0]} in the tagged cell")
        scope = classes[0].body
    funcs = [n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == parts[-1]]
    if not funcs:
        raise ValueError(f"workbook tag {qualname!r}: no function {parts[-1]} in the tagged cell")
    return funcs[-1]


def _docstring_node(func):
    first = func.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


SHAPE = re.compile(r"\(\s*[\w*]+\s*,[^)]*\)|\bshape")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "cf.", "vs.")


def sentences(paragraph):
    "The sentences of one paragraph of prose (its lines joined), each whole."
    text = " ".join(paragraph.split())
    for i, abbr in enumerate(_ABBREVIATIONS):
        text = text.replace(abbr, f"\0{i}\0")
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z`(\[\"'*])", text)
    for i, abbr in enumerate(_ABBREVIATIONS):
        parts = [p.replace(f"\0{i}\0", abbr) for p in parts]
    return [p for p in parts if p]


def _prose_paragraphs(doc):
    "The docstring's paragraphs without their indented blocks (formulas, code)."
    paragraphs = []
    for block in re.split(r"\n\s*\n", doc):
        lines = [l for l in block.splitlines() if l.strip() and not l.startswith((" ", "\t"))]
        if lines:
            paragraphs.append("\n".join(lines))
    return paragraphs


def is_whole(sentence):
    "Does a sentence end as a sentence does (not with a colon or mid-clause)?"
    return bool(re.search(r"[.!?][)\"'`*]*$", sentence.strip()))


def summary(func, qualname):
    """What the NotImplementedError says: the docstring's first paragraph and, when that
    names no shape, the first later sentence that does; always whole sentences."""
    doc = (ast.get_docstring(func) or "").strip()
    paragraphs = _prose_paragraphs(doc)
    if not paragraphs:
        return f"Implement {qualname} (see the text above)"
    first = sentences(paragraphs[0])
    if first and first[-1].endswith(":"):             # a paragraph that leads into a list
        first[-1] = first[-1][:-1].rstrip() + " (the docstring above details it)."
    while first and not is_whole(first[-1]):
        first.pop()
    text = " ".join(first)
    if not SHAPE.search(text):
        shaped = next((s for p in paragraphs[1 if first else 0:] for s in sentences(p)
                       if SHAPE.search(s) and is_whole(s)), None)
        if shaped:
            text = f"{text} {shaped}".strip()
    if not text:
        return f"Implement {qualname} (see the text above)"
    return f"Implement {qualname}: {text}"


def _raise_lines(message, indent):
    "`raise NotImplementedError(...)` wrapped to the page width."
    one = f'{indent}raise NotImplementedError({_quote(message)})'
    if len(one) <= WIDTH:
        return [one]
    inner = indent + " " * 4
    chunks = textwrap.wrap(message, WIDTH - len(inner) - 2 - message.count('"'),
                           drop_whitespace=False, break_on_hyphens=False)
    return ([f"{indent}raise NotImplementedError("] + [inner + _quote(c) for c in chunks] + [f"{indent})"])


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _body_span(text, qualname):
    "(first line, last line) of the body to replace (1-based, inclusive), its indent, the message."
    func = find_function(text, qualname)
    doc = _docstring_node(func)
    rest = func.body[1:] if doc else func.body
    lines = text.split("\n")
    if func.body[0].lineno == func.lineno:
        raise ValueError(f"workbook tag {qualname!r}: write the body on its own lines, not after `def ...:`")
    start = (doc.end_lineno + 1) if doc else func.body[0].lineno
    end = func.end_lineno
    indent_line = lines[func.body[0].lineno - 1]
    indent = indent_line[: len(indent_line) - len(indent_line.lstrip())]
    if not rest:
        start = end + 1                       # docstring only: insert the raise after it
    return start, end, indent, summary(func, qualname)


def stub(text, qualname):
    "The cell's source with the body of `qualname` replaced by a raise."
    start, end, indent, message = _body_span(text, qualname)
    lines = text.split("\n")
    return "\n".join(lines[: start - 1] + _raise_lines(message, indent) + lines[end:])


def fill(text, qualname, reference):
    "Put the body of `qualname` from `reference` (a cell's original source) back into `text`."
    start, end, _, _ = _body_span(text, qualname)
    rstart, rend, _, _ = _body_span(reference, qualname)
    lines, ref = text.split("\n"), reference.split("\n")
    return "\n".join(lines[: start - 1] + ref[rstart - 1: rend] + lines[end:])


def make(nb):
    "The workbook edition of a notebook (a new dict; the input is not changed)."
    nb = copy.deepcopy(nb)
    names = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        text = source(cell)
        for qualname in tags_of(cell):
            text = stub(text, qualname)
            names.append(qualname)
        set_source(cell, text)
    if names:
        listed = ", ".join(f"`{n}`" for n in names)
        intro = {"cell_type": "markdown", "id": "workbook-intro", "metadata": {"tags": [INTRO_TAG]}, "source": []}
        set_source(intro, INTRO.format(names=listed, verb="raises" if len(names) == 1 else "raise"))
        first = 1 if nb["cells"] and nb["cells"][0].get("cell_type") == "markdown" else 0
        nb["cells"].insert(first, intro)
    return nb


def restore(workbook_nb, original_nb, only=None):
    "Put the reference bodies back (all, or those named in `only`); drops the intro cell when all are back."
    nb = copy.deepcopy(workbook_nb)
    originals = {c.get("id"): c for c in original_nb["cells"]}
    for cell in nb["cells"]:
        for qualname in tags_of(cell):
            if only is None or qualname in only:
                set_source(cell, fill(source(cell), qualname, source(originals[cell.get("id")])))
    if only is None:
        nb["cells"] = [c for c in nb["cells"] if INTRO_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def dumps(nb):
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def chapters(paths):
    for p in map(pathlib.Path, paths):
        yield from sorted(p.glob("[0-9][0-9]*.ipynb")) if p.is_dir() else [p]


def build(src, out):
    "Write the workbook edition of every notebook in `src` that has workbook tags; returns the paths."
    out = pathlib.Path(out)
    written = []
    for path in chapters([src]):
        nb = json.loads(path.read_text(encoding="utf-8"))
        if not workbook_names(nb):
            continue
        out.mkdir(parents=True, exist_ok=True)
        target = out / path.name
        target.write_text(dumps(make(nb)), encoding="utf-8")
        written.append(target)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "nbs")])
    ap.add_argument("--out", default=str(ROOT / "workbook"))
    args = ap.parse_args(argv)
    written = []
    for p in args.paths:
        written += build(p, args.out)
    for w in written:
        print(f"wrote {w} ({len(workbook_names(json.loads(w.read_text())))} functions to write)")
    if not written:
        print("no notebook has a workbook:<name> cell tag yet: nothing written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
