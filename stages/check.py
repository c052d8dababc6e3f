"""Metric gate (`make check`): compare metrics/metrics.json with the thresholds in params.yaml.

Prints one line per threshold (metric, effective bound, value, pass/FAIL) and a verdict
line. A bound is absolute (min, max) or, for accuracy, relative to the split's majority-class
baseline (min_over_baseline: at least baseline_accuracy + margin).
Exit 0: every threshold holds. Exit 1: at least one is broken (the FAIL lines say which and
by how much). Exit 2: the gate itself is wrong (params error naming the key), or the
metrics are missing, unreadable or stale (`dvc status` shows the pipeline is not up to
date with its code, data and params); one line says to run `dvc repro`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stages.core.artifacts import METRICS_PATH
from stages.core.cli import run_cli, stage_parser
from stages.core.params import load_params
from stages.lib.gate import EXIT_FAIL, check_fresh, judge, read_metrics, summary, table


def parser() -> argparse.ArgumentParser:
    result = stage_parser(__doc__)
    result.prog = "python -m stages.check"
    result.formatter_class = argparse.RawDescriptionHelpFormatter
    result.add_argument(
        "--metrics",
        default=str(METRICS_PATH),
        help="metrics file to judge (default: %(default)s)",
    )
    result.add_argument(
        "--no-status",
        action="store_true",
        help="skip the `dvc status` freshness check (only for metrics not made by this repo)",
    )
    return result


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    params = load_params(args.params)
    metrics_path = Path(args.metrics)
    metrics = read_metrics(metrics_path)
    if not args.no_status:
        check_fresh()
    verdicts = judge(params.gate, metrics, str(metrics_path))
    for line in table(verdicts):
        print(line)
    print(summary(verdicts))
    if not all(v.passed for v in verdicts):
        raise SystemExit(EXIT_FAIL)


if __name__ == "__main__":
    run_cli(main)
