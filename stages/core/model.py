"""The model step, built from params: a design-matrix adapter plus the classifier.

The model artifact is this small Pipeline, so whoever loads it (evaluate, predict) feeds
it the scaled table and never has to know how features become a matrix.
"""

from __future__ import annotations

import math
from typing import Any

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from stages.core.params import Params
from stages.core.transformers import (
    build_design,
    build_encoder,
    build_impute_step,
    build_scaler,
)


def build_classifier(params: Params) -> LogisticRegression:
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


def build_model(params: Params) -> Pipeline:
    """Design matrix + classifier: what the train stage fits on the scaled table."""
    return Pipeline([("design", build_design(params)), ("classifier", build_classifier(params))])


def build_chain(params: Params) -> Pipeline:
    """The whole unfitted chain (types+impute → encode → scale → model) for CV and benchmarks."""
    return Pipeline(
        [
            ("impute", build_impute_step(params)),
            ("encode", build_encoder(params)),
            ("scale", build_scaler(params)),
            ("model", build_model(params)),
        ]
    )


def compose_fitted(imputer: Any, encoder: Any, scaler: Any, model: Any) -> Pipeline:
    """The fitted chain the stages persisted, as one Pipeline: the path new rows take."""
    return Pipeline([("impute", imputer), ("encode", encoder), ("scale", scaler), ("model", model)])


def feature_names(model: Pipeline) -> list[str]:
    """Names of the classifier's inputs (numeric columns, then `column_category`)."""
    return list(model.named_steps["design"].get_feature_names_out())


def load_fitted_chain() -> Pipeline:
    """The chain the stages fitted and persisted, read back as one Pipeline."""
    from stages.core.artifacts import (
        ENCODER_PATH,
        IMPUTER_PATH,
        MODEL_PATH,
        SCALER_PATH,
        read_object,
    )

    return compose_fitted(
        read_object(IMPUTER_PATH),
        read_object(ENCODER_PATH),
        read_object(SCALER_PATH),
        read_object(MODEL_PATH),
    )
