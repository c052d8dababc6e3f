"""The Spark engine's building blocks, against a real Spark Connect server (issue 13).

Every test marked `spark` uses the session's local[2] server (tests/spark_fixtures.py) and
is skipped, with one line, when pyspark or Java 17+ is missing. The others (the hash
split's pure twin, the server manager's checks, connect's errors) need neither. All Spark
tests live in this one file so that `pytest -n 2 --dist loadfile` starts one server.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from scripts import spark_local
from stages.core.errors import DataError
from stages.core.spark import connect
from stages.lib import hash_split
from tests.conftest import ROOT

TITANIC = ROOT / "data" / "titanic.csv"
ID, TARGET = "PassengerId", "Survived"
NUMERIC = ["Pclass", "Age", "SibSp", "Fare"]
CATEGORICAL = ["Sex", "Cabin", "Embarked"]
MEAN_FILLED = ["Age", "Fare"]
CONSTANTS = {"Cabin": "cabin_missing", "Embarked": "embarked_missing"}
TEST_SIZE, SEED = 0.25, 0

spark_test = pytest.mark.spark


# --- the hash split's pure twin (no Spark) --------------------------------------------------


def test_hash_split_is_the_documented_md5_rule() -> None:
    key = "42"
    digest = hashlib.md5(b"0:42").digest()
    expected = int.from_bytes(digest[:4], "big") < round(0.25 * 2**32)
    assert hash_split.is_test([key], 0.25, 0).tolist() == [expected]
    assert hash_split.buckets(["42"], 0)[0] == int.from_bytes(digest[:4], "big")


def test_hash_split_depends_on_key_and_seed_only() -> None:
    keys = [str(i) for i in range(20_000)]
    mask = hash_split.is_test(keys, 0.25, 7)
    assert abs(mask.mean() - 0.25) < 0.01  # a Bernoulli(0.25) share, not an exact count
    shuffled = keys[::-1]
    assert hash_split.is_test(shuffled, 0.25, 7).tolist() == mask[::-1].tolist()
    assert hash_split.is_test(keys, 0.25, 8).tolist() != mask.tolist()


def test_hash_split_refuses_a_missing_key() -> None:
    with pytest.raises(ValueError, match="data row 2 is missing"):
        hash_split.is_test(["1", None, "3"], 0.25, 0)


def test_the_in_process_hash_split_is_the_rule_and_a_missing_id_is_one_line() -> None:
    from stages.lib.splitting import hash_positions

    ids = pd.Series([str(i) for i in range(1, 892)])
    train, test = hash_positions(ids, 891, TEST_SIZE, SEED, ID)
    assert test.tolist() == np.flatnonzero(hash_split.is_test(ids, TEST_SIZE, SEED)).tolist()
    assert sorted([*train, *test]) == list(range(891))
    by_position, _ = hash_positions(None, 891, TEST_SIZE, SEED)
    expected = ~hash_split.is_test(hash_split.positions_as_keys(891), TEST_SIZE, SEED)
    assert by_position.tolist() == np.flatnonzero(expected).tolist()
    with pytest.raises(DataError, match=r"^column 'PassengerId', line 4: the id is missing"):
        hash_positions(pd.Series(["1", "2", None]), 3, TEST_SIZE, SEED, ID)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"train": {"model": "hist_gradient_boosting"}},
            "train.model: 'hist_gradient_boosting' has no MLlib counterpart",
        ),
        (
            {
                "train": {
                    "model": "ensemble",
                    "ensemble": {
                        "members": [
                            {"model": "logistic_regression"},
                            {"model": "hist_gradient_boosting"},
                        ]
                    },
                }
            },
            "train.model: 'ensemble' has no MLlib counterpart",
        ),
        (
            {"train": {"fit_intercept": True}},
            "train.solver: liblinear with fit_intercept: true also penalises the intercept",
        ),
        (
            {"train": {"search": {"enabled": True}}},
            "train.search.enabled: the cross-validated search runs with engine.name: sklearn",
        ),
        (
            {"encode": {"columns": {"Cabin": {"method": "target"}}}},
            "encode.columns.Cabin.method: 'target' encoding runs with engine.name: sklearn only",
        ),
        (
            {"engine": {"name": "sklearn"}, "split": {"method": "hash", "stratify": True}},
            "split.stratify: a hash split decides each row alone and cannot stratify",
        ),
    ],
)
def test_params_refuse_what_spark_cannot_honour(changes: dict[str, Any], expected: str) -> None:
    """One keyed line at params validation, before any stage runs (README, "Run on Spark")."""
    from stages.core.errors import ParamsError
    from stages.core.params import parse_params, read_params_file

    raw = read_params_file(ROOT / "params.yaml")
    raw["engine"] = {"name": "spark"}
    for section, values in changes.items():
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(raw[section].get(key), dict):
                raw[section][key] = {**raw[section][key], **value}
            else:
                raw[section][key] = value
    with pytest.raises(ParamsError) as error:
        parse_params(raw, "params.yaml")
    assert str(error.value).startswith(f"params.yaml: {expected}")
    assert "\n" not in str(error.value)


def test_the_default_settings_run_on_spark() -> None:
    """The notebook's params are all honoured on Spark (liblinear without an intercept is
    the same objective as MLlib's L-BFGS)."""
    from stages.core.params import parse_params, read_params_file

    raw = read_params_file(ROOT / "params.yaml")
    raw["engine"] = {"name": "spark"}
    assert parse_params(raw).engine.name == "spark"


# --- server manager and connect errors (no Spark) -------------------------------------------


def test_a_missing_java_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    problem = spark_local.java_problem()
    assert problem is not None and "\n" not in problem
    assert problem.startswith("the Spark engine needs Java 17 or newer, but no `java` on PATH")


def test_an_old_java_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    problem = spark_local.java_problem()
    assert problem is not None and "\n" not in problem
    assert "needs Java 17 or newer, but" in problem and "is 11 " in problem


def test_java_8_version_string_is_read_as_8(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\necho 'java version \"1.8.0_392\"' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert "is 8 " in (spark_local.java_problem() or "")


def test_no_remote_and_no_local_server_is_the_documented_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    with pytest.raises(connect.SparkError) as raised:
        connect.session(root=tmp_path)
    assert str(raised.value) == (
        "engine.name is spark but SPARK_REMOTE is not set and no local server is running: "
        "run `make spark-up` or export SPARK_REMOTE=sc://host:15002"
    )


def test_an_unreachable_server_is_one_line_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    port = spark_local.free_port()  # free: nothing listens there
    monkeypatch.setenv("SPARK_REMOTE", f"sc://127.0.0.1:{port}")
    with pytest.raises(connect.SparkError) as raised:
        connect.session()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        f"cannot reach the Spark Connect server at sc://127.0.0.1:{port} (from SPARK_REMOTE): "
    )


def test_a_non_connect_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARK_REMOTE", "http://example.invalid:15002")
    with pytest.raises(connect.SparkError, match="is not a Spark Connect URL"):
        connect.session()


def test_the_spark_group_is_optional() -> None:
    """A default install (`make setup`) never pulls pyspark: it is only in the spark group."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert not any("pyspark" in dep for dep in project["project"]["dependencies"])
    assert any("pyspark[connect]" in dep for dep in project["dependency-groups"]["spark"])
    assert "spark" not in project["tool"]["uv"]["default-groups"]


# --- the server ---------------------------------------------------------------------------


@spark_test
def test_up_again_reports_the_running_server(spark_server: Any) -> None:
    url, started = spark_local.up(spark_server.state_dir)
    assert (url, started) == (spark_server.url, False)
    assert (spark_server.state_dir / "remote").read_text().strip() == spark_server.url
    assert spark_local.status(spark_server.state_dir).startswith(
        f"local Spark Connect server at {spark_server.url}: connect (pid "
    )


@spark_test
def test_the_url_file_is_used_when_spark_remote_is_unset(
    spark_remote: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    (tmp_path / ".spark").mkdir()
    (tmp_path / ".spark" / "remote").write_text(spark_remote + "\n")
    with connect.spark_session(root=tmp_path) as spark:
        assert spark.range(3).count() == 3


# --- reading and writing --------------------------------------------------------------------


def pandas_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


@spark_test
def test_csv_is_read_as_text_like_pandas(spark: Any) -> None:
    from stages.core.spark import io

    frame = io.read_csv_text(spark, TITANIC).toPandas()
    expected = pandas_text(TITANIC)
    assert list(frame.columns) == list(expected.columns)
    assert frame.fillna("<NA>").equals(expected.fillna("<NA>"))  # quotes "" inside names too
    only = io.read_csv_text(spark, TITANIC, ["Sex", ID], na_values=["male"])
    assert only.columns == ["Sex", ID]
    assert only.where("Sex IS NULL").count() == (expected["Sex"] == "male").sum()


@spark_test
def test_csv_without_a_needed_column_names_it(spark: Any) -> None:
    from stages.core.spark import io

    with pytest.raises(DataError, match=r"titanic.csv: no column 'Nope' in the header"):
        io.read_csv_text(spark, TITANIC, ["Age", "Nope"])


WRITE_SCRIPT = """
import sys
from pathlib import Path
from stages.core.spark import io
from stages.core.spark.connect import spark_session
with spark_session(remote=sys.argv[1]) as spark:
    df = io.read_csv_text(spark, Path(sys.argv[2]))
    io.write_parquet(df, Path(sys.argv[3]), key=["PassengerId"], partitions=3, local_rows=0)
"""


def write_titanic(spark: Any, out: Path) -> Any:
    """Titanic written by the executors (local_rows=0: not collected, however small)."""
    from stages.core.spark import io

    df = io.read_csv_text(spark, TITANIC)
    return io.write_parquet(df, out, key=[ID], partitions=3, local_rows=0)


def folder_bytes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@spark_test
def test_parquet_is_byte_identical_across_processes(
    spark: Any, spark_remote: str, tmp_path: Path
) -> None:
    from stages.core.spark import io

    written = write_titanic(spark, tmp_path / "here")
    assert written.rows == 891
    assert sorted(os.listdir(tmp_path / "here")) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]  # no _SUCCESS, no .crc, no job UUID in the names
    script = tmp_path / "write.py"
    script.write_text(WRITE_SCRIPT)
    subprocess.run(
        [sys.executable, str(script), spark_remote, str(TITANIC), str(tmp_path / "there")],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
    )
    assert folder_bytes(tmp_path / "there") == folder_bytes(tmp_path / "here")
    # Both pandas (pyarrow) and Spark read it back, every cell as written.
    back = pd.read_parquet(tmp_path / "here").set_index(ID)
    expected = pandas_text(TITANIC).set_index(ID)
    assert back.loc[expected.index].fillna("<NA>").equals(expected.fillna("<NA>"))
    assert io.read_parquet(spark, tmp_path / "here").count() == 891


@spark_test
def test_a_small_table_written_here_is_the_bytes_the_executors_write(
    spark: Any, tmp_path: Path
) -> None:
    """Up to io.LOCAL_ROWS rows the stage process writes the files itself (no executor
    Python workers to start), with the same writer function: the same bytes."""
    from stages.core.spark import io

    by_executors = write_titanic(spark, tmp_path / "executors")
    here = io.write_parquet(
        io.read_csv_text(spark, TITANIC), tmp_path / "here", key=[ID], partitions=3
    )
    assert here.rows == by_executors.rows == 891
    assert folder_bytes(tmp_path / "here") == folder_bytes(tmp_path / "executors")


@spark_test
def test_a_failed_write_leaves_the_previous_output(spark: Any, tmp_path: Path) -> None:
    from stages.core.spark import io

    out = tmp_path / "out"
    write_titanic(spark, out)
    before = folder_bytes(out)
    with pytest.raises(Exception, match="Nope"):
        io.write_parquet(io.read_csv_text(spark, TITANIC), out, key=["Nope"], partitions=3)
    assert folder_bytes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


@spark_test
def test_tables_written_in_one_job_are_the_bytes_each_gets_alone(
    spark: Any, tmp_path: Path
) -> None:
    from pyspark.sql import functions as F

    from stages.core.spark import io

    df = io.read_csv_text(spark, TITANIC)
    sexes = ("male", "female")
    together = {tmp_path / "together" / sex: df.where(F.col("Sex") == sex) for sex in sexes}
    written = io.write_tables(together, key=[ID], partitions=3, local_rows=0)
    assert {path.name: w.rows for path, w in written.items()} == {"male": 577, "female": 314}
    for sex in sexes:
        alone = tmp_path / "alone" / sex
        io.write_parquet(df.where(F.col("Sex") == sex), alone, key=[ID], partitions=3)
        assert folder_bytes(tmp_path / "together" / sex) == folder_bytes(alone)
    # File i holds the rows `repartition(3, key)` puts in partition i, in key order.
    placed = (
        df.where(F.col("Sex") == "female")
        .repartition(3, ID)
        .select(ID, F.spark_partition_id().alias("partition"))
        .toPandas()
    )
    for i in range(3):
        ids = pd.read_parquet(tmp_path / "together" / "female" / f"part-0000{i}.parquet")[ID]
        assert ids.tolist() == sorted(placed.loc[placed["partition"] == i, ID])


@spark_test
def test_an_empty_partition_still_gets_its_file(spark: Any, tmp_path: Path) -> None:
    from stages.core.spark import io

    df = io.read_csv_text(spark, TITANIC, [ID, "Sex"]).where(f"{ID} = '1'")
    written = io.write_parquet(df, tmp_path / "one", key=[ID], partitions=4)
    assert written.rows == 1 and len(os.listdir(tmp_path / "one")) == 4
    assert pd.read_parquet(tmp_path / "one")[ID].tolist() == ["1"]


# --- the hash split, both engines -------------------------------------------------------------


@spark_test
def test_both_engines_split_every_titanic_row_alike(spark: Any) -> None:
    from stages.core.spark import io
    from stages.core.spark import split as spark_split

    df = io.read_csv_text(spark, TITANIC, [ID, TARGET])
    train, test = spark_split.split(df, ID, TEST_SIZE, SEED)
    spark_test_ids = sorted(int(row[ID]) for row in test.select(ID).collect())
    ids = pandas_text(TITANIC)[ID]
    pandas_test_ids = sorted(int(i) for i in ids[hash_split.is_test(ids, TEST_SIZE, SEED)])
    assert spark_test_ids == pandas_test_ids
    assert train.count() + len(spark_test_ids) == 891
    assert 180 < len(spark_test_ids) < 270  # about a quarter


@spark_test
def test_test_positions_reach_spark_as_a_bitmap(spark: Any) -> None:
    """with_membership flags exactly the given positions, across bitmap chunks and bytes,
    for rows past the last member too (BITMAP_ROWS made small to cross many chunks)."""
    from pyspark.sql import functions as F

    from stages.core.spark import split

    rows = 5_000
    members = np.sort(np.random.default_rng(3).choice(rows - 100, size=1_234, replace=False))
    df = spark.range(rows).select(F.col("id").alias("pos"), (F.col("id") * 2).alias("x"))
    original = split.BITMAP_ROWS
    try:
        split.BITMAP_ROWS = 512
        flagged = split.with_membership(spark, df, "pos", members, "member").toPandas()
    finally:
        split.BITMAP_ROWS = original
    flagged = flagged.sort_values("pos")
    assert list(flagged.columns) == ["pos", "x", "member"]
    expected = np.zeros(rows, dtype=bool)
    expected[members] = True
    assert flagged["member"].to_numpy().tolist() == expected.tolist()


@spark_test
def test_row_position_is_the_file_order_whatever_the_splits(spark: Any) -> None:
    """Without an id the key is the row's position; it must not depend on how Spark cut
    the file into partitions (here ~15 of 4 KiB) or on the core count."""
    from stages.core.spark import io
    from stages.core.spark import split as spark_split

    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    try:
        df = io.read_csv_text(spark, TITANIC, [ID])
        positioned = spark_split.with_row_position(df, "row").toPandas()
        partitions = spark_split.with_row_position(df, "row").select("row").count()
        _, test = spark_split.split(df, None, TEST_SIZE, SEED)
        spark_test_ids = sorted(int(row[ID]) for row in test.collect())
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert partitions == 891
    # PassengerId is 1..891 in file order: position == id - 1 for every row.
    assert (positioned["row"].astype(int) == positioned[ID].astype(int) - 1).all()
    keys = hash_split.positions_as_keys(891)
    pandas_test_ids = [i + 1 for i in np.flatnonzero(hash_split.is_test(keys, TEST_SIZE, SEED))]
    assert spark_test_ids == pandas_test_ids


# --- learned values ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def titanic(spark: Any) -> dict[str, Any]:
    """Titanic typed on Spark and in pandas, split by the hash split on both sides."""
    from pyspark.sql import functions as F

    from stages.core.spark import io
    from stages.core.spark import split as spark_split

    raw = io.read_csv_text(spark, TITANIC, [ID, TARGET, *NUMERIC, *CATEGORICAL])
    typed = raw.select(
        ID,
        F.col(TARGET).cast("int").alias(TARGET),
        *(F.col(c).cast("double").alias(c) for c in NUMERIC),
        *CATEGORICAL,
    )
    train, test = spark_split.split(typed, ID, TEST_SIZE, SEED)
    frame = pd.read_csv(TITANIC)
    mask = hash_split.is_test(pandas_text(TITANIC)[ID], TEST_SIZE, SEED)
    return {
        "spark_train": train.cache(),
        "spark_test": test,
        "train": frame[~mask].reset_index(drop=True),
        "test": frame[mask].reset_index(drop=True),
    }


@spark_test
def test_fill_values_match_scikit_learn(titanic: dict[str, Any]) -> None:
    from sklearn.impute import SimpleImputer

    from stages.core.spark import fit

    train, spark_train = titanic["train"], titanic["spark_train"]
    for column in ["Age", "Fare"]:
        for strategy in ["mean", "median", "most_frequent"]:
            learned = fit.fill_value(spark_train, column, strategy)
            expected = SimpleImputer(strategy=strategy).fit(train[[column]]).statistics_[0]
            assert learned == pytest.approx(expected, rel=1e-12, abs=1e-12), (column, strategy)
            imputer = fit.simple_imputer(column, strategy, learned, text=False)
            assert imputer.statistics_[0] == learned
            filled = imputer.transform(train[[column]])[:, 0]
            assert not np.isnan(filled).any()
    for column in ["Embarked", "Cabin"]:
        learned = fit.fill_value(spark_train, column, "most_frequent")
        values = train[[column]].astype(object).where(train[[column]].notna(), np.nan)
        expected = SimpleImputer(strategy="most_frequent").fit(values.to_numpy()).statistics_[0]
        assert learned == expected
        constant = fit.fill_value(spark_train, column, "constant", CONSTANTS[column])
        assert constant == CONSTANTS[column]
        imputer = fit.simple_imputer(column, "constant", constant, constant, text=True)
        assert imputer.transform(np.array([[np.nan]], dtype=object))[0, 0] == constant


@spark_test
def test_median_of_an_even_count_averages_the_middle_values(spark: Any) -> None:
    """scikit-learn's median of [1, 2, 3, 10] is 2.5: so is the exact Spark median; the
    approximate one returns an element (2.0), the documented difference."""
    from stages.core.spark import fit

    df = spark.createDataFrame([(1.0,), (2.0,), (3.0,), (10.0,), (None,)], "x double")
    assert fit.fill_value(df, "x", "median") == 2.5
    assert fit.fill_value(df, "x", "median", median_accuracy=10_000) == 2.0


@spark_test
def test_categories_and_scalers_match_scikit_learn(titanic: dict[str, Any]) -> None:
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

    from stages.core.spark import fit

    train, spark_train = titanic["train"], titanic["spark_train"]
    filled_train = train.fillna(CONSTANTS)
    lists = {c: fit.categories(spark_train.fillna(CONSTANTS), c) for c in CATEGORICAL}
    expected = OneHotEncoder().fit(filled_train[CATEGORICAL].astype(object))
    assert lists == {c: list(v) for c, v in zip(CATEGORICAL, expected.categories_, strict=True)}
    encoder = fit.one_hot_encoder(lists)
    probe = filled_train[CATEGORICAL].astype(object)
    assert (encoder.transform(probe) != expected.transform(probe)).nnz == 0

    numbers = train[NUMERIC].fillna(train[MEAN_FILLED].mean())
    spark_numbers = spark_train.fillna(
        {c: fit.fill_value(spark_train, c, "mean") for c in MEAN_FILLED}
    )
    stats = fit.moments(spark_numbers, NUMERIC)
    minmax, reference = fit.min_max_scaler(stats, NUMERIC), MinMaxScaler().fit(numbers)
    np.testing.assert_array_equal(minmax.data_min_, reference.data_min_)
    np.testing.assert_array_equal(minmax.data_max_, reference.data_max_)
    np.testing.assert_array_equal(minmax.transform(numbers), reference.transform(numbers))
    standard, reference = fit.standard_scaler(stats, NUMERIC), StandardScaler().fit(numbers)
    np.testing.assert_allclose(standard.mean_, reference.mean_, rtol=1e-12)
    np.testing.assert_allclose(standard.scale_, reference.scale_, rtol=1e-12)
    np.testing.assert_allclose(
        standard.transform(numbers), reference.transform(numbers), rtol=1e-9, atol=1e-12
    )


# --- logistic regression: MLlib into scikit-learn ---------------------------------------------


def sklearn_design(
    frame: pd.DataFrame, fills: dict[str, Any], scaler: Any, encoder: Any
) -> sp.csr_matrix:
    """The scikit-learn engine's design matrix: scaled numeric columns, then one-hot."""
    filled = frame.fillna(fills)
    numeric = scaler.transform(filled[NUMERIC].astype("float64"))
    hot = encoder.transform(filled[CATEGORICAL].astype(object))
    return sp.hstack([sp.csr_matrix(numeric), hot], format="csr")


def spark_fit(titanic: dict[str, Any], settings: Any) -> dict[str, Any]:
    """Fit the chain on Spark; return the learned sklearn objects and the Spark model."""
    from stages.core.spark import fit, score

    spark_train = titanic["spark_train"]
    fills = {c: fit.fill_value(spark_train, c, "mean") for c in MEAN_FILLED} | CONSTANTS
    filled = spark_train.fillna(fills)
    scaler = fit.min_max_scaler(fit.moments(filled, NUMERIC), NUMERIC)
    lists = {c: fit.categories(filled, c) for c in CATEGORICAL}
    scaled = filled.select(
        TARGET,
        *(score.scaled(c, None, scaler, i).alias(c) for i, c in enumerate(NUMERIC)),
        *CATEGORICAL,
    )
    vectors = fit.design_vector(scaled, NUMERIC, lists)
    trained = fit.logistic_regression(vectors, "features", TARGET, settings)
    return {
        "fills": fills,
        "scaler": scaler,
        "lists": lists,
        "encoder": fit.one_hot_encoder(lists),
        "trained": trained,
    }


def sklearn_fit(titanic: dict[str, Any], **options: Any) -> dict[str, Any]:
    """The same chain fitted by scikit-learn on the same rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

    train = titanic["train"]
    fills = train[MEAN_FILLED].mean().to_dict() | CONSTANTS
    filled = train.fillna(fills)
    scaler = MinMaxScaler().fit(filled[NUMERIC].astype("float64"))
    encoder = OneHotEncoder(handle_unknown="ignore").fit(filled[CATEGORICAL].astype(object))
    model = LogisticRegression(**options).fit(
        sklearn_design(train, fills, scaler, encoder), train[TARGET]
    )
    return {"fills": fills, "scaler": scaler, "encoder": encoder, "model": model}


def confusion(labels: pd.Series, probabilities: np.ndarray) -> tuple[int, int, int, int]:
    predicted = probabilities >= 0.5
    actual = labels.to_numpy() == 1
    return (
        int((predicted & actual).sum()),
        int((predicted & ~actual).sum()),
        int((~predicted & actual).sum()),
        int((~predicted & ~actual).sum()),
    )


@pytest.fixture(scope="module")
def fitted_on_spark(titanic: dict[str, Any]) -> dict[str, Any]:
    """The chain fitted on Spark with C=1, fit_intercept, run to the optimum.

    Both solvers run to the optimum (tol 1e-8): at scikit-learn's default tol=1e-4 its
    lbfgs stops ~0.017 from it on this data (MLlib's stop is tighter), which would compare
    two stopping rules rather than the two fits."""
    from stages.core.spark import fit

    settings = fit.LogisticSettings(C=1.0, fit_intercept=True, max_iter=1000, tol=1e-8)
    return spark_fit(titanic, settings)


@spark_test
def test_mllib_logistic_regression_matches_scikit_learn_at_c_1(
    titanic: dict[str, Any], fitted_on_spark: dict[str, Any]
) -> None:
    on_spark = fitted_on_spark
    reference = sklearn_fit(
        titanic, C=1.0, fit_intercept=True, solver="lbfgs", max_iter=1000, tol=1e-8
    )
    model = on_spark["trained"].model
    assert on_spark["trained"].reg_param == pytest.approx(1 / len(titanic["train"]))
    assert list(model.classes_) == [0, 1]
    np.testing.assert_allclose(model.coef_, reference["model"].coef_, atol=1e-4)
    np.testing.assert_allclose(model.intercept_, reference["model"].intercept_, atol=1e-4)
    for split in ["train", "test"]:
        frame = titanic[split]
        # predict_proba without Spark, on the design the Spark-learned objects make.
        mine = model.predict_proba(
            sklearn_design(frame, on_spark["fills"], on_spark["scaler"], on_spark["encoder"])
        )[:, 1]
        theirs = reference["model"].predict_proba(
            sklearn_design(frame, reference["fills"], reference["scaler"], reference["encoder"])
        )[:, 1]
        np.testing.assert_allclose(mine, theirs, atol=1e-4)
        assert confusion(frame[TARGET], mine) == confusion(frame[TARGET], theirs)


@spark_test
def test_spark_scores_equal_predict_proba(
    titanic: dict[str, Any], fitted_on_spark: dict[str, Any]
) -> None:
    from pyspark.sql import functions as F

    from stages.core.spark import score

    on_spark = fitted_on_spark
    model = on_spark["trained"].model
    column = score.probability(
        model, NUMERIC, on_spark["lists"], on_spark["fills"], on_spark["scaler"]
    )
    scored = (
        titanic["spark_test"]
        .select(F.col(ID).cast("int").alias(ID), column.alias("p"))
        .toPandas()
        .set_index(ID)
    )
    frame = titanic["test"]
    expected = model.predict_proba(
        sklearn_design(frame, on_spark["fills"], on_spark["scaler"], on_spark["encoder"])
    )[:, 1]
    np.testing.assert_allclose(scored.loc[frame[ID], "p"].to_numpy(), expected, atol=1e-9, rtol=0)


# --- evaluate from aggregates (stages/core/spark/evaluate.py) -------------------------------


def scored_rows(seed: int = 0, n: int = 600) -> pd.DataFrame:
    """Scored rows with ties (two decimals), probabilities on bin edges, 0 and 1."""
    rng = np.random.default_rng(seed)
    probability = np.concatenate([rng.random(n - 12).round(2), [0.0, 0.1, 0.3, 0.7, 1.0, 0.5] * 2])
    actual = (rng.random(n) < probability * 0.8 + 0.1).astype("int64")
    return pd.DataFrame(
        {
            "actual": actual,
            "probability": probability,
            "predicted": (probability >= 0.5).astype("int8"),
        }
    )


def spark_scored(spark: Any, rows: pd.DataFrame) -> Any:
    from pyspark.sql import functions as F

    return spark.createDataFrame(rows).select(
        F.col("actual").cast("long"), "probability", F.col("predicted").cast("tinyint")
    )


def full_curves(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """scikit-learn's ROC without dropping collinear points, and its PR curve."""
    from sklearn.metrics import roc_curve

    from stages.lib.plot_data import precision_recall_table

    fpr, tpr, thresholds = roc_curve(rows["actual"], rows["probability"], drop_intermediate=False)
    roc = pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thresholds, 1.0)})
    return {"roc": roc, "precision_recall": precision_recall_table(rows)}


@spark_test
@pytest.mark.parametrize("max_points", [10_000, 17])
def test_spark_evaluation_equals_scikit_learn_on_the_same_rows(spark: Any, max_points: int) -> None:
    """Counts exact, roc_auc and log_loss within 1e-12 of scikit-learn, calibration bins as
    in process (edges included), curves equal to scikit-learn's thinned by `thin`."""
    from stages.core.spark.evaluate import evaluate_split
    from stages.lib.metrics import classification_metrics
    from stages.lib.plot_data import calibration_table, thin

    rows = scored_rows()
    result = evaluate_split(spark_scored(spark, rows), 10, max_points)
    got = result.metrics()
    expected = classification_metrics(rows["actual"], rows["probability"], 0.5)
    assert list(got) == list(expected)
    for key in ("n", "tp", "fp", "tn", "fn", "accuracy", "precision", "recall", "f1"):
        assert got[key] == expected[key], key
    assert got["roc_auc"] == pytest.approx(expected["roc_auc"], abs=1e-12, rel=0)
    assert got["log_loss"] == pytest.approx(expected["log_loss"], abs=1e-12, rel=0)
    calibration = calibration_table(rows, 10)
    pd.testing.assert_frame_equal(result.tables["calibration"], calibration, atol=1e-15, rtol=0)
    assert result.tables["calibration"]["count"].tolist() == calibration["count"].tolist()
    for name, curve in full_curves(rows).items():
        kept = thin(curve, max_points).reset_index(drop=True)
        assert len(result.tables[name]) == min(len(curve), max_points)
        pd.testing.assert_frame_equal(result.tables[name], kept, check_exact=True)


@spark_test
def test_a_one_class_split_has_no_auc_and_scikit_learns_curves(spark: Any) -> None:
    import warnings

    from stages.core.spark.evaluate import evaluate_split
    from stages.lib.metrics import classification_metrics

    rows = scored_rows(seed=1, n=40).assign(actual=1)
    result = evaluate_split(spark_scored(spark, rows), 10, 2000)
    assert result.roc_auc is None and result.counts[:2] == (0, 0)
    expected = classification_metrics(rows["actual"], rows["probability"], 0.5)
    assert result.log_loss == pytest.approx(expected["log_loss"], abs=1e-12, rel=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns about the missing class
        curves = full_curves(rows)
    for name, curve in curves.items():
        pd.testing.assert_frame_equal(result.tables[name], curve, check_exact=True)


@spark_test
def test_spark_evaluation_is_the_same_bytes_whatever_the_partitioning(spark: Any) -> None:
    """Integer sums only: 1 and 4 partitions (and shuffled rows) give the same metrics and
    the same table bytes, log_loss and calibration means included."""
    import json

    from stages.core.spark.evaluate import evaluate_split

    rows = scored_rows(seed=2, n=3000)
    rows["probability"] = np.random.default_rng(2).random(len(rows))  # distinct: long sums
    df = spark_scored(spark, rows)
    shuffled = spark_scored(spark, rows.sample(frac=1.0, random_state=5))
    outputs = set()
    for layout in (df.repartition(1), df.repartition(4), shuffled.repartition(4, "probability")):
        result = evaluate_split(layout, 10, 50)
        tables = {name: t.to_csv(index=False) for name, t in result.tables.items()}
        outputs.add(json.dumps({"metrics": result.metrics(), "tables": tables}))
    assert len(outputs) == 1


# --- a standalone cluster: separate JVMs, another layout --------------------------------------


@spark_test
def test_standalone_cluster_runs_and_writes_the_same_bytes(
    spark: Any, spark_remote: str, spark_state_root: Path, tmp_path: Path
) -> None:
    """A master and two workers (2 cores each: 4 task slots, not local[2]'s 2), a Connect
    server on that master: the same data gives the same files, byte for byte; the whole
    pipeline runs there unchanged (on the census-like dataset: see census_on_spark), and
    its model refitted on local[2] is the same bytes; `down` leaves no process behind."""
    from stages.core.spark.connect import spark_session
    from tests.conftest import clone_project

    project = census_project(tmp_path / "census")

    write_titanic(spark, tmp_path / "local2")
    state = spark_state_root / "cluster"
    try:
        url, started = spark_local.cluster_up(state, workers=2, cores=2, worker_memory="1g")
        assert started
        procs = spark_local.running(state)
        assert sorted(p.name for p in procs) == ["connect", "master", "worker-1", "worker-2"]
        assert spark_local.cluster_up(state)[0] == url  # idempotent
        with pytest.raises(spark_local.SparkLocalError, match="a cluster Spark server is"):
            spark_local.up(state)
        with spark_session(remote=url) as cluster:
            assert cluster.conf.get("spark.master").startswith("spark://127.0.0.1:")
            write_titanic(cluster, tmp_path / "cluster")
        reproduce(project, url)
    finally:
        stopped = spark_local.down(state)
    assert folder_bytes(tmp_path / "cluster") == folder_bytes(tmp_path / "local2")
    census_on_spark(project)
    # MLlib refitted on local[2] from the cluster's tables: the same model, to the byte.
    elsewhere = clone_project(project, tmp_path / "census-local2")
    run_in(elsewhere, ["dvc", "repro", "--force", "--single-item", "train"], spark_remote)
    assert (elsewhere / "dvc.lock").read_text() == (project / "dvc.lock").read_text()
    assert stopped[0] == "connect" and stopped[-1] == "master"
    # Nothing left: not the JVMs, not their executors or Python workers (same groups).
    assert not any(p.alive() or spark_local._group_alive(p.pid) for p in procs)
    assert spark_local.status(state).startswith("no Spark server is running")
    assert not (state / "remote").exists()


# --- every derivation op on Spark, against the in-process Featurizer --------------------------

ALL_OPS = {
    "Title_raw": {"op": "extract", "column": "Name", "pattern": " ([A-Za-z]+)\\."},
    "Title": {"op": "rare", "column": "Title_raw", "min_count": 10},
    "Deck": {"op": "first_char", "column": "Cabin"},
    "Surname": {"op": "first_token", "column": "Name", "separator": ","},
    "FirstWord": {"op": "first_token", "column": "Name"},
    "TicketPrefix": {"op": "strip_digits", "column": "Ticket"},
    "TicketGroup": {"op": "group_size", "column": "Ticket"},
    "Family": {"op": "sum", "columns": ["SibSp", "Parch"], "add": 1.0},
    "FarePerSibling": {"op": "ratio", "numerator": "Fare", "denominator": "SibSp"},
    "LogFare": {"op": "log1p", "column": "Fare"},
    "CabinKnown": {"op": "is_missing", "column": "Cabin"},
    "Male": {"op": "equals", "column": "Sex", "value": "male"},
    "Third": {"op": "equals", "column": "Pclass", "value": 3},
    "Big": {"op": "threshold", "column": "Family", "above": 4.0},
    "Young": {"op": "threshold", "column": "Age", "below": 16.0},
}


@spark_test
def test_every_derivation_op_on_spark_matches_the_featurizer(spark: Any) -> None:
    """All twelve ops, learning (rare, group_size) on train and applied to test."""
    from pydantic import TypeAdapter
    from pyspark.sql import functions as F

    from stages.core.featurize_ops import Derivation, op_names
    from stages.core.spark import featurize as spark_featurize
    from stages.core.spark import io
    from stages.lib.featurize import Featurizer

    assert {spec["op"] for spec in ALL_OPS.values()} == set(op_names())
    derive = {name: TypeAdapter(Derivation).validate_python(spec) for name, spec in ALL_OPS.items()}
    numbers = ["Pclass", "Age", "SibSp", "Parch", "Fare"]
    raw = io.read_csv_text(spark, TITANIC)
    frame = raw.select(
        F.col(ID).cast("int").alias(ID),
        *(F.col(c).cast("double").alias(c) for c in numbers),
        *(F.col(c) for c in ["Name", "Sex", "Cabin", "Ticket"]),
    )
    tables = {"train": frame.where(F.col(ID) <= 600), "test": frame.where(F.col(ID) > 600)}
    outputs, learned = spark_featurize.fit_and_apply(tables, derive)
    pandas_frame = pd.read_csv(TITANIC)
    featurizer = Featurizer(derive).fit(pandas_frame[pandas_frame[ID] <= 600])
    assert learned == featurizer.learned_
    for split, df in outputs.items():
        got = df.orderBy(ID).toArrow().to_pandas()
        rows = pandas_frame[ID] <= 600 if split == "train" else pandas_frame[ID] > 600
        want = featurizer.transform(pandas_frame[rows]).reset_index(drop=True)
        for name in derive:
            if derive[name].makes == "text":
                assert texts(got[name]) == texts(want[name]), name
            else:
                np.testing.assert_allclose(
                    got[name].astype("float64"), want[name].astype("float64"), err_msg=name
                )


def texts(values: pd.Series) -> list[Any]:
    """Text values with every kind of missing as None (pandas 3 reads them as NaN)."""
    return [None if pd.isna(value) else value for value in values]


# --- the stages on Spark (engine.name: spark): real dvc repro --------------------------------

# Parity settings (README, "Run on Spark"): the same rows on both engines (hash split), a
# unique optimum (C=1 with an intercept) and both solvers run to it (tol 1e-8).
PARITY = {
    ("split", "method"): "hash",
    ("train", "C"): "1.0",
    ("train", "fit_intercept"): "true",
    ("train", "solver"): "lbfgs",
    ("train", "tol"): "1.0e-08",
    ("train", "max_iter"): "1000",
}


def on_engine(project: Path, engine: str, settings: dict[tuple[str, str], str]) -> Path:
    from tests.conftest import set_param

    for (section, key), value in {**settings, ("engine", "name"): engine}.items():
        set_param(project / "params.yaml", section, key, value)
    return project


def spark_env(project: Path, remote: str | None) -> dict[str, str]:
    from tests.conftest import cli_env

    env = cli_env(project)
    env.pop("SPARK_REMOTE", None)
    if remote is not None:
        env["SPARK_REMOTE"] = remote
    return env


def run_in(project: Path, args: list[str], remote: str | None) -> subprocess.CompletedProcess[str]:
    """A command in the project, talking to `remote` (None: SPARK_REMOTE unset)."""
    result = subprocess.run(
        args, cwd=project, env=spark_env(project, remote), capture_output=True, text=True
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def reproduce(project: Path, remote: str | None) -> Path:
    from tests.conftest import run

    run_in(project, ["dvc", "repro"], remote)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "-m", "reproduced"], project)
    return project


@pytest.fixture(scope="module")
def spark_titanic(spark_remote: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Titanic reproduced on Spark with the parity settings, committed (copy to change)."""
    from tests.conftest import make_project

    project = make_project(tmp_path_factory.mktemp("spark-titanic") / "project")
    return reproduce(on_engine(project, "spark", PARITY), spark_remote)


@pytest.fixture(scope="module")
def sklearn_titanic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same params on the scikit-learn engine."""
    from tests.conftest import make_project

    project = make_project(tmp_path_factory.mktemp("sklearn-titanic") / "project")
    return reproduce(on_engine(project, "sklearn", PARITY), None)


def metrics_of(project: Path) -> dict[str, Any]:
    import json

    return dict(json.loads((project / "metrics/metrics.json").read_text()))


def scored(project: Path, split: str) -> pd.Series:
    """Each row's probability by its position in the raw file (either engine's table)."""
    frame = pd.read_parquet(project / "data/scored" / f"{split}.parquet")
    if "__row" in frame.columns:
        frame = frame.set_index("__row")
    return frame["probability"].sort_index()


@spark_test
def test_the_pipeline_runs_on_spark_and_a_rerun_is_a_no_op(
    spark_titanic: Path, spark_remote: str
) -> None:
    metrics = metrics_of(spark_titanic)
    assert metrics["train"]["n"] + metrics["test"]["n"] == 891
    assert metrics["test"]["accuracy"] > 0.75 and metrics["test"]["roc_auc"] > 0.8
    # Spark wrote the tables: fixed part files, no _SUCCESS or .crc.
    files = sorted(p.name for p in (spark_titanic / "data/scaled/train.parquet").iterdir())
    assert files == [f"part-{i:05d}.parquet" for i in range(4)]
    predictions = pd.read_csv(spark_titanic / "data/predictions.csv")
    assert len(predictions) == 418 and predictions["PassengerId"].is_monotonic_increasing
    again = run_in(spark_titanic, ["dvc", "repro"], spark_remote)
    assert "Data and pipelines are up to date" in again.stdout


@spark_test
def test_spark_and_scikit_learn_agree_on_the_parity_settings(
    spark_titanic: Path, sklearn_titanic: Path
) -> None:
    on_spark, in_process = metrics_of(spark_titanic), metrics_of(sklearn_titanic)
    for split in ("train", "test"):
        for count in ("n", "tp", "fp", "tn", "fn"):
            assert on_spark[split][count] == in_process[split][count], (split, count)
        assert on_spark[split]["roc_auc"] == pytest.approx(in_process[split]["roc_auc"], abs=1e-4)
        mine, theirs = scored(spark_titanic, split), scored(sklearn_titanic, split)
        assert mine.index.tolist() == theirs.index.tolist()  # the same rows
        np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), atol=1e-4, rtol=0)
    spark_predictions = pd.read_csv(spark_titanic / "data/predictions.csv")
    sklearn_predictions = pd.read_csv(sklearn_titanic / "data/predictions.csv")
    np.testing.assert_allclose(
        spark_predictions["probability"], sklearn_predictions["probability"], atol=1e-4
    )


@spark_test
def test_spark_fitted_artifacts_score_a_csv_without_spark(
    spark_titanic: Path, tmp_path: Path
) -> None:
    """The fitted chain is scikit-learn objects: predict scores in process with no
    SPARK_REMOTE and no server, and gives Spark's own probabilities."""
    from tests.conftest import clone_project

    project = clone_project(spark_titanic, tmp_path / "project")
    args = [sys.executable, "-m", "stages.predict", "--engine", "sklearn"]
    args += ["--input", "data/titanic_unlabeled.csv", "--output", "local.csv"]
    run_in(project, args, remote=None)
    local = pd.read_csv(project / "local.csv")
    on_spark = pd.read_csv(project / "data/predictions.csv")
    assert local["PassengerId"].tolist() == on_spark["PassengerId"].tolist()
    assert local["Survived"].tolist() == on_spark["Survived"].tolist()
    np.testing.assert_allclose(local["probability"], on_spark["probability"], atol=1e-12, rtol=0)
    # Without --engine, a Spark project with no server says so in one line.
    args = [sys.executable, "-m", "stages.predict", "--input", "data/titanic_unlabeled.csv"]
    args += ["--output", "spark.csv"]
    failed = subprocess.run(
        args, cwd=project, env=spark_env(project, None), capture_output=True, text=True
    )
    assert failed.returncode == 2
    assert failed.stderr == f"error: {connect.NOT_CONFIGURED}\n"


@spark_test
def test_a_c_change_reruns_only_train_and_what_follows(
    spark_titanic: Path, spark_remote: str, tmp_path: Path
) -> None:
    from tests.conftest import PIPELINE_STAGES, clone_project, ran_stages, set_param

    project = clone_project(spark_titanic, tmp_path / "project")
    set_param(project / "params.yaml", "train", "C", "0.5")
    result = run_in(project, ["dvc", "repro"], spark_remote)
    assert ran_stages(result.stdout) == ["train", "evaluate", "predict"]
    assert set(PIPELINE_STAGES) >= {"train", "evaluate", "predict"}
    assert metrics_of(project)["test"]["n"] == metrics_of(spark_titanic)["test"]["n"]


def census_project(path: Path) -> Path:
    """The census-like dataset (tests/test_generality.py) as a project on engine spark."""
    from tests.conftest import make_project
    from tests.test_generality import census_like, point_params_at_census

    project = make_project(path)
    census_like(600, seed=1).to_csv(project / "data/census.csv", index=False)
    census_like(40, seed=2).drop(columns="income").to_csv(
        project / "data/census_new.csv", index=False
    )
    point_params_at_census(project)
    return on_engine(project, "spark", {})


def census_on_spark(project: Path) -> None:
    """Another dataset (no id, '?' for missing, string labels, median and most_frequent
    fills, standard scaling) reproduced on Spark with the notebook's split: the same rows
    as the scikit-learn engine, and predictions that match in-process scoring."""
    metrics = metrics_of(project)
    assert metrics["train"]["n"] == 450 and metrics["test"]["n"] == 150
    assert metrics["test"]["roc_auc"] > 0.75
    on_spark = pd.read_csv(project / "data/census_predictions.csv")
    assert list(on_spark.columns) == ["income", "probability"] and len(on_spark) == 40
    args = [sys.executable, "-m", "stages.predict", "--engine", "sklearn"]
    args += ["--input", "data/census_new.csv", "--output", "local.csv"]
    run_in(project, args, remote=None)
    local = pd.read_csv(project / "local.csv")
    np.testing.assert_allclose(local["probability"], on_spark["probability"], atol=1e-12)


@spark_test
def test_a_forced_rerun_leaves_dvc_lock_unchanged(
    spark_titanic: Path, spark_remote: str, tmp_path: Path
) -> None:
    """Every Spark output is byte-deterministic across processes (a new client per stage,
    a new write of every table and fitted object): DVC sees the same hashes."""
    from tests.conftest import clone_project

    project = clone_project(spark_titanic, tmp_path / "project")
    forced = run_in(project, ["dvc", "repro", "--force"], spark_remote)
    assert forced.stdout.count("Running stage") == 8
    assert (project / "dvc.lock").read_text() == (spark_titanic / "dvc.lock").read_text()


def test_main_reports_an_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = spark_unavailable_reason()
    code = spark_local.main(["up", "--state-dir", str(tmp_path / "state")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: ")
    assert ("Java 17" in err) or (reason and "pyspark" in err)


def spark_unavailable_reason() -> str | None:
    try:
        spark_local.spark_home()
    except spark_local.SparkLocalError as error:
        return str(error)
    return None
