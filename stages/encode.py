"""Stage 4, encode: data/imputed → data/encoded + models/encoder.joblib.

Learns each categorical feature's categories on the train split; the tables carry them
as categorical columns (integer codes), the sparse form of the notebook's one-hot block,
or as one number per row for the columns encode.columns encodes otherwise (target,
ordinal, frequency). Train rows get a target encoder's cross-fitted values, test rows
the values learned from all of train.
"""

from __future__ import annotations

from stages.core.artifacts import ENCODED_DIR, ENCODER_PATH, IMPUTED_DIR
from stages.core.cli import params_unless_engine_ran, run_cli
from stages.core.fitted import fit_record
from stages.lib.fit_stage import read_splits, run_fit_stage
from stages.lib.transformers import build_encoder


def main(argv: list[str] | None = None) -> None:
    params = params_unless_engine_ran("encode", __doc__ or "", argv)
    if params is None:
        return
    encoder = build_encoder(params)
    run_fit_stage(
        encoder,
        read_splits(IMPUTED_DIR),
        ENCODED_DIR,
        ENCODER_PATH,
        params.data.train_path,
        fit_record("encode", params),
        target=params.data.target,
    )
    sizes = ", ".join(
        f"{col}: {len(cats)} ({encoder.method_of(col)})"
        for col, cats in encoder.categories_.items()
    )
    print(f"encode: categories learned on train: {sizes}")


if __name__ == "__main__":
    run_cli(main)
