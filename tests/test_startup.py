"""Stage start-up: what a stage process imports before it does any work (issue 12)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

# Run in a fresh interpreter: the test process itself may have imported scipy.stats already.
# Imports what the stages import, and what unpickling their fitted objects imports.
PROBE = """
import sys
import stages.split
scipy_for_split = "scipy" in sys.modules
import stages.encode, stages.evaluate, stages.featurize, stages.impute, stages.predict
import stages.scale, stages.train, stages.lib.model
import sklearn.covariance, sklearn.ensemble, sklearn.impute, sklearn.isotonic
import sklearn.linear_model, sklearn.metrics, sklearn.model_selection, sklearn.preprocessing
from sklearn.metrics._ranking import rankdata
from sklearn.covariance._robust_covariance import chi2
before = "scipy.stats._stats_py" in sys.modules
import pickle
copied = pickle.loads(pickle.dumps(rankdata))  # a worker process gets the real function
ranks = rankdata([3, 1, 2]).tolist()  # the stand-in, called: the real module loads now
median = round(float(chi2.ppf(0.5, df=2)), 6)  # a distribution object, looked into
import scipy.stats
from scipy.stats import gmean
real = type(sys.modules["scipy.stats"]).__name__
same = copied is scipy.stats.rankdata
mode = scipy.stats.mode([1, 2, 2]).mode
print(scipy_for_split, before, ranks, median, real, float(gmean([1, 4])), mode, same)
"""


def test_no_stage_imports_scipy_stats_until_something_uses_it() -> None:
    """`sklearn.utils.fixes` imports scipy.stats (~0.9 s) and scikit-learn modules take
    functions from it at import; stand-ins load the real module on first use, whatever the
    route, and give the real results."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    expected = ["False", "False", "[3.0,", "1.0,", "2.0]", "1.386294", "module", "2.0", "2", "True"]
    assert result.stdout.split() == expected, result.stderr


SPLINE_PROBE = """
import sys
import stages.encode, stages.evaluate, stages.impute, stages.scale, stages.train
import stages.lib.model, sklearn.impute, sklearn.linear_model, sklearn.metrics
import sklearn.pipeline, sklearn.preprocessing
deferred = type(sys.modules["scipy.interpolate"]).__name__
from scipy.interpolate import BSpline  # asked for by this code, not scikit-learn: the real class
spline = BSpline.basis_element([0.0, 1.0, 2.0])
import numpy as np
from sklearn.preprocessing import SplineTransformer
basis = SplineTransformer(n_knots=3, degree=1).fit_transform(np.array([[0.0], [0.5], [1.0]]))
print(deferred, basis.round(3).tolist(), isinstance(spline, BSpline), float(spline(1.0)))
"""

# A submodule of a deferred module imported first (its relative imports need the package).
SUBMODULE_PROBE = """
import sys
import stages
before = type(sys.modules["scipy.stats"]).__name__
from scipy.stats._continuous_distns import norm
print(before, norm.cdf(0.0), type(sys.modules["scipy.stats"]).__name__)
"""


def probe(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_no_stage_loads_spline_code_until_a_spline_is_fitted() -> None:
    """`sklearn.preprocessing` imports scipy.interpolate (~0.1 s, with scipy.optimize) for
    SplineTransformer alone: deferred through every module a running stage imports; a
    spline still gets the real BSpline, and code other than scikit-learn's gets the real
    class itself (isinstance works)."""
    identity = "[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]"
    assert " ".join(probe(SPLINE_PROBE)) == f"_Placeholder {identity} True 1.0"


def test_importing_a_submodule_of_a_deferred_module_loads_the_module_first() -> None:
    assert probe(SUBMODULE_PROBE) == ["_Placeholder", "0.5", "module"]


def test_a_stage_process_skips_the_final_collection_and_an_in_process_run_does_not() -> None:
    """A stage run as `python -m stages.NAME` (its `main` defined in `__main__`) freezes
    what it created, so the interpreter's last collections skip it (~0.3 s a stage); a
    test calling the same `main` in-process must not freeze the test process."""
    import gc

    from stages.core.cli import run_cli

    def main(argv: list[str] | None) -> None:
        del argv

    gc.unfreeze()
    run_cli(main, [])
    assert gc.get_freeze_count() == 0
    main.__module__ = "__main__"
    try:
        run_cli(main, [])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
