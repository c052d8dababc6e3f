"""What every stage's command line shares: `--params`, one-line expected errors, and
library warnings (scikit-learn's UndefinedMetricWarning, numpy's overflow) as one line
each, `warning: ...`, instead of raw multi-line warnings with source paths."""

from __future__ import annotations

import argparse
import gc
import sys
import warnings
from collections.abc import Callable

from stages.core.errors import PipelineError, fail
from stages.core.params import DEFAULT_PARAMS_PATH, Params


def stage_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--params",
        default=str(DEFAULT_PARAMS_PATH),
        help="params file to read (default: %(default)s)",
    )
    return parser


def allow_stale_option(parser: argparse.ArgumentParser, action: str) -> None:
    """`--allow-stale`: `action` (e.g. "score") with fitted artifacts that no longer match
    params.yaml, with a warning instead of the refusal (stages.core.fitted)."""
    parser.add_argument(
        "--allow-stale",
        action="store_true",
        help=f"{action} even if the fitted artifacts do not match params.yaml (warns)",
    )


def run_cli(main: Callable[[list[str] | None], None], argv: list[str] | None = None) -> None:
    """Run a stage's `main`: expected errors in one line (exit 2), bugs with a traceback."""
    with warnings.catch_warnings():
        warnings.showwarning = one_line_warning
        try:
            main(argv)
        except PipelineError as error:
            fail(error)
        except BrokenPipeError:  # `... | head` closed the pipe: nothing left to say
            sys.stderr.close()
            raise SystemExit(1) from None
        except KeyboardInterrupt:
            print("error: interrupted; outputs were left as they were", file=sys.stderr)
            raise SystemExit(130) from None
        finally:
            if main.__module__ == "__main__":  # `python -m stages.NAME`: the process ends now
                skip_final_collection()


def skip_final_collection() -> None:
    """Exclude every object alive now from the garbage collections still to come.

    When a stage process exits, the interpreter's last collections traverse everything
    scikit-learn, pandas, pyarrow and matplotlib created at import (~0.3-0.45 s a process
    here, about what some stages spend importing them), only to free memory the process is
    about to give back. `gc.freeze()` leaves the rest of the shutdown as it is: atexit
    handlers, threads, buffered files. Not called when a test runs `main` in-process."""
    gc.freeze()


def one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """`warning: <message> (<category>)` on stderr: no file path, no source line."""
    text = " ".join(str(message).split())
    print(f"warning: {text} ({category.__name__})", file=sys.stderr)


def params_unless_engine_ran(stage: str, description: str, argv: list[str] | None) -> Params | None:
    """The stage's params, once its command line is parsed; None when the configured engine
    (Spark) did the stage's work itself, so the stage's in-process code must not run."""
    from stages.core.engines import get_engine
    from stages.core.params import load_params

    args = stage_parser(description).parse_args(argv)
    params = load_params(args.params)
    return None if get_engine(params).run(stage, params, args) else params
