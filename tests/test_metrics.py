"""Metrics against a case small enough to compute by hand."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from stages.lib.metrics import (
    binary_log_loss,
    classification_metrics,
    classify,
    rank_by_score,
)
from stages.lib.plot_data import confusion_csv


def test_hand_computed_case() -> None:
    y = np.array([1, 1, 0, 0, 1])
    p = np.array([0.9, 0.4, 0.6, 0.1, 0.5])  # at 0.5: predicted 1, 0, 1, 0, 1
    m = classification_metrics(y, p, threshold=0.5)
    assert (m["n"], m["tp"], m["fp"], m["tn"], m["fn"]) == (5, 2, 1, 1, 1)
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    # positive/negative pairs ranked right: (0.9>0.6,0.9>0.1,0.4<0.6,0.4>0.1,0.5<0.6,0.5>0.1)
    assert m["roc_auc"] == pytest.approx(4 / 6)
    expected_loss = -np.mean(np.log([0.9, 0.4, 0.4, 0.9, 0.5]))
    assert m["log_loss"] == pytest.approx(expected_loss)


def test_threshold_is_inclusive_and_moves_predictions() -> None:
    p = np.array([0.2, 0.5, 0.7])
    assert classify(p, 0.5).tolist() == [0, 1, 1]
    assert classify(p, 0.71).tolist() == [0, 0, 0]


def test_single_class_split_has_no_auc() -> None:
    m = classification_metrics(np.array([1, 1]), np.array([0.8, 0.3]), threshold=0.5)
    assert m["roc_auc"] is None and m["tp"] == 1 and m["fn"] == 1
    assert math.isfinite(m["log_loss"])


@pytest.mark.parametrize("seed", range(5))
def test_metrics_from_counts_and_one_sort_equal_scikit_learn_bit_for_bit(seed: int) -> None:
    """Counts-based accuracy/precision/recall/F1, the pre-ranked ROC AUC and the log loss
    are the very floats scikit-learn's own functions give (metrics.json must not move by
    one bit)."""
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 20_000))
    y = rng.integers(0, 2, n)
    p = rng.random(n).round(int(rng.integers(1, 6)))  # ties included
    # Certain and nearly certain scores, where log_loss clips to [eps, 1 - eps].
    p[:8] = [0.0, 1.0, 1e-20, 1 - 1e-17, 2e-16, 1e-300, 1 - 1e-15, 0.5]
    threshold = float(rng.choice([0.3, 0.5, 0.9]))
    predicted = classify(p, threshold)
    expected = {
        "accuracy": accuracy_score(y, predicted),
        "precision": precision_score(y, predicted, zero_division=0),
        "recall": recall_score(y, predicted, zero_division=0),
        "f1": f1_score(y, predicted, zero_division=0),
        "roc_auc": roc_auc_score(y, p),
        "log_loss": log_loss(y, p, labels=[0, 1]),
    }
    for ranked in (None, rank_by_score(y, p)):
        got = classification_metrics(y, p, threshold, ranked)
        assert {key: got[key] for key in expected} == {k: float(v) for k, v in expected.items()}


@pytest.mark.parametrize(
    ("labels", "scores"),
    [([1, 0], [1.0, 0.0]), ([1, 0], [0.0, 1.0]), ([1, 1, 0, 0], [1 - 1e-17, 1e-300, 2e-16, 0.5])],
)
def test_log_loss_clips_certain_scores_as_scikit_learn_does(labels: list, scores: list) -> None:
    """Rows whose loss is all clipping, where a wrong bound would show in the result."""
    from sklearn.metrics import log_loss

    expected = log_loss(labels, scores, labels=[0, 1])
    assert binary_log_loss(np.array(labels), np.array(scores)) == expected


def test_the_confusion_csv_is_pandas_own_bytes() -> None:
    table = pd.DataFrame({"actual": [0, 1, 1, 0], "predicted": [1, 0, 1, 0]})
    assert confusion_csv(table) == table.to_csv(index=False, lineterminator="\n").encode()
    odd = pd.DataFrame({"actual": [0, 2], "predicted": [1, 0]})  # not 0/1: pandas' path
    assert confusion_csv(odd) == b"actual,predicted\n0,1\n2,0\n"


# --- from counts: what the Spark engine computes its numbers and tables from -------------


def running_counts(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct scores descending, positives and negatives at or above each): what the
    Spark engine's window computes, here in numpy for tiny arrays."""
    scores = np.unique(p)[::-1]
    tps = np.array([int(y[p >= s].sum()) for s in scores])
    fps = np.array([int((p >= s).sum()) for s in scores]) - tps
    return scores, tps, fps


@pytest.mark.parametrize("seed", range(4))
def test_count_metrics_are_scikit_learns_bit_for_bit(seed: int) -> None:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score

    from stages.lib.metrics import count_metrics

    rng = np.random.default_rng(seed)
    y, predicted = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, predicted).ravel())
    got = count_metrics(tn, fp, fn, tp)
    assert (got["n"], got["tp"], got["fp"], got["tn"], got["fn"]) == (500, tp, fp, tn, fn)
    assert got["accuracy"] == accuracy_score(y, predicted)
    assert got["precision"] == precision_score(y, predicted, zero_division=0)
    assert got["f1"] == f1_score(y, predicted, zero_division=0)
    # No predicted positives: precision and F1 are 0, as scikit-learn's zero_division=0.
    assert count_metrics(3, 0, 2, 0)["precision"] == 0.0 == count_metrics(3, 0, 2, 0)["f1"]


CURVE_CASES = {
    "ties": ([1, 0, 1, 1, 0, 0, 1, 0], [0.9, 0.9, 0.7, 0.4, 0.4, 0.2, 0.1, 0.1]),
    "distinct": ([0, 1, 1, 0, 1, 0], [0.05, 0.3, 0.55, 0.6, 0.8, 0.99]),
    "one class": ([1, 1, 1], [0.2, 0.6, 0.6]),
    "no positive": ([0, 0, 0, 0], [0.2, 0.3, 0.3, 1.0]),
}


@pytest.mark.parametrize("case", CURVE_CASES)
def test_curves_from_running_counts_are_scikit_learns(case: str) -> None:
    """Without collinear points to drop, the tables built from running counts are the
    points of roc_curve(drop_intermediate=False) and precision_recall_curve."""
    import warnings

    from sklearn.metrics import precision_recall_curve, roc_curve

    from stages.lib.plot_data import precision_recall_from_counts, roc_from_counts

    y, p = np.asarray(CURVE_CASES[case][0]), np.asarray(CURVE_CASES[case][1])
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    scores, tps, fps = running_counts(y, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one-class splits: scikit-learn warns
        fpr, tpr, thresholds = roc_curve(y, p, drop_intermediate=False)
        precision, recall, pr_thresholds = precision_recall_curve(y, p)
    roc = roc_from_counts(scores, tps, fps, positives, negatives)
    np.testing.assert_array_equal(roc["fpr"], fpr)
    np.testing.assert_array_equal(roc["tpr"], tpr)
    np.testing.assert_array_equal(roc["threshold"], np.minimum(thresholds, 1.0))
    pr = precision_recall_from_counts(scores, tps, fps, positives)
    np.testing.assert_array_equal(pr["precision"], precision)
    np.testing.assert_array_equal(pr["recall"], recall)
    np.testing.assert_array_equal(pr["threshold"], np.append(pr_thresholds, 1.0))


def test_roc_from_counts_equals_the_in_process_table_when_nothing_is_collinear() -> None:
    from stages.lib.plot_data import roc_from_counts, roc_table

    y, p = np.array([0, 1, 0, 1, 1]), np.array([0.1, 0.35, 0.4, 0.8, 0.9])
    scored = pd.DataFrame({"actual": y, "probability": p})
    scores, tps, fps = running_counts(y, p)
    pd.testing.assert_frame_equal(roc_from_counts(scores, tps, fps, 3, 2), roc_table(scored))


def test_the_auc_and_log_loss_formulas_of_the_spark_engine_are_scikit_learns() -> None:
    """The integer AUC numerator and the clipped, fixed-point log loss (computed on Spark
    as in stages/core/spark/evaluate.py) against scikit-learn on random rows with ties."""
    from fractions import Fraction

    from sklearn.metrics import log_loss, roc_auc_score

    from stages.core.spark.evaluate import EPS, FIXED_POINT_BITS

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 2000)
    p = np.concatenate([rng.random(1990).round(2), [0.0, 1.0, 1.0, 0.0, 1e-20] * 2])
    _, tps, fps = running_counts(y, p)
    pos = np.diff(np.concatenate([[0], tps]))
    neg = np.diff(np.concatenate([[0], fps]))
    pairs = sum(
        int(n) * (2 * (int(t) - int(q)) + int(q)) for n, t, q in zip(neg, tps, pos, strict=True)
    )
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    auc = float(Fraction(pairs, 2 * positives * negatives))
    assert auc == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    given = np.clip(np.where(y == 1, p, 1 - p), EPS, 1 - EPS)
    fixed = sum(round(float(v) * 2.0**FIXED_POINT_BITS) for v in -np.log(given))
    loss = float(Fraction(fixed, len(y) << FIXED_POINT_BITS))
    assert loss == pytest.approx(log_loss(y, p), abs=1e-12, rel=0)


def test_the_confusion_csv_from_counts_streams_grouped_lines() -> None:
    from stages.lib.plot_data import confusion_chunks

    chunks = list(confusion_chunks((3, 1, 0, 5), chunk_lines=2))
    assert b"".join(chunks) == b"actual,predicted\n" + b"0,0\n" * 3 + b"0,1\n" + b"1,1\n" * 5
    assert max(len(c) for c in chunks[1:]) == 8  # never more than chunk_lines lines
    grouped = pd.read_csv(io.BytesIO(b"".join(chunks)))
    assert grouped.value_counts().to_dict() == {(1, 1): 5, (0, 0): 3, (0, 1): 1}


def test_calibration_from_sums_is_the_in_process_table() -> None:
    from fractions import Fraction

    from stages.lib.plot_data import calibration_from_sums, calibration_table

    p = np.array([0.05, 0.15, 0.95, 0.12, 1.0, 0.3, 0.7])
    y = np.array([0, 1, 1, 0, 1, 1, 0])
    expected = calibration_table(pd.DataFrame({"actual": y, "probability": p}), bins=10)
    sums = {
        0: (1, Fraction(0.05), 0),
        1: (2, Fraction(0.15) + Fraction(0.12), 1),
        3: (1, Fraction(0.3), 1),
        7: (1, Fraction(0.7), 0),
        9: (2, Fraction(0.95) + Fraction(1.0), 2),
    }
    got = calibration_from_sums(10, sums)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, atol=1e-15, rtol=0)
    assert got["bin_low"].tolist() == expected["bin_low"].tolist()


def test_thin_positions_are_thins_rule() -> None:
    from stages.lib.plot_data import thin, thin_positions

    curve = pd.DataFrame({"x": np.arange(5003)})
    assert thin(curve, 100)["x"].tolist() == thin_positions(5003, 100).tolist()
    assert thin_positions(7, 100).tolist() == list(range(7))
