"""Stage 3, impute: data/featured → data/imputed + models/imputer.joblib.

Keeps only the features and the target, checks each feature's type (numbers in numeric
columns, reported with the raw file's line), and fills missing values per
params.impute.columns with statistics learned on the train split.
"""

from __future__ import annotations

from stages.core.artifacts import FEATURED_DIR, IMPUTED_DIR, IMPUTER_PATH, table_path
from stages.core.cli import run_cli, stage_parser
from stages.core.contracts import as_written, require_columns
from stages.core.engines import get_engine
from stages.core.fitted import fit_record
from stages.core.params import load_params
from stages.lib.fit_stage import read_splits, run_fit_stage
from stages.lib.transformers import build_impute_step


def main(argv: list[str] | None = None) -> None:
    args = stage_parser(__doc__).parse_args(argv)
    params = load_params(args.params)
    if get_engine(params).run("impute", params, args):
        return
    source = params.data.train_path
    columns = [*params.features.columns, params.data.target]
    tables = read_splits(FEATURED_DIR, columns)
    for split, table in tables.items():
        # The table, not the raw CSV, lacks it (e.g. made before features changed).
        path = table_path(FEATURED_DIR, split)
        require_columns(table, columns, "listed in params; dvc repro remakes it", f"{path}: ")
    tables = {split: table[columns] for split, table in tables.items()}
    step = build_impute_step(params)
    run_fit_stage(step, tables, IMPUTED_DIR, IMPUTER_PATH, source, fit_record("impute", params))
    fills = step.named_steps["impute"].fill_values_
    print(
        "impute: fill values learned on train: "
        + ", ".join(f"{c}={as_written(v)}" for c, v in fills.items())
    )


if __name__ == "__main__":
    run_cli(main)
