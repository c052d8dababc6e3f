"""Stage start-up: what a stage process imports before it does any work (issue 12)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

# Run in a fresh interpreter: the test process itself may have imported scipy.stats already.
PROBE = """
import sys
import stages.encode, stages.featurize, stages.scale, stages.split
before = "scipy.stats._stats_py" in sys.modules
import scipy.stats
from scipy.stats import rankdata
real = type(sys.modules["scipy.stats"]).__name__
norm = scipy.stats.norm.cdf(0.0)
print(before, rankdata([3, 1, 2]).tolist(), real, norm, scipy.stats.mode([1, 2, 2]).mode)
"""


def test_stages_that_fit_no_model_never_import_scipy_stats_until_it_is_used() -> None:
    """`sklearn.utils.fixes` imports scipy.stats (~0.9 s) that split, featurize, encode and
    scale never use; the placeholder loads the real module on first use, whatever the route."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "[3.0,", "1.0,", "2.0]", "module", "0.5", "2"]
