"""Sphinx extension: what a reader of the site can take away, and honest buttons.

* Each chapter page (a notebook under nbs/) gets, under its title, a line with
  the download link of its workbook edition (`workbook/<stem>.ipynb`, written
  into the site by tools/make_workbook.py when the HTML build finishes) and of
  the whole book as one PDF (`mlpbook.pdf`, printed by tools/make_pdf.py after
  the build). The root page gets the PDF link.
* Launch and repository buttons only when `repository.url` in _config.yml (the
  one place the repository URL is written) names a real repository: with an
  empty URL there is no Binder/Colab/repository/issues button pointing nowhere.

Only the `html` builder is changed; the single-page build that becomes the PDF
has no download lines (a PDF needs no link to itself).
"""
import pathlib
import sys

PDF_NAME = "mlpbook.pdf"
WORKBOOK_DIR = "workbook"
PLACEHOLDERS = ("github.com/mlpbook/mlpbook", "github.com/executablebooks/jupyter-book")

_here = pathlib.Path(__file__).resolve().parent


def repository_url(config):
    url = (config.html_theme_options or {}).get("repository_url", "") or ""
    return "" if any(p in url for p in PLACEHOLDERS) else url.strip()


def honest_buttons(app, config):
    opts = dict(config.html_theme_options or {})
    if repository_url(config):
        opts.setdefault("use_repository_button", True)
        opts.setdefault("use_issues_button", True)
    else:
        opts["repository_url"] = ""
        opts["launch_buttons"] = {}
        for key in ("use_repository_button", "use_issues_button", "use_edit_page_button"):
            opts[key] = False
    config.html_theme_options = opts


def _is_chapter(app, pagename):
    return pagename.startswith("nbs/") and app.env.doc2path(pagename).endswith(".ipynb")


def _has_workbook(app, pagename):
    "Does the chapter tag any cell workbook:<name> (so make_workbook writes its workbook)?"
    sys.path.insert(0, str(_here))
    import json
    import make_workbook
    nb = json.loads(pathlib.Path(app.env.doc2path(pagename)).read_text(encoding="utf-8"))
    return bool(make_workbook.workbook_names(nb))


def _links_html(app, pagename):
    depth = pagename.count("/")
    up = "../" * depth
    pdf = f'<a class="reference external" href="{up}{PDF_NAME}">the whole book as one PDF</a>'
    if _is_chapter(app, pagename) and _has_workbook(app, pagename):
        stem = pagename.split("/")[-1]
        wb = (f'<a class="reference external" href="{up}{WORKBOOK_DIR}/{stem}.ipynb" download>'
              f"workbook edition of this chapter</a>")
        return (f'<p class="mlpbook-downloads">Download: the {wb} (the central code left for '
                f"you to write, with the chapter's checks kept) · {pdf}.</p>")
    return f'<p class="mlpbook-downloads">Download: {pdf}.</p>'


def add_download_links(app, pagename, templatename, context, doctree):
    if app.builder.name != "html" or "body" not in context or doctree is None:
        return
    if not (_is_chapter(app, pagename) or pagename == app.config.root_doc):
        return
    body = context["body"]
    end = body.find("</h1>")
    if end < 0:
        return
    end += len("</h1>")
    context["body"] = body[:end] + "\n" + _links_html(app, pagename) + body[end:]


def write_workbook(app, exception):
    if exception is not None or app.builder.name != "html":
        return
    sys.path.insert(0, str(_here))
    import make_workbook
    src = pathlib.Path(app.srcdir) / "nbs"
    out = pathlib.Path(app.outdir) / WORKBOOK_DIR
    written = make_workbook.build(src, out)
    print(f"reader_links: {len(written)} workbook notebooks written to {out}")


def setup(app):
    app.connect("config-inited", honest_buttons, priority=900)
    app.connect("html-page-context", add_download_links, priority=900)
    app.connect("build-finished", write_workbook)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
