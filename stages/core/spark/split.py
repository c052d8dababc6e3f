"""`split.method: hash` on Spark: the twin of stages/lib/hash_split.py, row for row.

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

import numpy as np
import pandas as pd

from stages.lib.hash_split import threshold

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

PARTITION_SHIFT = 33  # monotonically_increasing_id's layout
BITMAP_ROWS = 1 << 16  # rows per chunk of the test-membership bitmap (8 KB of bits)


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


def with_membership(
    spark: SparkSession, df: DataFrame, position: str, members: np.ndarray, name: str
) -> DataFrame:
    """df with `name`: True for the rows whose `position` is in `members` (positions in
    [0, rows)), False for the others.

    The notebook's split draws its test positions in this process (one global permutation,
    as train_test_split does); they go to Spark as a bitmap, one bit a row in chunks of
    BITMAP_ROWS (3.75 MB at 30M rows, broadcast with the join), not as a table of
    positions (8 bytes a test row, which at 30M rows filled a 4 GB driver)."""
    from pyspark.sql import functions as F

    rows = int(members.max()) + 1 if members.size else 0
    mask = np.zeros(rows, dtype=bool)
    mask[members] = True
    bits = np.packbits(mask, bitorder="little")  # row r: bit r % 8 of byte r // 8
    chunk = BITMAP_ROWS // 8
    chunks = pd.DataFrame(
        {
            "__chunk": np.arange(0, len(bits), chunk, dtype="int64") // chunk,
            "__bits": [
                bits[start : start + chunk].tobytes() for start in range(0, len(bits), chunk)
            ],
        }
    )
    table = spark.createDataFrame(chunks, "__chunk long, __bits binary")
    at = F.col(position)
    keyed = df.withColumn("__chunk", F.floor(at / BITMAP_ROWS).cast("long"))
    joined = keyed.join(F.broadcast(table), on="__chunk", how="left")
    within = at % BITMAP_ROWS
    byte = F.substring(F.col("__bits"), (F.floor(within / 8) + 1).cast("int"), 1)
    value = F.conv(F.hex(byte), 16, 10).cast("int")
    bit = F.shiftright(value, (within % 8).cast("int")).bitwiseAND(F.lit(1)) == 1
    return joined.withColumn(name, F.coalesce(bit, F.lit(False))).drop("__chunk", "__bits")
