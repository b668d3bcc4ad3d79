# mlpbook: two entry points.
#   make book  -> .venv with pinned tools, export the package, execute every notebook, render _build/html
#   make test  -> the same bootstrap, then every check (export sync, clean notebooks, strict book build,
#                 pytest over tests/ and the notebooks, browser tests of the built site)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mlpbook-installed

.PHONY: book test venv export check-export check-clean pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,book]"
	touch $(STAMP)

venv: $(STAMP)

export: $(STAMP)
	$(BIN)/nbdev-export

book: export
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	@echo "Book: open _build/html/index.html"

# The committed package must be exactly what the notebooks export.
check-export: export
	@if [ -n "$$(git status --porcelain -- mlpbook)" ]; then \
	  echo "mlpbook/ differs from what nbdev-export writes from nbs/:"; git status --porcelain -- mlpbook; \
	  git --no-pager diff --stat -- mlpbook; exit 1; fi
	@echo "export in sync"

check-clean: $(STAMP)
	$(BIN)/python tools/check_clean.py nbs

# The notebooks run under nbval here, except the Fashion-MNIST chapter: its three-minute
# training run (and every assert in it) is executed by the strict book build instead.
pytest: $(STAMP)
	$(BIN)/python -m pytest tests nbs --nbval-lax -p no:cacheprovider \
	  --ignore=nbs/06_fashion_mnist.ipynb; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure here"; fi; exit $$rc

test: check-export check-clean book pytest

clean:
	rm -rf _build .pytest_cache
