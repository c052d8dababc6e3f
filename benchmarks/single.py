"""The single-process equivalent of the staged pipeline, as a user would write it instead.

`python benchmarks/single.py --data CSV [--params params.yaml] [--chain]` reads the CSV,
splits it like the split stage (train_test_split, same test_size and random_state), fits
one scikit-learn Pipeline — a ColumnTransformer (per-column SimpleImputer as in
params.impute, MinMaxScaler/StandardScaler on the numbers, sparse OneHotEncoder on the
categories) then the same LogisticRegression — and prints JSON with the test accuracy.

With --chain it fits the project's own `build_chain(params)` (the stages' transformers in
one process) instead. Timing and memory are measured from outside (benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def plain_pipeline(params: Any) -> Any:
    """ColumnTransformer(impute + scale numbers, impute + sparse one-hot categories) + LR."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

    from stages.lib.model import build_classifier

    scalers = {"minmax": MinMaxScaler, "standard": StandardScaler}

    def imputer(column: str) -> list[Any]:
        spec = params.impute.columns.get(column)
        if spec is None:
            return []
        return [SimpleImputer(strategy=spec.strategy, fill_value=spec.fill_value)]

    def scaler() -> list[Any]:
        method = params.scale.method
        return [] if method == "none" else [scalers[method]()]

    # One transformer per column keeps the columns in params order: numbers, then one-hots.
    parts = []
    for column in params.features.numeric:
        steps = [*imputer(column), *scaler()]
        parts.append((column, make_pipeline(*steps) if steps else "passthrough", [column]))
    one_hot = OneHotEncoder(handle_unknown=params.encode.handle_unknown, sparse_output=True)
    parts += [
        (column, make_pipeline(*imputer(column), one_hot), [column])
        for column in params.features.categorical
    ]
    design = ColumnTransformer(parts, sparse_threshold=1.0)
    return Pipeline([("design", design), ("classifier", build_classifier(params))])


def load(data: str, params: Any) -> tuple[Any, Any, Any, Any]:
    """Features and 0/1 target, split as the split stage does."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    columns = [*params.features.columns, params.data.target]
    frame = pd.read_csv(data, sep=params.data.delimiter, usecols=columns)
    target = (frame.pop(params.data.target) == params.data.positive_label).astype("int8")
    for column in params.features.categorical:
        # SimpleImputer and OneHotEncoder want object columns with np.nan for text.
        frame[column] = frame[column].astype(object)
    return train_test_split(
        frame, target, test_size=params.split.test_size, random_state=params.split.random_state
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="labelled CSV")
    parser.add_argument("--params", default="params.yaml", help="settings (default: %(default)s)")
    parser.add_argument("--chain", action="store_true", help="fit build_chain(params) instead")
    args = parser.parse_args(argv)
    started = time.monotonic()
    from stages.core.params import load_params

    params = load_params(args.params)
    x_train, x_test, y_train, y_test = load(args.data, params)
    loaded = time.monotonic()
    if args.chain:
        from stages.lib.model import build_chain

        pipeline = build_chain(params)
    else:
        pipeline = plain_pipeline(params)
    pipeline.fit(x_train, y_train.to_numpy())
    fitted = time.monotonic()
    accuracy = float((pipeline.predict(x_test) == y_test.to_numpy()).mean())
    result = {
        "mode": "chain" if args.chain else "plain",
        "rows": len(x_train) + len(x_test),
        "test_accuracy": accuracy,
        "read_s": loaded - started,
        "fit_s": fitted - loaded,
        "score_s": time.monotonic() - fitted,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
