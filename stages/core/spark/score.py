"""Scoring on Spark from the stored scikit-learn objects (for inputs too big for one process).

The probability is computed with Spark SQL expressions from the fitted values only: each
numeric column's fill value and scaling (scikit-learn's `x * scale_ + min_` for min-max,
`(x - mean_) / scale_` for standard), each category's coefficient looked up in a map (an
unseen category adds nothing, like handle_unknown=ignore's all-zero block), the intercept,
then the logistic function. The same numbers predict_proba uses, so Spark's scores and
`python -m stages.predict` agree to rounding (1e-12 here), whichever engine fitted them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from pyspark.sql import Column
    from sklearn.linear_model import LogisticRegression


def scaled(column: str, fill: Any, scaler: Any, index: int) -> Column:
    """The numeric column as the model sees it: filled, then scaled like the scaler."""
    from pyspark.sql import functions as F

    value = F.col(column).cast("double")
    if fill is not None:
        value = F.coalesce(value, F.lit(float(fill)))
    if scaler is None:
        return value
    if hasattr(scaler, "data_min_"):  # MinMaxScaler
        return value * float(scaler.scale_[index]) + float(scaler.min_[index])
    mean = float(scaler.mean_[index]) if scaler.with_mean else 0.0
    scale = float(scaler.scale_[index]) if scaler.with_std else 1.0
    return (value - mean) / scale


def probability(
    model: LogisticRegression,
    numeric: list[str],
    lists: dict[str, list[Any]],
    fills: dict[str, Any],
    scaler: Any = None,
) -> Column:
    """P(classes_[1]) for each row: predict_proba's second column, as a Spark column.

    `numeric` and `lists` (categorical column -> categories) give the design matrix's
    layout, exactly as the model was fitted on; `fills` the imputed value of any column
    that may be missing."""
    from pyspark.sql import functions as F

    coef = np.asarray(model.coef_, dtype="float64").ravel()
    expected = len(numeric) + sum(len(values) for values in lists.values())
    if coef.size != expected:
        raise ValueError(f"the model has {coef.size} coefficients, the layout {expected}")
    terms = [
        scaled(column, fills.get(column), scaler, i) * float(coef[i])
        for i, column in enumerate(numeric)
    ]
    offset = len(numeric)
    for column, values in lists.items():
        weights = coef[offset : offset + len(values)]
        offset += len(values)
        table = F.create_map(
            *(F.lit(part) for v, w in zip(values, weights, strict=True) for part in (v, float(w)))
        )
        value = F.col(column)
        if fills.get(column) is not None:
            value = F.coalesce(value, F.lit(fills[column]))
        terms.append(F.coalesce(F.try_element_at(table, value), F.lit(0.0)))
    z = F.lit(float(np.asarray(model.intercept_).ravel()[0]))
    for term in terms:
        z = z + term
    return F.lit(1.0) / (F.lit(1.0) + F.exp(-z))
