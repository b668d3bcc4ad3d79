"""Sphinx extension: the kernels that execute the book record the text size of each figure.

The book promises figure text of at least 9 pt as shown (CONTRIBUTING.md, rule 8). The
size as shown depends on the size as drawn, which only matplotlib knows, and on the
scale the page shows the image at, which only the browser knows. This extension points
the kernels at tools/figure_text_kernel.py as their start-up file (PYTHONSTARTUP, which
IPython kernels run before the first cell), which writes the smallest drawn text size
into each PNG's metadata; tests/book/test_site.py reads it back from the built site and
scales it by the size the browser shows the image at. Nothing a reader sees changes.
"""
import os
from pathlib import Path

KERNEL_FILE = Path(__file__).with_name("figure_text_kernel.py")


def point_kernels_here():
    """Make the kernels started from now on run KERNEL_FILE first (called by the Sphinx
    build and by tools/execute_book.py, which executes the notebooks before it)."""
    previous = os.environ.get("PYTHONSTARTUP")
    if previous and Path(previous).resolve() != KERNEL_FILE.resolve():
        os.environ["MLPBOOK_PREVIOUS_PYTHONSTARTUP"] = previous
    os.environ["PYTHONSTARTUP"] = str(KERNEL_FILE)


def setup(app):
    point_kernels_here()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
