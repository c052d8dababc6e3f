"""Stage 6, train: data/scaled/train.parquet → models/model.joblib + models/search.json.

Fits the classifier (with its design-matrix adapter) on the train split only. With
train.search.enabled, first picks the model's hyperparameters by stratified k-fold
cross-validation of the whole chain on the raw train split (data/split/train.parquet),
refitting every preprocessing step inside each fold; the test split is never read.
"""

from __future__ import annotations

from typing import Any

from stages.core.artifacts import (
    MODEL_PATH,
    SCALED_DIR,
    SEARCH_PATH,
    SPLIT_DIR,
    read_source,
    read_table,
    table_path,
    write_fitted,
    write_json,
)
from stages.core.cli import run_cli, stage_parser
from stages.core.contracts import check_model_input
from stages.core.engines import get_engine
from stages.core.errors import in_file
from stages.core.fitted import fit_record
from stages.core.params import Params, load_params
from stages.lib.model import build_model, check_categories_fit_model, check_model_settings


def choose_params(params: Params) -> tuple[Params, dict[str, Any]]:
    """The params to fit with, and the search summary (just `enabled: false` when off)."""
    if not params.train.search.enabled:
        return params, {"enabled": False}
    from stages.lib.search import search

    with in_file(params.data.train_path):
        chosen, report = search(params, read_table(table_path(SPLIT_DIR, "train")))
    scoring = report["scoring"]
    repeats = f" x {report['repeats']}" if report["repeats"] > 1 else ""
    print(
        f"train: search over {report['candidates']} candidates, {report['folds']}-fold{repeats} "
        f"CV {scoring} {report[f'{scoring}_mean']:.4f} ± {report[f'{scoring}_std']:.4f}, "
        f"best {report['best']}"
    )
    if "nested" in report:
        outer = report["nested"]
        print(
            f"train: nested CV ({outer['folds']} outer folds around the search) {scoring} "
            f"{outer[f'{scoring}_mean']:.4f} ± {outer[f'{scoring}_std']:.4f}"
        )
    return chosen, report


def main(argv: list[str] | None = None) -> None:
    from threadpoolctl import threadpool_limits

    args = stage_parser(__doc__).parse_args(argv)
    params = load_params(args.params)
    if get_engine(params).run("train", params, args):
        return
    # One thread: on a few hundred rows OpenMP's start-up costs more than it saves (5-fold
    # CV of the tree model: ~10 s with 2 threads on a busy machine, ~1 s with one), and
    # results then cannot depend on the machine's core count.
    check_model_settings(params)
    with threadpool_limits(limits=1):
        chosen, report = choose_params(params)
        train = read_table(table_path(SCALED_DIR, "train"))
        check_model_input(train, chosen, table_path(SCALED_DIR, "train"))
        model = build_model(chosen)
        with in_file(params.data.train_path):
            check_categories_fit_model(chosen, train)
            model.fit(train[params.features.columns], train[params.data.target].to_numpy())
    # The record holds params as given (a search's choice is in search.json) and what the
    # split tables were made from: the training CSV's sha256 and the target's labels.
    source = read_source(table_path(SPLIT_DIR, "train"))
    write_fitted(model, MODEL_PATH, fit_record("train", params, source))
    write_json(report, SEARCH_PATH)
    n_features = len(model.named_steps["design"].get_feature_names_out())
    print(f"train: {chosen.train.model} fitted on {len(train)} rows, {n_features} model inputs")


if __name__ == "__main__":
    run_cli(main)
