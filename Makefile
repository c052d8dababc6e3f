# Front door: `make help`. Two commands matter on a fresh clone: `make repro` and `make test`.
# Both create the virtualenv and install the locked dependencies (uv.lock) first.

PYTHON ?= python3
UV_VERSION := 0.13.8
VENV := .venv
BOOTSTRAP := .uv-bootstrap
UV := $(BOOTSTRAP)/bin/uv
STAMP := $(VENV)/.synced

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export DVC_NO_ANALYTICS := 1
# Compile every installed module to .pyc at install time. Without it, in an environment
# with PYTHONDONTWRITEBYTECODE set (CI, containers), each stage process recompiled
# scikit-learn/pandas/DVC from source: ~2.5 s instead of ~1 s per stage (benchmarks/).
export UV_COMPILE_BYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup repro test lint format clean bench

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv and install the locked dependencies

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

repro: setup ## Set up, then run the pipeline (dvc repro) and show the metrics
	dvc repro
	@dvc metrics show

test: setup ## Set up, then run the whole test suite (lint included)
	pytest -n 2 --dist loadgroup

BENCH_RESULTS := benchmarks/results
bench: setup ## Benchmarks: staged vs one process at 891 (real), 100k and 1M rows; a table
	python benchmarks/run.py --repeat 3 --data data/titanic.csv --json $(BENCH_RESULTS)/891.json
	python benchmarks/run.py --repeat 3 --rows 100000 --json $(BENCH_RESULTS)/100000.json
	python benchmarks/run.py --repeat 2 --rows 1000000 --chain --json $(BENCH_RESULTS)/1000000.json
	@python benchmarks/table.py $(BENCH_RESULTS)/891.json $(BENCH_RESULTS)/100000.json \
		$(BENCH_RESULTS)/1000000.json $(wildcard $(BENCH_RESULTS)/10000000.json)

lint: setup ## ruff check + ruff format --check
	ruff check .
	ruff format --check .

format: setup ## Apply ruff's formatting and safe fixes
	ruff check --fix .
	ruff format .

clean: ## Remove the virtualenvs and caches (not data, models or DVC's cache)
	rm -rf $(VENV) $(BOOTSTRAP) .pytest_cache .ruff_cache
