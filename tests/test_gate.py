"""The metric gate: thresholds in params.yaml, judged by `python -m stages.check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stages.core.errors import DataError, ParamsError
from stages.core.params import METRIC_NAMES, Bound, parse_params, read_params_file
from stages.lib.gate import RERUN, Verdict, judge, summary, table
from stages.lib.metrics import classification_metrics
from stages.summary import lines as summary_lines
from tests.conftest import ROOT, Cli, run

RAW = read_params_file(ROOT / "params.yaml")
METRICS = json.loads((ROOT / "metrics/metrics.json").read_text())


def gate_params(gate: object) -> object:
    return parse_params({**RAW, "gate": gate})


def check(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "stages.check", *args], project, check=False)


def set_text(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


# --- the schema -----------------------------------------------------------------------


def test_default_gate_passes_on_the_committed_metrics_with_a_margin() -> None:
    params = parse_params(RAW)
    verdicts = judge(params.gate, METRICS, "metrics.json")
    assert len(verdicts) >= 4
    assert all(v.passed for v in verdicts)
    for verdict in verdicts:  # a sensible margin: no default sits within 0.01 of its value
        assert abs(verdict.value - verdict.limit) > 0.01, verdict


def test_metric_names_are_exactly_what_evaluate_writes() -> None:
    written = classification_metrics(np.array([0, 1, 1]), np.array([0.2, 0.7, 0.4]), 0.5)
    assert (*written, "baseline_accuracy") == METRIC_NAMES  # evaluate adds the baseline
    for split in ("train", "test"):
        assert tuple(METRICS[split]) == METRIC_NAMES


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        ({"test": {"acuracy": {"min": 0.7}}}, "gate.test.acuracy: unknown metric (known: n,"),
        ({"tset": {"accuracy": {"min": 0.7}}}, "gate.tset: unknown split (known: train, test)"),
        ({"test": {"accuracy": {"min": "0.7"}}}, "gate.test.accuracy.min: Input should be a valid"),
        ({"test": {"accuracy": {"max": True}}}, "gate.test.accuracy.max: Input should be a valid"),
        ({"test": {"accuracy": 0.7}}, "gate.test.accuracy: Input should be a valid dictionary"),
        ({"test": {"accuracy": {}}}, "gate.test.accuracy: give min, max and/or min_over_baseline"),
        (
            {"test": {"f1": {"min_over_baseline": 0.05}}},
            "gate.test.f1.min_over_baseline: only accuracy has a baseline (accuracy of always "
            "predicting the majority class); give f1 a min and/or max",
        ),
        (
            {"train": {"baseline_accuracy": {"min_over_baseline": 0.0}}},
            "gate.train.baseline_accuracy.min_over_baseline: only accuracy has a baseline",
        ),
        (
            {"test": {"accuracy": {"min_over_baseline": 1.5}}},
            "gate.test.accuracy.min_over_baseline: Input should be less than 1",
        ),
        (
            {"test": {"accuracy": {"min_over_baseline": -0.1}}},
            "gate.test.accuracy.min_over_baseline: Input should be greater than or equal to 0",
        ),
        ({"test": {"accuracy": {"min": 0.9, "max": 0.8}}}, "min 0.9 is above max 0.8"),
        (
            {"test": {"accuracy": {"minimum": 0.9}}},
            "minimum: unknown key (allowed: min, max, min_over_baseline)",
        ),
    ],
)
def test_a_bad_gate_is_a_params_error_naming_the_key(gate: object, message: str) -> None:
    with pytest.raises(ParamsError) as error:
        gate_params(gate)
    assert message in str(error.value)


def test_an_integer_bound_is_accepted_as_a_number() -> None:
    params = gate_params({"test": {"tp": {"min": 60}}})
    assert params.gate["test"]["tp"] == Bound(min=60.0)


# --- judging --------------------------------------------------------------------------


def test_judging_min_max_and_the_failure_margin() -> None:
    gate = {"test": {"accuracy": Bound(min=0.8), "log_loss": Bound(max=0.6)}}
    verdicts = judge(gate, {"test": {"accuracy": 0.75, "log_loss": 0.7}}, "m.json")
    assert [(v.metric, v.bound, v.passed) for v in verdicts] == [
        ("test.accuracy", "min", False),
        ("test.log_loss", "max", False),
    ]
    assert verdicts[0].outcome == "FAIL (0.05 below min)"
    assert verdicts[1].outcome == "FAIL (0.1 above max)"
    assert summary(verdicts) == (
        "gate: FAIL: 2 of 2 thresholds broken: test.accuracy, test.log_loss"
    )


def test_a_bound_equal_to_the_value_passes_and_both_bounds_are_judged() -> None:
    verdicts = judge({"train": {"f1": Bound(min=0.5, max=0.5)}}, {"train": {"f1": 0.5}}, "m")
    assert [(v.bound, v.passed) for v in verdicts] == [("min", True), ("max", True)]
    assert summary(verdicts) == "gate: pass: all 2 thresholds hold"


def test_min_over_baseline_is_judged_against_each_splits_own_baseline() -> None:
    gate = {
        "train": {"accuracy": Bound(min_over_baseline=0.2)},
        "test": {"accuracy": Bound(min=0.7, min_over_baseline=0.05)},
    }
    metrics = {
        "train": {"accuracy": 0.85, "baseline_accuracy": 0.6},
        "test": {"accuracy": 0.74, "baseline_accuracy": 0.7},
    }
    verdicts = judge(gate, metrics, "m.json")
    assert [(v.metric, v.bound, v.passed) for v in verdicts] == [
        ("train.accuracy", "min", True),  # 0.85 >= 0.6 + 0.2
        ("test.accuracy", "min", False),  # 0.74 <  0.7 + 0.05: above 0.7, not above baseline
        ("test.accuracy", "min", True),  # the absolute min is judged too
    ]
    assert verdicts[0].limit == pytest.approx(0.8)
    assert verdicts[1].cells() == [
        "test.accuracy",
        "min (>= 0.75 = baseline 0.7 + 0.05)",
        "0.74",
        "FAIL (0.01 below min)",
    ]
    assert verdicts[2].cells()[1] == "min (>= 0.7)"


def test_the_same_relative_gate_fits_data_with_another_baseline() -> None:
    """An absolute accuracy bound tuned to one dataset is wrong for another; a relative one
    asks the same of both: a census-like 0.80 over a 0.76 baseline is no skill."""
    gate = {"test": {"accuracy": Bound(min_over_baseline=0.05)}}
    titanic = {"test": {"accuracy": 0.785, "baseline_accuracy": 0.623}}
    census = {"test": {"accuracy": 0.80, "baseline_accuracy": 0.76}}
    assert judge(gate, titanic, "m")[0].passed
    assert not judge(gate, census, "m")[0].passed
    assert judge({"test": {"accuracy": Bound(min=0.75)}}, census, "m")[0].passed


def test_a_relative_bound_needs_the_baseline_in_the_metrics() -> None:
    gate = {"test": {"accuracy": Bound(min_over_baseline=0.05)}}
    with pytest.raises(DataError, match=r"m.json: has no test.baseline_accuracy; run `dvc"):
        judge(gate, {"test": {"accuracy": 0.9}}, "m.json")
    with pytest.raises(DataError, match=r"m.json: test.baseline_accuracy is null; run `dvc"):
        judge(gate, {"test": {"accuracy": 0.9, "baseline_accuracy": None}}, "m.json")


def test_a_null_metric_fails_its_threshold() -> None:
    verdict = Verdict("test.roc_auc", "min", 0.8, None)
    assert not verdict.passed
    assert verdict.outcome == "FAIL (no value: the metric is null)"


def test_a_gated_metric_missing_from_the_file_means_rerun() -> None:
    with pytest.raises(DataError, match=r"m.json: has no test.roc_auc; run `dvc repro`"):
        judge({"test": {"roc_auc": Bound(min=0.8)}}, {"test": {"accuracy": 0.9}}, "m.json")
    with pytest.raises(DataError, match="has no 'train' metrics"):
        judge({"train": {"f1": Bound(min=0.1)}}, {"test": {}}, "m.json")


def test_table_is_aligned_one_line_per_threshold() -> None:
    verdicts = [Verdict("test.accuracy", "min", 0.75, 0.784753), Verdict("a.b", "max", 1, 2)]
    lines = table(verdicts)
    assert len(lines) == 3
    assert lines[1].split() == ["test.accuracy", "min", "(>=", "0.75)", "0.784753", "pass"]
    assert lines[2].endswith("FAIL (1 above max)")
    assert lines[0].index("result") == lines[1].index("pass") == lines[2].index("FAIL")


# --- the command, in a real reproduced project -------------------------------------------


def test_check_passes_on_the_reproduced_pipeline(reproduced_copy: Path) -> None:
    result = check(reproduced_copy)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["metric", "bound", "value", "result"]
    assert lines[-1] == "gate: pass: all 5 thresholds hold"
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert set(rows) == {
        "train.accuracy",
        "test.accuracy",
        "test.roc_auc",
        "test.f1",
        "test.log_loss",
    }
    assert rows["test.accuracy"].split()[-2:] == ["0.784753", "pass"]
    assert "min (>= 0.743318 = baseline 0.623318 + 0.12)" in rows["test.accuracy"]
    assert "max (<= 0.6)" in rows["test.log_loss"]


def test_check_fails_naming_the_metric_above_its_value(reproduced_copy: Path) -> None:
    # The gate is not a stage param: raising a threshold needs no rerun, only a new verdict.
    params = reproduced_copy / "params.yaml"
    set_text(params, "accuracy: {min_over_baseline: 0.12}", "accuracy: {min_over_baseline: 0.2}")
    result = check(reproduced_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if "FAIL" in line]
    assert failed[0].split()[:2] == ["test.accuracy", "min"]
    assert "(>= 0.823318 = baseline 0.623318 + 0.2)" in failed[0]
    assert failed[0].endswith("FAIL (0.038565 below min)")
    assert failed[1] == "gate: FAIL: 1 of 5 thresholds broken: test.accuracy"
    set_text(params, "accuracy: {min_over_baseline: 0.2}", "accuracy: {min: 0.80}")
    failed = [line for line in check(reproduced_copy).stdout.splitlines() if "FAIL" in line]
    assert failed[0].endswith("FAIL (0.0152466 below min)")


def test_check_refuses_missing_or_unreadable_metrics(reproduced_copy: Path) -> None:
    metrics = reproduced_copy / "metrics/metrics.json"
    metrics.write_text('{"train": ')
    result = check(reproduced_copy)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert (
        "metrics/metrics.json: not valid JSON (line 1); run `dvc checkout --force` or `dvc repro`"
        in (result.stderr)
    )
    metrics.unlink()
    result = check(reproduced_copy)
    assert (result.returncode, result.stdout) == (2, "")
    assert "metrics/metrics.json: not found; run `dvc repro`" in result.stderr


def test_check_refuses_stale_metrics_after_a_param_edit(reproduced_copy: Path) -> None:
    set_text(reproduced_copy / "params.yaml", "C: 1.0e+12", "C: 0.1")
    result = check(reproduced_copy)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: metrics are stale: changed since the last run: train")
    assert "params.yaml: train" in result.stderr
    assert "run `dvc repro`" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_refuses_stale_metrics_after_a_code_edit(reproduced_copy: Path) -> None:
    with (reproduced_copy / "stages/train.py").open("a") as handle:
        handle.write("# an edit\n")
    result = check(reproduced_copy)
    assert result.returncode == 2
    assert "stale" in result.stderr
    assert "stages/train.py modified" in result.stderr


def test_check_names_an_unknown_metric_or_a_bad_bound(reproduced_copy: Path) -> None:
    params = reproduced_copy / "params.yaml"
    set_text(params, "f1: {min: 0.68}", "f1_score: {min: 0.68}")
    result = check(reproduced_copy)
    assert result.returncode == 2
    assert "error: params.yaml: gate.test.f1_score: unknown metric" in result.stderr
    set_text(params, "f1_score: {min: 0.68}", "f1: {min: high}")
    result = check(reproduced_copy)
    assert result.returncode == 2
    assert "gate.test.f1.min: Input should be a valid number (got 'high')" in result.stderr


def test_check_help_describes_the_exit_codes() -> None:
    result = run([sys.executable, "-m", "stages.check", "--help"], ROOT)
    assert "usage: python -m stages.check" in result.stdout
    for phrase in ("Exit 0", "Exit 1", "Exit 2", "--metrics", "--no-status"):
        assert phrase in result.stdout


# --- the short summary `make repro` ends with ----------------------------------------------


def test_summary_shows_accuracy_and_roc_auc_per_split(reproduced: Path, cli: Cli) -> None:
    result = cli("summary", reproduced)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "split  accuracy  roc_auc   baseline_accuracy",
        "train  0.848802  0.904476  0.613772",
        "test   0.784753  0.851190  0.623318",
        "every metric: make metrics",
    ]


def test_summary_adds_the_cv_means_when_the_search_ran() -> None:
    metrics = {**METRICS, "cv": {"accuracy_mean": 0.8354, "roc_auc_mean": 0.87, "folds": 5}}
    lines = summary_lines(metrics)
    assert lines[3] == "cv (mean)  0.835400  0.870000  -"
    assert max(len(line) for line in lines) < 60


def test_summary_of_missing_metrics_says_to_rerun(tmp_path: Path, cli: Cli) -> None:
    result = cli("summary", tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: metrics/metrics.json: not found; " + RERUN + "\n"


def test_make_repro_ends_with_the_summary_and_make_metrics_shows_every_metric() -> None:
    def recipe(target: str) -> list[str]:
        return run(["make", "--no-print-directory", "-n", target], ROOT).stdout.splitlines()

    assert recipe("repro")[-2:] == ["dvc repro", "python -m stages.summary"]
    assert recipe("tuned")[-1] == "python -m stages.summary"
    assert recipe("metrics")[-1] == "dvc metrics show"


def test_report_shows_the_effective_bounds() -> None:
    from stages.report import gate_section

    section = gate_section(parse_params(RAW), METRICS, None)
    assert "**gate: pass: all 5 thresholds hold**" in section
    expected = "| test.accuracy | min (>= 0.743318 = baseline 0.623318 + 0.12) | 0.784753 | pass |"
    assert expected in section
