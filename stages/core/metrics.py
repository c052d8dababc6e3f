"""Classification metrics for one split, as plain JSON-ready numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def classify(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Positive when the probability is at or above the threshold (the notebook's rule)."""
    return (probabilities >= threshold).astype("int8")


def classification_metrics(
    y_true: ArrayLike, probabilities: ArrayLike, threshold: float
) -> dict[str, Any]:
    """Counts and scores for one split; roc_auc is null when the split has one class."""
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    y_true = np.asarray(y_true).astype(int)
    predicted = classify(np.asarray(probabilities), threshold)
    tn, fp, fn, tp = confusion_matrix(y_true, predicted, labels=[0, 1]).ravel()
    both_classes = len(np.unique(y_true)) == 2
    return {
        "n": len(y_true),
        "tp": int(tp),
        "fp": int(fp),
        "tn": int(tn),
        "fn": int(fn),
        "accuracy": float(accuracy_score(y_true, predicted)),
        "precision": float(precision_score(y_true, predicted, zero_division=0)),
        "recall": float(recall_score(y_true, predicted, zero_division=0)),
        "f1": float(f1_score(y_true, predicted, zero_division=0)),
        "roc_auc": float(roc_auc_score(y_true, probabilities)) if both_classes else None,
        "log_loss": float(log_loss(y_true, probabilities, labels=[0, 1])),
    }
