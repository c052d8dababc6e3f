"""Stage 1, split: raw labelled CSV → data/split/{train,test}.parquet.

Checks the raw file's whole contract before writing anything (columns, two target classes,
types, missing values without a strategy, checks.ranges, rows per class in each split),
maps the target to 0/1 and splits exactly like the notebook's
`train_test_split(X, y, random_state=0)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stages.core.artifacts import SPLIT_DIR, cached_sha256, table_path, write_tables
from stages.core.cli import run_cli, stage_parser
from stages.core.contracts import as_written, binary_target, check_raw_rows, read_csv_checked
from stages.core.engines import get_engine
from stages.core.fitted import source_record
from stages.core.params import Params, load_params
from stages.lib.splitting import check_class_rows, hash_positions, split_positions, take_splits

if TYPE_CHECKING:
    import pandas as pd


def split_table(
    raw: pd.DataFrame, params: Params, source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test rows (target as 0/1), keeping each row's raw label."""
    target = params.data.target
    labels = binary_target(raw, target, params.data.positive_label, source)
    check_raw_rows(raw, params, source, labelled=True)
    table = raw.assign(**{target: labels})
    settings = params.split
    if settings.method == "hash":
        id_column = params.data.id_column
        keys = raw[id_column] if id_column is not None else None
        train, test = hash_positions(
            keys, len(table), settings.test_size, settings.random_state, id_column or ""
        )
    else:
        train, test = split_positions(
            len(table),
            settings.test_size,
            settings.random_state,
            labels if settings.stratify else None,
        )
    names = {int(c): as_written(raw[target].to_numpy()[labels.to_numpy() == c][0]) for c in (0, 1)}
    minimum = params.checks.min_class_rows.model_dump()
    check_class_rows(labels, {"train": train, "test": test}, minimum, names, target, source)
    # Columns in params' order (target, id, features), the order featurize writes: with no
    # derivations it then passes these tables through as they are (stages/featurize.py).
    first = [column for column in params.raw_columns() if column in table.columns]
    order = first + [column for column in table.columns if column not in first]
    tables = take_splits(table, {"train": train, "test": test}, order)
    return tables["train"], tables["test"]


def target_labels(raw: pd.DataFrame, train: pd.DataFrame, params: Params) -> tuple[Any, Any]:
    """The target's (negative, positive) values as the file spells them: predict can write
    them back (predict.labels: original). The negative one is the other class in train."""
    target, positive = params.data.target, params.data.positive_label
    negatives = raw[target].loc[train.index[train[target] == 0]]
    negative = negatives.iloc[0]
    negative = str(negative) if isinstance(positive, str) else negative
    return getattr(negative, "item", lambda: negative)(), positive


def ids_unused(params: Params) -> list[str]:
    """The id column when nothing here uses its values: the header must have it (the
    file's contract), but only a split by id (split.method: hash) reads it."""
    id_column = params.data.id_column
    return [id_column] if id_column is not None and params.split.method != "hash" else []


def main(argv: list[str] | None = None) -> None:
    args = stage_parser(__doc__).parse_args(argv)
    params = load_params(args.params)
    if get_engine(params).run("split", params, args):
        return
    data = params.data
    required = params.raw_columns()
    for column in params.checks.ranges:
        required.setdefault(column, f"checks.ranges.{column}")
    raw = read_csv_checked(
        data.train_path,
        required,
        delimiter=data.delimiter,
        na_values=data.na_values,
        strip_whitespace=data.strip_whitespace,
        text_columns=[data.id_column] if data.id_column is not None else [],
        only_required=True,  # split depends on these params (dvc.yaml): a new column reruns it
        unparsed=ids_unused(params),
    )
    train, test = split_table(raw, params, data.train_path)
    # What the tables were made from travels in their metadata: the fitted steps record it.
    sha256 = cached_sha256(data.train_path)  # remembered: evaluate/predict check it cheaply
    source = source_record(data.train_path, sha256, target_labels(raw, train, params), params)
    write_tables(
        {table_path(SPLIT_DIR, "train"): train, table_path(SPLIT_DIR, "test"): test}, source
    )
    print(f"split: {len(train)} train rows, {len(test)} test rows")


if __name__ == "__main__":
    run_cli(main)
