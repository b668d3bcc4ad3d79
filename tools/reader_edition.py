"""Write the notebooks a reader downloads so that Jupyter shows them as the site does.

The chapters are written in MyST, which Jupyter, JupyterLab and VS Code do not
read: a number glued into a sentence would show as `` {glue:text}`n04_ratio:.2f` ``,
a reference as `` {eq}`eq-adam` ``. After the HTML build, this tool writes each
chapter again for Jupyter, as two editions:

* the reading edition (the chapter with the book's code), and
* the workbook edition (tools/make_workbook.py: the central functions left to
  write), with a switch to run the chapter on the reader's own package and a
  last cell that saves the reader's code into it (tools/export_my_code.py).

In both, in every markdown cell:

* glued values are written in, formatted as the site formats them (the values
  are the ones the book build computed, read from myst-nb's glue files);
* `{eq}` becomes the equation's number, `(4.3)`, and a labelled display
  equation carries that number (`\\tag{4.3}`);
* `{ref}`, `{doc}` and `{numref}` become links to the site's pages, with the
  text the site shows; `{cite:p}`/`{cite:t}` become "(Author, Year)" / "Author
  (Year)" linked to the bibliography page;
* MyST-only blocks become Markdown that Jupyter renders (`(label)=` targets are
  dropped, `{math}` blocks become `$$`, admonitions become quotes, `{figure}`
  an image with its caption, a definition list bold terms), and a figure made by a code cell gets its
  caption, numbered as on the site, in a cell after it;

and every cell folded on the site is folded in Jupyter too (cell metadata
`jupyter.source_hidden`). A short note at the top says what the notebook is and
what the `#|` lines mean. Outputs are not included: the reader runs the cells.

The cross-reference data (titles, equation, figure and section numbers,
citations) comes from the Sphinx environment of the build: tools/reader_links.py
calls `write_editions(app)` when the HTML build finishes. To iterate without
rebuilding, `python tools/reader_edition.py [_build]` loads the environment the
last build pickled and writes the editions into _build/html again.
"""
import copy
import json
import pathlib
import posixpath
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_workbook  # noqa: E402
import setup_cell  # noqa: E402

READING_DIR = "reading"
WORKBOOK_DIR = "workbook"
NOTE_TAG = "reader-note"
FOLDED_TAGS = {"hide-input", "remove-input", "remove-cell", "hide-cell"}
OUTPUT_FOLDED_TAGS = {"hide-output", "remove-output"}
ROLE = re.compile(r"\{(?P<name>[a-z][\w:-]*)\}`(?P<body>[^`]+)`")
LABELLED_MATH = re.compile(r"\$\$(?P<math>(?:(?!\$\$).)+?)\$\$[ \t]*\((?P<label>[\w:.-]+)\)",
                           flags=re.S)
TARGET = re.compile(r"^\(([\w:.-]+)\)=[ \t]*\n?", flags=re.M)
FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>[^\n]*)\n"
                   r"(?P<body>.*?)^(?P=fence)[ \t]*$", flags=re.M | re.S)
DEFINITION = re.compile(r"^(?P<term>[^\n:>#|*-][^\n]*)\n:[ \t]+(?P<definition>[^\n]+)$", flags=re.M)
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", flags=re.M | re.S)
ADMONITIONS = {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
               "warning": "Warning", "caution": "Caution", "attention": "Attention",
               "danger": "Danger", "error": "Error", "seealso": "See also"}

NOTE = """\
> This notebook is {what} of *{book}* ({link}). {edition}
> The numbers in the text are those the book computed when it was built;
> running the cells computes them again
> (timings differ from machine to machine). Folded cells (click the bar beside a
> cell to open it) set the chapter up, check the answers of the exercises, or
> hold code the book does not show. Lines beginning with `#|` are for the tool
> that turns these notebooks into the `mlpbook` package: `#| export` marks a
> cell whose code goes into the package, `#| hide` one the book does not show;
> Python reads them as comments."""

SWITCH_SOURCE = """\
# True: run this chapter on the code you wrote in earlier chapters (saved into
# my_mlpbook/ by their last cell); False: on the book's own mlpbook package.
USE_MY_CODE = True"""

EXPORT_NOTE = """\
## Carry your code forward

Once this chapter's checks pass, save the notebook (File > Save) and run the
cell below. It copies every cell marked `#| export` (your {names} among them)
into your own copy of the package, the folder `my_mlpbook/` beside this
notebook, as `mlpbook/{module}.py`. The later chapters of the workbook then run
on your code. If one of them fails because of something you wrote here, set
`USE_MY_CODE = False` at its top to run it on the book's code instead."""

EXPORT_SOURCE = """\
try:
    from export_my_code import export_chapter
except ImportError:
    print("export_my_code.py is not beside this notebook: it comes with the "
          "book's notebooks bundle (see the book's home page).")
else:
    export_chapter("{notebook}")"""


# --- cross-references from the Sphinx environment -------------------------------------------

def _number(numbers):
    return ".".join(str(n) for n in numbers)


def _author_year(entry):
    "'Rumelhart et al.', '1986' as sphinxcontrib-bibtex's author_year style writes them."
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [" ".join(p.last_names) for p in persons]
    last = [re.sub(r"[{}]", "", name) for name in last]
    if not last:
        names = entry.fields.get("title", entry.key)
    elif len(last) == 1:
        names = last[0]
    elif len(last) == 2:
        names = f"{last[0]} and {last[1]}"
    else:
        names = f"{last[0]} et al."
    return names, entry.fields.get("year", "n.d.")


def collect(env, config):
    """Everything a notebook's references need, as plain data (JSON-able):
    page titles and numbers, section labels, equation and figure numbers, citations."""
    std = env.domaindata["std"]
    fignumbers = getattr(env, "toc_fignumbers", {})
    xref = {"titles": {d: t.astext() for d, t in env.titles.items()},
            "labels": {k: list(v) for k, v in std.get("labels", {}).items()},
            "anonlabels": {k: list(v) for k, v in std.get("anonlabels", {}).items()},
            "secnumbers": {d: list(n[""]) for d, n in getattr(env, "toc_secnumbers", {}).items()
                           if n.get("")},
            "equations": {}, "figures": {}, "citations": {},
            "numfig_format": dict(getattr(config, "numfig_format", None) or {}),
            "baseurl": (getattr(config, "html_baseurl", "") or "").rstrip("/")}
    for label, (docname, eqno) in env.domaindata.get("math", {}).get("objects", {}).items():
        anchor = f"equation-{label}".lower()
        shown = fignumbers.get(docname, {}).get("displaymath", {}).get(anchor)
        xref["equations"][label] = [docname, _number(shown) if shown else str(eqno), anchor]
    for docname, kinds in fignumbers.items():
        for figid, numbers in kinds.get("figure", {}).items():
            xref["figures"][figid] = [docname, _number(numbers)]
    for citation in env.domaindata.get("cite", {}).get("citations", []):
        names, year = _author_year(citation.entry)
        xref["citations"][citation.key] = {"names": names, "year": year,
                                           "docname": citation.bibliography_key.docname,
                                           "anchor": citation.citation_id}
    return xref


# --- one notebook ----------------------------------------------------------------------------

class Links:
    "Links from a notebook at `location` (a folder of the site, e.g. 'reading') to pages."

    def __init__(self, xref, location):
        self.xref, self.location = xref, location

    def page(self, docname, anchor=""):
        target = f"{docname}.html" + (f"#{anchor}" if anchor else "")
        if self.xref.get("baseurl"):
            return f"{self.xref['baseurl']}/{target}"
        return posixpath.relpath(target, self.location or ".")


def _split_title(body):
    "`text <target>` -> (text, target); `target` -> (None, target)."
    m = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", body.strip())
    return (m.group(1).strip(), m.group(2).strip()) if m else (None, body.strip())


def _md_link(text, url):
    return f"[{text}]({url})"


def _escape(text):
    "Text written into Markdown as it is (a glued value)."
    return re.sub(r"([\\`*_\[\]<>$|~])", r"\\\1", text)


def glue_text(data, fmt):
    "A glued value as {glue:text} writes it (myst-nb's own formatting when it is there)."
    try:
        from myst_nb.core.variables import format_plain_text
    except ImportError:                                   # the same rules, for tests
        format_plain_text = _format_plain_text
    return format_plain_text(data["text/plain"], fmt)


def _format_plain_text(text, fmt_spec):
    import ast
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if fmt_spec == "":
        return str(value)
    kind = fmt_spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, fmt_spec)


class Renderer:
    "Rewrites the MyST of one notebook's markdown for Jupyter; collects what it could not."

    def __init__(self, docname, glue, xref, links, glue_of=None):
        self.docname, self.glue, self.xref, self.links = docname, glue, xref, links
        self.glue_of = glue_of or (lambda docname: {})
        self.problems = []

    # roles
    def role(self, match):
        name, body = match.group("name"), match.group("body")
        handler = {"eq": self.eq, "ref": self.ref, "doc": self.doc, "numref": self.numref,
                   "math": lambda b: f"${b}$"}.get(name)
        if name.startswith("glue"):
            return self.glued(name, body)
        if name.startswith("cite"):
            return self.cite(name, body)
        if handler is None:
            self.problems.append(f"role {{{name}}} is not converted")
            return match.group(0)
        return handler(body)

    def glued(self, name, body):
        key, fmt = body, ""
        if name in ("glue:text",) and ":" in body.split("::")[-1]:
            key, fmt = body.rsplit(":", 1)
        glue = self.glue
        if "::" in key:
            doc, key = key.split("::", 1)
            glue = self.glue_of(posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), doc)))
        if key not in glue:
            self.problems.append(f"glue {key!r} has no value")
            return f"[{key}]"
        data = glue[key].get("data", glue[key])
        if name == "glue:md" and "text/markdown" in data:
            return data["text/markdown"]
        if "text/plain" not in data:
            self.problems.append(f"glue {key!r} has no text value")
            return "(see the output below)"
        text = glue_text(data, fmt if name == "glue:text" else "")
        return _escape(text)

    def eq(self, body):
        text, label = _split_title(body)
        found = self.xref["equations"].get(label)
        if not found:
            self.problems.append(f"equation {label!r} unknown")
            return f"({label})"
        docname, number, anchor = found
        shown = text.replace("{number}", number) if text else f"({number})"
        if docname == self.docname:
            return shown
        return _md_link(shown, self.links.page(docname, anchor))

    def ref(self, body):
        text, label = _split_title(body)
        label = label.lower()
        if label in self.xref["labels"]:
            docname, anchor, section = self.xref["labels"][label]
            return _md_link(text or section, self.links.page(docname, anchor))
        if label in self.xref["anonlabels"] and text:
            docname, anchor = self.xref["anonlabels"][label]
            return _md_link(text, self.links.page(docname, anchor))
        self.problems.append(f"reference {label!r} unknown")
        return text or label

    def doc(self, body):
        text, target = _split_title(body)
        docname = posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), target)) \
            if not target.startswith("/") else target.lstrip("/")
        if docname not in self.xref["titles"]:
            self.problems.append(f"page {target!r} unknown")
            return text or target
        return _md_link(text or self.xref["titles"][docname], self.links.page(docname))

    def numref(self, body):
        text, label = _split_title(body)
        label = label.lower()
        if label not in self.xref["figures"] and label in self.xref["labels"]:
            # a section: the site numbers chapters only, so the section's title stands
            docname, anchor, section = self.xref["labels"][label]
            return _md_link(section, self.links.page(docname, anchor))
        if label not in self.xref["figures"] or label not in self.xref["anonlabels"]:
            self.problems.append(f"figure {label!r} unknown")
            return text or label
        docname, number = self.xref["figures"][label]
        fmt = self.xref["numfig_format"].get("figure", "Fig. %s")
        shown = (text.replace("%s", number).replace("{number}", number) if text else fmt % number)
        anchor = self.xref["anonlabels"][label][1]
        return _md_link(shown, self.links.page(docname, anchor))

    def cite(self, name, body):
        keys = [k.strip() for k in body.split(",") if k.strip()]
        parts = []
        for key in keys:
            entry = self.xref["citations"].get(key)
            if entry is None:
                self.problems.append(f"citation {key!r} unknown")
                parts.append((key, "", None))
                continue
            url = self.links.page(entry["docname"], entry["anchor"])
            parts.append((entry["names"], entry["year"], url))
        if name in ("cite:t", "cite:ts"):
            return ", ".join(_md_link(f"{n} ({y})", u) if u else n for n, y, u in parts)
        inner = "; ".join(_md_link(f"{n}, {y}", u) if u else n for n, y, u in parts)
        return f"({inner})"

    # blocks
    def labelled_math(self, match):
        label, math = match.group("label"), match.group("math")
        found = self.xref["equations"].get(label)
        if not found:
            self.problems.append(f"equation {label!r} has no number")
            return f"$${math}$$"
        body = math.rstrip()
        tail = math[len(body):]
        return f"$${body}\n\\tag{{{found[1]}}}{tail or chr(10)}$$"

    def fence(self, match):
        name, arg, body = match.group("name"), match.group("arg").strip(), match.group("body")
        options = {}
        lines = body.split("\n")
        while lines and re.match(r"^:[\w-]+:", lines[0]):
            key, _, value = lines.pop(0)[1:].partition(":")
            options[key] = value.strip()
        body = self.text("\n".join(lines).strip("\n"))
        if name == "math":
            label = options.get("label")
            number = self.xref["equations"].get(label, [None, None, None])[1] if label else None
            return f"$$\n{body}\n" + (f"\\tag{{{number}}}\n" if number else "") + "$$"
        if name in ADMONITIONS or name == "admonition":
            title = arg if name == "admonition" else ADMONITIONS[name]
            quoted = "\n".join("> " + l if l else ">" for l in body.split("\n"))
            return f"> **{title}.**\n>\n{quoted}"
        if name == "figure":
            label = options.get("name", "").lower()
            number = self.xref["figures"].get(label, [None, None])[1]
            fmt = self.xref["numfig_format"].get("figure", "Fig. %s")
            caption = f"**{fmt % number}** {body}" if number else body
            return f"![{options.get('alt', '')}]({arg})\n\n{caption}"
        if name in ("code-block", "code", "sourcecode"):
            return f"```{arg}\n{match.group('body').rstrip()}\n```"
        self.problems.append(f"directive {{{name}}} shown as plain text")
        return body

    def text(self, text):
        "The markdown of one cell, for Jupyter (fenced code blocks left as they are)."
        out, last = [], 0
        for code in CODE_FENCE.finditer(text):
            if re.match(r"^(`{3,}|~{3,})\{", code.group(0)):   # a MyST directive, not code
                continue
            out.append(self._prose(text[last:code.start()]))
            out.append(code.group(0))
            last = code.end()
        out.append(self._prose(text[last:]))
        return "".join(out)

    def _prose(self, text):
        text = FENCE.sub(self.fence, text)
        text = DEFINITION.sub(r"**\g<term>**: \g<definition>", text)
        text = TARGET.sub("", text)
        text = LABELLED_MATH.sub(self.labelled_math, text)
        return _sub_outside_code(ROLE, self.role, text)


def _sub_outside_code(pattern, repl, text):
    """Replace each role (`pattern`, matched where a role starts) by repl(match), reading
    the text left to right as Markdown does: a role's body is not a code span, and a
    role written inside a code span (`{epoch}` in `"ckpt-{epoch}.npz"`) is code."""
    out, i, last = [], 0, 0
    while i < len(text):
        m = pattern.match(text, i)
        if m:
            out.append(text[last:i])
            out.append(repl(m))
            i = last = m.end()
            continue
        if text[i] == "`":
            run = re.match(r"`+", text[i:]).group(0)
            close = re.compile(rf"(?<!`){run}(?!`)").search(text, i + len(run))
            i = close.end() if close else i + len(run)
            continue
        i += 1
    out.append(text[last:])
    return "".join(out)


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def fold(cell):
    "Fold in Jupyter what the site folds or hides (cell metadata `jupyter`)."
    if cell.get("cell_type") != "code":
        return
    tags = _tags(cell)
    text = setup_cell.source(cell)
    first = text.lstrip().splitlines()[0].replace(" ", "") if text.strip() else ""
    jupyter = cell.setdefault("metadata", {}).setdefault("jupyter", {})
    if tags & FOLDED_TAGS or first in ("#|hide", "#|exporti_hide") or first.startswith("#|default_exp"):
        jupyter["source_hidden"] = True
    if tags & OUTPUT_FOLDED_TAGS:
        jupyter["outputs_hidden"] = True
    if not jupyter:
        del cell["metadata"]["jupyter"]


def _markdown_cell(cell_id, text, tags=()):
    cell = {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": []}
    if tags:
        cell["metadata"]["tags"] = list(tags)
    make_workbook.set_source(cell, text)
    return cell


def _code_cell(cell_id, text, tags=(), folded=False):
    cell = {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": {},
            "outputs": [], "source": []}
    if tags:
        cell["metadata"]["tags"] = list(tags)
    if folded:
        cell["metadata"]["jupyter"] = {"source_hidden": True}
    make_workbook.set_source(cell, text)
    return cell


def caption_cell(cell, renderer):
    "A markdown cell with the caption of the figure a code cell draws (None without one)."
    figure = cell.get("metadata", {}).get("mystnb", {}).get("figure")
    if not figure or not figure.get("caption"):
        return None
    label = (figure.get("name") or "").lower()
    number = renderer.xref["figures"].get(label, [None, None])[1]
    fmt = renderer.xref["numfig_format"].get("figure", "Fig. %s")
    caption = renderer.text(figure["caption"])
    text = f"**{fmt % number}** {caption}" if number else caption
    return _markdown_cell(f"{cell.get('id', 'cell')}-caption", text, ["figure-caption"])


def render(nb, docname, glue, xref, location, edition="reading", chapter=None, glue_of=None):
    """The notebook `nb` (a dict: the source, or its workbook edition) for Jupyter.

    docname: the page, e.g. 'nbs/04_optimizers'; glue: {key: output} of its executed
    notebook; location: the site folder the notebook is written to (links are made
    relative to it). Returns (notebook, problems): what could not be converted."""
    nb = copy.deepcopy(nb)
    renderer = Renderer(docname, glue, xref, Links(xref, location), glue_of)
    cells = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            make_workbook.set_source(cell, renderer.text(make_workbook.source(cell)))
            cells.append(cell)
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
            fold(cell)
        cells.append(cell)
        caption = caption_cell(cell, renderer)
        if caption is not None:
            cells.append(caption)
    nb["cells"] = cells
    nb.setdefault("metadata", {})["mlpbook"] = {"edition": edition, "page": docname}
    note = _note(docname, xref, renderer.links, edition, chapter)
    first = 1 if cells and cells[0].get("cell_type") == "markdown" else 0
    nb["cells"].insert(first, _markdown_cell("reader-note", note, [NOTE_TAG]))
    return nb, renderer.problems


def _note(docname, xref, links, edition, chapter):
    title = xref["titles"].get(docname, docname)
    what = f"**{chapter}: {title}**" if chapter else f"the page **{title}**"
    link = _md_link("its page on the website", links.page(docname))
    edition_text = ("This is the workbook edition: the central code is yours to write."
                    if edition == "workbook" else "This is the reading edition, with the book's code.")
    return NOTE.format(what=what, book="mlpbook: a deep neural network from scratch",
                       link=link, edition=edition_text)


def workbook_extras(nb, source_nb, filename):
    """Add the workbook's switch (USE_MY_CODE, visible, just before the set-up cell)
    and, for a chapter that writes a module, the last cells that save the reader's code
    (`filename`: the notebook's file name, which the saving cell reads)."""
    cells = nb["cells"]
    setup_at = next((i for i, c in enumerate(cells) if setup_cell.is_setup_cell(c)), None)
    if setup_at is not None:
        cells.insert(setup_at, _code_cell("use-my-code", SWITCH_SOURCE, ["use-my-code"]))
    module = _module(source_nb)
    names = [n for c in source_nb["cells"] if _is_export(c) for n in make_workbook.tags_of(c)]
    if module and names:
        listed = ", ".join(f"`{n}`" for n in names)
        cells.append(_markdown_cell("export-my-code-note",
                                    EXPORT_NOTE.format(names=listed, module=module)))
        cells.append(_code_cell("export-my-code", EXPORT_SOURCE.format(notebook=filename),
                                ["export-my-code"]))
    return nb


def _is_export(cell):
    text = make_workbook.source(cell)
    return cell.get("cell_type") == "code" and any(
        re.match(r"^#\|\s*export(s|i)?\s*$", l.strip()) for l in text.splitlines()
        if l.strip().startswith("#|"))


def _module(nb):
    for cell in nb["cells"]:
        for line in make_workbook.source(cell).splitlines():
            m = re.match(r"^#\|\s*default_exp\s+(\S+)", line.strip())
            if m and cell.get("cell_type") == "code":
                return m.group(1)
    return None


# --- the site ------------------------------------------------------------------------------

def chapter_label(docname, xref):
    "'Chapter 4' / 'Section 5.3' as the site numbers the page, or None."
    numbers = xref.get("secnumbers", {}).get(docname)
    if not numbers:
        return None
    return ("Chapter " if len(numbers) == 1 else "Section ") + _number(numbers)


def load_glue(build, docname):
    path = pathlib.Path(build) / "jupyter_execute" / f"{docname}.glue.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def editions(srcdir, build, xref, outdir):
    """Write reading/<stem>.ipynb, workbook/<stem>.ipynb and _sources/nbs/<stem>.ipynb
    (the theme's download button) into `outdir`; returns ({path: problems}, written)."""
    srcdir, outdir = pathlib.Path(srcdir), pathlib.Path(outdir)
    problems, written = {}, []
    docnames = [d for d in xref["titles"] if d.startswith("nbs/") and (srcdir / f"{d}.ipynb").exists()]
    for docname in sorted(docnames):
        path = srcdir / f"{docname}.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        glue = load_glue(build, docname)
        chapter = chapter_label(docname, xref)
        glue_of = lambda d: load_glue(build, d)  # noqa: E731
        targets = [(READING_DIR, nb, "reading"), ("_sources/nbs", nb, "reading")]
        if make_workbook.workbook_names(nb):
            targets.append((WORKBOOK_DIR, make_workbook.make(nb), "workbook"))
        for location, source_nb, edition in targets:
            out, found = render(source_nb, docname, glue, xref, location, edition, chapter, glue_of)
            if edition == "workbook":
                out = workbook_extras(out, nb, path.name)
            target = outdir / location / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(make_workbook.dumps(out), encoding="utf-8")
            written.append(target)
            if found:
                problems[str(target.relative_to(outdir))] = found
    return problems, written


def write_editions(app):
    "Called by tools/reader_links.py when the HTML build finishes."
    xref = collect(app.env, app.config)
    build = pathlib.Path(app.outdir).parent
    problems, written = editions(app.srcdir, build, xref, app.outdir)
    return xref, problems, written


def main(argv=None):
    import pickle
    argv = sys.argv[1:] if argv is None else argv
    build = pathlib.Path(argv[0] if argv else HERE.parent / "_build")
    with open(build / ".doctrees" / "environment.pickle", "rb") as f:
        env = pickle.load(f)
    xref = collect(env, env.config)
    problems, written = editions(HERE.parent, build, xref, build / "html")
    print(f"reader_edition: {len(written)} notebooks written under {build / 'html'}")
    for path, found in problems.items():
        print(f"  {path}: " + "; ".join(sorted(set(found))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
