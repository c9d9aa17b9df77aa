# The two set-up commands of the README: `make demo` and `make test`. Both create .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench coverage clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m pullback demo

lint: $(STAMP)
	$(BIN)/ruff format --check src tests examples scripts
	$(BIN)/ruff check src tests examples scripts

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pullback bench

coverage: $(STAMP)
	$(BIN)/python scripts/coverage.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
