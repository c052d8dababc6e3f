# Front door: `make help`. Two commands matter on a fresh clone: `make repro` and `make test`.
# Both create the virtualenv and install the locked dependencies (uv.lock) first.

PYTHON ?= python3
UV_VERSION := 0.13.8
VENV := .venv
BOOTSTRAP := .uv-bootstrap
UV := $(BOOTSTRAP)/bin/uv
STAMP := $(VENV)/.synced
SPARK_STAMP := $(VENV)/.synced-spark

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export DVC_NO_ANALYTICS := 1
# Compile every installed module to .pyc at install time. Without it, in an environment
# with PYTHONDONTWRITEBYTECODE set (CI, containers), each stage process recompiled
# scikit-learn/pandas/DVC from source: ~2.5 s instead of ~1 s per stage (benchmarks/).
export UV_COMPILE_BYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup repro tuned metrics check report test lint format clean bench push pull \
	spark-setup spark-up spark-down spark-status spark-cluster-up spark-cluster-down \
	spark-repro spark-parity

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv and install the locked dependencies

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Once `make spark-setup` has run, a re-sync keeps the spark group (uv sync removes what
# the selected groups do not list).
$(STAMP): pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --python $(PYTHON) $(if $(wildcard $(SPARK_STAMP)),--group spark)
	@touch $@

repro: setup ## Set up, then run the pipeline (dvc repro) and show the main metrics
	dvc repro
	@python -m stages.summary

# The tuned configuration (README, "Model notes"): derived features (title, family size,
# fare, cabin, and the group keys surname and ticket with their group sizes), the group keys
# target-encoded (cross-fitted: no row sees its own label), and a cross-validated search over
# model families and their settings, all chosen by repeated 5x5 CV on the train split only.
# Each dict is deleted then re-added (~ then +) so Hydra replaces it rather than merging, and
# a second `make tuned` starts from the same values. Patterns avoid backslashes.
# TUNED_REPEATS: how many times the 5-fold CV is repeated (fewer: faster, noisier choice).
TUNED_REPEATS ?= 5
TUNED_GRID ?= [{model: [logistic_regression], C: [0.3, 1.0, 3.0]}, {model: [hist_gradient_boosting], hist_gradient_boosting.max_depth: [3], hist_gradient_boosting.learning_rate: [0.05], hist_gradient_boosting.min_samples_leaf: [10, 20]}, {model: [ensemble], ensemble.method: [soft_voting, stacking]}]
TUNED = \
  -S '~featurize.derive' \
  -S '+featurize.derive={Title_raw: {op: extract, column: Name, pattern: " ([A-Za-z]+)[.]"}, Title: {op: rare, column: Title_raw, min_count: 10}, FamilySize: {op: sum, columns: [SibSp, Parch], add: 1.0}, Alone: {op: equals, column: FamilySize, value: 1}, LargeFamily: {op: threshold, column: FamilySize, above: 4.0}, LogFare: {op: log1p, column: Fare}, CabinKnown: {op: is_missing, column: Cabin}, Surname: {op: first_token, column: Name, separator: ","}, TicketSize: {op: group_size, column: Ticket}, SurnameSize: {op: group_size, column: Surname}}' \
  -S 'features.numeric=[Pclass, Age, FamilySize, LogFare, Alone, CabinKnown, LargeFamily, TicketSize, SurnameSize]' \
  -S 'features.categorical=[Sex, Title, Embarked, Ticket, Surname]' \
  -S '~impute.columns' \
  -S '+impute.columns={Age: {strategy: median}, LogFare: {strategy: median}, Embarked: {strategy: most_frequent}}' \
  -S '~encode.columns' -S '+encode.columns={Ticket: {method: target}, Surname: {method: target}}' \
  -S train.C=0.3 -S train.fit_intercept=true -S train.solver=lbfgs -S train.max_iter=1000 \
  -S train.hist_gradient_boosting.max_depth=3 -S train.hist_gradient_boosting.learning_rate=0.05 \
  -S '~train.ensemble' \
  -S '+train.ensemble={method: soft_voting, cv: 5, members: [{model: logistic_regression}, {model: hist_gradient_boosting}]}' \
  -S train.search.enabled=true -S train.search.repeats=$(TUNED_REPEATS) -S train.search.nested=false \
  -S '~train.search.grid' -S '+train.search.grid=$(TUNED_GRID)'

tuned: setup ## Run the tuned experiment (dvc exp run -n tuned) and show its main metrics
	@dvc exp remove tuned >/dev/null 2>&1 || true  # a rerun replaces the earlier one
	dvc exp run -n tuned $(TUNED)
	@python -m stages.summary

metrics: setup ## Every metric of every split (dvc metrics show: one wide line)
	dvc metrics show

check: setup ## Gate metrics on params.yaml thresholds (Error 1: fail, Error 2: stale/missing)
	python -m stages.check

BASE ?= HEAD
report: setup ## Write reports/report.md (params, metrics, gate, diffs vs BASE=HEAD, plots)
	python -m stages.report --base $(BASE)

test: setup ## Set up, then run the whole test suite: unit tests first, then end-to-end
	pytest -m "not e2e" -n 2
	pytest -m e2e -n 2 --dist loadfile

# Share results (README, "Share results with your team"): push outputs and the run cache to
# the default DVC remote, or pull this commit's outputs from it. scripts/remote.py keeps DVC's
# messages and adds the next step; with no remote it says how to add one.
push: setup ## Upload outputs and the run cache to the DVC remote (dvc push --run-cache)
	python -m scripts.remote push

pull: setup ## Download this commit's outputs from the DVC remote (dvc fetch + checkout)
	python -m scripts.remote pull

BENCH_RESULTS := benchmarks/results
bench: setup ## Benchmarks: staged vs one process at 891 (real), 100k and 1M rows; a table
	python benchmarks/run.py --repeat 3 --data data/titanic.csv --json $(BENCH_RESULTS)/891.json
	python benchmarks/run.py --repeat 3 --rows 100000 --json $(BENCH_RESULTS)/100000.json
	python benchmarks/run.py --repeat 2 --rows 1000000 --chain --json $(BENCH_RESULTS)/1000000.json
	@python benchmarks/table.py $(BENCH_RESULTS)/891.json $(BENCH_RESULTS)/100000.json \
		$(BENCH_RESULTS)/1000000.json $(wildcard $(BENCH_RESULTS)/10000000.json)

lint: setup ## ruff check + ruff format --check + mypy (strict on stages/core and stages/lib) + actionlint
	ruff check .
	ruff format --check .
	mypy
	actionlint

format: setup ## Apply ruff's formatting and safe fixes
	ruff check --fix .
	ruff format .

clean: ## Remove the virtualenvs and caches (not data, models or DVC's cache)
	rm -rf $(VENV) $(BOOTSTRAP) .pytest_cache .ruff_cache

# Spark engine (README, "Run on Spark"). pyspark (a 456 MB source package: its first wheel
# build takes minutes, then uv caches it) is an optional group that only these targets install.
# The server's logic is in scripts/spark_local.py; its pid, logs and URL are in .spark/.
SPARK_LOCAL := python -m scripts.spark_local

spark-setup: $(SPARK_STAMP) ## Install the optional Spark group (pyspark with Spark Connect)

$(SPARK_STAMP): pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --python $(PYTHON) --group spark
	@touch $(STAMP) $@

spark-up: spark-setup ## Start a local Spark Connect server (local[*], 127.0.0.1; URL in .spark/remote)
	$(SPARK_LOCAL) up

spark-down: setup ## Stop the Spark server(s) started from this folder (local or cluster)
	$(SPARK_LOCAL) down

spark-status: setup ## Show whether a Spark server runs from this folder, and its sc:// URL
	$(SPARK_LOCAL) status

spark-cluster-up: spark-setup ## Start a standalone master, 2 workers and a Connect server on it
	$(SPARK_LOCAL) cluster-up

spark-cluster-down: spark-down ## Stop the standalone cluster (same as spark-down)

# The pipeline on Spark as a DVC experiment next to the workspace's scikit-learn run
# (README, "Run on Spark"). With SPARK_REMOTE unset, the local server is started first
# (idempotent). `make spark-repro` keeps the notebook's settings (its split, C=1e12, no
# intercept: MLlib lands on a different point of a flat optimum, so test counts differ by
# a passenger or two); `make spark-parity` runs both engines on the parity settings, where
# they agree (same confusion counts, roc_auc and probabilities within 1e-4).
SPARK_SET ?=
SPARK_PARITY := -S split.method=hash -S train.C=1.0 -S train.fit_intercept=true \
  -S train.solver=lbfgs -S train.tol=1e-08 -S train.max_iter=1000
# The metrics and the engine, one row per run, as a markdown table (never cut to the terminal).
SPARK_SHOW := dvc exp show --no-pager --md --drop '.*' \
  --keep 'Experiment|engine.name|split.method|train.accuracy|test.accuracy|test.roc_auc|test.tp|test.tn'

spark-repro: spark-setup ## Run the pipeline on Spark (dvc exp run -n spark), metrics beside scikit-learn's
	@if [ -z "$$SPARK_REMOTE" ]; then $(SPARK_LOCAL) up; fi
	dvc repro
	@dvc exp remove spark >/dev/null 2>&1 || true  # a rerun replaces the earlier one
	dvc exp run -n spark -S engine.name=spark $(SPARK_SET)
	@$(SPARK_SHOW)

spark-parity: spark-setup ## Both engines on the parity settings (two experiments), side by side
	@if [ -z "$$SPARK_REMOTE" ]; then $(SPARK_LOCAL) up; fi
	@dvc exp remove sklearn-parity spark-parity >/dev/null 2>&1 || true
	dvc exp run -n sklearn-parity $(SPARK_PARITY)
	dvc exp run -n spark-parity -S engine.name=spark $(SPARK_PARITY)
	@$(SPARK_SHOW)
