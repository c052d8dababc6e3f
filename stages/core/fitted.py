"""What each fitted artifact was fitted with, and whether that still matches params.yaml.

Every fitted step (models/*.joblib) is stored with a record: the values of exactly the
params keys its stage lists in dvc.yaml (read from dvc.yaml itself), and, for the steps
fitted on the split tables (featurize, train), what those tables were made from: the
training CSV's path and sha256, the split params and the target's two labels as they
appear in the file. Split writes that `source` into the
tables' Parquet metadata, so it travels with them.

Only keys DVC itself reruns a stage for are recorded. A wider record (say, the scaler also
recording impute's keys) would call an artifact stale that `dvc repro` rightly skips
because its input did not change, and no rerun could ever clear it.

`check_fitted` compares records with the params in force: predict and evaluate refuse to
use artifacts that do not match (naming the first differing key and `dvc repro`), unless
told `--allow-stale`. Records hold no timestamps or absolute paths: same inputs, same bytes.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stages.core.errors import PipelineError

if TYPE_CHECKING:
    from stages.core.params import Params

# Fitted on the split tables, which they depend on whole: they can carry the tables' source.
CARRIES_SOURCE = ("featurize", "train")
RERUN = "run `dvc repro` (or pass --allow-stale)"


class StaleError(PipelineError):
    """A fitted artifact does not match the params or training data in force."""


PIPELINE_PATH = Path("dvc.yaml")


def fitted_keys(stage: str) -> tuple[str, ...]:
    """The params keys the fitted step of `stage` depends on: its `params:` list in dvc.yaml,
    read from there (a few ms) so what is recorded cannot drift from what DVC reruns for."""
    return stage_params(PIPELINE_PATH.resolve()).get(stage, ())


@functools.lru_cache(maxsize=8)
def stage_params(pipeline: Path) -> dict[str, tuple[str, ...]]:
    """Each stage's `params:` keys in the dvc.yaml at `pipeline` (plain keys of params.yaml)."""
    from stages.core.artifacts import read_yaml

    pipeline_file = read_yaml(pipeline)
    stages = pipeline_file.get("stages") if isinstance(pipeline_file, dict) else None
    if not isinstance(stages, dict):
        raise PipelineError(f"{pipeline.name}: cannot be read; run from the project's root")
    return {
        name: tuple(key for key in stage.get("params", []) if isinstance(key, str))
        for name, stage in stages.items()
    }


def param_values(params: Params, keys: tuple[str, ...]) -> dict[str, Any]:
    """The value of each dotted key, as JSON (what records hold and compare)."""
    dumped = params.model_dump(mode="json")
    values = {}
    for key in keys:
        value: Any = dumped
        for part in key.split("."):
            value = value[part]
        values[key] = value
    return values


def source_record(
    train_path: str, sha256: str, labels: tuple[Any, Any], params: Params
) -> dict[str, Any]:
    """What the split tables were made from; `labels` is (negative, positive) as in the file."""
    negative, positive = labels
    return {
        "path": train_path,
        "sha256": sha256,
        "labels": {"negative": negative, "positive": positive},
        "params": param_values(params, fitted_keys("split")),
    }


def fit_record(stage: str, params: Params, source: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record stored with a fitted step of `stage`."""
    record: dict[str, Any] = {"stage": stage, "params": param_values(params, fitted_keys(stage))}
    if stage in CARRIES_SOURCE:
        record["source"] = source
    return record


def stale_reason(
    record: dict[str, Any] | None, params: Params, path: Path | str, params_path: Path | str
) -> str | None:
    """Why the artifact at `path` does not match params (and data) in force, or None."""
    if not record or "params" not in record:
        return f"{path} records no params (written by an older version of the pipeline)"
    stage = record.get("stage", "")
    if fitted_keys(stage):
        now = param_values(params, fitted_keys(stage))
        difference = first_difference(record["params"], now)
        if difference is not None:
            key, was, is_now = difference
            return f"{path} was fitted with {key}={was}, {params_path} now says {key}={is_now}"
    if stage in CARRIES_SOURCE:
        return source_reason(record.get("source"), params, path, params_path)
    return None


def source_reason(
    source: dict[str, Any] | None, params: Params, path: Path | str, params_path: Path | str
) -> str | None:
    """Why the training data `path` was fitted on is not the data in force, or None."""
    if not source:
        return f"{path} records no training data (written by an older version of the pipeline)"
    difference = first_difference(source["params"], param_values(params, fitted_keys("split")))
    if difference is not None:
        key, was, is_now = difference
        return f"{path} was fitted with {key}={was}, {params_path} now says {key}={is_now}"
    train_path = params.data.train_path
    if source["path"] != train_path:
        return (
            f"{path} was fitted on {source['path']}, {params_path} now says "
            f"data.train_path={train_path}"
        )
    from stages.core.artifacts import cached_sha256

    try:
        digest = cached_sha256(train_path)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        return f"{path} cannot be checked against {train_path} ({reason})"
    if digest != source["sha256"]:
        return (
            f"{path} was fitted on {train_path} with sha256 {source['sha256'][:12]}…, "
            f"the file now has {digest[:12]}…"
        )
    return None


def first_difference(was: dict[str, Any], now: dict[str, Any]) -> tuple[str, str, str] | None:
    """The first dotted leaf key whose value differs, with both values shown; or None."""
    flat_was, flat_now = _flatten(was), _flatten(now)
    for key in [*flat_now, *(k for k in flat_was if k not in flat_now)]:
        before, after = flat_was.get(key, _UNSET), flat_now.get(key, _UNSET)
        if before != after or type(before) is not type(after):
            return key, _shown(before), _shown(after)
    return None


def check_fitted(
    records: dict[Path, dict[str, Any] | None],
    params: Params,
    params_path: Path | str,
    *,
    allow_stale: bool = False,
    fix: str = RERUN,
) -> None:
    """Refuse (StaleError, ending with `fix`) the first artifact whose record does not
    match; with `allow_stale`, print one warning line per stale artifact instead."""
    for path, record in records.items():
        reason = stale_reason(record, params, path, params_path)
        if reason is None:
            continue
        if not allow_stale:
            raise StaleError(f"{reason}; {fix}")
        print(f"warning: {reason}; using it anyway (--allow-stale)", file=sys.stderr)


def labels_of(record: dict[str, Any] | None) -> tuple[Any, Any] | None:
    """The (negative, positive) labels as they appear in the training file, if recorded."""
    labels = ((record or {}).get("source") or {}).get("labels")
    return (labels["negative"], labels["positive"]) if labels else None


_UNSET = object()


def _flatten(values: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted leaves ("train.search.grid.C" → [...])."""
    if not isinstance(values, dict) or not values:
        return {prefix: values} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in values.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _shown(value: Any) -> str:
    """A value as a user would write it in params.yaml (1e+12, minmax, ["a", "b"], null)."""
    if value is _UNSET:
        return "(not set)"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)
