# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed

.PHONY: demo test lint layers typecheck pytest browser-deps clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e ".[all]"
	touch $@

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/sftprep check examples/qa_dataset.jsonl; test $$? -le 1
	@echo; echo "# the same kind of data with one problem per line:"
	$(BIN)/sftprep check examples/qa_flawed.jsonl --fail-on never
	@echo
	$(BIN)/sftprep report examples/qa_dataset.jsonl -o report.html

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py

# The layers of pyproject's [tool.importlinter] contract (docs/architecture.md).
layers: $(STAMP)
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy src/sftprep

pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

test: browser-deps lint layers typecheck pytest

# Headless Chromium + chromedriver for the report's browser test (Debian packages).
# Quietly does nothing when they are present, when not root or without apt-get;
# the browser test then skips and says why.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } \
	      || echo "browser-deps: apt-get failed; the browser test will skip"; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
