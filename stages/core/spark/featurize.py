"""The derivation ops of `featurize.derive` as Spark SQL expressions (all twelve).

Each op computes what its `stages.core.featurize_ops` class computes with pandas:

    extract     regexp_extract(column, pattern, 1) where the pattern matches, else missing
    first_char  substring(column, 1, 1), missing for missing or empty text
    first_token the trimmed text before the first separator (any whitespace by default)
    strip_digits the text without digits, trimmed; `empty` (default "none") if nothing is left
    group_size  how many train rows share the row's text (1 for unseen or missing)
    rare        the value if seen >= min_count times in the train split, else `other`
    sum         column + column ... + add (missing if any input is missing)
    ratio       numerator / denominator, missing where the denominator is 0 or missing
    log1p       log1p(column); a value at or below -1 is an error naming its line
    is_missing  1 where missing, else 0
    equals      1 where equal (as text for a text value), else 0; missing gives 0
    threshold   1 where strictly above `above` (below `below`), else 0; missing gives 0

`rare` and `group_size` learn, from the train split (one aggregation each): the frequent
categories, the count of each key. What they learn is stored in the Featurizer's `learned_`
exactly as the scikit-learn engine stores it, so either engine's featurizer scores new rows
alike.
Patterns are Java regular expressions on Spark and Python ones in process: the same for
the usual syntax (groups, classes, quantifiers), not for Python-only constructs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stages.core.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from stages.core.featurize_ops import DerivationOp

TEXT_OPS = ("extract", "first_char", "rare")
FLAG_OPS = ("is_missing", "equals", "threshold")


def as_text(df: DataFrame, column: str) -> Column:
    """The column as text, numbers written as the in-process engine writes them (3, 2.5)."""
    from pyspark.sql import functions as F

    kind = dict(df.dtypes)[column]
    value = F.col(column)
    if kind in ("double", "float"):
        whole = value == F.floor(value)
        return F.when(whole, value.cast("long").cast("string")).otherwise(value.cast("string"))
    return value.cast("string")


def _number(column: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(column).cast("double")


def _flag(condition: Column) -> Column:
    from pyspark.sql import functions as F

    return F.coalesce(condition, F.lit(False)).cast("tinyint")


def expression(df: DataFrame, op: DerivationOp, learned: Any) -> Column:
    """The derived column of `op` on df (whose earlier derived columns already exist)."""
    from pyspark.sql import functions as F

    kind = op.op_name
    if kind == "extract":
        text = as_text(df, op.column)  # type: ignore[attr-defined]
        pattern = op.pattern  # type: ignore[attr-defined]
        return F.when(text.rlike(pattern), F.regexp_extract(text, pattern, 1))
    if kind == "first_char":
        text = as_text(df, op.column)  # type: ignore[attr-defined]
        return F.when(F.length(text) > 0, F.substring(text, 1, 1))
    if kind == "first_token":
        text = F.trim(as_text(df, op.column))  # type: ignore[attr-defined]
        separator = op.separator  # type: ignore[attr-defined]
        pattern = r"\s+" if separator is None else "\\Q" + separator + "\\E"
        first = F.trim(F.split(text, pattern, 2).getItem(0))
        return F.when(F.length(first) > 0, first)
    if kind == "strip_digits":
        text = as_text(df, op.column)  # type: ignore[attr-defined]
        stripped = F.trim(F.regexp_replace(text, r"\d+", ""))
        empty = op.empty or "none"  # type: ignore[attr-defined]
        return (
            F.when(text.isNull(), None)
            .when(F.length(stripped) > 0, stripped)
            .otherwise(F.lit(empty))
        )
    if kind == "group_size":
        text = as_text(df, op.column)  # type: ignore[attr-defined]
        if not learned:
            return F.lit(1.0)
        sizes = F.create_map(
            *(F.lit(part) for key, n in sorted(learned.items()) for part in (key, float(n)))
        )
        return F.coalesce(F.try_element_at(sizes, text), F.lit(1.0))
    if kind == "rare":
        text = as_text(df, op.column)  # type: ignore[attr-defined]
        other = op.other or "other"  # type: ignore[attr-defined]
        frequent = text.isin(list(learned)) if learned else F.lit(False)
        return F.when(text.isNull(), None).when(frequent, text).otherwise(F.lit(other))
    if kind == "sum":
        total = _number(op.columns[0])  # type: ignore[attr-defined]
        for column in op.columns[1:]:  # type: ignore[attr-defined]
            total = total + _number(column)
        return total + F.lit(float(op.add or 0.0))  # type: ignore[attr-defined]
    if kind == "ratio":
        denominator = _number(op.denominator)  # type: ignore[attr-defined]
        return _number(op.numerator) / F.when(denominator != 0, denominator)  # type: ignore[attr-defined]
    if kind == "log1p":
        return F.log1p(_number(op.column))  # type: ignore[attr-defined]
    if kind == "is_missing":
        return F.col(op.column).isNull().cast("tinyint")  # type: ignore[attr-defined]
    if kind == "equals":
        value = op.value  # type: ignore[attr-defined]
        if isinstance(value, str):
            return _flag(as_text(df, op.column) == F.lit(value))  # type: ignore[attr-defined]
        return _flag(_number(op.column) == F.lit(float(value)))  # type: ignore[attr-defined]
    if kind == "threshold":
        number = _number(op.column)  # type: ignore[attr-defined]
        if op.above is not None:  # type: ignore[attr-defined]
            return _flag(number > F.lit(float(op.above)))  # type: ignore[attr-defined]
        return _flag(number < F.lit(float(op.below)))  # type: ignore[attr-defined]
    raise ValueError(f"unknown derivation op {kind!r}")


def value_counts(df: DataFrame, op: DerivationOp) -> DataFrame:
    """Rows `__value` (each non-missing text of op.column) and `__n` (how many rows hold it)."""
    from pyspark.sql import functions as F

    text = as_text(df, op.column)  # type: ignore[attr-defined]
    return (
        df.select(text.alias("__value"))
        .where(F.col("__value").isNotNull())
        .groupBy("__value")
        .agg(F.count(F.lit(1)).alias("__n"))
    )


def fit_rare(df: DataFrame, op: DerivationOp) -> list[str]:
    """The categories of op.column seen at least min_count times (sorted, like pandas)."""
    from pyspark.sql import functions as F

    frequent = value_counts(df, op).where(F.col("__n") >= op.min_count)  # type: ignore[attr-defined]
    return sorted(row["__value"] for row in frequent.collect())


def fit_group_size(df: DataFrame, op: DerivationOp) -> dict[str, int]:
    """How many rows hold each (non-missing) text of op.column."""
    return {row["__value"]: int(row["__n"]) for row in value_counts(df, op).collect()}


def fit_and_apply(
    tables: dict[str, DataFrame], derive: Mapping[str, DerivationOp]
) -> tuple[dict[str, DataFrame], dict[str, Any]]:
    """Every split with the derived columns added in order; what was learned on train."""
    learned: dict[str, Any] = {}
    for name, op in derive.items():
        if op.op_name == "rare":
            learned[name] = fit_rare(tables["train"], op)
        elif op.op_name == "group_size":
            learned[name] = fit_group_size(tables["train"], op)
        tables = {
            split: df.withColumn(name, expression(df, op, learned.get(name)))
            for split, df in tables.items()
        }
    return tables, learned


def apply(df: DataFrame, derive: Mapping[str, DerivationOp], learned: dict[str, Any]) -> DataFrame:
    """df with the derived columns, using what a fitted Featurizer learned."""
    for name, op in derive.items():
        df = df.withColumn(name, expression(df, op, learned.get(name)))
    return df


def log1p_problems(df: DataFrame, derive: Mapping[str, DerivationOp], row: str) -> list[Any]:
    """Aggregates: for each log1p input, the first row (by `row`) at or below -1."""
    from pyspark.sql import functions as F

    return [
        F.min(F.when(_number(op.column) <= -1, F.col(row))).alias(f"__log1p_{name}")  # type: ignore[attr-defined]
        for name, op in derive.items()
        if op.op_name == "log1p"
    ]


def raise_log1p(df: DataFrame, derive: Mapping[str, DerivationOp], row: str, source: str) -> None:
    """The one-line error of the first value log1p cannot take, in the in-process words."""
    from pyspark.sql import functions as F

    checks = log1p_problems(df, derive, row)
    if not checks:
        return
    first = df.agg(*checks).first()
    found = [
        (first[f"__log1p_{name}"], op)
        for name, op in derive.items()
        if op.op_name == "log1p" and first[f"__log1p_{name}"] is not None
    ]
    if not found:
        return
    position, op = min(found, key=lambda item: item[0])
    value = df.where(F.col(row) == position).select(_number(op.column)).first()[0]  # type: ignore[attr-defined]
    raise DataError(
        f"{source}: column {op.column!r}, line {position + 2}: log1p needs values above -1, "  # type: ignore[attr-defined]
        f"got {value!r}"
    )
