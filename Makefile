# mlpbook: two entry points.
#   make book  -> .venv with pinned tools, export the package, execute every notebook once
#                 (MLPBOOK_BUILD=book), render _build/html with the reader's notebooks
#                 (_build/html/reading/, workbook/ and the offline bundle
#                 mlpbook-notebooks.zip, by tools/reader_links.py), and print
#                 _build/html/mlpbook.pdf when Chromium is installed
#   make test  -> the same bootstrap, then every check: export in sync, clean notebooks,
#                 the book build (the PDF printed beside the tests), then pytest over
#                 tests/ (unit tests, every chapter run alone against the built wheel,
#                 mutation and workbook tests, hidden solutions, line width, the PDF,
#                 browser tests of the built site)
# Also: make workbook (workbook/NN_*.ipynb to fill in), make pdf (after make html).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mlpbook-installed
JB     := $(BIN)/jupyter-book

.PHONY: book html pdf workbook test venv export check-export check-clean pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,book]"
	touch $(STAMP)

venv: $(STAMP)

export: $(STAMP)
	$(BIN)/nbdev-export

CHROMIUM := $(firstword $(shell command -v chromium chromium-browser google-chrome 2>/dev/null))

book: html
ifneq ($(CHROMIUM),)
	@$(MAKE) --no-print-directory pdf
	@echo "Book: open _build/html/index.html (the PDF is _build/html/mlpbook.pdf)"
else
	@echo "No PDF: printing the book to PDF needs Chromium (apt-get install chromium)."
	@echo "Book: open _build/html/index.html"
endif

# Every notebook is executed here, once: tools/execute_book.py runs them side by side into
# the build's cache (Chapter 8, which measures the machine, alone), and the build renders
# them from there. Wall-clock targets are asserted only when MLPBOOK_BUILD=book
# (CONTRIBUTING.md, rule 9); elsewhere they are reported.
html: export MLPBOOK_BUILD = book
html: export
	@date '+[%T] the book: executing every notebook, several at a time'
	$(BIN)/python tools/execute_book.py
	@date '+[%T] the book: rendering _build/html from the executed notebooks'
	$(JB) build --all -W -n --keep-going .

# The whole book as one PDF: a single-page HTML build that reuses the executed doctrees of
# the HTML build (no notebook runs again), printed by headless Chromium after MathJax.
pdf: export MLPBOOK_BUILD = book
pdf: $(STAMP)
	@test -d _build/.doctrees || { echo "run make html first"; exit 1; }
	@date '+[%T] the PDF'
	$(JB) build --builder singlehtml -n --keep-going .
	$(BIN)/python tools/make_pdf.py _build/singlehtml/index.html _build/html/mlpbook.pdf

# The workbook edition: the chapters with their workbook:<name> functions left to write.
workbook: $(STAMP)
	$(BIN)/python tools/make_workbook.py --out workbook

# The committed package must be exactly what the notebooks export.
check-export: export
	@if [ -n "$$(git status --porcelain -- mlpbook)" ]; then \
	  echo "mlpbook/ differs from what nbdev-export writes from nbs/:"; git status --porcelain -- mlpbook; \
	  git --no-pager diff --stat -- mlpbook; exit 1; fi
	@echo "export in sync"

check-clean: $(STAMP)
	$(BIN)/python tools/check_clean.py nbs

# Notebooks run twice: tests/book/test_notebooks_standalone.py runs each one alone against
# the built wheel (MLPBOOK_BUILD=quick), the book build runs them with MLPBOOK_BUILD=book.
# One BLAS thread per process: the tests run beside two notebook runs (tests/helpers/nbrun.py),
# and BLAS threads that wait for a busy core spin and slow every process down many times.
pytest: export OPENBLAS_NUM_THREADS = 1
pytest: export OMP_NUM_THREADS = 1
pytest: export MKL_NUM_THREADS = 1
pytest: $(STAMP)
	@date '+[%T] pytest'
	$(BIN)/python -m pytest tests -p no:cacheprovider --durations=25; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure here"; fi; exit $$rc

# The tests start once the site is built; the PDF (a minute, mostly on one core) is printed
# beside them, into _build/pdf.log, and the tests that need it wait for its exit status
# (the pdf_printed fixture of tests/conftest.py reads the file MLPBOOK_PDF_STATUS names,
# written whole by a rename). The PDF runs in a session of its own (where setsid exists),
# stopped on Ctrl-C with the tests (a background job of sh ignores SIGINT). The two make runs are told (-o) not to
# remake the environment: it is ready, but nbdev-export rewrites pyproject.toml, so it
# looks older than it, and two pip installs at once into one .venv would break it. Under
# `make -n` (or -t) the recipe is only shown: a line with $(MAKE) in it would otherwise run.
PDF_STATUS := _build/pdf.status
DRY_RUN := $(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring t,$(firstword -$(MAKEFLAGS)))
SETSID := $(if $(shell command -v setsid 2>/dev/null),setsid -w)
test: check-export check-clean html
ifeq ($(DRY_RUN),)
ifneq ($(CHROMIUM),)
	@rm -f $(PDF_STATUS) $(PDF_STATUS).tmp _build/pdf.log
	@date '+[%T] the PDF, printed beside the tests (its output: _build/pdf.log)'
	@$(SETSID) sh -c '$(MAKE) --no-print-directory -o $(STAMP) pdf > _build/pdf.log 2>&1; \
	  echo $$? > $(PDF_STATUS).tmp && mv $(PDF_STATUS).tmp $(PDF_STATUS)' & pdf=$$!; \
	trap 'kill -TERM -$$pdf 2>/dev/null; exit 130' INT TERM; \
	MLPBOOK_PDF_STATUS="$(CURDIR)/$(PDF_STATUS)" $(MAKE) --no-print-directory -o $(STAMP) pytest; \
	rc=$$?; wait; if [ "$$(cat $(PDF_STATUS) 2>/dev/null)" != 0 ]; then \
	  tail -n 40 _build/pdf.log; echo "printing the PDF failed"; exit 1; fi; \
	date '+[%T] the PDF is _build/html/mlpbook.pdf'; exit $$rc
else
	@echo "No PDF: printing the book to PDF needs Chromium (apt-get install chromium)."
	@$(MAKE) --no-print-directory -o $(STAMP) pytest
endif
else
	@echo "make test: the PDF (make pdf) beside the tests (make pytest)"
endif

clean:
	rm -rf _build .pytest_cache workbook
