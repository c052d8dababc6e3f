"""The real pipeline under the real `dvc`, in a temporary git repo."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import PIPELINE_STAGES, ran_stages, run

ALL_STAGES = list(PIPELINE_STAGES)


def metrics(project: Path) -> dict:
    return json.loads((project / "metrics/metrics.json").read_text())


def test_full_repro_gives_the_notebook_numbers(reproduced: Path) -> None:
    result = metrics(reproduced)
    train, test = result["train"], result["test"]
    assert (train["n"], train["tp"] + train["tn"], train["fp"] + train["fn"]) == (668, 567, 101)
    assert (test["n"], test["tp"] + test["tn"], test["fp"] + test["fn"]) == (223, 175, 48)
    assert train["accuracy"] == pytest.approx(0.848802, abs=1e-6)
    assert test["accuracy"] == pytest.approx(0.784753, abs=1e-6)
    for split in (train, test):
        assert set(split) >= {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"}


def test_predictions_score_every_unlabelled_passenger(reproduced: Path) -> None:
    lines = (reproduced / "data/predictions.csv").read_text().splitlines()
    assert lines[0] == "PassengerId,Survived,probability"
    assert len(lines) == 1 + 418
    first = lines[1].split(",")
    assert first[0] == "892" and first[1] in {"0", "1"} and 0.0 < float(first[2]) < 1.0


def test_second_repro_is_a_no_op_and_leaves_git_clean(reproduced_copy: Path) -> None:
    result = run(["dvc", "repro"], reproduced_copy)
    assert ran_stages(result.stdout) == []
    assert "Data and pipelines are up to date" in result.stdout
    assert run(["git", "status", "--porcelain"], reproduced_copy).stdout == ""


def test_changing_a_scale_setting_reruns_scale_and_after_never_split(
    reproduced_copy: Path,
) -> None:
    """(An impute setting reruns split too: split checks missing values against it.)"""
    params_path = reproduced_copy / "params.yaml"
    text = params_path.read_text()
    params_path.write_text(text.replace("method: minmax", "method: standard"))
    result = run(["dvc", "repro"], reproduced_copy)
    assert ran_stages(result.stdout) == ALL_STAGES[4:]


def test_misspelt_key_from_exp_run_fails_instead_of_being_ignored(reproduced_copy: Path) -> None:
    # DVC refuses a plain override of a key that does not exist...
    refused = run(["dvc", "exp", "run", "-S", "train.Cc=0.1"], reproduced_copy, check=False)
    assert refused.returncode != 0
    # ...but `+key=value` appends it to params.yaml; the stage's validation must stop it.
    appended = run(["dvc", "exp", "run", "-S", "+train.Cc=0.1"], reproduced_copy, check=False)
    assert appended.returncode != 0
    assert "train.Cc: unknown key (allowed: C, fit_intercept," in appended.stdout + appended.stderr


def test_misspelt_section_no_stage_reads_is_caught_by_the_gate(reproduced_copy: Path) -> None:
    """A new top-level key reruns nothing, so DVC is happy; the gate validates all params."""
    run(["dvc", "exp", "run", "-S", "+trian.C=0.1"], reproduced_copy)
    gate = run([sys.executable, "-m", "stages.check"], reproduced_copy, check=False)
    assert gate.returncode == 2
    assert "trian: unknown key (allowed: data, features, split" in gate.stderr


def _experiment_runs(shown: list[dict]) -> dict[str, dict]:
    """name → {"params": ..., "metrics": ...} from `dvc exp show --json`."""
    runs = {}
    for commit in shown:
        for experiment in commit.get("experiments") or []:
            for revision in experiment.get("revs", []):
                data = revision.get("data") or {}
                name = revision.get("name") or data.get("name")
                params = data.get("params", {}).get("params.yaml", {}).get("data", {})
                values = data.get("metrics", {}).get("metrics/metrics.json", {}).get("data", {})
                runs[name] = {"params": params, "metrics": values}
    return runs


def test_committed_lock_and_metrics_match_a_fresh_repro(reproduced: Path) -> None:
    """The repo's dvc.lock and metrics.json are what the code produces: nothing stale."""
    changed = run(["git", "diff", "--stat", "HEAD~1", "HEAD"], reproduced).stdout
    assert changed == "", f"a fresh dvc repro changed committed files:\n{changed}"


def test_default_run_reports_baselines_and_no_cross_validation(reproduced: Path) -> None:
    result = metrics(reproduced)
    assert "cv" not in result
    # 410 of the 668 train rows did not survive: predicting that for everyone.
    assert result["train"]["baseline_accuracy"] == pytest.approx(410 / 668)
    assert result["test"]["baseline_accuracy"] == pytest.approx(139 / 223)


def test_tuned_experiment_reaches_the_targets_chosen_by_cv(reproduced_copy: Path) -> None:
    """`make tuned` (smaller grid, CV not repeated here), then the fitted chain scores raw
    rows the same way."""
    grid = "TUNED_GRID={C: [0.3, 1.0], class_weight: [null]}"
    run(["make", "-o", "setup", "tuned", grid, "TUNED_REPEATS=1"], reproduced_copy)
    result = metrics(reproduced_copy)
    assert result["cv"]["candidates"] == 2 and result["cv"]["folds"] == 5
    assert result["cv"]["repeats"] == 1
    assert result["cv"]["best"] == {"C": 0.3, "class_weight": None}
    assert result["cv"]["accuracy_mean"] >= 0.83
    assert result["test"]["roc_auc"] >= 0.88
    assert result["test"]["accuracy"] >= 0.825
    runs = _experiment_runs(
        json.loads(run(["dvc", "exp", "show", "--json"], reproduced_copy).stdout)
    )
    assert runs["tuned"]["params"]["train"]["search"]["enabled"] is True
    # The persisted chain starts with the featurizer: raw test rows give the scored probabilities.
    script = (
        "import pandas as pd; from stages.lib.model import load_fitted_chain;"
        "c = load_fitted_chain(); t = pd.read_parquet('data/split/test.parquet');"
        "p = c.predict_proba(t.drop(columns=['Survived']))[:, 1];"
        "s = pd.read_parquet('data/scored/test.parquet');"
        "print(list(c.named_steps), abs(p - s['probability'].to_numpy()).max())"
    )
    out = run([sys.executable, "-c", script], reproduced_copy).stdout.split("]")
    assert "'featurize', 'impute', 'encode', 'scale', 'model'" in out[0]
    assert float(out[1]) < 1e-12
