"""Deterministic synthetic Titanic-shaped data for the benchmarks, of any size.

`python benchmarks/make_data.py --rows N --seed S --out PATH` writes a CSV with the real
file's columns and dtypes, Titanic-like distributions and missing rates (Age ~20 % missing,
Cabin ~77 % missing among ~150 cabins, Embarked a few missing) and a `Survived` label drawn
from a logistic model of the features, so test accuracy means something.

Rows are made and written in fixed blocks of BLOCK_ROWS, each from its own seeded
generator (seed, block number): memory stays at one block whatever N is, and the same
(N, seed) gives a byte-identical file. The file appears only once complete (temp + rename).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BLOCK_ROWS = 100_000
COLUMNS = [
    "PassengerId",
    "Survived",
    "Pclass",
    "Name",
    "Sex",
    "Age",
    "SibSp",
    "Parch",
    "Ticket",
    "Fare",
    "Cabin",
    "Embarked",
]
CLASS_SHARE = [0.242, 0.207, 0.551]  # Pclass 1, 2, 3 as in the real file
CABIN_MISSING_BY_CLASS = np.array([0.19, 0.92, 0.975])  # gives ~77 % overall
FARE_MEDIAN_BY_CLASS = np.array([60.0, 14.25, 8.05])
AGE_MEAN_BY_CLASS = np.array([38.0, 29.9, 25.1])
EMBARKED = np.array(["S", "C", "Q"], dtype=object)
EMBARKED_SHARE = [0.724, 0.189, 0.087]
EMBARKED_MISSING = 0.0025
AGE_MISSING = 0.199
SIBSP_VALUES, SIBSP_SHARE = [0, 1, 2, 3, 4, 5, 8], [0.682, 0.235, 0.031, 0.018, 0.02, 0.006, 0.008]
PARCH_VALUES, PARCH_SHARE = [0, 1, 2, 3, 4, 5, 6], [0.761, 0.132, 0.09, 0.006, 0.004, 0.006, 0.001]


def cabin_pool() -> np.ndarray:
    """~150 cabin labels (deck letter + number), fixed whatever the seed, like the real ones."""
    rng = np.random.default_rng(20_240_415)
    decks = rng.choice(
        list("ABCDEFGT"), size=165, p=[0.07, 0.24, 0.29, 0.16, 0.16, 0.06, 0.01, 0.01]
    )
    numbers = rng.integers(1, 149, size=165)
    return np.unique(np.char.add(decks.astype(str), numbers.astype(str))).astype(object)


CABINS = cabin_pool()
CABIN_WEIGHTS = 1.0 / np.arange(1, len(CABINS) + 1) ** 0.6
CABIN_WEIGHTS /= CABIN_WEIGHTS.sum()


def make_block(block: int, n_rows: int, first_id: int, seed: int) -> pd.DataFrame:
    """Rows first_id .. first_id + n_rows - 1, from the generator (seed, block)."""
    rng = np.random.default_rng([seed, block])
    pclass = rng.choice([1, 2, 3], size=n_rows, p=CLASS_SHARE)
    female = rng.random(n_rows) < np.where(pclass == 3, 0.29, 0.43)
    age = np.clip(rng.normal(AGE_MEAN_BY_CLASS[pclass - 1], 13.5), 0.42, 80.0)
    age = np.where(age < 1, np.round(age, 2), np.round(age))
    sibsp = rng.choice(SIBSP_VALUES, size=n_rows, p=SIBSP_SHARE)
    parch = rng.choice(PARCH_VALUES, size=n_rows, p=PARCH_SHARE)
    fare = FARE_MEDIAN_BY_CLASS[pclass - 1] * np.exp(rng.normal(0.0, 0.55, n_rows))
    fare = np.round(fare * (1 + 0.35 * (sibsp + parch)), 4)
    has_cabin = rng.random(n_rows) >= CABIN_MISSING_BY_CLASS[pclass - 1]
    embarked_code = rng.choice(3, size=n_rows, p=EMBARKED_SHARE)
    logit = (
        -1.45
        + 2.5 * female
        - 0.95 * (pclass - 2)
        - 0.035 * (age - 30)
        - 0.35 * sibsp
        - 0.1 * parch
        + 0.004 * np.minimum(fare, 200)
        + 0.55 * has_cabin
        + 0.35 * (embarked_code == 1)
    )
    survived = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    age_missing = rng.random(n_rows) < AGE_MISSING
    cabin = rng.choice(CABINS, size=n_rows, p=CABIN_WEIGHTS)
    embarked_missing = rng.random(n_rows) < EMBARKED_MISSING
    ids = np.arange(first_id, first_id + n_rows)
    title = np.where(female, np.where(rng.random(n_rows) < 0.55, "Mrs", "Miss"), "Mr")
    title = np.where(~female & (age < 13), "Master", title)
    return pd.DataFrame(
        {
            "PassengerId": ids,
            "Survived": survived,
            "Pclass": pclass,
            "Name": pd.Series(ids % 9973)
            .astype(str)
            .radd("Surname")
            .str.cat(pd.Series(title), sep=", ")
            + ". Given"
            + pd.Series(ids % 211).astype(str),
            "Sex": np.where(female, "female", "male"),
            "Age": np.where(age_missing, np.nan, age),
            "SibSp": sibsp,
            "Parch": parch,
            "Ticket": pd.Series(np.where(rng.random(n_rows) < 0.1, "PC ", "")).str.cat(
                pd.Series(rng.integers(1000, 3_999_999, size=n_rows)).astype(str)
            ),
            "Fare": fare,
            "Cabin": pd.Series(cabin).where(has_cabin),
            "Embarked": pd.Series(EMBARKED[embarked_code]).where(~embarked_missing),
        },
        columns=COLUMNS,
    )


def write_data(rows: int, seed: int, out: Path | str, progress: bool = False) -> Path:
    """Write `rows` synthetic rows to `out` in blocks; the file appears only when complete."""
    if rows < 1:
        raise ValueError("--rows must be at least 1")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    started = time.monotonic()
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            for block, first in enumerate(range(0, rows, BLOCK_ROWS)):
                n_rows = min(BLOCK_ROWS, rows - first)
                frame = make_block(block, n_rows, first + 1, seed)
                frame.to_csv(stream, header=block == 0, index=False, lineterminator="\n")
                if progress and (block + 1) % 10 == 0:
                    elapsed = time.monotonic() - started
                    print(
                        f"make_data: {first + n_rows:,}/{rows:,} rows, {elapsed:.0f}s", flush=True
                    )
        os.chmod(name, 0o644)
        os.replace(name, out)
    finally:
        Path(name).unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="number of data rows")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    started = time.monotonic()
    path = write_data(args.rows, args.seed, args.out, progress=True)
    size = path.stat().st_size / 2**20
    print(
        f"make_data: wrote {args.rows:,} rows to {path} ({size:.1f} MiB) in "
        f"{time.monotonic() - started:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
