"""What a chapter page offers to download (tools/reader_links.py): its reading and
workbook notebooks, the offline bundle, and the PDF only where Chromium prints it."""
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import reader_links  # noqa: E402


def _app():
    env = types.SimpleNamespace(doc2path=lambda page: str(ROOT / f"{page}.ipynb")
                                if page.startswith("nbs/") else str(ROOT / f"{page}.md"))
    return types.SimpleNamespace(env=env, config=types.SimpleNamespace(root_doc="intro"))


def test_a_workbook_chapter_links_both_notebooks_the_bundle_and_the_pdf(monkeypatch):
    monkeypatch.setattr(reader_links, "_pdf_printed", lambda: True)
    line = reader_links._links_html(_app(), "nbs/01_layers")
    for href in ('href="../reading/01_layers.ipynb"', 'href="../workbook/01_layers.ipynb"',
                 'href="../mlpbook-notebooks.zip"', 'href="../mlpbook.pdf"'):
        assert href in line, f"{href} missing from {line}"


def test_no_pdf_link_where_no_pdf_is_printed(monkeypatch):
    monkeypatch.setattr(reader_links, "_pdf_printed", lambda: False)
    line = reader_links._links_html(_app(), "nbs/00_api")
    assert "mlpbook.pdf" not in line and "workbook/" not in line
    assert 'href="../reading/00_api.ipynb"' in line and "mlpbook-notebooks.zip" in line


def test_the_home_page_links_the_bundle(monkeypatch):
    monkeypatch.setattr(reader_links, "_pdf_printed", lambda: True)
    line = reader_links._links_html(_app(), "intro")
    assert 'href="mlpbook-notebooks.zip"' in line and 'href="mlpbook.pdf"' in line
