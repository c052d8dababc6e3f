"""Where the test suite's time goes: its wall time, and its CPU seconds by kind of process.

`python benchmarks/suite.py [--json OUT] [-- PYTEST ARGS]` runs pytest (default: the
suite without the Spark file, on two workers, as issue 12 measures it) with the per-process
probe of benchmarks/hook on PYTHONPATH, then prints one line per kind of process (a stage,
a `dvc` subcommand, the pytest workers, ...): how many ran, their wall and CPU seconds.

Why CPU seconds: the suite runs on two cores, so it cannot finish in less than its total
CPU time over two, however its tests are spread over the workers. The total comes from
the kernel (getrusage of every process pytest waited for, git and shells included); the
probe splits the Python part of it by kind. The probe reads a process's CPU time at exit,
before the interpreter's own shutdown, so its figures are lower bounds, and the line "not
attributed" (the kernel's total less the probed sum) holds that shutdown time, git,
shells and any process that ended without running its exit handlers.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import children_cpu_seconds, with_probe  # noqa: E402

DEFAULT_PYTEST_ARGS = ["-n", "2", "--dist", "loadfile", "--ignore=tests/test_spark.py", "-q"]


def process_kind(record: dict[str, Any]) -> str:
    """`stages.train`, `dvc exp`, `pytest worker`, ...: what a probed process was."""
    argv = record.get("argv") or [""]
    module = record.get("module")
    if Path(argv[0]).name == "dvc" or module in ("dvc", "dvc.__main__"):
        return " ".join(["dvc", *_dvc_command(argv[1:])])
    if record.get("xdist_worker"):
        return "pytest worker (xdist)"
    if module:
        return module
    if argv[0] == "-c":  # the tests' own `python -c` probes
        return "python -c"
    return Path(argv[0]).name or "python"


def _dvc_command(arguments: list[str]) -> list[str]:
    """`exp` of `dvc -q exp run`: the first word that is neither an option nor the path
    given to `--cd`."""
    skip_next = False
    for argument in arguments:
        if skip_next:
            skip_next = False
        elif argument == "--cd":
            skip_next = True
        elif not argument.startswith("-"):
            return [argument]
    return []


def summarise(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per kind of process, the most CPU first."""
    kinds: dict[str, dict[str, Any]] = collections.defaultdict(
        lambda: {"processes": 0, "wall_s": 0.0, "cpu_s": 0.0}
    )
    for record in records:
        row = kinds[process_kind(record)]
        row["processes"] += 1
        row["wall_s"] += record.get("wall_s", 0.0)
        row["cpu_s"] += record.get("cpu_s", 0.0)
    rows = [{"kind": kind, **values} for kind, values in kinds.items()]
    return sorted(rows, key=lambda row: -row["cpu_s"])


def run_suite(pytest_args: list[str], proc_log: Path) -> dict[str, Any]:
    """Run pytest under the probe; its wall time and the CPU time of all it started."""
    env = with_probe(dict(os.environ), proc_log)
    before = children_cpu_seconds()
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=env)
    wall = time.monotonic() - started
    cpu = children_cpu_seconds() - before
    return {"returncode": result.returncode, "wall_s": wall, "cpu_s": cpu}


def read_records(proc_log: Path) -> list[dict[str, Any]]:
    if not proc_log.exists():
        return []
    return [json.loads(line) for line in proc_log.read_text().splitlines() if line.strip()]


def report(result: dict[str, Any], rows: list[dict[str, Any]], cores: int) -> list[str]:
    probed = sum(row["cpu_s"] for row in rows)
    lines = [
        f"suite: {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} CPU s "
        f"(floor on {cores} cores: {result['cpu_s'] / cores:.1f} s); "
        f"probed Python processes {probed:.1f} CPU s",
        f"{'kind':32s} {'n':>5s} {'summed wall s':>14s} {'CPU s':>8s}",
    ]
    lines += [
        f"{row['kind']:32s} {row['processes']:5d} {row['wall_s']:14.1f} {row['cpu_s']:8.1f}"
        for row in rows
    ]
    lines.append(f"{'not attributed':32s} {'':5s} {'':14s} {result['cpu_s'] - probed:8.1f}")
    return lines


def usable_cores() -> int:
    """The cores this process may run on (affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest's arguments")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        proc_log = Path(scratch) / "procs.jsonl"
        result = run_suite(args.pytest_args or DEFAULT_PYTEST_ARGS, proc_log)
        rows = summarise(read_records(proc_log))
    cores = usable_cores()
    for line in report(result, rows, cores):
        print(line)
    if args.json:
        args.json.write_text(json.dumps({**result, "cores": cores, "kinds": rows}, indent=1))
    return int(result["returncode"])


if __name__ == "__main__":
    sys.exit(main())
