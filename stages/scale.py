"""Stage 5, scale: data/encoded → data/scaled + models/scaler.joblib.

Scales the numeric features with ranges (or means and deviations) from the train split.
"""

from __future__ import annotations

from stages.core.artifacts import ENCODED_DIR, SCALED_DIR, SCALER_PATH
from stages.core.cli import params_unless_engine_ran, run_cli
from stages.core.fitted import fit_record
from stages.lib.fit_stage import read_splits, run_fit_stage
from stages.lib.transformers import build_scaler


def main(argv: list[str] | None = None) -> None:
    params = params_unless_engine_ran("scale", __doc__ or "", argv)
    if params is None:
        return
    scaler = build_scaler(params)
    tables = read_splits(ENCODED_DIR)
    record = fit_record("scale", params)
    run_fit_stage(scaler, tables, SCALED_DIR, SCALER_PATH, params.data.train_path, record)
    print(f"scale: {params.scale.method} on {', '.join(params.features.numeric)}")


if __name__ == "__main__":
    run_cli(main)
