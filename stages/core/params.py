"""The schema of params.yaml, and `load_params`: the one way stages get their settings.

Every stage calls `load_params` before doing any work, so a wrong type, an unknown key (for
instance one that `dvc exp run -S` added with a typo) or an out-of-range value stops the
run with one line naming the key, and nothing is written. Reading the file lives in
`params_file`, wording validation errors in `params_errors`, and the command line that
validates a file on its own in `stages/params.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stages.core.errors import ParamsError
from stages.core.featurize_ops import Derivation
from stages.core.params_errors import KeyedError, describe
from stages.core.params_file import DEFAULT_PARAMS_PATH, read_params_file

__all__ = ["DEFAULT_PARAMS_PATH", "Params", "load_params", "parse_params", "read_params_file"]


class _Section(BaseModel):
    """Strict, closed schema: unknown keys and silent type coercions are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


ColumnName = Annotated[str, Field(min_length=1)]


class DataParams(_Section):
    train_path: str = Field(min_length=1)
    predict_path: str = Field(min_length=1)
    predictions_path: str = Field(min_length=1)
    target: ColumnName
    positive_label: int | str
    # "" names a first column with an empty header (a CSV written with pandas' index).
    id_column: str | None = None
    na_values: list[str] = Field(default_factory=list)
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    strip_whitespace: bool = False

    @field_validator("positive_label")
    @classmethod
    def _label_is_not_bool(cls, value: int | str) -> int | str:
        if isinstance(value, bool):
            raise ValueError("must be the target's positive value (a number or a string)")
        return value


class FeaturesParams(_Section):
    numeric: list[ColumnName] = Field(default_factory=list)
    categorical: list[ColumnName] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint_and_not_empty(self) -> FeaturesParams:
        if not self.numeric and not self.categorical:
            raise ValueError("numeric and categorical are both empty: list at least one feature")
        for name, columns in (("numeric", self.numeric), ("categorical", self.categorical)):
            duplicates = sorted({c for c in columns if columns.count(c) > 1})
            if duplicates:
                raise KeyedError(f"features.{name}", f"lists {duplicates} more than once")
        both = sorted(set(self.numeric) & set(self.categorical))
        if both:
            raise KeyedError("features.categorical", f"{both} also listed in features.numeric")
        return self

    @property
    def columns(self) -> list[str]:
        """All model inputs, numeric first: the notebook's column order."""
        return [*self.numeric, *self.categorical]


class SplitParams(_Section):
    test_size: float = Field(gt=0.0, lt=1.0)
    random_state: int = Field(ge=0, lt=2**32)
    stratify: bool = False
    # shuffle: train_test_split's exact rows (the notebook's); hash: each row by the MD5 of
    # its id (stages/lib/hash_split.py), computed alike by every engine without a shuffle.
    method: Literal["shuffle", "hash"] = "shuffle"

    @model_validator(mode="after")
    def _hash_cannot_stratify(self) -> SplitParams:
        if self.method == "hash" and self.stratify:
            raise KeyedError(
                "split.stratify", "a hash split decides each row alone and cannot stratify"
            )
        return self


class EngineParams(_Section):
    """Where the stages run: in process (sklearn) or on Spark through Spark Connect.

    Which Spark (SPARK_REMOTE) is not a param: changing clusters must rerun nothing."""

    name: Literal["sklearn", "spark"] = "sklearn"
    partitions: int = Field(default=4, ge=1, le=100_000)  # Parquet files per Spark table
    # Partitions MLlib fits on. 1: the same coefficients to the last bit on any cluster;
    # more: a parallel fit whose last bits follow the order tasks finish (README).
    fit_partitions: int = Field(default=1, ge=1, le=100_000)


ImputeStrategy = Literal["mean", "median", "most_frequent", "constant"]


class ImputeColumn(_Section):
    strategy: ImputeStrategy
    fill_value: str | int | float | None = None

    @model_validator(mode="after")
    def _fill_value_iff_constant(self) -> ImputeColumn:
        if self.strategy == "constant" and self.fill_value is None:
            raise ValueError("strategy 'constant' needs a fill_value")
        if self.strategy != "constant" and self.fill_value is not None:
            raise ValueError(
                f"fill_value is only used with strategy 'constant', not {self.strategy!r}"
            )
        return self


class ImputeParams(_Section):
    columns: dict[ColumnName, ImputeColumn] = Field(default_factory=dict)


EncodeMethod = Literal["onehot", "target", "ordinal", "frequency"]


class EncodeColumn(_Section):
    """How one categorical feature becomes model input (encode.columns.<name>).

    onehot: one 0/1 column per category (the default, the notebook's); target:
    scikit-learn's TargetEncoder (the smoothed positive rate of the category, cross-fitted
    on the training rows so no row sees its own label; `smooth` and `cv` are its own);
    ordinal: the category's rank in sorted order (for trees); frequency: the share of
    training rows holding the category. All three make one number column per feature.
    """

    method: EncodeMethod = "onehot"
    smooth: Literal["auto"] | float | None = None
    cv: int | None = Field(default=None, ge=2, le=20)

    @field_validator("smooth")
    @classmethod
    def _smooth_not_negative(cls, value: str | float | None) -> str | float | None:
        if isinstance(value, float) and value < 0:
            raise ValueError("must be 'auto' or a number >= 0")
        return value

    @model_validator(mode="after")
    def _target_settings_only_for_target(self) -> EncodeColumn:
        if self.method != "target":
            given = [k for k in ("smooth", "cv") if getattr(self, k) is not None]
            if given:
                raise ValueError(
                    f"{', '.join(given)} only apply to method 'target', not {self.method!r}"
                )
        return self


class EncodeParams(_Section):
    handle_unknown: Literal["ignore", "error"] = "ignore"
    columns: dict[ColumnName, EncodeColumn] = Field(default_factory=dict)
    random_state: int = Field(default=0, ge=0, lt=2**32)  # target encoding's fold shuffle

    def method(self, column: str) -> str:
        """The encoding of a categorical feature (onehot unless encode.columns says)."""
        spec = self.columns.get(column)
        return spec.method if spec else "onehot"


class ScaleParams(_Section):
    method: Literal["minmax", "standard", "none"] = "minmax"


class FeaturizeParams(_Section):
    """Derived columns, in order: name → derivation. Empty: the data passes through."""

    derive: dict[ColumnName, Derivation] = Field(default_factory=dict)

    def raw_inputs(self) -> dict[str, str]:
        """Columns the derivations read from the data (not derived), with the key reading it."""
        inputs: dict[str, str] = {}
        for name, spec in self.derive.items():
            for column in spec.inputs:
                if column not in self.derive:
                    inputs.setdefault(column, f"featurize.derive.{name}")
        return inputs


Solver = Literal["liblinear", "lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"]


class HistGradientBoostingParams(_Section):
    """HistGradientBoostingClassifier's hyperparameters (used when train.model says so)."""

    learning_rate: float = Field(default=0.1, gt=0.0, le=1.0)
    max_iter: int = Field(default=100, gt=0)
    max_leaf_nodes: int | None = Field(default=31, ge=2)
    max_depth: int | None = Field(default=None, ge=1)
    min_samples_leaf: int = Field(default=20, ge=1)
    l2_regularization: float = Field(default=0.0, ge=0.0)
    max_features: float = Field(default=1.0, gt=0.0, le=1.0)
    max_bins: int = Field(default=255, ge=2, le=255)
    class_weight: Literal["balanced"] | dict[int, float] | None = None
    random_state: int = Field(default=0, ge=0, lt=2**32)


GridValue = float | int | str | bool | dict[int, float] | None
Grid = dict[str, list[GridValue]]
FAMILIES: tuple[str, ...] = ("logistic_regression", "hist_gradient_boosting")


class EnsembleParams(_Section):
    """train.model: ensemble. Each member is `{model: <family>, <that family's keys>}`: its
    keys override train's own keys of the family (C, solver, ... for logistic_regression;
    train.hist_gradient_boosting's keys, unprefixed, for hist_gradient_boosting).

    soft_voting averages the members' probabilities (VotingClassifier); stacking fits a
    logistic regression on their out-of-fold probabilities (StackingClassifier, `cv` folds).
    """

    method: Literal["soft_voting", "stacking"] = "soft_voting"
    cv: int = Field(default=5, ge=2, le=20)
    members: list[dict[str, GridValue]] = Field(default_factory=list)


SearchScoring = Literal["accuracy", "roc_auc", "neg_log_loss", "f1", "balanced_accuracy"]


class SearchParams(_Section):
    """Cross-validated grid search on the train split (off by default).

    `grid` maps a hyperparameter of the chosen `train.model` (`C`, `penalty`,
    `class_weight`, ... for logistic_regression; `hist_gradient_boosting.learning_rate`, ...
    for hist_gradient_boosting; `ensemble.method` for ensemble) to the values to try; every
    combination is validated like params.yaml itself before any fitting. A list of such
    grids searches each in turn (GridSearchCV's list of grids), so one grid may set
    `model: [hist_gradient_boosting]` with that family's keys and the next another family.
    `repeats` > 1 repeats the stratified k-fold with new shuffles (RepeatedStratifiedKFold);
    `nested` adds an outer k-fold around the whole search, to estimate the selection itself.
    """

    enabled: bool = False
    folds: int = Field(default=5, ge=2, le=50)
    repeats: int = Field(default=1, ge=1, le=50)
    nested: bool = False
    scoring: SearchScoring = "accuracy"
    random_state: int = Field(default=0, ge=0, lt=2**32)
    grid: Grid | list[Grid] = Field(default_factory=dict)

    @field_validator("grid")
    @classmethod
    def _grid_is_usable(cls, grid: Grid | list[Grid]) -> Grid | list[Grid]:
        grids = grid if isinstance(grid, list) else [grid]
        if isinstance(grid, list) and not grid:
            raise ValueError("give at least one grid")
        for index, one in enumerate(grids):
            where = f"{index}." if isinstance(grid, list) else ""
            for key, values in one.items():
                if not values:
                    raise ValueError(f"{where}{key}: give at least one value to try")
                if key.split(".")[0] == "search" or key.startswith("ensemble.members"):
                    raise ValueError(
                        f"{where}{key}: cannot be searched (only train.model and the model's "
                        "hyperparameters)"
                    )
        return grid

    @property
    def grids(self) -> list[Grid]:
        """The grid as a list of grids (one grid is a list of one)."""
        return self.grid if isinstance(self.grid, list) else [self.grid]


class TrainParams(_Section):
    C: float = Field(gt=0.0)
    fit_intercept: bool = True
    solver: Solver = "lbfgs"
    max_iter: int = Field(default=100, gt=0)
    penalty: Literal["l1", "l2", "elasticnet"] | None = "l2"
    l1_ratio: float | None = Field(default=None, gt=0.0, lt=1.0)
    class_weight: Literal["balanced"] | dict[int, float] | None = None
    tol: float = Field(default=1e-4, gt=0.0)
    random_state: int = Field(default=0, ge=0, lt=2**32)
    model: Literal["logistic_regression", "hist_gradient_boosting", "ensemble"] = (
        "logistic_regression"
    )
    hist_gradient_boosting: HistGradientBoostingParams = HistGradientBoostingParams()
    ensemble: EnsembleParams = EnsembleParams()
    search: SearchParams = SearchParams()

    @model_validator(mode="after")
    def _l1_ratio_iff_elasticnet(self) -> TrainParams:
        """Which solver takes which penalty is scikit-learn's to say: the train stage asks it
        (model.check_model_settings) rather than keeping a copy of its rules here."""
        if (self.penalty == "elasticnet") != (self.l1_ratio is not None):
            raise ValueError("l1_ratio is required with penalty 'elasticnet' and only then")
        return self

    @model_validator(mode="after")
    def _ensemble_members_are_valid(self) -> TrainParams:
        if self.model == "ensemble" and len(self.ensemble.members) < 2:
            raise KeyedError("train.ensemble.members", "an ensemble needs at least two members")
        self.members()
        return self

    def members(self) -> list[TrainParams]:
        """Each ensemble member's own train settings: train's, with the member's keys over
        those of its family. Invalid members raise a KeyedError naming the member's key."""
        out = []
        for index, member in enumerate(self.ensemble.members):
            key = f"train.ensemble.members.{index}"
            family = member.get("model")
            if family not in FAMILIES:
                raise KeyedError(
                    f"{key}.model",
                    f"give one of {', '.join(FAMILIES)} (got {family!r})",
                )
            own = {k: v for k, v in member.items() if k != "model"}
            base = self.model_dump(exclude={"ensemble", "search"})
            base["model"] = family
            section = base if family == "logistic_regression" else base[str(family)]
            allowed = [k for k in section if k not in ("model", "hist_gradient_boosting")]
            for name in own:
                if name not in allowed:
                    raise KeyedError(
                        f"{key}.{name}",
                        f"not a key of {family} (its keys: {', '.join(allowed)})",
                    )
            section.update(own)
            try:
                out.append(TrainParams.model_validate(base))
            except ValidationError as error:
                first = error.errors()[0]
                path = [str(p) for p in first["loc"] if str(p) != str(family)]
                message = first["msg"].removeprefix("Value error, ")
                raise KeyedError(".".join([key, *path]), message) from None
        return out

    def families(self) -> list[str]:
        """The model families a fit of these settings uses (an ensemble's members')."""
        if self.model == "ensemble":
            return [member.model for member in self.members()]
        return [self.model]


# The keys a grid may search for each train.model: that family's own hyperparameters. A key
# of the other family would change nothing the fit reads, so every candidate would be the
# same model and the "best" value a coin toss reported as a finding.
GRID_KEYS: dict[str, tuple[str, ...]] = {
    "logistic_regression": tuple(
        name
        for name in TrainParams.model_fields
        if name not in ("model", "hist_gradient_boosting", "ensemble", "search")
    ),
    "hist_gradient_boosting": tuple(
        f"hist_gradient_boosting.{name}" for name in HistGradientBoostingParams.model_fields
    ),
    "ensemble": ("ensemble.method", "ensemble.cv"),
}


class PredictParams(_Section):
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    probability_column: ColumnName | None = "probability"
    labels: Literal["binary", "original"] = "binary"


class PlotsParams(_Section):
    calibration_bins: int = Field(default=10, ge=2, le=100)
    max_curve_points: int = Field(default=2000, ge=10)


# What evaluate writes per split (metrics/metrics.json); the gate may only name these. Kept
# here, not imported from metrics.py, so every stage need not depend on the metrics code.
METRIC_NAMES = (
    "n",
    "tp",
    "fp",
    "tn",
    "fn",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "baseline_accuracy",
)
METRIC_SPLITS = ("train", "test")
# The one metric with a per-split baseline in metrics.json (`baseline_accuracy`), so the only
# one a gate may bound relative to it: F1, ROC AUC or log loss of a majority-class guess are
# degenerate (0, 0.5, undefined), not a baseline a margin could be added to.
RELATIVE_METRIC = "accuracy"
BASELINE_METRIC = "baseline_accuracy"


class Range(_Section):
    """An acceptable range of values: `min` and/or `max`, both inclusive."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some_and_ordered(self) -> Range:
        if self.min is None and self.max is None and not self._relative():
            raise ValueError(f"give {self._bound_keys()}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def _relative(self) -> bool:
        return False

    def _bound_keys(self) -> str:
        return "min and/or max"


class Bound(Range):
    """A metric's acceptable range: `min` and/or `max`, both inclusive, and/or
    `min_over_baseline`: at least this much above the split's `baseline_accuracy` (the
    accuracy of always predicting the majority class), a bound that means the same on any
    dataset. Only accuracy has such a baseline; Params refuses it on other metrics.
    """

    min_over_baseline: float | None = Field(default=None, ge=0.0, lt=1.0)

    def _relative(self) -> bool:
        return self.min_over_baseline is not None

    def _bound_keys(self) -> str:
        return "min, max and/or min_over_baseline"


class MinClassRows(_Section):
    """Fewest rows of each class a split may hold: a model fitted or judged on fewer is noise."""

    train: int = Field(default=10, ge=1)
    test: int = Field(default=1, ge=1)


class ChecksParams(_Section):
    """The raw data's contract beyond types: class counts per split and per-column ranges.

    `ranges` maps a raw column to its valid `min` and/or `max` (inclusive): split checks
    every row of the labelled file (which must have the column), predict every row it
    scores that has it. Values must be numbers; missing ones are left to impute.
    """

    min_class_rows: MinClassRows = MinClassRows()
    ranges: dict[ColumnName, Range] = Field(default_factory=dict)


class Params(_Section):
    data: DataParams
    features: FeaturesParams
    split: SplitParams
    impute: ImputeParams = ImputeParams()
    encode: EncodeParams = EncodeParams()
    scale: ScaleParams = ScaleParams()
    featurize: FeaturizeParams = FeaturizeParams()
    train: TrainParams
    predict: PredictParams = PredictParams()
    plots: PlotsParams = PlotsParams()
    checks: ChecksParams = ChecksParams()
    gate: dict[str, dict[str, Bound]] = Field(default_factory=dict)
    engine: EngineParams = EngineParams()

    @model_validator(mode="after")
    def _engine_can_honour(self) -> Params:
        """What MLlib cannot do is refused before any work (README, "Run on Spark")."""
        if self.engine.name != "spark":
            return self
        from stages.core.engines import spark_refusal

        refusal = spark_refusal(self)
        if refusal is not None:
            raise KeyedError(*refusal)
        return self

    @model_validator(mode="after")
    def _gate_names_real_metrics(self) -> Params:
        """A typo in the gate would silently never be checked: make it an error instead."""
        for split, bounds in self.gate.items():
            if split not in METRIC_SPLITS:
                raise KeyedError(
                    f"gate.{split}", f"unknown split (known: {', '.join(METRIC_SPLITS)})"
                )
            for name, bound in bounds.items():
                if name not in METRIC_NAMES:
                    raise KeyedError(
                        f"gate.{split}.{name}", f"unknown metric (known: {', '.join(METRIC_NAMES)})"
                    )
                if bound.min_over_baseline is not None and name != RELATIVE_METRIC:
                    raise KeyedError(
                        f"gate.{split}.{name}.min_over_baseline",
                        f"only {RELATIVE_METRIC} has a baseline ({RELATIVE_METRIC} of always "
                        f"predicting the majority class); give {name} a min and/or max",
                    )
        return self

    @model_validator(mode="after")
    def _columns_are_consistent(self) -> Params:
        reserved = {self.data.target} | ({self.data.id_column} if self.data.id_column else set())
        for name, columns in (
            ("numeric", self.features.numeric),
            ("categorical", self.features.categorical),
        ):
            clash = sorted(reserved & set(columns))
            if clash:
                raise KeyedError(
                    f"features.{name}", f"{clash} is the target or id column, not a feature"
                )
        features = set(self.features.columns)
        for column, spec in self.impute.columns.items():
            key = f"impute.columns.{column}"
            if column not in features:
                raise KeyedError(
                    key, "not a feature (list it in features.numeric or features.categorical)"
                )
            if spec.strategy in ("mean", "median") and column not in self.features.numeric:
                raise KeyedError(key, f"strategy {spec.strategy!r} needs a numeric feature")
            if column in self.features.numeric and isinstance(spec.fill_value, str):
                raise KeyedError(key, "a numeric feature needs a numeric fill_value")
        self._check_derivations(reserved)
        self._check_search_grid()
        self._check_encodings()
        return self

    def _check_derivations(self, reserved: set[str]) -> None:
        """Inputs must exist before use, and each op must get the kind of column it needs."""
        kinds: dict[str, str] = {}
        derive = self.featurize.derive
        for name, spec in derive.items():
            key = f"featurize.derive.{name}"
            if name in reserved:
                raise KeyedError(key, f"{name!r} is the target or id column")
            for column in spec.inputs:
                if column == name or (column in derive and column not in kinds):
                    raise KeyedError(
                        key, f"uses {column!r}, which is derived later; list {column!r} first"
                    )
                needs = spec.needs()
                if needs and kinds.get(column, needs) != needs:
                    raise KeyedError(
                        key,
                        f"op {spec.op_name!r} needs a {needs} column; {column!r} is derived as "
                        f"{kinds[column]}",
                    )
            kinds[name] = spec.makes
        for column in self.features.numeric:
            if kinds.get(column) == "text":
                raise KeyedError(
                    "features.numeric", f"{column!r} is derived as text: list it as categorical"
                )

    def _check_search_grid(self) -> None:
        """Each grid key must be a hyperparameter of every model family its grid tries
        (the grid's own `model` values, else train.model)."""
        search = self.train.search
        for index, grid in enumerate(search.grids):
            prefix = (
                f"train.search.grid.{index}."
                if isinstance(search.grid, list)
                else ("train.search.grid.")
            )
            families = grid.get("model", [self.train.model])
            for family in families:
                if family not in GRID_KEYS:
                    raise KeyedError(
                        f"{prefix}model",
                        f"give model families among {', '.join(GRID_KEYS)} (got {family!r})",
                    )
            chooser = "model" if "model" in grid else "train.model"
            for key in grid:
                for family in families:
                    allowed = GRID_KEYS[str(family)]
                    if key != "model" and key not in allowed:
                        raise KeyedError(
                            f"{prefix}{key}",
                            f"not a hyperparameter of {chooser} {family!r} "
                            f"(its grid keys: {', '.join(allowed)})",
                        )

    def _check_encodings(self) -> None:
        for column in self.encode.columns:
            if column not in self.features.categorical:
                raise KeyedError(
                    f"encode.columns.{column}",
                    "not a categorical feature (list it in features.categorical)",
                )

    @property
    def onehot_columns(self) -> list[str]:
        """Categorical features one-hot encoded: categoricals until the model's door."""
        return [c for c in self.features.categorical if self.encode.method(c) == "onehot"]

    @property
    def model_numeric_columns(self) -> list[str]:
        """What the model reads as numbers: the numeric features, then the categorical ones
        encode turned into one number each (target, ordinal, frequency)."""
        encoded = [c for c in self.features.categorical if self.encode.method(c) != "onehot"]
        return [*self.features.numeric, *encoded]

    @property
    def linear_model_used(self) -> bool:
        """A logistic regression is fitted (alone or in an ensemble): it takes no missing value."""
        return "logistic_regression" in self.train.families()

    def raw_number_columns(self) -> dict[str, str]:
        """Raw columns read as numbers (numeric features, number inputs of derivations,
        columns given a range in checks.ranges), each with the key that makes it one."""
        derived = set(self.featurize.derive)
        numbers = {c: "features.numeric" for c in self.features.numeric if c not in derived}
        for name, spec in self.featurize.derive.items():
            needs = spec.needs()
            for column in spec.inputs:
                if needs == "number" and column not in derived:
                    numbers.setdefault(column, f"featurize.derive.{name}")
        for column in self.checks.ranges:
            numbers.setdefault(column, f"checks.ranges.{column}")
        return numbers

    def raw_columns(self, *, with_target: bool = True, with_id: bool = True) -> dict[str, str]:
        """Every column the params need from a raw file, with the key that names it.

        Derived columns (featurize.derive) are made later, so they are not required; the
        raw columns the derivations read are.
        """
        data = self.data
        required = {data.target: "data.target"} if with_target else {}
        if data.id_column is not None and with_id:
            required[data.id_column] = "data.id_column"
        derived = set(self.featurize.derive)
        for key, columns in (
            ("numeric", self.features.numeric),
            ("categorical", self.features.categorical),
        ):
            for column in columns:
                if column not in derived:
                    required.setdefault(column, f"features.{key}")
        for column, key in self.featurize.raw_inputs().items():
            required.setdefault(column, key)
        return required


def parse_params(raw: dict[str, Any], source: str = str(DEFAULT_PARAMS_PATH)) -> Params:
    """Validate a params mapping; every problem is reported with its dotted key."""
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(describe(e, Params) for e in error.errors())
        raise ParamsError(f"{source}: {problems}") from None


def load_params(path: Path | str = DEFAULT_PARAMS_PATH) -> Params:
    """Read and validate params.yaml: the only way stages get their settings."""
    return parse_params(read_params_file(path), str(path))
