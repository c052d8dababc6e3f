"""The model step, built from params: a design-matrix adapter plus the classifier.

The model artifact is this small Pipeline, so whoever loads it (evaluate, predict) feeds
it the scaled table and never has to know how features become a matrix.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from stages.core.errors import DataError, ParamsError
from stages.core.params import Params
from stages.lib.featurize import build_featurizer
from stages.lib.transformers import (
    build_design,
    build_encoder,
    build_impute_step,
    build_scaler,
)

if TYPE_CHECKING:
    import pandas as pd


def build_classifier(params: Params) -> Any:
    """The classifier of the family params.train.model names."""
    if params.train.model == "ensemble":
        return build_ensemble(params)
    if params.train.model == "hist_gradient_boosting":
        return build_gradient_boosting(params)
    return build_logistic_regression(params)


def member_params(params: Params) -> list[Params]:
    """Each ensemble member's whole params: the project's, with the member's train settings."""
    return [params.model_copy(update={"train": train}) for train in params.train.members()]


def build_ensemble(params: Params) -> Any:
    """Soft voting (VotingClassifier) or stacking under a logistic regression
    (StackingClassifier) of the members, each a whole model step of its family (its own
    design matrix and classifier, as `build_model` makes for a single model), so the linear
    member reads the sparse one-hot design and the trees the categoricals natively."""
    from sklearn.ensemble import StackingClassifier, VotingClassifier
    from sklearn.model_selection import StratifiedKFold

    ensemble = params.train.ensemble
    members = [
        (f"{index}_{member.train.model}", build_model(member))
        for index, member in enumerate(member_params(params))
    ]
    if ensemble.method == "stacking":
        return StackingClassifier(
            members,
            final_estimator=LogisticRegression(),
            cv=StratifiedKFold(n_splits=ensemble.cv),
            stack_method="predict_proba",
        )
    return VotingClassifier(members, voting="soft")


def check_model_settings(params: Params) -> None:
    """Ask scikit-learn itself whether it accepts the classifier's settings, before any work.

    Fitting the configured classifier on four rows runs scikit-learn's own parameter
    validation and its solver/penalty rules in milliseconds, so params can never accept
    what scikit-learn refuses (or refuse what a newer release accepts).
    """
    import warnings

    if params.train.model == "ensemble":
        for index, member in enumerate(member_params(params)):
            try:
                check_model_settings(member)
            except ParamsError as error:
                message = str(error).removeprefix("train: ")
                raise ParamsError(f"train.ensemble.members.{index}: {message}") from None
        return
    classifier = build_classifier(params)
    rows, labels = np.array([[0.0], [1.0], [0.0], [1.0]]), np.array([0, 1, 0, 1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence on four rows is not the question
            classifier.fit(rows, labels)
    except ValueError as error:
        raise ParamsError(f"train: scikit-learn refuses these settings: {error}") from None


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

    Categorical features are the encode stage's pandas categoricals, read as categories
    (native splits on category sets, no one-hot; a category unseen in training, or a missing
    one, is "missing" for the trees); missing numbers stay NaN, which the trees route
    natively. Early stopping is off so the fit is deterministic and uses all training rows.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    hgb = params.train.hist_gradient_boosting
    return HistGradientBoostingClassifier(
        learning_rate=hgb.learning_rate,
        max_iter=hgb.max_iter,
        max_leaf_nodes=hgb.max_leaf_nodes,
        max_depth=hgb.max_depth,
        min_samples_leaf=hgb.min_samples_leaf,
        l2_regularization=hgb.l2_regularization,
        max_features=hgb.max_features,
        max_bins=hgb.max_bins,
        categorical_features="from_dtype",
        class_weight=hgb.class_weight,
        early_stopping=False,
        random_state=hgb.random_state,
    )


def build_model_design(params: Params) -> Any:
    """The design adapter the model family needs: the sparse one-hot matrix for the linear
    model; for the trees, just the feature columns as a DataFrame, whose encoded categoricals
    HistGradientBoostingClassifier reads natively (`categorical_features="from_dtype"`); for
    an ensemble the same columns, which each member turns into its own design."""
    if params.train.model in ("hist_gradient_boosting", "ensemble"):
        from sklearn.compose import ColumnTransformer

        select = ColumnTransformer(
            [("features", "passthrough", list(params.features.columns))],
            verbose_feature_names_out=False,
        )
        return select.set_output(transform="pandas")
    return build_design(params)


def check_categories_fit_model(params: Params, frame: pd.DataFrame) -> None:
    """The tree model bins each category on its own and takes at most `max_bins` of them.

    Checked before fitting so the user reads which column and which setting, not
    scikit-learn's internal error.
    """
    if params.train.model == "ensemble":
        for member in member_params(params):
            check_categories_fit_model(member, frame)
        return
    if params.train.model != "hist_gradient_boosting":
        return
    max_bins = params.train.hist_gradient_boosting.max_bins
    for column in params.onehot_columns:
        count = len(frame[column].cat.categories)
        if count > max_bins:
            raise DataError(
                f"column {column!r} has {count} categories; the tree model takes at most "
                f"train.hist_gradient_boosting.max_bins ({max_bins}): group rare ones with a "
                "featurize 'rare' derivation, or encode it as a number (encode.columns."
                f"{column}.method: target, ordinal or frequency)"
            )


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


def load_fitted() -> tuple[Pipeline, dict[Path, dict[str, Any] | None]]:
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
