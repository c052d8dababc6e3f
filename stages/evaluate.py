"""Stage 7, evaluate: model + data/scaled → metrics/metrics.json + data/scored.

Scores both splits with the trained model and writes `{"train": {...}, "test": {...}}`
metrics, plus each split's per-row scores (actual, probability, predicted), the plot data
DVC renders (plots/<split>/*.csv, plots/coefficients.csv) and static PNGs of the same
plots (plots/images/*.png). It refuses a model whose record (stages.core.fitted) does not
match params.yaml or the training data, unless given --allow-stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from stages.core.artifacts import (
    COEFFICIENTS_PATH,
    METRICS_PATH,
    MODEL_PATH,
    SCALED_DIR,
    SCORED_DIR,
    SEARCH_PATH,
    SPLITS,
    image_path,
    plot_path,
    read_fitted,
    read_json,
    read_table,
    table_path,
    write_chunks,
    write_csv,
    write_figure,
    write_json,
    write_tables,
)
from stages.core.cli import allow_stale_option, run_cli, stage_parser
from stages.core.contracts import check_model_input
from stages.core.engines import get_engine
from stages.core.errors import in_file
from stages.core.fitted import check_fitted
from stages.core.params import Params, load_params
from stages.lib.metrics import (
    Ranked,
    classification_metrics,
    classify,
    rank_by_score,
    summary_lines,
)

T = TypeVar("T")
R = TypeVar("R")

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    import pandas as pd


def score_table(model: Any, table: pd.DataFrame, params: Params) -> pd.DataFrame:
    """One row per example: actual class, positive-class probability, predicted class."""
    import pandas as pd

    probability = model.predict_proba(table[params.features.columns])[:, 1]
    return pd.DataFrame(
        {
            "actual": table[params.data.target].to_numpy(),
            "probability": probability,
            "predicted": classify(probability, params.predict.threshold),
        },
        index=table.index,
    )


def per_split(work: Callable[[T], R], inputs: Mapping[str, T]) -> dict[str, R]:
    """`work` on each split's input, the splits on threads side by side: sorting, fancy
    indexing and numpy's arithmetic release the GIL, so the test split's work runs on the
    second core while the train split's runs on the first (10M rows: ~1.2 s less). Each
    split's result is what it would be alone; an error is the first split's, in order."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(len(inputs), 1)) as pool:
        results = list(pool.map(work, inputs.values()))
    return dict(zip(inputs, results, strict=True))


def evaluate(
    model: Any, tables: dict[str, pd.DataFrame], params: Params
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Ranked]]:
    """Per-split scores and metrics, with the majority-class baseline of each split, and
    each split's scores ranked once (for the metrics here and the curves in the plots)."""
    threshold = params.predict.threshold

    def score_and_rank(table: pd.DataFrame) -> tuple[pd.DataFrame, Ranked, dict[str, Any]]:
        scored = score_table(model, table, params)
        ranked = rank_by_score(scored["actual"], scored["probability"])
        metrics = classification_metrics(scored["actual"], scored["probability"], threshold, ranked)
        return scored, ranked, metrics

    results = per_split(score_and_rank, tables)
    majority = majority_class(results["train"][0]["actual"])
    metrics = {
        split: {**values, "baseline_accuracy": float((scored["actual"] == majority).mean())}
        for split, (scored, _, values) in results.items()
    }
    scored = {split: result[0] for split, result in results.items()}
    ranked = {split: result[1] for split, result in results.items()}
    return scored, metrics, ranked


def majority_class(actual: pd.Series) -> int:
    """The train split's most frequent class (the lower one on a tie): the no-skill model."""
    counts = actual.value_counts()
    classes, rows = counts.index.to_numpy(dtype=int), counts.to_numpy(dtype=int)
    return majority_of_counts({int(c): int(n) for c, n in zip(classes, rows, strict=True)})


def majority_of_counts(counts: dict[int, int]) -> int:
    """`majority_class` from the rows per class (what the Spark engine counts)."""
    most = max(counts.values())
    return min(c for c, n in counts.items() if n == most)


def cross_validation_metrics(search: dict[str, Any]) -> dict[str, Any] | None:
    """The search's CV summary for metrics.json (`cv.*`), or None when search was off."""
    if not search.get("enabled"):
        return None
    return {key: value for key, value in search.items() if key not in ("enabled", "results")}


def plot_tables(
    scored: dict[str, Any], params: Params, ranked: dict[str, Ranked] | None = None
) -> tuple[dict[str, dict[str, pd.DataFrame]], dict[str, list[bytes]]]:
    """The scikit-learn engine's plot tables and confusion CSVs, from each split's per-row
    scores (what `write_results` takes)."""
    from stages.lib.plot_data import confusion_csv, confusion_table, curve_tables

    settings = params.plots

    def curves(split: str) -> dict[str, pd.DataFrame]:
        frame, order = scored[split], (ranked or {}).get(split)
        return curve_tables(frame, settings.calibration_bins, settings.max_curve_points, order)

    tables = per_split(curves, {split: split for split in scored})
    # One line per row, formatted without pandas' loop (confusion_csv).
    confusion = {split: [confusion_csv(confusion_table(frame))] for split, frame in scored.items()}
    return tables, confusion


def write_results(
    model: Any,
    metrics: dict[str, Any],
    tables: dict[str, dict[str, pd.DataFrame]],
    confusion: Mapping[str, Iterable[bytes]],
) -> None:
    """What evaluate writes once both splits are scored, whichever engine scored them:
    metrics.json (with the search's CV summary, if any), the plot files, and the closing
    lines."""
    cv = cross_validation_metrics(read_json(SEARCH_PATH))
    if cv is not None:
        metrics["cv"] = cv
    write_json(metrics, METRICS_PATH)
    write_plot_files(model, tables, confusion, metrics)
    for line in summary_lines(metrics):
        print(line)


def write_plot_files(
    model: Any,
    tables: dict[str, dict[str, pd.DataFrame]],
    confusion: Mapping[str, Iterable[bytes]],
    metrics: dict[str, Any],
) -> None:
    """Either engine's plot files: the tables for DVC, each split's confusion CSV from its
    chunks, the coefficients, then PNGs drawn from exactly those tables (the confusion
    matrix from the counts in `metrics`, which its CSV holds line by line)."""
    from stages.lib.plot_data import coefficient_table
    from stages.lib.plot_images import all_figures

    for split, curves in tables.items():
        for curve, table in curves.items():
            write_csv(table, plot_path(split, curve))
    for split, chunks in confusion.items():
        write_chunks(chunks, plot_path(split, "confusion"))
    coefficients = coefficient_table(model)
    write_csv(coefficients, COEFFICIENTS_PATH)
    for name, figure in all_figures(tables, coefficients, metrics).items():
        write_figure(figure, image_path(name))


def main(argv: list[str] | None = None) -> None:
    parser = stage_parser(__doc__)
    allow_stale_option(parser, "evaluate")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    if get_engine(params).run("evaluate", params, args):
        return
    model, record = read_fitted(MODEL_PATH)
    # Metrics of a model fitted with other params or data would be silently wrong.
    check_fitted({MODEL_PATH: record}, params, args.params, allow_stale=args.allow_stale)
    tables = {split: read_table(table_path(SCALED_DIR, split)) for split in SPLITS}
    for split, table in tables.items():
        check_model_input(table, params, table_path(SCALED_DIR, split))
    with in_file(params.data.train_path):
        scored, metrics, ranked = evaluate(model, tables, params)
    write_tables({table_path(SCORED_DIR, split): frame for split, frame in scored.items()})
    write_results(model, metrics, *plot_tables(scored, params, ranked))


if __name__ == "__main__":
    run_cli(main)
