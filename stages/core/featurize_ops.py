"""The derivation ops of `featurize.derive`: one class per op, owning everything about it.

Each class is both the op's params schema (its keys, validated by pydantic when params.yaml
is read) and its behaviour: the columns it reads (`inputs`), the kind of column it needs
and makes (`needs`, `makes`), what it learns from the rows it is fitted on (`fit`) and the
column it derives (`apply`). Adding an op means adding one class here and naming it in
`Derivation`; nothing else in the project lists ops.

pandas is imported inside the methods only: params.py imports this module, and the stages
that never derive anything (the gate, for one) should not pay for pandas at start-up.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from stages.core.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

Kind = Literal["text", "number"]
ColumnName = Annotated[str, Field(min_length=1)]


class DerivationOp(BaseModel):
    """What every op shares: strict keys, one input column, nothing learned."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    makes: ClassVar[Kind]
    reads: ClassVar[Kind | None] = None  # the kind of input column; None: any kind

    @model_validator(mode="before")
    @classmethod
    def _keys_fit_the_op(cls, data: Any) -> Any:
        """Name a missing or foreign key in the op's own terms (`op 'x' needs pattern`).

        A key given as null counts as not given, so optional keys may be written out.
        """
        if not isinstance(data, dict):
            return data
        given = {key: value for key, value in data.items() if value is not None}
        fields = set(cls.model_fields) - {"op"}
        required = {name for name in fields if cls.model_fields[name].is_required()}
        op = given.get("op")
        missing = sorted(required - set(given))
        if missing:
            raise ValueError(f"op {op!r} needs {', '.join(missing)}")
        extra = sorted(set(given) - fields - {"op"})
        if extra:
            raise ValueError(
                f"op {op!r} does not take {', '.join(extra)} (it takes {', '.join(sorted(fields))})"
            )
        return given

    @property
    def op_name(self) -> str:
        return str(getattr(self, "op"))  # noqa: B009  (every subclass declares `op`)

    @property
    def inputs(self) -> list[str]:
        """The columns this derivation reads, in the order it reads them."""
        return [str(getattr(self, "column"))]  # noqa: B009  (overridden where there is none)

    def needs(self) -> Kind | None:
        """The kind of column the op reads (None: any)."""
        return self.reads

    def fit(self, frame: pd.DataFrame) -> Any:
        """What the op learns from the rows it is fitted on (None: nothing)."""
        return None

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        raise NotImplementedError


class _ColumnOp(DerivationOp):
    """An op that reads one column."""

    column: ColumnName


class _TextOp(_ColumnOp):
    """Text in, text (a category) out."""

    makes: ClassVar[Kind] = "text"
    reads: ClassVar[Kind | None] = "text"


class _NumberOp(_ColumnOp):
    """A number in, a number (or a 0/1 flag) out."""

    makes: ClassVar[Kind] = "number"
    reads: ClassVar[Kind | None] = "number"


class Extract(_TextOp):
    """The pattern's capture group at its first match; missing where it does not match."""

    op: Literal["extract"]
    pattern: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_capture_group(self) -> Extract:
        try:
            groups = re.compile(self.pattern).groups
        except re.error as error:
            raise ValueError(
                f"pattern {self.pattern!r} is not a valid regular expression ({error})"
            ) from None
        if groups != 1:
            raise ValueError(
                f"pattern {self.pattern!r} must have exactly one capture group (it has {groups}): "
                "the group is the extracted value"
            )
        return self

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        return _text(frame, self.column).str.extract(self.pattern, expand=False).astype("str")


class FirstChar(_TextOp):
    """The first character of the text; missing for missing or empty text."""

    op: Literal["first_char"]

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        first = _text(frame, self.column).str[:1]
        return first.where(first.str.len() > 0).astype("str")


class Rare(_TextOp):
    """Categories seen fewer than `min_count` times in the fitted rows become `other`.

    The cut is learned on the rows `fit` sees (the train split, or a fold's training rows),
    so a category frequent only in new rows is still rare; missing stays missing.
    """

    op: Literal["rare"]
    min_count: int = Field(ge=1)
    other: str | None = Field(default=None, min_length=1)

    def fit(self, frame: pd.DataFrame) -> list[str]:
        counts = _text(frame, self.column).value_counts(dropna=True)
        return sorted(counts.index[counts >= self.min_count].tolist())

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        values = _text(frame, self.column)
        frequent = values.isin(learned) | values.isna()
        return values.where(frequent, self.other or "other").astype("str")


class FirstToken(_TextOp):
    """The text before the first `separator` (default: any whitespace), stripped: a surname
    from "Braund, Mr. Owen Harris" with separator ",". Missing or empty text stays missing."""

    op: Literal["first_token"]
    separator: str | None = Field(default=None, min_length=1)

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        values = _text(frame, self.column).str.strip()
        first = values.str.split(self.separator, n=1, regex=False).str[0].str.strip()
        return first.where(first.str.len() > 0).astype("str")


class StripDigits(_TextOp):
    """The text with its digits removed and spaces trimmed: a ticket's prefix ("A/5 21171"
    → "A/"). Text that was only digits becomes `empty` (default "none"); missing stays."""

    op: Literal["strip_digits"]
    empty: str | None = Field(default=None, min_length=1)

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        values = _text(frame, self.column)
        stripped = values.str.replace(r"\d+", "", regex=True).str.strip()
        filled = stripped.where((stripped.str.len() > 0) | values.isna(), self.empty or "none")
        return filled.astype("str")


class GroupSize(DerivationOp):
    """How many fitted rows share this row's key (the text of `column`): the size of a
    family or ticket group. Counted on the rows `fit` sees (the train split, or a fold's
    training rows), never on the rows being scored; a key those rows never had, or a
    missing one, counts 1 (the row alone)."""

    op: Literal["group_size"]
    column: ColumnName
    makes: ClassVar[Kind] = "number"
    reads: ClassVar[Kind | None] = "text"

    def fit(self, frame: pd.DataFrame) -> dict[str, int]:
        counts = _text(frame, self.column).value_counts(dropna=True)
        return {str(key): int(count) for key, count in counts.items()}

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        sizes = _text(frame, self.column).map(learned)
        return sizes.fillna(1).astype("float64")


class Sum(DerivationOp):
    """Sum of the columns plus `add`; missing if any input is missing."""

    op: Literal["sum"]
    columns: list[ColumnName] = Field(min_length=1)
    add: float | None = None
    makes: ClassVar[Kind] = "number"
    reads: ClassVar[Kind | None] = "number"

    @property
    def inputs(self) -> list[str]:
        return list(self.columns)

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        total = _numbers(frame, self.columns[0])
        for column in self.columns[1:]:
            total = total + _numbers(frame, column)
        return (total + float(self.add or 0.0)).astype("float64")


class Ratio(DerivationOp):
    """numerator / denominator; missing where the denominator is 0 or missing."""

    op: Literal["ratio"]
    numerator: ColumnName
    denominator: ColumnName
    makes: ClassVar[Kind] = "number"
    reads: ClassVar[Kind | None] = "number"

    @property
    def inputs(self) -> list[str]:
        return [self.numerator, self.denominator]

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        denominator = _numbers(frame, self.denominator)
        ratio = _numbers(frame, self.numerator) / denominator.where(denominator != 0)
        return ratio.astype("float64")


class Log1p(_NumberOp):
    """log(1 + x); a value at or below -1 is an error naming column, line and value."""

    op: Literal["log1p"]

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        import numpy as np

        from stages.core.contracts import as_written, first_flagged, line_of

        values = _numbers(frame, self.column)
        bad = values <= -1
        if bad.any():
            label, value = first_flagged(values, bad)
            raise DataError(
                f"column {self.column!r}, line {line_of(label)}: log1p needs "
                f"values above -1, got {as_written(value)}"
            )
        return values.apply(np.log1p).astype("float64")


class IsMissing(_ColumnOp):
    """1 where the column is missing, else 0."""

    op: Literal["is_missing"]
    makes: ClassVar[Kind] = "number"

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        return frame[self.column].isna().astype("int8")


class Equals(_ColumnOp):
    """1 where the column equals `value` (compared as text if value is text), else 0."""

    op: Literal["equals"]
    value: int | float | str
    makes: ClassVar[Kind] = "number"

    @field_validator("value", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("value must be a number or a string, not a boolean")
        return value

    def needs(self) -> Kind | None:
        return "text" if isinstance(self.value, str) else "number"

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        if isinstance(self.value, str):
            return _flag(_text(frame, self.column) == self.value)
        return _flag(_numbers(frame, self.column) == self.value)


class Threshold(_NumberOp):
    """1 where the column is strictly above `above` (or below `below`); missing gives 0."""

    op: Literal["threshold"]
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _exactly_one_bound(self) -> Threshold:
        if (self.above is None) == (self.below is None):
            raise ValueError("op 'threshold' needs exactly one of above, below")
        return self

    def apply(self, frame: pd.DataFrame, learned: Any) -> pd.Series:
        values = _numbers(frame, self.column)
        if self.above is not None:
            return _flag(values > self.above)
        return _flag(values < self.below)


Derivation = Annotated[
    Extract
    | FirstChar
    | FirstToken
    | StripDigits
    | Rare
    | GroupSize
    | Sum
    | Ratio
    | Log1p
    | IsMissing
    | Equals
    | Threshold,
    Field(discriminator="op"),
]


def op_names() -> list[str]:
    """Every op's name, read off the union above (so it cannot drift from it)."""
    from typing import get_args

    union = get_args(Derivation)[0]
    return [get_args(cls.model_fields["op"].annotation)[0] for cls in get_args(union)]


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as float64, or a DataError naming column, line and value."""
    from stages.core.contracts import conform_features

    return conform_features(frame[[column]], [column], [], None)[column]


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as strings (missing stays missing), as the categorical features get it."""
    from stages.core.contracts import conform_features

    return conform_features(frame[[column]], [], [column], None)[column]


def _flag(values: pd.Series) -> pd.Series:
    return values.fillna(False).astype("int8")
