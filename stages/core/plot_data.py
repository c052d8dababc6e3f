"""The data behind the evaluation plots, as plain tables DVC can render and diff.

Every table is computed from a split's per-row scores (actual, probability, predicted), so
the curves always agree with metrics.json. Values are finite (no `inf` threshold), since
Vega-Lite and CSV readers choke on infinities.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from stages.core.metrics import Ranked, rank_by_score


def roc_table(scored: pd.DataFrame, ranked: Ranked | None = None) -> pd.DataFrame:
    """ROC curve: one row per distinct threshold (fpr, tpr, threshold), from (0,0) to (1,1).

    `ranked` (stages.core.metrics.rank_by_score of this split) spares scikit-learn a sort.
    """
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(*(ranked or _ranked(scored)))
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thresholds, 1.0)})


def precision_recall_table(scored: pd.DataFrame, ranked: Ranked | None = None) -> pd.DataFrame:
    """Precision-recall curve; the last point (recall 0, precision 1) gets threshold 1."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(*(ranked or _ranked(scored)))
    return pd.DataFrame(
        {"recall": recall, "precision": precision, "threshold": np.append(thresholds, 1.0)}
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


def calibration_table(scored: pd.DataFrame, bins: int) -> pd.DataFrame:
    """Reliability curve over equal-width probability bins; empty bins are left out.

    Unlike sklearn's `calibration_curve` it keeps each bin's count, so a reader can tell a
    well-populated bin from a point resting on two passengers.
    """
    probability = scored["probability"].to_numpy(dtype=float)
    actual = _actual(scored)
    edges = np.round(np.linspace(0.0, 1.0, bins + 1), 12)  # 0.3, not 0.30000000000000004
    index = np.clip(np.searchsorted(edges, probability, side="right") - 1, 0, bins - 1)
    rows = []
    for position in range(bins):
        inside = index == position
        count = int(inside.sum())
        if count:
            rows.append(
                {
                    "bin_low": float(edges[position]),
                    "bin_high": float(edges[position + 1]),
                    "mean_predicted": float(probability[inside].mean()),
                    "fraction_positive": float(actual[inside].mean()),
                    "count": count,
                }
            )
    columns = ["bin_low", "bin_high", "mean_predicted", "fraction_positive", "count"]
    return pd.DataFrame(rows, columns=columns)


def coefficient_table(model: Any) -> pd.DataFrame:
    """The classifier's weight per design-matrix column (names from the fitted transformers).

    Empty for a classifier without `coef_` (a tree ensemble, say): there is nothing linear
    to show, and evaluate must not fail over a plot.
    """
    from stages.core.model import feature_names

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
    keep = np.unique(np.linspace(0, len(curve) - 1, max_points).round().astype(int))
    return curve.iloc[keep].reset_index(drop=True)


def curve_tables(
    scored: pd.DataFrame,
    calibration_bins: int,
    max_curve_points: int = 2000,
    ranked: Ranked | None = None,
) -> dict[str, pd.DataFrame]:
    """Every per-split table, by curve name (the file names under plots/<split>/)."""
    ranked = ranked or _ranked(scored)
    return {
        "roc": thin(roc_table(scored, ranked), max_curve_points),
        "precision_recall": thin(precision_recall_table(scored, ranked), max_curve_points),
        "confusion": confusion_table(scored),
        "calibration": calibration_table(scored, calibration_bins),
    }


def _actual(scored: pd.DataFrame) -> np.ndarray:
    return scored["actual"].to_numpy().astype(int)


def _ranked(scored: pd.DataFrame) -> Ranked:
    return rank_by_score(_actual(scored), scored["probability"].to_numpy())
