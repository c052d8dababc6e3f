"""Wording pydantic's validation errors as one line per problem, keyed by dotted path.

`describe` turns each error into `train.Cc: unknown key (allowed: C, fit_intercept, ...)`,
`featurize.derive.x: op 'extract' needs pattern`, and the like; cross-field validators
raise `KeyedError` to name the key they are about.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from stages.core.featurize_ops import op_names


class KeyedError(ValueError):
    """A cross-field error that knows which key it is about."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def describe(error: Any, root: Any) -> str:
    """One problem of a validation of `root` (the Params model), keyed by its dotted path."""
    location = _without_op_tag([str(part) for part in error["loc"]])
    context = error.get("ctx") or {}
    keyed = context.get("error")
    if isinstance(keyed, KeyedError):
        return f"{keyed.key}: {keyed.message}"
    key = ".".join(location) or "(top level)"
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = f"{key}.{context['discriminator'].strip(chr(39))}"
        if error["type"] == "union_tag_not_found":
            return f"{key}: required key is missing"
        expected = ", ".join(repr(name) for name in op_names())
        return f"{key}: Input should be {expected} (got {context['tag']!r})"
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(root, location[:-1])
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{key}: unknown key{hint}"
    if error["type"] == "missing":
        return f"{key}: required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message} (got {error['input']!r})"


def _without_op_tag(location: list[str]) -> list[str]:
    """pydantic puts a derivation's op into the error's path (featurize.derive.x.log1p.column);
    the user wrote no such key, so it is dropped (featurize.derive.x.column)."""
    if location[:2] == ["featurize", "derive"] and len(location) > 3 and location[3] in op_names():
        return location[:3] + location[4:]
    return location


def _allowed_keys(root: Any, location: list[str]) -> list[str]:
    """The keys a section accepts, so a typo's error lists the right spelling."""
    model: Any = root
    for part in location:
        if get_origin(model) is dict:  # a mapping of user-chosen names, e.g. gate.test
            model = get_args(model)[1]
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = field.annotation
    return list(model.model_fields) if hasattr(model, "model_fields") else []
