"""The metric gate: are the pipeline's metrics within the thresholds in params.yaml?

Three answers, as three exit codes a CI job can act on: every threshold holds (0), some
threshold is broken (1), or there is nothing trustworthy to judge (2): metrics missing,
unreadable, or stale, i.e. the pipeline is not up to date with its code, data and params.
Judging stale numbers would let a change pass on the previous run's metrics.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stages.core.artifacts import read_json
from stages.core.errors import DataError
from stages.core.params import BASELINE_METRIC, Bound

EXIT_FAIL = 1
RERUN = "run `dvc repro` to bring the pipeline up to date, then check again"


@dataclass(frozen=True)
class Verdict:
    """One threshold on one metric, and whether the metric's value keeps it."""

    metric: str  # dotted, e.g. "test.accuracy"
    bound: str  # "min" or "max"
    limit: float  # the effective bound, e.g. baseline + margin for min_over_baseline
    value: float | None
    # For a min_over_baseline bound, where the limit came from: the split's baseline
    # accuracy and the margin params.yaml asks over it (both None for an absolute bound).
    baseline: float | None = None
    margin: float | None = None

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.limit if self.bound == "min" else self.value <= self.limit

    @property
    def outcome(self) -> str:
        if self.passed:
            return "pass"
        if self.value is None:
            return "FAIL (no value: the metric is null)"
        side = "below min" if self.bound == "min" else "above max"
        return f"FAIL ({abs(self.value - self.limit):.6g} {side})"

    def cells(self) -> list[str]:
        shown = "null" if self.value is None else f"{self.value:.6g}"
        sign = ">=" if self.bound == "min" else "<="
        bound = f"{self.bound} ({sign} {self.limit:g})"
        if self.baseline is not None:  # the effective bound, and how it was made
            made = f"baseline {self.baseline:g} + {self.margin:g}"
            bound = f"{self.bound} ({sign} {self.limit:g} = {made})"
        return [self.metric, bound, shown, self.outcome]


def judge(gate: dict[str, dict[str, Bound]], metrics: dict[str, Any], source: str) -> list[Verdict]:
    """One verdict per bound, in the gate's order; a gated metric absent from `metrics` means
    the metrics predate the code that names it, so it is a DataError (rerun), not a failure.
    """
    verdicts = []
    for split, bounds in gate.items():
        values = metrics.get(split)
        if not isinstance(values, dict):
            raise DataError(f"{source}: has no {split!r} metrics; {RERUN}")
        for name, bound in bounds.items():
            value = _number(values, split, name, source)
            metric = f"{split}.{name}"
            if bound.min_over_baseline is not None:
                baseline = _number(values, split, BASELINE_METRIC, source)
                if baseline is None:
                    raise DataError(f"{source}: {split}.{BASELINE_METRIC} is null; {RERUN}")
                margin = bound.min_over_baseline
                verdicts.append(Verdict(metric, "min", baseline + margin, value, baseline, margin))
            for side in ("min", "max"):
                limit = getattr(bound, side)
                if limit is not None:
                    verdicts.append(Verdict(metric, side, limit, value))
    return verdicts


def _number(values: dict[str, Any], split: str, name: str, source: str) -> float | None:
    """A metric's value (None if null); absent or not a number means the metrics are stale."""
    if name not in values:
        raise DataError(f"{source}: has no {split}.{name}; {RERUN}")
    value = values[name]
    if value is not None and not isinstance(value, int | float):
        raise DataError(f"{source}: {split}.{name} is not a number ({value!r}); {RERUN}")
    return value


def read_metrics(path: Path) -> dict[str, Any]:
    """metrics.json as a mapping of splits; missing or unreadable is a DataError saying to
    rerun (read by artifacts.read_json, the one JSON reader)."""
    if not path.is_file():
        raise DataError(f"{path}: not found; {RERUN}")
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a mapping of splits; {RERUN}")
    return data


def stale_stages(root: Path | str = ".") -> dict[str, list[str]]:
    """Stages whose deps, params or outs changed since `dvc repro` (from `dvc status`).

    Each stage maps to short descriptions of what changed, e.g. "params.yaml: train".
    """
    result = subprocess.run(
        [sys.executable, "-m", "dvc", "status", "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise DataError(f"cannot tell whether the metrics are up to date (dvc status: {detail})")
    try:
        status = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        raise DataError("cannot tell whether the metrics are up to date (dvc status)") from None
    return {stage: _describe_changes(entries) for stage, entries in status.items()}


def _describe_changes(entries: Any) -> list[str]:
    changes = []
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, str):
            changes.append(entry)
            continue
        for kind, files in (entry or {}).items():
            if not isinstance(files, dict):
                changes.append(f"{kind}")
                continue
            for path, what in files.items():
                # params: {"params.yaml": {"train": "modified"}}; files: {"plots": "modified"}
                changes.append(
                    f"{path}: {', '.join(what)}" if isinstance(what, dict) else f"{path} {what}"
                )
    return changes


def check_fresh(root: Path | str = ".") -> None:
    """DataError naming what changed when the pipeline is not up to date."""
    stale = stale_stages(root)
    if stale:
        details = "; ".join(
            f"{stage} ({', '.join(changes)})" if changes else stage
            for stage, changes in stale.items()
        )
        raise DataError(f"metrics are stale: changed since the last run: {details}; {RERUN}")


def table(verdicts: list[Verdict]) -> list[str]:
    """Aligned lines: metric, bound, value, outcome."""
    rows = [["metric", "bound", "value", "result"], *(v.cells() for v in verdicts)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]


def summary(verdicts: list[Verdict]) -> str:
    """The one-line verdict: what CI and the report lead with."""
    failed = [v.metric for v in verdicts if not v.passed]
    if not verdicts:
        return "gate: no thresholds set (params.yaml: gate); nothing to check"
    if failed:
        return (
            f"gate: FAIL: {len(failed)} of {len(verdicts)} thresholds broken: {', '.join(failed)}"
        )
    return f"gate: pass: all {len(verdicts)} thresholds hold"
