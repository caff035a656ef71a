# One task runner for people and CI. `make run` and `make test` do their own set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck check bench bench-diff bench-hostile bench-status eval ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@# TDLib's own parser, the fake Telegram server's oracle; optional (tests fall back to our port).
	$(BIN)/python -m pip install --quiet -e '.[tdlib]' \
		|| echo "tdjson not installed: Telegram tests use tracker/render/telegram_html/ alone"
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the tracker with its dev tools

run: $(STAMP) ## one tracking pass over every document, with the embedded defaults
	$(BIN)/tracker check

test: $(STAMP) ## the whole test suite (corpus tests skip if ../shared/corpus is absent)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check tracker tests benchmarks scripts
	$(BIN)/ruff format --check tracker tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test ## everything CI checks

bench: $(STAMP) bench-diff bench-hostile bench-status ## speed and memory figures, beside the peer tools, in docs/
	$(BIN)/python benchmarks/run.py --write docs/benchmarks.md
	$(BIN)/python benchmarks/classification.py --bench --write docs/benchmarks-classification.md
	$(BIN)/python benchmarks/telegram.py --write docs/benchmarks-telegram.md

# web-monitoring-diff needs lxml built against the same libxml2 as its html5-parser, so it
# lives in its own environment (building lxml takes a few minutes, once).
PEER_WMD := $(VENV)/peer-wmd/bin/python
$(PEER_WMD):
	$(PYTHON) -m venv $(VENV)/peer-wmd
	$(VENV)/peer-wmd/bin/pip install --quiet --no-binary lxml lxml web-monitoring-diff==0.2.0

bench-diff: $(STAMP) $(PEER_WMD) ## the comparison path beside web-monitoring-diff
	$(BIN)/python benchmarks/diff.py --peer-python $(PEER_WMD) --write docs/benchmarks-diff.md

bench-hostile: $(STAMP) ## 10 MB hostile pages through every stage, beside urlwatch's diff
	$(BIN)/python benchmarks/hostile.py --write docs/benchmarks-hostile.md

bench-status: $(STAMP) ## `tracker status` on 16 documents with 10,000 checks each
	$(BIN)/python benchmarks/status.py --write docs/benchmarks-status.md

eval: $(STAMP) ## significance and classification against the hand-labelled real changes
	$(BIN)/python benchmarks/significance.py --check --write docs/significance-eval.md
	$(BIN)/python benchmarks/classification.py --check --write docs/classification-eval.md

ci: check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
