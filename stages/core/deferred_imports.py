"""Defer SciPy modules until something uses them: ~0.9 s off the start-up of every stage.

Every scikit-learn import goes through `sklearn.utils.fixes`, which runs `import
scipy.stats` at the top for one helper (`_mode`). SciPy 1.17 builds its distributions and
rewrites hundreds of docstrings while importing `scipy.stats` (`python -X importtime -c
"import scipy.stats"`: 0.85-0.95 s here, more than scikit-learn's own modules), so every stage
paid for statistics it never computes. Besides that module-level import, scikit-learn
takes four names from it by `from scipy.stats import NAME` (listed in DEFERRED): those
get stand-ins too. Any other use loads the real module, so nothing behaves differently;
it is only slower.

Why not `importlib.util.LazyLoader`: on Python 3.11 the import statement itself reads the
module's `__spec__`, which makes a lazy module load at once. A placeholder module that
carries the real spec, and swaps in the real module on its first attribute lookup, is
what the import system accepts without loading anything.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

# The module, and the names scikit-learn takes from it by `from scipy.stats import NAME`
# while being imported (metrics, model_selection, _loss, covariance, isotonic) and uses only
# inside functions: each gets a stand-in that resolves when it is first called or looked
# into, so even the stages that load a model (train, evaluate, predict, and impute for its
# SimpleImputer) never import scipy.stats unless they compute something with it.
#
# `scipy.interpolate` and `scipy.optimize` (~0.1 s together) come in with
# `sklearn.preprocessing` (SplineTransformer's `BSpline`) and `sklearn.metrics` (the
# bicluster score's `linear_sum_assignment`), so impute, scale and evaluate paid for a
# spline and an assignment solver they never run.
DEFERRED: dict[str, tuple[str, ...]] = {
    "scipy.stats": ("rankdata", "gmean", "chi2", "spearmanr"),
    "scipy.interpolate": ("BSpline",),
    "scipy.optimize": ("linear_sum_assignment", "minimize", "minimize_scalar"),
}


class _Placeholder(types.ModuleType):
    """Stands in `sys.modules` for a module until an attribute of it is used."""

    __lazy_names__: tuple[str, ...] = ()

    def __getattr__(self, attribute: str) -> Any:
        if attribute in self.__lazy_names__ and sys.modules.get(self.__name__) is self:
            return _LazyAttribute(self, attribute)
        return getattr(_load(self), attribute)


class _LazyAttribute:
    """Stands for `module.NAME` (a function, or an object such as a distribution) until it
    is called or one of its attributes is read; then it is the real one."""

    __slots__ = ("_name", "_placeholder")

    def __init__(self, placeholder: _Placeholder, name: str) -> None:
        self._placeholder = placeholder
        self._name = name

    def _resolve(self) -> Any:
        return getattr(_load(self._placeholder), self._name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._resolve(), attribute)

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        """Pickled (say, for a worker process) as the real object, found by name."""
        return _real_attribute, (self._placeholder.__name__, self._name)

    def __repr__(self) -> str:
        return f"<deferred {self._placeholder.__name__}.{self._name}>"


def _real_attribute(module: str, name: str) -> Any:
    found = importlib.import_module(module)
    if isinstance(found, _Placeholder):
        found = _load(found)
    return getattr(found, name)


def _load(placeholder: _Placeholder) -> types.ModuleType:
    """Import the real module in the placeholder's stead (once) and return it."""
    name = placeholder.__name__
    if sys.modules.get(name) is placeholder:
        del sys.modules[name]
    module = importlib.import_module(name)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
    return module


def defer(name: str, lazy_names: tuple[str, ...] = ()) -> None:
    """Put a placeholder for `name` in `sys.modules`, unless it is already imported."""
    if name in sys.modules:
        return
    spec = _spec_without_importing(name)
    if spec is None:  # not installed: leave the import to fail where it is made
        return
    placeholder = _Placeholder(name)
    placeholder.__spec__ = spec
    placeholder.__path__ = list(spec.submodule_search_locations or [])
    placeholder.__file__ = spec.origin
    placeholder.__lazy_names__ = lazy_names
    sys.modules[name] = placeholder


def _spec_without_importing(name: str) -> importlib.machinery.ModuleSpec | None:
    """`importlib.util.find_spec(name)`, which would import the parent package first
    (SciPy's, ~60 ms, which split and the reporting commands never need): the parent is
    only located, and imported when the module itself is."""
    parent, _, _ = name.rpartition(".")
    if not parent:
        return importlib.util.find_spec(name)
    package = importlib.util.find_spec(parent)  # a top-level name: located, not imported
    if package is None or package.submodule_search_locations is None:
        return None
    return importlib.machinery.PathFinder.find_spec(name, package.submodule_search_locations)


def defer_heavy_imports() -> None:
    """Called once, when the `stages` package is first imported."""
    for name, lazy_names in DEFERRED.items():
        defer(name, lazy_names)
