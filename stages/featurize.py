"""Stage 2, featurize: data/split → data/featured + models/featurizer.joblib.

Keeps the columns the later stages use and adds the derived columns declared in
params.featurize.derive (learning what needs learning, such as which categories are
rare, on the train split only). With no derivations the kept columns pass unchanged.
"""

from __future__ import annotations

from typing import Any

from stages.core.artifacts import (
    FEATURED_DIR,
    FEATURIZER_PATH,
    SPLIT_DIR,
    SPLITS,
    copy_tables,
    empty_table,
    read_source,
    table_columns,
    table_path,
    write_fitted,
)
from stages.core.cli import run_cli, stage_parser
from stages.core.contracts import check_derived_rows
from stages.core.engines import get_engine
from stages.core.fitted import fit_record
from stages.core.params import load_params
from stages.lib.featurize import Featurizer, build_featurizer, refuse_shadowing
from stages.lib.fit_stage import read_splits, run_fit_stage


def pass_through(featurizer: Featurizer, record: dict[str, Any]) -> None:
    """No derivations, and the split tables hold exactly the columns later stages use, in
    the order featurize would write them: the featured tables are the split tables, so
    they are copied byte for byte instead of decoded and encoded again (10M rows: ~2.5 s),
    and the featurizer learns the columns, all it learns without derivations, from the
    schema alone. The copy keeps split's `pipeline.source` metadata, which the row path
    does not write; the data and the pickled featurizer are the row path's (a test)."""
    featurizer.fit(empty_table(table_path(SPLIT_DIR, "train")))
    copy_tables({table_path(SPLIT_DIR, split): table_path(FEATURED_DIR, split) for split in SPLITS})
    write_fitted(featurizer, FEATURIZER_PATH, record)


def main(argv: list[str] | None = None) -> None:
    args = stage_parser(__doc__).parse_args(argv)
    params = load_params(args.params)
    if get_engine(params).run("featurize", params, args):
        return
    raw_columns = table_columns(table_path(SPLIT_DIR, "train"))
    refuse_shadowing(
        params.featurize.derive, raw_columns, params.data.train_path, prefix=f"{args.params}: "
    )
    featurizer = build_featurizer(params)
    # Only what later stages use: the raw columns the features and derivations need, and
    # the target (at 10M rows, long text columns such as names cost seconds and GBs).
    needed = list(params.raw_columns(with_id=False))
    # The split tables say what they were made from (training CSV, labels): recorded too.
    record = fit_record("featurize", params, read_source(table_path(SPLIT_DIR, "train")))
    copied = not params.featurize.derive and raw_columns == needed
    if copied:
        pass_through(featurizer, record)
    else:
        run_fit_stage(
            featurizer,
            read_splits(SPLIT_DIR, needed),
            FEATURED_DIR,
            FEATURIZER_PATH,
            params.data.train_path,
            record,
            check=lambda outputs: check_derived_rows(outputs, params),
        )
    derived = ", ".join(params.featurize.derive) or (
        "none (split tables copied as they are)" if copied else "none (used columns kept)"
    )
    print(f"featurize: derived columns: {derived}")


if __name__ == "__main__":
    run_cli(main)
