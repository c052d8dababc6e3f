"""The benchmark tools keep working: synthetic data, and a ~1,000-row run end to end.

No timing is asserted (this machine is shared); only that every figure is produced, that
per-stage figures cover every stage in dvc.yaml, and that both paths agree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from benchmarks import make_data
from benchmarks.run import check, downstream, pipeline_stages, set_param
from tests.conftest import ROOT, cli_env

pytestmark = pytest.mark.e2e

REAL_DATA = ROOT / "data" / "titanic.csv"


def test_synthetic_data_is_deterministic_and_titanic_shaped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(make_data, "BLOCK_ROWS", 1_000)  # several blocks, cheaply
    first = make_data.write_data(5_000, 7, tmp_path / "a.csv")
    again = make_data.write_data(5_000, 7, tmp_path / "b.csv")
    other = make_data.write_data(5_000, 8, tmp_path / "c.csv")
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()

    frame = pd.read_csv(first)
    real = pd.read_csv(REAL_DATA)
    assert list(frame.columns) == list(real.columns)
    assert len(frame) == 5_000
    assert frame["PassengerId"].tolist() == list(range(1, 5_001))
    for column in real.columns:
        assert frame[column].dtype.kind == real[column].dtype.kind, column
    missing = frame.isna().mean()
    assert 0.17 < missing["Age"] < 0.23
    assert 0.73 < missing["Cabin"] < 0.81
    assert 0 < missing["Embarked"] < 0.01
    assert missing.drop(["Age", "Cabin", "Embarked"]).eq(0).all()
    assert 100 < frame["Cabin"].nunique() <= 165
    assert set(frame["Embarked"].dropna()) == {"S", "C", "Q"}
    # The label follows the features the way Titanic's does.
    by_sex = frame.groupby("Sex")["Survived"].mean()
    assert by_sex["female"] > by_sex["male"] + 0.3
    by_class = frame.groupby("Pclass")["Survived"].mean()
    assert by_class[1] > by_class[2] > by_class[3]


def test_set_param_changes_one_key_and_keeps_comments(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text())
    set_param(params, "train", "C", "0.5")
    set_param(params, "data", "train_path", "/elsewhere/file.csv")
    loaded = yaml.safe_load(params.read_text())
    assert loaded["train"]["C"] == 0.5
    assert loaded["data"]["train_path"] == "/elsewhere/file.csv"
    assert "# LogisticRegression hyperparameters" in params.read_text()
    with pytest.raises(KeyError):
        set_param(params, "train", "no_such_key", "1")


def test_stages_after_train_are_found_from_dvc_yaml() -> None:
    stages = pipeline_stages(ROOT)
    after_train = downstream(stages, "train")
    assert after_train[0] == "train"
    assert "evaluate" in after_train
    assert not {"split", "impute", "encode", "scale"} & set(after_train)
    assert downstream(stages, next(iter(stages))) == list(stages)


def test_run_fails_on_accuracy_mismatch_or_wrong_reruns() -> None:
    good = {
        "accuracy_match": True,
        "staged_test_accuracy": 0.78,
        "single_test_accuracy": 0.78,
        "noop_ran": [],
        "rerun_stages": ["train", "evaluate"],
        "rerun_expected": ["train", "evaluate"],
        "rerun_accuracy_match": True,
        "rerun_test_accuracy": 0.77,
        "single_after_test_accuracy": 0.77,
    }
    assert check(good) == []
    bad = {
        **good,
        "accuracy_match": False,
        "single_test_accuracy": 0.70,
        "rerun_accuracy_match": False,
        "single_after_test_accuracy": 0.71,
        "noop_ran": ["split"],
        "rerun_stages": ["split", "train", "evaluate"],
    }
    problems = check(bad)
    assert len(problems) == 4
    assert "differs from the single process's 0.7" in problems[0]
    assert "after the train.C change the staged test accuracy 0.77 differs" in problems[1]
    assert "no-op dvc repro ran stages: ['split']" in problems[2]
    assert "expected ['train', 'evaluate']" in problems[3]


def test_benchmark_smoke_run_at_1000_rows(tmp_path: Path) -> None:
    data = make_data.write_data(1_000, 0, tmp_path / "synthetic.csv")
    out = tmp_path / "result.json"
    command = [sys.executable, "benchmarks/run.py", "--data", str(data), "--json", str(out)]
    result = subprocess.run(
        command, cwd=ROOT, env=cli_env(tmp_path / "x"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "(d) dvc repro after train.C" in result.stderr  # progress lines
    assert "(e) single-process sklearn Pipeline with train.C" in result.stderr
    figures = json.loads(out.read_text())

    stages = list(pipeline_stages(ROOT))
    assert figures["rows"] == 1_000
    assert figures["stages"] == stages
    assert set(figures["peak_rss_mb"]) == set(stages) == set(figures["stage_s"])
    assert all(mb > 20 for mb in figures["peak_rss_mb"].values())
    assert figures["single_peak_rss_mb"] > 20
    for key in ("staged_s", "single_s", "noop_s", "rerun_s", "single_after_s"):
        assert figures[key] > 0
    assert figures["ratio"] == pytest.approx(figures["staged_s"] / figures["single_s"], rel=1e-2)
    assert figures["rerun_same_params_ratio"] == pytest.approx(
        figures["rerun_s"] / figures["single_after_s"], rel=1e-2
    )
    assert figures["rerun_accuracy_match"] is True
    assert figures["noop_ran"] == []
    assert (
        figures["rerun_stages"]
        == figures["rerun_expected"]
        == downstream(pipeline_stages(ROOT), "train")
    )
    assert figures["accuracy_match"] is True
    assert figures["staged_test_accuracy"] == pytest.approx(
        figures["single_test_accuracy"], abs=1e-3
    )
    assert 0.6 < figures["staged_test_accuracy"] < 0.95


def test_suite_profile_splits_cpu_by_kind_of_process() -> None:
    from benchmarks.suite import process_kind, summarise

    records = [
        {"module": "stages.train", "argv": ["/x/stages/train.py"], "wall_s": 1.5, "cpu_s": 1.25},
        {"module": "stages.train", "argv": ["/x/stages/train.py"], "wall_s": 2.0, "cpu_s": 1.75},
        {"module": None, "argv": ["/venv/bin/dvc", "repro", "-q"], "wall_s": 9.0, "cpu_s": 2.5},
        {"module": None, "argv": ["-c"], "wall_s": 60.0, "cpu_s": 0.5, "xdist_worker": True},
        {"module": None, "argv": ["-c"], "wall_s": 2.0, "cpu_s": 0.25},
        {"module": None, "argv": ["dvc", "-q", "--cd", "p", "exp", "run"], "cpu_s": 0.125},
    ]
    kinds = ["dvc repro", "pytest worker (xdist)", "python -c", "dvc exp"]
    assert [process_kind(r) for r in records] == ["stages.train"] * 2 + kinds
    assert summarise(records) == [
        {"kind": "stages.train", "processes": 2, "wall_s": 3.5, "cpu_s": 3.0},
        {"kind": "dvc repro", "processes": 1, "wall_s": 9.0, "cpu_s": 2.5},
        {"kind": "pytest worker (xdist)", "processes": 1, "wall_s": 60.0, "cpu_s": 0.5},
        {"kind": "python -c", "processes": 1, "wall_s": 2.0, "cpu_s": 0.25},
        {"kind": "dvc exp", "processes": 1, "wall_s": 0.0, "cpu_s": 0.125},
    ]


def test_suite_profile_runs_pytest_and_accounts_its_processes(tmp_path: Path) -> None:
    """A real run on a small test file whose tests start Python processes of their own."""
    tests = tmp_path / "test_spawns.py"
    tests.write_text(
        "import subprocess, sys\n"
        "def test_spawns():\n"
        "    for _ in range(3):\n"
        "        subprocess.run([sys.executable, '-m', 'json.tool', '--help'], check=True,"
        " capture_output=True)\n"
    )
    out = tmp_path / "suite.json"
    command = [sys.executable, "benchmarks/suite.py", "--json", str(out), "--"]
    command += [str(tests), "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    figures = json.loads(out.read_text())
    assert figures["returncode"] == 0
    assert {row["kind"]: row["processes"] for row in figures["kinds"]}["json.tool"] == 3
    assert "not attributed" in result.stdout
    assert 0 < sum(row["cpu_s"] for row in figures["kinds"]) <= figures["cpu_s"]
    assert f"floor on {figures['cores']} cores" in result.stdout
