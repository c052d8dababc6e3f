"""The repo's own files: committed data, dvc.yaml wiring, lint."""

from __future__ import annotations

import ast
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stages.core import artifacts
from tests.conftest import ROOT, project_files, run

DVC_YAML = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
SUMS = ROOT / "data/SHA256SUMS"  # `sha256sum -c data/SHA256SUMS` from the repo's root


def recorded_checksums() -> dict[str, str]:
    """path -> sha256, as the repo records them (sha256sum's format)."""
    lines = SUMS.read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines if line)}


def test_checksums_are_recorded_in_the_repo_for_every_input() -> None:
    assert set(recorded_checksums()) == {"data/titanic.csv", "data/titanic_unlabeled.csv"}


@pytest.mark.parametrize("path", ["data/titanic.csv", "data/titanic_unlabeled.csv"])
def test_committed_data_is_the_documented_file(path: str) -> None:
    assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == recorded_checksums()[path]


def test_nothing_refers_to_files_outside_the_repo() -> None:
    """A clone holds only the repo: a path into the development folder's neighbours (the
    reference notebook, the original data) is a dead link there."""
    needle = "shared" + "/"  # split, so this file does not find itself
    offenders = [
        f"{name}:{number}"
        for name in project_files()
        if not name.endswith(".lock")
        for number, line in enumerate(_text_lines(ROOT / name), start=1)
        if needle in line
    ]
    assert offenders == []


def _text_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:  # a binary file (images): no links in it
        return []


def local_imports(module_path: Path) -> set[str]:
    """`stages.*` modules a file imports, followed transitively: `from stages.a import b`
    (b a name or a submodule), `import stages.a.b`, at any depth of the file."""
    seen: set[str] = set()
    pending = [module_path]
    while pending:
        for name in _imported_modules(ast.parse(pending.pop().read_text())):
            path = name.replace(".", "/") + ".py"
            if path not in seen and (ROOT / path).is_file():
                seen.add(path)
                pending.append(ROOT / path)
    return seen


def _imported_modules(tree: ast.Module) -> set[str]:
    """Every dotted name an import in `tree` may load (existing files are kept by the caller)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stages"):
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("stages"))
    return names


def test_the_import_walker_sees_every_form_of_import() -> None:
    tree = ast.parse(
        "from stages.lib import gate\nimport stages.lib.metrics\n"
        "def f():\n    from stages.core.params import Params\n"
    )
    found = _imported_modules(tree)
    assert {"stages.lib.gate", "stages.lib.metrics", "stages.core.params"} <= found


@pytest.mark.parametrize("package", ["stages/core/__init__.py", "stages/lib/__init__.py"])
def test_package_inits_below_stages_run_no_code(package: str) -> None:
    """Every stage runs these, and no stage lists them in dvc.yaml (stages/core's is inside
    its directory dep; stages/lib's is in none): a docstring is all they may hold."""
    body = ast.parse((ROOT / package).read_text()).body
    assert len(body) == 1
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)


CORE = "stages/core"


def core_modules() -> set[str]:
    """The modules of stages/core (the Spark engine's subpackage aside: a stage imports it
    only when params select Spark, and it is inside the directory dep all the same)."""
    return {f"{CORE}/{path.name}" for path in (ROOT / CORE).glob("*.py")} - {f"{CORE}/__init__.py"}


@pytest.mark.parametrize("name", sorted(DVC_YAML))
def test_each_stage_lists_exactly_the_code_it_runs(name: str) -> None:
    """Its script, the package's __init__, stages/core as one directory, and every
    stages/lib module they import; a stage that loads a fitted object also runs the code of
    the classes inside it (all reachable from stages/lib/model.py)."""
    stage = DVC_YAML[name]
    script = stage["cmd"].split("-m ")[1].split()[0].replace(".", "/") + ".py"
    # Python runs the package's __init__ before any `python -m stages.NAME`.
    package = ROOT / "stages/__init__.py"
    runs = {script, "stages/__init__.py", *local_imports(package), *local_imports(ROOT / script)}
    if any(str(dep).startswith("models/") for dep in stage["deps"]):
        model_code = ROOT / "stages/lib/model.py"
        runs |= {"stages/lib/model.py", *local_imports(model_code)}
    code_deps = {d for d in stage["deps"] if d.startswith("stages")}
    assert code_deps == {CORE} | {module for module in runs if not module.startswith(CORE)}


@pytest.mark.parametrize("name", sorted(DVC_YAML))
def test_every_stage_runs_all_of_stages_core(name: str) -> None:
    """The directory dep costs no rerun precision: every stage imports every module of
    stages/core, so an edit there reruns only stages that run the edited code. A module
    that some stage does not import belongs in stages/lib."""
    script = DVC_YAML[name]["cmd"].split("-m ")[1].split()[0].replace(".", "/") + ".py"
    runs = local_imports(ROOT / "stages/__init__.py") | local_imports(ROOT / script)
    assert core_modules() - runs == set()


def artifact_locations() -> dict[str, Path]:
    """Every folder and file `artifacts` names (its *_DIR and *_PATH constants)."""
    return {
        name: value
        for name, value in vars(artifacts).items()
        if name.endswith(("_DIR", "_PATH")) and isinstance(value, Path)
    }


def test_dvc_yaml_outputs_and_artifacts_locations_agree() -> None:
    """What DVC tracks is exactly where `artifacts` writes, in both directions: each out is
    one of its locations, and each location is an out, inside one, or a folder holding
    outs. Two local files are deliberately not DVC's: the report (`make report`) and
    predict's record of the files it wrote (both git-ignored)."""
    outs = {
        str(next(iter(o))) if isinstance(o, dict) else str(o)
        for stage in DVC_YAML.values()
        for key in ("outs", "metrics")
        for o in stage.get(key, [])
    }
    outs = {out for out in outs if "${" not in out}  # user paths from params.yaml
    locations = {name: str(path) for name, path in artifact_locations().items()}
    assert outs <= set(locations.values())
    for name, location in locations.items():
        if name in ("REPORT_PATH", "WRITTEN_PATH", "DIGESTS_PATH"):  # local state, not outputs
            continue
        inside = any(location == o or location.startswith(f"{o}/") for o in outs)
        holds = any(o.startswith(f"{location}/") for o in outs)
        assert inside or holds, f"artifacts.{name} ({location}) is not tracked by DVC"


def test_no_titanic_column_name_in_code() -> None:
    names = ["Survived", "PassengerId", "Pclass", "SibSp", "Parch", "Fare", "Cabin", "Embarked"]
    for path in (ROOT / "stages").rglob("*.py"):
        text = path.read_text()
        assert not [n for n in names if n in text], path


def test_ruff_check_and_format_are_clean() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([str(ruff), *args], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_type_checks_the_stages_strictly_in_the_core() -> None:
    """`make lint`'s type check (pyproject.toml: strict on stages/core and stages/lib)."""
    mypy = Path(sys.executable).parent / "mypy"
    result = subprocess.run([str(mypy)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_own_data_goes_into_experiment_commits_unless_dvc_tracks_it(
    reproduced_copy: Path,
) -> None:
    """README, "Use your own data": `dvc exp run` commits an untracked data file a stage
    reads into the experiment's git commit; after `dvc add` only the small .dvc file goes in.
    (The copy has the same bytes as the Titanic file, so DVC restores the later stages.)"""
    project = reproduced_copy
    shutil.copy(project / "data/titanic.csv", project / "data/mine.csv")

    def exp_files(name: str) -> set[str]:
        run(["dvc", "exp", "run", "-n", name, "-S", "data.train_path=data/mine.csv"], project)
        refs = run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], project).stdout
        ref = next(line for line in refs.splitlines() if line.endswith(f"/{name}"))
        listed = run(["git", "ls-tree", "-r", "--name-only", ref, "data/"], project).stdout
        return set(listed.splitlines())

    assert "data/mine.csv" in exp_files("untracked")
    run(["git", "checkout", "-q", "--", "params.yaml", "dvc.lock"], project)
    run(["dvc", "add", "-q", "data/mine.csv"], project)
    assert "/mine.csv" in (project / "data/.gitignore").read_text().splitlines()
    run(["git", "add", "data/mine.csv.dvc", "data/.gitignore"], project)
    run(["git", "commit", "-q", "-m", "track data/mine.csv with DVC"], project)
    files = exp_files("tracked")
    assert "data/mine.csv.dvc" in files
    assert "data/mine.csv" not in files


def test_dvc_add_refuses_a_file_git_already_tracks(project: Path) -> None:
    result = run(["dvc", "add", "data/titanic.csv"], project, check=False)
    assert result.returncode != 0
    assert "already tracked by SCM" in result.stderr
    assert "git rm -r --cached 'data/titanic.csv'" in result.stderr


def runtime_imports(path: Path) -> set[str]:
    """The `stages.*` modules a file imports when it runs (inside functions too), leaving
    out `if TYPE_CHECKING:` blocks, which never run."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and id(node) not in skipped
        and (node.module or "").startswith("stages")
    }


def test_the_import_graph_of_stages_has_no_cycle() -> None:
    """Every module can be understood (and changed) from the ones below it."""
    modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): path
        for path in (ROOT / "stages").rglob("*.py")
    }
    graph = {name: runtime_imports(path) & set(modules) for name, path in modules.items()}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        assert name not in visiting, " -> ".join([*visiting[visiting.index(name) :], name])
        if name in done:
            return
        visiting.append(name)
        for imported in sorted(graph[name]):
            visit(imported)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
