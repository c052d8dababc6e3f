"""The fitted steps, on 3-row frames and on the notebook's own split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from stages.core.errors import DataError
from stages.core.params import load_params
from stages.lib.model import build_chain, build_model
from stages.lib.splitting import split_positions
from stages.lib.transformers import (
    CategoricalEncoder,
    ColumnImputer,
    ColumnScaler,
    DesignMatrix,
    FeatureTypes,
)
from tests.conftest import ROOT

PARAMS = load_params(ROOT / "params.yaml")
Split = tuple[pd.DataFrame, pd.DataFrame]


@pytest.fixture(scope="module")
def notebook_split() -> Split:
    raw = pd.read_csv(ROOT / "data/titanic.csv")
    train, test = split_positions(len(raw), 0.25, 0)
    return raw.iloc[train], raw.iloc[test]


def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {"n": [1.0, np.nan, 3.0], "c": ["a", None, "b"], "other": ["x", "y", "z"]},
        index=[10, 11, 12],
    )


def test_imputer_fills_per_column_and_keeps_rows_and_other_columns() -> None:
    imputer = ColumnImputer(
        {"n": {"strategy": "mean"}, "c": {"strategy": "constant", "fill_value": "?"}}
    )
    out = imputer.fit_transform(tiny())
    assert out["n"].tolist() == [1.0, 2.0, 3.0]
    assert out["c"].tolist() == ["a", "?", "b"]
    assert out["other"].tolist() == ["x", "y", "z"] and out.index.tolist() == [10, 11, 12]
    assert imputer.fill_values_ == {"n": 2.0, "c": "?"}


@pytest.mark.parametrize(("strategy", "fill"), [("median", 2.0), ("most_frequent", 1.0)])
def test_imputer_strategies(strategy: str, fill: float) -> None:
    imputer = ColumnImputer({"n": {"strategy": strategy}}).fit(tiny())
    assert imputer.fill_values_["n"] == fill


def test_imputer_refuses_an_all_missing_column() -> None:
    frame = tiny().assign(n=np.nan)
    with pytest.raises(DataError, match="column 'n': every value is missing"):
        ColumnImputer({"n": {"strategy": "mean"}}).fit(frame)


def test_imputer_learns_the_notebook_age_mean(notebook_split: Split) -> None:
    train, _ = notebook_split
    imputer = ColumnImputer({"Age": {"strategy": "mean"}}).fit(train)
    assert imputer.fill_values_["Age"] == pytest.approx(train["Age"].mean(), rel=1e-15)
    assert imputer.fill_values_["Age"] == pytest.approx(29.9, abs=5e-3)
    assert imputer.transform(train)["Age"].isna().sum() == 0


def test_imputer_fills_what_simple_imputer_fills_and_leaves_its_input_alone(
    notebook_split: Split,
) -> None:
    """transform fills with pandas in the column's dtype: the same values SimpleImputer's
    own transform gives, numbers and text alike, and the input frame is not touched."""
    from sklearn.impute import SimpleImputer

    train, test = notebook_split
    spec = {
        "Age": {"strategy": "median"},
        "Embarked": {"strategy": "most_frequent"},
        "Cabin": {"strategy": "constant", "fill_value": "none"},
    }
    imputer = ColumnImputer(spec).fit(train)
    before = test.copy()
    out = imputer.transform(test)
    pd.testing.assert_frame_equal(test, before)
    for column, settings in spec.items():
        rows = test[[column]].astype(object).where(test[[column]].notna(), np.nan).to_numpy()
        fitted_on = train[[column]].astype(object).where(train[[column]].notna(), np.nan)
        reference = SimpleImputer(
            strategy=settings["strategy"], fill_value=settings.get("fill_value")
        ).fit(fitted_on.to_numpy())
        assert out[column].tolist() == reference.transform(rows)[:, 0].tolist()
        assert out[column].dtype == test[column].dtype
    assert test["Age"].isna().sum() > 0 and test["Cabin"].isna().sum() > 0


@pytest.mark.parametrize(("column", "fill"), [("Cabin", "none"), ("Embarked", None), ("Age", -1.0)])
def test_a_constant_fill_is_the_imputer_fitted_on_every_row(
    notebook_split: Split, column: str, fill: object
) -> None:
    """A constant fill is fitted on the column's distinct values only: the pickled imputer
    is byte for byte the one SimpleImputer fits on all the rows."""
    import pickle

    from sklearn.impute import SimpleImputer

    train, _ = notebook_split
    spec = {"strategy": "constant", **({"fill_value": fill} if fill is not None else {})}
    ours = ColumnImputer({column: spec}).fit(train).imputers_[column]
    rows = train[[column]]
    if not pd.api.types.is_numeric_dtype(rows[column]):
        rows = rows.astype(object).where(rows.notna(), np.nan).to_numpy()
    reference = SimpleImputer(strategy="constant", fill_value=fill, keep_empty_features=True)
    assert pickle.dumps(ours) == pickle.dumps(reference.fit(rows))


def test_feature_types_fit_transform_is_fit_then_transform(notebook_split: Split) -> None:
    train, _ = notebook_split
    step = FeatureTypes(["Age", "Pclass"], ["Sex", "Embarked"])
    once = step.fit_transform(train)
    pd.testing.assert_frame_equal(once, clone(step).fit(train).transform(train))
    assert once["Pclass"].dtype == np.float64 and once["Sex"].tolist()[:2] == ["male", "female"]


def test_encoder_codes_match_get_indexer_for_seen_unseen_and_missing() -> None:
    values = pd.Series(["b", "zz", None, "a", "b", None, "a"], dtype="str")
    encoder = CategoricalEncoder(["c"]).fit(pd.DataFrame({"c": ["a", "b", "a"]}))
    codes = encoder.transform(values.to_frame("c"))["c"].cat.codes.tolist()
    expected = pd.Index(["a", "b"]).get_indexer(values.astype(object)).tolist()
    assert codes == expected == [1, -1, -1, 0, 1, -1, 0]


def test_encoder_categories_codes_and_unknowns() -> None:
    encoder = CategoricalEncoder(["c"]).fit(tiny())
    assert encoder.categories_["c"].tolist() == ["a", "b"]
    new = pd.DataFrame({"c": ["b", "zz", None]}, index=[5, 6, 7])
    out = encoder.transform(new)
    assert out["c"].cat.codes.tolist() == [1, -1, -1]
    strict = CategoricalEncoder(["c"], handle_unknown="error").fit(tiny())
    with pytest.raises(DataError, match=r"column 'c', line 8: category 'zz' was never seen"):
        strict.transform(new)


def test_encoder_learns_the_notebook_categories(notebook_split: Split) -> None:
    train, _ = notebook_split
    filled = train.fillna({"Cabin": "cabin_missing", "Embarked": "embarked_missing"})
    encoder = CategoricalEncoder(["Sex", "Cabin", "Embarked"]).fit(filled)
    assert encoder.categories_["Sex"].tolist() == ["female", "male"]
    assert encoder.categories_["Embarked"].tolist() == ["C", "Q", "S", "embarked_missing"]
    assert len(encoder.categories_["Cabin"]) == 124
    assert encoder.categories_["Cabin"][:3].tolist() == ["A10", "A14", "A16"]


def test_scaler_ranges_come_from_fit_rows_only() -> None:
    fit_rows = pd.DataFrame({"n": [0.0, 10.0], "c": ["a", "b"]})
    scaler = ColumnScaler(["n"]).fit(fit_rows)
    new_rows = pd.DataFrame({"n": [5.0, 20.0], "c": ["x", "y"]})
    out = scaler.transform(new_rows)
    assert out["n"].tolist() == [0.5, 2.0] and out["c"].tolist() == ["x", "y"]
    assert new_rows["n"].tolist() == [5.0, 20.0]  # the input is left as it was
    standard = ColumnScaler(["n"], method="standard").fit(fit_rows)
    assert standard.transform(fit_rows)["n"].tolist() == [-1.0, 1.0]
    assert ColumnScaler(["n"], method="none").fit(fit_rows).transform(fit_rows) is fit_rows


def test_scaler_notebook_ranges(notebook_split: Split) -> None:
    train, _ = notebook_split
    scaler = ColumnScaler(["Pclass", "Age", "SibSp", "Fare"]).fit(train.fillna({"Age": 29.9}))
    assert scaler.scaler_.data_min_.tolist() == pytest.approx([1, 0.67, 0, 0])
    assert scaler.scaler_.data_max_.tolist() == pytest.approx([3, 80, 8, 512.3292])


def test_design_matrix_is_sparse_numeric_then_one_hot() -> None:
    frame = pd.DataFrame({"n": [0.5, 0.0], "c": ["b", "zz"]})
    coded = CategoricalEncoder(["c"]).fit(pd.DataFrame({"c": ["a", "b"]})).transform(frame)
    design = DesignMatrix(["n"], ["c"]).fit(coded)
    matrix = design.transform(coded)
    assert matrix.format == "csr"
    assert matrix.toarray().tolist() == [[0.5, 0.0, 1.0], [0.0, 0.0, 0.0]]
    assert design.get_feature_names_out().tolist() == ["n", "c_a", "c_b"]


def test_design_matrix_names_a_missing_value_without_strategy() -> None:
    frame = pd.DataFrame({"n": [1.0, np.nan]}, index=[0, 4])
    with pytest.raises(DataError, match=r"column 'n', line 6: missing value .* impute\.columns\.n"):
        DesignMatrix(["n"], []).fit(frame).transform(frame)


def test_feature_types_name_text_in_a_numeric_column() -> None:
    frame = pd.DataFrame({"n": ["1", "x"], "c": [3, 4]}, index=[0, 1])
    with pytest.raises(DataError, match=r"column 'n', line 3: expected a number, got 'x'"):
        FeatureTypes(["n"], ["c"]).fit(frame)
    out = FeatureTypes(["n"], ["c"]).fit(frame.iloc[:1]).transform(frame.iloc[:1])
    assert out["n"].dtype == np.float64 and out["c"].tolist() == ["3"]


def test_chain_reproduces_the_notebook_in_one_process(notebook_split: Split) -> None:
    train, test = notebook_split
    chain = build_chain(PARAMS).fit(train, train["Survived"])
    assert (chain.predict(train) == train["Survived"]).sum() == 567
    assert (chain.predict(test) == test["Survived"]).sum() == 175


def test_chain_clones_for_cross_validation() -> None:
    """GridSearchCV clones the chain for every fold: every step must survive `clone`."""
    cloned = clone(build_chain(PARAMS))
    assert cloned.get_params()["model__classifier__C"] == 1e12
    assert build_model(PARAMS).get_params()["design__numeric"] == PARAMS.features.numeric


def test_numeric_categories_do_not_depend_on_the_other_rows() -> None:
    """47.0 is the category '47' whether or not the column also holds 34.5 or a gap."""
    types = FeatureTypes([], ["a"]).fit(pd.DataFrame({"a": [47.0, 34.5, np.nan]}))
    with_fraction = types.transform(pd.DataFrame({"a": [47.0, 34.5]}))["a"].tolist()
    whole_only = types.transform(pd.DataFrame({"a": [47.0, np.nan]}))["a"].tolist()
    assert with_fraction == ["47", "34.5"]
    assert whole_only[0] == "47"


def test_design_matrix_is_the_stacked_one_hot_blocks_exactly() -> None:
    """One-pass CSR == numeric block + one one-hot block per column, zeros dropped: same
    data, column indices (sorted) and row pointers; unseen categories give no entry."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    n = 5_000
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 3, n) / 2.0,  # zeros are dropped
            "b": rng.random(n),
            "s": pd.Categorical.from_codes(rng.integers(-1, 2, n), ["f", "m"]),
            "c": pd.Categorical.from_codes(rng.integers(-1, 140, n), [f"c{i}" for i in range(140)]),
        }
    )
    design = DesignMatrix(numeric=["a", "b"], categorical=["s", "c"]).fit(frame)
    got = design.transform(frame)
    blocks = [sp.csr_matrix(frame[["a", "b"]].to_numpy())]
    for column in ("s", "c"):
        codes = frame[column].cat.codes.to_numpy()
        rows = np.flatnonzero(codes >= 0)
        shape = (n, len(frame[column].cat.categories))
        blocks.append(sp.csr_matrix((np.ones(rows.size), (rows, codes[rows])), shape=shape))
    expected = sp.hstack(blocks, format="csr")
    expected.eliminate_zeros()
    assert got.shape == expected.shape and got.has_sorted_indices
    for part in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(got, part), getattr(expected, part))
