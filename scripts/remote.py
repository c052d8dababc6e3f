"""`make push` / `make pull`: DVC's push and pull, with the next step when they fail.

DVC's own messages are kept (they name the file and the remote's answer); this adds one
`error: ...` line that says what kind of failure it was and what to do about it, because
"failed to transfer ... InvalidAccessKeyId" repeated once per file does not say "set your
credentials". A pull fetches into the cache first and checks out only when every object
arrived, so a failed pull leaves the workspace as it was.

    python -m scripts.remote push   # dvc push --run-cache, plus uncached outputs of runs
    python -m scripts.remote pull   # dvc fetch, then dvc checkout
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

README_SECTION = 'README, "Share results with your team"'
EXIT_FAILED = 1
EXIT_NOT_CONFIGURED = 2


@dataclass(frozen=True)
class Failure:
    """A kind of transfer failure: how DVC's stderr shows it, and what the user does next."""

    kind: str
    pattern: re.Pattern[str]
    next_step: str


# First match wins: a rejected key also makes "N files failed to download", so credentials
# and connectivity are checked before the missing-object symptoms.
FAILURES = (
    Failure(
        "the remote cannot be reached",
        re.compile(
            r"could not connect to the endpoint|connection refused|cannot connect to host"
            r"|name or service not known|temporary failure in name resolution"
            r"|connect timeout|timed out|network is unreachable",
            re.IGNORECASE,
        ),
        "check the remote's URL and endpoint (`dvc remote list`, `dvc config --list`) and "
        "that the server is up and reachable from here, then run `make {action}` again",
    ),
    Failure(
        "the remote refused the credentials",
        re.compile(
            r"InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Forbidden|ExpiredToken"
            r"|Unable to locate credentials|NoCredentials|InvalidClientTokenId"
            r"|Permission denied|AuthorizationFailed|authentication failed",
            re.IGNORECASE,
        ),
        "set the credentials in the environment (S3: AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) or in the git-ignored local config "
        "(`dvc remote modify --local {remote} access_key_id ...`), then run "
        "`make {action}` again",
    ),
    Failure(
        "the bucket does not exist",
        re.compile(r"NoSuchBucket|bucket does not exist", re.IGNORECASE),
        "create the bucket or fix the remote's URL (`dvc remote modify {remote} url ...`), "
        "then run `make {action}` again",
    ),
    Failure(
        "outputs are missing from the remote",
        re.compile(
            r"failed to download|missing cache files|do not exist neither locally nor on remote"
            r"|not found on remote|NoSuchKey",
            re.IGNORECASE,
        ),
        "whoever produced this commit's outputs has not pushed them all: ask them to run "
        "`make push`, or rebuild here with `make repro`",
    ),
    Failure(
        "the workspace has changes that are not in DVC's cache",
        re.compile(r"unsaved files|without confirmation", re.IGNORECASE),
        "keep them with `dvc commit` (or move them aside), or discard them with "
        "`dvc checkout --force`; nothing was overwritten",
    ),
)


def diagnose(stderr: str, action: str, remote: str) -> str:
    """The one `error:` line for a failed transfer: what went wrong and the next step."""
    for failure in FAILURES:
        if failure.pattern.search(stderr):
            step = failure.next_step.format(action=action, remote=remote)
            return f"error: make {action}: {failure.kind} (remote '{remote}'): {step}"
    return (
        f"error: make {action}: dvc failed (remote '{remote}', message above): "
        f"run it again with -v for details"
    )


def dvc(*args: str) -> subprocess.CompletedProcess[str]:
    """Run dvc with its output captured (shown by the caller, whatever the outcome)."""
    return subprocess.run(["dvc", *args], capture_output=True, text=True, check=False)


def default_remote(action: str) -> str:
    """The default remote's name; exit with how to add one when there is none."""
    found = dvc("remote", "default")
    name = found.stdout.strip()
    if found.returncode == 0 and name:
        return name
    listed = [line.split()[0] for line in dvc("remote", "list").stdout.splitlines() if line]
    if listed:
        hint = f"pick one of {', '.join(listed)} with `dvc remote default NAME`"
    else:
        hint = (
            "add one with `dvc remote add -d storage s3://BUCKET/PATH` "
            "(or gs://, azure://, ssh://, a shared folder)"
        )
    print(
        f"error: make {action}: no default DVC remote: {hint} ({README_SECTION})",
        file=sys.stderr,
    )
    raise SystemExit(EXIT_NOT_CONFIGURED)


# `dvc fetch` only warns (exit 0) when an object is in neither the cache nor the remote;
# a checkout after it would then fill the workspace partly. Treated as a failure.
MISSING_WARNING = re.compile(r"do not exist neither locally nor on remote", re.IGNORECASE)


def transfer(action: str, remote: str, *args: str) -> bool:
    """Run one dvc command, pass its output on, and explain a failure in one more line."""
    result = dvc(*args)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 0 and not MISSING_WARNING.search(result.stderr):
        return True
    print(diagnose(result.stderr + result.stdout, action, remote), file=sys.stderr)
    return False


def push_uncached_run_outputs(remote: str) -> bool:
    """Upload the `cache: false` outputs (metrics.json) recorded in the run cache.

    DVC copies such outputs into the cache when it records a run, but `dvc push --run-cache`
    uploads only the run records and the outputs of the current dvc.lock (treeverse/dvc#5749):
    a teammate's `dvc repro --pull` then finds the run but not its metrics and reruns the
    stage. Pushing those few small objects makes every pushed run restorable.
    """
    from dvc.repo import Repo
    from dvc_data.hashfile.hash_info import HashInfo

    with Repo() as repo:
        uncached = {
            out.def_path for stage in repo.index.stages for out in stage.outs if not out.use_cache
        }
        hashes = {
            HashInfo("md5", out["md5"])
            for record in Path(repo.stage_cache.cache_dir).glob("*/*/*")
            for out in (yaml.safe_load(record.read_text()) or {}).get("outs", [])
            if out.get("path") in uncached and "md5" in out
        }
        present = {found for found in hashes if repo.cache.local.exists(found.value)}
        if not present:
            return True
        result = repo.cloud.push(present, remote=remote)
    if result.failed:
        print(
            f"error: make push: {len(result.failed)} uncached run output(s) could not be "
            f"uploaded to remote '{remote}': run `make push` again",
            file=sys.stderr,
        )
        return False
    if result.transferred:
        print(f"{len(result.transferred)} uncached run outputs pushed (metrics)")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["push", "pull"])
    action = parser.parse_args(argv).action
    remote = default_remote(action)
    if action == "push":
        ok = transfer(action, remote, "push", "--run-cache") and push_uncached_run_outputs(remote)
    else:
        ok = transfer(action, remote, "fetch") and transfer(action, remote, "checkout")
    if not ok:
        raise SystemExit(EXIT_FAILED)


if __name__ == "__main__":
    main()
