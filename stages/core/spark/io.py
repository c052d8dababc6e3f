"""Reading CSV and writing byte-deterministic Parquet on Spark.

DVC needs the same bytes for the same data (a `dvc repro --force` must leave dvc.lock as
it was). Spark's own writer does not give them: part-file names carry a job UUID,
`_SUCCESS` and `.crc` files appear, the Parquet footer lists column encodings in an
unordered set (they differ between JVMs), and the number of files follows the core count.
`write_parquet` therefore fixes everything that could vary:

- the layout: `repartition(partitions, *key)` (hash partitioning by the key: the same rows
  land in the same partition whatever the cores or cluster) then `sortWithinPartitions`
  on every sortable column (a total order, so ties cannot reorder rows);
- the bytes: each partition is written by pyarrow from `mapInArrow`, with fixed options,
  to a fixed name, `part-00000.parquet` ... (an empty partition still gets its file);
- the commit: into a temporary folder next to the target, renamed into place at the end,
  so a failed write leaves the previous output intact and no half-written folder.

Where the bytes go: the executors write the files themselves. In local mode (the local
server of `make spark-up`, or a standalone cluster on this machine) executors share this
filesystem, so the target is a workspace path as with the scikit-learn engine. On a real
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
) -> Written:
    """Write df as `partitions` Parquet files under `path`, byte-identical for the same rows
    whatever the process, core count or cluster; replaces `path` only once all is written.

    `key`: the columns rows are hash-partitioned by (an id, ideally). `sort_by`: the order
    inside each file, by default the key then every other sortable column, which is a
    total order up to identical rows (whose bytes are identical anyway)."""
    if partitions < 1:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    path = Path(path).absolute()
    order = sort_by or [*key, *(c for c in sortable_columns(df) if c not in key)]
    schema = arrow_schema(df)
    tmp = path.parent / f".{path.name}.writing-{uuid.uuid4().hex[:12]}"
    tmp.mkdir(parents=True)
    try:
        laid_out = df.repartition(partitions, *key).sortWithinPartitions(*order)
        counts = _write_partitions(laid_out, tmp, schema)
        for index in range(partitions):  # Spark may skip a partition with no rows
            if index not in counts:
                _write_empty(schema, tmp / PART_NAME.format(index))
                counts[index] = 0
        _replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = tuple(PART_NAME.format(index) for index in range(partitions))
    return Written(path, files, sum(counts.values()))


def _write_empty(schema: pa.Schema, target: Path) -> None:
    """The file an executor writes for a partition without rows (no row group)."""
    with pq.ParquetWriter(str(target), schema, **PARQUET_OPTIONS):
        pass


def _write_partitions(df: DataFrame, folder: Path, schema: pa.Schema) -> dict[int, int]:
    """Each partition writes its own file from the executor; {partition: rows}.

    Row groups hold exactly ROW_GROUP_ROWS rows (the last one fewer), re-cut from however
    Spark batched the rows (spark.sql.execution.arrow.maxRecordsPerBatch), so a different
    batch setting on another cluster gives the same bytes."""
    folder_text = str(folder)
    schema_bytes = schema.serialize().to_pybytes()
    options = dict(PARQUET_OPTIONS)
    part_name, group_rows = PART_NAME, ROW_GROUP_ROWS

    # Self-contained on purpose: cloudpickle ships this closure by value to the executors'
    # Python, where this project's modules need not be importable.
    def write(batches: Any) -> Any:
        import os as _os

        import pyarrow as _pa
        import pyarrow.parquet as _pq
        from pyspark import TaskContext

        file_schema = _pa.ipc.read_schema(_pa.py_buffer(schema_bytes))
        partition = TaskContext.get().partitionId()
        target = _os.path.join(folder_text, part_name.format(partition))
        writing = target + ".tmp"
        rows, pending = 0, []
        with _pq.ParquetWriter(writing, file_schema, **options) as writer:
            for batch in batches:
                rows += batch.num_rows
                pending.append(batch)
                # Spark's batches may say "not null" where the schema does not: cast, so the
                # file's schema never depends on what the optimizer inferred.
                held = _pa.Table.from_batches(pending).cast(file_schema)
                while held.num_rows >= group_rows:
                    writer.write_table(held.slice(0, group_rows).combine_chunks())
                    held = held.slice(group_rows)
                pending = held.to_batches()
            if pending:
                last = _pa.Table.from_batches(pending).cast(file_schema)
                writer.write_table(last.combine_chunks())
        _os.replace(writing, target)  # a retried task rewrites the same name
        yield _pa.RecordBatch.from_pydict(
            {"partition": _pa.array([partition], _pa.int32()), "rows": [rows]}
        )

    result = df.mapInArrow(write, "partition int, rows long").toArrow()
    return dict(zip(result["partition"].to_pylist(), result["rows"].to_pylist(), strict=True))


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
