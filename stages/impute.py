"""Stage 2, impute: data/split → data/imputed + models/imputer.joblib.

Checks that every feature column has the expected type (numbers in numeric columns),
keeps only features and target, and fills missing values per params.impute.columns with
statistics learned on the train split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stages.core.artifacts import IMPUTED_DIR, IMPUTER_PATH, SPLIT_DIR
from stages.core.cli import run_cli, stage_parser
from stages.core.contracts import conform_features
from stages.core.params import Params, load_params
from stages.core.stage import read_splits, run_fit_stage
from stages.core.transformers import build_imputer

if TYPE_CHECKING:
    import pandas as pd


def model_inputs(
    table: pd.DataFrame, params: Params, source: str, *, fitting: bool
) -> pd.DataFrame:
    """Features (typed and checked) and the target: the only columns later stages use.

    A feature with no value at all in the train split cannot be learned from; in another
    split it can still be imputed, so only the train split is held to that.
    """
    features = params.features
    conformed = conform_features(
        table,
        features.numeric,
        features.categorical,
        source,
        require_values=features.columns if fitting else (),
    )
    return conformed[[*features.columns, params.data.target]]


def main(argv: list[str] | None = None) -> None:
    args = stage_parser(__doc__).parse_args(argv)
    params = load_params(args.params)
    source = params.data.train_path
    tables = {
        split: model_inputs(table, params, source, fitting=split == "train")
        for split, table in read_splits(SPLIT_DIR).items()
    }
    imputer = build_imputer(params)
    run_fit_stage(imputer, tables, IMPUTED_DIR, IMPUTER_PATH, source)
    fills = ", ".join(f"{col}={value!r}" for col, value in imputer.fill_values_.items())
    print(f"impute: fill values learned on train: {fills}")


if __name__ == "__main__":
    run_cli(main)
