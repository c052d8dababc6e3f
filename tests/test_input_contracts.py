"""Bad inputs: one line naming file, column, line and value; exit 2; outputs untouched.

Each case runs a stage CLI (in-process through the same `run_cli` entry point; a few
through a real `python -m` subprocess) in a reproduced project whose outputs already
exist, and checks that they are byte-for-byte what they were before the failed run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, stage
from tests.helpers import (
    HEADER,
    PREVIOUS,
    ROW,
    Scorer,
    assert_one_line_error,
    digest,
    labelled,
    outputs,
)

PREDICT_CASES = {
    "missing file": (None, ["new.csv: file not found"]),
    "empty file": ("", ["new.csv: file is empty"]),
    "header only": (HEADER + "\n", ["new.csv: has a header but no data rows"]),
    "wrong delimiter": (
        HEADER.replace(",", ";") + "\n" + ROW.replace(",", ";") + "\n",
        ["looks delimited by ';', not ',' (set data.delimiter)"],
    ),
    "missing column": (
        HEADER.replace(",Age", "") + "\n" + ROW.replace(",30", "") + "\n",
        ["new.csv: missing column 'Age' (required by features.numeric)"],
    ),
    "duplicate column names": (
        HEADER.replace("Ticket", "Age") + "\n" + ROW + "\n",
        ["new.csv: duplicate column names ['Age']"],
    ),
    "text in a numeric column": (
        f"{HEADER}\n{ROW}\n{ROW.replace('900,', '901,').replace(',30,', ',thirty,')}\n",
        ["new.csv: column 'Age', line 3: expected a number, got 'thirty'"],
    ),
    "all values missing without a strategy": (
        f"{HEADER}\n{ROW.replace('male', '')}\n",
        ["new.csv: column 'Sex': every value is missing and it has no impute strategy"],
    ),
    "missing id": (
        f"{HEADER}\n{ROW}\n{ROW.replace('900,', ',', 1)}\n",
        ["new.csv: column 'PassengerId', line 3: the id is missing"],
    ),
    "duplicate ids": (
        f"{HEADER}\n{ROW}\n{ROW}\n",
        ["new.csv: column 'PassengerId', line 3: id '900' appears more than once"],
    ),
    "ragged row": (
        f"{HEADER}\n{ROW},extra,cells\n",
        ["new.csv: not a well-formed CSV (a row has more fields than the header's 11)"],
    ),
    "not utf-8": (None, ["new.csv: not UTF-8 text"]),
}


@pytest.mark.parametrize("case", sorted(PREDICT_CASES))
def test_predict_refuses_bad_input(scoring: Path, score: Scorer, case: str) -> None:
    text, fragments = PREDICT_CASES[case]
    if case == "not utf-8":
        (scoring / "new.csv").write_bytes(HEADER.encode() + b"\n" + ROW.encode("utf-16"))
    result, output = score(text)
    assert_one_line_error(result, *fragments)
    assert output.read_text() == PREVIOUS


def test_predict_output_equal_to_input_is_refused(scoring: Path, cli: Cli) -> None:
    source = scoring / "new.csv"
    source.write_text(f"{HEADER}\n{ROW}\n")
    result = cli("predict", scoring, "--input", "new.csv", "--output", "./new.csv")
    assert_one_line_error(result, "is the input file; choose another path")
    assert source.read_text() == f"{HEADER}\n{ROW}\n"


def test_predict_output_folder_must_exist(scoring: Path) -> None:
    """Through a real subprocess: exit code 2, one line, no traceback."""
    (scoring / "new.csv").write_text(f"{HEADER}\n{ROW}\n")
    result = stage("predict", scoring, "--input", "new.csv", "--output", "nowhere/out.csv")
    assert "Traceback" not in result.stderr
    assert_one_line_error(result, "--output nowhere/out.csv: folder nowhere does not exist")
    assert not (scoring / "nowhere").exists()


def test_unknown_category_is_scored_when_ignored(score: Scorer) -> None:
    result, output = score(f"{HEADER}\n{ROW.replace(',S', ',X')}\n")
    assert result.returncode == 0, result.stderr
    assert output.read_text().splitlines()[0] == "PassengerId,Survived,probability"
    assert len(output.read_text().splitlines()) == 2


def test_unknown_category_is_named_when_encode_says_error(
    scoring: Path, score: Scorer, cli: Cli
) -> None:
    """Titanic's test split has cabins unseen in train, so drop Cabin to train in error mode.
    (The chain is refitted in-process, stage by stage: DVC's part is tested elsewhere.)"""
    params = scoring / "params.yaml"
    text = params.read_text().replace("handle_unknown: ignore", "handle_unknown: error")
    text = text.replace("categorical: [Sex, Cabin, Embarked]", "categorical: [Sex, Embarked]")
    params.write_text(
        text.replace("    Cabin: {strategy: constant, fill_value: cabin_missing}\n", "")
    )
    for name in ("split", "featurize", "impute", "encode", "scale", "train"):
        assert cli(name, scoring).returncode == 0
    result, output = score(f"{HEADER}\n{ROW}\n{ROW.replace('900', '901').replace(',S', ',X')}\n")
    assert_one_line_error(
        result, "new.csv: column 'Embarked', line 3: category 'X' was never seen in training"
    )
    assert output.read_text() == PREVIOUS


def test_byte_order_mark_and_windows_line_endings_are_read(scoring: Path, score: Scorer) -> None:
    """Excel's "CSV UTF-8" starts with a BOM and ends lines with CRLF: still the same file."""
    (scoring / "new.csv").write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\r\n{ROW}\r\n".encode())
    result, output = score(None)
    assert result.returncode == 0, result.stderr
    assert output.read_text().splitlines()[1].startswith("900,")


def test_extra_columns_are_ignored_and_missing_cells_imputed(score: Scorer) -> None:
    text = f"{HEADER},Note\n{ROW.replace(',30,', ',,')},hello\n"
    result, output = score(text)
    assert result.returncode == 0, result.stderr
    row = output.read_text().splitlines()[1].split(",")
    assert row[0] == "900" and row[1] in {"0", "1"}


def test_params_with_a_wrong_type_stop_predict(scoring: Path, score: Scorer) -> None:
    params = scoring / "params.yaml"
    params.write_text(params.read_text().replace("threshold: 0.5", "threshold: high"))
    result, output = score(f"{HEADER}\n{ROW}\n")
    assert_one_line_error(result, "params.yaml: predict.threshold: Input should be a valid number")
    assert output.read_text() == PREVIOUS


def test_predict_without_trained_models_says_what_to_run(project: Path, score: Scorer) -> None:
    result, output = score(f"{HEADER}\n{ROW}\n", project)
    assert_one_line_error(
        result, "models/featurizer.joblib: not found; run the stage that writes it"
    )
    assert output.read_text() == PREVIOUS


TRAIN_CASES = {
    "third class in target": (
        labelled("0", "1", "2", "1"),
        [
            "titanic.csv: column 'Survived': expected two classes, found 3 classes (0, 1, 2); "
            "first row with a third class: line 4"
        ],
    ),
    "one class in target": (
        labelled("1", "1", "1"),
        ["titanic.csv: column 'Survived': expected two classes, found only one class (1)"],
    ),
    "missing target": (
        labelled("1", "0", "", "1"),
        ["titanic.csv: column 'Survived', line 4: the target is missing"],
    ),
    "missing target column": (
        labelled("1", "0").replace("Survived,", "Lived,"),
        ["titanic.csv: missing column 'Survived' (required by data.target)"],
    ),
    "empty training file": ("", ["titanic.csv: file is empty"]),
}


@pytest.mark.parametrize("case", sorted(TRAIN_CASES))
def test_split_refuses_bad_training_data(reproduced_copy: Path, cli: Cli, case: str) -> None:
    text, fragments = TRAIN_CASES[case]
    before = digest(outputs(reproduced_copy))
    (reproduced_copy / "data/titanic.csv").write_text(text)
    assert_one_line_error(cli("split", reproduced_copy), *fragments)
    assert digest(outputs(reproduced_copy)) == before


def test_text_in_numeric_training_column_names_the_raw_line(
    reproduced_copy: Path, cli: Cli
) -> None:
    """Found by split (it checks the whole file), reported with the user's line."""
    raw = reproduced_copy / "data/titanic.csv"
    lines = raw.read_text().splitlines()
    lines[106] = lines[106].replace(",28,", ",twenty-eight,")  # raw row 105: first train row
    raw.write_text("\n".join(lines) + "\n")
    before = digest(outputs(reproduced_copy))
    result = cli("split", reproduced_copy)
    assert_one_line_error(
        result, "data/titanic.csv: column 'Age', line 107: expected a number, got 'twenty-eight'"
    )
    assert digest(outputs(reproduced_copy)) == before


def test_all_missing_training_feature_is_refused(reproduced_copy: Path, cli: Cli) -> None:
    raw = reproduced_copy / "data/titanic.csv"
    lines = raw.read_text().splitlines()
    raw.write_text(
        "\n".join(
            [lines[0], *(ln.replace(",male,", ",,").replace(",female,", ",,") for ln in lines[1:])]
        )
        + "\n"
    )
    result = cli("split", reproduced_copy)
    assert_one_line_error(result, "data/titanic.csv: column 'Sex': every value is missing")


def test_infinite_number_is_refused_not_a_traceback(score: Scorer) -> None:
    result, output = score(f"{HEADER}\n{ROW.replace(',7.25,', ',inf,')}\n")
    assert_one_line_error(result, "new.csv: column 'Fare', line 2: expected a finite number, got")
    assert output.read_text() == PREVIOUS


def test_train_split_with_one_class_is_refused(project: Path, cli: Cli) -> None:
    """The file has two classes, but all positives land in the test split."""
    from stages.lib.splitting import split_positions

    _, test = split_positions(8, 0.25, 0)
    survived = ["0"] * 8
    for position in test:
        survived[position] = "1"
    (project / "data/titanic.csv").write_text(labelled(*survived))
    result = cli("split", project)
    assert_one_line_error(result, "the train split holds only class 0 of 'Survived'")
    assert not (project / "data/split").exists()


def test_third_class_points_at_the_odd_row(project: Path, cli: Cli) -> None:
    (project / "data/titanic.csv").write_text(labelled("?", "0", "1", "0", "1"))
    result = cli("split", project)
    assert_one_line_error(result, "first row with a third class: line 2 ('?')")


def test_derived_column_may_not_replace_a_raw_one(reproduced_copy: Path, cli: Cli) -> None:
    params = reproduced_copy / "params.yaml"
    text = params.read_text()
    assert "derive: {}" in text
    params.write_text(text.replace("derive: {}", "derive: {Age: {op: log1p, column: Fare}}"))
    result = cli("featurize", reproduced_copy)
    assert_one_line_error(
        result, "params.yaml: featurize.derive.Age: 'Age' is already a column of data/titanic.csv"
    )
