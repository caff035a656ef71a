# One task runner for people and CI. `make run` and `make test` do their own set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck check bench ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the tracker with its dev tools

run: $(STAMP) ## one tracking pass over every document, with the embedded defaults
	$(BIN)/tracker check

test: $(STAMP) ## the whole test suite (corpus tests skip if ../shared/corpus is absent)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check tracker tests benchmarks
	$(BIN)/ruff format --check tracker tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test ## everything CI checks

bench: $(STAMP) ## speed and memory figures, written to docs/benchmarks.md
	$(BIN)/python benchmarks/run.py --write docs/benchmarks.md

ci: check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
