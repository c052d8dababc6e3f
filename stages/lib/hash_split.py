"""`split.method: hash`: a train/test split that any engine computes identically, row by row.

A row goes to test when the hash of its key text falls below a threshold:

    bucket(row) = first 4 bytes of MD5("<random_state>:<key text>") as a big-endian
                  unsigned 32-bit integer
    test(row)   = bucket(row) < round(test_size * 2**32)

The key text is the id column's text exactly as written in the CSV (read as text, so
"007" stays "007"), or, when the data has no id column, the row's position among the data
rows of the file (0 for the first row under the header) in decimal. MD5 is used for its
spread, not for security, and because both engines have it built in: Python's hashlib and
Spark SQL's `md5()` (see stages/core/spark/split.py), so the Spark engine and this module
put every row on the same side, whatever the file order, partitioning or cluster.

Unlike `split.method: shuffle` (scikit-learn's train_test_split, the notebook's split),
the test share is test_size on average, not exactly: each row is decided on its own, which
is what lets the split scale without a global shuffle. Changing random_state changes the
split; the same (key, random_state) always gives the same side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

BUCKETS = 2**32


def threshold(test_size: float) -> int:
    """Buckets below this go to test."""
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1 (exclusive), got {test_size}")
    return round(test_size * BUCKETS)


def salted(random_state: int, key: str) -> bytes:
    """The bytes that are hashed for one row."""
    return f"{random_state}:{key}".encode()


def buckets(keys: Iterable[str], random_state: int) -> np.ndarray:
    """Each key's bucket in [0, 2**32), as uint64."""
    return np.fromiter(
        (
            int.from_bytes(hashlib.md5(salted(random_state, key)).digest()[:4], "big")
            for key in keys
        ),
        dtype=np.uint64,
    )


def positions_as_keys(rows: int) -> list[str]:
    """The keys of a file without an id column: each data row's position, in decimal."""
    return [str(index) for index in range(rows)]


def is_test(keys: pd.Series | Iterable[str], test_size: float, random_state: int) -> np.ndarray:
    """A boolean mask: True for the rows that go to the test split.

    `keys` must be text (the id as written in the file); a missing key is an error, since
    it would put every such row on one side."""
    values = list(keys)
    missing = [index for index, key in enumerate(values) if not isinstance(key, str)]
    if missing:
        raise ValueError(
            f"split key of data row {missing[0] + 1} is missing or not text: {values[missing[0]]!r}"
        )
    return buckets(values, random_state) < threshold(test_size)
