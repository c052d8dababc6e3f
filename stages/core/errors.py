"""Expected failures and the one place that turns them into a one-line CLI error.

A user who feeds a bad file or a bad parameter deserves one line naming the file, column
or key, not a traceback; a traceback is kept for real bugs (anything not listed here).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import NoReturn

EXIT_BAD_INPUT = 2


class PipelineError(Exception):
    """An expected failure caused by the user's input (params, data, command line)."""

    exit_code = EXIT_BAD_INPUT


class ParamsError(PipelineError):
    """params.yaml is missing, malformed, or does not fit the schema or the data."""


class DataError(PipelineError):
    """An input table breaks its contract (missing column, wrong type, unknown category...)."""


def fail(error: PipelineError) -> NoReturn:
    """Print `error: <message>` on one line and exit with the error's code."""
    message = " ".join(str(error).split("\n"))
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(error.exit_code)


@contextlib.contextmanager
def in_file(source: str) -> Iterator[None]:
    """Prefix data errors raised inside with the file they are about."""
    try:
        yield
    except DataError as error:
        raise DataError(f"{source}: {error}") from None
