"""Defer `scipy.stats` until something uses it: ~0.5-0.9 s off every stage that fits no model.

Every scikit-learn import goes through `sklearn.utils.fixes`, which runs `import
scipy.stats` at the top for one helper (`_mode`). SciPy 1.17 builds its distributions and
rewrites hundreds of docstrings while importing `scipy.stats` (`python -X importtime -c
"import scipy.stats"`: 0.85-0.95 s here, more than scikit-learn's own modules), so
featurize, impute, encode and scale paid for statistics they never compute. Stages that
load a model (train, evaluate, predict) still import it for real: `sklearn.metrics` takes
`rankdata` from it while being imported.

Why not `importlib.util.LazyLoader`: on Python 3.11 the import statement itself reads the
module's `__spec__`, which makes a lazy module load at once. A placeholder module that
carries the real spec, and swaps in the real module on its first attribute lookup, is
what the import system accepts without loading anything.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

DEFERRED = ("scipy.stats",)


class _Placeholder(types.ModuleType):
    """Stands in `sys.modules` for a module until an attribute of it is read."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(_load(self), attribute)


def _load(placeholder: _Placeholder) -> types.ModuleType:
    """Import the real module in the placeholder's stead (once) and return it."""
    name = placeholder.__name__
    if sys.modules.get(name) is placeholder:
        del sys.modules[name]
    module = importlib.import_module(name)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
    return module


def defer(name: str) -> None:
    """Put a placeholder for `name` in `sys.modules`, unless it is already imported."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:  # not installed: leave the import to fail where it is made
        return
    placeholder = _Placeholder(name)
    placeholder.__spec__ = spec
    placeholder.__path__ = list(spec.submodule_search_locations or [])
    placeholder.__file__ = spec.origin
    sys.modules[name] = placeholder


def defer_heavy_imports() -> None:
    """Called once, when the `stages` package is first imported."""
    for name in DEFERRED:
        defer(name)
