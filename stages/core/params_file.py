"""Reading params.yaml into a plain mapping, as DVC reads it.

PyYAML's SafeLoader follows YAML 1.1, where `1e12` is a string and a key given twice
silently keeps the last value; DVC (`-S train.C=1e12`) writes YAML 1.2 floats. This loader
reads both like YAML 1.2 and refuses duplicate keys, with the line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from stages.core.errors import ParamsError

DEFAULT_PARAMS_PATH = Path("params.yaml")


class _DuplicateKeyError(Exception):
    """A mapping names the same key twice; PyYAML would silently keep the last."""


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader that reads `1e12` as a float, as YAML 1.2 (and DVC's `-S`) does, and
    refuses a key given twice in one mapping (PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise _DuplicateKeyError(f"key {key!r} appears twice in one section (line {line})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def read_params_file(path: Path | str = DEFAULT_PARAMS_PATH) -> dict[str, Any]:
    """The raw mapping in params.yaml, or a ParamsError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ParamsError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise ParamsError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        raw = yaml.load(text, Loader=_YamlLoader)
    except _DuplicateKeyError as error:
        raise ParamsError(f"{path}: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ParamsError(f"{path}: not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of sections at top level")
    return raw
