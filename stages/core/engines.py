"""Which engine runs a stage's work: scikit-learn in the stage's process, or Spark.

Every stage CLI asks `get_engine(params)` once, right after reading params, and hands its
work over when the engine takes it:

    if get_engine(params).run("impute", params, args):
        return

The scikit-learn engine takes nothing: the stage's own code is that engine (pandas and
scikit-learn in this process, exactly as before engines existed). The Spark engine runs
the stage on Spark through Spark Connect (`stages/core/spark/stages.py`) and writes the
same outputs: tables as Parquet folders, and the same fitted scikit-learn objects, so the
fitted chain scores a CSV without any cluster (`python -m stages.predict --engine sklearn`).

What MLlib cannot honour is refused when params are read (`spark_refusal`), with the key:
- `train.model: hist_gradient_boosting` or `ensemble`: MLlib's GBTClassifier is another
  model (no native categories, no missing-value routing), so they are refused rather than
  silently swapped.
- `encode.columns.<c>.method` other than onehot (target, ordinal, frequency encodings).
- `train.search.enabled: true`: the cross-validated search runs in process only.
- `train.solver`: every solver minimises the same objective except liblinear with an
  intercept, which also penalises the intercept. lbfgs, newton-cg, newton-cholesky, sag
  and saga map to MLlib's L-BFGS (OWL-QN for an L1 share), as does liblinear without an
  intercept (the notebook's setting); liblinear with `fit_intercept: true` is refused.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from stages.core.params import Params

# Imported by name, only when engine.name is spark: the scikit-learn engine never loads it
# (nor pyspark). Every stage lists the whole stages/core/spark folder as a dependency.
SPARK_STAGES = "stages.core.spark.stages"

STAGES = ("split", "featurize", "impute", "encode", "scale", "train", "evaluate")


class Engine(Protocol):
    name: str

    def run(self, stage: str, params: Params, args: argparse.Namespace) -> bool:
        """Do `stage`'s work and return True, or return False: the stage's own code does it."""
        ...

    def score_csv(
        self, params: Params, chain: Any, path: Path, labels: tuple[Any, Any] | None
    ) -> pd.DataFrame | None:
        """predict's output for the CSV at `path`, or None: predict scores it in process."""
        ...


class SklearnEngine:
    """pandas + scikit-learn in the stage's process: the stage's own code."""

    name = "sklearn"

    def run(self, stage: str, params: Params, args: argparse.Namespace) -> bool:
        return False

    def score_csv(
        self, params: Params, chain: Any, path: Path, labels: tuple[Any, Any] | None
    ) -> pd.DataFrame | None:
        return None


class SparkEngine:
    """Each stage's work on Spark (stages/core/spark/stages.py), one Connect session each."""

    name = "spark"

    def run(self, stage: str, params: Params, args: argparse.Namespace) -> bool:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        getattr(importlib.import_module(SPARK_STAGES), stage)(params, args)
        return True

    def score_csv(
        self, params: Params, chain: Any, path: Path, labels: tuple[Any, Any] | None
    ) -> pd.DataFrame | None:
        scored: pd.DataFrame = importlib.import_module(SPARK_STAGES).score_csv(
            params, chain, path, labels
        )
        return scored


def get_engine(params: Params, name: str | None = None) -> Engine:
    """The engine params.engine.name (or `name`, a command-line override) selects."""
    chosen = name or params.engine.name
    return SparkEngine() if chosen == "spark" else SklearnEngine()


def spark_refusal(params: Any) -> tuple[str, str] | None:
    """(key, why) for the first setting MLlib cannot honour, or None (see the docstring)."""
    train = params.train
    if train.model != "logistic_regression":
        return (
            "train.model",
            f"{train.model!r} has no MLlib counterpart with the same model; with "
            "engine.name: spark use logistic_regression (or engine.name: sklearn)",
        )
    for column, spec in params.encode.columns.items():
        if spec.method != "onehot":
            return (
                f"encode.columns.{column}.method",
                f"{spec.method!r} encoding runs with engine.name: sklearn only; on Spark "
                "categorical features are one-hot",
            )
    if train.search.enabled:
        return (
            "train.search.enabled",
            "the cross-validated search runs with engine.name: sklearn only",
        )
    if train.solver == "liblinear" and train.fit_intercept:
        return (
            "train.solver",
            "liblinear with fit_intercept: true also penalises the intercept, which MLlib "
            "cannot; use lbfgs (same objective otherwise) or fit_intercept: false",
        )
    return None
