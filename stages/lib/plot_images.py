"""Static PNGs of the evaluation plots, drawn from the same tables DVC renders.

DVC's HTML plots load their renderer from the network; these images open anywhere and
can be embedded in a report or a PR comment. Agg backend (no display needed), fixed size
and DPI, and no version stamp, so the same tables give byte-identical files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TOP_COEFFICIENTS = 20
_COLORS = {"train": "tab:blue", "test": "tab:orange"}
# Margins for the figures whose text never changes (titles, axis labels, ticks on [0, 1]),
# fixed (close to `tight_layout`'s for the square ones; set by eye for the confusion pair,
# where it gives a negative gap), which spares a full draw of each figure just to measure
# its text (~30 ms a figure). The coefficient chart's labels are feature names,
# so it keeps `tight_layout`.
_SQUARE_MARGINS = {"left": 0.13, "right": 0.97, "bottom": 0.11, "top": 0.935}
_CONFUSION_MARGINS = {"left": 0.06, "right": 0.985, "bottom": 0.155, "top": 0.83, "wspace": 0.135}


def _figure(width: float, height: float) -> Figure:
    """A figure of the object-oriented API: no pyplot state, no display backend."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"font.size": 9, "figure.dpi": 100})
    return Figure(figsize=(width, height))


def roc_figure(curves: dict[str, pd.DataFrame], metrics: dict[str, dict[str, Any]]) -> Figure:
    """ROC per split on one axes (scikit-learn's RocCurveDisplay), labelled with its AUC."""
    from sklearn.metrics import RocCurveDisplay

    figure = _figure(5, 5)
    axes = figure.subplots()
    for position, (split, table) in enumerate(curves.items()):
        display = RocCurveDisplay(
            fpr=table["fpr"].to_numpy(),
            tpr=table["tpr"].to_numpy(),
            roc_auc=metrics[split].get("roc_auc"),
            name=split,
        )
        display.plot(
            ax=axes,
            curve_kwargs={"color": _COLORS.get(split)},
            plot_chance_level=position == len(curves) - 1,
            chance_level_kw={"color": "grey", "linestyle": ":", "label": "chance"},
        )
    _finish(axes, "ROC curve", "false positive rate", "true positive rate")
    return figure


def precision_recall_figure(
    curves: dict[str, pd.DataFrame], metrics: dict[str, dict[str, Any]]
) -> Figure:
    """Precision against recall per split (PrecisionRecallDisplay); the dot is the operating
    point (the threshold)."""
    from sklearn.metrics import PrecisionRecallDisplay

    figure = _figure(5, 5)
    axes = figure.subplots()
    for split, table in curves.items():
        color = _COLORS.get(split)
        display = PrecisionRecallDisplay(
            precision=table["precision"].to_numpy(), recall=table["recall"].to_numpy(), name=split
        )
        display.plot(ax=axes, curve_kwargs={"color": color})
        point = metrics[split]
        axes.plot(point["recall"], point["precision"], "o", color=color)
    _finish(axes, "Precision-recall curve (dot: at the threshold)", "recall", "precision")
    return figure


def confusion_figure(metrics: dict[str, dict[str, Any]]) -> Figure:
    """One 2x2 count matrix per split (ConfusionMatrixDisplay; rows actual, columns predicted),
    from the split's counts in metrics.json: the counts its confusion CSV holds line by line,
    so either engine draws it without reading that rows-sized file back."""
    from sklearn.metrics import ConfusionMatrixDisplay

    figure = _figure(4 * len(metrics), 3.6)
    panels = figure.subplots(1, len(metrics), squeeze=False)
    for axes, (split, values) in zip(panels[0], metrics.items(), strict=True):
        # confusion_matrix's layout: rows actual, columns predicted.
        counts = np.asarray([values[key] for key in ("tn", "fp", "fn", "tp")]).reshape(2, 2)
        display = ConfusionMatrixDisplay(counts, display_labels=["0", "1"])
        display.plot(ax=axes, cmap="Blues", colorbar=False, text_kw={"fontsize": 12})
        axes.set_xlabel("predicted")
        axes.set_ylabel("actual")
        axes.set_title(f"{split}: {int(np.trace(counts))}/{values['n']} right")
    figure.suptitle("Confusion matrix")
    figure.subplots_adjust(**_CONFUSION_MARGINS)
    return figure


def calibration_figure(curves: dict[str, pd.DataFrame]) -> Figure:
    """Fraction positive against mean predicted probability per bin (CalibrationDisplay);
    marker area grows with the bin's row count, which CalibrationDisplay does not show."""
    from sklearn.calibration import CalibrationDisplay

    figure = _figure(5, 5)
    axes = figure.subplots()
    for position, (split, table) in enumerate(curves.items()):
        color = _COLORS.get(split)
        display = CalibrationDisplay(
            prob_true=table["fraction_positive"].to_numpy(),
            prob_pred=table["mean_predicted"].to_numpy(),
            y_prob=None,
        )
        display.plot(ax=axes, name=split, ref_line=position == 0, color=color, marker="none")
        axes.scatter(
            table["mean_predicted"],
            table["fraction_positive"],
            s=np.sqrt(table["count"].to_numpy(dtype=float)) * 6,
            color=color,
        )
    _finish(
        axes,
        "Calibration (marker size: rows in bin)",
        "mean predicted probability",
        "fraction positive",
    )
    return figure


def coefficients_figure(table: pd.DataFrame, top: int = TOP_COEFFICIENTS) -> Figure:
    """The `top` coefficients by magnitude, as horizontal bars sorted by value."""
    chosen = table.assign(size=table["coefficient"].abs())
    chosen = chosen.sort_values(["size", "feature"], ascending=[False, True]).head(top)
    chosen = chosen.sort_values(["coefficient", "feature"])
    figure = _figure(6, 0.25 * max(len(chosen), 4) + 1.2)
    axes = figure.subplots()
    colors = ["tab:red" if value < 0 else "tab:green" for value in chosen["coefficient"]]
    axes.barh(chosen["feature"].astype(str), chosen["coefficient"], color=colors)
    axes.axvline(0, color="grey", linewidth=0.8)
    shown = f"top {len(chosen)} of {len(table)} by magnitude" if len(table) > top else "all"
    axes.set_title(f"Model coefficients ({shown})")
    axes.set_xlabel("coefficient (on the scaled design matrix)")
    figure.tight_layout()
    return figure


def _finish(axes: Axes, title: str, xlabel: str, ylabel: str) -> None:
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-0.02, 1.02)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, linewidth=0.3)
    axes.legend(loc="best")
    figure = axes.get_figure(root=True)
    if figure is not None:
        figure.subplots_adjust(**_SQUARE_MARGINS)


def all_figures(
    tables: dict[str, dict[str, pd.DataFrame]], coefficients: pd.DataFrame, metrics: dict[str, Any]
) -> dict[str, Figure]:
    """name → figure, for tables[split][curve] as written by evaluate (the confusion matrix
    from the counts in `metrics`)."""

    def by_split(curve: str) -> dict[str, pd.DataFrame]:
        return {split: curves[curve] for split, curves in tables.items()}

    figures = {
        "roc": roc_figure(by_split("roc"), metrics),
        "precision_recall": precision_recall_figure(by_split("precision_recall"), metrics),
        "confusion": confusion_figure({split: metrics[split] for split in tables}),
        "calibration": calibration_figure(by_split("calibration")),
    }
    if len(coefficients):
        figures["coefficients"] = coefficients_figure(coefficients)
    return figures
