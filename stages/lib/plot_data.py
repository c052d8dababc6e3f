"""The data behind the evaluation plots, as plain tables DVC can render and diff.

The scikit-learn engine computes every table from a split's per-row scores (actual,
probability, predicted) with scikit-learn's curves; the Spark engine aggregates on Spark
(stages/core/spark/evaluate.py) and builds the same tables here from what it collects:
running counts at the distinct scores kept (`roc_from_counts`,
`precision_recall_from_counts`), per-bin sums (`calibration_from_sums`), four counts
(`confusion_chunks`). Either way the curves agree with metrics.json. Values are finite
(no `inf` threshold), since Vega-Lite and CSV readers choke on infinities.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from stages.lib.metrics import Ranked, rank_by_score


def roc_table(scored: pd.DataFrame, ranked: Ranked | None = None) -> pd.DataFrame:
    """ROC curve: one row per distinct threshold (fpr, tpr, threshold), from (0,0) to (1,1).

    `ranked` (stages.lib.metrics.rank_by_score of this split) spares scikit-learn a sort.
    """
    fpr, tpr, thresholds = (ranked or _ranked(scored)).roc
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thresholds, 1.0)})


def precision_recall_table(scored: pd.DataFrame, ranked: Ranked | None = None) -> pd.DataFrame:
    """Precision-recall curve; the last point (recall 0, precision 1) gets threshold 1."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(*(ranked or _ranked(scored)))
    return pd.DataFrame(
        {"recall": recall, "precision": precision, "threshold": np.append(thresholds, 1.0)}
    )


def roc_from_counts(
    thresholds: np.ndarray, tps: np.ndarray, fps: np.ndarray, positives: int, negatives: int
) -> pd.DataFrame:
    """`roc_table` from running counts: at each distinct score kept (in descending order),
    the positives and negatives scoring at or above it; the origin (threshold 1) first.

    Without thinning and without collinear points these are `roc_curve`'s points and bits
    (it also divides the exact counts by the totals); `roc_curve(drop_intermediate=True)`
    further drops points on a straight segment, which this keeps: same curve, more rows.
    A split without negatives (positives) gets NaN fpr (tpr), as in scikit-learn.
    """
    tps = np.concatenate([[0.0], np.asarray(tps, dtype=np.float64)])
    fps = np.concatenate([[0.0], np.asarray(fps, dtype=np.float64)])
    return pd.DataFrame(
        {
            "fpr": fps / negatives if negatives else np.full(len(fps), np.nan),
            "tpr": tps / positives if positives else np.full(len(tps), np.nan),
            "threshold": np.concatenate([[1.0], np.minimum(thresholds, 1.0)]),
        }
    )


def precision_recall_from_counts(
    thresholds: np.ndarray, tps: np.ndarray, fps: np.ndarray, positives: int
) -> pd.DataFrame:
    """`precision_recall_table` from running counts (as `roc_from_counts` takes them), in
    scikit-learn's order: ascending threshold, then recall 0 / precision 1 at threshold 1.
    A split without positives has recall 1 at every threshold, as in scikit-learn."""
    tps = np.asarray(tps, dtype=np.float64)[::-1]
    fps = np.asarray(fps, dtype=np.float64)[::-1]
    recall = tps / positives if positives else np.ones(len(tps))
    return pd.DataFrame(
        {
            "recall": np.append(recall, 0.0),
            "precision": np.append(tps / (tps + fps), 1.0),
            "threshold": np.append(np.asarray(thresholds, dtype=np.float64)[::-1], 1.0),
        }
    )


def confusion_table(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per example (actual, predicted): DVC's confusion template counts them."""
    return pd.DataFrame(
        {"actual": _actual(scored), "predicted": scored["predicted"].to_numpy().astype(int)}
    )


def confusion_csv(table: pd.DataFrame) -> bytes:
    """`table.to_csv(index=False)`'s exact bytes for a 0/1 confusion table, without the
    per-row formatting loop (10M rows: seconds in pandas, ~0.1 s here): every line is one
    of four 4-byte strings. Any other values take the pandas path."""
    actual, predicted = table["actual"].to_numpy(), table["predicted"].to_numpy()
    header = ",".join(table.columns) + "\n"
    if not (np.isin(actual, (0, 1)).all() and np.isin(predicted, (0, 1)).all()):
        return table.to_csv(index=False, lineterminator="\n").encode()
    lines = np.empty((len(table), 4), dtype=np.uint8)
    lines[:, 0] = ord("0") + actual
    lines[:, 1] = ord(",")
    lines[:, 2] = ord("0") + predicted
    lines[:, 3] = ord("\n")
    return header.encode() + lines.tobytes()


CONFUSION_CHUNK_LINES = 1 << 16  # 256 KB of CSV per chunk


def confusion_chunks(
    counts: tuple[int, int, int, int], chunk_lines: int = CONFUSION_CHUNK_LINES
) -> Iterator[bytes]:
    """The confusion CSV from (tn, fp, fn, tp), in chunks of at most `chunk_lines` lines.

    One line per row, as DVC's confusion template counts lines, grouped by (actual,
    predicted) in the order 0,0 / 0,1 / 1,0 / 1,1 rather than in row order (which the
    scikit-learn engine's file follows): the rendered matrix is the same, and nothing
    rows-sized is ever held (100M rows are 400 MB of CSV, streamed to the file).
    """
    yield b"actual,predicted\n"
    cells = ((0, 0), (0, 1), (1, 0), (1, 1))
    for (actual, predicted), count in zip(cells, counts, strict=True):
        line = f"{actual},{predicted}\n".encode()
        full, rest = divmod(count, chunk_lines)
        if full:
            chunk = line * chunk_lines
            for _ in range(full):
                yield chunk
        if rest:
            yield line * rest


def calibration_edges(bins: int) -> np.ndarray:
    """The bins' edges, rounded so that the CSV says 0.3, not 0.30000000000000004."""
    return np.round(np.linspace(0.0, 1.0, bins + 1), 12)


def calibration_table(scored: pd.DataFrame, bins: int) -> pd.DataFrame:
    """Reliability curve over equal-width probability bins; empty bins are left out.

    Unlike sklearn's `calibration_curve` it keeps each bin's count, so a reader can tell a
    well-populated bin from a point resting on two passengers.
    """
    probability = scored["probability"].to_numpy(dtype=float)
    actual = _actual(scored)
    edges = calibration_edges(bins)
    index = np.clip(np.searchsorted(edges, probability, side="right") - 1, 0, bins - 1)
    rows = []
    for position in range(bins):
        inside = index == position
        count = int(inside.sum())
        if count:
            rows.append(
                _calibration_row(
                    edges,
                    position,
                    float(probability[inside].mean()),
                    float(actual[inside].mean()),
                    count,
                )
            )
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)


CALIBRATION_COLUMNS = ["bin_low", "bin_high", "mean_predicted", "fraction_positive", "count"]


def calibration_from_sums(bins: int, sums: dict[int, tuple[int, Fraction, int]]) -> pd.DataFrame:
    """`calibration_table` from each non-empty bin's (rows, sum of probabilities, positives),
    by bin position: the sums exact (an integer, a fraction), each mean one rounding."""
    edges = calibration_edges(bins)
    rows = [
        _calibration_row(edges, position, float(total / count), float(Fraction(hits, count)), count)
        for position, (count, total, hits) in sorted(sums.items())
        if count
    ]
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)


def _calibration_row(
    edges: np.ndarray, position: int, mean_predicted: float, fraction_positive: float, count: int
) -> dict[str, Any]:
    return {
        "bin_low": float(edges[position]),
        "bin_high": float(edges[position + 1]),
        "mean_predicted": mean_predicted,
        "fraction_positive": fraction_positive,
        "count": count,
    }


def coefficient_table(model: Any) -> pd.DataFrame:
    """The classifier's weight per design-matrix column (names from the fitted transformers).

    Empty for a classifier without `coef_` (a tree ensemble, say): there is nothing linear
    to show, and evaluate must not fail over a plot.
    """
    from stages.lib.model import feature_names

    classifier = model.named_steps["classifier"]
    if not hasattr(classifier, "coef_"):
        return pd.DataFrame({"feature": [], "coefficient": []})
    return pd.DataFrame(
        {"feature": feature_names(model), "coefficient": np.ravel(classifier.coef_[0])}
    )


def thin(curve: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most `max_points` rows, evenly spaced along the curve, first and last kept.

    A curve has up to one point per distinct score; at a million rows that is tens of MB
    of CSV that no plot can show. Small curves (the Titanic's) are returned untouched.
    """
    if len(curve) <= max_points:
        return curve
    return curve.iloc[thin_positions(len(curve), max_points)].reset_index(drop=True)


def thin_positions(length: int, max_points: int) -> np.ndarray:
    """The positions `thin` keeps of a curve of `length` points (all when it is short): the
    one rule, also applied on Spark before anything is collected."""
    if length <= max_points:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, max_points).round().astype(int))


def curve_tables(
    scored: pd.DataFrame,
    calibration_bins: int,
    max_curve_points: int = 2000,
    ranked: Ranked | None = None,
) -> dict[str, pd.DataFrame]:
    """Every per-split table but the confusion one (`confusion_table`, written apart: it is
    rows-sized), by curve name (the file names under plots/<split>/)."""
    ranked = ranked or _ranked(scored)
    return {
        "roc": thin(roc_table(scored, ranked), max_curve_points),
        "precision_recall": thin(precision_recall_table(scored, ranked), max_curve_points),
        "calibration": calibration_table(scored, calibration_bins),
    }


def _actual(scored: pd.DataFrame) -> np.ndarray:
    return scored["actual"].to_numpy().astype(int)


def _ranked(scored: pd.DataFrame) -> Ranked:
    return rank_by_score(_actual(scored), scored["probability"].to_numpy())
