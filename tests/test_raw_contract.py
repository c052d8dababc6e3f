"""The raw file's whole contract, checked at split (and, for rows to score, at predict).

Types of every column read as numbers, missing values without an impute strategy,
checks.ranges and rows per class are all checked over the whole labelled file before
anything is written, and reported at the first offending physical line of the file.
Cells mean "missing" only if empty or listed in data.na_values; ids stay text.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stages.core.contracts import check_raw_rows, read_csv_checked, row_labels
from stages.core.errors import DataError
from stages.core.params import load_params
from stages.lib.splitting import check_class_rows
from stages.lib.transformers import ColumnImputer
from tests.conftest import ROOT, Cli
from tests.helpers import (
    HEADER,
    ROW,
    Scorer,
    assert_one_line_error,
    digest,
    labelled,
    outputs,
)

TITANIC = "data/titanic.csv"


def edit_lines(project: Path, edits: dict[int, tuple[str, str]], path: str = TITANIC) -> None:
    """Replace text on 1-based lines of a project file."""
    file = project / path
    lines = file.read_text().splitlines()
    for line, (old, new) in edits.items():
        assert old in lines[line - 1], lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
    file.write_text("\n".join(lines) + "\n")


def edit_params(project: Path, old: str, new: str) -> None:
    params = project / "params.yaml"
    text = params.read_text()
    assert old in text, old
    params.write_text(text.replace(old, new))


def test_default_ranges_admit_every_titanic_row() -> None:
    """The Titanic numbers cannot move: both files pass the default contract whole."""
    params = load_params(ROOT / "params.yaml")
    assert set(params.checks.ranges) == {"Pclass", "Age", "SibSp", "Fare"}
    for path, columns in (
        (ROOT / TITANIC, params.raw_columns()),
        (ROOT / "data/titanic_unlabeled.csv", params.raw_columns(with_target=False)),
    ):
        frame = read_csv_checked(path, columns, text_columns=["PassengerId"])
        check_raw_rows(frame, params, path, labelled=path.name == "titanic.csv")


# --- ranges and overflow ------------------------------------------------------------


def test_a_value_out_of_range_is_refused_at_split_with_its_line(project: Path, cli: Cli) -> None:
    edit_lines(project, {59: (",28.5,", ",150,"), 118: (",70.5,", ",-3,")})
    result = cli("split", project)
    assert_one_line_error(
        result,
        "data/titanic.csv: column 'Age', line 59: 150 is above the maximum 120 (checks.ranges.Age)",
    )
    assert not (project / "data/split").exists()


def test_predict_enforces_the_same_ranges(score: Scorer) -> None:
    result, output = score(
        f"{HEADER}\n{ROW}\n{ROW.replace('900,', '901,').replace(',7.25,', ',-5,')}\n"
    )
    assert output.read_text().startswith("PassengerId,Survived,probability\n1,0,0.5")
    assert_one_line_error(
        result, "new.csv: column 'Fare', line 3: -5 is below the minimum 0 (checks.ranges.Fare)"
    )


def test_overflowing_fares_are_imputed_with_their_true_mean(project: Path, cli: Cli) -> None:
    """Two finite fares of 1e308 used to make the Fare mean 0.0 (a numpy warning only)."""
    # Lines 70 and 107 are both train rows: their sum overflows.
    edit_lines(project, {70: (",7.925,", ",1e308,"), 107: (",7.8958,", ",1e308,")})
    for name in ("split", "featurize", "impute"):
        result = cli(name, project)
        assert result.returncode == 0, result.stderr
    from stages.core.artifacts import read_fitted

    step = read_fitted(project / "models/imputer.joblib")[0].named_steps["impute"]
    train = pd.read_parquet(project / "data/featured/train.parquet")
    fares = train["Fare"].to_numpy()
    expected = np.mean(fares / 2.0**1000) * 2.0**1000
    assert step.fill_values_["Fare"] == pytest.approx(expected, rel=1e-12)
    assert step.fill_values_["Fare"] > 1e305


@pytest.mark.parametrize("strategy", ["mean", "median"])
def test_imputer_statistics_do_not_overflow(strategy: str) -> None:
    frame = pd.DataFrame({"Fare": [1e308, 1e308, np.nan, 1e308, 1e308]})
    imputer = ColumnImputer({"Fare": {"strategy": strategy}}).fit(frame)
    assert imputer.fill_values_["Fare"] == pytest.approx(1e308, rel=1e-12)
    assert imputer.transform(frame)["Fare"].iloc[2] == pytest.approx(1e308, rel=1e-12)


def test_an_overflowing_number_is_reported_as_written(score: Scorer) -> None:
    result, _ = score(f"{HEADER}\n{ROW.replace(',7.25,', ',1e309,')}\n")
    assert_one_line_error(
        result, "new.csv: column 'Fare', line 2: expected a finite number, got '1e309'"
    )


# --- tiny data ----------------------------------------------------------------------------


def test_too_few_rows_per_class_stop_split(project: Path, cli: Cli) -> None:
    """12 rows would train a model on 9 and replace the real one; now split stops."""
    (project / TITANIC).write_text(labelled(*(["0", "1"] * 6)))
    result = cli("split", project)
    assert_one_line_error(
        result,
        "data/titanic.csv: the train split holds",
        "checks.min_class_rows.train asks for at least 10 (use more rows, or lower it)",
    )
    assert not (project / "data/split").exists()


def test_min_class_rows_apply_to_the_test_split_too() -> None:
    labels = pd.Series([0] * 30 + [1] * 30)
    positions = {"train": np.arange(0, 55), "test": np.arange(55, 60)}
    with pytest.raises(DataError, match=r"the test split holds 0 row\(s\) of class 0 \(y = 'no'\)"):
        check_class_rows(
            labels, positions, {"train": 10, "test": 1}, {0: "'no'", 1: "'yes'"}, "y", "f"
        )
    positions["test"] = np.arange(25, 35)
    check_class_rows(labels, positions, {"train": 10, "test": 5}, {0: "", 1: ""}, "y", "f")


# --- missing values and types at split --------------------------------------------------------


def test_categorical_missing_without_strategy_is_refused_at_split(project: Path, cli: Cli) -> None:
    """It used to be encoded as all zeros, silently."""
    edit_params(project, "    Embarked: {strategy: constant, fill_value: embarked_missing}\n", "")
    result = cli("split", project)
    assert_one_line_error(
        result,
        "data/titanic.csv: column 'Embarked', line 63: missing value and no impute strategy "
        "for it (add impute.columns.Embarked)",
    )


def test_tree_model_takes_missing_values_natively(project: Path, cli: Cli) -> None:
    edit_params(project, "    Embarked: {strategy: constant, fill_value: embarked_missing}\n", "")
    edit_params(project, "model: logistic_regression", "model: hist_gradient_boosting")
    assert cli("split", project).returncode == 0


def test_numeric_missing_without_strategy_is_refused_at_split(project: Path, cli: Cli) -> None:
    edit_params(project, "    Age: {strategy: mean}\n", "")
    result = cli("split", project)
    assert_one_line_error(
        result, "data/titanic.csv: column 'Age', line 7: missing value and no impute strategy"
    )


def test_a_marker_in_a_numeric_column_suggests_na_values(project: Path, cli: Cli) -> None:
    edit_lines(project, {118: (",70.5,", ",?,")})
    result = cli("split", project)
    assert_one_line_error(
        result,
        "data/titanic.csv: column 'Age', line 118: expected a number, got '?' "
        "(if '?' marks a missing value, list it in data.na_values)",
    )


def test_derived_feature_missing_without_strategy_is_refused_at_featurize(
    project: Path, cli: Cli
) -> None:
    edit_params(
        project,
        "  derive: {}",
        "  derive: {Title: {op: extract, column: Name, pattern: ' (Mr)[.]'}}",
    )
    edit_params(project, "categorical: [Sex, Cabin, Embarked]", "categorical: [Sex, Title]")
    edit_params(project, "    Cabin: {strategy: constant, fill_value: cabin_missing}\n", "")
    edit_params(project, "    Embarked: {strategy: constant, fill_value: embarked_missing}\n", "")
    assert cli("split", project).returncode == 0
    result = cli("featurize", project)
    assert_one_line_error(
        result,
        "data/titanic.csv: column 'Title', line 3: missing value and no impute strategy for it "
        "(add impute.columns.Title); derived by featurize.derive.Title",
    )
    assert not (project / "data/featured").exists()


def test_rows_to_score_with_a_missing_derived_feature_are_refused() -> None:
    """The guard in the imputer covers what predict derives from new rows."""
    imputer = ColumnImputer({}, required=["Title"]).fit(pd.DataFrame({"Title": ["Mr", "Mrs"]}))
    rows = pd.DataFrame({"Title": ["Mr", None, None]}, index=[9, 7, 3])
    with pytest.raises(DataError, match="column 'Title', line 5: missing value and no impute"):
        imputer.transform(rows)


# --- line numbers -----------------------------------------------------------------------------


def test_the_first_bad_line_of_the_file_is_reported(project: Path, cli: Cli) -> None:
    """Line 118 comes before line 59 in the shuffled train split; 59 is reported."""
    edit_lines(project, {59: (",28.5,", ",x,"), 118: (",70.5,", ",y,")})
    assert_one_line_error(cli("split", project), "column 'Age', line 59: expected a number")


def test_lines_count_blank_lines_and_quoted_newlines(project: Path, cli: Cli) -> None:
    raw = project / TITANIC
    lines = raw.read_text().splitlines()
    lines[3] = lines[3].replace("Heikkinen, Miss. Laina", "Heikkinen,\nMiss. Laina")
    lines.insert(1, "")
    lines[59] = lines[59].replace(",28.5,", ",x,")  # raw line 59, now physical line 61
    raw.write_text("\n".join(lines) + "\n")
    assert_one_line_error(cli("split", project), "column 'Age', line 61: expected a number")


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,x\n2,y\n",
        "a,b\n1,x\n2,y",
        "a,b\r\n1,x\r\n\r\n2,y\r\n",
        'a,b\n\n1,"x\ny"\n  \n2,"""q""\n"\n3,z\n\n',
        '\n\na,"b\nc"\n1,x\n2,y',
        "a,b\n 1,x \n \t \n\t2,y\t\n  \n",
    ],
)
@pytest.mark.parametrize("chunk", [2, 1 << 22])
def test_row_labels_are_physical_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, chunk: int
) -> None:
    """As the csv module counts them; tiny chunks cross every boundary."""
    monkeypatch.setattr("stages.core.contracts._CHUNK", chunk)
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    frame = pd.read_csv(path)
    expected = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        seen = 0
        for record in reader:
            start, seen = seen + 1, reader.line_num
            if record and any(cell.strip() for cell in record):
                expected.append(start)
    assert [label + 2 for label in row_labels(path, len(frame))] == expected[1:]


# --- what means missing, whitespace, ids --------------------------------------------------------


def test_only_declared_markers_mean_missing(project: Path, cli: Cli) -> None:
    edit_lines(project, {2: (",,S", ",None,S"), 3: (",C85,", ",NA,")})
    assert cli("split", project).returncode == 0
    split = pd.concat(
        pd.read_parquet(project / f"data/split/{s}.parquet") for s in ("train", "test")
    )
    assert split.loc[0, "Cabin"] == "None" and split.loc[1, "Cabin"] == "NA"
    assert split["Cabin"].isna().sum() == 687 - 1  # the empty cells, less the one edited


def test_a_spaced_missing_marker_is_refused(project: Path, cli: Cli) -> None:
    edit_params(project, "na_values: []", 'na_values: ["?"]')
    edit_lines(project, {5: (",S", ", ?")})
    result = cli("split", project)
    assert_one_line_error(
        result,
        "data/titanic.csv: column 'Embarked', line 5: ' ?' is the missing-value marker '?' with "
        "spaces; set data.strip_whitespace: true (or add ' ?' to data.na_values)",
    )


def test_strip_whitespace_makes_a_spaced_marker_missing(project: Path, cli: Cli) -> None:
    edit_params(project, "na_values: []", 'na_values: ["?"]')
    edit_params(project, "strip_whitespace: false", "strip_whitespace: true")
    edit_lines(project, {5: (",S", ", ?"), 6: (",S", ",S  ")})
    assert cli("split", project).returncode == 0
    split = pd.concat(
        pd.read_parquet(project / f"data/split/{s}.parquet") for s in ("train", "test")
    )
    assert pd.isna(split.loc[3, "Embarked"]) and split.loc[4, "Embarked"] == "S"


def test_a_header_with_spaces_gets_a_hint(score: Scorer) -> None:
    result, _ = score(f"{HEADER.replace(',Age,', ',Age ,')}\n{ROW}\n")
    assert_one_line_error(
        result,
        "new.csv: missing column 'Age' (required by features.numeric); the file has 'Age ', "
        "with spaces (rename it, or set data.strip_whitespace: true)",
    )


def test_ids_are_written_as_read(score: Scorer) -> None:
    result, output = score(f"{HEADER}\n{ROW.replace('900,', '00892,')}\n")
    assert result.returncode == 0, result.stderr
    assert output.read_text().splitlines()[1].startswith("00892,")


def test_excel_trailing_empty_columns_are_dropped_with_a_note(score: Scorer) -> None:
    result, output = score(f"{HEADER},,\n{ROW},,\n")
    assert result.returncode == 0, result.stderr
    assert "note: new.csv: ignoring 2 unnamed column(s) at the end of the header" in result.stderr
    assert output.read_text().splitlines()[1].startswith("900,")


def test_an_unnamed_index_column_can_be_the_id(scoring: Path, cli: Cli) -> None:
    """A CSV written with pandas' index has an empty first header: id_column: ""."""
    edit_params(scoring, "id_column: PassengerId", 'id_column: ""')
    rows = pd.read_csv(scoring / "data/titanic_unlabeled.csv").head(3)
    rows.drop(columns="PassengerId").to_csv(scoring / "new.csv")  # index=True
    # The id column is a split param, so the fitted chain is stale until `dvc repro`; what
    # it fitted does not depend on the id, so scoring with --allow-stale shows the ids.
    (scoring / "scored.csv").write_text("")
    args = ("--input", "new.csv", "--output", "scored.csv", "--overwrite", "--allow-stale")
    result = cli("predict", scoring, *args)
    output = scoring / "scored.csv"
    assert result.returncode == 0, result.stderr
    assert "was fitted with data.id_column=PassengerId" in result.stderr
    lines = output.read_text().splitlines()
    assert lines[0] == ",Survived,probability"
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "1", "2"]


def test_split_reads_an_unnamed_index_column_as_the_id(project: Path, cli: Cli) -> None:
    """Split by id (split.method: hash), the unnamed first column is read as the ids."""
    raw = pd.read_csv(project / TITANIC, dtype=str, keep_default_na=False)
    raw.drop(columns="PassengerId").to_csv(project / TITANIC)
    edit_params(project, "id_column: PassengerId", 'id_column: ""')
    edit_params(project, "method: shuffle ", "method: hash ")
    assert cli("split", project).returncode == 0
    tables = [
        pd.read_parquet(project / f"data/split/{split}.parquet") for split in ("train", "test")
    ]
    ids = pd.concat([table[""] for table in tables])
    assert sorted(ids, key=int) == [str(position) for position in range(891)]


def test_a_shuffle_split_checks_the_id_column_without_reading_it(project: Path, cli: Cli) -> None:
    """Nothing uses the ids of a shuffled split: they stay out of its tables (at 1M rows,
    parsing them was half of split's parse), but the file must still have the column."""
    assert cli("split", project).returncode == 0
    train = pd.read_parquet(project / "data/split/train.parquet")
    assert "PassengerId" not in train.columns
    assert train.index[:3].tolist() == [105, 68, 253]  # rows still named by their line
    raw = pd.read_csv(project / TITANIC, dtype=str, keep_default_na=False)
    raw.drop(columns="PassengerId").to_csv(project / TITANIC, index=False)
    assert_one_line_error(
        cli("split", project),
        "data/titanic.csv: missing column 'PassengerId' (required by data.id_column)",
    )


# --- unclear messages made clear ----------------------------------------------------------------


def test_a_symbolic_link_loop_is_not_called_missing(project: Path, cli: Cli) -> None:
    raw = project / TITANIC
    raw.unlink()
    os.symlink("titanic.csv", raw)
    assert_one_line_error(cli("split", project), "data/titanic.csv: symbolic link loop")


def test_a_dangling_link_says_where_it_points(project: Path, cli: Cli) -> None:
    raw = project / TITANIC
    raw.unlink()
    os.symlink("gone.csv", raw)
    assert_one_line_error(
        cli("split", project), "data/titanic.csv: broken symbolic link (it points to gone.csv"
    )


def test_impute_names_the_table_that_lacks_a_column(reproduced_copy: Path, cli: Cli) -> None:
    """The raw CSV has Parch; the featured table made under the old params does not."""
    edit_params(
        reproduced_copy,
        "numeric: [Pclass, Age, SibSp, Fare]",
        "numeric: [Pclass, Age, SibSp, Fare, Parch]",
    )
    before = digest(outputs(reproduced_copy))
    result = cli("impute", reproduced_copy)
    assert_one_line_error(
        result,
        "data/featured/train.parquet: missing column 'Parch' (listed in params; dvc repro "
        "remakes it)",
    )
    assert digest(outputs(reproduced_copy)) == before


# --- params -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("Age: {min: 0, max: 120}", "Age: {min: 130, max: 120}", "checks.ranges.Age: min 130.0"),
        ("Age: {min: 0, max: 120}", "Age: {}", "checks.ranges.Age: give min and/or max"),
        ("{train: 10, test: 1}", "{train: 0, test: 1}", "checks.min_class_rows.train"),
        ("strip_whitespace: false", "strip_whitespace: yes please", "data.strip_whitespace"),
    ],
)
def test_checks_params_are_validated(tmp_path: Path, old: str, new: str, message: str) -> None:
    from stages.core.errors import ParamsError

    path = tmp_path / "params.yaml"
    text = (ROOT / "params.yaml").read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(ParamsError, match=message.replace(".", r"\.")):
        load_params(path)


def test_a_range_makes_its_column_required_and_numeric(project: Path, cli: Cli) -> None:
    """A range on a column no feature uses is still checked (a typo is a missing column)."""
    edit_params(project, "    Fare: {min: 0}\n", "    Fare: {min: 0}\n    Parch: {max: 5}\n")
    assert_one_line_error(
        cli("split", project),
        "data/titanic.csv: column 'Parch', line 680: 6 is above the maximum 5 "
        "(checks.ranges.Parch)",
    )
    edit_params(project, "    Parch: {max: 5}\n", "    Parhc: {max: 5}\n")
    assert_one_line_error(
        cli("split", project), "missing column 'Parhc' (required by checks.ranges.Parhc)"
    )


# --- reading only the needed columns (split) ---------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        ["1,2,3", "4,5,6,7", "8,9,10"],  # one field too many
        ["1,2,3", "4,5,6,", "8,9,10"],  # a trailing delimiter is a field too
        ["1,2,3,4", "8,9,10"],  # on the first data row (pandas warns there, not errs)
        ['1,"x\n,y",3', '4,"a,b",6,7'],  # after a quoted newline and a quoted delimiter
        ['1,ab"c,d",3'],  # a quote inside an unquoted field is text: four fields
        ["1,2,3", "4,5", "6,7,8,9"],  # after a short row (fine for pandas)
    ],
)
def test_a_too_long_row_is_refused_when_reading_only_some_columns(
    tmp_path: Path, rows: list[str]
) -> None:
    """pandas skips its row-length check for unread columns; the scan must keep the error."""
    path = tmp_path / "raw.csv"
    path.write_text("\n".join(["a,b,c", *rows]) + "\n")
    for only_required in (False, True):
        with pytest.raises(DataError) as error:
            read_csv_checked(path, {"a": "x", "c": "y"}, only_required=only_required)
        assert str(error.value) == (
            f"{path}: not a well-formed CSV (a row has more fields than the header's 3)"
        )


def test_reading_only_the_needed_columns_gives_the_same_values(tmp_path: Path) -> None:
    """Same cells, types and line labels as a full read; a stray quote in an unread column
    (which confuses the quote scan) still reads, through the full parse."""
    path = tmp_path / "raw.csv"
    path.write_text('a,b,c\n1,"q,\n r",3\n\n4,5 "6,7\n8,"",\n9,10\n')
    full = read_csv_checked(path, {"a": "x", "c": "y"})
    part = read_csv_checked(path, {"a": "x", "c": "y"}, only_required=True)
    pd.testing.assert_frame_equal(part, full[["a", "c"]])
    titanic = ROOT / TITANIC
    columns = {"Age": "x", "Sex": "y"}
    part = read_csv_checked(titanic, columns, text_columns=["PassengerId"], only_required=True)
    full = read_csv_checked(titanic, columns, text_columns=["PassengerId"])
    pd.testing.assert_frame_equal(part, full[["PassengerId", "Sex", "Age"]])
