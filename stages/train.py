"""Stage 5, train: data/scaled/train.parquet → models/model.joblib.

Fits the classifier (with its design-matrix adapter) on the train split only.
"""

from __future__ import annotations

from stages.core.artifacts import MODEL_PATH, SCALED_DIR, read_table, table_path, write_object
from stages.core.cli import run_cli, stage_parser
from stages.core.errors import about
from stages.core.model import build_model
from stages.core.params import load_params


def main(argv: list[str] | None = None) -> None:
    args = stage_parser(__doc__).parse_args(argv)
    params = load_params(args.params)
    train = read_table(table_path(SCALED_DIR, "train"))
    model = build_model(params)
    with about(params.data.train_path):
        model.fit(train[params.features.columns], train[params.data.target].to_numpy())
    write_object(model, MODEL_PATH)
    n_features = len(model.named_steps["design"].get_feature_names_out())
    print(f"train: fitted on {len(train)} rows, {n_features} model inputs")


if __name__ == "__main__":
    run_cli(main)
