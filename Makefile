# litestar-sqlspec: `make demo` runs the demo app, `make test` installs and runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test test-fast lint format unasync unasync-check bench bench-quick clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]" --group dev
	touch $(STAMP)

install: $(STAMP) ## Create .venv with the package, every driver and the dev tools

demo: $(STAMP) ## Migrate, then serve the demo on http://127.0.0.1:8000 (demo/demo.db; DATABASE_URL=postgresql://… for PostgreSQL)
	$(PY) -m litestar --app demo.app:app database upgrade --no-prompt
	$(PY) -m litestar --app demo.app:app run --host 127.0.0.1 --port 8000

test: $(STAMP) ## Install, then run the whole suite (needs PostgreSQL on 127.0.0.1:5432, database test)
	$(PY) scripts/generate_sync.py --check
	$(PY) -m pytest

lint: $(STAMP) unasync-check ## ruff (lint + format check) and mypy --strict
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP) ## Apply ruff fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

unasync: $(STAMP) ## Regenerate _sync/ (source and tests) from _async/
	$(PY) scripts/generate_sync.py

unasync-check: $(STAMP) ## Fail when a generated _sync/ file is stale
	$(PY) scripts/generate_sync.py --check

bench: $(STAMP) ## Run every benchmark in bench/ and write docs/benchmarks.md + .png (idle machine, ~10 min)
	$(PY) scripts/bench_report.py

bench-quick: $(STAMP) ## Smoke-test the bench pipeline in ~40 s (report marked QUICK, not for citing)
	$(PY) scripts/bench_report.py --quick

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache demo/demo.db*
