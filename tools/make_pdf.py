"""Print the single-page HTML build of the book to one PDF with headless Chromium.

    python tools/make_pdf.py _build/singlehtml/index.html _build/html/mlpbook.pdf

The page is served on 127.0.0.1 (MathJax and its fonts load as on the site,
offline) with a print stylesheet added: no sidebars, header or navigation,
page breaks before each chapter, solutions opened (a PDF cannot click them
open). Chromium's virtual-time budget lets MathJax finish typesetting before
the page is printed; links inside the page stay links inside the PDF, and the
document outline (bookmarks) follows the headings.
"""
import functools
import http.server
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading

PRINT_CSS = """
<style id="mlpbook-print">
@page { size: A4; margin: 16mm 14mm 16mm 14mm; }
@media print {
  .bd-header, .bd-header-article, .header-article, .bd-sidebar-primary, .bd-sidebar-secondary,
  .bd-footer, .bd-footer-article, .bd-footer-content, .prev-next-area, .bd-search,
  .primary-toggle, .secondary-toggle, .search-button, .theme-switch-button, #pst-back-to-top,
  .headerlink, .copybtn, .skip-link, .mlpbook-downloads, .toggle-details__summary-text,
  .bd-sidebar, .sidebar-primary-items__start, nav.bd-links, #jb-print-docs-body
    { display: none !important; }
  html, body { background: white !important; }
  * { box-shadow: none !important; text-shadow: none !important; }
  .bd-container, .bd-container__inner, .bd-main, .bd-content, .bd-article-container,
  .bd-article, .bd-page-width { max-width: none !important; width: auto !important;
    margin: 0 !important; padding: 0 !important; display: block !important; }
  .bd-main .bd-content .bd-article h1:first-of-type { display: block !important; }
  .bd-article > section:first-of-type > h1 { font-size: 2.6em; text-align: center; margin-top: 25%; }
  span[id^="document-"] + section { break-before: page; }
  div.cell, div.cell_input, div.cell_output, div.highlight, div[class*="highlight-"], pre
    { break-inside: auto !important; }
  h1, h2, h3, h4 { break-after: avoid; }
  figure, img, mjx-container[display="true"], table { break-inside: avoid; }
  pre { white-space: pre-wrap !important; font-size: 8pt !important; overflow: visible !important; }
  #mlpbook-toc ul { list-style: none; padding-left: 0; }
  #mlpbook-toc li.section { margin-left: 1.6em; }
  img { max-width: 100% !important; height: auto !important; }
  details.solution { border-left: 3px solid #999; padding-left: 0.6em; }
  a { color: #1a4d8f; text-decoration: none; }
}
</style>
<script>
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  // A table of contents that links to each chapter and section inside the PDF.
  var article = document.querySelector("article.bd-article") || document.body;
  // Each included page is <span id="document-NAME"></span><section id=...><h2>title</h2>.
  var starts = article.querySelectorAll('span[id^="document-"] + section');
  if (starts.length < 1) return;
  var nav = document.createElement("nav");
  nav.id = "mlpbook-toc";
  nav.innerHTML = "<h2>Contents</h2>";
  var list = document.createElement("ul");
  for (var i = 0; i < starts.length; i++) {
    var h = starts[i].querySelector("h1, h2, h3, h4, h5, h6");
    if (!h) continue;
    var text = h.textContent.replace(/#\s*$/, "").trim();
    var li = document.createElement("li"), a = document.createElement("a");
    a.href = "#" + starts[i].id;
    a.textContent = text;
    if (/^\d+\.\d+\./.test(text)) li.className = "section";
    li.appendChild(a);
    list.appendChild(li);
  }
  nav.appendChild(list);
  var title = article.querySelector("h1");
  (title || article.firstElementChild).insertAdjacentElement("afterend", nav);
});
</script>
"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("make_pdf: Chromium is not installed (apt-get install chromium)")


def serve(folder):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))

    class Quiet(handler.func):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_pdf(index_html, out_pdf, budget_ms=120_000, timeout=900):
    index_html, out_pdf = pathlib.Path(index_html).resolve(), pathlib.Path(out_pdf).resolve()
    page = index_html.read_text(encoding="utf-8")
    redirect = re.search(r'http-equiv="refresh"[^>]*url=([^"\s>]+)', page, flags=re.I)
    if redirect and len(page) < 5000:                 # Jupyter Book's index.html points at the root page
        index_html = index_html.with_name(redirect.group(1))
        page = index_html.read_text(encoding="utf-8")
    assert "</head>" in page, f"{index_html} is not an HTML page"
    printable = index_html.with_name("print.html")
    printable.write_text(page.replace("</head>", PRINT_CSS + "</head>", 1), encoding="utf-8")
    server = serve(index_html.parent)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp_pdf = out_pdf.with_suffix(".pdf.part")
    try:
        with tempfile.TemporaryDirectory(prefix="mlpbook-pdf-") as profile:
            cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--no-first-run", f"--user-data-dir={profile}", "--run-all-compositor-stages-before-draw",
                   f"--virtual-time-budget={budget_ms}", "--no-pdf-header-footer",
                   "--generate-pdf-document-outline", f"--print-to-pdf={tmp_pdf}",
                   f"http://127.0.0.1:{server.server_address[1]}/{printable.name}"]
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0 or not tmp_pdf.exists() or tmp_pdf.stat().st_size < 10_000:
            raise SystemExit(f"make_pdf: Chromium failed (exit {res.returncode}):\n{res.stderr[-3000:]}")
        tmp_pdf.replace(out_pdf)
    finally:
        server.shutdown()
        printable.unlink(missing_ok=True)
        tmp_pdf.unlink(missing_ok=True)
    print(f"make_pdf: wrote {out_pdf} ({out_pdf.stat().st_size / 1e6:.1f} MB)")
    return out_pdf


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    make_pdf(sys.argv[1], sys.argv[2])
