"""Derived columns declared in params (featurize.derive), as one sklearn transformer.

Every op is generic: it names its input columns, so no column name lives in code. The
`Featurizer` is the first step every row takes (train, test, cross-validation folds and
new rows to score): it checks the types of the columns it reads (errors name column,
line and value, like `contracts`), adds the derived columns and passes every other
column through untouched. Only `rare` learns anything (which categories are frequent
enough), and it learns it from the rows it is fitted on: the train split, or a fold's
training rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from stages.core.contracts import (
    conform_features,
    first_flagged,
    line_of,
    require_columns,
    shown,
)
from stages.core.errors import DataError, ParamsError
from stages.core.params import Params

Spec = dict[str, Any]


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as float64, or a DataError naming column, line and value."""
    return conform_features(frame[[column]], [column], [], None)[column]


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as strings (missing stays missing), as the categorical features get it."""
    return conform_features(frame[[column]], [], [column], None)[column]


def _flag(values: pd.Series) -> pd.Series:
    return values.fillna(False).astype("int8")


def op_extract(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    """The pattern's capture group at its first match; missing where it does not match."""
    return _text(frame, spec["column"]).str.extract(spec["pattern"], expand=False).astype("str")


def op_first_char(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    text = _text(frame, spec["column"])
    first = text.str[:1]
    return first.where(first.str.len() > 0).astype("str")


def op_sum(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    """Sum of the columns plus `add`; missing if any input is missing."""
    total = sum(_numbers(frame, column) for column in spec["columns"])
    return (total + float(spec.get("add") or 0.0)).astype("float64")


def op_ratio(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    """numerator / denominator; missing where the denominator is 0 or missing."""
    denominator = _numbers(frame, spec["denominator"])
    ratio = _numbers(frame, spec["numerator"]) / denominator.where(denominator != 0)
    return ratio.astype("float64")


def op_log1p(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    column = spec["column"]
    values = _numbers(frame, column)
    bad = values <= -1
    if bad.any():
        label, value = first_flagged(values, bad)
        raise DataError(
            f"column {column!r}, line {line_of(label)}: log1p needs values "
            f"above -1, got {shown(value)}"
        )
    return np.log1p(values).astype("float64")


def op_is_missing(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    return frame[spec["column"]].isna().astype("int8")


def op_equals(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    """1 where the column equals `value` (compared as text if value is text), else 0."""
    value = spec["value"]
    values = _text(frame, spec["column"]) if isinstance(value, str) else None
    if values is None:
        values = _numbers(frame, spec["column"])
    return _flag(values == value)


def op_threshold(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    """1 where the column is strictly above `above` (or below `below`); missing gives 0."""
    values = _numbers(frame, spec["column"])
    if spec.get("above") is not None:
        return _flag(values > spec["above"])
    return _flag(values < spec["below"])


OPS = {
    "extract": op_extract,
    "first_char": op_first_char,
    "sum": op_sum,
    "ratio": op_ratio,
    "log1p": op_log1p,
    "is_missing": op_is_missing,
    "equals": op_equals,
    "threshold": op_threshold,
}


def spec_inputs(spec: Spec) -> list[str]:
    """The columns a derivation reads."""
    if spec["op"] == "sum":
        return list(spec["columns"])
    if spec["op"] == "ratio":
        return [spec["numerator"], spec["denominator"]]
    return [spec["column"]]


class Featurizer(TransformerMixin, BaseEstimator):
    """Adds the derived columns of `derive` (name → op spec, applied in order).

    DataFrame in, DataFrame out, same row labels; input columns pass through unchanged.
    `rare` keeps the categories seen at least `min_count` times in the rows `fit` saw and
    maps the others to `other` (missing stays missing).
    """

    def __init__(self, derive: dict[str, Spec] | None = None) -> None:
        self.derive = derive

    def fit(self, frame: pd.DataFrame, y: Any = None) -> Featurizer:
        derive = dict(self.derive or {})
        for name in derive:
            if name in frame.columns:
                raise ParamsError(
                    f"featurize.derive.{name}: the data already has a column {name!r}; "
                    "give the derived column another name"
                )
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.kept_ = {}
        self._apply(frame, fitting=True)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "kept_")
        return self._apply(frame, fitting=False)

    def _apply(self, frame: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        derive = dict(self.derive or {})
        if not derive:
            return frame
        out = frame.copy()
        for name, spec in derive.items():
            require_columns(out, spec_inputs(spec), f"read by featurize.derive.{name}")
            if spec["op"] == "rare":
                out[name] = self._rare(out, name, spec, fitting=fitting)
            else:
                out[name] = OPS[spec["op"]](out, spec)
        return out

    def _rare(self, frame: pd.DataFrame, name: str, spec: Spec, *, fitting: bool) -> pd.Series:
        values = _text(frame, spec["column"])
        if fitting:
            counts = values.value_counts(dropna=True)
            self.kept_[name] = sorted(counts.index[counts >= spec["min_count"]].tolist())
        other = spec.get("other") or "other"
        frequent = values.isin(self.kept_[name]) | values.isna()
        return values.where(frequent, other).astype("str")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        names = [*self.feature_names_in_, *(n for n in self.derive or {})]
        return np.asarray(names, dtype=object)


def build_featurizer(params: Params) -> Featurizer:
    derive = {
        name: spec.model_dump(exclude_none=True) for name, spec in params.featurize.derive.items()
    }
    return Featurizer(derive=derive)
