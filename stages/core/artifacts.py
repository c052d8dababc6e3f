"""The one place that knows where artifacts live and how they are read and written.

Every write goes to a temporary file in the target's folder and is renamed into place, so
a stage that fails or is killed never leaves a half-written output; and every writer is
deterministic (no timestamps, sorted keys), so the same inputs give byte-identical files
and DVC never reruns or re-caches for nothing.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from stages.core.errors import DataError, PipelineError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

SPLIT_DIR = Path("data/split")
FEATURED_DIR = Path("data/featured")
IMPUTED_DIR = Path("data/imputed")
ENCODED_DIR = Path("data/encoded")
SCALED_DIR = Path("data/scaled")
SCORED_DIR = Path("data/scored")
MODELS_DIR = Path("models")
METRICS_DIR = Path("metrics")
PLOTS_DIR = Path("plots")
IMAGES_DIR = PLOTS_DIR / "images"

FEATURIZER_PATH = MODELS_DIR / "featurizer.joblib"
IMPUTER_PATH = MODELS_DIR / "imputer.joblib"
ENCODER_PATH = MODELS_DIR / "encoder.joblib"
SCALER_PATH = MODELS_DIR / "scaler.joblib"
MODEL_PATH = MODELS_DIR / "model.joblib"
METRICS_PATH = METRICS_DIR / "metrics.json"
SEARCH_PATH = MODELS_DIR / "search.json"

COEFFICIENTS_PATH = PLOTS_DIR / "coefficients.csv"
REPORT_PATH = Path("reports/report.md")
# What `python -m stages.predict --output` wrote (path → sha256), so a later run may replace
# its own earlier output without --overwrite. Local state: git-ignored, never a DVC output.
WRITTEN_PATH = Path(".pipeline/written.json")
# sha256 of large inputs by (path, size, mtime, inode), so evaluate and predict need not
# re-read a 700 MB training CSV to know it is unchanged. Local state, like WRITTEN_PATH.
DIGESTS_PATH = Path(".pipeline/digests.json")

# The fitted artifacts, in the order new rows go through them.
FITTED_PATHS = {
    "featurize": FEATURIZER_PATH,
    "impute": IMPUTER_PATH,
    "encode": ENCODER_PATH,
    "scale": SCALER_PATH,
    "train": MODEL_PATH,
}
FIX = "run `dvc checkout --force` or `dvc repro`"
# Key of the split tables' Parquet metadata that says what they were made from.
SOURCE_KEY = b"pipeline.source"

SPLITS = ("train", "test")
# Parquet codec between stages. Measured at 750k rows (split, imputed, scaled and scored
# tables; write + read + DVC's md5 of the file): lz4 took 0.6-0.8x zstd's time for files
# ~1.3x larger; none was as fast but ~1.7x larger (more for DVC to hash and cache).
# Every codec is deterministic: same table, same bytes.
PARQUET_CODEC: Final = "lz4"
# No min/max statistics (nothing here filters row groups by them), and dictionary encoding
# only for text and categorical columns: on numbers pyarrow tries a dictionary, finds too
# many distinct values and falls back, for nothing. 750k rows: writes 20-35 % faster,
# files ~20 % larger (benchmarks/README.md, fifth session).
PARQUET_STATISTICS: Final = False


def table_path(folder: Path, split: str) -> Path:
    """Where a stage's table for one split lives, e.g. data/imputed/train.parquet."""
    return folder / f"{split}.parquet"


def plot_path(split: str, curve: str) -> Path:
    """Where one split's plot data lives, e.g. plots/test/roc.csv (DVC renders these)."""
    return PLOTS_DIR / split / f"{curve}.csv"


def image_path(name: str) -> Path:
    """Where a static PNG lives, e.g. plots/images/roc.png (for offline eyes and reports)."""
    return IMAGES_DIR / f"{name}.png"


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to `target`; rename it over `target` only on success.

    A failed write (disk full, no permission) leaves the previous file as it was, removes
    the temporary file and becomes one line naming the target.
    """
    target = Path(target)
    temporary: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(handle)
        temporary = Path(name)
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as error:
        raise write_error(target, error) from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def write_error(target: Path, error: OSError) -> PipelineError:
    """One line for a write that failed for a reason outside the pipeline (disk, rights)."""
    text = str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in text:
        reason = "no space left on device"
    else:
        reason = (error.strerror or text or type(error).__name__).lower()
    return PipelineError(f"{target}: cannot write: {reason}; the previous file is unchanged")


def file_sha256(path: Path | str) -> str:
    """The file's sha256 (hex), read in chunks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def cached_sha256(path: Path | str) -> str:
    """The file's sha256, reused while its size, modification time (ns) and inode are those
    it was computed for (DVC trusts the same triple for its own hashes); else recomputed
    and remembered in DIGESTS_PATH. Failing to remember costs time, never correctness."""
    stat = os.stat(path)
    key = str(Path(path).resolve())
    stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    try:
        known = json.loads(DIGESTS_PATH.read_text(encoding="utf-8"))
        entry = known.get(key) if isinstance(known, dict) else None
    except (OSError, ValueError):
        known, entry = {}, None
    if isinstance(entry, dict) and entry.get("stat") == stamp:
        return str(entry["sha256"])
    digest = file_sha256(path)
    known = known if isinstance(known, dict) else {}
    known[key] = {"stat": stamp, "sha256": digest}
    with contextlib.suppress(PipelineError):
        write_text(json.dumps(known, indent=1, sort_keys=True) + "\n", DIGESTS_PATH)
    return digest


def _unreadable(path: Path, what: str) -> DataError:
    return DataError(
        f"{path}: cannot be read as {what} (damaged or not made by this pipeline); {FIX}"
    )


def write_table(
    frame: pd.DataFrame, path: Path | str, source: dict[str, Any] | None = None
) -> None:
    """Parquet keeps dtypes (categories included) across stages, unlike CSV.

    `source` (the split tables only) goes into the file's metadata: what the table was made
    from, so whoever fits on it can record that too (stages.core.fitted).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic_path(path) as temporary:
        table = pa.Table.from_pandas(frame, preserve_index=True)
        if source is not None:
            metadata = {**(table.schema.metadata or {}), SOURCE_KEY: json.dumps(source).encode()}
            table = table.replace_schema_metadata(metadata)
        pq.write_table(
            table,
            temporary,
            compression=PARQUET_CODEC,
            use_dictionary=_dictionary_columns(table.schema),
            write_statistics=PARQUET_STATISTICS,
        )


def _dictionary_columns(schema: Any) -> list[str]:
    """The text and categorical columns: those worth Parquet's dictionary encoding."""
    import pyarrow as pa

    kinds = (pa.types.is_dictionary, pa.types.is_string, pa.types.is_large_string)
    return [field.name for field in schema if any(kind(field.type) for kind in kinds)]


def write_tables(tables: Mapping[Path, pd.DataFrame], source: dict[str, Any] | None = None) -> None:
    """`write_table` for each (path, frame), all at once on threads: pyarrow converts,
    encodes and compresses without holding the GIL, so a stage's train and test tables are
    written side by side on two cores (750k + 250k rows: ~25 % less wall time). Each file
    is still atomic; the first error is raised once every write has ended."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(len(tables), 1)) as pool:
        writes = [pool.submit(write_table, frame, path, source) for path, frame in tables.items()]
    for write in writes:
        write.result()


def read_source(path: Path | str) -> dict[str, Any] | None:
    """The `source` a table was written with (None: none), from its metadata only."""
    metadata = _parquet_schema(path).metadata or {}
    try:
        return json.loads(metadata[SOURCE_KEY]) if SOURCE_KEY in metadata else None
    except ValueError:  # not JSON, or not UTF-8: a damaged or foreign file
        raise _unreadable(Path(path), "Parquet") from None


def read_table(path: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """The table (row labels kept); with `columns`, only those of them the file has.

    Reading only the needed columns skips the raw file's unused ones (long text columns
    at 1M+ rows cost seconds and hundreds of MB); a needed column that is absent is left
    for the caller's contract check to report by name.
    """
    import pandas as pd

    path = _produced(path)
    if columns is not None:
        present = set(_parquet_schema(path).names)
        columns = [column for column in columns if column in present]
    try:
        return pd.read_parquet(path, engine="pyarrow", columns=columns)
    except Exception:  # a truncated or foreign file: pyarrow raises many kinds
        raise _unreadable(path, "Parquet") from None


def empty_table(path: Path | str) -> pd.DataFrame:
    """The table's columns, dtypes and index with no rows, from its Parquet schema alone."""
    frame: pd.DataFrame = _parquet_schema(path).empty_table().to_pandas()
    return frame


def copy_tables(pairs: Mapping[Path, Path]) -> None:
    """Each (source, destination) file copied byte for byte, atomically: a stage that
    passes a table through unchanged writes it without decoding and encoding it again."""
    import shutil

    for source, destination in pairs.items():
        produced = _produced(source)
        with atomic_path(destination) as temporary:
            shutil.copyfile(produced, temporary)


def table_columns(path: Path | str) -> list[str]:
    """The column names of a table, from its Parquet schema (no data read)."""
    names = _parquet_schema(path).names
    return [name for name in names if not name.startswith("__index")]


def _produced(path: Path | str) -> Path:
    """`path`, which a stage writes: its absence says which command makes it."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: not found; run the stage that writes it (dvc repro)")
    return path


def _parquet_schema(path: Path | str) -> Any:
    """A stage's table's Parquet schema (footer only), or one line if it is absent or damaged."""
    import pyarrow.parquet as pq

    path = _produced(path)
    try:
        return pq.read_schema(path)
    except Exception:  # a truncated or foreign file: pyarrow raises many kinds
        raise _unreadable(path, "Parquet") from None


def write_object(obj: Any, path: Path | str) -> None:
    """Fitted transformers and models, with joblib (numpy arrays stored efficiently)."""
    import joblib

    with atomic_path(path) as temporary:
        joblib.dump(obj, temporary, compress=3)


def write_fitted(obj: Any, path: Path | str, record: dict[str, Any]) -> None:
    """A fitted step with the record of what it was fitted with (stages.core.fitted)."""
    write_object({"fitted_with": record, "object": obj}, path)


def read_fitted(path: Path | str) -> tuple[Any, dict[str, Any] | None]:
    """A fitted step and its record (None: written before records existed)."""
    stored = read_object(path)
    if isinstance(stored, dict) and set(stored) == {"fitted_with", "object"}:
        return stored["object"], stored["fitted_with"]
    return stored, None


def read_object(path: Path | str) -> Any:
    import joblib

    path = _produced(path)
    try:
        return joblib.load(path)
    except Exception:  # unpickling garbage raises almost anything
        raise _unreadable(path, "a fitted object") from None


def write_json(data: Any, path: Path | str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def read_json(path: Path | str) -> Any:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: not found; run `dvc repro` first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(f"{path}: not valid JSON (line {error.lineno}); {FIX}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not valid JSON (not UTF-8 text); {FIX}") from None


def write_csv(frame: pd.DataFrame, path: Path | str) -> None:
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False, lineterminator="\n")


def write_chunks(chunks: Iterable[bytes], path: Path | str) -> None:
    """Encoded text arriving in chunks, written as it comes (never held whole)."""
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)


def write_text(text: str, path: Path | str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_figure(figure: Figure, path: Path | str) -> None:
    """A matplotlib figure as PNG, without the version stamp, so reruns are byte-identical."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100, metadata={"Software": None})


def read_yaml(path: Path | str) -> Any:
    """A YAML file of DVC's (dvc.yaml, a `*.dvc` file) as plain data, or None if it cannot be
    read or parsed: the callers decide whether that is an error. libyaml's loader when
    installed: dvc.yaml is read by several stages per run."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
