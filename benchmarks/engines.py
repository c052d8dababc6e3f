"""The two engines side by side: a full `dvc repro` with engine.name sklearn, then spark.

    python benchmarks/engines.py --rows 1000000 --json benchmarks/results/engines-1000000.json
    python benchmarks/engines.py --data data/titanic.csv --warm   # per-stage overhead, 891 rows

Both runs use the same data and params (only engine.name differs), each in a fresh project
copy (benchmarks/run.py's helpers). Per stage: wall time and peak RSS of the stage process
(the sitecustomize probe of benchmarks/hook). For Spark, also the peak memory of every
process of the server it starts for the run (a local[2] Connect server, driver memory
`--memory`): the JVM and its Python workers, each one's VmHWM read from /proc at the end
(their sum bounds the server's peak from above). Load averages before and after are kept:
the machine is shared. `--warm` repeats the Spark run with `dvc repro --force` on the same,
now warm, server: the first stages of a fresh server also pay its JIT warm-up, which a
long-running server (the normal case) has behind it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import (  # noqa: E402
    Progress,
    _workdir,
    bench_env,
    count_rows,
    machine,
    new_project,
    repro,
    set_param,
    sh,
    synthetic_data,
)


def group_peaks_mb(pgid: int) -> dict[str, float]:
    """Peak RSS (VmHWM) of every live process in process group `pgid`, by pid and name."""
    peaks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            status = (entry / "status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        name = fields.get("Name", "?").strip()
        hwm = fields.get("VmHWM", "0 kB").split()[0]
        peaks[f"{name}-{entry.name}"] = round(int(hwm) / 1024, 1)
    return peaks


def engine_run(
    engine: str,
    data: Path,
    workdir: Path,
    remote: str | None,
    progress: Progress,
    warm: bool = False,
) -> dict[str, Any]:
    project = new_project(workdir, f"project-{engine}", data)
    set_param(project / "params.yaml", "engine", "name", engine)
    env = bench_env(workdir)
    sh(["git", "commit", "-q", "--allow-empty", "-am", f"engine {engine}"], project, env)
    if remote is not None:
        os.environ["SPARK_REMOTE"] = remote
    try:
        progress(f"dvc repro, engine.name {engine}")
        result = repro(project, workdir, engine)
        if warm:
            progress(f"dvc repro --force, engine.name {engine}, warm")
            result["warm"] = repro(project, workdir, f"{engine}-warm", force=True)
            progress(f"    {result['warm']['wall_s']:.1f}s, stages {result['warm']['stage_s']}")
    finally:
        os.environ.pop("SPARK_REMOTE", None)
    progress(f"    {result['wall_s']:.1f}s, stages {result['stage_s']}")
    metrics = json.loads((project / "metrics/metrics.json").read_text())
    result["test_accuracy"] = metrics["test"]["accuracy"]
    return result


def spark_run(
    args: argparse.Namespace, data: Path, workdir: Path, progress: Progress
) -> dict[str, Any]:
    """The Spark engine's repro on a local server of its own, and the server's memory."""
    from scripts import spark_local

    state = workdir / "spark-server"
    started = time.monotonic()
    with spark_local.local_server(state, master=args.master, memory=args.memory) as url:
        result: dict[str, Any] = {"server_start_s": round(time.monotonic() - started, 1)}
        server = spark_local.running(state)[0]
        result["spark"] = engine_run("spark", data, workdir, url, progress, args.warm)
        result["spark"]["server_peak_rss_mb"] = group_peaks_mb(server.pid)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="synthetic rows to generate (or reuse)")
    parser.add_argument("--data", type=Path, help="measure on this CSV instead")
    parser.add_argument("--memory", default="4g", help="the Spark server's driver memory")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--workdir", type=Path, help="keep the temporary projects here")
    parser.add_argument("--skip-sklearn", action="store_true", help="the Spark run only")
    parser.add_argument("--skip-spark", action="store_true", help="the scikit-learn run only")
    parser.add_argument("--warm", action="store_true", help="rerun Spark on the warm server")
    args = parser.parse_args(argv)
    if (args.rows is None) == (args.data is None):
        parser.error("give --rows N (synthetic data) or --data CSV")

    load_before = os.getloadavg()
    with _workdir(args.workdir) as workdir:
        if args.data is None:
            progress = Progress(args.rows)
            data = synthetic_data(args.rows, 0, progress)
        else:
            data = args.data
            progress = Progress(count_rows(data))
        data = data.resolve()
        result: dict[str, Any] = {"rows": count_rows(data), "master": args.master}
        if not args.skip_sklearn:
            result["sklearn"] = engine_run("sklearn", data, workdir, None, progress)
        if not args.skip_spark:
            result.update(spark_run(args, data, workdir, progress))
    result["load_average"] = [round(x, 2) for x in (*load_before, *os.getloadavg())][::3]
    result["machine"] = machine()
    text = json.dumps(result, indent=2) + "\n"
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
