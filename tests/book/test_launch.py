"""Launch buttons are honest: one repository URL, no button that points at a placeholder.

The repository URL is written in one place, `_config.yml` `repository.url`.
While it is empty (the project has no public home yet) tools/reader_links.py
removes the Binder/Colab launch buttons and the repository/issues buttons; the
built pages are checked for that in tests/book/test_site.py. binder/ installs the
package for the day the URL is set.
"""
import re
import subprocess
import tomllib
import types
from pathlib import Path

import yaml

import sys

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import reader_links  # noqa: E402

REPO_URL = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/[\w.-]+/[\w.-]+")
PLACEHOLDER_OWNERS = ("mlpbook/mlpbook", "OWNER/", "executablebooks/jupyter-book")


def configured_url():
    return (yaml.safe_load((ROOT / "_config.yml").read_text())["repository"].get("url") or "").strip()


def test_repository_url_is_real_or_empty():
    url = configured_url()
    assert url == "" or (REPO_URL.fullmatch(url.rstrip("/")) and not any(p in url for p in PLACEHOLDER_OWNERS)), (
        f"_config.yml repository.url must be the real public repository or empty, not {url!r}")


def test_no_other_file_names_a_repository():
    "Only the configured URL (and the placeholder spelled as an example in comments) may appear."
    url = configured_url()
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    offenders = []
    for name in files:
        if name.startswith(("_vendor/", "tests/")) or not name.endswith((".md", ".yml", ".yaml", ".toml", ".py",
                                                                          ".ipynb", ".txt", ".cfg")):
            continue
        path = ROOT / name
        if not path.is_file():
            continue
        for found in REPO_URL.findall(path.read_text(encoding="utf-8", errors="replace")):
            if url and found.rstrip("/").startswith(url.rstrip("/")):
                continue
            if name == "_config.yml" and "OWNER" in found:              # the example in the comment
                continue
            offenders.append(f"{name}: {found}")
    assert not offenders, ("repository URLs other than _config.yml's repository.url "
                           f"({url or 'empty'}):\n" + "\n".join(offenders))


def test_package_urls_agree_with_the_book():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    urls = project.get("urls", {})
    url = configured_url()
    if not url:
        assert not urls, f"pyproject [project.urls] names {urls} while the book has no repository URL"
    else:
        assert urls.get("Repository", "").rstrip("/") == url.rstrip("/")


def _config(theme_options):
    return types.SimpleNamespace(html_theme_options=dict(theme_options))


def test_buttons_removed_without_a_real_url():
    launch = {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com"}
    for url in ("", "https://github.com/mlpbook/mlpbook", "https://github.com/executablebooks/jupyter-book"):
        config = _config({"repository_url": url, "launch_buttons": launch, "use_repository_button": True})
        reader_links.honest_buttons(None, config)
        opts = config.html_theme_options
        assert opts["launch_buttons"] == {} and not opts["use_repository_button"] and not opts["use_issues_button"]
        assert opts["repository_url"] == ""


def test_buttons_kept_with_a_real_url():
    launch = {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com"}
    config = _config({"repository_url": "https://github.com/someone/mlpbook", "launch_buttons": launch})
    reader_links.honest_buttons(None, config)
    opts = config.html_theme_options
    assert opts["launch_buttons"] == launch and opts["use_repository_button"] and opts["use_issues_button"]


def test_binder_installs_the_package():
    reqs = [l.strip() for l in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
            if l.strip() and not l.startswith("#")]
    assert "." in reqs, "binder/requirements.txt must install the package from the repository (a `.` line)"
    assert re.fullmatch(r"python-3\.\d+", (ROOT / "binder" / "runtime.txt").read_text().strip())
