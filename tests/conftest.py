"""Shared fixtures: real projects in temporary git + DVC repos, and a CLI runner.

End-to-end tests copy the project's files (what git would clone) into a temporary
folder, make it a git repo with one commit, and run the real `dvc` and stage commands
there, with analytics off and a per-test DVC site cache.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from benchmarks.run import copy_project_files, project_files, set_param

# The project-copying helpers are the benchmark's own; tests import them from here.
__all__ = ["copy_project_files", "project_files", "set_param"]
from stages.core.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
# What the `score` fixture leaves in its output before predicting over it.
PREVIOUS = "PassengerId,Survived,probability\n1,0,0.5\n"
VENV_BIN = Path(sys.executable).parent


def cli_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(workdir.parent / f"{workdir.name}-dvc-site-cache"),
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def run(
    args: list[str], cwd: Path, *, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a command in a test project; on unexpected failure show its output."""
    result = subprocess.run(
        args, cwd=cwd, env=cli_env(cwd), capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def stage(
    name: str, cwd: Path, *extra: str, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run one stage's CLI as DVC would (`python -m stages.NAME`)."""
    return run([sys.executable, "-m", f"stages.{name}", *extra], cwd, check=check)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., CliResult]


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliResult]:
    """Run a stage's CLI in-process (no interpreter start-up): `cli("predict", project, ...)`.

    Same code path as `python -m stages.NAME` (run_cli), minus the seconds of imports;
    a few tests still run the real subprocess to prove the exit code and stderr.
    """

    def call(name: str, project: Path, *args: str) -> CliResult:
        module = importlib.import_module(f"stages.{name}")
        monkeypatch.chdir(project)
        capsys.readouterr()
        try:
            run_cli(module.main, list(args))
            code = 0
        except SystemExit as stop:
            code = int(stop.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return call


def make_project(destination: Path) -> Path:
    """Copy the project into `destination` and make it a git repo with one commit."""
    copy_project_files(destination)
    run(["git", "init", "-q", "-b", "main"], destination)
    run(["git", "add", "-A"], destination)
    run(["git", "commit", "-q", "-m", "project"], destination)
    return destination


def clone_project(source: Path, destination: Path) -> Path:
    """A full copy (work tree, .git and DVC cache) of a prepared project: cheaper than a rerun."""
    shutil.copytree(source, destination, symlinks=True)
    return destination


def lock_hashes(project: Path) -> dict[str, str]:
    """Every out's md5 in dvc.lock, by stage and path."""
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    return {
        f"{name}:{out['path']}": out["md5"]
        for name, stage in lock["stages"].items()
        for out in stage.get("outs", [])
    }


# The pipeline's stages in the order `dvc repro` runs them from nothing.
PIPELINE_STAGES = (
    "split",
    "featurize",
    "impute",
    "encode",
    "scale",
    "train",
    "evaluate",
    "predict",
)


def ran_stages(output: str) -> list[str]:
    """Names of the stages `dvc repro` actually ran, from its log."""
    return [
        line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")
    ]


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_worker() -> Iterator[None]:
    """In-process fits use one OpenMP/BLAS thread, as the train stage does: with two xdist
    workers on two cores, more threads only fight (a 120-row tree search: 27 s vs ~2 s)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project in a temporary git repo (not yet reproduced)."""
    return make_project(tmp_path / "project")


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project after a real `dvc repro`, committed, shared by every test and every
    xdist worker (read-only: copy it with `clone_project`, or use `reproduced_copy`).

    The first worker to ask builds it under the run's common temporary folder while holding
    a lock; the others wait for it and reuse it, so the whole suite pays for one repro.
    """
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # xdist: each worker's base is in the run's root
        shared = shared.parent
    path = shared / "reproduced" / "project"
    with FileLock(str(shared / "reproduced.lock")):
        if not (path / ".reproduced").is_file():
            shutil.rmtree(path.parent, ignore_errors=True)
            path.parent.mkdir(parents=True)
            make_project(path)
            run(["dvc", "repro"], path)
            run(["git", "add", "-A"], path)
            run(["git", "commit", "-q", "--allow-empty", "-m", "reproduced"], path)
            # Outside git's view: a marker that the build finished (`.git/info/exclude`).
            with (path / ".git/info/exclude").open("a") as exclude:
                exclude.write("/.reproduced\n")
            (path / ".reproduced").touch()
    return path


@pytest.fixture
def reproduced_copy(reproduced: Path, tmp_path: Path) -> Iterator[Path]:
    """A private, already reproduced project a test may change freely."""
    yield clone_project(reproduced, tmp_path / "reproduced-copy")


@pytest.fixture
def score(reproduced_copy: Path, cli: Cli) -> Callable[..., tuple[CliResult, Path]]:
    """Write `text` as new.csv (None: leave it), predict it over a previous output."""

    def call(text: str | None, project: Path = reproduced_copy) -> tuple[CliResult, Path]:
        if text is not None:
            (project / "new.csv").write_text(text)
        output = project / "scored.csv"
        output.write_text(PREVIOUS)
        args = ("--input", "new.csv", "--output", "scored.csv", "--overwrite")
        return cli("predict", project, *args), output

    return call


@pytest.fixture
def scoring(reproduced_copy: Path) -> Path:
    return reproduced_copy


# Tests that run real `dvc` commands or stage processes in a project are end-to-end (`-m e2e`);
# `pytest -m "not e2e"` runs the pure unit tests in seconds. A test is e2e when it uses one of
# these fixtures or its module says so (`pytestmark = pytest.mark.e2e`).
# `make test` runs the end-to-end tests with `--dist loadfile`: each file's tests share one
# xdist worker, so the Spark tests (all in tests/test_spark.py) start one server, not one
# per worker. (`--dist loadgroup` would not do: with pytest 9.2, xdist 3.8's group suffix
# on node ids no longer takes effect, and the groups were silently spread over workers.)
E2E_FIXTURES = {"project", "reproduced", "reproduced_copy", "score", "scoring"}
SPARK_FIXTURES = {"spark", "spark_remote", "spark_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (E2E_FIXTURES | SPARK_FIXTURES) & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


# --- Spark engine (issue 13) ---------------------------------------------------------------
# The session-scoped Spark Connect server fixtures; they skip when pyspark or Java is absent.
pytest_plugins = ["tests.spark_fixtures"]
