"""Any binary-classification CSV runs through the whole pipeline by editing params only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stages.core.artifacts import SCORED_DIR, read_table, table_path
from tests.conftest import Cli, ran_stages, run

pytestmark = pytest.mark.e2e


def census_like(rows: int, seed: int) -> pd.DataFrame:
    """Not Titanic: other names, string labels with leading spaces, '?' for missing, no id."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows).astype(float)
    hours = rng.integers(10, 70, rows).astype(float)
    education = rng.integers(1, 16, rows).astype(float)
    workclass = rng.choice(["Private", "Self-emp", "Gov"], rows, p=[0.6, 0.25, 0.15])
    occupation = rng.choice(["Tech", "Sales", "Craft", "Service"], rows)
    logit = 0.04 * (age - 45) + 0.05 * (hours - 40) + 0.35 * (education - 8)
    logit += np.where(occupation == "Tech", 1.0, 0.0) - np.where(workclass == "Gov", 0.5, 0.0)
    income = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), " >50K", " <=50K")
    frame = pd.DataFrame(
        {
            "age": age,
            "workclass": workclass,
            "education-num": education,
            "occupation": occupation,
            "hours-per-week": hours,
            "income": income,
        }
    ).astype(object)
    for column, share in [("age", 0.1), ("education-num", 0.1), ("workclass", 0.1)]:
        frame.loc[rng.random(rows) < share, column] = "?"
    frame.loc[rng.random(rows) < 0.1, "occupation"] = "?"
    return frame


ADULT_PARAMS = {
    "data": {
        "train_path": "data/census.csv",
        "predict_path": "data/census_new.csv",
        "predictions_path": "data/census_predictions.csv",
        "target": "income",
        "positive_label": " >50K",
        "id_column": None,
        "na_values": ["?"],
        "delimiter": ",",
        "strip_whitespace": False,
    },
    "features": {
        "numeric": ["age", "education-num", "hours-per-week"],
        "categorical": ["workclass", "occupation"],
    },
    "impute": {
        "columns": {
            "age": {"strategy": "mean"},
            "education-num": {"strategy": "median"},
            "workclass": {"strategy": "most_frequent"},
            "occupation": {"strategy": "constant", "fill_value": "unknown"},
        }
    },
    "checks": {
        "min_class_rows": {"train": 10, "test": 1},
        "ranges": {"age": {"min": 0, "max": 120}, "hours-per-week": {"min": 0, "max": 168}},
    },
    "scale": {"method": "standard"},
    "train": {"C": 1.0, "fit_intercept": True, "solver": "lbfgs", "penalty": "l2"},
    "gate": {"test": {"accuracy": {"min_over_baseline": 0.05}, "roc_auc": {"min": 0.75}}},
}


def point_params_at_census(project: Path) -> None:
    """Only params.yaml changes (plus the user's own data files)."""
    params_path = project / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    for section, values in ADULT_PARAMS.items():
        if section in ("data", "features", "impute", "checks", "gate"):
            params[section] = values
        else:
            params[section].update(values)
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def census_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import make_project

    project = make_project(tmp_path_factory.mktemp("census") / "project")
    census_like(600, seed=1).to_csv(project / "data/census.csv", index=False)
    new = census_like(40, seed=2).drop(columns="income")
    new.loc[:19, ["age", "hours-per-week", "education-num"]] = [75.0, 69.0, 15.0]
    new.loc[20:, ["age", "hours-per-week", "education-num"]] = [19.0, 10.0, 1.0]
    new.to_csv(project / "data/census_new.csv", index=False)
    point_params_at_census(project)
    run(["dvc", "repro"], project)
    return project


def test_whole_pipeline_runs_on_another_dataset(census_project: Path) -> None:
    metrics = json.loads((census_project / "metrics/metrics.json").read_text())
    assert metrics["train"]["n"] == 450 and metrics["test"]["n"] == 150
    assert metrics["test"]["accuracy"] > 0.7
    assert metrics["test"]["roc_auc"] > 0.75


def test_predictions_have_no_id_and_keep_row_order(census_project: Path) -> None:
    lines = (census_project / "data/census_predictions.csv").read_text().splitlines()
    assert lines[0] == "income,probability"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 40
    assert [r[0] for r in rows[:20]] == ["1"] * 20  # strong positives first, as written
    assert [r[0] for r in rows[20:]] == ["0"] * 20


def test_gate_judges_the_other_dataset(census_project: Path, cli: Cli) -> None:
    """The README's gate for own data: accuracy relative to this data's own baseline."""
    result = cli("check", census_project)
    assert result.returncode == 0, result.stdout + result.stderr
    metrics = json.loads((census_project / "metrics/metrics.json").read_text())["test"]
    effective = f"min (>= {metrics['baseline_accuracy'] + 0.05:g} = baseline "
    assert f"{effective}{metrics['baseline_accuracy']:g} + 0.05)" in result.stdout
    assert "test.roc_auc" in result.stdout


def test_rerun_on_other_data_is_a_no_op(census_project: Path) -> None:
    assert ran_stages(run(["dvc", "repro"], census_project).stdout) == []


def test_train_serve_parity_on_another_dataset(census_project: Path, cli: Cli) -> None:
    """Raw test-split rows scored by predict == evaluate's scores, to the last bit."""
    raw = pd.read_csv(census_project / "data/census.csv", dtype=str, keep_default_na=False)
    scored = read_table(census_project / table_path(SCORED_DIR, "test"))
    raw.loc[scored.index].drop(columns="income").to_csv(census_project / "rows.csv", index=False)
    result = cli("predict", census_project, "--input", "rows.csv", "--output", "out.csv")
    assert result.returncode == 0, result.stderr
    predicted = pd.read_csv(census_project / "out.csv")
    assert predicted["probability"].tolist() == scored["probability"].tolist()
    assert predicted["income"].tolist() == scored["predicted"].tolist()


def test_train_serve_parity_on_titanic(reproduced: Path, cli: Cli) -> None:
    """The notebook's test split, from the raw CSV lines, through the predict CLI."""
    lines = (reproduced / "data/titanic.csv").read_text().splitlines(keepends=True)
    scored = read_table(reproduced / table_path(SCORED_DIR, "test"))
    rows = reproduced.parent / "titanic_test_rows.csv"
    rows.write_text(lines[0] + "".join(lines[i + 1] for i in scored.index))
    out = reproduced.parent / "titanic_test_scored.csv"
    result = cli("predict", reproduced, "--input", str(rows), "--output", str(out))
    assert result.returncode == 0, result.stderr
    predicted = pd.read_csv(out)
    assert predicted["probability"].tolist() == scored["probability"].tolist()
    assert predicted["Survived"].tolist() == scored["predicted"].tolist()
    assert (predicted["Survived"] == scored["actual"].to_numpy()).sum() == 175


def test_predictions_in_the_training_files_own_labels(census_project: Path, cli: Cli) -> None:
    """predict.labels: original writes " >50K" / " <=50K" (the negative one recorded by split)."""
    params = yaml.safe_load((census_project / "params.yaml").read_text())
    params["predict"]["labels"] = "original"
    (census_project / "labels.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    args = ["--input", "data/census_new.csv", "--output", "labels.csv"]
    assert cli("predict", census_project, "--params", "labels.yaml", *args).returncode == 0
    labelled = pd.read_csv(census_project / "labels.csv")
    binary = pd.read_csv(census_project / "data/census_predictions.csv")
    assert set(labelled["income"]) == {" >50K", " <=50K"}
    assert (labelled["income"] == " >50K").tolist() == (binary["income"] == 1).tolist()
