"""What every stage's command line shares: `--params`, and one-line expected errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from stages.core.errors import PipelineError, fail
from stages.core.params import DEFAULT_PARAMS_PATH


def stage_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--params",
        default=str(DEFAULT_PARAMS_PATH),
        help="params file to read (default: %(default)s)",
    )
    return parser


def run_cli(main: Callable[[list[str] | None], None], argv: list[str] | None = None) -> None:
    """Run a stage's `main`: expected errors in one line (exit 2), bugs with a traceback."""
    try:
        main(argv)
    except PipelineError as error:
        fail(error)
    except KeyboardInterrupt:
        print("error: interrupted; outputs were left as they were", file=sys.stderr)
        raise SystemExit(130) from None
