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

.DEFAULT_GOAL := help
.PHONY: help setup repro check report test lint format clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv and install the locked dependencies

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

repro: setup ## Set up, then run the pipeline (dvc repro) and show the metrics
	dvc repro
	@dvc metrics show

check: setup ## Gate metrics on params.yaml thresholds (Error 1: fail, Error 2: stale/missing)
	python -m stages.check

BASE ?= HEAD
report: setup ## Write reports/report.md (params, metrics, gate, diffs vs BASE=HEAD, plots)
	python -m stages.report --base $(BASE)

test: setup ## Set up, then run the whole test suite (lint included)
	pytest -n 2 --dist loadgroup

lint: setup ## ruff check + ruff format --check + actionlint (CI workflow)
	ruff check .
	ruff format --check .
	actionlint

format: setup ## Apply ruff's formatting and safe fixes
	ruff check --fix .
	ruff format .

clean: ## Remove the virtualenvs and caches (not data, models or DVC's cache)
	rm -rf $(VENV) $(BOOTSTRAP) .pytest_cache .ruff_cache
