"""Sharing results through a DVC remote, against a real S3 API on 127.0.0.1.

A moto server (moto[server], a dev dependency) plays the team's bucket, with IAM
authentication on: only the access key created here is accepted, so "wrong credentials"
is a real refusal. Alice (a copy of the session's reproduced project) tracks a few-MB
scoring file with `dvc add`, pushes outputs and the run cache with `make push`'s script;
Bob, a fresh `git clone`, pulls and finds nothing to recompute, then changes `train.C`
and pushes his run; Carol, another fresh clone, sets the same `train.C` and `dvc repro
--pull` restores every stage instead of running it. Credentials live only in the
environment of the commands run here, never in a git-tracked file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.remote import diagnose
from tests.conftest import ROOT, cli_env, clone_project, ran_stages, set_param

pytestmark = pytest.mark.e2e

BUCKET = "team-bucket"
REGION = "us-east-1"
SCORING_COPIES = 100  # data/titanic_unlabeled.csv x 100: 41,800 rows, ~2.9 MB
TUNED_C = "0.1"
# The first three S3/IAM calls are let through unauthenticated (creating the user, its key
# and its policy); every later call must be signed with that key.
UNAUTHENTICATED_SETUP_CALLS = "3"


@dataclass(frozen=True)
class S3:
    endpoint: str
    key_id: str
    secret: str

    def client(self, key_id: str | None = None, secret: str | None = None) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=key_id or self.key_id,
            aws_secret_access_key=secret or self.secret,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"moto server exited {server.returncode}:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"moto server did not listen on 127.0.0.1:{port}:\n{log.read_text()}")


def create_user_and_bucket(endpoint: str) -> S3:
    """An IAM user allowed s3:*, its access key, and the team's bucket (made with that key)."""
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam.create_user(UserName="team")
    key = iam.create_access_key(UserName="team")["AccessKey"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="team", PolicyName="s3", PolicyDocument=json.dumps(policy))
    s3 = S3(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    s3.client().create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    """A private S3 server: 127.0.0.1 only, a free port, stopped by this fixture."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": UNAUTHENTICATED_SETUP_CALLS}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        wait_for_port(port, server, log)
        yield create_user_and_bucket(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def aws_env(cwd: Path, key_id: str, secret: str, **extra: str) -> dict[str, str]:
    """The test project's environment plus S3 credentials; nothing read from ~/.aws."""
    env = cli_env(cwd)
    empty = cwd.parent / "aws-config-empty"
    empty.touch()
    for name in [name for name in env if name.startswith("AWS_")]:
        del env[name]
    env.update(
        AWS_ACCESS_KEY_ID=key_id,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",  # never ask a cloud metadata address for a key
        **extra,
    )
    return env


def sh(
    args: list[str], cwd: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def remote(
    action: str, cwd: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """What `make push` / `make pull` run (the Makefile's recipe, minus `make setup`)."""
    return sh([sys.executable, "-m", "scripts.remote", action], cwd, env, check=check)


def workspace(path: Path) -> dict[str, str]:
    """sha256 of every workspace file (not .git, not DVC's own cache and state)."""
    return {
        str(file.relative_to(path)): hashlib.sha256(file.read_bytes()).hexdigest()
        for file in sorted(path.rglob("*"))
        if file.is_file() and file.relative_to(path).parts[0] not in {".git", ".dvc"}
    }


def outputs(path: Path) -> dict[str, str]:
    """The pipeline's outputs and DVC-tracked data (everything under data/, models/, plots/)."""
    found = workspace(path)
    return {
        name: digest
        for name, digest in found.items()
        if name.split("/")[0] in {"data", "models", "plots", "metrics"}
        and not name.endswith(".gitignore")
    }


def write_scoring_file(path: Path) -> int:
    """A few-MB file of passengers to score: the unlabeled rows repeated with new ids."""
    with (ROOT / "data/titanic_unlabeled.csv").open(newline="") as source:
        reader = csv.reader(source)
        header = next(reader)
        rows = list(reader)
    id_at = header.index("PassengerId")
    with path.open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(header)
        for number in range(SCORING_COPIES * len(rows)):
            row = list(rows[number % len(rows)])
            row[id_at] = str(100_000 + number)
            writer.writerow(row)
    return SCORING_COPIES * len(rows)


@dataclass
class Clone:
    path: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def alice(s3: S3, reproduced: Path, tmp_path_factory: pytest.TempPathFactory) -> Clone:
    """Tracks a big scoring file with `dvc add`, adds the remote (no secrets), pushes."""
    path = clone_project(reproduced, tmp_path_factory.mktemp("alice") / "project")
    env = aws_env(path, s3.key_id, s3.secret)
    write_scoring_file(path / "data/passengers.csv")
    sh(["dvc", "add", "data/passengers.csv"], path, env)
    set_param(path / "params.yaml", "data", "predict_path", "data/passengers.csv")
    sh(["dvc", "remote", "add", "-d", "team", f"s3://{BUCKET}/store"], path, env)
    sh(["dvc", "remote", "modify", "team", "endpointurl", s3.endpoint], path, env)
    repro = sh(["dvc", "repro"], path, env)
    assert ran_stages(repro.stdout) == ["predict"]
    sh(["git", "add", "-A"], path, env)
    sh(["git", "commit", "-q", "-m", "score passengers.csv; team remote"], path, env)
    pushed = remote("push", path, env)
    assert "files pushed" in pushed.stdout
    return Clone(path, env)


def fresh_clone(source: Clone, destination: Path, s3: S3, **extra: str) -> Clone:
    env = aws_env(destination.parent, s3.key_id, s3.secret, **extra)
    sh(["git", "clone", "-q", str(source.path), str(destination)], destination.parent, env)
    env = aws_env(destination, s3.key_id, s3.secret, **extra)
    return Clone(destination, env)


@dataclass
class Pulled:
    clone: Clone
    before: dict[str, str]
    status: str
    repro: str


@pytest.fixture(scope="module")
def bob(alice: Clone, s3: S3, tmp_path_factory: pytest.TempPathFactory) -> Pulled:
    """A teammate's fresh clone: `make pull`, then `dvc status` and `dvc repro`."""
    clone = fresh_clone(alice, tmp_path_factory.mktemp("bob") / "project", s3)
    before = outputs(clone.path)
    remote("pull", clone.path, clone.env)
    status = sh(["dvc", "status"], clone.path, clone.env).stdout
    repro = sh(["dvc", "repro"], clone.path, clone.env).stdout
    return Pulled(clone, before, status, repro)


def test_remote_config_in_git_holds_no_secret(alice: Clone, s3: S3) -> None:
    tracked = sh(["git", "show", "HEAD:.dvc/config"], alice.path, alice.env).stdout
    assert "url = s3://team-bucket/store" in tracked
    assert s3.key_id not in tracked
    assert s3.secret not in tracked
    assert not (alice.path / ".dvc/config.local").exists()


def test_teammate_pulls_every_output_byte_identical_and_repro_is_a_no_op(
    alice: Clone, bob: Pulled
) -> None:
    # Before the pull a fresh clone has only what git holds: metrics.json (cache: false),
    # the .dvc file and the default CSVs.
    assert set(bob.before) == {
        "metrics/metrics.json",
        "data/passengers.csv.dvc",
        "data/titanic.csv",
        "data/titanic_unlabeled.csv",
        "data/SHA256SUMS",
    }
    pulled = outputs(bob.clone.path)
    assert len(pulled) > 30
    assert pulled == outputs(alice.path)
    assert bob.status.strip() == "Data and pipelines are up to date."
    assert ran_stages(bob.repro) == []
    assert "Data and pipelines are up to date." in bob.repro


def object_key(md5: str) -> str:
    return f"store/files/md5/{md5[:2]}/{md5[2:]}"


def locked_md5(project: Path, stage: str, path: str) -> str:
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    return next(out["md5"] for out in lock["stages"][stage]["outs"] if out["path"] == path)


def test_dvc_added_csv_lives_in_the_remote_not_in_git(s3: S3, bob: Pulled) -> None:
    tracked = sh(["git", "ls-files", "data"], bob.clone.path, bob.clone.env).stdout.split()
    assert "data/passengers.csv.dvc" in tracked
    assert "data/passengers.csv" not in tracked
    assert (bob.clone.path / "data/passengers.csv").stat().st_size > 2_500_000
    added = yaml.safe_load((bob.clone.path / "data/passengers.csv.dvc").read_text())
    listed = s3.client().list_objects_v2(Bucket=BUCKET, Prefix=object_key(added["outs"][0]["md5"]))
    assert [item["Key"] for item in listed["Contents"]] == [object_key(added["outs"][0]["md5"])]


@pytest.fixture(scope="module")
def bob_tuned(bob: Pulled) -> tuple[Clone, str]:
    """Bob tries `train.C` on the pulled workspace, then pushes his run (run cache too)."""
    clone = bob.clone
    set_param(clone.path / "params.yaml", "train", "C", TUNED_C)
    repro = sh(["dvc", "repro"], clone.path, clone.env).stdout
    remote("push", clone.path, clone.env)
    return clone, repro


def test_changing_train_c_after_a_pull_runs_only_train_evaluate_predict(
    bob_tuned: tuple[Clone, str],
) -> None:
    clone, repro = bob_tuned
    assert ran_stages(repro) == ["train", "evaluate", "predict"]
    # predict ran on the pulled, dvc-add-tracked file: one prediction per passenger.
    with (clone.path / "data/predictions.csv").open() as predictions:
        assert sum(1 for _ in predictions) - 1 == SCORING_COPIES * 418


def test_repro_pull_restores_a_teammates_run_from_the_run_cache(
    alice: Clone, bob_tuned: tuple[Clone, str], s3: S3, tmp_path: Path
) -> None:
    """Carol sets Bob's `train.C` in a fresh clone (no outputs): nothing is recomputed."""
    bob, _ = bob_tuned
    carol = fresh_clone(alice, tmp_path / "carol", s3)
    assert "data/predictions.csv" not in outputs(carol.path)
    set_param(carol.path / "params.yaml", "train", "C", TUNED_C)
    repro = sh(["dvc", "repro", "--pull", "-v"], carol.path, carol.env)
    assert ran_stages(repro.stdout) == [], repro.stdout + repro.stderr
    repro = repro.stdout
    for name in ("train", "evaluate", "predict"):
        assert f"Stage '{name}' is cached - skipping run, checking out outputs" in repro
    assert outputs(carol.path) == outputs(bob.path)


def test_make_push_and_pull_without_a_remote_say_how_to_add_one(
    reproduced: Path, tmp_path: Path
) -> None:
    """Through make (its `setup` prerequisite marked done: the venv is this test's own)."""
    project = clone_project(reproduced, tmp_path / "project")
    before = workspace(project)
    for action in ("push", "pull"):
        result = sh(["make", "-s", "-o", "setup", action], project, cli_env(project), check=False)
        assert result.returncode == 2
        assert result.stderr.splitlines()[0] == (
            f"error: make {action}: no default DVC remote: add one with "
            "`dvc remote add -d storage s3://BUCKET/PATH` (or gs://, azure://, ssh://, "
            'a shared folder) (README, "Share results with your team")'
        )
    assert workspace(project) == before


def assert_failed_pull(clone: Clone, dvc_says: str, kind: str, next_step: str) -> None:
    before = workspace(clone.path)
    result = remote("pull", clone.path, clone.env, check=False)
    assert result.returncode == 1
    assert dvc_says in result.stderr  # DVC's own message is kept
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: make pull: {kind} (remote 'team'): "), last
    assert next_step in last
    assert workspace(clone.path) == before  # nothing checked out, nothing overwritten


def test_pull_from_an_unreachable_remote(alice: Clone, s3: S3, tmp_path: Path) -> None:
    clone = fresh_clone(alice, tmp_path / "clone", s3, AWS_MAX_ATTEMPTS="1")
    nothing_there = f"http://127.0.0.1:{free_port()}"
    sh(
        ["dvc", "remote", "modify", "--local", "team", "endpointurl", nothing_there],
        clone.path,
        clone.env,
    )
    assert_failed_pull(
        clone,
        f'Could not connect to the endpoint URL: "{nothing_there}/',
        "the remote cannot be reached",
        "check the remote's URL and endpoint",
    )


def test_pull_and_push_with_wrong_credentials(alice: Clone, s3: S3, tmp_path: Path) -> None:
    clone = fresh_clone(alice, tmp_path / "clone", s3)
    clone.env.update(AWS_ACCESS_KEY_ID="AKIAWRONGWRONGWRONG0", AWS_SECRET_ACCESS_KEY="wrong")
    refused = "The AWS Access Key Id you provided does not exist in our records"
    set_credentials = "set the credentials in the environment (S3: AWS_ACCESS_KEY_ID"
    # A pull's first call is a HEAD request, whose refusal has no body: DVC shows "403".
    forbidden = "Forbidden: An error occurred (403)"
    assert_failed_pull(clone, forbidden, "the remote refused the credentials", set_credentials)
    wrong = Clone(alice.path, {**alice.env, "AWS_ACCESS_KEY_ID": "AKIAWRONGWRONGWRONG0"})
    before = workspace(alice.path)
    pushed = remote("push", wrong.path, wrong.env, check=False)
    assert pushed.returncode == 1
    assert refused in pushed.stderr
    assert (
        pushed.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "error: make push: the remote refused the credentials (remote 'team'): "
            + set_credentials
        )
    )
    assert workspace(alice.path) == before


def test_pull_with_an_object_missing_from_the_remote(alice: Clone, s3: S3, tmp_path: Path) -> None:
    clone = fresh_clone(alice, tmp_path / "clone", s3)
    key = object_key(locked_md5(alice.path, "predict", "data/predictions.csv"))
    bucket = s3.client()
    saved = bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    bucket.delete_object(Bucket=BUCKET, Key=key)
    try:
        assert_failed_pull(
            clone,
            "Some of the cache files do not exist neither locally nor on remote",
            "outputs are missing from the remote",
            "ask them to run `make push`, or rebuild here with `make repro`",
        )
    finally:
        bucket.put_object(Bucket=BUCKET, Key=key, Body=saved)


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("ERROR: unexpected error - Could not connect to the endpoint URL", "cannot be reached"),
        ("ERROR: ... InvalidAccessKeyId ...", "refused the credentials"),
        ("ERROR: unexpected error - Unable to locate credentials", "refused the credentials"),
        ("ERROR: ... NoSuchBucket ...", "bucket does not exist"),
        ("ERROR: failed to fetch data from the cloud - 1 files failed to download", "missing"),
        ("ERROR: Can't remove the following unsaved files without confirmation.", "workspace"),
        ("ERROR: something new", "dvc failed"),
    ],
)
def test_diagnose_names_the_failure_and_the_next_step(stderr: str, kind: str) -> None:
    line = diagnose(stderr, "pull", "team")
    assert line.startswith("error: make pull: ")
    assert kind in line
    assert "\n" not in line


def test_workflow_restores_outputs_before_reproducing() -> None:
    """CI pulls from the remote when its secrets are set, else restores a dvc.lock-keyed cache."""
    workflow = yaml.safe_load((ROOT / ".github/workflows/pipeline.yml").read_text())
    job = workflow["jobs"]["pipeline"]
    assert job["env"]["AWS_ACCESS_KEY_ID"] == "${{ secrets.AWS_ACCESS_KEY_ID }}"
    steps = job["steps"]
    at = {
        name: next(i for i, step in enumerate(steps) if test(step))
        for name, test in {
            "cache": lambda step: step.get("uses", "").startswith("actions/cache@"),
            "restore": lambda step: "make pull" in step.get("run", ""),
            "repro": lambda step: step.get("run") == "make repro",
            "push": lambda step: step.get("run") == "make push",
        }.items()
    }
    assert at["cache"] < at["restore"] < at["repro"] < at["push"]
    cache = steps[at["cache"]]
    assert cache["with"]["path"] == ".dvc/cache"
    assert "hashFiles('dvc.lock')" in cache["with"]["key"]
    assert "env.HAVE_REMOTE != 'true'" in cache["if"]
    assert "dvc checkout" in steps[at["restore"]]["run"]
    assert "github.event_name == 'push'" in steps[at["push"]]["if"]
