"""Print benchmark results (JSON files from benchmarks/run.py) as a table, with the targets.

`python benchmarks/table.py benchmarks/results/*.json` prints one Markdown row per run,
then each target of issue 12 that applies to a measured size, marked met or MISSED.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _same_params(result: dict[str, Any]) -> float:
    """The rerun against the one process fitting the same C (results from before step (e)
    existed have no such figure: NaN, reported as not measured)."""
    return float(result.get("rerun_same_params_ratio", float("nan")))


# (rows it applies to, description, value from a result, limit): the targets of issue 12.
TARGETS: list[tuple[int, str, Callable[[dict[str, Any]], float], float]] = [
    (891, "staged/single", lambda r: r["ratio"], 9.5),
    (891, "no-op repro (s)", lambda r: r["noop_s"], 1.0),
    (891, "rerun after train.C (s)", lambda r: r["rerun_s"], 6.0),
    (1_000_000, "staged/single", lambda r: r["ratio"], 3.0),
    (1_000_000, "rerun / single full run", lambda r: r["rerun_ratio"], 1.6),
    (1_000_000, "rerun / single run at the new C", lambda r: _same_params(r), 1.6),
    (1_000_000, "max stage peak RSS (MB)", lambda r: max(r["peak_rss_mb"].values()), 600),
    (10_000_000, "staged/single", lambda r: r["ratio"], 1.5),
    (10_000_000, "rerun / single full run", lambda r: r["rerun_ratio"], 0.8),
    (10_000_000, "rerun / single run at the new C", lambda r: _same_params(r), 0.8),
    (
        10_000_000,
        "max stage peak RSS / single's",
        lambda r: max(r["peak_rss_mb"].values()) / r["single_peak_rss_mb"],
        1.0,
    ),
]


HEADER = (
    "| rows | staged s | single s | ratio | no-op s | rerun s | rerun/single | rerun/single same C "
    "| CPU s staged / single | slowest stage s | max stage RSS MB | single RSS MB "
    "| test acc staged / single |"
)


def row(result: dict[str, Any]) -> str:
    slowest = max(result["stage_s"], key=result["stage_s"].get)
    biggest = max(result["peak_rss_mb"], key=result["peak_rss_mb"].get)
    cells = [
        f"{result['rows']:,}",
        f"{result['staged_s']:.1f}",
        f"{result['single_s']:.1f}",
        f"{result['ratio']:.2f}",
        f"{result['noop_s']:.2f}",
        f"{result['rerun_s']:.1f}",
        f"{result['rerun_ratio']:.2f}",
        f"{_same_params(result):.2f}",
        f"{result['staged_cpu_s']:.1f} / {result['single_cpu_s']:.1f}",
        f"{result['stage_s'][slowest]:.1f} ({slowest})",
        f"{result['peak_rss_mb'][biggest]:.0f} ({biggest})",
        f"{result['single_peak_rss_mb']:.0f}",
        f"{result['staged_test_accuracy']:.4f} / {result['single_test_accuracy']:.4f}",
    ]
    return "| " + " | ".join(cells) + " |"


def target_lines(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for result in results:
        for rows, name, value, limit in TARGETS:
            if result["rows"] != rows:
                continue
            measured = value(result)
            if math.isnan(measured):
                lines.append(f"- {rows:,} rows, {name}: not measured (target <= {limit:g})")
                continue
            verdict = "met" if measured <= limit else "MISSED"
            lines.append(f"- {rows:,} rows, {name}: {measured:.2f} (target <= {limit:g}) {verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="JSON files from run.py")
    args = parser.parse_args(argv)
    results = [json.loads(p.read_text(encoding="utf-8")) for p in args.results if p.is_file()]
    results.sort(key=lambda r: r["rows"])
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for result in results:
        print(row(result))
    print()
    for line in target_lines(results):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
