"""The `Featurizer`: the derived columns of params.featurize.derive, as one sklearn step.

It is the first step every row takes (train, test, cross-validation folds and new rows to
score): it adds each derived column in the order declared, and passes every other column
through untouched. What each op reads, makes and learns lives in its class
(`featurize_ops`); the Featurizer only runs them in order and keeps what they learned
from the rows it was fitted on (the train split, or a fold's training rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from stages.core.contracts import require_columns
from stages.core.errors import ParamsError

if TYPE_CHECKING:
    from stages.core.featurize_ops import DerivationOp
    from stages.core.params import Params


class Featurizer(TransformerMixin, BaseEstimator):
    """Adds the derived columns of `derive` (name → op, applied in order).

    DataFrame in, DataFrame out, same row labels; input columns pass through unchanged.
    `learned_` holds what each learning op (`rare`) learned at fit time, by derived name.
    """

    def __init__(self, derive: dict[str, DerivationOp] | None = None) -> None:
        self.derive = derive

    def fit(self, frame: pd.DataFrame, y: Any = None) -> Featurizer:
        refuse_shadowing(self.derive or {}, list(frame.columns), "the data")
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.learned_: dict[str, Any] = {}
        self._apply(frame, fitting=True)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "learned_")
        return self._apply(frame, fitting=False)

    def _apply(self, frame: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        derive = dict(self.derive or {})
        if not derive:
            return frame
        out = frame.copy()
        for name, op in derive.items():
            require_columns(out, op.inputs, f"read by featurize.derive.{name}")
            if fitting:
                learned = op.fit(out)
                if learned is not None:
                    self.learned_[name] = learned
            out[name] = op.apply(out, self.learned_.get(name))
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        names = [*self.feature_names_in_, *(self.derive or {})]
        return np.asarray(names, dtype=object)


def refuse_shadowing(
    derive: Mapping[str, DerivationOp], columns: list[str], where: str, prefix: str = ""
) -> None:
    """A derived column may not reuse an existing column's name: it would silently replace it."""
    for name in derive:
        if name in columns:
            raise ParamsError(
                f"{prefix}featurize.derive.{name}: {name!r} is already a column of {where}; "
                "give the derived column a new name"
            )


def build_featurizer(params: Params) -> Featurizer:
    return Featurizer(derive=dict(params.featurize.derive))
