"""Defer SciPy modules until something uses them: ~0.9 s off the start-up of every stage.

Every scikit-learn import goes through `sklearn.utils.fixes`, which runs `import
scipy.stats` at the top for one helper (`_mode`). SciPy 1.17 builds its distributions and
rewrites hundreds of docstrings while importing `scipy.stats` (`python -X importtime -c
"import scipy.stats"`: 0.85-0.95 s here, more than scikit-learn's own modules), so every stage
paid for statistics it never computes. Besides that module-level import, scikit-learn
takes four names from it by `from scipy.stats import NAME` (listed in DEFERRED): those
get stand-ins, and only scikit-learn's own modules get them. Any other use, a name asked
for by any other importer included, loads the real module. What a stand-in is not: the
real object for `isinstance` or subclassing, which is why no other code receives one
(scikit-learn only calls these names, inside functions).

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
# `scipy.interpolate` (~0.1 s with the `scipy.optimize` it imports) comes in with
# `sklearn.preprocessing`, for SplineTransformer's `BSpline` alone: scale and encode paid
# for it without fitting a spline. (The stages that import `sklearn.metrics` load
# scipy.optimize anyway, through `scipy.integrate`, so deferring it gains nothing.)
DEFERRED: dict[str, tuple[str, ...]] = {
    "scipy.stats": ("rankdata", "gmean", "chi2", "spearmanr"),
    "scipy.interpolate": ("BSpline",),
}


class _Placeholder(types.ModuleType):
    """Stands in `sys.modules` for a module until an attribute of it is used."""

    __lazy_names__: tuple[str, ...] = ()

    def __getattr__(self, attribute: str) -> Any:
        deferrable = attribute in self.__lazy_names__ and sys.modules.get(self.__name__) is self
        if deferrable and _asked_by_scikit_learn():
            return _LazyAttribute(self, attribute)
        return getattr(_load(self), attribute)


def _asked_by_scikit_learn() -> bool:
    """Whether the code asking the placeholder for a name (past the import machinery's own
    frames) is a scikit-learn module: the importers the stand-ins were checked against."""
    frame: types.FrameType | None = sys._getframe(2)  # 0: here, 1: __getattr__, 2: the asker
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    return frame is not None and str(frame.f_globals.get("__name__", "")).startswith("sklearn.")


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


class _RealPackageFirst:
    """A meta-path finder that, before a submodule of a deferred module is imported
    (`scipy.stats._stats_py`), loads the real module: a submodule's own relative imports
    expect its package fully imported, not a placeholder. It finds nothing itself."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> None:
        parent = fullname.rpartition(".")[0]
        placeholder = sys.modules.get(parent)
        if isinstance(placeholder, _Placeholder):
            _load(placeholder)


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
    if not any(isinstance(finder, _RealPackageFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RealPackageFirst())
