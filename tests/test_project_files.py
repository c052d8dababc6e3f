"""The repo's own files: committed data, dvc.yaml wiring, lint."""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stages.core import artifacts
from tests.conftest import ROOT

DVC_YAML = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
DATA_CHECKSUMS = {
    "data/titanic.csv": "7d118fef8b6ccf7f81111877bc388536f7b1e498a655e3d649d19aaa010e9f6f",
    "data/titanic_unlabeled.csv": (
        "56023b9948236f3c7a1c9448fcf418b283e109ef177fa8c7e069158dd7dd52b2"
    ),
}


@pytest.mark.parametrize(("path", "sha256"), DATA_CHECKSUMS.items())
def test_committed_data_is_the_documented_file(path: str, sha256: str) -> None:
    assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == sha256


def local_imports(module_path: Path) -> set[str]:
    """`stages.*` modules a file imports, followed transitively."""
    seen: set[str] = set()
    pending = [module_path]
    while pending:
        tree = ast.parse(pending.pop().read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("stages")
            ):
                name = node.module.replace(".", "/") + ".py"
                if name not in seen and (ROOT / name).is_file():
                    seen.add(name)
                    pending.append(ROOT / name)
    return seen


@pytest.mark.parametrize("name", sorted(DVC_YAML))
def test_each_stage_lists_exactly_the_code_it_runs(name: str) -> None:
    """Its script and every project module it imports; a stage that loads a fitted object
    also runs the code of the classes inside it (all reachable from stages/core/model.py)."""
    stage = DVC_YAML[name]
    script = stage["cmd"].split("-m ")[1].split()[0].replace(".", "/") + ".py"
    expected = {script, *local_imports(ROOT / script)}
    if any(str(dep).startswith("models/") for dep in stage["deps"]):
        model_code = ROOT / "stages/core/model.py"
        expected |= {"stages/core/model.py", *local_imports(model_code)}
    code_deps = {d for d in stage["deps"] if d.endswith(".py")}
    assert code_deps == expected


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
    outs; the report is the one artifact DVC does not track (`make report`, git-ignored)."""
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
        if name == "REPORT_PATH":
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
