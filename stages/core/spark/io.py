"""Reading CSV and writing byte-deterministic Parquet on Spark.

DVC needs the same bytes for the same data (a `dvc repro --force` must leave dvc.lock as
it was). Spark's own writer does not give them: part-file names carry a job UUID,
`_SUCCESS` and `.crc` files appear, the Parquet footer lists column encodings in an
unordered set (they differ between JVMs), and the number of files follows the core count.
`write_tables` (and `write_parquet`, its one-table form) therefore fixes everything that
could vary:

- the layout: file i holds the rows `repartition(partitions, *key)` puts in partition i
  (hash partitioning by the key: the same rows whatever the cores or cluster), sorted on
  every sortable column (a total order, so ties cannot reorder rows);
- the bytes: each file is written by pyarrow, with fixed options, to a fixed name,
  `part-00000.parquet` ... (an empty one still gets its file), by one function: run by the
  executors through `mapInArrow`, or, for tables up to LOCAL_ROWS rows, by this process
  on the collected rows;
- the commit: into a temporary folder next to the target, renamed into place at the end,
  so a failed write leaves the previous output intact and no half-written folder.

Where the bytes go: the executors write the files themselves (small tables aside). In
local mode (the local server of `make spark-up`, or a standalone cluster on this machine)
executors share this filesystem, so the target is a workspace path as with the
scikit-learn engine. On a real
cluster the path would be on storage every executor reaches (object storage, HDFS), and
DVC, which cannot cache outputs outside the workspace, would track a small manifest
(URI, schema, row count, fingerprint) instead of the data.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from stages.core.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

PART_NAME = "part-{:05d}.parquet"
# Fixed writer options: the same pyarrow writes the same bytes for the same table.
PARQUET_OPTIONS: dict[str, Any] = {"compression": "snappy", "write_statistics": True}
ROW_GROUP_ROWS = 131_072
UNSORTABLE = ("map", "struct<", "array<", "binary", "vector")
FILE_COLUMN = "__file"  # write_tables: which table and file a row goes to
# Tables of at most this many rows in all are written by the stage process itself (a few
# MB): the executors' Python workers cost ~2 s to start for each new session, most of a
# Spark stage's time on small data. Same writer code, same bytes (tested).
LOCAL_ROWS = 100_000


@dataclass(frozen=True)
class Written:
    """What write_parquet wrote: the folder, its files in order, and the row count."""

    path: Path
    files: tuple[str, ...]
    rows: int


def arrow_schema(df: DataFrame) -> pa.Schema:
    """The Arrow schema Spark's mapInArrow hands over for df's columns."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(df.schema)


def sortable_columns(df: DataFrame) -> list[str]:
    """Columns Spark can sort by (not maps, structs, arrays, binaries or ML vectors)."""
    return [
        field.name
        for field in df.schema.fields
        if not any(field.dataType.simpleString().startswith(kind) for kind in UNSORTABLE)
    ]


def write_parquet(
    df: DataFrame,
    path: Path,
    *,
    key: list[str],
    partitions: int,
    sort_by: list[str] | None = None,
    local_rows: int = LOCAL_ROWS,
) -> Written:
    """Write df as `partitions` Parquet files under `path`, byte-identical for the same rows
    whatever the process, core count or cluster; replaces `path` only once all is written.

    `key`: the columns rows are hash-partitioned by (an id, ideally). `sort_by`: the order
    inside each file, by default the key then every other sortable column, which is a
    total order up to identical rows (whose bytes are identical anyway)."""
    written = write_tables(
        {Path(path): df}, key=key, partitions=partitions, sort_by=sort_by, local_rows=local_rows
    )
    return written[Path(path)]


def write_tables(
    tables: dict[Path, DataFrame],
    *,
    key: list[str],
    partitions: int,
    sort_by: list[str] | None = None,
    local_rows: int = LOCAL_ROWS,
) -> dict[Path, Written]:
    """`write_parquet` for several tables of one schema (a train and a test split, say) in
    a single Spark job: each job costs a round trip and Python workers on the executors,
    the larger part of a stage's time on small data. Each table's files are the bytes
    `write_parquet` gives it alone: row r of table t goes to file
    t·partitions + pmod(hash(key), partitions), the partition `repartition(partitions,
    key)` would give it, sorted the same way. Up to `local_rows` rows in all, the sorted
    rows are collected and written here by the same writer function the executors run."""
    if partitions < 1:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    if not tables:
        return {}
    paths = [Path(path).absolute() for path in tables]
    frames = list(tables.values())
    order = sort_by or [*key, *(c for c in sortable_columns(frames[0]) if c not in key)]
    schema = arrow_schema(frames[0])
    tagged = _tagged(frames, paths, key, partitions)
    temporary = [path.parent / f".{path.name}.writing-{uuid.uuid4().hex[:12]}" for path in paths]
    try:
        for tmp in temporary:
            tmp.mkdir(parents=True)
        writer = _file_writer([str(tmp) for tmp in temporary], partitions, schema)
        counts = _run_writer(tagged, writer, len(paths) * partitions, order, local_rows)
        written = {}
        for index, (tmp, path) in enumerate(zip(temporary, paths, strict=True)):
            rows = 0
            for part in range(partitions):  # Spark skips the files of a bucket with no rows
                file = index * partitions + part
                if file not in counts:
                    _write_empty(schema, tmp / PART_NAME.format(part))
                rows += counts.get(file, 0)
            files = tuple(PART_NAME.format(part) for part in range(partitions))
            written[path] = Written(path, files, rows)
        for tmp, path in zip(temporary, paths, strict=True):
            _replace(tmp, path)
    except BaseException:
        for tmp in temporary:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {Path(original): written[path] for original, path in zip(tables, paths, strict=True)}


def _tagged(frames: list[DataFrame], paths: list[Path], key: list[str], partitions: int) -> Any:
    """The tables as one DataFrame, each row with FILE_COLUMN: its table's index times
    `partitions`, plus the partition `repartition(partitions, key)` would give it."""
    from pyspark.sql import functions as F

    bucket = F.pmod(F.hash(*(F.col(c) for c in key)), F.lit(partitions))
    tagged = None
    for index, df in enumerate(frames):
        if df.columns != frames[0].columns:
            raise ValueError(f"write_tables: {paths[index]} has other columns than {paths[0]}")
        one = df.withColumn(FILE_COLUMN, F.lit(index * partitions) + bucket)
        tagged = one if tagged is None else tagged.unionByName(one)
    return tagged


def _run_writer(
    tagged: DataFrame, writer: Any, files: int, order: list[str], local_rows: int
) -> dict[int, int]:
    """Run the writer over the rows sorted by (FILE_COLUMN, order); {file: rows}. A small
    table is collected and written here (counted first through a limit, which Spark stops
    early on a big table); a big one is written by the executors, `files` tasks at most."""
    if tagged.limit(local_rows + 1).count() <= local_rows:
        collected = tagged.orderBy(FILE_COLUMN, *order).toArrow()
        results = list(writer(iter(collected.to_batches())))
    else:
        laid_out = tagged.repartition(files, FILE_COLUMN).sortWithinPartitions(FILE_COLUMN, *order)
        results = laid_out.mapInArrow(writer, "file int, rows long").toArrow().to_batches()
    counts: dict[int, int] = {}
    for batch in results:
        counts.update(zip(batch["file"].to_pylist(), batch["rows"].to_pylist(), strict=True))
    return counts


def _write_empty(schema: pa.Schema, target: Path) -> None:
    """The file an executor writes for a partition without rows (no row group)."""
    with pq.ParquetWriter(str(target), schema, **PARQUET_OPTIONS):
        pass


def _file_writer(folders: list[str], partitions: int, schema: pa.Schema) -> Any:
    """The function that writes the files of the FILE_COLUMN values in a stream of Arrow
    batches (rows sorted by it, so each file is one run of rows) and yields (file, rows)
    batches: run by each executor task through mapInArrow, or here on collected rows.

    Row groups hold exactly ROW_GROUP_ROWS rows (the last one fewer), re-cut from however
    Spark batched the rows (spark.sql.execution.arrow.maxRecordsPerBatch), so a different
    batch setting on another cluster gives the same bytes."""
    schema_bytes = schema.serialize().to_pybytes()
    options = dict(PARQUET_OPTIONS)
    part_name, group_rows, file_column = PART_NAME, ROW_GROUP_ROWS, FILE_COLUMN

    # Self-contained on purpose: cloudpickle ships this closure by value to the executors'
    # Python, where this project's modules need not be importable.
    def write(batches: Any) -> Any:
        import itertools
        import os as _os

        import pyarrow as _pa
        import pyarrow.compute as _pc
        import pyarrow.parquet as _pq

        file_schema = _pa.ipc.read_schema(_pa.py_buffer(schema_bytes))

        def runs() -> Any:  # (file, table) pieces in stream order, the file column dropped
            for batch in batches:
                table = _pa.Table.from_batches([batch])
                for file in _pc.unique(table[file_column]).to_pylist():
                    piece = table.filter(_pc.equal(table[file_column], file))
                    yield file, piece.drop_columns([file_column])

        for file, pieces in itertools.groupby(runs(), key=lambda run: run[0]):
            target = _os.path.join(folders[file // partitions], part_name.format(file % partitions))
            writing = target + ".tmp"
            rows, held = 0, None
            with _pq.ParquetWriter(writing, file_schema, **options) as writer:
                for _, piece in pieces:
                    rows += piece.num_rows
                    # Spark's batches may say "not null" where the schema does not: cast, so
                    # the file's schema never depends on what the optimizer inferred.
                    piece = piece.cast(file_schema)
                    held = piece if held is None else _pa.concat_tables([held, piece])
                    while held.num_rows >= group_rows:
                        writer.write_table(held.slice(0, group_rows).combine_chunks())
                        held = held.slice(group_rows)
                if held is not None and held.num_rows:
                    writer.write_table(held.combine_chunks())
            _os.replace(writing, target)  # a retried task rewrites the same name
            yield _pa.RecordBatch.from_pydict(
                {"file": _pa.array([file], _pa.int32()), "rows": [rows]}
            )

    return write


def _replace(tmp: Path, path: Path) -> None:
    """Move the finished folder into place; the old output is removed only afterwards."""
    old = None
    if path.exists():
        old = path.parent / f".{path.name}.old-{uuid.uuid4().hex[:12]}"
        os.replace(path, old)
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old) if old.is_dir() else old.unlink()


def read_parquet(spark: SparkSession, path: Path) -> DataFrame:
    """A folder written by write_parquet, as a Spark DataFrame (pandas reads it too:
    `pd.read_parquet(path)`, the files in name order)."""
    return spark.read.parquet(str(Path(path).absolute()))


def read_csv_text(
    spark: SparkSession,
    path: Path,
    columns: list[str] | None = None,
    *,
    delimiter: str = ",",
    na_values: list[str] | tuple[str, ...] = (),
) -> DataFrame:
    """The CSV's columns (all, or `columns`, in that order) as text; an empty field and any
    of `na_values` become null. Typed conversion is the caller's, with its own errors.

    The schema is explicit (every column a string, named from the header), so Spark infers
    nothing and reads no more than it must. Quoting follows RFC 4180 like pandas (a quote
    inside a quoted field is doubled)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    source = str(Path(path).absolute())
    header = _header(spark, source, delimiter)
    missing = [name for name in columns or [] if name not in header]
    if missing:
        raise DataError(
            f"{path}: no column {', '.join(map(repr, missing))} in the header "
            f"(it has {', '.join(header)})"
        )
    schema = StructType([StructField(name, StringType(), True) for name in header])
    df = spark.read.csv(
        source,
        schema=schema,
        header=True,
        sep=delimiter,
        quote='"',
        escape='"',
        mode="FAILFAST",
        enforceSchema=False,
    )
    wanted = columns or header
    if na_values:
        return df.select(
            *(
                F.when(F.col(n).isin(list(na_values)), None).otherwise(F.col(n)).alias(n)
                for n in wanted
            )
        )
    return df.select(*wanted)


def _header(spark: SparkSession, source: str, delimiter: str) -> list[str]:
    """The header's names, read by Spark (the file may not be on this machine)."""
    names: list[str] = spark.read.csv(
        source, header=True, sep=delimiter, quote='"', escape='"', inferSchema=False
    ).columns
    return names
