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
import stages.scale, stages.train, stages.core.model
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
import stages.scale, stages.evaluate, sklearn.preprocessing
deferred = [type(sys.modules[name]).__name__ for name in ("scipy.interpolate", "scipy.optimize")]
import numpy as np
from sklearn.preprocessing import SplineTransformer
basis = SplineTransformer(n_knots=3, degree=1).fit_transform(np.array([[0.0], [0.5], [1.0]]))
print(*deferred, basis.round(3).tolist(), type(sys.modules["scipy.interpolate"]).__name__)
"""


def test_scale_and_evaluate_load_no_spline_code_until_a_spline_is_fitted() -> None:
    """`sklearn.preprocessing` imports scipy.interpolate (and scipy.optimize through it) for
    SplineTransformer alone; the stages defer both, and a spline still gets the real BSpline."""
    result = subprocess.run(
        [sys.executable, "-c", SPLINE_PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    identity = "[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]"
    assert result.stdout.split(" ", 2) == ["_Placeholder", "_Placeholder", f"{identity} module\n"]


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
