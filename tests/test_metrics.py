"""Metrics against a case small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stages.core.metrics import classification_metrics, classify


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
