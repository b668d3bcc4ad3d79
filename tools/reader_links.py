"""Sphinx extension: what a reader of the site can take away, and honest buttons.

* When the HTML build finishes, tools/reader_edition.py writes every chapter
  for Jupyter (numbers written in, references as links, folds kept): the
  reading edition into `reading/<stem>.ipynb` (and over the copy the theme's
  download button serves, `_sources/nbs/<stem>.ipynb`), the workbook edition
  into `workbook/<stem>.ipynb`; then tools/make_bundle.py packs them with the
  package's wheel into `mlpbook-notebooks.zip`, the one download that runs
  offline. A MyST role or directive the reader's edition could not convert
  fails the build (with -W) or is reported.
* Each chapter page gets, under its title, a line with the download links of
  its two notebooks, of the bundle and of the whole book as one PDF
  (`mlpbook.pdf`, printed by tools/make_pdf.py after the build; linked only
  when Chromium, which prints it, is installed). The root page gets the
  bundle and the PDF.
* Launch and repository buttons only when `repository.url` in _config.yml (the
  one place the repository URL is written) names a real repository: with an
  empty URL there is no Binder/Colab/repository/issues button pointing nowhere.

Only the `html` builder is changed; the single-page build that becomes the PDF
has no download lines (a PDF needs no link to itself).
"""
import pathlib
import shutil
import sys

from sphinx.util import logging

PDF_NAME = "mlpbook.pdf"
WORKBOOK_DIR = "workbook"
READING_DIR = "reading"
BUNDLE_NAME = "mlpbook-notebooks.zip"
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
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


def _pdf_printed():
    "Is Chromium here to print the PDF (`make book` prints it only then)?"
    return any(shutil.which(name) for name in CHROMIUM)


def _links_html(app, pagename):
    depth = pagename.count("/")
    up = "../" * depth
    links = []
    if _is_chapter(app, pagename):
        stem = pagename.split("/")[-1]
        links.append(f'<a class="reference external" href="{up}{READING_DIR}/{stem}.ipynb" download>'
                     "this chapter as a notebook</a>")
        if _has_workbook(app, pagename):
            links.append(f'the <a class="reference external" href="{up}{WORKBOOK_DIR}/{stem}.ipynb" '
                         "download>workbook edition of this chapter</a> (the central code left for "
                         "you to write, with the chapter's checks kept)")
    links.append(f'<a class="reference external" href="{up}{BUNDLE_NAME}" download>every notebook '
                 "with the mlpbook package, to run offline</a> (zip)")
    if _pdf_printed():
        links.append(f'<a class="reference external" href="{up}{PDF_NAME}">the whole book as one PDF</a>')
    return f'<p class="mlpbook-downloads">Download: {" · ".join(links)}.</p>'


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


def write_reader_files(app, exception):
    "The reader's editions of every chapter, then the offline bundle made of them."
    if exception is not None or app.builder.name != "html":
        return
    sys.path.insert(0, str(_here))
    import make_bundle
    import reader_edition
    log = logging.getLogger(__name__)
    _, problems, written = reader_edition.write_editions(app)
    for path, found in problems.items():
        for problem in sorted(set(found)):
            log.warning(f"reader's edition {path}: {problem}")
    log.info(f"reader_links: {len(written)} reader's notebooks written to {app.outdir}")
    make_bundle.make_bundle(app.outdir)


def setup(app):
    app.connect("config-inited", honest_buttons, priority=900)
    app.connect("html-page-context", add_download_links, priority=900)
    app.connect("build-finished", write_reader_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
