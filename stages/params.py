"""Validate a params file against the schema, without running anything.

`python -m stages.params [PATH]` prints `PATH: ok`, or the one-line error a stage would
stop with (exit 2).
"""

from __future__ import annotations

import argparse

from stages.core.cli import run_cli
from stages.core.params import DEFAULT_PARAMS_PATH, load_params


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stages.params", description=__doc__)
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PARAMS_PATH))
    args = parser.parse_args(argv)
    load_params(args.path)
    print(f"{args.path}: ok")


if __name__ == "__main__":
    run_cli(main)
