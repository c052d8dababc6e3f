"""Stage 1, split: raw labelled CSV → data/split/{train,test}.parquet.

Checks the raw file's contract (columns, two target classes), maps the target to 0/1 and
splits exactly like the notebook's `train_test_split(X, y, random_state=0)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stages.core.artifacts import SPLIT_DIR, file_sha256, table_path, write_table
from stages.core.cli import run_cli, stage_parser
from stages.core.contracts import binary_target, read_csv_checked
from stages.core.errors import DataError
from stages.core.fitted import source_record
from stages.core.params import Params, load_params
from stages.core.splitting import split_positions

if TYPE_CHECKING:
    import pandas as pd


def split_table(
    raw: pd.DataFrame, params: Params, source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test rows (target as 0/1), keeping each row's raw position as its label."""
    target = params.data.target
    labels = binary_target(raw, target, params.data.positive_label, source)
    table = raw.assign(**{target: labels})
    settings = params.split
    train, test = split_positions(
        len(table), settings.test_size, settings.random_state, labels if settings.stratify else None
    )
    train_classes = labels.iloc[train].unique()
    if len(train_classes) < 2:
        raise DataError(
            f"{source}: the train split holds only class {int(train_classes[0])} of "
            f"{target!r}; a model needs both (use more rows, or split.stratify: true)"
        )
    return table.iloc[train], table.iloc[test]


def target_labels(raw: pd.DataFrame, train: pd.DataFrame, params: Params) -> tuple[Any, Any]:
    """The target's (negative, positive) values as the file spells them: predict can write
    them back (predict.labels: original). The negative one is the other class in train."""
    target, positive = params.data.target, params.data.positive_label
    negatives = raw[target].loc[train.index[train[target] == 0]]
    negative = negatives.iloc[0]
    negative = str(negative) if isinstance(positive, str) else negative
    return getattr(negative, "item", lambda: negative)(), positive


def main(argv: list[str] | None = None) -> None:
    args = stage_parser(__doc__).parse_args(argv)
    params = load_params(args.params)
    data = params.data
    raw = read_csv_checked(
        data.train_path,
        params.raw_columns(),
        delimiter=data.delimiter,
        na_values=data.na_values,
    )
    train, test = split_table(raw, params, data.train_path)
    # What the tables were made from travels in their metadata: the fitted steps record it.
    sha256 = file_sha256(data.train_path)
    source = source_record(data.train_path, sha256, target_labels(raw, train, params), params)
    write_table(train, table_path(SPLIT_DIR, "train"), source)
    write_table(test, table_path(SPLIT_DIR, "test"), source)
    print(f"split: {len(train)} train rows, {len(test)} test rows")


if __name__ == "__main__":
    run_cli(main)
