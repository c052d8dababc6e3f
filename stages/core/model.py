"""The model step, built from params: a design-matrix adapter plus the classifier.

The model artifact is this small Pipeline, so whoever loads it (evaluate, predict) feeds
it the scaled table and never has to know how features become a matrix.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from stages.core.derivations import build_featurizer
from stages.core.errors import DataError
from stages.core.params import Params
from stages.core.transformers import (
    build_design,
    build_encoder,
    build_impute_step,
    build_scaler,
)


def build_classifier(params: Params) -> Any:
    """The classifier of the family params.train.model names."""
    if params.train.model == "hist_gradient_boosting":
        return build_gradient_boosting(params)
    return build_logistic_regression(params)


def build_logistic_regression(params: Params) -> LogisticRegression:
    """LogisticRegression with every hyperparameter from params.train.

    scikit-learn 1.8 deprecated `penalty` in favour of `l1_ratio` (and C=inf for none);
    params keep the familiar `penalty` and it is translated here, without warnings.
    """
    train = params.train
    l1_ratio = {"l2": 0.0, "l1": 1.0, None: 0.0}.get(train.penalty, train.l1_ratio)
    return LogisticRegression(
        C=math.inf if train.penalty is None else train.C,
        fit_intercept=train.fit_intercept,
        solver=train.solver,
        max_iter=train.max_iter,
        l1_ratio=l1_ratio,
        class_weight=train.class_weight,
        tol=train.tol,
        random_state=train.random_state,
    )


def build_gradient_boosting(params: Params) -> Any:
    """HistGradientBoostingClassifier with its own settings (train.hist_gradient_boosting).

    Categorical features go in as their codes, declared categorical (native splits on
    category sets, no one-hot); missing values stay NaN, which the trees route natively.
    Early stopping is off so the fit is deterministic and uses all training rows.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    hgb = params.train.hist_gradient_boosting
    n_numeric, n_categorical = len(params.features.numeric), len(params.features.categorical)
    return HistGradientBoostingClassifier(
        learning_rate=hgb.learning_rate,
        max_iter=hgb.max_iter,
        max_leaf_nodes=hgb.max_leaf_nodes,
        max_depth=hgb.max_depth,
        min_samples_leaf=hgb.min_samples_leaf,
        l2_regularization=hgb.l2_regularization,
        max_features=hgb.max_features,
        max_bins=hgb.max_bins,
        categorical_features=[False] * n_numeric + [True] * n_categorical,
        class_weight=hgb.class_weight,
        early_stopping=False,
        random_state=hgb.random_state,
    )


class TreeDesign(TransformerMixin, BaseEstimator):
    """The tree ensemble's input: numeric columns as they are (NaN kept), then each
    categorical column's integer code (a value never seen in training, or a missing one,
    becomes NaN: "missing" for the trees). Dense float64, small for tabular data.
    """

    def __init__(
        self,
        numeric: list[str] | None = None,
        categorical: list[str] | None = None,
        max_bins: int = 255,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.max_bins = max_bins

    def fit(self, frame: pd.DataFrame, y: Any = None) -> TreeDesign:
        self.categories_ = {}
        for column in self.categorical or []:
            if not isinstance(frame[column].dtype, pd.CategoricalDtype):
                raise DataError(f"column {column!r} is not encoded; run the encode step first")
            categories = list(frame[column].cat.categories)
            if len(categories) > self.max_bins:
                raise DataError(
                    f"column {column!r} has {len(categories)} categories; the tree model takes "
                    f"at most train.hist_gradient_boosting.max_bins ({self.max_bins}): group "
                    "rare ones with a featurize 'rare' derivation"
                )
            self.categories_[column] = categories
        self.feature_names_out_ = np.asarray(
            [*(self.numeric or []), *(self.categorical or [])], dtype=object
        )
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "categories_")
        blocks = [frame[list(self.numeric or [])].to_numpy(dtype=np.float64)]
        for column, categories in self.categories_.items():
            values = frame[column]
            if list(values.cat.categories) != categories:
                values = values.cat.set_categories(categories)
            codes = values.cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            blocks.append(codes[:, None])
        return np.hstack(blocks)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_


def build_model_design(params: Params) -> Any:
    """The design adapter the model family needs: sparse one-hot or native categories."""
    if params.train.model == "hist_gradient_boosting":
        return TreeDesign(
            numeric=list(params.features.numeric),
            categorical=list(params.features.categorical),
            max_bins=params.train.hist_gradient_boosting.max_bins,
        )
    return build_design(params)


def build_model(params: Params) -> Pipeline:
    """Design matrix + classifier: what the train stage fits on the scaled table."""
    return Pipeline(
        [("design", build_model_design(params)), ("classifier", build_classifier(params))]
    )


def build_chain(params: Params) -> Pipeline:
    """The whole unfitted chain (featurize → types+impute → encode → scale → model).

    Fitting it fits every step on the rows given, which is what makes cross-validation
    leak-free: each fold refits all of it on the fold's training rows only.
    """
    return Pipeline(
        [
            ("featurize", build_featurizer(params)),
            ("impute", build_impute_step(params)),
            ("encode", build_encoder(params)),
            ("scale", build_scaler(params)),
            ("model", build_model(params)),
        ]
    )


def compose_fitted(
    featurizer: Any, imputer: Any, encoder: Any, scaler: Any, model: Any
) -> Pipeline:
    """The fitted chain the stages persisted, as one Pipeline: the path new rows take."""
    return Pipeline(
        [
            ("featurize", featurizer),
            ("impute", imputer),
            ("encode", encoder),
            ("scale", scaler),
            ("model", model),
        ]
    )


def feature_names(model: Pipeline) -> list[str]:
    """Names of the classifier's inputs (numeric columns, then `column_category`)."""
    return list(model.named_steps["design"].get_feature_names_out())


def load_fitted() -> tuple[Pipeline, dict[Path, dict | None]]:
    """The chain the stages fitted and persisted, as one Pipeline, with each artifact's
    record of what it was fitted with (stages.core.fitted checks them against params)."""
    from stages.core.artifacts import FITTED_PATHS, read_fitted

    steps, records = [], {}
    for path in FITTED_PATHS.values():
        step, records[path] = read_fitted(path)
        steps.append(step)
    return compose_fitted(*steps), records


def load_fitted_chain() -> Pipeline:
    """The chain the stages fitted and persisted, read back as one Pipeline."""
    return load_fitted()[0]
