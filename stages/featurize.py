"""Stage 2, featurize: data/split → data/featured + models/featurizer.joblib.

Adds the derived columns declared in params.featurize.derive (learning what needs
learning, such as which categories are rare, on the train split only). With no
derivations the tables pass through unchanged.
"""

from __future__ import annotations

from stages.core.artifacts import FEATURED_DIR, FEATURIZER_PATH, SPLIT_DIR
from stages.core.cli import run_cli, stage_parser
from stages.core.derivations import build_featurizer
from stages.core.params import load_params
from stages.core.stage import read_splits, run_fit_stage


def main(argv: list[str] | None = None) -> None:
    args = stage_parser(__doc__).parse_args(argv)
    params = load_params(args.params)
    featurizer = build_featurizer(params)
    run_fit_stage(
        featurizer, read_splits(SPLIT_DIR), FEATURED_DIR, FEATURIZER_PATH, params.data.train_path
    )
    derived = ", ".join(params.featurize.derive) or "none (tables pass through)"
    print(f"featurize: derived columns: {derived}")


if __name__ == "__main__":
    run_cli(main)
