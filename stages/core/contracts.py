"""Input contracts: read a CSV the user gave us and check it before any work is done.

Each check raises a DataError whose one-line message names the file, the column and,
where there is one, the first offending line (1-based, header = line 1) and value. Row
labels of every table are the rows' positions in the raw file, kept through all stages,
so a problem found in a later stage still points at the line of the user's file.
"""

from __future__ import annotations

import csv
import errno
import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stages.core.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from stages.core.params import Params

_OTHER_DELIMITERS = (",", ";", "\t", "|")


def as_written(value: Any) -> str:
    """A cell value as the user wrote it: 900, not np.int64(900)."""
    return repr(value.item() if hasattr(value, "item") else value)


def line_of(row_label: Any) -> int:
    """The file line where a row starts: its label + 2 (see `row_labels`).

    A row's label is its position in the raw file (header = line 1, first row = line 2)
    unless blank lines or quoted newlines come before it; then it is shifted to match.
    """
    return int(row_label) + 2


def first_flagged(values: pd.Series, flagged: Any) -> tuple[Any, Any]:
    """The label and value of the flagged row that comes first in the file.

    Split tables are shuffled, so the first flagged position is not the first line.
    """
    import numpy as np

    mask = np.asarray(flagged, dtype=bool)
    labels = values.index[mask]
    label = labels.min()
    return label, values.to_numpy()[mask][int(np.argmin(labels))]


def read_csv_checked(
    path: Path | str,
    required: Mapping[str, str],
    *,
    delimiter: str = ",",
    na_values: Iterable[str] = (),
    strip_whitespace: bool = False,
    text_columns: Iterable[str] = (),
    only_required: bool = False,
    unparsed: Iterable[str] = (),
) -> pd.DataFrame:
    """Read a CSV, failing clearly if it is absent, empty, malformed or lacks a column.

    `required` maps each needed column to the params key that asks for it, so the error
    can tell the user which setting to fix. Only the empty cell and `na_values` (matched
    exactly) mean "missing": pandas' own list ("NA", "None", "null", ...) is off, so those
    are ordinary text. `text_columns` (ids) are read as text, unchanged ("00892" stays).
    Trailing columns with no name (Excel's empty columns) are dropped with a note. Each
    row's label is its first physical line in the file minus 2 (see `line_of`).

    `only_required`: parse only the `required` columns (and ids). The raw file's long text
    columns nobody uses (names, tickets) then cost neither memory nor conversion: at 10M
    rows they were most of split's time and its 3 GB. pandas skips its row-length check
    for unread columns, so `_field_counts_ok` scans for a too-long row (on a thread beside
    the parse); if it finds one, everything is parsed and pandas' own error is raised.
    `unparsed` (with `only_required`): required columns checked in the header but not parsed
    (split's ids, unless it splits by them: at 1M rows a text column of ids was 0.5 s of
    a 0.9 s parse).
    """

    path = Path(path)
    header = _read_header(path, delimiter, strip_whitespace)
    names = _named_columns(path, header)
    _check_columns(path, names, required, delimiter)
    markers = ["", *na_values]
    placeholders = [f"\0unnamed{i}" for i in range(len(names), len(header))]
    skipped = set(unparsed) if only_required else set()
    parsed = [column for column in names if column not in skipped]
    text = [column for column in text_columns if column in parsed]
    selected = [c for c in parsed if c in required or c in text] if only_required else None
    columns = [*names, *placeholders]
    if selected is None:
        frame = _parse(path, delimiter, columns, None, text, markers, strip_whitespace)
    else:
        frame = _parse_selected(path, delimiter, columns, selected, text, markers, strip_whitespace)
    if frame.empty:
        raise DataError(f"{path}: has a header but no data rows")
    frame = frame[selected] if selected is not None else frame.drop(columns=placeholders)
    frame.index = row_labels(path, len(frame))
    wanted = [column for column in required if column in frame.columns]
    if strip_whitespace:
        _strip_cells(frame, wanted, markers)
    else:
        _refuse_spaced_markers(frame, wanted, list(na_values), path)
    return frame


def _parse_selected(
    path: Path,
    delimiter: str,
    names: list[str],
    selected: list[str],
    text: list[str],
    markers: list[str],
    strip_whitespace: bool,
) -> pd.DataFrame:
    """Only the `selected` columns, parsed by pandas while `_field_counts_ok` scans the
    whole file on another thread (both mostly outside the GIL: 1M rows, ~0.3 s of a 1.3 s
    split saved on two cores). If the scan objects to a row, the selective parse (or its
    error) is dropped and everything is parsed, so the result, or the error, is exactly
    what the one-after-the-other order gave."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(_field_counts_ok, path, delimiter, len(names))
        try:
            frame = _parse(path, delimiter, names, selected, text, markers, strip_whitespace)
        except DataError:
            if scan.result():
                raise
        else:
            if scan.result():
                return frame
    # A row looks too long: let pandas parse it all and say so exactly.
    return _parse(path, delimiter, names, None, text, markers, strip_whitespace)


def _parse(
    path: Path,
    delimiter: str,
    names: list[str],
    usecols: list[str] | None,
    text: list[str],
    markers: list[str],
    strip_whitespace: bool,
) -> pd.DataFrame:
    """pandas' C parser with the contract's settings; its errors become one line."""
    import pandas as pd

    fields = len(names)
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row has more fields than the header: make it fail.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                path,
                sep=delimiter,
                names=names,
                usecols=usecols,
                header=0,
                dtype=dict.fromkeys(text, "str"),
                na_values=markers,
                keep_default_na=False,
                skipinitialspace=strip_whitespace,
                low_memory=False,
                index_col=False,
                encoding="utf-8-sig",
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError) as error:
        if isinstance(error, pd.errors.ParserWarning) or "Expected " in str(error):
            raise DataError(
                f"{path}: not a well-formed CSV (a row has more fields than the header's {fields})"
            ) from None
        raise DataError(f"{path}: not a well-formed CSV ({_first_line(error)})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None


def _read_header(path: Path, delimiter: str, strip: bool) -> list[str]:
    _check_readable(path)
    try:
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") is not part of the first name.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle, delimiter=delimiter), None)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not first or not any(cell.strip() for cell in first):
        raise DataError(f"{path}: file is empty (expected a header line with column names)")
    return [name.strip() for name in first] if strip else first


def _check_readable(path: Path) -> None:
    """A file that is there, or an error saying why not (a dangling link is not "not found")."""
    try:
        os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise DataError(
                f"{path}: broken symbolic link (it points to {os.readlink(path)}, "
                "which does not exist)"
            ) from None
        raise DataError(f"{path}: file not found") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise DataError(
                f"{path}: symbolic link loop (a link that leads back to itself)"
            ) from None
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not path.is_file():
        raise DataError(f"{path}: not a file")


def _named_columns(path: Path, header: list[str]) -> list[str]:
    """The header without its trailing unnamed columns (Excel saves empty ones)."""
    names = list(header)
    while names and not names[-1].strip():
        names.pop()
    dropped = len(header) - len(names)
    if dropped:
        print(
            f"note: {path}: ignoring {dropped} unnamed column(s) at the end of the header",
            file=sys.stderr,
        )
    return names


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
    spaced = [name for name in header if name.strip() == column.strip()]
    hint = (
        f"; the file has {spaced[0]!r}, with spaces (rename it, or set data.strip_whitespace: true)"
        if spaced
        else f"; the file has: {', '.join(header)}"
    )
    raise DataError(f"{path}: missing column {column!r} (required by {required[column]}){hint}")


def _strip_cells(frame: pd.DataFrame, columns: list[str], markers: list[str]) -> None:
    """data.strip_whitespace: trim text cells, then spaced missing markers become missing."""
    import pandas as pd

    for column in columns:
        values = frame[column]
        if pd.api.types.is_string_dtype(values) or values.dtype == object:
            stripped = values.str.strip()
            frame[column] = stripped.where(~stripped.isin(markers))


def _refuse_spaced_markers(
    frame: pd.DataFrame, columns: list[str], na_values: list[str], path: Path
) -> None:
    """A marker with spaces (" ?" for "?") is not missing: say so rather than make a category."""
    import pandas as pd

    if not na_values:
        return
    found: list[tuple[Any, str]] = []
    for column in columns:
        values = frame[column]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        spaced = values.astype("str").str.strip().isin(na_values) & values.notna()
        if spaced.any():
            label, value = first_flagged(values, spaced)
            found.append(
                (
                    label,
                    f"{path}: column {column!r}, line {line_of(label)}: {value!r} is the "
                    f"missing-value marker {value.strip()!r} with spaces; set "
                    f"data.strip_whitespace: true (or add {value!r} to data.na_values)",
                )
            )
    if found:
        raise DataError(min(found, key=lambda issue: issue[0])[1])


def _field_counts_ok(path: Path, delimiter: str, fields: int) -> bool:
    """Whether every record has exactly `fields` fields, by pyarrow's multi-threaded CSV
    parser streaming over the file (one column converted, memory one block).

    pandas checks rows for too many fields only when it parses every column; this stands
    in for it when only some are parsed (10M rows: ~3 s; a numpy quote-parity scan took
    13 s). It only ever clears a file: any row it objects to (a short row too, which
    pandas accepts, or anything else it cannot read) sends the caller back to a full
    parse, so the error, or its absence, is exactly pandas' own.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"field{i}" for i in range(fields)]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=names[:1], column_types={names[0]: pa.string()}
            ),
        )
        for _ in reader:
            pass
    except (pa.ArrowException, OSError, ValueError):
        return False
    return True


def row_labels(path: Path, n_rows: int) -> pd.Index:
    """Each row's first physical line in the file, minus 2 (so `line_of` gives the line).

    In a file where every line is one row (the usual case), that is the row's position,
    found by counting newlines. Blank lines and quoted newlines shift later rows: then the
    file is scanned, vectorised, for the newlines outside quotes. If the scan and pandas
    disagree (an odd quoting style), positions are kept.
    """
    import pandas as pd

    if _count_lines(path) == n_rows + 1:
        return pd.RangeIndex(n_rows)
    starts = _record_start_lines(path)
    if len(starts) != n_rows + 1:
        return pd.RangeIndex(n_rows)
    labels: pd.Index = pd.Index(starts[1:] - 2)
    return labels


_CHUNK = 1 << 22


def _count_lines(path: Path) -> int:
    """Lines in the file (a last line without a newline counts)."""
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _record_start_lines(path: Path) -> np.ndarray:
    """First physical line (1-based) of each non-blank record, header included.

    A record ends at a newline outside double quotes (quote parity: CSV doubles a quote
    inside a quoted field); a record of only spaces, tabs or CRs is blank, as for pandas.
    The file is memory-mapped and scanned in chunks: memory is one integer per line.
    """
    import numpy as np

    if path.stat().st_size == 0:
        return np.zeros(0, dtype=np.int64)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    ends, indices = [], []  # each record's terminating newline: byte offset, newline count
    quotes = newlines = 0
    for start in range(0, data.size, _CHUNK):
        block = data[start : start + _CHUNK]
        newline = np.flatnonzero(block == ord("\n"))
        quote = np.flatnonzero(block == ord('"'))
        outside = (np.searchsorted(quote, newline) + quotes) % 2 == 0
        ends.append(newline[outside] + start)
        indices.append(np.flatnonzero(outside) + newlines)
        quotes, newlines = quotes + quote.size, newlines + newline.size
    if data[-1] != ord("\n"):  # a last record without a newline
        ends.append(np.asarray([data.size]))
        indices.append(np.asarray([newlines]))
    end = np.concatenate(ends)
    index = np.concatenate(indices)
    begin = np.concatenate(([0], end[:-1] + 1))
    first_lines = np.concatenate(([1], index[:-1] + 2))
    lines: np.ndarray = first_lines[_has_content(data, begin, end)]
    return lines


def _has_content(data: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whether each byte range [begin, end) holds anything but spaces, tabs and CRs.

    Most records start or end with a visible byte; only the rest are counted, with a
    chunked running count of visible bytes (no loop over rows).
    """
    import numpy as np

    blank = np.frombuffer(b" \t\r\n", dtype=np.uint8)
    filled = end > begin
    last = np.minimum(np.maximum(end - 1, 0), data.size - 1)
    first = np.minimum(begin, data.size - 1)
    unsure = filled & np.isin(data[first], blank) & np.isin(data[last], blank)
    if not unsure.any():
        return filled
    queries = np.concatenate((begin[unsure], end[unsure]))
    visible_before = np.zeros(queries.size, dtype=np.int64)
    order = np.argsort(queries, kind="stable")
    sorted_queries = queries[order]
    total = 0
    for start in range(0, data.size + 1, _CHUNK):
        block = data[start : start + _CHUNK]
        running = np.concatenate(([0], np.cumsum(~np.isin(block, blank)))) + total
        lo, hi = np.searchsorted(sorted_queries, [start, start + block.size], side="left")
        if start + _CHUNK > data.size:  # the last chunk also answers for offset == size
            hi = sorted_queries.size
        visible_before[order[lo:hi]] = running[sorted_queries[lo:hi] - start]
        total = int(running[-1])
    half = unsure.sum()
    filled[unsure] = visible_before[half:] > visible_before[:half]
    return filled


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__


def binary_target(frame: pd.DataFrame, target: str, positive_label: Any, source: str) -> pd.Series:
    """Map the target to 0/1 (1 = `positive_label`), insisting on exactly two classes."""
    column = frame[target]
    missing = column.isna()
    if missing.any():
        raise DataError(
            f"{source}: column {target!r}, line {line_of(column.index[int(missing.argmax())])}: "
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
            first = int(odd.to_numpy().argmax())
            where = (
                f"; first row with a third class: line {line_of(column.index[first])} "
                f"({as_written(values.iloc[first])})"
            )
        raise DataError(
            f"{source}: column {target!r}: expected two classes, found {detail} ({found}){where}"
        )
    if positive_label not in classes:
        raise DataError(
            f"{source}: column {target!r}: data.positive_label {positive_label!r} is not one of "
            f"its values ({', '.join(repr(c) for c in classes)})"
        )
    labels: pd.Series = (values == positive_label).astype("int8").rename(target)
    return labels


def require_columns(
    frame: pd.DataFrame, columns: Iterable[str], why: str, prefix: str = ""
) -> None:
    """Fail on the first absent column, saying who needs it (`why`, e.g. "listed in params")."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(f"{prefix}missing column {missing[0]!r} ({why})")


def check_model_input(table: pd.DataFrame, params: Params, path: Path | str) -> None:
    """A scaled table as the stages wrote it: every feature column, and the target as
    split's 0/1. Checked where train and evaluate read it, so a file replaced by hand or
    by another tool is named in one line before anything is fitted or written, not met
    as a KeyError or a metric's ValueError."""
    target = params.data.target
    require_columns(table, [*params.features.columns, target], "written by scale", f"{path}: ")
    odd = ~table[target].isin([0, 1])
    if odd.any():
        value = as_written(table[target][odd].iloc[0])
        raise DataError(
            f"{path}: column {target!r} holds {value} where split writes 0 or 1 (damaged "
            "or not made by this pipeline); run `dvc checkout --force` or `dvc repro`"
        )


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
    out = frame.copy(deep=False)  # whole columns are replaced, never written into
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

    text: pd.Series = values.astype("str").mask(values.isna()).astype("str")
    if pd.api.types.is_float_dtype(values):
        numbers = values.to_numpy(dtype="float64")
        whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 2**53)
        if whole.any():
            text[whole] = numbers[whole].astype("int64").astype(str)
    return text


def _as_numbers(values: pd.Series, column: str, prefix: str) -> pd.Series:
    """float64 values, or an error naming the first cell that is not a finite number."""
    numbers, bad = parse_numbers(values)
    if bad.any():
        label, value = first_flagged(values, bad)
        raise DataError(f"{prefix}column {column!r}, line {line_of(label)}: {not_a_number(value)}")
    return numbers


def parse_numbers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The values as float64 (NaN where not a number) and where they are not finite numbers."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
    else:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = (numbers.isna() & values.notna()).to_numpy() | np.isinf(numbers.to_numpy())
    return numbers.where(~bad), bad


_MARKER_WORDS = {"na", "n/a", "nan", "null", "none", "nil", "missing", "unknown", "-"}


def not_a_number(value: Any, written: str | None = None) -> str:
    """What is wrong with a cell of a numeric column, with a hint when it looks like a
    missing-value marker; `written` is the cell's text when the parser made it infinite."""
    import numpy as np

    infinite = isinstance(value, float | np.floating) and np.isinf(value)
    got = as_written(written if written is not None else value)
    message = f"expected {'a finite number' if infinite else 'a number'}, got {got}"
    text = str(value).strip()
    if isinstance(value, str) and (
        not any(ch.isalnum() for ch in text) or text.lower() in _MARKER_WORDS
    ):
        message += f" (if {value!r} marks a missing value, list it in data.na_values)"
    return message


def check_raw_rows(
    frame: pd.DataFrame, params: Params, path: Path | str, *, labelled: bool
) -> None:
    """The raw file's contract, over all its rows at once, before anything is written.

    Columns read as numbers hold finite numbers; with the linear model, no feature without
    an impute strategy has a missing value; values lie in checks.ranges; and (for the
    labelled file) no feature is missing entirely. Of all problems, the one on the first
    line of the file is reported. Derived columns are checked where they are made.
    """
    prefix = f"{path}: "
    issues: list[tuple[int, str]] = []
    numbers: dict[str, pd.Series] = {}
    for column in params.raw_number_columns():
        if column in frame.columns:
            numbers[column] = _check_numbers(frame, column, path, params, issues)
    derived = set(params.featurize.derive)
    features = [c for c in params.features.columns if c not in derived and c in frame.columns]
    for column in features:
        missing = frame[column].isna()
        if labelled and missing.all():
            issues.append((-1, f"{prefix}column {column!r}: every value is missing"))
        elif needs_values(params, column) and missing.any():
            label, _ = first_flagged(frame[column], missing)
            issues.append((label, f"{prefix}{no_strategy(column, label)}"))
    for column, bound in params.checks.ranges.items():
        if column in numbers:
            issue = _range_issue(frame[column], numbers[column], column, bound)
            if issue is not None:
                label, problem = issue
                written = _cell_text(path, params.data.delimiter, frame, column, label)
                issues.append(
                    (
                        label,
                        f"{prefix}column {column!r}, line {line_of(label)}: {written} {problem}",
                    )
                )
    if issues:
        raise DataError(min(issues, key=lambda issue: issue[0])[1])


def check_derived_rows(tables: Mapping[str, pd.DataFrame], params: Params) -> None:
    """Derived features must be full too (linear model, no strategy): checked where they
    are made, over every split, reporting the first line of the file."""
    issues = []
    for column in params.featurize.derive:
        if column not in params.features.columns or not needs_values(params, column):
            continue
        for table in tables.values():
            missing = table[column].isna()
            if missing.any():
                label, _ = first_flagged(table[column], missing)
                issues.append(
                    (label, f"{no_strategy(column, label)}; derived by featurize.derive.{column}")
                )
    if issues:
        raise DataError(min(issues, key=lambda issue: issue[0])[1])


def needs_values(params: Params, column: str) -> bool:
    """The linear model takes no missing value: a feature without a strategy must be full."""
    return params.linear_model_used and column not in params.impute.columns


def no_strategy(column: str, label: Any) -> str:
    return (
        f"column {column!r}, line {line_of(label)}: missing value and no impute strategy for "
        f"it (add impute.columns.{column})"
    )


def _check_numbers(
    frame: pd.DataFrame,
    column: str,
    path: Path | str,
    params: Params,
    issues: list[tuple[Any, str]],
) -> pd.Series:
    values = frame[column]
    numbers, bad = parse_numbers(values)
    if bad.any():
        label, value = first_flagged(values, bad)
        written = None
        if not isinstance(value, str):  # the parser read it as a number: inf, or 1e309
            written = _cell_text(path, params.data.delimiter, frame, column, label)
        message = not_a_number(value, written)
        issues.append((label, f"{path}: column {column!r}, line {line_of(label)}: {message}"))
    return numbers


def _range_issue(
    values: pd.Series, numbers: pd.Series, column: str, bound: Any
) -> tuple[Any, str] | None:
    """The first row outside [min, max] (missing values are not checked), and why."""
    import pandas as pd

    outside = pd.Series(False, index=numbers.index)
    if bound.min is not None:
        outside |= numbers < bound.min
    if bound.max is not None:
        outside |= numbers > bound.max
    if not outside.any():
        return None
    label, _ = first_flagged(values, outside)
    below = bound.min is not None and numbers.loc[label] < bound.min
    side, limit = ("below the minimum", bound.min) if below else ("above the maximum", bound.max)
    return label, f"is {side} {limit:g} (checks.ranges.{column})"


def _cell_text(
    path: Path | str, delimiter: str, frame: pd.DataFrame, column: str, label: Any
) -> str:
    """One cell as written in the file (pandas reads 1e309 as inf): reread on error only."""
    import pandas as pd

    # The column's place in the file (the frame may hold only some of the file's columns).
    header = _read_header(Path(path), delimiter, strip=False)
    exact = [name for name in header if name == column]
    position = header.index(exact[0]) if exact else [n.strip() for n in header].index(column)
    text = pd.read_csv(
        path,
        sep=delimiter,
        usecols=[position],
        dtype="str",
        keep_default_na=False,
        index_col=False,
        encoding="utf-8-sig",
    ).iloc[:, 0]
    return str(text.iloc[frame.index.get_loc(label)])
