"""What evaluate leaves for people: plot data, PNGs, the report, and comparable experiments."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stages.lib.plot_data import (
    calibration_table,
    coefficient_table,
    confusion_table,
    precision_recall_table,
    roc_table,
)
from tests.conftest import PIPELINE_STAGES, lock_hashes, ran_stages, run

PLOT_IDS = {"roc", "precision_recall", "confusion", "calibration", "coefficients"}
IMAGES = {"roc", "precision_recall", "confusion", "calibration", "coefficients"}


def scored_frame(actual: list[int], probability: list[float]) -> pd.DataFrame:
    probability_array = np.asarray(probability)
    return pd.DataFrame(
        {
            "actual": actual,
            "probability": probability_array,
            "predicted": (probability_array >= 0.5).astype("int8"),
        }
    )


def metrics_of(project: Path) -> dict:
    return json.loads((project / "metrics/metrics.json").read_text())


def has_row(markdown: str, *cells: str) -> bool:
    """Whether a markdown table row starts with these cells (DVC pads them with spaces)."""
    pattern = r"^\|" + "".join(rf"\s*{re.escape(cell)}\s*\|" for cell in cells)
    return re.search(pattern, markdown, flags=re.MULTILINE) is not None


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG header, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# --- the tables, on data small enough to check by hand ---------------------------------


def test_calibration_bins_hold_counts_means_and_skip_empty_bins() -> None:
    scored = scored_frame([0, 1, 1, 0, 1], [0.05, 0.15, 0.95, 0.12, 1.0])
    table = calibration_table(scored, bins=10)
    assert table["bin_low"].tolist() == [0.0, 0.1, 0.9]
    assert table["count"].tolist() == [1, 2, 2]
    assert table["mean_predicted"].tolist() == pytest.approx([0.05, 0.135, 0.975])
    assert table["fraction_positive"].tolist() == [0.0, 0.5, 1.0]
    assert table["bin_high"].tolist() == [0.1, 0.2, 1.0]


def test_roc_and_pr_tables_are_finite_and_span_the_curve() -> None:
    scored = scored_frame([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.7, 0.9])
    roc = roc_table(scored)
    assert (roc.iloc[0]["fpr"], roc.iloc[0]["tpr"]) == (0.0, 0.0)
    assert (roc.iloc[-1]["fpr"], roc.iloc[-1]["tpr"]) == (1.0, 1.0)
    assert np.isfinite(roc.to_numpy()).all()
    assert roc["threshold"].max() == 1.0
    pr = precision_recall_table(scored)
    assert list(pr.columns) == ["recall", "precision", "threshold"]
    assert (pr.iloc[-1]["recall"], pr.iloc[-1]["precision"], pr.iloc[-1]["threshold"]) == (
        0.0,
        1.0,
        1.0,
    )


def test_confusion_table_is_one_row_per_example() -> None:
    scored = scored_frame([0, 1, 1], [0.9, 0.2, 0.6])
    assert confusion_table(scored).to_dict("list") == {"actual": [0, 1, 1], "predicted": [1, 0, 1]}


def test_a_classifier_without_coefficients_gives_an_empty_table() -> None:
    class Model:
        named_steps = {"classifier": object()}  # noqa: RUF012 - a stand-in

    table = coefficient_table(Model())
    assert list(table.columns) == ["feature", "coefficient"]
    assert table.empty


# --- on the real pipeline ---------------------------------------------------------------


def test_plot_data_agrees_with_the_metrics(reproduced: Path) -> None:
    metrics = metrics_of(reproduced)
    for split in ("train", "test"):
        folder = reproduced / "plots" / split
        confusion = pd.read_csv(folder / "confusion.csv")
        counts = pd.crosstab(confusion["actual"], confusion["predicted"])
        expected = metrics[split]
        assert (counts.loc[1, 1], counts.loc[0, 1]) == (expected["tp"], expected["fp"])
        assert (counts.loc[0, 0], counts.loc[1, 0]) == (expected["tn"], expected["fn"])
        roc = pd.read_csv(folder / "roc.csv")
        area = float(
            np.sum(
                np.diff(roc["fpr"]) * (roc["tpr"][1:].to_numpy() + roc["tpr"][:-1].to_numpy()) / 2
            )
        )
        assert area == pytest.approx(expected["roc_auc"], abs=1e-9)
        calibration = pd.read_csv(folder / "calibration.csv")
        assert calibration["count"].sum() == expected["n"]
        positives = (calibration["fraction_positive"] * calibration["count"]).sum()
        assert positives == pytest.approx(expected["tp"] + expected["fn"])
    coefficients = pd.read_csv(reproduced / "plots/coefficients.csv")
    assert len(coefficients) > 10
    assert coefficients["coefficient"].abs().max() > 0
    assert not coefficients["feature"].duplicated().any()


def test_png_images_exist_and_are_drawn(reproduced: Path) -> None:
    from matplotlib.image import imread

    images = reproduced / "plots/images"
    assert {path.stem for path in images.glob("*.png")} == IMAGES
    assert png_size(images / "roc.png") == (500, 500)
    assert png_size(images / "confusion.png")[0] == 800  # two panels side by side
    for path in images.glob("*.png"):
        pixels = imread(path)[..., :3]
        assert pixels.std() > 0.05, f"{path.name} looks blank"
        colored = np.abs(pixels - pixels.mean(axis=-1, keepdims=True)).max(axis=-1) > 0.2
        assert colored.mean() > 0.005, f"{path.name} has no colored marks"


def test_fresh_clone_after_repro_shows_plots_diffs_them_checks_and_reports(
    tmp_path: Path, reproduced: Path
) -> None:
    """The README's promise on a new machine: clone, `make repro`, then look and gate.

    The clone has no outputs and an empty cache, so every stage runs (`--force` makes that
    explicit): dvc.lock comes out byte-identical, so the pipeline is deterministic. This is
    the suite's one full rerun of the pipeline.
    """
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(reproduced), str(clone)], tmp_path)
    assert not (clone / "models").exists() or not any((clone / "models").glob("*.joblib"))
    rebuilt = run(["dvc", "repro", "--force"], clone)
    assert ran_stages(rebuilt.stdout) == list(PIPELINE_STAGES)
    assert lock_hashes(clone) == lock_hashes(reproduced)  # rebuilt from nothing, the same bytes
    assert (clone / "dvc.lock").read_text() == (reproduced / "dvc.lock").read_text()
    assert run(["git", "status", "--porcelain"], clone).stdout == ""

    shown = json.loads(run(["dvc", "plots", "show", "--json"], clone).stdout)
    assert "errors" not in shown or not shown["errors"]
    assert set(shown["data"]) == PLOT_IDS
    roc_rows = shown["data"]["roc"][0]["content"]["data"]["values"]
    assert {row["filename"] for row in roc_rows} == {"train/roc.csv", "test/roc.csv"}
    html = run(["dvc", "plots", "show", "-o", str(tmp_path / "html")], clone)
    assert (tmp_path / "html/index.html").is_file(), html.stdout
    assert "confusion" in (tmp_path / "html/index.html").read_text()

    diffed = json.loads(run(["dvc", "plots", "diff", "HEAD", "workspace", "--json"], clone).stdout)
    assert set(diffed["data"]) == PLOT_IDS
    assert set(diffed["data"]["confusion"][0]["revisions"]) == {"HEAD", "workspace"}

    gate = run([sys.executable, "-m", "stages.check"], clone)
    assert gate.stdout.splitlines()[-1] == "gate: pass: all 5 thresholds hold"
    run([sys.executable, "-m", "stages.report"], clone)
    report = (clone / "reports/report.md").read_text()
    assert "**gate: pass: all 5 thresholds hold**" in report
    assert "| accuracy | 0.848802 | 0.784753 |" in report
    assert "No metrics changed." in report
    assert "![ROC curve](../plots/images/roc.png)" in report


def test_changing_train_c_reruns_only_the_model_and_the_report_shows_what_changed(
    reproduced_copy: Path,
) -> None:
    """A `train.C` change: the report marks the gate stale until `dvc repro`, which reruns
    train, evaluate and predict only; the report then diffs metrics and params against HEAD."""
    params = reproduced_copy / "params.yaml"
    params.write_text(params.read_text().replace("C: 1.0e+12", "C: 0.1"))
    stale = run([sys.executable, "-m", "stages.report"], reproduced_copy).stdout
    assert stale == "report: wrote reports/report.md\n"
    report = (reproduced_copy / "reports/report.md").read_text()
    assert (
        "**gate: not judged**: models/model.joblib was fitted with train.C=1e+12, params.yaml "
        "now says train.C=0.1; run `dvc repro`\n" in report
    )

    rerun = run(["dvc", "repro"], reproduced_copy)
    assert ran_stages(rerun.stdout) == ["train", "evaluate", "predict"]
    run([sys.executable, "-m", "stages.report", "--base", "HEAD"], reproduced_copy)
    report = (reproduced_copy / "reports/report.md").read_text()
    sections = report.split("\n## ")
    metrics_diff = next(s for s in sections if s.startswith("Metrics diff against `HEAD`"))
    assert has_row(metrics_diff, "metrics/metrics.json", "test.accuracy", "0.78475", "0.78027")
    params_diff = next(s for s in sections if s.startswith("Params diff against `HEAD`"))
    assert has_row(params_diff, "params.yaml", "train.C", "1000000000000.0", "0.1")
    assert "C: 0.1" in report  # the params in force
    for image in IMAGES:
        assert f"../plots/images/{image}.png" in report
    bad_base = run(
        [sys.executable, "-m", "stages.report", "--base", "no-such-rev"], reproduced_copy
    )
    assert bad_base.returncode == 0
    assert (
        "Not available: ERROR: unknown Git revision 'no-such-rev'"
        in (reproduced_copy / "reports/report.md").read_text()
    )


def wait_for_queue(project: Path, experiments: int, limit: float = 600) -> str:
    """`dvc queue status` once every experiment has finished (polling: the worker is
    detached). Not "until nothing runs": the worker idles ~13 s before it exits."""
    deadline = time.monotonic() + limit
    while True:
        status = run(["dvc", "queue", "status"], project).stdout
        finished = status.count("Success") + status.count("Failed")
        idle = "Queued" not in status and "Running" not in status
        if finished >= experiments or idle or time.monotonic() > deadline:
            return status
        time.sleep(1)


def test_a_queued_grid_of_experiments_is_compared_by_exp_show(reproduced_copy: Path) -> None:
    """`dvc exp run --queue -S train.C=a,b` + `dvc queue start`: the README's grid."""
    run(["dvc", "exp", "run", "--queue", "-S", "train.C=0.01,0.1"], reproduced_copy)
    run(["dvc", "queue", "start", "-j", "1"], reproduced_copy)
    try:
        status = wait_for_queue(reproduced_copy, experiments=2)
    finally:  # the worker leaves by itself once the queue is empty; make sure of it
        run(["dvc", "queue", "stop"], reproduced_copy, check=False)
    assert "Failed" not in status, status
    assert status.count("Success") == 2, status

    shown = json.loads(run(["dvc", "exp", "show", "--json"], reproduced_copy).stdout)
    by_c, names = {}, {}
    for commit in shown:
        for experiment in commit.get("experiments") or []:
            for revision in experiment.get("revs", []):
                data = revision.get("data") or {}
                c = data["params"]["params.yaml"]["data"]["train"]["C"]
                by_c[c] = data["metrics"]["metrics/metrics.json"]["data"]["test"]
                names[c] = experiment.get("name") or revision.get("name") or data.get("rev")
    assert set(by_c) == {0.01, 0.1}
    accuracies = {c: values["accuracy"] for c, values in by_c.items()}
    assert accuracies[0.01] != pytest.approx(accuracies[0.1], abs=1e-9)
    assert 0.784753 not in {round(a, 6) for a in accuracies.values()}
    table = run(["dvc", "exp", "show", "--md", "--no-pager"], reproduced_copy).stdout
    assert "train.C" in table
    assert "test.accuracy" in table
    # Bring one experiment into the workspace: DVC then diffs it against the commit.
    run(["dvc", "exp", "apply", str(names[0.1])], reproduced_copy)
    diff = json.loads(run(["dvc", "metrics", "diff", "--json"], reproduced_copy).stdout)
    assert diff["metrics/metrics.json"]["test.accuracy"]["new"] == pytest.approx(accuracies[0.1])
    params_diff = json.loads(run(["dvc", "params", "diff", "--json"], reproduced_copy).stdout)
    assert params_diff["params.yaml"]["train.C"]["new"] == 0.1


def test_long_curves_are_thinned_keeping_both_ends() -> None:
    from stages.lib.plot_data import thin

    curve = pd.DataFrame({"fpr": np.linspace(0, 1, 10_001), "tpr": np.linspace(0, 1, 10_001)})
    thinned = thin(curve, 100)
    assert len(thinned) == 100
    assert thinned["fpr"].iloc[0] == 0.0 and thinned["fpr"].iloc[-1] == 1.0
    assert thinned["fpr"].is_monotonic_increasing
    assert thin(curve.iloc[:50], 100) is not None and len(thin(curve.iloc[:50], 100)) == 50
