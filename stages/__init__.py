"""Stage entry points of the DVC pipeline; the logic they call lives in `stages.core`."""
