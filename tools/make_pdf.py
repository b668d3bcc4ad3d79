"""Print the single-page HTML build of the book to one PDF with headless Chromium.

    python tools/make_pdf.py _build/singlehtml/index.html _build/html/mlpbook.pdf

The page is served on 127.0.0.1 (MathJax and its fonts load as on the site,
offline) with a print stylesheet added: no sidebars, header or navigation,
page breaks before each chapter. A PDF cannot click a solution open, so the
solutions of each page's exercises are moved to the end of that page, under
"Solutions to the exercises", each headed by its exercise's number; the
sentence that says they are hidden behind toggles says where they are instead,
and a note after the contents says so once. Chromium's virtual-time budget lets MathJax finish typesetting before
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
  .mlpbook-solutions { border-top: 1px solid #999; margin-top: 1.5em; }
  .mlpbook-solution { break-inside: avoid-page; }
  #mlpbook-pdf-note { font-style: italic; margin-top: 1em; }
  a { color: #1a4d8f; text-decoration: none; }
}
</style>
<script>
function exerciseNumber(details) {
  // The exercise a solution follows: the last item of the numbered list before it.
  for (var el = details.previousElementSibling; el; el = el.previousElementSibling) {
    if (el.tagName === "OL") return (parseInt(el.getAttribute("start"), 10) || 1) + el.children.length - 1;
  }
  return null;
}
function collectSolutions(page) {
  // A printed book gives the solutions after the exercises: move them to the page's end.
  var PAGE = 'span[id^="document-"] + section';
  var solutions = Array.prototype.filter.call(page.querySelectorAll("details.solution"),
    function (d) { return d.closest(PAGE) === page; });   // not those of a page inside it
  if (!solutions.length) return;
  var box = document.createElement("section");
  box.className = "mlpbook-solutions";
  var heading = document.createElement("h3");
  heading.textContent = "Solutions to the exercises";
  box.appendChild(heading);
  solutions.forEach(function (d, i) {
    var n = exerciseNumber(d) || i + 1;
    var item = document.createElement("div");
    item.className = "mlpbook-solution";
    var label = document.createElement("p");
    label.innerHTML = "<strong>Exercise " + n + ".</strong>";
    item.appendChild(label);
    Array.prototype.slice.call(d.childNodes).forEach(function (child) {
      if (child.tagName !== "SUMMARY") item.appendChild(child);
    });
    box.appendChild(item);
    d.remove();
  });
  page.querySelectorAll("p").forEach(function (p) {
    if (p.closest(PAGE) === page && /^Solutions are hidden/.test(p.textContent.trim())) {
      p.textContent = "The solutions are at the end of this section; try each exercise first.";
    }
  });
  var inner = page.querySelector('span[id^="document-"]');
  if (inner) inner.parentNode.insertBefore(box, inner); else page.appendChild(box);
}
document.addEventListener("DOMContentLoaded", function () {
  // A table of contents that links to each chapter and section inside the PDF.
  var article = document.querySelector("article.bd-article") || document.body;
  // Each included page is <span id="document-NAME"></span><section id=...><h2>title</h2>.
  var starts = article.querySelectorAll('span[id^="document-"] + section');
  starts.forEach(collectSolutions);
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
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
  var note = document.createElement("p");
  note.id = "mlpbook-pdf-note";
  note.textContent = "About this PDF: it holds the website's text, code and figures, " +
    "computed when the book was built. The solutions of the exercises, folded on the " +
    "website and in the notebooks, are printed at the end of each chapter or section, " +
    "after its exercises.";
  nav.appendChild(note);
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
