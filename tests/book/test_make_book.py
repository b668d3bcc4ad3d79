"""`make book` without Chromium builds the website, says in one line that the PDF needs
Chromium, and succeeds; with Chromium it prints the PDF. Checked with `make -n` (what
make would run), so nothing is built here.
"""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _plan(**variables):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    args = ["make", "-n", "--no-print-directory", "book"] + [f"{k}={v}" for k, v in variables.items()]
    res = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_without_chromium_the_site_is_built_and_one_line_says_why_there_is_no_pdf():
    plan = _plan(CHROMIUM="")
    assert "jupyter-book build --all" in plan and "make_pdf.py" not in plan and "singlehtml" not in plan
    lines = [l for l in plan.splitlines() if "Chromium" in l]
    assert len(lines) == 1 and "PDF" in lines[0], lines


def test_with_chromium_the_pdf_is_printed():
    plan = _plan(CHROMIUM="/usr/bin/chromium")
    assert "jupyter-book build --all" in plan and "tools/make_pdf.py" in plan
