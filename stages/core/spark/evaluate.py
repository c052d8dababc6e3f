"""evaluate's numbers and plot tables from aggregates computed on Spark.

The scored rows stay on Spark: the stage process receives a few integers per
(calibration bin, actual, predicted) cell and the running counts at the ≤ max_curve_points
distinct scores each curve keeps, never a value per row.

Determinism (DVC compares bytes, whatever the partitioning): Spark merges partial sums of
doubles in arrival order, so nothing here sums doubles on Spark. Counts are integers;
log_loss and the calibration means are sums of fixed-point integers (`fixed_point_sum`,
exact and order-free), divided once in Python; roc_auc is an integer ratio; curve points
are exact running counts at the scores themselves.

Scale: the client holds O(bins + max_curve_points) values. On Spark, the running counts
are a window over the distinct scores in one partition (Spark sorts and spills it to
disk); with many millions of distinct scores that one task is the slow step.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stages.lib.metrics import count_metrics
from stages.lib.plot_data import (
    calibration_edges,
    calibration_from_sums,
    precision_recall_from_counts,
    roc_from_counts,
    thin_positions,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# Values summed on Spark are rounded to multiples of 2**-52 first: a row's log loss is at
# most -ln(eps) ≈ 36, so each term fits a long and the decimal(38,0) sum cannot overflow
# below ~10^20 rows; the mean is then within 2**-53 of the exact mean of the rows' values.
FIXED_POINT_BITS = 52
# scikit-learn's log_loss clips probabilities to [eps, 1 - eps], eps of float64.
EPS = float(np.finfo(np.float64).eps)

Counts = tuple[int, int, int, int]  # tn, fp, fn, tp


@dataclass(frozen=True)
class SplitEvaluation:
    """What evaluate writes for one split, computed on Spark."""

    counts: Counts
    roc_auc: float | None
    log_loss: float
    tables: dict[str, pd.DataFrame]  # roc, precision_recall, calibration

    def metrics(self) -> dict[str, Any]:
        """The split's metrics.json entry but the baseline (which needs the train split)."""
        return {**count_metrics(*self.counts), "roc_auc": self.roc_auc, "log_loss": self.log_loss}

    def rows_of_class(self, value: int) -> int:
        tn, fp, fn, tp = self.counts
        return fn + tp if value == 1 else tn + fp


def evaluate_split(scored: DataFrame, bins: int, max_curve_points: int) -> SplitEvaluation:
    """Metrics and plot tables of one split's scored rows (`actual` 0/1, `probability`,
    `predicted` 0/1), in two passes over the rows: the per-cell sums, the curves."""
    cells = cell_sums(scored, bins)

    def rows(actual: int, predicted: int) -> int:
        return sum(c.rows for c in cells if (c.actual, c.predicted) == (actual, predicted))

    counts = (rows(0, 0), rows(0, 1), rows(1, 0), rows(1, 1))
    n = sum(counts)
    loss = Fraction(sum(c.loss for c in cells), n << FIXED_POINT_BITS)
    positives, negatives = counts[2] + counts[3], counts[0] + counts[1]
    auc, roc, precision_recall = curves(scored, positives, negatives, max_curve_points)
    calibration = calibration_from_sums(bins, bin_sums(cells))
    return SplitEvaluation(
        counts=counts,
        roc_auc=auc,
        log_loss=float(loss),
        tables={"roc": roc, "precision_recall": precision_recall, "calibration": calibration},
    )


def fixed_point_sum(value: Column) -> Column:
    """Σ round(value · 2^52) as decimal(38,0): exact, so the same in any order."""
    from pyspark.sql import functions as F

    scaled = F.round(value * float(1 << FIXED_POINT_BITS))
    return F.sum(scaled.cast("decimal(38,0)"))


def calibration_bin(probability: Column, bins: int) -> Column:
    """`calibration_table`'s bin: the number of edges ≤ p, less one, clipped to the bins.

    Compared edge by edge (p ≥ edge is exact), not floor(p · bins), whose rounding would
    put a probability lying exactly on an edge such as 0.3 in the wrong bin.
    """
    from pyspark.sql import functions as F

    inner = calibration_edges(bins)[1:-1]
    return sum(
        ((probability >= float(edge)).cast("int") for edge in inner), F.lit(0)
    )  # p < 0 → 0, p ≥ 1 → bins - 1: the clip


def row_log_loss(actual: Column, probability: Column) -> Column:
    """A row's log loss as scikit-learn's log_loss computes it: the probability given to
    the row's class (1 - p for class 0, in float64), clipped to [eps, 1 - eps]."""
    from pyspark.sql import functions as F

    given = F.when(actual == 1, probability).otherwise(F.lit(1.0) - probability)
    return -F.ln(F.least(F.greatest(given, F.lit(EPS)), F.lit(1.0 - EPS)))


@dataclass(frozen=True)
class Cell:
    """Sums over the rows of one (calibration bin, actual, predicted) cell."""

    bin: int
    actual: int
    predicted: int
    rows: int
    probability: int  # fixed point (2^-52 units)
    loss: int  # fixed point


def cell_sums(scored: DataFrame, bins: int) -> list[Cell]:
    """One pass over the rows: per (bin, actual, predicted), the row count and the
    fixed-point sums of probability and log loss; at most 4·bins rows come back."""
    from pyspark.sql import functions as F

    actual, probability = F.col("actual"), F.col("probability")
    grouped = scored.groupBy(
        calibration_bin(probability, bins).alias("bin"),
        actual.cast("int").alias("actual"),
        F.col("predicted").cast("int").alias("predicted"),
    ).agg(
        F.count(F.lit(1)).alias("rows"),
        fixed_point_sum(probability).alias("probability"),
        fixed_point_sum(row_log_loss(actual, probability)).alias("loss"),
    )
    return [
        Cell(
            r["bin"], r["actual"], r["predicted"], r["rows"], int(r["probability"]), int(r["loss"])
        )
        for r in grouped.collect()
    ]


def bin_sums(cells: list[Cell]) -> dict[int, tuple[int, Fraction, int]]:
    """Per calibration bin: rows, the exact sum of probabilities, positives."""
    sums: dict[int, tuple[int, Fraction, int]] = {}
    for c in cells:
        rows, total, hits = sums.get(c.bin, (0, Fraction(0), 0))
        sums[c.bin] = (
            rows + c.rows,
            total + Fraction(c.probability, 1 << FIXED_POINT_BITS),
            hits + c.rows * c.actual,
        )
    return sums


def curves(
    scored: DataFrame, positives: int, negatives: int, max_points: int
) -> tuple[float | None, pd.DataFrame, pd.DataFrame]:
    """roc_auc, the ROC table and the precision-recall table, from running counts over the
    distinct scores in descending order (the window sorts them in one partition, on Spark).

    AUC = Σ neg_i·(2·pos_above_i + pos_i) / (2·P·N) over distinct scores i (a tie between
    a positive and a negative counts one half), the numerator an exact integer; null when
    the split has one class. Each curve has one point per distinct score (plus the ROC
    origin and the PR end point); its positions are thinned here with `thin_positions`
    before anything is collected. The ROC keeps collinear points that
    `roc_curve(drop_intermediate=True)` would drop (same curve, more rows).
    """
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.orderBy(F.col("probability").desc())
    running = order.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    by_score = scored.groupBy("probability").agg(
        F.sum(F.col("actual").cast("long")).alias("pos"), F.count(F.lit(1)).alias("rows")
    )
    negatives_at = F.col("rows") - F.col("pos")
    points = by_score.select(
        "probability",
        "pos",
        negatives_at.alias("neg"),
        F.sum("pos").over(running).alias("tps"),
        F.sum(negatives_at).over(running).alias("fps"),
        F.row_number().over(order).alias("number"),
    )
    above = (F.col("tps") - F.col("pos")).cast("decimal(19,0)")
    pairs = F.col("neg").cast("decimal(19,0)") * (2 * above + F.col("pos"))
    # The client warns at each action that the window has one partition: it must, since
    # the running counts need every distinct score in order (the module docstring).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*No Partition Defined for Window")
        points = points.persist(StorageLevel.DISK_ONLY)
        try:
            summary = points.agg(
                F.count(F.lit(1)).alias("distinct"),
                F.sum(pairs.cast("decimal(38,0)")).alias("pairs"),
            ).first()
            distinct = int(summary["distinct"])
            # Both curves have distinct + 1 points: ROC position j is the j-th score from
            # the top (0: the origin), PR position i the (distinct - i)-th (distinct: the
            # end point).
            keep = [int(position) for position in thin_positions(distinct + 1, max_points)]
            on_roc = {j for j in keep if j >= 1}
            on_pr = {distinct - i for i in keep if i < distinct}
            kept = (
                points.where(F.col("number").isin(sorted(on_roc | on_pr)))
                .select("number", "probability", "tps", "fps")
                .collect()
            )
        finally:
            points.unpersist()
    kept.sort(key=lambda row: int(row["number"]))
    auc = None
    if positives and negatives:
        auc = float(Fraction(int(summary["pairs"]), 2 * positives * negatives))
    roc = roc_from_counts(
        *_arrays([r for r in kept if r["number"] in on_roc]), positives, negatives
    )
    precision_recall = precision_recall_from_counts(
        *_arrays([r for r in kept if r["number"] in on_pr]), positives
    )
    return auc, roc, precision_recall


def _arrays(points: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(thresholds, tps, fps) of collected points, in descending score order."""
    return (
        np.asarray([r["probability"] for r in points], dtype=np.float64),
        np.asarray([r["tps"] for r in points], dtype=np.int64),
        np.asarray([r["fps"] for r in points], dtype=np.int64),
    )
