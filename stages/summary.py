"""The short metrics table `make repro` and `make tuned` end with: a few metrics per split.

`dvc metrics show` prints every metric of every split on one line over 400 characters wide;
the numbers a reader looks for first are accuracy (against the majority-class baseline it
has to beat) and ROC AUC, per split, plus the cross-validation means when the search ran.
`make metrics` still prints the full table.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stages.core.artifacts import METRICS_PATH
from stages.core.cli import run_cli
from stages.lib.gate import read_metrics

# (column heading, key in a split's metrics, key in the `cv` section)
COLUMNS = (
    ("accuracy", "accuracy", "accuracy_mean"),
    ("roc_auc", "roc_auc", "roc_auc_mean"),
    ("baseline_accuracy", "baseline_accuracy", None),
)
SPLITS = ("train", "test")
CV_ROW = "cv (mean)"
FOOTER = "every metric: make metrics"


def rows(metrics: dict[str, Any]) -> list[list[str]]:
    """Heading, then one row per split present (and the CV means when the search ran)."""
    table = [["split", *(heading for heading, _, _ in COLUMNS)]]
    for split in SPLITS:
        values = metrics.get(split)
        if isinstance(values, dict):
            table.append([split, *(_cell(values.get(key)) for _, key, _ in COLUMNS)])
    cv = metrics.get("cv")
    if isinstance(cv, dict):
        table.append([CV_ROW, *(_cell(cv.get(key) if key else None) for _, _, key in COLUMNS)])
    return table


def lines(metrics: dict[str, Any]) -> list[str]:
    """The table as left-aligned text columns, then where to find the rest."""
    table = rows(metrics)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    text = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    return [line.rstrip() for line in text] + [FOOTER]


def _cell(value: Any) -> str:
    return f"{value:.6f}" if isinstance(value, int | float) and not isinstance(value, bool) else "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stages.summary", description=__doc__)
    parser.add_argument(
        "--metrics",
        default=str(METRICS_PATH),
        help="metrics file to summarise (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    for line in lines(read_metrics(Path(args.metrics))):
        print(line)


if __name__ == "__main__":
    run_cli(main)
