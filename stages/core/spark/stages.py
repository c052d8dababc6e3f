"""Each stage's work on Spark (`engine.name: spark`), called by stages/core/engines.py.

Same inputs, outputs, checks and printed lines as the scikit-learn engine, with these
differences of form:
- tables are Parquet folders (`data/split/train.parquet/part-00000.parquet` ...) written
  byte-deterministically by `io.write_tables`, laid out by `__row`, each row's 0-based
  position in the raw file (what the in-process engine keeps as the row label: line =
  `__row` + 2); encoded categorical columns stay text (unseen categories missing);
- what the split tables were made from is in `data/split/source.json`;
- the fitted artifacts are the scikit-learn objects the other engine stores, holding the
  values Spark learned (stages/core/spark/fit.py), so the chain scores without Spark;
- evaluate's metrics and plot tables come from aggregates on Spark
  (stages/core/spark/evaluate.py), never from rows collected here; its confusion CSV is
  grouped by cell, not in row order.

Determinism (DVC compares bytes): statistics that sum doubles (means, variances) are
computed in one task, in row order (`in_order`), since merging partial sums in arrival
order, or adding rows in a layout-dependent order, changes the last bits between runs;
MLlib fits on `engine.fit_partitions` partitions sorted by `__row`, by default one: its
summary statistics merge partition results as they arrive with an asymmetric update
(mean += delta·w_other/w_total), so with two or more partitions the coefficients' last
bits follow the order tasks finish (7e-12 apart between two runs on a 2-worker cluster);
predict's collected scores are ordered by `__row`;
evaluate sums integers only (stages/core/spark/evaluate.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stages.core.artifacts import (
    ENCODED_DIR,
    ENCODER_PATH,
    FEATURED_DIR,
    FEATURIZER_PATH,
    IMPUTED_DIR,
    IMPUTER_PATH,
    MODEL_PATH,
    SCALED_DIR,
    SCALER_PATH,
    SCORED_DIR,
    SEARCH_PATH,
    SPLIT_DIR,
    SPLITS,
    file_sha256,
    read_fitted,
    read_json,
    table_path,
    write_fitted,
    write_json,
)
from stages.core.contracts import as_written, needs_values, no_strategy, not_a_number
from stages.core.errors import DataError
from stages.core.fitted import check_fitted, fit_record, source_record
from stages.core.spark import featurize as spark_featurize
from stages.core.spark import fit, io, score
from stages.core.spark.connect import spark_session
from stages.core.spark.split import is_test, with_membership, with_row_position

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from stages.core.params import Params

ROW = "__row"
SOURCE_PATH = SPLIT_DIR / "source.json"


# --- tables -------------------------------------------------------------------------------


def write_splits(tables: dict[str, DataFrame], folder: Path, params: Params) -> dict[str, int]:
    """Each split's table under `folder`, byte-deterministic, in one Spark job; row counts."""
    written = io.write_tables(
        {table_path(folder, split): df for split, df in tables.items()},
        key=[ROW],
        partitions=params.engine.partitions,
        sort_by=[ROW],
    )
    return {split: written[table_path(folder, split)].rows for split in tables}


def read(spark: SparkSession, folder: Path, split: str) -> DataFrame:
    path = table_path(folder, split)
    if not path.exists():
        raise DataError(f"{path}: not found; run the stage that writes it (dvc repro)")
    return io.read_parquet(spark, path)


def read_both(spark: SparkSession, folder: Path) -> dict[str, DataFrame]:
    return {split: read(spark, folder, split) for split in SPLITS}


def in_order(df: DataFrame) -> DataFrame:
    """All rows in one partition, sorted by `__row`: sums of doubles then add in the same
    order whatever the cluster. (Sorting each partition and then coalescing would not do:
    how a scan packs files into partitions follows the core count.) Spark keeps a sort
    under a sum or mean of doubles, whose result depends on the order."""
    return df.coalesce(1).sortWithinPartitions(ROW)


def first_issue(issues: list[tuple[int, str]]) -> None:
    """Raise the problem on the earliest line (as the in-process checks report)."""
    if issues:
        raise DataError(min(issues, key=lambda issue: issue[0])[1])


def cell(df: DataFrame, position: int, column: str) -> Any:
    """The value of `column` in the row at `position` (only read to word an error)."""
    from pyspark.sql import functions as F

    return df.where(F.col(ROW) == position).select(column).first()[0]


# --- raw rows: types and the contract --------------------------------------------------------


def read_raw(spark: SparkSession, params: Params, path: Path, columns: list[str]) -> DataFrame:
    """The CSV's needed columns as text, with each row's position in `__row`."""
    from pyspark.sql import functions as F

    data = params.data
    raw = io.read_csv_text(
        spark, path, columns, delimiter=data.delimiter, na_values=list(data.na_values)
    )
    if data.strip_whitespace:
        trimmed = (F.trim(F.col(c)) for c in columns)
        raw = raw.select(
            *(
                F.when(t == "", None).otherwise(t).alias(c)
                for t, c in zip(trimmed, columns, strict=True)
            )
        )
    return with_row_position(raw, ROW)


def typed(raw: DataFrame, params: Params, source: str, *, labelled: bool) -> DataFrame:
    """The raw text with number columns as doubles, after the raw contract's checks
    (numbers, missing values without a strategy, checks.ranges, a feature missing in
    every row) in one Spark job; the first problem by line is one DataError."""
    from pyspark.sql import functions as F

    numbers = [c for c in params.raw_number_columns() if c in raw.columns]
    parsed = {c: F.col(c).try_cast("double") for c in numbers}
    checks: list[Column] = [F.count(F.lit(1)).alias("__rows")]
    for c in numbers:
        number = parsed[c]
        bad = F.col(c).isNotNull() & (
            number.isNull() | F.isnan(number) | (F.abs(number) == float("inf"))
        )
        checks.append(F.min(F.when(bad, F.col(ROW))).alias(f"__nan_{c}"))
    derived = set(params.featurize.derive)
    features = [c for c in params.features.columns if c not in derived and c in raw.columns]
    for c in features:
        checks.append(F.count(F.col(c)).alias(f"__present_{c}"))
        checks.append(F.min(F.when(F.col(c).isNull(), F.col(ROW))).alias(f"__null_{c}"))
    for c, bound in params.checks.ranges.items():
        if c in parsed:
            outside = F.lit(False)
            if bound.min is not None:
                outside = outside | (parsed[c] < bound.min)
            if bound.max is not None:
                outside = outside | (parsed[c] > bound.max)
            checks.append(F.min(F.when(outside, F.col(ROW))).alias(f"__range_{c}"))
    row = raw.agg(*checks).first()
    issues: list[tuple[int, str]] = []
    for c in numbers:
        if row[f"__nan_{c}"] is not None:
            position = row[f"__nan_{c}"]
            message = not_a_number(cell(raw, position, c))
            issues.append((position, f"{source}: column {c!r}, line {position + 2}: {message}"))
    for c in features:
        if labelled and row["__rows"] and row[f"__present_{c}"] == 0:
            issues.append((-1, f"{source}: column {c!r}: every value is missing"))
        elif needs_values(params, c) and row[f"__null_{c}"] is not None:
            position = row[f"__null_{c}"]
            issues.append((position, f"{source}: {no_strategy(c, position)}"))
    for c, bound in params.checks.ranges.items():
        position = row[f"__range_{c}"] if c in parsed else None
        if position is None:
            continue
        written = cell(raw, position, c)
        value = float(written)
        below = bound.min is not None and value < bound.min
        side, limit = (
            ("below the minimum", bound.min) if below else ("above the maximum", bound.max)
        )
        issues.append(
            (
                position,
                f"{source}: column {c!r}, line {position + 2}: {written} is {side} {limit:g} "
                f"(checks.ranges.{c})",
            )
        )
    first_issue(issues)
    return raw.select(*(parsed[c].alias(c) if c in parsed else F.col(c) for c in raw.columns))


def target_classes(df: DataFrame, params: Params, source: str) -> tuple[Column, Any]:
    """The 0/1 target column (1 = data.positive_label) and the negative class's value as
    the file spells it; exactly two classes, none missing (binary_target's rules)."""
    from pyspark.sql import functions as F

    target, positive = params.data.target, params.data.positive_label
    value = F.col(target) if isinstance(positive, str) else F.col(target).try_cast("double")
    missing = df.agg(F.min(F.when(F.col(target).isNull(), F.col(ROW)))).first()[0]
    if missing is not None:
        raise DataError(f"{source}: column {target!r}, line {missing + 2}: the target is missing")
    found = [r[0] for r in df.select(value.alias("v")).distinct().limit(3).collect()]
    classes = [_as_label(v, positive) for v in found]
    if len(classes) != 2:
        detail = "only one class" if len(classes) < 2 else "more than 2 classes"
        shown = ", ".join(repr(c) for c in classes)
        raise DataError(
            f"{source}: column {target!r}: expected two classes, found {detail} ({shown})"
        )
    if positive not in classes:
        raise DataError(
            f"{source}: column {target!r}: data.positive_label {positive!r} is not one of "
            f"its values ({', '.join(repr(c) for c in classes)})"
        )
    compared = F.lit(positive) if isinstance(positive, str) else F.lit(float(positive))
    negative = next(c for c in classes if c != positive)
    return (value == compared).cast("tinyint"), negative


def _as_label(value: Any, positive: Any) -> Any:
    """A class value as the in-process engine reads it: text, or an int when whole."""
    if isinstance(positive, str) or value is None:
        return value
    return int(value) if float(value).is_integer() else float(value)


# --- split -------------------------------------------------------------------------------


def split(params: Params, args: argparse.Namespace) -> None:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    disk_only = StorageLevel.DISK_ONLY

    data = params.data
    required = dict(params.raw_columns())
    for column in params.checks.ranges:
        required.setdefault(column, f"checks.ranges.{column}")
    source = data.train_path
    with spark_session() as spark:
        # Several jobs read the raw rows (checks, the split, two writes): kept on the
        # executors' disks, not in memory (cached 10M-row text filled a 4 GB driver).
        raw = read_raw(spark, params, Path(source), list(required)).persist(disk_only)
        label, negative = target_classes(raw, params, source)
        table = typed(raw, params, source, labelled=True).withColumn(data.target, label)
        table = with_test_flag(spark, table, params, source)
        check_split_classes(table, params, source, negative)
        tables = {
            split: table.where(F.col("__test") == (split == "test")).drop("__test")
            for split in SPLITS
        }
        counts = write_splits(tables, SPLIT_DIR, params)
        raw.unpersist()
    sha256 = file_sha256(source)
    write_json(source_record(source, sha256, (negative, data.positive_label), params), SOURCE_PATH)
    print(f"split: {counts['train']} train rows, {counts['test']} test rows")


def with_test_flag(spark: SparkSession, df: DataFrame, params: Params, source: str) -> DataFrame:
    """df with `__test`: the hash rule, or train_test_split's exact test positions."""
    from pyspark.sql import functions as F

    settings, id_column = params.split, params.data.id_column
    if settings.method == "hash":
        key = F.col(ROW).cast("string") if id_column is None else F.col(id_column)
        if id_column is not None:
            missing = df.agg(F.min(F.when(F.col(id_column).isNull(), F.col(ROW)))).first()[0]
            if missing is not None:
                raise DataError(
                    f"{source}: column {id_column!r}, line {missing + 2}: the id is missing "
                    "(split.method: hash keys each row by it; or set data.id_column: null)"
                )
        return df.withColumn("__test", is_test(key, settings.test_size, settings.random_state))
    from stages.lib.splitting import split_positions

    rows = df.count()
    stratify = None
    if settings.stratify:
        labels = df.orderBy(ROW).select(params.data.target).toArrow().column(0).to_numpy()
        stratify = pd.Series(labels)
    _, test = split_positions(rows, settings.test_size, settings.random_state, stratify)
    # The notebook's split needs one global permutation: drawn here (numpy, as in process);
    # the test positions reach Spark as a bitmap (split.with_membership).
    flagged = with_membership(spark, df, ROW, np.asarray(test, dtype="int64"), "__test")
    # `__row` first: the column order this split's tables have always had (same bytes).
    return flagged.select(ROW, *(c for c in df.columns if c != ROW), "__test")


def check_split_classes(df: DataFrame, params: Params, source: str, negative: Any) -> None:
    """Each split must hold checks.min_class_rows rows of each class (check_class_rows)."""
    from pyspark.sql import functions as F

    target = params.data.target
    rows = df.groupBy("__test", target).agg(F.count(F.lit(1)).alias("n")).collect()
    counts = {(r["__test"], int(r[target])): r["n"] for r in rows}
    train = [counts.get((False, v), 0) for v in (0, 1)]
    if 0 in train:
        present = int(np.argmax(train))
        raise DataError(
            f"{source}: the train split holds only class {present} of {target!r}; a model "
            "needs both (use more rows, or split.stratify: true)"
        )
    names = {0: as_written(negative), 1: as_written(params.data.positive_label)}
    minimum = params.checks.min_class_rows.model_dump()
    for split in SPLITS:
        for value in (0, 1):
            held = counts.get((split == "test", value), 0)
            if held < minimum[split]:
                raise DataError(
                    f"{source}: the {split} split holds {held} row(s) of class {value} "
                    f"({target} = {names[value]}); checks.min_class_rows.{split} asks for at "
                    f"least {minimum[split]} (use more rows, or lower it)"
                )


# --- featurize -----------------------------------------------------------------------------


def featurize(params: Params, args: argparse.Namespace) -> None:
    from stages.lib.featurize import build_featurizer, refuse_shadowing

    derive = dict(params.featurize.derive)
    source = params.data.train_path
    record = fit_record("featurize", params, read_json(SOURCE_PATH))
    with spark_session() as spark:
        tables = read_both(spark, SPLIT_DIR)
        columns = [c for c in tables["train"].columns if c != ROW]
        refuse_shadowing(derive, columns, source, prefix=f"{args.params}: ")
        kept = [c for c in params.raw_columns(with_id=False) if c in columns]
        tables = {split: df.select(ROW, *kept) for split, df in tables.items()}
        outputs, learned = spark_featurize.fit_and_apply(tables, derive)
        for df in outputs.values():
            spark_featurize.raise_log1p(df, derive, ROW, source)
        check_full(outputs, [c for c in derive if c in params.features.columns], params, source)
        write_splits(outputs, FEATURED_DIR, params)
    featurizer = build_featurizer(params)
    featurizer.feature_names_in_ = np.asarray(kept, dtype=object)
    featurizer.n_features_in_ = len(kept)
    featurizer.learned_ = learned
    write_fitted(featurizer, FEATURIZER_PATH, record)
    print(f"featurize: derived columns: {', '.join(derive) or 'none (tables pass through)'}")


def check_full(
    tables: dict[str, DataFrame], columns: list[str], params: Params, source: str
) -> None:
    """Features the linear model needs full (no impute strategy) have no missing value."""
    from pyspark.sql import functions as F

    columns = [c for c in columns if needs_values(params, c)]
    if not columns:
        return
    issues = []
    for df in tables.values():
        row = df.agg(
            *(F.min(F.when(F.col(c).isNull(), F.col(ROW))).alias(c) for c in columns)
        ).first()
        issues += [
            (row[c], f"{source}: {no_strategy(c, row[c])}") for c in columns if row[c] is not None
        ]
    first_issue(issues)


# --- impute, encode, scale ------------------------------------------------------------------


def feature_types(df: DataFrame, params: Params) -> DataFrame:
    """Numbers as doubles, categories as text (FeatureTypes' job); other columns pass."""
    from pyspark.sql import functions as F

    numeric, categorical = params.features.numeric, params.features.categorical
    return df.select(
        *(
            F.col(c).cast("double").alias(c)
            if c in numeric
            else spark_featurize.as_text(df, c).alias(c)
            if c in categorical
            else F.col(c)
            for c in df.columns
        )
    )


def impute(params: Params, args: argparse.Namespace) -> None:
    from pyspark.sql import functions as F

    from stages.lib.transformers import build_impute_step

    source = params.data.train_path
    columns = [*params.features.columns, params.data.target]
    with spark_session() as spark:
        tables = read_both(spark, FEATURED_DIR)
        for split, df in tables.items():
            missing = [c for c in columns if c not in df.columns]
            if missing:
                raise DataError(
                    f"{table_path(FEATURED_DIR, split)}: missing column {missing[0]!r} (listed in "
                    "params; dvc repro remakes it)"
                )
        tables = {
            split: feature_types(df.select(ROW, *columns), params) for split, df in tables.items()
        }
        fills = learn_fills(in_order(tables["train"]), params, source)
        outputs = {
            split: df.select(
                *(
                    F.coalesce(F.col(c), F.lit(fills[c])).alias(c) if c in fills else F.col(c)
                    for c in df.columns
                )
            )
            for split, df in tables.items()
        }
        write_splits(outputs, IMPUTED_DIR, params)
    step = build_impute_step(params)
    types = step.named_steps["types"]
    types.feature_names_in_ = np.asarray(params.features.columns, dtype=object)
    types.n_features_in_ = len(params.features.columns)
    imputer = step.named_steps["impute"]
    imputer.feature_names_in_ = np.asarray(columns, dtype=object)
    imputer.n_features_in_ = len(columns)
    imputer.imputers_ = {
        column: fit.simple_imputer(
            column,
            spec.strategy,
            fills[column],
            spec.fill_value,
            text=column in params.features.categorical,
        )
        for column, spec in params.impute.columns.items()
    }
    write_fitted(step, IMPUTER_PATH, fit_record("impute", params))
    print(
        "impute: fill values learned on train: "
        + ", ".join(f"{c}={as_written(v)}" for c, v in imputer.fill_values_.items())
    )


def learn_fills(train: DataFrame, params: Params, source: str) -> dict[str, Any]:
    """Each impute.columns fill value, the counts and means/medians in one Spark job."""
    from pyspark.sql import functions as F

    columns = params.impute.columns
    aggregates = [F.count(F.col(c)).alias(f"n{i}") for i, c in enumerate(columns)]
    for i, (c, spec) in enumerate(columns.items()):
        number = F.col(c).cast("double")
        if spec.strategy in ("mean", "median"):
            reduce = F.mean if spec.strategy == "mean" else F.median
            aggregates.append(reduce(number).alias(f"v{i}"))
    row = train.agg(*aggregates).first()
    fills: dict[str, Any] = {}
    for i, (c, spec) in enumerate(columns.items()):
        if row[f"n{i}"] == 0:
            raise DataError(
                f"{source}: column {c!r}: every value is missing; nothing to impute from"
            )
        if spec.strategy in ("mean", "median"):
            fills[c] = float(row[f"v{i}"])
        elif spec.strategy == "most_frequent":
            fills[c] = fit.most_frequent(train.where(F.col(c).isNotNull()), c)
        else:
            fills[c] = spec.fill_value
    return fills


def categories_of(df: DataFrame, columns: list[str]) -> dict[str, list[Any]]:
    """Each column's sorted distinct non-missing values, all columns in one Spark job."""
    from pyspark.sql import functions as F

    if not columns:
        return {}
    row = df.agg(*(F.collect_set(F.col(c)).alias(c) for c in columns)).first()
    return {c: sorted(row[c]) for c in columns}


def rewrite_columns(
    tables: dict[str, DataFrame], new: dict[str, Column], folder: Path, params: Params
) -> list[str]:
    """Both splits with the columns of `new` replaced by their expressions (the others as
    they are), written to `folder`; the columns' names (the row-order key left out)."""
    from pyspark.sql import functions as F

    rewritten = {
        split: df.select(*(new[c].alias(c) if c in new else F.col(c) for c in df.columns))
        for split, df in tables.items()
    }
    write_splits(rewritten, folder, params)
    return [c for c in tables["train"].columns if c != ROW]


def encode(params: Params, args: argparse.Namespace) -> None:
    from pyspark.sql import functions as F

    from stages.lib.transformers import build_encoder

    source = params.data.train_path
    categorical = list(params.features.categorical)
    with spark_session() as spark:
        tables = read_both(spark, IMPUTED_DIR)
        lists = categories_of(tables["train"], categorical)
        if params.encode.handle_unknown == "error":
            refuse_unknown(tables, lists, source)
        known = {c: F.when(F.col(c).isin(lists[c]), F.col(c)) for c in lists}
        names = rewrite_columns(tables, known, ENCODED_DIR, params)
    encoder = build_encoder(params)
    encoder.feature_names_in_ = np.asarray(names, dtype=object)
    encoder.n_features_in_ = len(names)
    encoder.categories_ = {c: np.asarray(values, dtype=object) for c, values in lists.items()}
    encoder.target_encoders_, encoder.frequencies_ = {}, {}  # one-hot only on Spark
    write_fitted(encoder, ENCODER_PATH, fit_record("encode", params))
    sizes = ", ".join(f"{c}: {len(values)} ({encoder.method_of(c)})" for c, values in lists.items())
    print(f"encode: categories learned on train: {sizes}")


def refuse_unknown(tables: dict[str, DataFrame], lists: dict[str, list[Any]], source: str) -> None:
    """handle_unknown: error: the first missing or unseen category is one line."""
    from pyspark.sql import functions as F

    issues = []
    for df in tables.values():
        for c, values in lists.items():
            position = df.agg(
                F.min(F.when(~F.coalesce(F.col(c).isin(values), F.lit(False)), F.col(ROW)))
            ).first()[0]
            if position is None:
                continue
            value = cell(df, position, c)
            what = "is missing" if value is None else f"{value!r} was never seen in training"
            issues.append(
                (
                    position,
                    f"{source}: column {c!r}, line {position + 2}: category {what} "
                    "(encode.handle_unknown is 'error')",
                )
            )
    first_issue(issues)


def scale(params: Params, args: argparse.Namespace) -> None:

    from stages.lib.transformers import build_scaler

    numeric = list(params.features.numeric)
    method = params.scale.method
    fitted = None
    with spark_session() as spark:
        tables = read_both(spark, ENCODED_DIR)
        if method != "none" and numeric:
            stats = fit.moments(in_order(tables["train"]), numeric)
            if method == "minmax":
                fitted = fit.min_max_scaler(stats, numeric)
            else:
                fitted = fit.standard_scaler(stats, numeric)
        scaled = {}
        if fitted is not None:
            scaled = {c: score.scaled(c, None, fitted, i) for i, c in enumerate(numeric)}
        names = rewrite_columns(tables, scaled, SCALED_DIR, params)
    scaler = build_scaler(params)
    scaler.feature_names_in_ = np.asarray(names, dtype=object)
    scaler.n_features_in_ = len(names)
    scaler.scaler_ = fitted
    write_fitted(scaler, SCALER_PATH, fit_record("scale", params))
    print(f"scale: {method} on {', '.join(numeric)}")


# --- train, evaluate -------------------------------------------------------------------------


def logistic_settings(params: Params) -> fit.LogisticSettings:
    """train.* as MLlib takes them (engines.py: what is mapped, what is refused)."""
    import math

    train = params.train
    same = ("fit_intercept", "penalty", "l1_ratio", "max_iter", "tol", "class_weight")
    return fit.LogisticSettings(
        C=math.inf if train.penalty is None else train.C,
        **{key: getattr(train, key) for key in same},
    )


def train(params: Params, args: argparse.Namespace) -> None:
    from sklearn.pipeline import Pipeline

    from stages.lib.model import check_model_settings
    from stages.lib.transformers import build_design

    check_model_settings(params)
    numeric, target = list(params.features.numeric), params.data.target
    with spark_session() as spark:
        rows = read(spark, SCALED_DIR, "train")
        lists = categories_of(rows, list(params.features.categorical))
        partitions = params.engine.fit_partitions  # 1: deterministic (module docstring)
        laid_out = rows.repartition(partitions, ROW).sortWithinPartitions(ROW)
        vectors = fit.design_vector(laid_out, numeric, lists)
        trained = fit.logistic_regression(vectors, "features", target, logistic_settings(params))
    design = build_design(params)
    design.categories_ = lists
    names = [*numeric, *(f"{c}_{v}" for c, vs in lists.items() for v in vs)]
    design.feature_names_out_ = np.asarray(names, dtype=object)
    model = Pipeline([("design", design), ("classifier", trained.model)])
    write_fitted(model, MODEL_PATH, fit_record("train", params, read_json(SOURCE_PATH)))
    write_json({"enabled": False}, SEARCH_PATH)
    print(
        f"train: {params.train.model} fitted on {trained.rows} rows, {len(names)} model inputs "
        f"(MLlib, {trained.iterations} iterations)"
    )


def probability_of(
    model: Any, params: Params, fills: dict[str, Any] | None = None, scaler: Any = None
) -> Column:
    """The model's positive-class probability as a Spark column (score.probability)."""
    design = model.named_steps["design"]
    return score.probability(
        model.named_steps["classifier"],
        list(params.features.numeric),
        dict(design.categories_),
        fills or {},
        scaler,
    )


def evaluate(params: Params, args: argparse.Namespace) -> None:
    """Scores both splits into `data/scored` on Spark, then metrics and plot tables from
    aggregates over those rows (stages/core/spark/evaluate.py): nothing per row is
    collected, so the split never has to fit in this process."""
    from pyspark.sql import functions as F

    from stages.core.spark.evaluate import SplitEvaluation, evaluate_split
    from stages.evaluate import majority_of_counts, write_results
    from stages.lib.plot_data import confusion_chunks

    model, record = read_fitted(MODEL_PATH)
    check_fitted({MODEL_PATH: record}, params, args.params, allow_stale=args.allow_stale)
    threshold, plots = params.predict.threshold, params.plots
    results: dict[str, SplitEvaluation] = {}
    with spark_session() as spark:
        probability = probability_of(model, params)
        tables = {
            split: df.select(
                F.col(ROW),
                F.col(params.data.target).cast("long").alias("actual"),
                probability.alias("probability"),
            ).withColumn("predicted", (F.col("probability") >= threshold).cast("tinyint"))
            for split, df in read_both(spark, SCALED_DIR).items()
        }
        write_splits(tables, SCORED_DIR, params)
        for split in SPLITS:
            scored = read(spark, SCORED_DIR, split)
            results[split] = evaluate_split(scored, plots.calibration_bins, plots.max_curve_points)
    train = results["train"]
    majority = majority_of_counts({value: train.rows_of_class(value) for value in (0, 1)})
    metrics: dict[str, Any] = {
        split: {
            **result.metrics(),
            "baseline_accuracy": float(
                np.float64(result.rows_of_class(majority)) / sum(result.counts)
            ),
        }
        for split, result in results.items()
    }
    write_results(
        model,
        metrics,
        {split: result.tables for split, result in results.items()},
        {split: confusion_chunks(result.counts) for split, result in results.items()},
    )


# --- predict (its CLI calls score_csv through the engine) ------------------------------------


def score_csv(
    params: Params, chain: Any, path: Path, labels: tuple[Any, Any] | None
) -> pd.DataFrame:
    """predict's output frame (id, class, probability; input order) scored on Spark from
    the fitted chain's values: derivations, fills, scaling and coefficients as SQL."""
    from pyspark.sql import functions as F

    from stages.lib.metrics import classify

    data = params.data
    steps = chain.named_steps
    fills = dict(steps["impute"].named_steps["impute"].fill_values_)
    scaler = steps["scale"].scaler_
    columns = list(params.raw_columns(with_target=False))
    with spark_session() as spark:
        raw = read_raw(spark, params, path, columns)
        check_ids(raw, params, str(path))
        rows = typed(raw, params, str(path), labelled=False)
        derive = dict(params.featurize.derive)
        rows = spark_featurize.apply(rows, derive, steps["featurize"].learned_)
        spark_featurize.raise_log1p(rows, derive, ROW, str(path))
        check_full(
            {"rows": rows}, [c for c in derive if c in params.features.columns], params, str(path)
        )
        rows = feature_types(rows, params)
        if params.encode.handle_unknown == "error":
            lists = {c: list(v) for c, v in steps["encode"].categories_.items()}
            filled = rows.select(
                ROW,
                *(
                    F.coalesce(F.col(c), F.lit(fills[c])).alias(c) if c in fills else F.col(c)
                    for c in lists
                ),
            )
            refuse_unknown({"rows": filled}, lists, str(path))
        probability = probability_of(steps["model"], params, fills, scaler)
        kept = [ROW, *([data.id_column] if data.id_column is not None else [])]
        frame = (
            rows.select(*kept, probability.alias("__probability"))
            .orderBy(ROW)
            .toArrow()
            .to_pandas()
        )
    p = frame["__probability"].to_numpy(dtype="float64")
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    if data.id_column is not None:
        out[data.id_column] = frame[data.id_column]
    predicted = pd.Series(classify(p, params.predict.threshold))
    out[data.target] = predicted if labels is None else predicted.map(dict(enumerate(labels)))
    if params.predict.probability_column:
        out[params.predict.probability_column] = p
    return out


def check_ids(raw: DataFrame, params: Params, source: str) -> None:
    """Every row to score has an id, and no id appears twice (predict.check_rows)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    id_column = params.data.id_column
    if id_column is None:
        return
    missing = raw.agg(F.min(F.when(F.col(id_column).isNull(), F.col(ROW)))).first()[0]
    if missing is not None:
        raise DataError(
            f"{source}: column {id_column!r}, line {missing + 2}: the id is missing (every row "
            "to score needs one; or set data.id_column: null)"
        )
    order = Window.partitionBy(id_column).orderBy(ROW)
    second = (
        raw.select(id_column, ROW, F.row_number().over(order).alias("__seen"))
        .where(F.col("__seen") == 2)
        .orderBy(ROW)
        .first()
    )
    if second is not None:
        raise DataError(
            f"{source}: column {id_column!r}, line {second[ROW] + 2}: id "
            f"{as_written(second[id_column])} appears more than once"
        )
