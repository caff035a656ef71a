# One task runner for people and CI. `make run` and `make test` do their own set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: bytecode run test install lint typecheck check bench bench-diff bench-hostile bench-status bench-scale bench-hour eval ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@# TDLib's own parser, the fake Telegram server's oracle; optional (tests fall back to our port).
	$(BIN)/python -m pip install --quiet -e '.[tdlib]' \
		|| echo "tdjson not installed: Telegram tests use tracker/render/telegram_html/ alone"
	touch $(STAMP)

# axe-core, pinned in package.json and package-lock.json, checks the built site's accessibility
# in headless Chromium (tests/test_site_browser.py). Optional: without npm those tests are
# skipped, with the reason.
AXE_STAMP := node_modules/.installed
$(AXE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: axe-core not installed, the site's accessibility tests will be skipped"; \
	elif npm ci --no-audit --no-fund --silent; then touch $(AXE_STAMP); \
	else echo "npm ci failed: axe-core not installed, the site's accessibility tests will be skipped"; fi

install: $(STAMP) $(AXE_STAMP) ## create .venv and install the tracker with its dev tools

# The package's bytecode, written ahead: where PYTHONDONTWRITEBYTECODE is set (as on these
# machines and in the Docker image), Python would otherwise compile every module of the editable
# install from source at each start (about 0.1 s of a `tracker check`). Only changed modules
# are compiled again.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q tracker

run: $(STAMP) bytecode ## one tracking pass over every document, with the embedded defaults
	$(BIN)/tracker check

test: $(STAMP) $(AXE_STAMP) ## the whole test suite (corpus tests skip if ../shared/corpus is absent)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check tracker tests benchmarks scripts
	$(BIN)/ruff format --check tracker tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test ## everything CI checks

# Benchmark results (JSON and Markdown pieces) go to $(BENCH_OUT); benchmarks/report.py puts the
# summary beside urlwatch and web-monitoring-diff, with the targets, in docs/benchmarks.md.
# Smaller runs while developing, e.g. `make bench-scale SCALE_N="100 300" SCALE_REPEAT=1`.
BENCH_OUT ?= .bench
BENCH_REPEAT ?= 10
SCALE_N ?= 100 300 1000 3000
SCALE_REPEAT ?= 3
SCALE_LATENCY ?= 0.25
SCALE_LATENCY_N ?= 1000
HOUR_MINUTES ?= 60
HOUR_DOCUMENTS ?= 300
HOUR_WARMUP ?= 10
BENCH_NOTE ?=

bench: $(STAMP) bytecode bench-diff bench-hostile bench-status bench-scale bench-hour ## speed and memory figures, beside the peer tools, in docs/
	$(BIN)/python benchmarks/run.py --repeat $(BENCH_REPEAT) --json $(BENCH_OUT)/check.json --write $(BENCH_OUT)/check.md
	$(BIN)/python benchmarks/classification.py --bench --write docs/benchmarks-classification.md
	$(BIN)/python benchmarks/telegram.py --write docs/benchmarks-telegram.md
	$(BIN)/python benchmarks/report.py --results $(BENCH_OUT) $(if $(BENCH_NOTE),--note "$(BENCH_NOTE)") --write docs/benchmarks.md

# web-monitoring-diff needs lxml built against the same libxml2 as its html5-parser, so it
# lives in its own environment (building lxml takes a few minutes, once). Every version is
# pinned in benchmarks/peers/ (lxml 5.4.0: it builds with Cython 3.0; the newest lxml needs a
# Cython that a registry may not have), build requirements included (PIP_CONSTRAINT).
PEER_WMD_DIR := $(VENV)/peer-wmd
PEER_WMD := $(PEER_WMD_DIR)/bin/python
PEER_WMD_STAMP := $(PEER_WMD_DIR)/.installed
$(PEER_WMD_STAMP): benchmarks/peers/web-monitoring-diff.txt benchmarks/peers/web-monitoring-diff-build.txt
	$(PYTHON) -m venv $(PEER_WMD_DIR)
	PIP_CONSTRAINT=benchmarks/peers/web-monitoring-diff-build.txt $(PEER_WMD_DIR)/bin/pip install \
		--quiet --no-binary lxml,html5-parser -r benchmarks/peers/web-monitoring-diff.txt
	touch $(PEER_WMD_STAMP)

bench-diff: $(STAMP) bytecode $(PEER_WMD_STAMP) ## the comparison path beside web-monitoring-diff
	$(BIN)/python benchmarks/diff.py --peer-python $(PEER_WMD) --json $(BENCH_OUT)/diff.json --write docs/benchmarks-diff.md

bench-scale: $(STAMP) bytecode ## passes over 100 to 3,000 documents on 50 loopback hosts, beside urlwatch
	$(BIN)/python benchmarks/scale.py --n $(SCALE_N) --repeat $(SCALE_REPEAT) --latency $(SCALE_LATENCY) \
		--latency-n $(SCALE_LATENCY_N) --json $(BENCH_OUT)/scale.json --write $(BENCH_OUT)/scale.md

bench-hour: $(STAMP) bytecode ## `tracker run` on 300 documents every minute for an hour: memory growth
	$(BIN)/python benchmarks/scale.py --run-hour --hour-minutes $(HOUR_MINUTES) --hour-warmup $(HOUR_WARMUP) \
		--hour-documents $(HOUR_DOCUMENTS) \
		--json $(BENCH_OUT)/hour.json --write $(BENCH_OUT)/hour.md

bench-hostile: $(STAMP) bytecode ## 10 MB hostile pages through every stage, beside urlwatch's diff
	$(BIN)/python benchmarks/hostile.py --write docs/benchmarks-hostile.md

bench-status: $(STAMP) bytecode ## `tracker status` on 16 documents with 10,000 checks each
	$(BIN)/python benchmarks/status.py --write docs/benchmarks-status.md

eval: $(STAMP) ## significance and classification against the hand-labelled real changes
	$(BIN)/python benchmarks/significance.py --check --write docs/significance-eval.md
	$(BIN)/python benchmarks/classification.py --check --write docs/classification-eval.md

ci: check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(BENCH_OUT)
