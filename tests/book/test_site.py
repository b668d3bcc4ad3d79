"""Browser tests of the built book: the pages a reader sees, in headless Chromium.

They need `_build/html` (made by `make book`; `make test` builds the site first) and
Chromium; each is skipped with a message saying which is missing. The site is
served on 127.0.0.1 so that it is read as a reader's browser would read it.

Each page is loaded once: in a frame 1280 px wide, where its DOM is kept for the tests
that read it and its layout measured, then narrowed to 800 px and measured again (see
LAYOUT). The loads are cached, and made two at a time before the first test
(`pages_loaded`), each Chromium with a profile of its own.
"""
import concurrent.futures
import functools
import html
import http.server
import json
import pathlib
import re
import shutil
import subprocess
import threading

import matplotlib.image
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"


def _toc_files():
    "Every file of _toc.yml, in book order (so a new chapter is tested without editing this list)."
    import yaml
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = [toc["root"]]

    def walk(entries):
        for e in entries:
            if "file" in e:
                out.append(e["file"])
            walk(e.get("sections", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return out


CHAPTERS = [f"{f}.html" for f in _toc_files() if f.startswith("nbs/") and f != "nbs/00_api"]
OTHER_PAGES = ["intro.html", "notation.html", "glossary.html", "bibliography.html", "nbs/00_api.html"]
# Pages whose figures the tests require; (page, minimum number of figures).
FIGURES = {"nbs/01a_init.html": 1, "nbs/01b_gradcheck.html": 1, "nbs/02_activations.html": 3,
           "nbs/03_losses.html": 1, "nbs/04_optimizers.html": 4, "nbs/05a_data.html": 1, "nbs/05b_metrics.html": 1,
           "nbs/05c_callbacks.html": 1, "nbs/05d_examples.html": 3, "nbs/05e_regularization.html": 2, "nbs/05f_batchnorm.html": 1,
           "nbs/06_fashion_mnist.html": 5,
           "nbs/09_autograd.html": 3}

pytestmark = pytest.mark.browser


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        pytest.skip(f"{SITE}/index.html is missing: run `make book` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))

    class Quiet(handler.func):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--virtual-time-budget=8000"]
    profiles = threading.local()        # two Chromiums at once cannot share a profile

    def run(*args, width=1280):
        if not hasattr(profiles, "path"):
            profiles.path = tmp_path_factory.mktemp("chromium-profile")
        res = subprocess.run(flags + [f"--user-data-dir={profiles.path}", f"--window-size={width},900"]
                             + list(args),
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr[-2000:]
        return res.stdout
    return run


def _visible_text(dom):
    dom = re.sub(r"<(script|style|mjx-assistive-mml)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", dom))


@functools.lru_cache(maxsize=None)
def _dom(chromium, url):
    return chromium("--dump-dom", url)


def _page_dom(chromium, site, page):
    """The DOM of a page of the book once MathJax has typeset it, every <details> as the
    reader gets it (closed): taken by the load the layout tests make anyway (see LAYOUT)."""
    return _layouts(chromium, site, page)["dom"]


# Pages that must contain typeset mathematics (a page without any, like the callbacks
# section, is still checked for raw TeX and nbdev directives).
MATH_PAGES = ["nbs/01_layers.html", "nbs/01a_init.html", "nbs/01b_gradcheck.html", "nbs/02_activations.html",
              "nbs/03_losses.html", "nbs/04_optimizers.html", "nbs/05a_data.html", "nbs/05b_metrics.html",
              "nbs/05e_regularization.html", "nbs/05f_batchnorm.html", "notation.html", "glossary.html"]


def test_index_redirects_to_intro(site, chromium, pages_loaded):
    dom = _dom(chromium, f"{site}/index.html")
    assert "What you will learn" in dom and "Layers" in dom   # landed on the intro, chapters in the sidebar


@pytest.mark.parametrize("page", sorted(set(CHAPTERS + MATH_PAGES + OTHER_PAGES)))
def test_page_renders_math_and_no_raw_markup(site, chromium, page, pages_loaded):
    assert (SITE / page).exists(), f"{page} was not built"
    source = (SITE / page).read_text()
    dom = _page_dom(chromium, site, page)
    if page in MATH_PAGES:
        assert 'class="math' in source, f"{page} was expected to contain mathematics"
    if 'class="math' in source:
        assert "mjx-container" in dom, f"MathJax did not typeset {page}"
    text = _visible_text(dom)
    for raw in ("\\(", "\\[", "$$"):
        assert raw not in text, f"raw TeX {raw!r} left in the text of {page}"
    assert "#| export" not in text and "#| default_exp" not in text, f"nbdev directives shown on {page}"


def test_mathjax_served_locally():
    if not (SITE / "index.html").exists():
        pytest.skip("no book built")
    for page in MATH_PAGES:
        text = (SITE / page).read_text()
        assert re.search(r'src="(\.\./)?_static/mathjax/tex-chtml\.js', text), page
        assert "cdn.jsdelivr" not in text, page
    assert (SITE / "_static/mathjax/tex-chtml.js").stat().st_size > 100_000
    assert (SITE / "_static/mathjax/output/chtml/fonts/woff-v2").is_dir()


@pytest.mark.parametrize("page,count", FIGURES.items())
def test_figures_present_and_non_empty(site, chromium, page, count, pages_loaded):
    dom = _page_dom(chromium, site, page)
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', dom)
    assert len(images) >= count, f"{page}: expected at least {count} figures, found {images}"
    for src in images:
        path = (SITE / page).parent / src
        assert path.exists(), f"{page}: figure {src} missing"
        # Not blank: a drawn figure has ink on its white page (file size says little: a
        # simple line drawing compresses to under 5 kB).
        pixels = matplotlib.image.imread(path)
        assert pixels.std() > 0.01, f"{page}: figure {src} is blank"
    assert "<figcaption" in dom, f"{page}: figures have no captions"


def test_screenshots_for_a_person(site, chromium):
    "Screenshots in _build/screenshots, at both widths the layout tests check, to look at."
    SHOTS.mkdir(parents=True, exist_ok=True)
    for page in ("index.html", "nbs/01a_init.html", "nbs/05f_batchnorm.html"):
        for width in WIDTHS:
            out = SHOTS / (page.replace("/", "_").replace(".html", f"_{width}.png"))
            chromium(f"--screenshot={out}", f"{site}/{page}", width=width)
            assert out.exists() and out.stat().st_size > 10_000


def _internal_links(page):
    "(target file, fragment) for every relative link on a built page."
    source = (SITE / page).read_text()
    links = []
    for href in re.findall(r'<a [^>]*href="([^"]+)"', source):
        href = html.unescape(href)
        if re.match(r"^[a-z]+:", href) or href.startswith("//"):
            continue                                   # external (http:, mailto:, ...)
        path, _, fragment = href.partition("#")
        target = (SITE / page).parent / path if path else SITE / page
        links.append((target.resolve(), fragment))
    return links


@pytest.mark.parametrize("page", CHAPTERS + OTHER_PAGES)
def test_no_broken_internal_links(page, pdf_printed):     # a page links the PDF
    if not (SITE / page).exists():
        pytest.skip(f"{page} not built")
    ids = {}
    for target, fragment in _internal_links(page):
        assert target.exists(), f"{page} links to missing {target.relative_to(SITE.resolve())}"
        if fragment and target.suffix == ".html":
            if target not in ids:
                ids[target] = set(re.findall(r'id="([^"]+)"', target.read_text()))
            assert fragment in ids[target], f"{page} links to #{fragment}, absent from {target.name}"


@pytest.mark.parametrize("page", [p for p in CHAPTERS if p != "nbs/00_api.html"])
def test_every_chapter_has_exercises_with_hidden_solutions(site, chromium, page, pages_loaded):
    "Solutions are <details class=\"solution\"> blocks (CONTRIBUTING.md, rule 3): closed, with a summary."
    source = (SITE / page).read_text()
    assert 'id="exercises"' in source, f"{page} has no Exercises section"
    dom = _page_dom(chromium, site, page)
    solutions = re.findall(r'<details\b[^>]*class="[^"]*\bsolution\b[^"]*"[^>]*>(.*?)</details>', dom, flags=re.S)
    assert solutions, f"{page}: no <details class=\"solution\"> blocks"
    assert not re.search(r'<details\b[^>]*class="[^"]*\bsolution\b[^"]*"[^>]*\bopen\b', dom), f"{page}: a solution is open"
    for body in solutions:
        assert re.search(r"<summary[^>]*>\s*Solution", body), f"{page}: a solution without <summary>Solution"


def _repository_url():
    import yaml
    return (yaml.safe_load((ROOT / "_config.yml").read_text())["repository"].get("url") or "").strip()


@pytest.mark.parametrize("page", CHAPTERS)
def test_download_and_honest_launch_buttons(page):
    "A notebook download always; launch buttons only when _config.yml names the real repository."
    if not (SITE / page).exists():
        pytest.skip(f"{page} not built")
    source = (SITE / page).read_text()
    assert ".ipynb" in source and "download" in source.lower(), f"{page}: no notebook download"
    url = _repository_url()
    if url:
        assert "mybinder.org" in source and "colab.research.google.com" in source, f"{page}: no launch buttons"
        assert url in source, f"{page}: no link to {url}"
    else:
        for placeholder in ("mybinder.org", "colab.research.google.com", "github.com/mlpbook/mlpbook",
                            "executablebooks/jupyter-book", "repository-button"):
            assert placeholder not in source, f"{page}: {placeholder!r} shown while the book has no repository URL"


@pytest.mark.parametrize("page", [p for p in CHAPTERS if p != "nbs/00_api.html"])
def test_workbook_and_pdf_links(page):
    "Each chapter with workbook tags links its workbook notebook; every chapter links the PDF."
    if not (SITE / page).exists():
        pytest.skip(f"{page} not built")
    source = (SITE / page).read_text()
    assert 'href="../mlpbook.pdf"' in source, f"{page}: no link to the PDF of the book"
    stem = pathlib.Path(page).stem
    notebook = json.loads((ROOT / "nbs" / f"{stem}.ipynb").read_text())
    tagged = any(t.startswith("workbook:") for c in notebook["cells"] for t in c.get("metadata", {}).get("tags", []))
    link = f'href="../workbook/{stem}.ipynb"'
    if tagged:
        assert link in source, f"{page}: no download link to its workbook"
        assert "NotImplementedError" in (SITE / "workbook" / f"{stem}.ipynb").read_text()
    else:
        assert link not in source, f"{page}: links a workbook although no cell is tagged workbook:<name>"


# --- figures drawn at the width they are shown (CONTRIBUTING.md, rule 8) -----------------------

MIN_SCALE = 0.6


@pytest.mark.parametrize("page", CHAPTERS)
def test_figures_not_heavily_downscaled(site, chromium, page, pages_loaded):
    "Each figure is shown at >= 60% of its drawn width in a 1280-px window (text stays >= ~9 pt)."
    images = [i for i in _layout(chromium, site, page, 1280)["images"] if i["natural"] >= 200]
    assert images or page not in FIGURES, f"{page}: no figure measured, {FIGURES[page]} expected"
    bad = [f"{i['src']}: drawn {i['natural']} px, shown {i['shown']:.0f} px" for i in images
           if i["shown"] < MIN_SCALE * i["natural"]]
    assert not bad, f"{page}: figures shrunk below {MIN_SCALE:.0%} of their width (draw them narrower):\n" + "\n".join(bad)


# --- the page renders as written, at 800 and 1280 px (CONTRIBUTING.md, rule 8) --------------
# Measured in the DOM of each page, loaded in an iframe of the window's width once MathJax
# has typeset it and its fonts are in, with every <details> (folded code, solutions) open;
# loaded at 1280 px, then narrowed to 800 px and measured again.

WIDTHS = (800, 1280)
LAYOUT = """<!doctype html><html><body style="margin:0">
<iframe id="f" style="width:__FIRST__px;height:900px;border:0" src="__PAGE__"></iframe>
<pre id="result">pending</pre>
<script>
function px(v) { return parseFloat(v) || 0; }
function describe(el) {
  var s = el.tagName.toLowerCase();
  if (el.id) s += "#" + el.id;
  if (el.className && typeof el.className == "string") s += "." + el.className.trim().split(/\\s+/).join(".");
  return s;
}
// Does a ::-webkit-scrollbar rule of the page itself apply to `el`? A scrollbar the page
// styles is drawn at all times in Chromium and Safari; an unstyled one is an overlay on
// macOS, phones and some Linux desktops, hidden until the reader scrolls.
function styledScrollbar(el) {
  function search(rules) {
    for (var i = 0; i < rules.length; i++) {
      var rule = rules[i];
      if (rule.cssRules && search(rule.cssRules)) return true;
      if (!rule.selectorText) continue;
      var parts = rule.selectorText.split(",");
      for (var j = 0; j < parts.length; j++) {
        var part = parts[j].trim();
        if (!/::-webkit-scrollbar$/.test(part)) continue;
        var base = part.replace(/::-webkit-scrollbar$/, "") || "*";
        try { if (el.matches(base)) return true; } catch (e) {}
      }
    }
    return false;
  }
  var sheets = el.ownerDocument.styleSheets;
  for (var k = 0; k < sheets.length; k++) {
    var rules;
    try { rules = sheets[k].cssRules; } catch (e) { continue; }
    if (search(rules)) return true;
  }
  return false;
}
// Is the box `r` (the content of `el`) cut off? Walk out from `el` to the article: the first
// box that scrolls sideways makes the content reachable, if its scrollbar takes room on
// screen and is one the reader always sees; a box that clips (overflow hidden), or the
// article itself, must contain it.
function cut(el, r, article) {
  for (var a = el; a; a = a.parentElement) {
    var cs = getComputedStyle(a), box = a.getBoundingClientRect();
    if ((cs.overflowX == "auto" || cs.overflowX == "scroll") && a.scrollWidth > a.clientWidth + 1) {
      var bar = a.offsetHeight - a.clientHeight - px(cs.borderTopWidth) - px(cs.borderBottomWidth);
      if (bar > 0 && styledScrollbar(a)) return null;
      return "scrolls inside " + describe(a) + " behind " + (bar > 0 ? "a scrollbar the page " +
             "does not style (on macOS and phones an overlay, hidden until the reader scrolls)"
             : "no scrollbar") + ", " + (a.scrollWidth - a.clientWidth) + " px out of sight";
    }
    if (cs.overflowX != "visible" || a === article) {
      if (r.right > box.right + 1 || r.left < box.left - 1)
        return "cut off by " + describe(a) + " (" + Math.round(r.left - box.left) + " to " +
               Math.round(r.right - box.right) + " px outside)";
    }
    if (a === article) return null;
  }
  return null;
}
function measure(doc, win) {
  var article = doc.querySelector("article.bd-article") || doc.querySelector("main") || doc.body;
  var out = {width: win.innerWidth, code: [], math: [], images: [], empty: []};
  article.querySelectorAll("pre").forEach(function (pre) {
    if (!pre.getClientRects().length) return;                  // not rendered
    var text = pre.textContent.replace(/\\n$/, ""), lines = text.split("\\n");
    var one = pre.cloneNode(false);                            // the same box, one line of text
    one.textContent = "x";
    pre.parentNode.insertBefore(one, pre);
    var pad = function (e) { var c = getComputedStyle(e);
      return px(c.paddingTop) + px(c.paddingBottom) + px(c.borderTopWidth) + px(c.borderBottomWidth); };
    var lineHeight = one.getBoundingClientRect().height - pad(one);
    one.remove();
    var height = pre.getBoundingClientRect().height - pad(pre);
    var scrollbar = pre.offsetHeight - pre.clientHeight - px(getComputedStyle(pre).borderTopWidth)
                    - px(getComputedStyle(pre).borderBottomWidth);
    var shown = Math.round((height - Math.max(scrollbar, 0)) / lineHeight);
    var range = doc.createRange();
    range.selectNodeContents(pre);
    var longest = lines.reduce(function (a, b) { return b.length > a.length ? b : a; }, "");
    out.code.push({lines: lines.length, shown: shown, longest: longest.slice(0, 100),
                   cut: cut(pre, range.getBoundingClientRect(), article),
                   cell: !!pre.closest("div.cell")});
  });
  article.querySelectorAll('mjx-container[display="true"]').forEach(function (m) {
    var math = m.querySelector("mjx-math") || m;
    var label = m.closest("div.math");
    var eqno = label && label.querySelector(".eqno");
    out.math.push({label: eqno ? eqno.textContent.replace("#", "").trim() : (label && label.id) || "",
                   tex: (m.querySelector("mjx-assistive-mml") || m).textContent.slice(0, 80),
                   cut: cut(m, math.getBoundingClientRect(), article)});
  });
  article.querySelectorAll("img").forEach(function (img) {
    out.images.push({src: img.getAttribute("src"), natural: img.naturalWidth,
                     shown: img.getBoundingClientRect().width});
  });
  article.querySelectorAll("div.cell div.cell_input").forEach(function (box) {
    if (!box.textContent.trim()) out.empty.push(describe(box.closest("div.cell")));
  });
  return out;
}
// Loaded at the first width; measured there, then the frame is narrowed to each next width
// and measured again (the page lays itself out for its width with CSS alone, so this shows
// what opening it at that width shows: test_narrowing_shows_what_opening_narrow_shows).
document.getElementById("f").addEventListener("load", function () {
  var frame = this, win = this.contentWindow, doc = this.contentDocument;
  var typeset = win.MathJax && win.MathJax.startup && win.MathJax.startup.promise;
  var widths = __WIDTHS__;
  Promise.resolve(typeset).then(function () { return doc.fonts ? doc.fonts.ready : null; })
    .then(function () {
      var out = {dom: doc.documentElement.outerHTML, widths: {}};  // as the reader gets it
      doc.querySelectorAll("details").forEach(function (d) { d.open = true; });
      function next(i) {
        if (i == widths.length) {
          document.getElementById("result").textContent = JSON.stringify(out);
          return;
        }
        frame.style.width = widths[i] + "px";
        setTimeout(function () {
          try { out.widths[widths[i]] = measure(doc, win); }
          catch (e) { out.widths[widths[i]] = {error: String(e)}; }
          next(i + 1);
        }, 200);
      }
      next(0);
    });
});
</script></body></html>"""
PAGES = sorted(set(CHAPTERS + OTHER_PAGES))


@functools.lru_cache(maxsize=None)
def _layouts(chromium, site, page, widths=tuple(sorted(WIDTHS, reverse=True))):
    """One load of `page` (see LAYOUT): {"dom": its DOM once typeset, "widths": {width:
    what a reader's window of that width shows}}, for each of `widths`, the first of them
    the width it is loaded at."""
    name = "_".join(str(w) for w in widths)
    measure = SITE / f"__layout_{pathlib.Path(page).stem}_{name}.html"
    measure.write_text(LAYOUT.replace("__PAGE__", page).replace("__FIRST__", str(widths[0]))
                       .replace("__WIDTHS__", json.dumps(list(widths))))
    try:
        dom = chromium("--dump-dom", f"{site}/{measure.name}", width=widths[0] + 40)
    finally:
        measure.unlink()
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, flags=re.S)
    assert found and found.group(1) != "pending", f"{page}: the page did not load for measuring"
    loaded = json.loads(html.unescape(found.group(1)))
    assert re.search(r'<article\b[^>]*class="[^"]*\bbd-article\b', loaded["dom"]), \
        f"{page}: no article of the book in the page loaded for measuring (not found?)"
    return loaded


def _layout(chromium, site, page, width, loaded=None):
    "What a reader's window of `width` px shows of `page` (see LAYOUT), as a dict."
    layout = (loaded or _layouts(chromium, site, page))["widths"][str(width)]
    assert "error" not in layout, f"{page}: measuring at {width} px failed: {layout.get('error')}"
    assert layout["width"] == width, f"{page}: measured at {layout['width']} px, not {width}"
    return layout


@pytest.fixture(scope="module")
def pages_loaded(site, chromium, request):
    """The cached loads of the selected tests of this module, made before the first of them,
    two Chromiums at a time. A load that fails here is left out of the cache, so its test
    loads the page again and reports the failure itself."""
    loads = {}
    for item in request.session.items:
        if item.path.name != "test_site.py" or not hasattr(item, "callspec"):
            if getattr(item, "originalname", "") == "test_index_redirects_to_intro":
                loads[(_dom, (chromium, f"{site}/index.html"))] = None
            continue
        if item.originalname in ("test_page_renders_math_and_no_raw_markup",
                                 "test_figures_present_and_non_empty",
                                 "test_every_chapter_has_exercises_with_hidden_solutions",
                                 "test_figures_not_heavily_downscaled",
                                 "test_code_lines_never_wrap_nor_get_cut_off",
                                 "test_display_math_is_never_cut_off",
                                 "test_figure_text_at_least_9pt_as_shown",
                                 "test_no_empty_code_cell_box"):
            loads[(_layouts, (chromium, site, item.callspec.params["page"]))] = None
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    try:
        for future in [pool.submit(load, *args) for load, args in loads]:
            try:
                future.result()
            except Exception:        # noqa: BLE001 (reported by the test that needs the page)
                pass
    finally:                         # an interrupt does not wait for the loads not begun
        pool.shutdown(cancel_futures=True)


def _seen(layout):
    "What the layout tests judge in a measured layout, to compare two loads by."
    return {"code": [(c["lines"], c["shown"], c["cut"]) for c in layout["code"]],
            "math": [(m["label"], m["cut"]) for m in layout["math"]],
            "images": [(i["src"], round(i["shown"])) for i in layout["images"]],
            "empty": layout["empty"]}


@pytest.mark.parametrize("page", ["nbs/04_optimizers.html", "nbs/05f_batchnorm.html"])
def test_narrowing_shows_what_opening_narrow_shows(site, chromium, page, pages_loaded):
    """The layout tests load a page at 1280 px and narrow it to 800 px (one load per page
    for both widths): what they measure must be what a reader who opens the page in an
    800-px window sees. Checked on two long pages with code, equations and figures."""
    narrowed = _layout(chromium, site, page, 800)
    opened = _layout(chromium, site, page, 800, loaded=_layouts(chromium, site, page, (800,)))
    assert _seen(narrowed) == _seen(opened), f"{page}: narrowed to 800 px, it lays out otherwise"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES)
def test_code_lines_never_wrap_nor_get_cut_off(site, chromium, page, width, pages_loaded):
    """Every code line keeps its indentation and its tokens whole: a line of a code cell or
    an output is shown as one line (it fits the column or scrolls sideways), never wrapped
    onto the next, and what is wider than the column can be scrolled to."""
    layout = _layout(chromium, site, page, width)
    wrapped = [f"{c['shown'] - c['lines']} extra line(s) in a block of {c['lines']}, longest line "
               f"{c['longest']!r}" for c in layout["code"] if c["shown"] > c["lines"]]
    assert not wrapped, f"{page} at {width} px: code lines wrap:\n" + "\n".join(wrapped[:10])
    clipped = [f"{c['cut']}: {c['longest']!r}" for c in layout["code"] if c["cut"]]
    assert not clipped, f"{page} at {width} px: code cut off:\n" + "\n".join(clipped[:10])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES)
def test_display_math_is_never_cut_off(site, chromium, page, width, pages_loaded):
    "A display equation fits the column, or scrolls sideways with a scrollbar on screen."
    layout = _layout(chromium, site, page, width)
    bad = [f"equation {m['label'] or '(unnumbered)'} {m['tex']!r}: {m['cut']}"
           for m in layout["math"] if m["cut"]]
    assert not bad, f"{page} at {width} px: display math cut off:\n" + "\n".join(bad)


MIN_TEXT_PT = 9.0


def _png_text(path):
    "(smallest drawn text in pt, dpi) recorded by tools/figure_text_kernel.py, or None."
    from PIL import Image
    with Image.open(path) as im:
        info = getattr(im, "text", {}) or im.info
        if "mlpbook:text-pt" not in info:
            return None
        return float(info["mlpbook:text-pt"]), float(info["mlpbook:dpi"])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES)
def test_figure_text_at_least_9pt_as_shown(site, chromium, page, width, pages_loaded):
    """The smallest text of each figure, as drawn (recorded in the PNG when the book is
    built), scaled by the size the page shows the image at: at least 9 pt on screen.
    A font of s pt drawn at d dpi is s*d/72 image px, shown at (shown/natural) CSS px per
    image px, and a CSS px is 0.75 pt."""
    layout = _layout(chromium, site, page, width)
    recorded, small = 0, []
    for img in layout["images"]:
        path = (SITE / page).parent / img["src"]
        if not img["natural"] or path.suffix.lower() != ".png" or not path.exists():
            continue
        text = _png_text(path)
        if text is None:
            continue
        recorded += 1
        size_pt, dpi = text
        shown_pt = size_pt * dpi / 72 * img["shown"] / img["natural"] * 0.75
        if shown_pt < MIN_TEXT_PT - 0.05:
            small.append(f"{img['src']}: text drawn at {size_pt:g} pt ({dpi:g} dpi), "
                         f"shown at {shown_pt:.1f} pt ({img['shown']:.0f} of {img['natural']} px)")
    if page in FIGURES:
        assert recorded, (f"{page}: no figure records its text size; build the book with "
                          "tools/figure_text.py among the Sphinx extensions (_config.yml)")
    assert not small, (f"{page} at {width} px: figure text below {MIN_TEXT_PT:g} pt as shown "
                       "(draw it larger, or the figure narrower):\n" + "\n".join(small))


@pytest.mark.parametrize("page", PAGES)
def test_no_empty_code_cell_box(site, chromium, page, pages_loaded):
    "A cell that held only nbdev directives (#| default_exp) leaves no empty grey box."
    layout = _layout(chromium, site, page, 1280)
    assert not layout["empty"], f"{page}: empty code cells: {layout['empty']}"
