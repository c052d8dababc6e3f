"""Metrics against a case small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from stages.core.metrics import classification_metrics, classify, rank_by_score
from stages.core.plot_data import confusion_csv


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
    """Counts-based accuracy/precision/recall/F1 and the pre-ranked ROC AUC are the very
    floats scikit-learn's own functions give (metrics.json must not move by one bit)."""
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 20_000))
    y = rng.integers(0, 2, n)
    p = rng.random(n).round(int(rng.integers(1, 6)))  # ties included
    threshold = float(rng.choice([0.3, 0.5, 0.9]))
    predicted = classify(p, threshold)
    expected = {
        "accuracy": accuracy_score(y, predicted),
        "precision": precision_score(y, predicted, zero_division=0),
        "recall": recall_score(y, predicted, zero_division=0),
        "f1": f1_score(y, predicted, zero_division=0),
        "roc_auc": roc_auc_score(y, p),
    }
    for ranked in (None, rank_by_score(y, p)):
        got = classification_metrics(y, p, threshold, ranked)
        assert {key: got[key] for key in expected} == {k: float(v) for k, v in expected.items()}


def test_the_confusion_csv_is_pandas_own_bytes() -> None:
    table = pd.DataFrame({"actual": [0, 1, 1, 0], "predicted": [1, 0, 1, 0]})
    assert confusion_csv(table) == table.to_csv(index=False, lineterminator="\n").encode()
    odd = pd.DataFrame({"actual": [0, 2], "predicted": [1, 0]})  # not 0/1: pandas' path
    assert confusion_csv(odd) == b"actual,predicted\n0,1\n2,0\n"
