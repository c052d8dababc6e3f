"""The shape shared by the fit-on-train stages (impute, encode, scale).

Each reads both splits, fits its step on train only (as the notebook does), applies the
fitted step to both splits, and writes the tables and the fitted object.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stages.core.artifacts import SPLITS, read_table, table_path, write_fitted, write_tables
from stages.core.errors import in_file

if TYPE_CHECKING:
    import pandas as pd


def read_splits(folder: Path, columns: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Both splits; with `columns`, only those columns are read from the files."""
    return {split: read_table(table_path(folder, split), columns) for split in SPLITS}


def write_splits(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    write_tables({table_path(folder, split): table for split, table in tables.items()})


def fit_and_apply(
    step: Any, tables: dict[str, pd.DataFrame], target: str | None = None
) -> dict[str, pd.DataFrame]:
    """Fit on the train split only and transform it with `fit_transform`, as a Pipeline
    does (a target encoder returns its cross-fitted values there); transform every other
    split with that one fitted step. With `target`, the train split's target column is
    passed as y (steps that learn from the label)."""
    train = tables["train"]
    labels = train[target].to_numpy() if target is not None else None
    outputs = {"train": step.fit_transform(train, labels)}
    for split, table in tables.items():
        if split != "train":
            outputs[split] = step.transform(table)
    return {split: outputs[split] for split in tables}


def run_fit_stage(
    step: Any,
    tables: dict[str, pd.DataFrame],
    output_folder: Path,
    fitted_path: Path,
    raw_source: str,
    record: dict[str, Any],
    check: Callable[[dict[str, pd.DataFrame]], None] | None = None,
    target: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Fit and apply, then write everything only once all of it (and `check` on the
    outputs) has succeeded; the fitted step is stored with `record`
    (stages.core.fitted.fit_record: what it was fitted with).

    Errors about rows name `raw_source`: row labels still give the raw file's lines.
    """
    with in_file(raw_source):
        outputs = fit_and_apply(step, tables, target)
        if check is not None:
            check(outputs)
    write_splits(outputs, output_folder)
    write_fitted(step, fitted_path, record)
    return outputs
