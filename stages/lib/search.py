"""Cross-validated grid search over the model's hyperparameters, on the train split only.

Why it cannot leak: each candidate is the WHOLE unfitted chain of `build_chain` (featurize
→ type checks + impute → encode → scale → model) and `cross_validate` clones and fits that
chain on each fold's training rows, then scores it on the fold's held-out rows. So every
learned quantity (rare-category cut, imputation means, category lists, scaler ranges,
model weights) comes from the fold's training rows only; the test split is never read.
"""

from __future__ import annotations

import copy
import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from stages.core.errors import ParamsError
from stages.core.params import Params, parse_params
from stages.lib.metrics import classify

if TYPE_CHECKING:
    import pandas as pd

# Every candidate is scored on these; the chosen scoring (params) decides the winner.
REPORTED = ("accuracy", "roc_auc")


def candidates(params: Params) -> list[tuple[dict[str, Any], Params]]:
    """Every combination of train.search.grid as (its settings, full validated params).

    Each one is validated like params.yaml and by scikit-learn before any fitting.
    """
    from stages.lib.model import check_model_settings

    base = params.model_dump(mode="python")
    out = []
    for settings in _combinations(params.train.search.grids):
        raw = copy.deepcopy(base)
        for key, value in settings.items():
            section = raw["train"]
            *path, last = key.split(".")
            for part in path:
                section = section[part]
            section[last] = value
        try:
            candidate = parse_params(raw, "params")
            check_model_settings(candidate)
            out.append((settings, candidate))
        except ParamsError as error:
            raise ParamsError(
                f"train.search.grid: the combination {settings} is not valid: {error}"
            ) from None
    return out


def _combinations(grids: list[dict[str, list[Any]]]) -> list[dict[str, Any]]:
    """Every combination of each grid in turn (train.model first, so a family's own keys
    are set on the family they belong to)."""
    out = []
    for grid in grids:
        keys = sorted(grid, key=lambda key: key != "model")
        for values in itertools.product(*(grid[key] for key in keys)):
            out.append(dict(zip(keys, values, strict=True)))
    return out


def scorers(params: Params) -> dict[str, Any]:
    """Scorers that classify with predict.threshold, as the evaluate stage does."""
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        f1_score,
        get_scorer,
        make_scorer,
    )

    threshold = params.predict.threshold

    def thresholded(metric: Any) -> Any:
        def score(y_true: np.ndarray, probability: np.ndarray) -> float:
            return float(metric(y_true, classify(probability, threshold)))

        return make_scorer(score, response_method="predict_proba")

    return {
        "accuracy": thresholded(accuracy_score),
        "balanced_accuracy": thresholded(balanced_accuracy_score),
        "f1": thresholded(f1_score),
        "roc_auc": get_scorer("roc_auc"),
        "neg_log_loss": get_scorer("neg_log_loss"),
    }


def folds(params: Params) -> Any:
    """Stratified k-fold, shuffled; repeated with new shuffles when train.search.repeats > 1
    (every repeat's folds count in the mean and std, so a choice rests on more splits)."""
    from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

    search = params.train.search
    if search.repeats > 1:
        return RepeatedStratifiedKFold(
            n_splits=search.folds, n_repeats=search.repeats, random_state=search.random_state
        )
    return StratifiedKFold(n_splits=search.folds, shuffle=True, random_state=search.random_state)


def cross_validate_chain(
    params: Params, table: pd.DataFrame, *, return_estimator: bool = False
) -> dict[str, Any]:
    """Fold scores of the whole chain built from `params`, refitted in every fold."""
    from sklearn.model_selection import cross_validate

    from stages.lib.model import build_chain

    target = params.data.target
    names = sorted({*REPORTED, params.train.search.scoring})
    every = scorers(params)
    scores: dict[str, Any] = cross_validate(
        build_chain(params),
        table.drop(columns=[target]),
        table[target].to_numpy(),
        cv=folds(params),
        scoring={name: every[name] for name in names},
        error_score="raise",
        return_estimator=return_estimator,
        return_indices=return_estimator,
    )
    return scores


def searcher(params: Params, grid: list[tuple[dict[str, Any], Params]]) -> Any:
    """GridSearchCV over the whole chain of `build_chain`. Each candidate swaps in its own
    model step and impute step (whether a feature must be complete depends on the model
    family): one user key such as `penalty` may set several scikit-learn parameters, so
    candidates are whole steps built from validated params, not raw estimator keys."""
    from sklearn.model_selection import GridSearchCV

    from stages.lib.model import build_chain, build_model
    from stages.lib.transformers import build_impute_step

    scoring = params.train.search.scoring
    every = scorers(params)
    return GridSearchCV(
        build_chain(params),
        [
            {"impute": [build_impute_step(candidate)], "model": [build_model(candidate)]}
            for _, candidate in grid
        ],
        scoring={name: every[name] for name in sorted({*REPORTED, scoring})},
        cv=folds(params),
        refit=scoring,
        error_score="raise",
    )


def search(params: Params, table: pd.DataFrame) -> tuple[Params, dict[str, Any]]:
    """The best candidate's params (first in grid order on ties) and a JSON-ready summary.

    Means and standard deviations are over every fold of every repeat. With
    train.search.nested, the whole search is also run inside an outer k-fold (`nested`).
    Nothing is refitted here: the train stage fits the chosen params on its own input.
    """
    scoring = params.train.search.scoring
    names = sorted({*REPORTED, scoring})
    grid = candidates(params)
    found = searcher(params, grid).set_params(refit=False)
    target = params.data.target
    rows, labels = table.drop(columns=[target]), table[target].to_numpy()
    found.fit(rows, labels)
    results = found.cv_results_
    summaries = [
        {
            "params": settings,
            **{
                f"{name}_{stat}": float(results[f"{stat}_test_{name}"][index])
                for name in names
                for stat in ("mean", "std")
            },
        }
        for index, (settings, _) in enumerate(grid)
    ]
    best_index = int(np.argmin(results[f"rank_test_{scoring}"]))  # ties: first in grid order
    best = summaries[best_index]
    search_params = params.train.search
    report: dict[str, Any] = {
        "enabled": True,
        "folds": search_params.folds,
        "repeats": search_params.repeats,
        "scoring": scoring,
        "candidates": len(grid),
        **{key: value for key, value in best.items() if key != "params"},
        "best": best["params"],
        "results": summaries,
    }
    if search_params.nested:
        report["nested"] = nested(params, grid, rows, labels)
    return grid[best_index][1], report


def nested(
    params: Params, grid: list[tuple[dict[str, Any], Params]], rows: Any, labels: Any
) -> dict[str, Any]:
    """An estimate of the whole selection procedure: each outer fold runs the search on its
    training rows only, refits the winner there and scores it on its held-out rows (which
    the search never saw). Outer folds: stratified k-fold, shuffled with random_state + 1."""
    from sklearn.model_selection import StratifiedKFold, cross_validate

    search_params = params.train.search
    seed = (search_params.random_state + 1) % 2**32
    outer = StratifiedKFold(n_splits=search_params.folds, shuffle=True, random_state=seed)
    every = scorers(params)
    names = sorted({*REPORTED, search_params.scoring})
    scores = cross_validate(
        searcher(params, grid),
        rows,
        labels,
        cv=outer,
        scoring={name: every[name] for name in names},
        error_score="raise",
    )
    return {
        "folds": search_params.folds,
        **{
            f"{name}_{stat}": float(getattr(np, stat)(scores[f"test_{name}"]))
            for name in names
            for stat in ("mean", "std")
        },
    }
