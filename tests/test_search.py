"""train.search (leak-free CV) and the tree model family, on small synthetic data."""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stages.core.errors import ParamsError
from stages.core.params import parse_params, read_params_file
from stages.lib.model import build_chain, build_model
from stages.lib.search import candidates, cross_validate_chain, search
from tests.conftest import ROOT

RAW = read_params_file(ROOT / "params.yaml")
HGB_KEYS = list(RAW["train"]["hist_gradient_boosting"])  # every key, as params.yaml lists them


def params_with(train: dict[str, Any] | None = None, **sections: Any) -> Any:
    raw = copy.deepcopy(RAW)
    raw["data"] = {**raw["data"], "target": "y", "id_column": None}
    raw["features"] = {"numeric": ["x"], "categorical": ["c"]}
    raw["impute"] = {"columns": {"x": {"strategy": "mean"}}}
    raw["featurize"] = {"derive": {"g": {"op": "rare", "column": "c", "min_count": 3}}}
    raw["train"] = {**raw["train"], "C": 1.0, "fit_intercept": True, "solver": "lbfgs"}
    raw["train"].update(train or {})
    raw.update(sections)
    return parse_params(raw)


def table(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    x[7] = 1000.0  # one extreme value: only the folds that train on row 7 may see it
    x[3] = np.nan
    c = rng.choice(["a", "b", "d"], size=n)
    c[11] = "unique"
    y = (np.nan_to_num(x) + rng.normal(scale=0.5, size=n) > 0).astype("int8")
    return pd.DataFrame({"x": x, "c": c, "y": y}, index=np.arange(100, 100 + n))


def test_every_fold_refits_preprocessing_on_its_own_training_rows() -> None:
    params = params_with(train={"search": {"enabled": True, "folds": 3}})
    data = table()
    result = cross_validate_chain(params, data, return_estimator=True)
    held_out_extreme = 0
    for chain, train_rows in zip(result["estimator"], result["indices"]["train"], strict=True):
        fold = data.iloc[train_rows]
        scaler = chain.named_steps["scale"].scaler_
        # The scaler's range (after imputation with the fold's own mean) is the fold's.
        filled = fold["x"].fillna(fold["x"].mean())
        assert scaler.data_max_[0] == pytest.approx(filled.max())
        assert scaler.data_min_[0] == pytest.approx(filled.min())
        imputer = chain.named_steps["impute"].named_steps["impute"]
        assert imputer.fill_values_["x"] == pytest.approx(fold["x"].mean())
        if 107 not in fold.index:
            held_out_extreme += 1
            assert scaler.data_max_[0] < 1000.0
        counts = fold["c"].value_counts()
        assert chain.named_steps["featurize"].learned_["g"] == sorted(counts.index[counts >= 3])
    assert held_out_extreme == 1


def test_search_picks_the_best_cv_candidate_and_reports_it() -> None:
    grid = {"C": [1e-4, 1.0], "class_weight": [None, "balanced"]}
    params = params_with(train={"search": {"enabled": True, "folds": 3, "grid": grid}})
    chosen, report = search(params, table())
    assert report["candidates"] == 4
    means = [r["accuracy_mean"] for r in report["results"]]
    assert report["accuracy_mean"] == max(means)
    assert chosen.train.C == report["best"]["C"] == 1.0
    assert {"accuracy_std", "roc_auc_mean", "roc_auc_std"} <= set(report)


def test_an_invalid_grid_combination_is_a_params_error_before_any_fit() -> None:
    params = params_with(train={"search": {"enabled": True, "grid": {"penalty": ["l1"]}}})
    with pytest.raises(ParamsError, match=r"train.search.grid: the combination \{'penalty'"):
        candidates(params)


LR_KEYS = "C, fit_intercept, solver, max_iter, penalty, l1_ratio, class_weight, tol, random_state"


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"Cc": [1.0]}, "train.search.grid.Cc: not a hyperparameter of train.model"),
        ({"hist_gradient_boosting.depth": [2]}, "grid.hist_gradient_boosting.depth: not a hyper"),
        ({"C": []}, "give at least one value"),
        ({"model": ["random_forest"]}, "grid.model: give model families among"),
        ({"ensemble.members": [None]}, "cannot be searched"),
        ({"search.folds": [3]}, "cannot be searched"),
    ],
)
def test_grid_keys_are_validated_with_params(grid: dict, message: str) -> None:
    with pytest.raises(ParamsError, match=re.escape(message)):
        params_with(train={"search": {"grid": grid}})


def test_a_grid_over_the_other_familys_keys_is_refused_naming_the_allowed_ones() -> None:
    """A logistic-regression grid on the tree model changed nothing the fit reads: every
    candidate was the same model, and `cv.best.C` a tie-break reported as a finding."""
    grid = {"C": [0.1, 1.0], "class_weight": [None, "balanced"]}
    with pytest.raises(ParamsError) as error:
        params_with(train={"model": "hist_gradient_boosting", "search": {"grid": grid}})
    assert str(error.value) == (
        "params.yaml: train.search.grid.C: not a hyperparameter of train.model "
        "'hist_gradient_boosting' (its grid keys: "
        + ", ".join(f"hist_gradient_boosting.{key}" for key in HGB_KEYS)
        + ")"
    )
    tree_grid = {"hist_gradient_boosting.learning_rate": [0.05, 0.1]}
    with pytest.raises(ParamsError) as error:
        params_with(train={"search": {"grid": tree_grid}})  # logistic regression
    assert str(error.value) == (
        "params.yaml: train.search.grid.hist_gradient_boosting.learning_rate: not a hyperparameter "
        f"of train.model 'logistic_regression' (its grid keys: {LR_KEYS})"
    )


def test_each_family_searches_its_own_keys() -> None:
    tree = params_with(
        train={
            "model": "hist_gradient_boosting",
            "search": {"grid": {"hist_gradient_boosting.max_depth": [2, None]}},
        }
    )
    assert [s for s, _ in candidates(tree)] == [
        {"hist_gradient_boosting.max_depth": 2},
        {"hist_gradient_boosting.max_depth": None},
    ]
    assert [p.train.hist_gradient_boosting.max_depth for _, p in candidates(tree)] == [2, None]
    linear = params_with(train={"search": {"grid": {key: [1.0] for key in ("C", "tol")}}})
    assert len(candidates(linear)) == 1


def test_tree_model_gets_native_categories_and_keeps_missing_values() -> None:
    hgb = {"max_iter": 5, "min_samples_leaf": 2}
    params = params_with(
        train={"model": "hist_gradient_boosting", "hist_gradient_boosting": hgb},
        impute={"columns": {}},
    )
    data = table()
    chain = build_chain(params).fit(data.drop(columns=["y"]), data["y"])
    model = chain.named_steps["model"]
    design = model.named_steps["design"]
    assert list(model.named_steps["classifier"].is_categorical_) == [False, True]
    encoded = chain[:-1].transform(data.drop(columns=["y"]))
    matrix = design.transform(encoded)
    assert list(matrix.columns) == ["x", "c"]
    assert np.isnan(matrix["x"].iloc[3])  # x's missing value stays NaN (no impute for it)
    assert list(matrix["c"].cat.categories) == ["a", "b", "d", "u"]  # encode's, as learned
    new = data.drop(columns=["y"]).iloc[:2].assign(c=["never-seen", "a"])
    assert pd.isna(design.transform(chain[:-1].transform(new))["c"].iloc[0])
    assert chain.predict_proba(new).shape == (2, 2)


def test_tree_model_settings_are_validated() -> None:
    with pytest.raises(ParamsError, match=r"train.hist_gradient_boosting.learning_rate"):
        params_with(train={"hist_gradient_boosting": {"learning_rate": 0.0}})
    with pytest.raises(ParamsError, match=r"train.model: Input should be"):
        params_with(train={"model": "random_forest"})


def test_default_model_is_the_notebook_logistic_regression() -> None:
    model = build_model(parse_params(copy.deepcopy(RAW)))
    classifier = model.named_steps["classifier"]
    assert type(classifier).__name__ == "LogisticRegression"
    assert classifier.C == 1e12 and classifier.fit_intercept is False


def test_tree_model_refuses_more_categories_than_bins_naming_column_and_setting() -> None:
    from stages.core.errors import DataError
    from stages.lib.model import check_categories_fit_model

    params = params_with(
        train={"model": "hist_gradient_boosting", "hist_gradient_boosting": {"max_bins": 2}},
        impute={"columns": {}},
    )
    column = params.features.categorical[0]
    frame = pd.DataFrame({column: pd.Categorical(["a", "b", "c"])})
    with pytest.raises(DataError, match=rf"column '{column}' has 3 categories.*max_bins \(2\)"):
        check_categories_fit_model(params, frame)
