"""No data loss, no silent wrong result: predict's output guard, stale artifacts, failed
writes, damaged artifacts, library warnings, and predictions in the user's own labels."""

from __future__ import annotations

import errno
import hashlib
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stages.core import artifacts
from stages.core.artifacts import FITTED_PATHS, read_fitted
from stages.core.cli import run_cli
from stages.core.errors import PipelineError
from stages.core.fitted import first_difference
from tests.conftest import Cli
from tests.helpers import HEADER, ROW, assert_one_line_error

PROTECTED = {
    "params.yaml": "is the params file",
    "dvc.yaml": "is DVC's dvc.yaml",
    "dvc.lock": "is DVC's dvc.lock",
    "data/titanic.csv": "is a dependency of DVC stage 'split'",
    "data/titanic_unlabeled.csv": "is a dependency of DVC stage 'predict'",
    "metrics/metrics.json": "is an output of DVC stage 'evaluate'",
    "data/split/train.parquet": "is an output of DVC stage 'split'",
    "models/model.joblib": "is an output of DVC stage 'train'",
    "plots/new.csv": "is an output of DVC stage 'evaluate'",
    ".git/config": "is inside .git/",
    "data/../.git/config": "is inside .git/",
    ".dvc/config": "is inside .dvc/",
    "stages/core/params.py": "is a dependency of DVC stage 'split'",
    "link-to-params.yaml": "is the params file",
}


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def predict(cli: Cli, project: Path, *args: str):
    (project / "new.csv").write_text(f"{HEADER}\n{ROW}\n")
    return cli("predict", project, "--input", "new.csv", *args)


def set_param(project: Path, old: str, new: str) -> None:
    params = project / "params.yaml"
    text = params.read_text()
    assert old in text
    params.write_text(text.replace(old, new))


# --- 1. the output guard ------------------------------------------------------------------


def test_predict_never_writes_over_the_project(reproduced_copy: Path, cli: Cli) -> None:
    """Even with --overwrite: params, DVC's files, outputs and deps, .git/, .dvc/, links."""
    (reproduced_copy / "link-to-params.yaml").symlink_to("params.yaml")
    for output, message in PROTECTED.items():
        before = sha(reproduced_copy / output)
        for flags in ([], ["--overwrite"]):
            result = predict(cli, reproduced_copy, "--output", output, *flags)
            assert_one_line_error(result, f"error: --output {output} {message}; choose another")
            assert sha(reproduced_copy / output) == before, output
    assert not (reproduced_copy / "plots/new.csv").exists()


def test_a_file_tracked_by_a_dvc_file_is_refused(reproduced_copy: Path, cli: Cli) -> None:
    extra = reproduced_copy / "data/extra.csv"
    extra.write_text("a,b\n1,2\n")
    (reproduced_copy / "data/extra.csv.dvc").write_text(
        "outs:\n- md5: 0\n  path: extra.csv\n  hash: md5\n"
    )
    result = predict(cli, reproduced_copy, "--output", "data/extra.csv", "--overwrite")
    assert_one_line_error(result, "data/extra.csv is tracked by DVC (extra.csv.dvc)")
    assert extra.read_text() == "a,b\n1,2\n"


def test_existing_file_needs_overwrite_unless_predict_wrote_it(
    reproduced_copy: Path, cli: Cli
) -> None:
    mine = reproduced_copy / "notes.csv"
    mine.write_text("my,own\n")
    result = predict(cli, reproduced_copy, "--output", "notes.csv")
    assert_one_line_error(
        result,
        "--output notes.csv already exists and is not an unchanged file predict wrote; "
        "pass --overwrite to replace it",
    )
    assert mine.read_text() == "my,own\n"
    assert predict(cli, reproduced_copy, "--output", "notes.csv", "--overwrite").returncode == 0
    # Written by predict and unchanged since: a rerun may replace it without --overwrite.
    assert predict(cli, reproduced_copy, "--output", "notes.csv").returncode == 0
    registry = (reproduced_copy / ".pipeline/written.json").read_text()
    assert str(mine.resolve()) in registry
    # Edited by the user since: no longer predict's own.
    mine.write_text(mine.read_text() + "edited\n")
    assert predict(cli, reproduced_copy, "--output", "notes.csv").returncode == 2
    assert mine.read_text().endswith("edited\n")


def test_the_stage_rewrites_its_own_output(reproduced_copy: Path, cli: Cli) -> None:
    """`python -m stages.predict` with no arguments, over the predictions DVC restored."""
    (reproduced_copy / ".pipeline/written.json").unlink(missing_ok=True)
    before = sha(reproduced_copy / "data/predictions.csv")
    result = cli("predict", reproduced_copy)
    assert result.returncode == 0, result.stderr
    assert sha(reproduced_copy / "data/predictions.csv") == before


# --- 2. stale artifacts -------------------------------------------------------------------


def test_records_hold_exactly_the_params_each_stage_lists_in_dvc_yaml(reproduced: Path) -> None:
    stages = yaml.safe_load((reproduced / "dvc.yaml").read_text())["stages"]
    for stage in ("featurize", "impute", "encode", "scale", "train"):
        path = reproduced / FITTED_PATHS[stage]
        _, record = read_fitted(path)
        assert record is not None and record["stage"] == stage
        assert list(record["params"]) == stages[stage]["params"], stage
        if stage in ("featurize", "train"):
            assert list(record["source"]["params"]) == stages["split"]["params"]


def test_changed_params_stop_predict_and_evaluate(reproduced_copy: Path, cli: Cli) -> None:
    set_param(reproduced_copy, "C: 1.0e+12", "C: 0.1")
    metrics = sha(reproduced_copy / "metrics/metrics.json")
    expected = (
        "error: models/model.joblib was fitted with train.C=1e+12, params.yaml now says "
        "train.C=0.1; run `dvc repro` (or pass --allow-stale)"
    )
    assert_one_line_error(predict(cli, reproduced_copy, "--output", "out.csv"), expected)
    assert not (reproduced_copy / "out.csv").exists()
    assert_one_line_error(cli("evaluate", reproduced_copy), expected)
    assert sha(reproduced_copy / "metrics/metrics.json") == metrics

    allowed = predict(cli, reproduced_copy, "--output", "out.csv", "--allow-stale")
    assert allowed.returncode == 0
    assert allowed.stderr == (
        "warning: models/model.joblib was fitted with train.C=1e+12, params.yaml now says "
        "train.C=0.1; using it anyway (--allow-stale)\n"
    )
    assert (reproduced_copy / "out.csv").read_text().startswith("PassengerId,Survived,prob")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "numeric: [Pclass, Age, SibSp, Fare]",
            "numeric: [Pclass, Age, Fare]",
            'models/featurizer.joblib was fitted with features.numeric=["Pclass", "Age", '
            '"SibSp", "Fare"], params.yaml now says features.numeric=["Pclass", "Age", "Fare"]',
        ),
        (
            "method: minmax",
            "method: standard",
            "models/scaler.joblib was fitted with scale.method=minmax, params.yaml now says "
            "scale.method=standard",
        ),
        (
            "test_size: 0.25",
            "test_size: 0.3",
            "models/featurizer.joblib was fitted with split.test_size=0.25, params.yaml now "
            "says split.test_size=0.3",
        ),
    ],
)
def test_the_first_stale_key_is_named(
    reproduced_copy: Path, cli: Cli, old: str, new: str, message: str
) -> None:
    set_param(reproduced_copy, old, new)
    assert_one_line_error(predict(cli, reproduced_copy, "--output", "out.csv"), message)


def test_changed_training_data_stops_predict(reproduced_copy: Path, cli: Cli) -> None:
    raw = reproduced_copy / "data/titanic.csv"
    raw.write_text(raw.read_text().replace(",22,1,0,", ",23,1,0,", 1))
    result = predict(cli, reproduced_copy, "--output", "out.csv")
    assert_one_line_error(
        result,
        "models/featurizer.joblib was fitted on data/titanic.csv with sha256 7d118fef8b6c…, "
        "the file now has ",
    )


def test_artifacts_from_before_records_are_stale(reproduced_copy: Path, cli: Cli) -> None:
    monkey = artifacts.read_fitted(reproduced_copy / "models/scaler.joblib")[0]
    artifacts.write_object(monkey, reproduced_copy / "models/scaler.joblib")
    result = predict(cli, reproduced_copy, "--output", "out.csv")
    assert_one_line_error(
        result, "models/scaler.joblib records no params (written by an older version"
    )


def test_difference_names_added_and_removed_keys() -> None:
    assert first_difference({"a": {"b": 1}}, {"a": {"b": 1}}) is None
    assert first_difference({"a": {"b": 1}}, {"a": {"b": 1, "c": "x"}}) == ("a.c", "(not set)", "x")
    assert first_difference({"a": 1.0}, {"a": 1}) == ("a", "1", "1")  # a type change counts


# --- 3. failed writes, damaged artifacts, warnings ----------------------------------------


def test_disk_full_is_one_line_and_keeps_the_previous_file(
    reproduced_copy: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert predict(cli, reproduced_copy, "--output", "out.csv").returncode == 0
    before = sha(reproduced_copy / "out.csv")

    def full(self: pd.DataFrame, path: str, **kwargs: object) -> None:
        Path(path).write_text("half a fi")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    result = predict(cli, reproduced_copy, "--output", "out.csv")
    assert_one_line_error(
        result, "error: out.csv: cannot write: no space left on device; the previous file"
    )
    assert sha(reproduced_copy / "out.csv") == before
    assert not list(reproduced_copy.glob("*.tmp")) and not list(reproduced_copy.glob(".out*"))


def test_write_to_a_full_device_is_one_line(tmp_path: Path) -> None:
    """A real ENOSPC from the kernel (/dev/full), through the atomic writer."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def to_full(frame: pd.DataFrame, path: Path, **kwargs: object) -> None:
        with open("/dev/full", "w") as handle:
            frame.to_csv(handle)
            handle.flush()

    with (
        pytest.raises(PipelineError, match=r"table\.csv: cannot write: no space left on device"),
        artifacts.atomic_path(target) as temporary,
    ):
        to_full(pd.DataFrame({"a": range(10)}), temporary)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


@pytest.mark.parametrize(
    ("path", "stage", "damage", "message"),
    [
        (
            "models/model.joblib",
            "predict",
            b"not a pickle",
            "models/model.joblib: cannot be read as a fitted object",
        ),
        ("models/encoder.joblib", "predict", b"", "models/encoder.joblib: cannot be read as"),
        (
            "data/scaled/train.parquet",
            "evaluate",
            None,
            "data/scaled/train.parquet: cannot be read as Parquet",
        ),
        ("models/search.json", "evaluate", b'{"enabled": fa', "models/search.json: not valid JSON"),
    ],
)
def test_damaged_artifact_is_one_line_naming_the_fix(
    reproduced_copy: Path, cli: Cli, path: str, stage: str, damage: bytes | None, message: str
) -> None:
    file = reproduced_copy / path
    content = file.read_bytes()
    file.unlink()  # may be a link into DVC's cache: never write through it
    file.write_bytes(content[:300] if damage is None else damage)  # None: truncated
    args = ["--input", "new.csv", "--output", "out.csv"] if stage == "predict" else []
    (reproduced_copy / "new.csv").write_text(f"{HEADER}\n{ROW}\n")
    result = cli(stage, reproduced_copy, *args)
    assert_one_line_error(result, message, "run `dvc checkout --force` or `dvc repro`")


@pytest.mark.parametrize(
    ("stage", "split", "tamper", "message"),
    [
        ("evaluate", "test", "drop", "missing column 'Fare' (written by scale)"),
        ("evaluate", "test", "relabel", "column 'Survived' holds 2 where split writes 0 or 1"),
        ("train", "train", "drop", "missing column 'Fare' (written by scale)"),
    ],
)
def test_a_replaced_scaled_table_is_named_before_anything_is_written(
    reproduced_copy: Path, cli: Cli, stage: str, split: str, tamper: str, message: str
) -> None:
    """A valid Parquet file that is not what scale wrote (a column gone, a target that is
    not 0/1): one line naming it, and the stage's outputs left as they were."""
    file = reproduced_copy / f"data/scaled/{split}.parquet"
    table = pd.read_parquet(file)
    table = table.drop(columns="Fare") if tamper == "drop" else table.assign(Survived=2)
    file.unlink()  # may be a link into DVC's cache: never write through it
    table.to_parquet(file)
    outputs = ["data/scored/train.parquet", "metrics/metrics.json", "models/model.joblib"]
    before = {name: (reproduced_copy / name).read_bytes() for name in outputs}
    result = cli(stage, reproduced_copy)
    assert_one_line_error(result, f"data/scaled/{split}.parquet: {message}")
    assert {name: (reproduced_copy / name).read_bytes() for name in outputs} == before


def test_library_warnings_become_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    from sklearn.exceptions import UndefinedMetricWarning

    def main(argv: list[str] | None) -> None:
        warnings.warn("Precision is\n ill-defined", UndefinedMetricWarning, stacklevel=1)
        np.array([1e308]) * 10  # numpy: overflow encountered in multiply

    run_cli(main, [])
    assert capsys.readouterr().err.splitlines() == [
        "warning: Precision is ill-defined (UndefinedMetricWarning)",
        "warning: overflow encountered in multiply (RuntimeWarning)",
    ]


# --- 4. the user's own labels -------------------------------------------------------------


def test_split_records_both_labels_with_the_model(reproduced: Path) -> None:
    record = artifacts.read_fitted(reproduced / "models/model.joblib")[1]
    assert record["source"]["labels"] == {"negative": 0, "positive": 1}
    assert record["source"]["path"] == "data/titanic.csv"
    assert record["params"]["train"]["C"] == 1e12


def test_original_labels_are_the_default_output_for_titanic(
    reproduced_copy: Path, cli: Cli
) -> None:
    binary = (reproduced_copy / "data/predictions.csv").read_text()
    set_param(reproduced_copy, "labels: binary", "labels: original")
    assert cli("predict", reproduced_copy).returncode == 0
    assert (reproduced_copy / "data/predictions.csv").read_text() == binary


def test_the_training_file_digest_is_remembered_and_refreshed_on_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """evaluate/predict check the training CSV's sha256 without re-reading an unchanged
    file; a changed file (new size or mtime) is hashed again, so staleness is still seen."""
    import hashlib
    import json

    from stages.core.artifacts import DIGESTS_PATH, cached_sha256

    monkeypatch.chdir(tmp_path)
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    assert cached_sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
    remembered = json.loads(DIGESTS_PATH.read_text())
    remembered[str(data.resolve())]["sha256"] = "0" * 64  # proof the file is not re-read
    DIGESTS_PATH.write_text(json.dumps(remembered))
    assert cached_sha256(data) == "0" * 64
    modified = data.stat().st_mtime_ns + 10**9  # written within one clock tick: set it
    data.write_text("a,b\n1,3\n")  # same size, new content
    os.utime(data, ns=(modified, modified))
    assert cached_sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
    DIGESTS_PATH.write_text("not json")  # a damaged cache is ignored, then rewritten
    assert cached_sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
