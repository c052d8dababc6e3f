"""Stage 8, predict: score new rows with the fitted chain → data/predictions.csv.

The rows take the same path as the training rows (derivations, type checks, imputer,
encoder, scaler, model, all as fitted by the stages), composed into one Pipeline. As a
DVC stage it scores params.data.predict_path; as a CLI, any file with the training columns:

    python -m stages.predict --input new.csv --output scored.csv

It scores on the engine params.engine.name selects; `--engine sklearn` scores in this
process whichever engine fitted the chain (the fitted artifacts are scikit-learn objects
either way), so a Spark-trained chain scores a CSV with no cluster.

The output has the id column (if params.data.id_column is set), the predicted class under
the target's name (0/1, or the training file's own labels with predict.labels: original),
and the positive-class probability.

It refuses to write over anything it would destroy (stages.lib.outputs: the input, params,
DVC's files and outputs, .git/; an existing file only with --overwrite unless predict wrote
it), and to score with fitted artifacts that no longer match params.yaml or the training
data (stages.core.fitted; --allow-stale scores anyway, with a warning).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from stages.core.artifacts import MODEL_PATH, write_csv
from stages.core.cli import allow_stale_option, run_cli, stage_parser
from stages.core.contracts import as_written, check_raw_rows, line_of, read_csv_checked
from stages.core.engines import get_engine
from stages.core.errors import DataError, in_file
from stages.core.fitted import check_fitted, labels_of
from stages.core.params import Params, load_params
from stages.lib.metrics import classify
from stages.lib.outputs import check_output, record_written

if TYPE_CHECKING:
    import pandas as pd


def input_columns(params: Params) -> dict[str, str]:
    """Columns a file to score must have: the training columns, less the target."""
    return params.raw_columns(with_target=False)


def check_rows(frame: pd.DataFrame, params: Params, source: str) -> None:
    """Ids must identify rows; for the linear model, a feature with no value at all can only
    be scored if an impute strategy fills it."""
    id_column = params.data.id_column
    if id_column is not None:
        missing = frame[id_column].isna()
        if missing.any():
            first = int(missing.to_numpy().argmax())
            raise DataError(
                f"{source}: column {id_column!r}, line {line_of(frame.index[first])}: the id is "
                "missing (every row to score needs one; or set data.id_column: null)"
            )
        duplicated = frame[id_column].duplicated()
        if duplicated.any():
            first = int(duplicated.to_numpy().argmax())
            raise DataError(
                f"{source}: column {id_column!r}, line {line_of(frame.index[first])}: "
                f"id {as_written(frame[id_column].iloc[first])} appears more than once"
            )
    if not params.linear_model_used:
        return  # tree models route missing values natively
    for column in params.features.columns:
        if column not in frame.columns:
            continue  # derived by featurize: its inputs were checked instead
        if frame[column].isna().all() and column not in params.impute.columns:
            raise DataError(
                f"{source}: column {column!r}: every value is missing and it has no impute "
                f"strategy (impute.columns.{column})"
            )


def predictions(
    chain: Any, frame: pd.DataFrame, params: Params, labels: tuple[Any, Any] | None = None
) -> pd.DataFrame:
    """The id, predicted class and probability of each row, in input order; with `labels`
    (negative, positive), the class is written as those labels instead of 0/1."""
    import pandas as pd

    probability = chain.predict_proba(frame)[:, 1]
    out = pd.DataFrame(index=frame.index)
    if params.data.id_column is not None:
        out[params.data.id_column] = frame[params.data.id_column]
    predicted = pd.Series(classify(probability, params.predict.threshold), index=frame.index)
    out[params.data.target] = (
        predicted if labels is None else predicted.map(dict(enumerate(labels)))
    )
    if params.predict.probability_column:
        out[params.predict.probability_column] = probability
    return out


def output_labels(params: Params, record: dict[str, Any] | None) -> tuple[Any, Any] | None:
    """(negative, positive) as the training file spells them, or None for 0/1."""
    if params.predict.labels == "binary":
        return None
    labels = labels_of(record)
    if labels is None:
        raise DataError(
            f"{MODEL_PATH} records no target labels (predict.labels: original needs them); "
            "run `dvc repro`"
        )
    return labels


def main(argv: list[str] | None = None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--input", help="CSV to score (default: params data.predict_path)")
    parser.add_argument("--output", help="CSV to write (default: params data.predictions_path)")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing --output file"
    )
    parser.add_argument(
        "--engine",
        choices=["sklearn", "spark"],
        help="score in this process (sklearn: no cluster needed, whichever engine fitted the "
        "chain) or on Spark (default: params engine.name)",
    )
    allow_stale_option(parser, "score")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    input_path = Path(args.input or params.data.predict_path)
    output_path = check_output(
        Path(args.output or params.data.predictions_path),
        input_path=input_path,
        params_path=Path(args.params),
        params_values=params.model_dump(mode="json"),
        own_output=params.data.predictions_path,
        overwrite=args.overwrite,
    )

    from stages.lib.model import load_fitted

    chain, records = load_fitted()
    check_fitted(records, params, args.params, allow_stale=args.allow_stale)
    labels = output_labels(params, records[MODEL_PATH])
    scored = get_engine(params, args.engine).score_csv(params, chain, input_path, labels)
    if scored is None:  # the scikit-learn engine: this process
        scored = score_in_process(params, chain, input_path, labels)
    shown_path = args.output or params.data.predictions_path
    write_csv(scored, output_path)
    record_written(output_path)
    positives = int((scored[params.data.target] == (labels or (0, 1))[1]).sum())
    print(f"predict: {len(scored)} rows scored ({positives} positive) → {shown_path}")


def score_in_process(
    params: Params, chain: Any, input_path: Path, labels: tuple[Any, Any] | None
) -> pd.DataFrame:
    """The scikit-learn engine: read, check and score the CSV in this process."""
    frame = read_csv_checked(
        input_path,
        input_columns(params),
        delimiter=params.data.delimiter,
        na_values=params.data.na_values,
        strip_whitespace=params.data.strip_whitespace,
        text_columns=[] if params.data.id_column is None else [params.data.id_column],
    )
    check_rows(frame, params, str(input_path))
    check_raw_rows(frame, params, input_path, labelled=False)
    with in_file(str(input_path)):
        return predictions(chain, frame, params, labels)


if __name__ == "__main__":
    run_cli(main)
