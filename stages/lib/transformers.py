"""The fitted steps of the pipeline as scikit-learn transformers built from params.

Each stage fits one of these on the train split and persists it; the same objects
compose into one `Pipeline` for scoring new rows, for cross-validation (every fold refits
them) and for the single-process benchmark. All of them take and return DataFrames whose
row labels are kept, so errors can point at the user's file.

Encoded categorical columns travel as pandas categoricals whose categories are fixed at
fit time: one small integer code per cell instead of a dense one-hot block (which costs
1.2 GB per million Titanic rows). `DesignMatrix` expands them into a sparse matrix only
at the model's door.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from stages.core.contracts import (
    as_written,
    conform_features,
    first_flagged,
    line_of,
    needs_values,
    no_strategy,
    require_columns,
)
from stages.core.errors import DataError
from stages.core.params import Params


class _FrameTransformer(TransformerMixin, BaseEstimator):
    """Shared contract: DataFrame in, DataFrame out, same rows and column names."""

    def _check_columns(self, frame: pd.DataFrame, columns: list[str]) -> None:
        require_columns(frame, columns, f"needed by {type(self).__name__}")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        return np.asarray(self.feature_names_in_, dtype=object)

    def _begin_transform(self, frame: pd.DataFrame, fitted: str) -> pd.DataFrame:
        """A copy of `frame` to fill in, once fitted and holding the columns of `fitted`
        (the attribute mapping each column to what was learned for it)."""
        check_is_fitted(self, fitted)
        self._check_columns(frame, list(getattr(self, fitted)))
        return frame.copy(deep=False)  # whole columns are replaced, never written into

    def _begin_fit(self, frame: pd.DataFrame, columns: Iterable[str] | None) -> list[str]:
        """The columns this step works on, checked present; the input's names remembered."""
        chosen = list(columns or [])
        self._check_columns(frame, chosen)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        return chosen


class _FeatureLists:
    """The numeric and categorical feature lists a step is built with (its sklearn params)."""

    def __init__(
        self, numeric: list[str] | None = None, categorical: list[str] | None = None
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical


class FeatureTypes(_FeatureLists, _FrameTransformer):
    """Gives the feature columns the types the later steps expect; other columns pass.

    The first step every row takes (train, test and new rows alike): numbers must be
    numbers (float64 out), categories become strings. When fitting, no feature may be
    entirely missing, since nothing can be learned from it.
    """

    def fit(self, frame: pd.DataFrame, y: Any = None) -> FeatureTypes:
        self._fit_conformed(frame)
        return self

    def fit_transform(self, frame: pd.DataFrame, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        """`fit`, returning the frame it conformed: the same as `transform` would give,
        without converting the training rows a second time."""
        return self._fit_conformed(frame)

    def _fit_conformed(self, frame: pd.DataFrame) -> pd.DataFrame:
        columns = [*(self.numeric or []), *(self.categorical or [])]
        conformed = self._conform(frame, require_values=columns)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        return conformed

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "feature_names_in_")
        return self._conform(frame, require_values=())

    def _conform(self, frame: pd.DataFrame, require_values: Any) -> pd.DataFrame:
        numeric, categorical = list(self.numeric or []), list(self.categorical or [])
        return conform_features(
            frame, numeric, categorical, source=None, require_values=require_values
        )


class ColumnImputer(_FrameTransformer):
    """Per-column SimpleImputer (mean, median, most_frequent, constant); other columns pass.

    One SimpleImputer per column keeps the notebook's exact arithmetic (its Age mean) while
    letting each column have its own strategy.
    """

    def __init__(
        self,
        strategies: dict[str, dict[str, Any]] | None = None,
        required: list[str] | None = None,
    ) -> None:
        self.strategies = strategies
        self.required = required

    def fit(self, frame: pd.DataFrame, y: Any = None) -> ColumnImputer:
        from sklearn.impute import SimpleImputer

        strategies = self.strategies or {}
        self._begin_fit(frame, strategies)
        self.imputers_ = {}
        for column, spec in strategies.items():
            values = frame[[column]]
            if values[column].isna().all():
                raise DataError(
                    f"column {column!r}: every value is missing; nothing to impute from"
                )
            imputer = SimpleImputer(
                strategy=spec["strategy"],
                fill_value=spec.get("fill_value"),
                keep_empty_features=True,
            )
            # A constant fill learns nothing from the rows: fitting on the distinct values
            # (missing included) gives the same fitted imputer without turning every
            # string into a Python object (7.5M rows: ~0.4 s a text column).
            rows = values.drop_duplicates() if spec["strategy"] == "constant" else values
            with np.errstate(over="ignore"):  # an overflow is fixed just below
                self.imputers_[column] = imputer.fit(_for_sklearn(rows))
            if spec["strategy"] in ("mean", "median"):
                _fix_overflow(self.imputers_[column], values[column], spec["strategy"])
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each column's missing cells get the value its SimpleImputer learned
        (`statistics_`), filled by pandas in the column's own dtype: what
        `imputer.transform` gives, without its round trip through an object array (1M
        rows: ~0.3 s)."""
        out = self._begin_transform(frame, "imputers_")
        for column, imputer in self.imputers_.items():
            if frame[column].isna().any():
                out[column] = frame[column].fillna(imputer.statistics_[0])
        self._refuse_missing(out)
        return out

    def _refuse_missing(self, frame: pd.DataFrame) -> None:
        """Columns in `required` (no strategy, linear model) may not hold a missing value:
        split and featurize refuse such rows first; this guards rows scored by predict."""
        for column in getattr(self, "required", None) or []:
            if column in frame.columns:
                missing = frame[column].isna()
                if missing.any():
                    label, _ = first_flagged(frame[column], missing)
                    raise DataError(no_strategy(column, label))

    @property
    def fill_values_(self) -> dict[str, Any]:
        """What each column's missing cells become (for reports and tests)."""
        check_is_fitted(self, "imputers_")
        return {column: imp.statistics_[0] for column, imp in self.imputers_.items()}


def _fix_overflow(imputer: Any, values: pd.Series, strategy: str) -> None:
    """A mean or median whose arithmetic overflowed (two fares of 1e308 sum to inf, and
    SimpleImputer then fills 0), recomputed on values scaled by a power of two (exact)."""
    numbers = values.to_numpy(dtype=np.float64)
    numbers = numbers[~np.isnan(numbers)]
    with np.errstate(over="ignore"):
        overflows = not np.isfinite(np.abs(numbers).sum())
    if np.isfinite(imputer.statistics_[0]) and not overflows:
        return
    scale = np.ldexp(1.0, int(np.frexp(np.abs(numbers).max())[1]) - 1)
    reduce = np.mean if strategy == "mean" else np.median
    with np.errstate(over="ignore"):
        statistic = float(reduce(numbers / scale)) * scale
    if not np.isfinite(statistic):
        raise DataError(f"column {values.name!r}: the {strategy} of its values overflows float64")
    imputer.statistics_[0] = statistic


def _for_sklearn(values: pd.DataFrame) -> pd.DataFrame | np.ndarray:
    """SimpleImputer wants object arrays with np.nan for text columns."""
    if all(pd.api.types.is_numeric_dtype(dtype) for dtype in values.dtypes):
        return values
    return values.astype(object).where(values.notna(), np.nan).to_numpy()


_MISSING = "\0missing"  # the frequency table's key for missing values (no category's name)


class CategoricalEncoder(_FrameTransformer):
    """Learns each categorical column's categories on train (sorted, like OneHotEncoder),
    and turns each column into model input by its method (`methods`: column → settings;
    a column not listed is one-hot):

    - onehot: the column as a pandas categorical with exactly those categories, the
      lossless compact form of a one-hot block (DesignMatrix expands it);
    - target: scikit-learn's TargetEncoder, one float per row. `fit_transform` (what a
      Pipeline and the encode stage call on training rows) returns its cross-fitted
      values, so no training row is encoded with its own label; `transform` (test and new
      rows) uses the statistics of all training rows; an unseen category gets the prior;
    - ordinal: the category's position in the sorted categories (float); unseen → -1;
    - frequency: the share of training rows holding the category; unseen → 0.

    A value unseen at fit time is an error naming the column, line and value with
    handle_unknown="error"; so is a missing value that no impute strategy filled.
    """

    def __init__(
        self,
        columns: list[str] | None = None,
        handle_unknown: str = "ignore",
        methods: dict[str, dict[str, Any]] | None = None,
        random_state: int = 0,
    ) -> None:
        self.columns = columns
        self.handle_unknown = handle_unknown
        self.methods = methods
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame, y: Any = None) -> CategoricalEncoder:
        self._fit(frame, y)
        return self

    def fit_transform(self, frame: pd.DataFrame, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        """Fit, then encode the same rows; target-encoded columns get out-of-fold values."""
        crossfitted = self._fit(frame, y)
        return self._encode(frame.copy(deep=False), crossfitted)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self._encode(self._begin_transform(frame, "categories_"), {})

    def method_of(self, column: str) -> str:
        return str((self.methods or {}).get(column, {}).get("method", "onehot"))

    def _fit(self, frame: pd.DataFrame, y: Any) -> dict[str, np.ndarray]:
        columns = self._begin_fit(frame, self.columns)
        self.categories_ = {
            column: np.asarray(sorted(frame[column].dropna().unique().tolist()), dtype=object)
            for column in columns
        }
        self.target_encoders_: dict[str, Any] = {}
        self.frequencies_: dict[str, dict[Any, float]] = {}  # share of fitted rows
        crossfitted = {}
        for column in columns:
            method = self.method_of(column)
            if method == "target":
                encoder = self._target_encoder(column, y)
                values = _for_sklearn(frame[[column]])
                crossfitted[column] = encoder.fit_transform(values, np.asarray(y))[:, 0]
                self.target_encoders_[column] = encoder
            elif method == "frequency":
                counts = frame[column].value_counts(dropna=True)
                self.frequencies_[column] = {
                    key: count / len(frame) for key, count in counts.items()
                }
                self.frequencies_[column][_MISSING] = float(frame[column].isna().mean())
        return crossfitted

    def _target_encoder(self, column: str, y: Any) -> Any:
        """TargetEncoder cross-fitting over shuffled k-fold: folds that do not depend on
        the labels, so a training row's value is computed from other folds' rows only and
        cannot change when its own label does (stratified folds would move with it)."""
        from sklearn.model_selection import KFold
        from sklearn.preprocessing import TargetEncoder

        if y is None:
            raise DataError(f"column {column!r}: target encoding needs the target to fit")
        settings = (self.methods or {})[column]
        smooth = settings.get("smooth")
        return TargetEncoder(
            target_type="binary",
            smooth="auto" if smooth is None else smooth,
            cv=KFold(
                n_splits=settings.get("cv") or 5, shuffle=True, random_state=self.random_state
            ),
        )

    def _encode(self, out: pd.DataFrame, crossfitted: dict[str, np.ndarray]) -> pd.DataFrame:
        """`out` (a copy of the input) with each categorical column encoded in place."""
        for column, categories in self.categories_.items():
            known = pd.Index(categories)
            values = out[column]
            codes = _positions_in(known, values)
            if self.handle_unknown == "error":
                self._refuse_unknown(values, codes == -1)
            out[column] = self._encoded(values, column, known, codes, crossfitted)
        return out

    def _encoded(
        self,
        values: pd.Series,
        column: str,
        known: pd.Index,
        codes: np.ndarray,
        crossfitted: dict[str, np.ndarray],
    ) -> pd.Series:
        method = self.method_of(column)
        if method == "onehot":
            return pd.Series(pd.Categorical.from_codes(codes, categories=known), index=values.index)
        if method == "target":
            if column in crossfitted:
                numbers = crossfitted[column]
            else:
                numbers = self.target_encoders_[column].transform(_for_sklearn(values.to_frame()))
                numbers = numbers[:, 0]
        elif method == "ordinal":
            numbers = codes.astype(np.float64)
        else:
            shares = self.frequencies_[column]
            known_shares = values.map(shares).astype("float64").fillna(0.0).to_numpy()
            numbers = np.where(values.isna().to_numpy(), shares[_MISSING], known_shares)
        return pd.Series(numbers, index=values.index, dtype="float64")

    @staticmethod
    def _refuse_unknown(values: pd.Series, unknown: np.ndarray) -> None:
        """With handle_unknown="error", an unseen or missing category stops the run."""
        if not unknown.any():
            return
        label, value = first_flagged(values, unknown)
        seen = f"{as_written(value)} was never seen in training"
        what = "is missing" if pd.isna(value) else seen
        raise DataError(
            f"column {values.name!r}, line {line_of(label)}: category {what} "
            "(encode.handle_unknown is 'error')"
        )


def _positions_in(known: pd.Index, values: pd.Series) -> np.ndarray:
    """Each value's position in `known`, -1 where absent or missing: `known.get_indexer`,
    looked up once per distinct value (pandas' factorize, Arrow's dictionary encoding for
    text) instead of once per row (1M rows, three columns: ~0.3 s less)."""
    value_codes, distinct = pd.factorize(values)
    positions = np.append(known.get_indexer(distinct), -1).astype(np.int64)
    return positions[value_codes]  # a missing value's code, -1, picks the appended -1


class ColumnScaler(_FrameTransformer):
    """MinMaxScaler or StandardScaler on the numeric columns only; the rest pass through.

    Over ColumnTransformer(remainder="passthrough") it adds that the other columns may
    differ between fit and transform: the target is there when the stage fits, absent in
    rows to score, which carry an id instead.
    """

    def __init__(self, columns: list[str] | None = None, method: str = "minmax") -> None:
        self.columns = columns
        self.method = method

    def fit(self, frame: pd.DataFrame, y: Any = None) -> ColumnScaler:
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        columns = self._begin_fit(frame, self.columns)
        scalers = {"minmax": MinMaxScaler, "standard": StandardScaler}
        self.scaler_ = None
        if self.method != "none" and columns:
            self.scaler_ = scalers[self.method]().fit(frame[columns])
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "feature_names_in_")
        if self.scaler_ is None:
            return frame
        columns = list(self.scaler_.feature_names_in_)
        self._check_columns(frame, columns)
        scaled = self.scaler_.transform(frame[columns])
        out = frame.copy(deep=False)  # whole columns are replaced, never written into
        for position, column in enumerate(columns):
            out[column] = scaled[:, position]
        return out


class DesignMatrix(_FeatureLists, TransformerMixin, BaseEstimator):
    """Numeric columns, then one one-hot block per categorical column, as a CSR matrix.

    This is the notebook's `pd.concat([scaled, one_hot], axis=1)` without ever making the
    one-hot part dense. A missing value reaching it has no imputation strategy, and
    logistic regression cannot take it: that is an error naming the column and line.
    """

    def fit(self, frame: pd.DataFrame, y: Any = None) -> DesignMatrix:
        categorical = list(self.categorical or [])
        for column in categorical:
            if not isinstance(frame[column].dtype, pd.CategoricalDtype):
                raise DataError(f"column {column!r} is not encoded; run the encode step first")
        self.categories_ = {c: list(frame[c].cat.categories) for c in categorical}
        names = [
            *(self.numeric or []),
            *(f"{c}_{v}" for c, vs in self.categories_.items() for v in vs),
        ]
        self.feature_names_out_ = np.asarray(names, dtype=object)
        return self

    def transform(self, frame: pd.DataFrame) -> Any:
        """The CSR matrix, built in one pass from the numbers and the category codes.

        Every row holds its numbers, then one 1 per categorical column: a fixed-width
        (rows by slots) layout that, read row by row, is already CSR's data and column
        indices, sorted. Zero numbers, and the slot of a category unseen in training
        (given 0), are then dropped in place by scipy's `eliminate_zeros`: the matrix
        stacking one sparse block per column then dropping zeros gave, without the
        per-block conversions (1M rows: ~1 s less) or a compacting copy through boolean
        masks (2.5M rows: 1.0 s → 0.12 s).
        """
        import scipy.sparse as sp

        check_is_fitted(self, "categories_")
        numeric = list(self.numeric or [])
        values = self._numeric_block(frame, numeric)
        n_rows, sizes = len(frame), [len(c) for c in self.categories_.values()]
        n_columns = len(numeric) + sum(sizes)
        slots = len(numeric) + len(sizes)
        index_type = np.int32 if n_rows * slots < 2**31 else np.int64
        data = np.empty((n_rows, slots), dtype=np.float64)
        indices = np.empty((n_rows, slots), dtype=index_type)
        data[:, : len(numeric)] = values
        indices[:, : len(numeric)] = np.arange(len(numeric), dtype=index_type)
        offset = len(numeric)
        for slot, (column, categories) in enumerate(self.categories_.items(), len(numeric)):
            codes = self._codes(frame, column, categories)
            indices[:, slot] = codes
            indices[:, slot] += offset
            data[:, slot] = codes >= 0  # an unseen category (-1): 0, dropped below
            offset += len(categories)
        indptr = np.arange(0, n_rows * slots + 1, slots, dtype=index_type)
        arrays: Any = (data.ravel(), indices.ravel(), indptr)  # scipy-stubs: int dtype unknown
        matrix = sp.csr_matrix(arrays, shape=(n_rows, n_columns), copy=False)
        matrix.eliminate_zeros()
        return matrix

    def _numeric_block(self, frame: pd.DataFrame, numeric: list[str]) -> np.ndarray:
        values = frame[numeric].to_numpy(dtype=np.float64)
        missing = np.isnan(values)
        if missing.any():
            rows = missing.any(axis=1)
            label = frame.index[rows].min()
            column = numeric[int(missing[frame.index.get_loc(label)].argmax())]
            raise DataError(no_strategy(column, label))
        return values

    @staticmethod
    def _codes(frame: pd.DataFrame, column: str, categories: list[Any]) -> np.ndarray:
        values = frame[column]
        if list(values.cat.categories) != categories:
            values = values.cat.set_categories(categories)
        return values.cat.codes.to_numpy()

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_


def build_feature_types(params: Params) -> FeatureTypes:
    return FeatureTypes(
        numeric=list(params.features.numeric), categorical=list(params.features.categorical)
    )


def build_imputer(params: Params) -> ColumnImputer:
    strategies = {
        col: spec.model_dump(exclude_none=True) for col, spec in params.impute.columns.items()
    }
    required = [column for column in params.features.columns if needs_values(params, column)]
    return ColumnImputer(strategies=strategies, required=required)


def build_encoder(params: Params) -> CategoricalEncoder:
    methods = {
        column: spec.model_dump(exclude_none=True) for column, spec in params.encode.columns.items()
    }
    return CategoricalEncoder(
        columns=list(params.features.categorical),
        handle_unknown=params.encode.handle_unknown,
        methods=methods,
        random_state=params.encode.random_state,
    )


def build_scaler(params: Params) -> ColumnScaler:
    return ColumnScaler(columns=list(params.features.numeric), method=params.scale.method)


def build_design(params: Params) -> DesignMatrix:
    """Numbers first (numeric features, then categoricals encoded as one number each),
    then the one-hot blocks."""
    return DesignMatrix(
        numeric=list(params.model_numeric_columns), categorical=list(params.onehot_columns)
    )


def build_impute_step(params: Params) -> Any:
    """What the impute stage fits and persists: type checks, then the fills."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("types", build_feature_types(params)), ("impute", build_imputer(params))])
