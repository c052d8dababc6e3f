"""Spark engine measurements (issue 13, phase 1): client overhead and MLlib parity.

    python benchmarks/spark.py [--runs 5] [--json benchmarks/results/spark.json]

Uses the server in SPARK_REMOTE if set, else starts a local[2] Connect server of its own
(scripts/spark_local.py, in a temporary folder) and stops it at the end. Measures:

  (a) the server's start time (when this script starts it);
  (b) per-process overhead of a Connect client, `--runs` times in fresh interpreters:
      process start -> import pyspark -> connect -> a trivial query -> stop -> exit;
  (c) MLlib against scikit-learn on Titanic with the hash split: max |coefficient| and
      |probability| differences and both test confusion counts, at C=1 (scikit-learn's
      default tol and run to the optimum) and at the notebook's C=1e12.

Progress on stderr; a table on stdout; the JSON to --json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import spark_local  # noqa: E402

CLIENT = """
import time, sys
t0 = time.monotonic()
from stages.core.spark.connect import spark_session
t1 = time.monotonic()
with spark_session(remote=sys.argv[1]) as spark:
    t2 = time.monotonic()
    spark.range(1).count()
    t3 = time.monotonic()
t4 = time.monotonic()
print(f"{t1 - t0} {t2 - t1} {t3 - t2} {t4 - t3}")
"""
TITANIC = ROOT / "data" / "titanic.csv"
ID, TARGET = "PassengerId", "Survived"
NUMERIC = ["Pclass", "Age", "SibSp", "Fare"]
CATEGORICAL = ["Sex", "Cabin", "Embarked"]
CONSTANTS = {"Cabin": "cabin_missing", "Embarked": "embarked_missing"}


def log(message: str) -> None:
    print(f"bench-spark: {message}", file=sys.stderr, flush=True)


def client_overhead(url: str, runs: int) -> dict[str, Any]:
    """Wall time of `runs` fresh client processes, and where it goes (median)."""
    walls, parts = [], []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", CLIENT, url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        walls.append(time.monotonic() - start)
        parts.append([float(x) for x in done.stdout.split()])
    names = ["import_s", "connect_s", "query_s", "stop_s"]
    return {
        "runs": runs,
        "wall_s": {"min": min(walls), "median": statistics.median(walls), "max": max(walls)},
        "samples_s": walls,
        **{n: statistics.median(p[i] for p in parts) for i, n in enumerate(names)},
    }


def parity(url: str) -> list[dict[str, Any]]:
    """MLlib vs scikit-learn on Titanic (hash split), for a few settings."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    from pyspark.sql import functions as F
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

    from stages.core.spark import fit, io, score
    from stages.core.spark import split as spark_split
    from stages.core.spark.connect import spark_session
    from stages.lib import hash_split

    frame = pd.read_csv(TITANIC)
    ids = pd.read_csv(TITANIC, usecols=[ID], dtype=str)[ID]
    mask = hash_split.is_test(ids, 0.25, 0)
    train, test = frame[~mask], frame[mask]
    fills = train[["Age", "Fare"]].mean().to_dict() | CONSTANTS

    def design(part: pd.DataFrame, fills: dict, scaler: Any, encoder: Any) -> Any:
        filled = part.fillna(fills)
        numeric = scaler.transform(filled[NUMERIC].astype("float64"))
        return sp.hstack(
            [sp.csr_matrix(numeric), encoder.transform(filled[CATEGORICAL].astype(object))],
            format="csr",
        )

    scaler = MinMaxScaler().fit(train.fillna(fills)[NUMERIC].astype("float64"))
    encoder = OneHotEncoder(handle_unknown="ignore").fit(
        train.fillna(fills)[CATEGORICAL].astype(object)
    )
    cases = [
        ("C=1, lbfgs, intercept, tol 1e-4 (defaults)", 1.0, True, "lbfgs", 1e-4, 100),
        ("C=1, lbfgs, intercept, tol 1e-8", 1.0, True, "lbfgs", 1e-8, 1000),
        ("notebook: C=1e12, liblinear, no intercept", 1e12, False, "liblinear", 1e-4, 100),
        ("C=1e12, lbfgs, intercept", 1e12, True, "lbfgs", 1e-4, 100),
    ]
    results = []
    with spark_session(remote=url) as spark:
        raw = io.read_csv_text(spark, TITANIC, [ID, TARGET, *NUMERIC, *CATEGORICAL])
        typed = raw.select(
            ID,
            F.col(TARGET).cast("int").alias(TARGET),
            *(F.col(c).cast("double").alias(c) for c in NUMERIC),
            *CATEGORICAL,
        )
        spark_train, _ = spark_split.split(typed, ID, 0.25, 0)
        learned = {c: fit.fill_value(spark_train, c, "mean") for c in ["Age", "Fare"]}
        learned |= CONSTANTS
        filled = spark_train.fillna(learned)
        spark_scaler = fit.min_max_scaler(fit.moments(filled, NUMERIC), NUMERIC)
        lists = {c: fit.categories(filled, c) for c in CATEGORICAL}
        scaled = filled.select(
            TARGET,
            *(score.scaled(c, None, spark_scaler, i).alias(c) for i, c in enumerate(NUMERIC)),
            *CATEGORICAL,
        )
        vectors = fit.design_vector(scaled, NUMERIC, lists).cache()
        spark_encoder = fit.one_hot_encoder(lists)
        for name, c_value, intercept, solver, tol, max_iter in cases:
            log(f"parity: {name}")
            reference = LogisticRegression(
                C=c_value, fit_intercept=intercept, solver=solver, tol=tol, max_iter=max_iter
            ).fit(design(train, fills, scaler, encoder), train[TARGET])
            settings = fit.LogisticSettings(
                C=c_value, fit_intercept=intercept, tol=tol, max_iter=max_iter
            )
            model = fit.logistic_regression(vectors, "features", TARGET, settings).model
            row: dict[str, Any] = {"case": name}
            row["max_coef_diff"] = float(np.abs(model.coef_ - reference.coef_).max())
            for split, part in [("train", train), ("test", test)]:
                mine = model.predict_proba(design(part, learned, spark_scaler, spark_encoder))
                theirs = reference.predict_proba(design(part, fills, scaler, encoder))
                row[f"{split}_max_proba_diff"] = float(np.abs(mine - theirs).max())
                truth = part[TARGET].to_numpy()
                row[f"{split}_correct_spark"] = int(((mine[:, 1] >= 0.5) == truth).sum())
                row[f"{split}_correct_sklearn"] = int(((theirs[:, 1] >= 0.5) == truth).sum())
                row[f"{split}_rows"] = len(part)
            results.append(row)
    return results


def table(result: dict[str, Any]) -> str:
    overhead = result["client"]
    lines = [
        f"server start: {result.get('server_start_s', 'external')} s",
        f"client process (x{overhead['runs']}): median {overhead['wall_s']['median']:.2f} s "
        f"(min {overhead['wall_s']['min']:.2f}, max {overhead['wall_s']['max']:.2f}); import "
        f"{overhead['import_s']:.2f}, connect {overhead['connect_s']:.2f}, query "
        f"{overhead['query_s']:.2f}, stop {overhead['stop_s']:.2f}",
        "",
        "| case | max coef diff | max proba diff train / test | train correct Spark / sklearn "
        "| test correct Spark / sklearn |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in result["parity"]:
        lines.append(
            f"| {row['case']} | {row['max_coef_diff']:.2g} | {row['train_max_proba_diff']:.2g}"
            f" / {row['test_max_proba_diff']:.2g} | {row['train_correct_spark']} / "
            f"{row['train_correct_sklearn']} of {row['train_rows']} | "
            f"{row['test_correct_spark']} / {row['test_correct_sklearn']} of {row['test_rows']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result: dict[str, Any] = {"load_average": os.getloadavg()}
    url = os.environ.get("SPARK_REMOTE")
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as state:
        if not url:
            log("starting a local[2] Connect server")
            start = time.monotonic()
            url, _ = spark_local.up(Path(state), master="local[2]")
            result["server_start_s"] = round(time.monotonic() - start, 2)
        try:
            log(f"client overhead at {url}")
            result["client"] = client_overhead(url, args.runs)
            result["parity"] = parity(url)
        finally:
            if "server_start_s" in result:
                spark_local.down(Path(state))
    result["load_average_end"] = os.getloadavg()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
