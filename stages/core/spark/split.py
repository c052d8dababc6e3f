"""`split.method: hash` on Spark: the twin of stages/core/hash_split.py, row for row.

Spark SQL's `md5()` of the same salted text, its first 8 hex digits read as an unsigned
32-bit integer, compared with the same threshold. Rows keep no order and need no shuffle.

Without an id column the key is the row's position in the file. Spark Connect has no RDD
API (no zipWithIndex), and `monotonically_increasing_id()` alone is not a position: it is
`(partition index << 33) + row within the partition`, so it depends on how the file was
split. `with_row_position` turns it into one: within each partition of a file scan the
rows are in file order, and partitions follow the file's byte order, so the position is
the row's index within its partition plus the row counts of the partitions before it
(computed by one small aggregation). This holds for one plain-text CSV file read line by
line, which is what the pipeline reads; a multi-file or multiLine input needs an id column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stages.core.hash_split import threshold

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

PARTITION_SHIFT = 33  # monotonically_increasing_id's layout


def bucket(key: Column, random_state: int) -> Column:
    """The row's bucket in [0, 2**32), as a long: same value as hash_split.buckets."""
    from pyspark.sql import functions as F

    salted = F.concat(F.lit(f"{random_state}:"), key.cast("string"))
    return F.conv(F.substring(F.md5(salted), 1, 8), 16, 10).cast("long")


def is_test(key: Column, test_size: float, random_state: int) -> Column:
    """True for the rows that go to the test split (hash_split.is_test's twin)."""
    return bucket(key, random_state) < threshold(test_size)


def with_row_position(df: DataFrame, name: str) -> DataFrame:
    """df with `name`: each row's 0-based position in the file it was read from (see the
    module's docstring for when that holds). Runs one extra aggregation job."""
    from pyspark.sql import functions as F

    tagged = df.select(
        "*",
        F.spark_partition_id().alias("__partition"),
        F.monotonically_increasing_id().alias("__id"),
    ).withColumn("__index", F.col("__id") - F.shiftleft(F.col("__partition").cast("long"), 33))
    counts = tagged.groupBy("__partition").agg(F.count(F.lit(1)).alias("__rows")).collect()
    offsets, total = {}, 0
    for row in sorted(counts, key=lambda row: row["__partition"]):
        offsets[row["__partition"]] = total
        total += row["__rows"]
    offset = F.lit(0).cast("long")
    if offsets:
        table = F.create_map(*(F.lit(value) for pair in offsets.items() for value in pair))
        offset = F.element_at(table, F.col("__partition")).cast("long")
    return tagged.withColumn(name, offset + F.col("__index")).drop("__partition", "__id", "__index")


def split(
    df: DataFrame, key: str | None, test_size: float, random_state: int, position: str = "__row"
) -> tuple[DataFrame, DataFrame]:
    """(train, test) of df by the hash of `key`'s text, or of the row position if None."""
    from pyspark.sql import functions as F

    if key is None:
        df = with_row_position(df, position)
        mask = is_test(F.col(position), test_size, random_state)
        return df.where(~mask).drop(position), df.where(mask).drop(position)
    if df.where(F.col(key).isNull()).limit(1).count():
        raise ValueError(f"split key column {key!r} has a missing value")
    mask = is_test(F.col(key), test_size, random_state)
    return df.where(~mask), df.where(mask)
