"""Input contracts: read a CSV the user gave us and check it before any work is done.

Each check raises a DataError whose one-line message names the file, the column and,
where there is one, the first offending line (1-based, header = line 1) and value. Row
labels of every table are the rows' positions in the raw file, kept through all stages,
so a problem found in a later stage still points at the line of the user's file.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stages.core.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

_OTHER_DELIMITERS = (",", ";", "\t", "|")


def shown(value: Any) -> str:
    """A cell value as the user wrote it: 900, not np.int64(900)."""
    return repr(value.item() if hasattr(value, "item") else value)


def line_of(row_label: Any) -> int:
    """The file line of a row: its raw position + 1 for the header + 1 for 1-based counting."""
    return int(row_label) + 2


def read_csv_checked(
    path: Path | str,
    required: Mapping[str, str],
    *,
    delimiter: str = ",",
    na_values: Iterable[str] = (),
) -> pd.DataFrame:
    """Read a CSV, failing clearly if it is absent, empty, malformed or lacks a column.

    `required` maps each needed column to the params key that asks for it, so the error
    can tell the user which setting to fix.
    """
    import pandas as pd

    path = Path(path)
    header = _read_header(path, delimiter)
    _check_columns(path, header, required, delimiter)
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row has more fields than the header: make it fail.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                sep=delimiter,
                na_values=list(na_values),
                keep_default_na=True,
                skipinitialspace=False,
                low_memory=False,
                index_col=False,
                encoding="utf-8-sig",
            )
    except pd.errors.ParserWarning:
        raise DataError(
            f"{path}: not a well-formed CSV (a row has more fields than the header's {len(header)})"
        ) from None
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: not a well-formed CSV ({_first_line(error)})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    if frame.empty:
        raise DataError(f"{path}: has a header but no data rows")
    return frame


def _read_header(path: Path, delimiter: str) -> list[str]:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    try:
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") is not part of the first name.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle, delimiter=delimiter), None)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    if not first or not any(cell.strip() for cell in first):
        raise DataError(f"{path}: file is empty (expected a header line with column names)")
    return first


def _check_columns(
    path: Path, header: list[str], required: Mapping[str, str], delimiter: str
) -> None:
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataError(
            f"{path}: duplicate column names {duplicates}; each column needs a unique name"
        )
    missing = [column for column in required if column not in header]
    if not missing:
        return
    if len(header) == 1:
        for other in _OTHER_DELIMITERS:
            if other != delimiter and other in header[0]:
                raise DataError(
                    f"{path}: found one column {header[0][:60]!r}; the file looks delimited by "
                    f"{other!r}, not {delimiter!r} (set data.delimiter)"
                )
    column = missing[0]
    raise DataError(
        f"{path}: missing column {column!r} (required by {required[column]}); "
        f"the file has: {', '.join(header)}"
    )


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__


def binary_target(frame: pd.DataFrame, target: str, positive_label: Any, source: str) -> pd.Series:
    """Map the target to 0/1 (1 = `positive_label`), insisting on exactly two classes."""
    column = frame[target]
    missing = column.isna()
    if missing.any():
        raise DataError(
            f"{source}: column {target!r}, line {line_of(column.index[missing.argmax()])}: "
            "the target is missing"
        )
    values = column.astype(str) if isinstance(positive_label, str) else column
    classes = list(dict.fromkeys(values.tolist()))
    if len(classes) != 2:
        found = ", ".join(repr(c) for c in classes[:5])
        detail = "only one class" if len(classes) < 2 else f"{len(classes)} classes"
        where = ""
        if len(classes) > 2:
            odd = _odd_rows(values, positive_label)
            first = odd.to_numpy().argmax()
            where = (
                f"; first row with a third class: line {line_of(column.index[first])} "
                f"({shown(values.iloc[first])})"
            )
        raise DataError(
            f"{source}: column {target!r}: expected two classes, found {detail} ({found}){where}"
        )
    if positive_label not in classes:
        raise DataError(
            f"{source}: column {target!r}: data.positive_label {positive_label!r} is not one of "
            f"its values ({', '.join(repr(c) for c in classes)})"
        )
    return (values == positive_label).astype("int8").rename(target)


def require_columns(
    frame: pd.DataFrame, columns: Iterable[str], why: str, prefix: str = ""
) -> None:
    """Fail on the first absent column, saying who needs it (`why`, e.g. "listed in params")."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(f"{prefix}missing column {missing[0]!r} ({why})")


def select_columns(frame: pd.DataFrame, columns: list[str], source: str) -> pd.DataFrame:
    """Only the columns a stage needs, or an error naming the first one that is absent."""
    require_columns(frame, columns, "listed in params", f"{source}: ")
    return frame[columns]


def _odd_rows(values: pd.Series, positive_label: Any) -> pd.Series:
    """Rows outside the two usual classes: the positive label and the commonest other value."""
    usual = [positive_label] if positive_label in set(values) else []
    usual += [c for c in values.value_counts().index if c not in usual][: 2 - len(usual)]
    return ~values.isin(usual)


def conform_features(
    frame: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    source: str | None,
    *,
    require_values: Iterable[str] = (),
) -> pd.DataFrame:
    """The feature columns with the types the transformers expect, checked row by row.

    Numeric columns must hold numbers (float64 out); categorical columns become strings
    (so "3" read from one file and 3 read from another are the same category). Columns
    named in `require_values` may not be missing entirely: nothing can be learned from or
    filled into them.
    """

    prefix = f"{source}: " if source else ""
    require_columns(frame, [*numeric, *categorical], "listed in features", prefix)
    out = frame.copy()
    for column in numeric:
        out[column] = _as_numbers(frame[column], column, prefix)
    for column in categorical:
        out[column] = _as_text(frame[column])
    for column in require_values:
        if out[column].isna().all():
            raise DataError(f"{prefix}column {column!r}: every value is missing")
    return out


def _as_text(values: pd.Series) -> pd.Series:
    """Categories as strings, each value on its own: a whole float is written as an integer.

    A missing cell turns an integer column into floats, so 3 would read "3.0" in one file
    and "3" in another; deciding per value (never from the rest of the column) keeps a
    category the same whichever other rows a file holds.
    """
    import numpy as np
    import pandas as pd

    text = values.astype("str").where(values.notna(), other=pd.NA).astype("str")
    if pd.api.types.is_float_dtype(values):
        numbers = values.to_numpy(dtype="float64")
        whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 2**53)
        if whole.any():
            text[whole] = numbers[whole].astype("int64").astype(str)
    return text


def _as_numbers(values: pd.Series, column: str, prefix: str) -> pd.Series:
    """float64 values, or an error naming the first cell that is not a finite number."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
    else:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = (numbers.isna() & values.notna()) | np.isinf(numbers.to_numpy())
    if bad.any():
        first = bad.to_numpy().argmax()
        what = "a finite number" if np.isinf(numbers.iloc[first]) else "a number"
        raise DataError(
            f"{prefix}column {column!r}, line {line_of(values.index[first])}: expected {what}, "
            f"got {shown(values.iloc[first])}"
        )
    return numbers
