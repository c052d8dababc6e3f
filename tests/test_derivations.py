"""featurize.derive: each op, its params validation, and the Featurizer's contract."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter

from stages.core.errors import DataError, ParamsError
from stages.core.featurize_ops import Derivation
from stages.core.params import load_params, parse_params, read_params_file
from stages.lib.featurize import Featurizer, build_featurizer
from tests.conftest import ROOT, Cli

RAW = read_params_file(ROOT / "params.yaml")


def params_with(derive: dict[str, Any], **sections: Any) -> Any:
    raw = copy.deepcopy(RAW)
    raw["featurize"] = {"derive": derive}
    for name, value in sections.items():
        raw[name] = value
    return parse_params(raw)


def ops(specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Derivation op objects from their params mapping, as params.yaml would give them."""
    return dict(TypeAdapter(dict[str, Derivation]).validate_python(specs))


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Smith, Mr. John", "Doe, Mrs. Jane", "Roe, Dr. Ann", None],
            "a": [1, 0, 3, 2],
            "b": [0.0, 2.0, 1.0, np.nan],
            "cabin": ["C85", None, "E4", ""],
            "kind": ["x", "y", "x", "x"],
        },
        index=[10, 11, 12, 13],
    )


def derive(specs: dict[str, dict[str, Any]], data: pd.DataFrame | None = None) -> pd.DataFrame:
    data = frame() if data is None else data
    return Featurizer(derive=ops(specs)).fit(data).transform(data)


def test_extract_takes_the_capture_group_and_leaves_no_match_missing() -> None:
    out = derive({"t": {"op": "extract", "column": "name", "pattern": r" ([A-Za-z]+)\."}})
    assert out["t"].tolist()[:3] == ["Mr", "Mrs", "Dr"]
    assert pd.isna(out["t"].iloc[3])


def test_sum_adds_columns_and_a_constant_missing_if_any_input_is() -> None:
    out = derive({"s": {"op": "sum", "columns": ["a", "b"], "add": 1.0}})
    assert out["s"].tolist()[:3] == [2.0, 3.0, 5.0]
    assert np.isnan(out["s"].iloc[3])


def test_ratio_divides_and_a_zero_denominator_gives_missing() -> None:
    out = derive({"r": {"op": "ratio", "numerator": "b", "denominator": "a"}})
    assert np.isnan(out["r"].iloc[1])  # 2 / 0
    assert out["r"].iloc[0] == 0.0 and out["r"].iloc[2] == pytest.approx(1 / 3)


def test_log1p_and_its_domain_error_names_column_line_and_value() -> None:
    out = derive({"l": {"op": "log1p", "column": "a"}})
    assert out["l"].tolist() == pytest.approx(np.log1p([1, 0, 3, 2]).tolist())
    data = frame().assign(a=[1, -3, 0, 0])
    with pytest.raises(DataError, match=r"column 'a', line 13: log1p needs values above -1"):
        derive({"l": {"op": "log1p", "column": "a"}}, data)


def test_first_char_with_missing_and_empty_text_missing() -> None:
    out = derive({"d": {"op": "first_char", "column": "cabin"}})
    assert out["d"].iloc[0] == "C" and out["d"].iloc[2] == "E"
    assert pd.isna(out["d"].iloc[1]) and pd.isna(out["d"].iloc[3])


def test_is_missing_flags() -> None:
    out = derive({"m": {"op": "is_missing", "column": "b"}})
    assert out["m"].tolist() == [0, 0, 0, 1]


def test_equals_compares_numbers_or_text_by_the_value_given() -> None:
    out = derive(
        {
            "one": {"op": "equals", "column": "a", "value": 1},
            "is_x": {"op": "equals", "column": "kind", "value": "x"},
        }
    )
    assert out["one"].tolist() == [1, 0, 0, 0]
    assert out["is_x"].tolist() == [1, 0, 1, 1]


def test_threshold_above_and_below_missing_is_zero() -> None:
    out = derive(
        {
            "hi": {"op": "threshold", "column": "b", "above": 1.0},
            "lo": {"op": "threshold", "column": "b", "below": 1.5},
        }
    )
    assert out["hi"].tolist() == [0, 1, 0, 0]
    assert out["lo"].tolist() == [1, 0, 1, 0]


def test_rare_learns_the_cut_on_fit_rows_only() -> None:
    train = pd.DataFrame({"c": ["a", "a", "a", "b", "b", "z", None]})
    featurizer = Featurizer(derive=ops({"g": {"op": "rare", "column": "c", "min_count": 2}}))
    featurizer.fit(train)
    assert featurizer.learned_ == {"g": ["a", "b"]}
    new = pd.DataFrame({"c": ["z", "z", "z", "b", "q", None]}, index=[5, 6, 7, 8, 9, 10])
    out = featurizer.transform(new)["g"]
    # "z" is frequent in the new rows, but the cut was learned on the fit rows: still rare.
    assert out.tolist()[:5] == ["other", "other", "other", "b", "other"]
    assert pd.isna(out.iloc[5])


def test_derivations_chain_in_order_and_other_columns_pass_through() -> None:
    data = frame()
    out = derive(
        {
            "fam": {"op": "sum", "columns": ["a", "b"], "add": 1.0},
            "pair": {"op": "equals", "column": "fam", "value": 2},
        },
        data,
    )
    assert out["pair"].tolist() == [1, 0, 0, 0]
    assert list(out.index) == list(data.index)
    pd.testing.assert_frame_equal(out[list(data.columns)], data)


def test_no_derivations_is_an_exact_pass_through() -> None:
    data = frame()
    out = build_featurizer(params_with({})).fit(data).transform(data)
    pd.testing.assert_frame_equal(out, data)


def test_a_non_number_in_a_numeric_input_names_column_line_and_value() -> None:
    data = frame().assign(a=["1", "two", "3", "4"])
    with pytest.raises(DataError, match=r"column 'a', line 13: expected a number, got 'two'"):
        derive({"s": {"op": "sum", "columns": ["a"]}}, data)


def test_missing_input_column_at_transform_names_the_derivation() -> None:
    featurizer = Featurizer(derive=ops({"l": {"op": "log1p", "column": "a"}})).fit(frame())
    with pytest.raises(DataError, match=r"missing column 'a' \(read by featurize.derive.l\)"):
        featurizer.transform(frame().drop(columns=["a"]))


def test_a_derived_name_that_is_already_a_column_is_a_params_error() -> None:
    with pytest.raises(ParamsError, match=r"derive.kind: 'kind' is already a column of the data"):
        derive({"kind": {"op": "log1p", "column": "a"}})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"op": "explode", "column": "a"}, r"featurize.derive.x.op: Input should be 'extract'"),
        ({"op": "extract", "column": "a", "pattern": "(unclosed"}, r"not a valid regular"),
        ({"op": "extract", "column": "a", "pattern": "no group"}, r"exactly one capture group"),
        ({"op": "extract", "column": "a"}, r"featurize.derive.x: op 'extract' needs pattern"),
        ({"op": "log1p", "column": "a", "above": 1.0}, r"op 'log1p' does not take above"),
        ({"op": "threshold", "column": "a"}, r"needs exactly one of above, below"),
        ({"op": "rare", "column": "a", "min_count": 0}, r"featurize.derive.x.min_count"),
        ({"op": "log1p", "column": "later"}, r"featurize.derive.x: uses 'later', which is derived"),
        ({"op": "log1p", "column": "t"}, r"op 'log1p' needs a number column; 't' is derived as"),
    ],
)
def test_wrong_derivations_are_params_errors_naming_the_key(
    spec: dict[str, Any], message: str
) -> None:
    derive = {
        "t": {"op": "extract", "column": "n", "pattern": "(a)"},
        "x": spec,
        "later": {"op": "log1p", "column": "n"},
    }
    with pytest.raises(ParamsError, match=message):
        params_with(derive)


def test_derived_text_listed_as_numeric_is_a_params_error() -> None:
    features = {"numeric": ["Age", "t"], "categorical": ["Sex"]}
    with pytest.raises(ParamsError, match=r"features.numeric: 't' is derived as text"):
        params_with(
            {"t": {"op": "extract", "column": "Name", "pattern": "(a)"}},
            features=features,
            impute={"columns": {}},
        )


def test_split_requires_the_derivations_inputs_not_the_derived_columns() -> None:
    params = params_with(
        {"fam": {"op": "sum", "columns": ["SibSp", "Parch"]}},
        features={"numeric": ["Age", "fam"], "categorical": ["Sex"]},
        impute={"columns": {}},
    )
    required = params.raw_columns()
    assert "fam" not in required
    assert required["Parch"] == "featurize.derive.fam"
    assert required["Age"] == "features.numeric"


# --- the featurize stage without derivations --------------------------------------------


def _featured_and_split(project: Path) -> list[tuple[bytes, bytes]]:
    return [
        (
            (project / "data/featured" / f"{split}.parquet").read_bytes(),
            (project / "data/split" / f"{split}.parquet").read_bytes(),
        )
        for split in ("train", "test")
    ]


def test_without_derivations_featurize_copies_the_split_tables(
    reproduced_copy: Path, cli: Cli
) -> None:
    """The split tables already hold the used columns in featurize's order: they pass
    through byte for byte, and the featurizer fitted from the schema alone pickles to the
    bytes of one fitted on every row (the path that reads the rows)."""
    (reproduced_copy / "data/featured/train.parquet").unlink()
    result = cli("featurize", reproduced_copy)
    assert result.returncode == 0
    assert "derived columns: none (split tables copied as they are)" in result.stdout
    assert all(featured == split for featured, split in _featured_and_split(reproduced_copy))

    params = load_params(reproduced_copy / "params.yaml")
    rows = pd.read_parquet(reproduced_copy / "data/split/train.parquet")
    on_rows = build_featurizer(params).fit(rows[list(params.raw_columns(with_id=False))])
    stored = joblib.load(reproduced_copy / "models/featurizer.joblib")["object"]
    assert pickle.dumps(stored) == pickle.dumps(on_rows)
    pd.testing.assert_frame_equal(on_rows.transform(rows), rows)


def test_split_tables_with_other_columns_are_read_and_rewritten(
    reproduced_copy: Path, cli: Cli
) -> None:
    """A hash split keeps the id column, which no later stage uses: featurize reads the
    rows and writes the used columns only."""
    params_file = reproduced_copy / "params.yaml"
    text = params_file.read_text()
    assert "  method: shuffle" in text
    params_file.write_text(text.replace("  method: shuffle", "  method: hash", 1))
    assert cli("split", reproduced_copy).returncode == 0
    result = cli("featurize", reproduced_copy)
    assert result.returncode == 0
    assert "derived columns: none (used columns kept)" in result.stdout

    params = load_params(params_file)
    split = pd.read_parquet(reproduced_copy / "data/split/train.parquet")
    assert params.data.id_column in split.columns
    featured = pd.read_parquet(reproduced_copy / "data/featured/train.parquet")
    assert list(featured.columns) == list(params.raw_columns(with_id=False))
    assert all(featured != split for featured, split in _featured_and_split(reproduced_copy))
