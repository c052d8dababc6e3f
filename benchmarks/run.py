"""Measure the staged pipeline against the one-process equivalent, at any size.

`python benchmarks/run.py --rows N [--json OUT]` makes (or reuses) a synthetic file of N
rows (benchmarks/make_data.py; `--data CSV` uses a given file instead), copies the project
into a temporary git repo, points `data.train_path` at the file (params only: code and
dvc.yaml are untouched) and measures:

  (a) a full `dvc repro`: total wall time, and each stage's wall time and peak RSS;
  (b) the single-process scikit-learn Pipeline (benchmarks/single.py) in a fresh process;
  (c) a no-op `dvc repro`;
  (d) a `dvc repro` after a `train.C` change (only train and what follows it may run);
  (e) the single process again, with that changed C: what a user without stages reruns.

(d) is reported against both (b) and (e). Against (e) both sides fit the same model: a
change of C changes liblinear's work (at 1M rows C=1e11 takes ~0.6 s longer than the
default 1e12), and only (e) leaves that out of the rerun's comparison.

With --repeat N each step runs N times (a fresh project copy for each full run) and the
fastest is kept: on a shared machine the fastest run is the one least disturbed by
others. CPU seconds (user + sys of every process started) are reported beside wall time.
Per-stage figures come from a sitecustomize probe put on PYTHONPATH for the run
(benchmarks/hook): every Python process logs its peak RSS and lifetime at exit. Stages
are discovered from dvc.yaml and from DVC's "Running stage" lines, never hard-coded.
Progress goes to stderr; the JSON result to --json, else to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
HOOK_DIR = ROOT / "benchmarks" / "hook"
DATA_DIR = ROOT / "benchmarks" / "data"
VENV_BIN = Path(sys.executable).parent
ACCURACY_TOLERANCE = 1e-3
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Progress:
    """`bench[rows] +elapsed step` lines on stderr, so long runs show where they are."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"bench[{self.rows:,} rows] +{elapsed:7.1f}s  {message}", file=sys.stderr, flush=True)


# --- the project copy -------------------------------------------------------------------


def project_files(root: Path = ROOT) -> list[str]:
    """What a fresh clone holds: tracked and new, not ignored, files."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    return [name for name in listed if name and (root / name).is_file()]


def bench_env(workdir: Path, proc_log: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(workdir / ".dvc-site-cache"),
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
    )
    env.pop("VIRTUAL_ENV", None)
    env.pop("BENCH_PROC_LOG", None)
    # As on a user's machine: the copy's own modules get their .pyc after the first run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return with_probe(env, proc_log) if proc_log is not None else env


def with_probe(env: dict[str, str], proc_log: Path) -> dict[str, str]:
    """`env` with the per-process probe (benchmarks/hook) on PYTHONPATH, logging to
    `proc_log`: what benchmarks/suite.py sets for a test run too."""
    env = dict(env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HOOK_DIR), env.get("PYTHONPATH")]))
    env["BENCH_PROC_LOG"] = str(proc_log)
    return env


def children_cpu_seconds() -> float:
    """User + system seconds of every child process waited for so far: the difference over
    a command is the CPU time of all it started."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sh(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def timed(
    args: list[str], cwd: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run a command; its wall time, and the CPU time (user + sys) of it and all it started.

    CPU time is the steadier figure on a shared machine: other users' load stretches wall
    time but not the CPU seconds the pipeline itself burns.
    """
    before = children_cpu_seconds()
    started = time.monotonic()
    result = sh(args, cwd, env)
    wall = time.monotonic() - started
    return result, wall, children_cpu_seconds() - before


def copy_project_files(destination: Path) -> Path:
    """The files a fresh clone holds, copied into `destination` (the tests use it too)."""
    for name in project_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return destination


def copy_project(destination: Path, env: dict[str, str]) -> Path:
    """The project's files in a new git repo with one commit, as a user's clone."""
    copy_project_files(destination)
    sh(["git", "init", "-q", "-b", "main"], destination, env)
    sh(["git", "add", "-A"], destination, env)
    sh(["git", "commit", "-q", "-m", "project"], destination, env)
    return destination


def set_param(params_path: Path, section: str, key: str, value: str) -> None:
    """Replace one `section.key` value in params.yaml, keeping its comments and layout."""
    lines = params_path.read_text(encoding="utf-8").splitlines(keepends=True)
    in_section = False
    for number, line in enumerate(lines):
        if re.match(rf"^{re.escape(section)}:\s*(#.*)?$", line):
            in_section = True
        elif in_section and re.match(r"^\S", line):
            break
        elif in_section and (found := re.match(rf"^(\s+{re.escape(key)}:\s*)(\S+)(.*)$", line)):
            lines[number] = f"{found[1]}{value}{found[3]}\n"
            params_path.write_text("".join(lines), encoding="utf-8")
            return
    raise KeyError(f"{section}.{key} not found in {params_path}")


def read_param(params_path: Path, section: str, key: str) -> Any:
    return yaml.safe_load(params_path.read_text(encoding="utf-8"))[section][key]


# --- DVC's pipeline, discovered ---------------------------------------------------------


def pipeline_stages(project: Path) -> dict[str, dict[str, Any]]:
    """name → {cmd, deps, outs, metrics} from dvc.yaml (file order)."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    described = {}
    for name, spec in stages.items():
        described[name] = {
            "cmd": spec["cmd"] if isinstance(spec["cmd"], str) else " && ".join(spec["cmd"]),
            "deps": [str(d) for d in spec.get("deps", [])],
            "outs": [_path_of(o) for o in spec.get("outs", [])],
            "metrics": [_path_of(m) for m in spec.get("metrics", [])],
        }
    return described


def _path_of(entry: Any) -> str:
    return entry if isinstance(entry, str) else next(iter(entry))


def downstream(stages: dict[str, dict[str, Any]], start: str) -> list[str]:
    """`start` and every stage that depends on its outputs, transitively (dvc.yaml order)."""
    affected, produced = {start}, set(stages[start]["outs"] + stages[start]["metrics"])
    changed = True
    while changed:
        changed = False
        for name, spec in stages.items():
            if name in affected:
                continue
            if any(_overlaps(dep, out) for dep in spec["deps"] for out in produced):
                affected.add(name)
                produced |= set(spec["outs"] + spec["metrics"])
                changed = True
    return [name for name in stages if name in affected]


def _overlaps(dep: str, out: str) -> bool:
    dep, out = dep.rstrip("/"), out.rstrip("/")
    return dep == out or dep.startswith(out + "/") or out.startswith(dep + "/")


def stage_of(record: dict[str, Any], stages: dict[str, dict[str, Any]]) -> str | None:
    """Which stage's command started this process (module or script named in its cmd)."""
    module = record.get("module")
    script = Path(record["argv"][0]).name if record.get("argv") else ""
    for name, spec in stages.items():
        tokens = re.split(r"[\s;&|]+", spec["cmd"])
        if module and module in tokens:
            return name
        if module is None and script and any(Path(t).name == script for t in tokens):
            return name
    return None


def ran_stages(output: str) -> list[str]:
    return [
        line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")
    ]


def repro(project: Path, workdir: Path, label: str, *, force: bool = False) -> dict[str, Any]:
    """One `dvc repro` (`--force`: every stage): wall time, the stages it ran, each stage's
    lifetime and peak RSS."""
    log = workdir / f"procs-{label}.jsonl"
    log.unlink(missing_ok=True)
    command = ["dvc", "repro", *(["--force"] if force else [])]
    result, wall, cpu = timed(command, project, bench_env(workdir, log))
    stages = pipeline_stages(project)
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    stage_s: dict[str, float] = {}
    stage_rss: dict[str, float] = {}
    dvc_rss = 0.0
    for record in records:
        name = stage_of(record, stages)
        if name is None:
            dvc_rss = max(dvc_rss, record["peak_rss_mb"])
            continue
        stage_s[name] = round(stage_s.get(name, 0.0) + record["wall_s"], 3)
        stage_rss[name] = round(max(stage_rss.get(name, 0.0), record["peak_rss_mb"]), 1)
    ran = ran_stages(result.stdout)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "ran": ran,
        "stage_s": {name: stage_s[name] for name in ran if name in stage_s},
        "peak_rss_mb": {name: stage_rss[name] for name in ran if name in stage_rss},
        "dvc_peak_rss_mb": round(dvc_rss, 1),
    }


def staged_accuracy(project: Path) -> float:
    """Test accuracy from the pipeline's metrics file(s) declared in dvc.yaml."""
    for spec in pipeline_stages(project).values():
        for metric in spec["metrics"]:
            values = json.loads((project / metric).read_text(encoding="utf-8"))
            if isinstance(values.get("test"), dict) and "accuracy" in values["test"]:
                return float(values["test"]["accuracy"])
    raise RuntimeError("no metrics file with test.accuracy in dvc.yaml")


def single(project: Path, workdir: Path, data: Path, chain: bool = False) -> dict[str, Any]:
    """benchmarks/single.py in a fresh process: wall time, peak RSS, its test accuracy."""
    label = "chain" if chain else "single"
    log = workdir / f"procs-{label}.jsonl"
    log.unlink(missing_ok=True)
    args = [sys.executable, "benchmarks/single.py", "--data", str(data), "--params", "params.yaml"]
    command = [*args, *(["--chain"] if chain else [])]
    result, wall, cpu = timed(command, project, bench_env(workdir, log))
    record = json.loads(log.read_text().splitlines()[-1])
    reported = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": round(record["peak_rss_mb"], 1),
        "test_accuracy": reported["test_accuracy"],
    }


# --- the whole measurement --------------------------------------------------------------


def synthetic_data(rows: int, seed: int, progress: Progress) -> Path:
    """The cached synthetic file for (rows, seed), made once under benchmarks/data/."""
    from benchmarks.make_data import write_data

    path = DATA_DIR / f"synthetic-{rows}-seed{seed}.csv"
    if path.is_file():
        progress(f"data: reusing {path.relative_to(ROOT)}")
        return path
    progress(f"data: generating {path.relative_to(ROOT)}")
    return write_data(rows, seed, path)


def count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        **{name: version(name) for name in ("scikit-learn", "pandas", "numpy", "dvc")},
    }


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    """A scratch folder for the project copy and probe logs; kept only if asked for."""
    if keep is not None:
        if keep.exists():
            shutil.rmtree(keep)
        keep.mkdir(parents=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="bench-") as name:
        yield Path(name)


def new_project(workdir: Path, name: str, data: Path) -> Path:
    """A fresh copy of the project whose params point at `data` (committed, as a user's)."""
    env = bench_env(workdir)
    project = copy_project(workdir / name, env)
    set_param(project / "params.yaml", "data", "train_path", str(data))
    sh(["git", "commit", "-qam", "benchmark data"], project, env)
    return project


def best(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of repeated runs: the least disturbed by other load on the machine."""
    return min(samples, key=lambda sample: sample["wall_s"])


def measure(
    rows: int | None,
    seed: int,
    data: Path | None,
    workdir: Path,
    chain: bool = False,
    repeat: int = 1,
) -> dict[str, Any]:
    """Steps (a) to (e), each `repeat` times (best kept); returns the JSON-ready result."""
    if data is None:
        assert rows is not None
        progress = Progress(rows)
        data = synthetic_data(rows, seed, progress)
    else:
        rows = count_rows(data)
        progress = Progress(rows)
    data = data.resolve()
    load_before = os.getloadavg()
    fulls, singles, chains, noops, reruns, singles_after = [], [], [], [], [], []
    for attempt in range(1, repeat + 1):
        note = f" [{attempt}/{repeat}]" if repeat > 1 else ""
        project = new_project(workdir, f"project-{attempt}", data)
        progress(f"(a) full dvc repro in a fresh copy{note}")
        fulls.append(repro(project, workdir, "full"))
        progress(f"    {fulls[-1]['wall_s']:.1f}s, stages {fulls[-1]['stage_s']}")
        accuracy = staged_accuracy(project)

        progress(f"(b) single-process sklearn Pipeline, fresh process{note}")
        singles.append(single(project, workdir, data))
        progress(f"    {singles[-1]['wall_s']:.1f}s, {singles[-1]['peak_rss_mb']:.0f} MB")
        if chain:
            progress(f"(b') build_chain(params) in one process{note}")
            chains.append(single(project, workdir, data, chain=True))
            progress(f"    {chains[-1]['wall_s']:.1f}s, {chains[-1]['peak_rss_mb']:.0f} MB")

        progress(f"(c) no-op dvc repro{note}")
        noops.append(repro(project, workdir, "noop"))
        progress(f"    {noops[-1]['wall_s']:.2f}s, ran {noops[-1]['ran']}")

        params_path = project / "params.yaml"
        old_c = float(read_param(params_path, "train", "C"))
        progress(f"(d) dvc repro after train.C {old_c:g} -> {old_c / 10:g}{note}")
        set_param(params_path, "train", "C", f"{old_c / 10:g}")
        reruns.append(repro(project, workdir, "rerun"))
        progress(f"    {reruns[-1]['wall_s']:.1f}s, ran {reruns[-1]['ran']}")
        rerun_accuracy = staged_accuracy(project)
        progress(f"(e) single-process sklearn Pipeline with train.C {old_c / 10:g}{note}")
        singles_after.append(single(project, workdir, data))
        progress(f"    {singles_after[-1]['wall_s']:.1f}s")
        if attempt < repeat:
            shutil.rmtree(project)

    full, one, noop, rerun = best(fulls), best(singles), best(noops), best(reruns)
    one_after = best(singles_after)
    staged_s, single_s = full["wall_s"], one["wall_s"]
    result = {
        "rows": rows,
        "seed": None if data.parent != DATA_DIR.resolve() else seed,
        "data": str(data.relative_to(ROOT)) if data.is_relative_to(ROOT) else str(data),
        "repeat": repeat,
        "staged_s": staged_s,
        "single_s": single_s,
        "ratio": round(staged_s / single_s, 3),
        "noop_s": noop["wall_s"],
        "rerun_s": rerun["wall_s"],
        "rerun_ratio": round(rerun["wall_s"] / single_s, 3),
        "single_after_s": one_after["wall_s"],
        "rerun_same_params_ratio": round(rerun["wall_s"] / one_after["wall_s"], 3),
        "staged_cpu_s": full["cpu_s"],
        "single_cpu_s": one["cpu_s"],
        "cpu_ratio": round(full["cpu_s"] / one["cpu_s"], 3),
        "noop_cpu_s": noop["cpu_s"],
        "rerun_cpu_s": rerun["cpu_s"],
        "stage_s": full["stage_s"],
        "dvc_overhead_s": round(staged_s - sum(full["stage_s"].values()), 3),
        "peak_rss_mb": full["peak_rss_mb"],
        "dvc_peak_rss_mb": full["dvc_peak_rss_mb"],
        "single_peak_rss_mb": one["peak_rss_mb"],
        "stages": full["ran"],
        "noop_ran": noop["ran"],
        "rerun_stages": rerun["ran"],
        "rerun_expected": downstream(pipeline_stages(project), "train"),
        "staged_test_accuracy": accuracy,
        "single_test_accuracy": one["test_accuracy"],
        "accuracy_match": abs(accuracy - one["test_accuracy"]) <= ACCURACY_TOLERANCE,
        "rerun_test_accuracy": rerun_accuracy,
        "single_after_test_accuracy": one_after["test_accuracy"],
        "rerun_accuracy_match": (
            abs(rerun_accuracy - one_after["test_accuracy"]) <= ACCURACY_TOLERANCE
        ),
        "samples_s": {
            "staged": [f["wall_s"] for f in fulls],
            "single": [o["wall_s"] for o in singles],
            "noop": [n["wall_s"] for n in noops],
            "rerun": [r["wall_s"] for r in reruns],
            "single_after": [s["wall_s"] for s in singles_after],
        },
        "load_average": [round(x, 2) for x in (*load_before, *os.getloadavg())][::3],
        "machine": machine(),
        "date": dt.date.today().isoformat(),
    }
    if chains:
        chained = best(chains)
        result.update(
            chain_s=chained["wall_s"],
            chain_cpu_s=chained["cpu_s"],
            chain_peak_rss_mb=chained["peak_rss_mb"],
            chain_test_accuracy=chained["test_accuracy"],
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="synthetic rows to generate (or reuse)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic data seed (default: 0)")
    parser.add_argument("--data", type=Path, help="measure on this CSV instead of synthetic data")
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--chain", action="store_true", help="also time build_chain(params)")
    parser.add_argument("--workdir", type=Path, help="keep the temporary project here")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each step N times, keep the fastest"
    )
    args = parser.parse_args(argv)
    if (args.rows is None) == (args.data is None):
        parser.error("give --rows N (synthetic data) or --data CSV")
    if args.rows is not None and args.rows < 10:
        parser.error("--rows must be at least 10")
    with _workdir(args.workdir) as workdir:
        result = measure(
            args.rows, args.seed, args.data, workdir, chain=args.chain, repeat=max(1, args.repeat)
        )
    text = json.dumps(result, indent=2) + "\n"
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text, encoding="utf-8")
        print(f"wrote {args.json}", file=sys.stderr)
    else:
        print(text, end="")
    problems = check(result)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def check(result: dict[str, Any]) -> list[str]:
    """What the run must show beyond timings: same accuracy, only the right stages rerun."""
    problems = []
    if not result["accuracy_match"]:
        problems.append(
            f"staged test accuracy {result['staged_test_accuracy']} differs from the single "
            f"process's {result['single_test_accuracy']} by more than {ACCURACY_TOLERANCE}"
        )
    if not result["rerun_accuracy_match"]:
        problems.append(
            f"after the train.C change the staged test accuracy {result['rerun_test_accuracy']} "
            f"differs from the single process's {result['single_after_test_accuracy']}"
        )
    if result["noop_ran"]:
        problems.append(f"the no-op dvc repro ran stages: {result['noop_ran']}")
    if sorted(result["rerun_stages"]) != sorted(result["rerun_expected"]):
        problems.append(
            f"after a train.C change dvc repro ran {result['rerun_stages']}, expected "
            f"{result['rerun_expected']} (train and the stages after it)"
        )
    return problems


if __name__ == "__main__":
    sys.exit(main())
