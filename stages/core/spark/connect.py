"""A Spark Connect session: where Spark runs is never a param.

The stage connects to the endpoint in SPARK_REMOTE (the standard variable, e.g.
`sc://host:15002`); with SPARK_REMOTE unset, to the local server `make spark-up` started
(its URL is in `.spark/remote`). Changing clusters therefore changes no param and reruns
nothing. A Connect client must be stopped or its process hangs at exit: use
`spark_session()`, a context manager that always stops it.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from stages.core.errors import PipelineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

REMOTE_ENV = "SPARK_REMOTE"
LOCAL_REMOTE_FILE = Path(".spark") / "remote"  # written by `make spark-up` (scripts/spark_local.py)
DEFAULT_PORT = 15002
PROBE_TIMEOUT_S = 5.0
NOT_CONFIGURED = (
    "engine.name is spark but SPARK_REMOTE is not set and no local server is running: "
    "run `make spark-up` or export SPARK_REMOTE=sc://host:15002"
)


class SparkError(PipelineError):
    """The Spark engine cannot run: no pyspark, no endpoint, or an unreachable one."""


def remote_url(root: Path | None = None) -> tuple[str, str]:
    """(URL, where it came from): SPARK_REMOTE, else the local server's URL file."""
    url = os.environ.get(REMOTE_ENV, "").strip()
    if url:
        return url, REMOTE_ENV
    local = (root or Path.cwd()) / LOCAL_REMOTE_FILE
    if local.is_file() and local.read_text().strip():
        return local.read_text().strip(), str(LOCAL_REMOTE_FILE)
    raise SparkError(NOT_CONFIGURED)


def host_port(url: str) -> tuple[str, int]:
    """Host and port of an `sc://host[:port][/;param=value...]` URL."""
    parts = urlsplit(url)
    if parts.scheme != "sc" or not parts.hostname:
        raise SparkError(
            f"{REMOTE_ENV}={url!r} is not a Spark Connect URL: expected sc://host:15002"
        )
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as error:
        raise SparkError(f"{REMOTE_ENV}={url!r}: bad port ({error})") from error
    return parts.hostname, port


def probe(url: str, source: str) -> None:
    """Fail in one line, within seconds, if nothing listens at the URL.

    pyspark's own client retries an unreachable endpoint for minutes before a long
    traceback; a TCP probe says the same thing at once."""
    host, port = host_port(url)
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        hint = (
            "start it with `make spark-up`"
            if source != REMOTE_ENV
            else f"check {REMOTE_ENV} or start a local server with `make spark-up`"
        )
        raise SparkError(
            f"cannot reach the Spark Connect server at {url} (from {source}): {reason}; {hint}"
        ) from error


def _import_pyspark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkError(
            "engine.name is spark but pyspark is not installed: run `make spark-setup`"
        ) from error
    return SparkSession


def session(remote: str | None = None, root: Path | None = None) -> SparkSession:
    """A connected Spark Connect session; the caller must `.stop()` it (or use
    spark_session()). `remote` overrides SPARK_REMOTE and the local URL file."""
    url, source = (remote, "argument") if remote else remote_url(root)
    probe(url, source)
    spark_session_class = _import_pyspark()
    try:
        # create(), not getOrCreate(): the latter hands back any session this process
        # already has, whatever its URL.
        spark = spark_session_class.builder.remote(url).create()
        spark.version  # noqa: B018 (one round trip: a non-Connect port fails here)
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise SparkError(
            f"the Spark Connect server at {url} (from {source}) did not answer: {first}"
        ) from error
    return spark


@contextlib.contextmanager
def spark_session(remote: str | None = None, root: Path | None = None) -> Iterator[SparkSession]:
    """A session that is always stopped at the end of the block (else the process hangs)."""
    spark = session(remote, root)
    try:
        yield spark
    finally:
        spark.stop()
