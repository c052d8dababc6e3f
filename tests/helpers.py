"""Plain helpers the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from tests.conftest import PREVIOUS, CliResult

__all__ = ["PREVIOUS"]

TRAIN_HEADER = "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked"
Scorer = Callable[..., tuple[CliResult, Path]]
HEADER = "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked"
ROW = '900,3,"Doe, Mr. John",male,30,0,0,A1,7.25,,S'


def digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def outputs(project: Path) -> list[Path]:
    folders = ["data/split", "data/featured", "data/imputed", "data/encoded", "data/scaled"]
    folders.append("models")
    return sorted(p for folder in folders for p in (project / folder).rglob("*") if p.is_file())


def assert_one_line_error(result: CliResult, *fragments: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def labelled(*survived: str) -> str:
    rows = [
        f'{i},{s},3,"P, Mr. {i}",male,30,0,0,A{i},7.25,C{i},S' for i, s in enumerate(survived, 1)
    ]
    return "\n".join([TRAIN_HEADER, *rows]) + "\n"
