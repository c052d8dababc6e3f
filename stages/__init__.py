"""Stage entry points of the DVC pipeline; the logic they call lives in `stages.core` (what
every stage runs) and `stages.lib` (what only some stages run)."""

from stages.core.deferred_imports import defer_heavy_imports

defer_heavy_imports()
