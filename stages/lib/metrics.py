"""Classification metrics for one split, as plain JSON-ready numbers."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


class Ranked:
    """One split's labels and scores ordered by score (`rank_by_score`), unpacked as
    `labels, scores`; with the ROC curve computed from them at most once, since ROC AUC
    is the area under that same curve (scikit-learn's `roc_auc_score` is `auc` of
    `roc_curve`) and the plotted curve is drawn from it (10M rows: ~1.7 s less)."""

    def __init__(self, labels: np.ndarray, scores: np.ndarray) -> None:
        self.labels = labels
        self.scores = scores

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.labels, self.scores))

    @cached_property
    def roc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`roc_curve(labels, scores)`: (fpr, tpr, thresholds)."""
        from sklearn.metrics import roc_curve

        fpr, tpr, thresholds = roc_curve(self.labels, self.scores)
        return fpr, tpr, thresholds

    def roc_auc(self) -> float:
        """`roc_auc_score(labels, scores)`, bit for bit: `auc` of the same curve."""
        from sklearn.metrics import auc

        fpr, tpr, _ = self.roc
        return float(auc(fpr, tpr))


def summary_lines(metrics: dict[str, Any]) -> list[str]:
    """evaluate's closing lines: right/total, accuracy, roc_auc and the baseline per split."""
    lines = []
    for split in ("train", "test"):
        values = metrics[split]
        right = values["tp"] + values["tn"]
        lines.append(
            f"evaluate: {split}: {right}/{values['n']} right, accuracy {values['accuracy']:.6f}, "
            f"roc_auc {values['roc_auc']} (majority-class baseline accuracy "
            f"{values['baseline_accuracy']:.6f})"
        )
    return lines


def classify(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Positive when the probability is at or above the threshold (the notebook's rule)."""
    return (probabilities >= threshold).astype("int8")


def rank_by_score(y_true: ArrayLike, probabilities: ArrayLike) -> Ranked:
    """Labels and scores sorted by score, the one sort every ranking metric needs.

    ROC AUC, the ROC and the precision-recall curves each sort the scores inside
    scikit-learn (a stable argsort: 0.7 s per 750k rows); on scores already in order that
    sort is a linear pass (timsort), so sorting once here serves them all. Ties are grouped
    by the curves (their counts are sums of 0/1 labels, exact in any order), so the order
    among equal scores changes nothing, and numpy's default sort, not stable but
    deterministic, serves (7.5M rows: 1.05 s against 1.4 s for a stable one).
    """
    scores = np.asarray(probabilities, dtype=np.float64)
    order = np.argsort(scores)
    return Ranked(np.asarray(y_true).astype(int)[order], scores[order])


def confusion_counts(y_true: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int, int]:
    """(tn, fp, fn, tp) of 0/1 labels and predictions, in one counting pass."""
    tn, fp, fn, tp = np.bincount(2 * y_true + predicted, minlength=4)[:4]
    return int(tn), int(fp), int(fn), int(tp)


def count_metrics(tn: int, fp: int, fn: int, tp: int) -> dict[str, Any]:
    """n, the four counts, accuracy, precision, recall and F1 of one split, from its counts.

    scikit-learn's own formulas, in the same float64 operations, so the same bits as its
    metric functions (which would each re-validate and re-count the whole split). Both
    engines call this: the scikit-learn engine counts rows in process, the Spark engine
    counts them on Spark; either way only four integers reach it.
    """
    return {
        "n": tn + fp + fn + tp,
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "accuracy": float(np.float64(tp + tn) / (tn + fp + fn + tp)),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        # sklearn: (1 + beta²)·tp / (beta²·(tp + fn) + (tp + fp)), beta = 1, in float64.
        "f1": _ratio(2.0 * tp, float(tp + fn) + float(tp + fp)),
    }


def classification_metrics(
    y_true: ArrayLike, probabilities: ArrayLike, threshold: float, ranked: Ranked | None = None
) -> dict[str, Any]:
    """Counts and scores for one split; roc_auc is null when the split has one class.

    The count-based metrics come from `count_metrics`; roc_auc and log_loss from
    scikit-learn on the rows. `ranked` (`rank_by_score`) spares a sort.
    """
    y_true = np.asarray(y_true).astype(int)
    probabilities = np.asarray(probabilities)
    tn, fp, fn, tp = confusion_counts(y_true, classify(probabilities, threshold).astype(int))
    both_classes = tp + fn > 0 and tn + fp > 0
    if both_classes and ranked is None:
        ranked = rank_by_score(y_true, probabilities)
    return {
        **count_metrics(tn, fp, fn, tp),
        "roc_auc": ranked.roc_auc() if ranked is not None and both_classes else None,
        "log_loss": binary_log_loss(y_true, probabilities),
    }


def binary_log_loss(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    """scikit-learn's `log_loss(y_true, probabilities, labels=[0, 1])` for 0/1 labels, in
    its own float64 operations, so the same bits (a test compares them): each row's
    probability of its own class, clipped to [eps, 1 - eps], its negative log, averaged
    by `np.average`. What it adds: none of log_loss's checks and one-hot (n, 2) arrays,
    which cost 0.24 s per 750k rows against 0.006 s (2.7 s at 7.5M rows)."""
    eps = np.finfo(np.float64).eps
    own_class = np.where(y_true == 1, probabilities, 1 - probabilities)
    return float(np.average(-np.log(np.clip(own_class, eps, 1 - eps))))


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator in float64; 0.0 when the denominator is 0 (zero_division=0)."""
    return float(np.float64(numerator) / denominator) if denominator else 0.0
