"""Report (`make report`): write reports/report.md, what a CI job posts on a pull request.

It holds the gate verdict, the metrics of both splits, what changed against a base revision
(`dvc metrics diff --md` and `dvc params diff --md`, default base HEAD), the params in
force, and the static plot images. It never fails over a broken gate: it reports it. Stale
metrics are never judged: the gate section says why (fitted artifacts that no longer match
params.yaml or the training data, naming the first differing key; or `dvc status`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from stages.core.artifacts import METRICS_PATH, REPORT_PATH, image_path, write_text
from stages.core.cli import run_cli, stage_parser
from stages.core.errors import PipelineError
from stages.core.params import METRIC_NAMES, METRIC_SPLITS, Params, load_params
from stages.lib.gate import check_fresh, judge, read_metrics, summary

IMAGES = {
    "roc": "ROC curve",
    "precision_recall": "Precision-recall curve",
    "confusion": "Confusion matrix",
    "calibration": "Calibration",
    "coefficients": "Model coefficients",
}


def gate_section(params: Params, metrics: dict[str, Any] | None, problem: str | None) -> list[str]:
    """The verdict line, then a table of every threshold (or why nothing was judged)."""
    if problem is not None:
        return ["## Gate", "", f"**gate: not judged**: {problem}", ""]
    assert metrics is not None
    verdicts = judge(params.gate, metrics, str(METRICS_PATH))
    lines = ["## Gate", "", f"**{summary(verdicts)}**", ""]
    if verdicts:
        lines += ["| metric | bound | value | result |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(verdict.cells()) + " |" for verdict in verdicts]
        lines.append("")
    return lines


def metrics_section(metrics: dict[str, Any] | None) -> list[str]:
    """One row per metric, one column per split, in evaluate's order."""
    if not metrics:
        return ["## Metrics", "", "No metrics: run `dvc repro`.", ""]
    splits = [split for split in METRIC_SPLITS if isinstance(metrics.get(split), dict)]
    names = [name for name in METRIC_NAMES if any(name in metrics[s] for s in splits)]
    lines = ["## Metrics", "", "| metric | " + " | ".join(splits) + " |"]
    lines.append("|---" * (len(splits) + 1) + "|")
    for name in names:
        cells = [_number(metrics[split].get(name)) for split in splits]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def diff_section(kind: str, base: str) -> list[str]:
    """`dvc {metrics,params} diff BASE --md` (workspace against BASE), or why it failed."""
    result = subprocess.run(
        [sys.executable, "-m", "dvc", kind, "diff", base, "--md"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DVC_NO_ANALYTICS": "1"},
    )
    title = f"## {kind.capitalize()} diff against `{base}`"
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return [title, "", f"Not available: {detail}", ""]
    table = [line for line in result.stdout.splitlines() if line.strip()]
    if len(table) <= 2:  # header and rule only: DVC found no change
        return [title, "", f"No {kind} changed.", ""]
    return [title, "", *table, ""]


def params_section(params: Params) -> list[str]:
    text = yaml.safe_dump(params.model_dump(mode="json"), sort_keys=False, width=100)
    return [
        "## Params in force",
        "",
        "<details><summary>params.yaml (validated)</summary>",
        "",
        "```yaml",
        text.rstrip(),
        "```",
        "",
        "</details>",
        "",
    ]


def images_section(report_path: Path) -> list[str]:
    """Links relative to the report, so it renders wherever plots/ sits beside reports/."""
    lines = ["## Plots", ""]
    for name, title in IMAGES.items():
        path = image_path(name)
        if path.is_file():
            link = Path(os.path.relpath(path, report_path.parent)).as_posix()
            lines += [f"### {title}", "", f"![{title}]({link})", ""]
    if len(lines) == 2:
        lines += ["No plot images: run `dvc repro`.", ""]
    return lines


def check_artifacts(params: Params, params_path: str) -> None:
    """StaleError if the fitted chain behind the metrics no longer matches params.yaml or
    the training data (stages.core.fitted); cheaper and more direct than `dvc status`."""
    from stages.core.fitted import check_fitted
    from stages.lib.model import load_fitted

    check_fitted(load_fitted()[1], params, params_path, fix="run `dvc repro`")


def build_report(
    params: Params, base: str, report_path: Path, params_path: str = "params.yaml"
) -> str:
    metrics: dict[str, Any] | None = None
    problem = None
    try:
        metrics = read_metrics(METRICS_PATH)
        check_artifacts(params, params_path)
        check_fresh()
    except PipelineError as error:
        problem = str(error)
    lines = [
        "# Pipeline report",
        "",
        f"Revision `{_git_revision()}`; changes shown against `{base}`.",
        "",
        *gate_section(params, metrics, problem),
        *metrics_section(metrics),
        *diff_section("metrics", base),
        *diff_section("params", base),
        *params_section(params),
        *images_section(report_path),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _number(value: Any) -> str:
    if value is None:
        return "null"
    return str(value) if isinstance(value, int) else f"{value:.6f}"


def _git_revision() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    revision = result.stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], check=False).returncode
    return f"{revision} + uncommitted changes" if dirty else revision


def main(argv: list[str] | None = None) -> None:
    parser = stage_parser(__doc__)
    parser.prog = "python -m stages.report"
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--base", default="HEAD", help="revision to diff against (%(default)s)")
    parser.add_argument("--out", default=str(REPORT_PATH), help="where (%(default)s)")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    out = Path(args.out)
    write_text(build_report(params, args.base, out, args.params), out)
    print(f"report: wrote {out}")


if __name__ == "__main__":
    run_cli(main)
