"""params.yaml validation: every bad value is one error naming its key."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from stages.core.errors import ParamsError
from stages.core.params import load_params, parse_params, read_params_file
from tests.conftest import ROOT, stage

DEFAULTS = read_params_file(ROOT / "params.yaml")


def with_change(path: str, value: Any) -> dict[str, Any]:
    """The default params with one dotted key set (or deleted when value is ...)."""
    raw = copy.deepcopy(DEFAULTS)
    *parents, last = path.split(".")
    node = raw
    for part in parents:
        node = node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return raw


def error_for(path: str, value: Any) -> str:
    with pytest.raises(ParamsError) as caught:
        parse_params(with_change(path, value))
    return str(caught.value)


def test_defaults_are_the_notebook_settings() -> None:
    params = load_params(ROOT / "params.yaml")
    assert params.split.test_size == 0.25 and params.split.random_state == 0
    assert params.train.C == 1e12 and params.train.solver == "liblinear"
    assert params.train.fit_intercept is False
    assert params.features.numeric == ["Pclass", "Age", "SibSp", "Fare"]
    assert params.features.categorical == ["Sex", "Cabin", "Embarked"]
    assert params.impute.columns["Cabin"].fill_value == "cabin_missing"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("train.Cc", 0.1, "train.Cc: unknown key (allowed: C, fit_intercept, solver"),
        ("trian", {"C": 1}, "trian: unknown key (allowed: data, features, split"),
        ("train.C", "abc", "train.C: Input should be a valid number"),
        ("train.C", 0, "train.C: Input should be greater than 0"),
        ("train.C", -1.0, "train.C: Input should be greater than 0"),
        ("train.solver", "adam", "train.solver: Input should be 'liblinear', 'lbfgs'"),
        ("train.fit_intercept", "yes", "train.fit_intercept: Input should be a valid boolean"),
        ("train.max_iter", 0, "train.max_iter: Input should be greater than 0"),
        ("train.penalty", "l3", "train.penalty: Input should be 'l1', 'l2' or 'elasticnet'"),
        ("train.class_weight", "even", "train.class_weight"),
        ("split.test_size", 0.0, "split.test_size: Input should be greater than 0"),
        ("split.test_size", 1.0, "split.test_size: Input should be less than 1"),
        ("split.test_size", 1.5, "split.test_size: Input should be less than 1"),
        (
            "split.random_state",
            -1,
            "split.random_state: Input should be greater than or equal to 0",
        ),
        ("split.stratify", "no", "split.stratify: Input should be a valid boolean"),
        ("split.test_size", ..., "split.test_size: required key is missing"),
        (
            "impute.columns.Age",
            {"strategy": "mode"},
            "impute.columns.Age.strategy: Input should be",
        ),
        (
            "impute.columns.Cabin",
            {"strategy": "constant"},
            "strategy 'constant' needs a fill_value",
        ),
        (
            "impute.columns.Name",
            {"strategy": "most_frequent"},
            "impute.columns.Name: not a feature",
        ),
        ("impute.columns.Sex", {"strategy": "mean"}, "impute.columns.Sex: strategy 'mean' needs a"),
        (
            "encode.handle_unknown",
            "skip",
            "encode.handle_unknown: Input should be 'ignore' or 'error'",
        ),
        ("scale.method", "robust", "scale.method: Input should be 'minmax', 'standard' or 'none'"),
        ("data.delimiter", ";;", "data.delimiter: String should have at most 1 character"),
        ("data.positive_label", True, "data.positive_label"),
        ("features.numeric", ["Age", "Age"], "features.numeric: lists ['Age'] more than once"),
        ("features.categorical", ["Sex", "Age"], "features.categorical: ['Age'] also listed in"),
        ("features.categorical", ["Survived"], "features.categorical: ['Survived'] is the target"),
        ("predict.threshold", 1.0, "predict.threshold: Input should be less than 1"),
    ],
)
def test_bad_value_is_one_error_naming_the_key(key: str, value: Any, expected: str) -> None:
    message = error_for(key, value)
    assert expected in message
    assert "\n" not in message


def test_solver_and_penalty_must_fit_together_as_scikit_learn_says() -> None:
    from stages.lib.model import check_model_settings

    raw = with_change("train.solver", "lbfgs")
    raw["train"]["penalty"] = "l1"
    with pytest.raises(ParamsError) as caught:
        check_model_settings(parse_params(raw))
    message = str(caught.value)
    assert message.startswith("train: scikit-learn refuses these settings: ")
    assert "Solver lbfgs supports only 'l2' or None penalties, got l1 penalty" in message
    # Every combination scikit-learn accepts passes; the check fits nothing real.
    for solver, penalty in [("saga", "l1"), ("liblinear", "l1"), ("lbfgs", None)]:
        ok = with_change("train.solver", solver)
        ok["train"]["penalty"] = penalty
        check_model_settings(parse_params(ok))


def test_train_stage_refuses_a_solver_penalty_pair_before_any_work(
    reproduced_copy: Path,
) -> None:
    params = reproduced_copy / "params.yaml"
    raw = read_params_file(params)
    raw["train"]["solver"] = "lbfgs"
    raw["train"]["penalty"] = "l1"
    params.write_text(yaml.safe_dump(raw, sort_keys=False))
    model = reproduced_copy / "models/model.joblib"
    before = model.read_bytes()
    result = stage("train", reproduced_copy)
    assert result.returncode == 2
    assert result.stderr.startswith("error: train: scikit-learn refuses these settings: Solver")
    assert model.read_bytes() == before


def test_yaml_scientific_notation_is_a_float(tmp_path: Path) -> None:
    raw = with_change("train.C", 1.0)
    text = yaml.safe_dump(raw).replace("C: 1.0", "C: 1e12")
    path = tmp_path / "params.yaml"
    path.write_text(text)
    assert load_params(path).train.C == 1e12


def test_unreadable_params_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"params\.yaml: file not found"):
        load_params(tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("train: [unclosed\n")
    with pytest.raises(ParamsError, match=r"not valid YAML \(line 2\)"):
        load_params(tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("- a list\n")
    with pytest.raises(ParamsError, match="expected a mapping"):
        load_params(tmp_path / "params.yaml")


def test_stage_with_bad_params_exits_2_with_one_line_and_writes_nothing(project: Path) -> None:
    params_path = project / "params.yaml"
    params_path.write_text(params_path.read_text().replace("test_size: 0.25", "test_size: 1.5"))
    result = stage("split", project)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: params.yaml: split.test_size: Input should be less than 1 (got 1.5)"
    ]
    assert "Traceback" not in result.stderr
    assert not (project / "data/split").exists()


def test_column_missing_from_data_is_named_before_any_output(project: Path) -> None:
    params_path = project / "params.yaml"
    params_path.write_text(params_path.read_text().replace("Age, SibSp,", "Age, SibSpp,"))
    result = stage("split", project)
    assert result.returncode == 2
    assert "missing column 'SibSpp' (required by features.numeric)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (project / "data/split").exists()


def test_params_file_problems_are_one_line_errors(tmp_path: Path) -> None:
    duplicate = tmp_path / "dup.yaml"
    duplicate.write_text((ROOT / "params.yaml").read_text() + "predict: {threshold: 0.4}\n")
    with pytest.raises(ParamsError, match=r"key 'predict' appears twice in one section \(line"):
        load_params(duplicate)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"data: \xe9\n")
    with pytest.raises(ParamsError, match=r"latin1\.yaml: not UTF-8 text"):
        load_params(latin1)
    with pytest.raises(ParamsError, match=r"cannot be read \(Is a directory\)"):
        load_params(tmp_path)
