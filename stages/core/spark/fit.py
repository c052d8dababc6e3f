"""Learning on Spark, keeping in scikit-learn objects: one fitted format for both engines.

What a stage learns is small whatever the row count (fill values, category lists, min/max
or mean/std, coefficients). Spark computes it from the data (Spark SQL aggregates, MLlib's
LogisticRegression); this module puts it into the same fitted scikit-learn objects the
scikit-learn engine stores, so a Spark-trained chain scores a CSV without Spark
(`python -m stages.predict`) with the same probabilities, and big inputs are scored on
Spark from those same values (stages/core/spark/score.py).

The objects are made by scikit-learn itself wherever possible: each estimator is fitted on
a tiny frame built so that it learns exactly the values Spark computed (an imputer fitted
on the one learned value, an encoder on the category list, a min-max scaler on the two
rows [min, max]). Its internal attributes are then scikit-learn's own, not hand-copied.

Differences from scikit-learn, by design (tests measure them):
- `median` is exact (Spark's `percentile`, linear interpolation): for an even count it is
  the mean of the two middle values, as in scikit-learn. `median_accuracy=N` switches to
  `percentile_approx` (bounded memory for a column with very many distinct values), which
  returns an element of the column (the lower middle for an even count), within 1/N of
  the rank.
- `mean`, `std`: Spark sums in partition order, so values can differ from numpy's in the
  last bits (relative 1e-15).
- logistic regression: MLlib's L-BFGS/OWL-QN on the same objective (see
  `logistic_regression`); coefficients agree to ~1e-6 when the optimum is unique.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stages.core.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

STRATEGIES = ("mean", "median", "most_frequent", "constant")


# --- fill values --------------------------------------------------------------------------


def fill_value(
    df: DataFrame,
    column: str,
    strategy: str,
    fill: Any = None,
    *,
    median_accuracy: int | None = None,
) -> Any:
    """The value SimpleImputer(strategy) would learn from df[column] (nulls are missing)."""
    from pyspark.sql import functions as F

    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: expected one of {STRATEGIES}")
    if strategy == "constant":
        return fill
    present = df.where(F.col(column).isNotNull())
    if strategy == "most_frequent":
        return most_frequent(present, column)
    number = F.col(column).cast("double")
    if strategy == "mean":
        aggregate = F.mean(number)
    elif median_accuracy:
        aggregate = F.percentile_approx(number, 0.5, median_accuracy)
    else:
        aggregate = F.median(number)
    value = present.agg(aggregate.alias("value")).first()["value"]
    if value is None:
        raise DataError(f"column {column!r}: every value is missing; nothing to impute from")
    return float(value)


def most_frequent(df: DataFrame, column: str) -> Any:
    """The most frequent non-null value; on a tie the smallest, as scikit-learn picks."""
    from pyspark.sql import functions as F

    top = (
        df.groupBy(column)
        .agg(F.count(F.lit(1)).alias("n"))
        .orderBy(F.col("n").desc(), F.col(column).asc())
        .first()
    )
    if top is None:
        raise DataError(f"column {column!r}: every value is missing; nothing to impute from")
    return top[column]


def simple_imputer(
    column: str, strategy: str, value: Any, fill: Any = None, *, text: bool
) -> SimpleImputer:
    """A fitted SimpleImputer(strategy) whose statistics_ is [value], as the project's
    per-column imputers are built (keep_empty_features, a one-column frame or array)."""
    from sklearn.impute import SimpleImputer

    imputer = SimpleImputer(strategy=strategy, fill_value=fill, keep_empty_features=True)
    if text:
        imputer.fit(np.array([[value]], dtype=object))
    else:
        imputer.fit(pd.DataFrame({column: [float(value)]}))
    return imputer


# --- categories -----------------------------------------------------------------------------


def categories(df: DataFrame, column: str) -> list[Any]:
    """The distinct non-null values, sorted as scikit-learn sorts them (Spark orders text
    by UTF-8 bytes, which is Python's code-point order)."""
    from pyspark.sql import functions as F

    rows = df.where(F.col(column).isNotNull()).select(column).distinct().orderBy(column).collect()
    return [row[column] for row in rows]


def one_hot_encoder(lists: dict[str, list[Any]], handle_unknown: str = "ignore") -> OneHotEncoder:
    """A fitted sparse OneHotEncoder whose categories_ are exactly `lists` (column order)."""
    from sklearn.preprocessing import OneHotEncoder

    longest = max(len(values) for values in lists.values())
    frame = pd.DataFrame(
        {
            column: [values[min(i, len(values) - 1)] for i in range(longest)]
            for column, values in lists.items()
        }
    ).astype(object)
    encoder = OneHotEncoder(handle_unknown=handle_unknown, sparse_output=True)
    return encoder.fit(frame)


# --- scaling --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """Per-column statistics for scaling: min/max, mean and population variance, count."""

    minimum: dict[str, float]
    maximum: dict[str, float]
    mean: dict[str, float]
    variance: dict[str, float]
    count: int


def moments(df: DataFrame, columns: list[str]) -> Moments:
    """min, max, mean and var_pop (ddof=0, like StandardScaler) of each column, one job."""
    from pyspark.sql import functions as F

    aggregates = [F.count(F.lit(1)).alias("__n")]
    for i, column in enumerate(columns):
        number = F.col(column).cast("double")
        aggregates += [
            F.min(number).alias(f"min{i}"),
            F.max(number).alias(f"max{i}"),
            F.mean(number).alias(f"mean{i}"),
            F.var_pop(number).alias(f"var{i}"),
        ]
    row = df.agg(*aggregates).first()
    pick = {
        kind: {c: row[f"{kind}{i}"] for i, c in enumerate(columns)}
        for kind in ("min", "max", "mean", "var")
    }
    return Moments(pick["min"], pick["max"], pick["mean"], pick["var"], row["__n"])


def min_max_scaler(stats: Moments, columns: list[str]) -> MinMaxScaler:
    """A fitted MinMaxScaler with data_min_/data_max_ from Spark (fitted on [min, max])."""
    from sklearn.preprocessing import MinMaxScaler

    frame = pd.DataFrame(
        {c: [stats.minimum[c], stats.maximum[c]] for c in columns}, dtype="float64"
    )
    scaler = MinMaxScaler().fit(frame)
    scaler.n_samples_seen_ = stats.count
    return scaler


def standard_scaler(stats: Moments, columns: list[str]) -> StandardScaler:
    """A fitted StandardScaler with Spark's mean and population variance."""
    from sklearn.preprocessing import StandardScaler

    mean = np.array([stats.mean[c] for c in columns], dtype="float64")
    var = np.array([stats.variance[c] for c in columns], dtype="float64")
    frame = pd.DataFrame({c: [m - 1.0, m + 1.0] for c, m in zip(columns, mean, strict=True)})
    scaler = StandardScaler().fit(frame)  # the attributes' shapes and names; values below
    scaler.mean_, scaler.var_ = mean, var
    # scikit-learn's own rule for a constant column (scale 1, not 0).
    scaler.scale_ = np.where(var > 10 * np.finfo(np.float64).eps, np.sqrt(var), 1.0)
    scaler.n_samples_seen_ = stats.count
    return scaler


# --- the design matrix -----------------------------------------------------------------------


def category_index(column: str, values: list[Any]) -> Any:
    """The 0-based position of the row's value in `values`, -1 if absent (unseen)."""
    from pyspark.sql import functions as F

    return F.array_position(F.array(*(F.lit(v) for v in values)), F.col(column)) - 1


def design_vector(
    df: DataFrame, numeric: list[str], lists: dict[str, list[Any]], out: str = "features"
) -> DataFrame:
    """df with `out`, a sparse vector: the numeric columns (already imputed and scaled),
    then one one-hot block per categorical column in `lists` (categories in list order):
    the layout of the scikit-learn engine's design matrix. The one-hot part is never
    dense: MLlib's OneHotEncoder makes sparse vectors and VectorAssembler keeps them so."""
    from pyspark.ml.feature import OneHotEncoder as SparkOneHot
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import functions as F

    indexed = df.select(
        "*",
        *(
            category_index(c, values).cast("double").alias(f"__idx_{c}")
            for c, values in lists.items()
        ),
    )
    if lists:
        any_unseen = functools.reduce(lambda a, b: a | b, (F.col(f"__idx_{c}") < 0 for c in lists))
        if indexed.where(any_unseen).limit(1).count():
            raise DataError(
                "a categorical value is not in the learned categories (fit on this data)"
            )
    parts = list(numeric)
    if lists:
        encoder = SparkOneHot(
            inputCols=[f"__idx_{c}" for c in lists],
            outputCols=[f"__hot_{c}" for c in lists],
            dropLast=False,
            handleInvalid="error",
        )
        # The block sizes come from the category lists, not from the data: set them as
        # the index columns' ML metadata would, by fitting on one row per category.
        sizes = max(len(values) for values in lists.values())
        spark = df.sparkSession
        grid = spark.createDataFrame(
            [tuple(float(min(i, len(v) - 1)) for v in lists.values()) for i in range(sizes)],
            [f"__idx_{c}" for c in lists],
        )
        indexed = encoder.fit(grid).transform(indexed)
        parts += [f"__hot_{c}" for c in lists]
    assembled = VectorAssembler(inputCols=parts, outputCol=out, handleInvalid="error")
    result = assembled.transform(indexed)
    helpers = [f"__idx_{c}" for c in lists] + [f"__hot_{c}" for c in lists]
    return result.drop(*helpers)


# --- logistic regression ----------------------------------------------------------------------


@dataclass(frozen=True)
class LogisticSettings:
    """The train.* keys MLlib honours, with scikit-learn's meaning."""

    C: float = 1.0
    fit_intercept: bool = True
    penalty: str | None = "l2"
    l1_ratio: float | None = None
    max_iter: int = 100
    tol: float = 1e-4
    class_weight: str | dict[Any, float] | None = None


def elastic_net(settings: LogisticSettings) -> float:
    """MLlib's elasticNetParam (the L1 share) for the penalty."""
    if settings.penalty == "l1":
        return 1.0
    if settings.penalty == "elasticnet":
        return float(settings.l1_ratio or 0.0)
    return 0.0


def reg_param(settings: LogisticSettings, weight_sum: float) -> float:
    """MLlib's regParam for scikit-learn's C.

    scikit-learn minimises C·Σ wᵢ·lossᵢ + ½‖β‖² (+ L1 terms); MLlib minimises
    (1/Σwᵢ)·Σ wᵢ·lossᵢ + regParam·½‖β‖². Dividing the first by C·Σwᵢ gives the second with
    regParam = 1/(C·Σwᵢ); Σwᵢ is the row count without class weights. No penalty: 0."""
    if settings.penalty is None or math.isinf(settings.C):
        return 0.0
    return 1.0 / (settings.C * weight_sum)


def class_weights(
    counts: dict[Any, int], class_weight: str | dict[Any, float] | None
) -> dict[Any, float]:
    """Each class's weight, as scikit-learn computes it (balanced: n / (k · n_class))."""
    if class_weight is None:
        return dict.fromkeys(counts, 1.0)
    if class_weight == "balanced":
        total, k = sum(counts.values()), len(counts)
        return {label: total / (k * n) for label, n in counts.items()}
    return {label: float(class_weight.get(label, 1.0)) for label in counts}  # type: ignore[union-attr]


@dataclass(frozen=True)
class TrainedLogistic:
    """The fitted sklearn model and what MLlib reported about the fit."""

    model: LogisticRegression
    iterations: int
    reg_param: float
    rows: int


def logistic_regression(
    df: DataFrame, features: str, target: str, settings: LogisticSettings
) -> TrainedLogistic:
    """Fit MLlib's LogisticRegression on the vector column `features` and the label column
    `target` (any two values), and return a fitted scikit-learn LogisticRegression with its
    coefficients: predict_proba then needs no Spark.

    The label is 1 for the larger of the two sorted values (scikit-learn's classes_[1]).
    standardization=False, because scikit-learn penalises the coefficients of the features
    as given; the class weights become a weight column."""
    from pyspark.ml.classification import LogisticRegression as SparkLogistic
    from pyspark.sql import functions as F

    counts = {
        row[target]: row["n"]
        for row in df.groupBy(target).agg(F.count(F.lit(1)).alias("n")).collect()
    }
    if None in counts:
        raise DataError(f"column {target!r}: the target has a missing value")
    classes = sorted(counts)
    if len(classes) != 2:
        raise DataError(
            f"column {target!r}: logistic regression needs exactly 2 classes, found {classes}"
        )
    weights = class_weights(counts, settings.class_weight)
    weight_sum = sum(counts[label] * weights[label] for label in classes)
    label = (F.col(target) == F.lit(classes[1])).cast("double")
    weight = F.when(F.col(target) == F.lit(classes[1]), weights[classes[1]]).otherwise(
        weights[classes[0]]
    )
    data = df.select(F.col(features), label.alias("__label"), weight.alias("__weight"))
    regularisation = reg_param(settings, weight_sum)
    estimator = SparkLogistic(
        featuresCol=features,
        labelCol="__label",
        weightCol="__weight",
        family="binomial",
        standardization=False,
        fitIntercept=settings.fit_intercept,
        regParam=regularisation,
        elasticNetParam=elastic_net(settings),
        maxIter=settings.max_iter,
        tol=settings.tol,
    )
    fitted = estimator.fit(data)
    coefficients = np.asarray(fitted.coefficients.toArray(), dtype="float64")
    iterations = int(fitted.summary.totalIterations)
    model = sklearn_logistic(coefficients, float(fitted.intercept), classes, settings, iterations)
    return TrainedLogistic(model, iterations, regularisation, sum(counts.values()))


def sklearn_logistic(
    coefficients: np.ndarray,
    intercept: float,
    classes: list[Any],
    settings: LogisticSettings,
    iterations: int = 0,
) -> LogisticRegression:
    """A fitted LogisticRegression holding the given coefficients (binary)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=settings.C,
        fit_intercept=settings.fit_intercept,
        max_iter=settings.max_iter,
        tol=settings.tol,
        class_weight=settings.class_weight,
        l1_ratio=elastic_net(settings),
    )
    model.classes_ = np.asarray(classes)
    model.coef_ = coefficients.reshape(1, -1)
    model.intercept_ = np.array([intercept if settings.fit_intercept else 0.0])
    model.n_features_in_ = coefficients.shape[0]
    model.n_iter_ = np.array([iterations], dtype=np.int32)
    return model
