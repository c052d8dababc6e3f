"""Stage entry points of the DVC pipeline; the logic they call lives in `stages.core`."""

from stages.core.deferred_imports import defer_heavy_imports

defer_heavy_imports()
