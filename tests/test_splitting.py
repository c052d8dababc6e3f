"""The numpy split must be scikit-learn's train_test_split, row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from stages.core.errors import DataError
from stages.lib.splitting import split_positions, take_splits


@pytest.mark.parametrize(
    ("n_rows", "test_size", "seed"), [(891, 0.25, 0), (891, 0.2, 42), (10, 0.3, 7), (3, 0.5, 1)]
)
def test_positions_equal_train_test_split(n_rows: int, test_size: float, seed: int) -> None:
    expected_train, expected_test = train_test_split(
        np.arange(n_rows), test_size=test_size, random_state=seed
    )
    train, test = split_positions(n_rows, test_size, seed)
    assert train.tolist() == expected_train.tolist()
    assert test.tolist() == expected_test.tolist()


def test_notebook_split_sizes_and_first_rows() -> None:
    train, test = split_positions(891, 0.25, 0)
    assert (len(train), len(test)) == (668, 223)
    assert train[:5].tolist() == [105, 68, 253, 320, 706]  # the notebook's X_train.head()
    assert test[:5].tolist() == [495, 648, 278, 31, 255]  # the notebook's X_test_full.head()


def test_stratified_split_keeps_class_shares() -> None:
    labels = pd.Series([0] * 60 + [1] * 40)
    train, test = split_positions(100, 0.25, 0, stratify=labels)
    assert sorted([*train, *test]) == list(range(100))
    assert labels.iloc[test].mean() == pytest.approx(0.4, abs=0.02)


def test_a_split_that_leaves_a_side_empty_is_refused() -> None:
    with pytest.raises(DataError, match="leaves an empty train or test set with 1 rows"):
        split_positions(1, 0.25, 0)


def test_take_splits_is_iloc_for_every_column_kind() -> None:
    """Text columns go through their distinct values; missing text stays missing (not the
    last distinct value), and every dtype and row label is what `iloc` gives."""
    labels = [10, 11, 12, 13, 14]
    frame = pd.DataFrame(
        {
            "number": [1.0, 2.0, np.nan, 4.0, 5.0],
            "text": pd.Series(["x", None, "y", "x", "z"], dtype="str", index=labels),
            "mixed": pd.Series(["p", np.nan, 3, "p", None], dtype=object, index=labels),
            "count": [1, 2, 3, 4, 5],
            "strict": pd.Series(["b", "a", None, None, "a"], dtype="string", index=labels),
        },
        index=labels,
    )
    rows = {"train": np.array([3, 1, 0, 4]), "test": np.array([2])}
    tables = take_splits(frame, rows)
    for split, positions in rows.items():
        pd.testing.assert_frame_equal(tables[split], frame.iloc[positions])
    text = tables["train"]["text"]
    assert text.iloc[0] == "x" and pd.isna(text.iloc[1]) and text.iloc[3] == "z"
