"""Where `python -m stages.predict --output` may write: never over something it would destroy.

Refused whatever flags are given (one line, exit 2, nothing written): the input, the params
file, dvc.yaml and dvc.lock, anything under .git/ or .dvc/, and every output or dependency
of a DVC stage (dvc.yaml, `${...}` resolved from params) or of a `*.dvc` file. Paths are
compared after resolving `..` and symlinks. Overwriting a file DVC linked or copied from
its cache is how the cache got corrupted; overwriting a dependency silently changes what
the next `dvc repro` computes.

Any other existing file is replaced only with `--overwrite`, or when predict itself wrote
it and it is unchanged since: each write records the file's resolved path and sha256 in
WRITTEN_PATH (local, git-ignored), and a file whose current sha256 matches is ours. The
predict stage's own DVC output (data.predictions_path) may always be rewritten: DVC keeps
it in its cache, and `dvc repro` deletes it before each run anyway.

dvc.yaml is read with PyYAML (milliseconds), not DVC's API (~0.4 s of imports per run).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stages.core.artifacts import WRITTEN_PATH, file_sha256, read_yaml, write_text
from stages.core.errors import PipelineError

PIPELINE_FILES = ("dvc.yaml", "dvc.lock")
PRIVATE_FOLDERS = (".git", ".dvc")
OWN = "an output of DVC stage 'predict'"
_INTERPOLATION = re.compile(r"\$\{\s*([A-Za-z0-9_.-]+)\s*\}")


class OutputError(PipelineError):
    """The output path would overwrite something that must not be overwritten."""


def check_output(
    output: Path,
    *,
    input_path: Path,
    params_path: Path,
    params_values: dict[str, Any],
    own_output: str,
    overwrite: bool,
    root: Path | None = None,
) -> Path:
    """The path to write (a symlink's target), or OutputError saying why `output` is refused.

    `own_output` is the predict stage's own DVC out (data.predictions_path).
    """
    root = (root or Path.cwd()).resolve()
    if output.is_dir():
        raise OutputError(f"--output {output} is a folder; give a file path")
    if not output.parent.is_dir():
        raise OutputError(f"--output {output}: folder {output.parent} does not exist")
    protected = [
        *fixed_paths(root, input_path, params_path),
        *tracked_paths(root, params_values, own_output),
    ]
    lexical = Path(os.path.normpath(os.path.abspath(output)))
    if lexical == Path(os.path.normpath(root / own_output)):
        # The stage's own output may be a link into DVC's cache (.dvc/cache): the link itself
        # is replaced, never written through, so it is checked before resolving links.
        _refuse_if_under(lexical, protected, output)
        return lexical
    target = output.resolve()
    _refuse_if_under(target, protected, output)
    if target.exists() and not overwrite and not written_by_us(target, root):
        raise OutputError(
            f"--output {output} already exists and is not an unchanged file predict wrote; "
            "pass --overwrite to replace it"
        )
    return target if output.is_symlink() else output  # as given, so messages name it so


def fixed_paths(root: Path, input_path: Path, params_path: Path) -> list[tuple[Path, str]]:
    """The input, the params file, DVC's pipeline files and the .git/.dvc folders."""
    paths = [(input_path.resolve(), "the input file"), (params_path.resolve(), "the params file")]
    paths += [((root / name).resolve(), f"DVC's {name}") for name in PIPELINE_FILES]
    paths += [((root / name).resolve(), f"inside {name}/") for name in PRIVATE_FOLDERS]
    return paths


def tracked_paths(
    root: Path, params_values: dict[str, Any], own_output: str
) -> list[tuple[Path, str]]:
    """Outputs and dependencies DVC knows of, but the predict stage's own output."""
    own = (root / own_output).resolve()
    return [
        (resolved, what)
        for path, what in dvc_paths(root, params_values)
        if not ((resolved := (root / path).resolve()) == own and what == OWN)
    ]


def _refuse_if_under(target: Path, protected: list[tuple[Path, str]], output: Path) -> None:
    for path, what in protected:
        if target == path or path in target.parents:
            raise OutputError(f"--output {output} is {what}; choose another path")


def dvc_paths(root: Path, params_values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Outputs and dependencies of dvc.yaml's stages and of `*.dvc` files, relative to root."""
    pipeline = read_yaml(root / "dvc.yaml") or {}
    for name, stage in (pipeline.get("stages") or {}).items():
        if not isinstance(stage, dict):
            continue
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind) or []:
                yield _resolve(entry, params_values), f"an output of DVC stage {name!r}"
        for entry in stage.get("deps") or []:
            yield _resolve(entry, params_values), f"a dependency of DVC stage {name!r}"
    for tracker in _dvc_files(root):
        folder = tracker.parent.relative_to(root)
        for entry in (read_yaml(tracker) or {}).get("outs") or []:
            if isinstance(entry, dict) and "path" in entry:
                yield str(folder / str(entry["path"])), f"tracked by DVC ({tracker.name})"


def written_by_us(path: Path, root: Path) -> bool:
    """Predict wrote this file (per the registry) and it is byte-for-byte what it wrote."""
    return _registry(root).get(str(path)) == file_sha256(path)


def record_written(path: Path, root: Path | None = None) -> None:
    """Remember `path` (resolved) and its sha256; forget entries whose file is gone."""
    root = (root or Path.cwd()).resolve()
    entries = {key: value for key, value in _registry(root).items() if Path(key).is_file()}
    entries[str(path.resolve())] = file_sha256(path)
    write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", root / WRITTEN_PATH)


def _registry(root: Path) -> dict[str, str]:
    try:
        entries = json.loads((root / WRITTEN_PATH).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: nothing is known to be ours
    return entries if isinstance(entries, dict) else {}


def _resolve(entry: Any, params_values: dict[str, Any]) -> str:
    """A dvc.yaml path entry (a string, or a one-key mapping) with `${a.b}` filled in."""
    path = next(iter(entry)) if isinstance(entry, dict) else entry
    return _INTERPOLATION.sub(lambda m: str(_lookup(params_values, m.group(1), m.group(0))), path)


def _lookup(values: dict[str, Any], key: str, default: str) -> Any:
    value: Any = values
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def _dvc_files(root: Path) -> Iterator[Path]:
    """`*.dvc` files in the project, skipping hidden folders (.git, .dvc, .venv, ...)."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if name.endswith(".dvc"):
                yield Path(folder) / name
