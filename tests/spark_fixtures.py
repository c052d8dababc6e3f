"""Spark fixtures: one real local Spark Connect server per test session (pytest plugin).

Loaded from tests/conftest.py (`pytest_plugins`). The server starts only when a test asks
for `spark_remote` (directly or through `spark`), so an xdist worker that runs no Spark
test starts nothing; the Spark tests live in one file (tests/test_spark.py), which
`--dist loadfile` gives to a single worker. Without pyspark (`make spark-setup`) or Java
17+, every Spark test is skipped with one line saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts import spark_local

# local[2]: the partitioning the determinism tests compare against another layout.
TEST_MASTER = "local[2]"


def spark_unavailable() -> str | None:
    """Why Spark tests cannot run here, or None."""
    try:
        spark_local.spark_home()
    except spark_local.SparkLocalError as error:
        return str(error)
    return spark_local.java_problem()


@dataclass(frozen=True)
class Server:
    url: str
    state_dir: Path


@pytest.fixture(scope="session")
def spark_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real local[2] Connect server (scripts/spark_local.py), stopped after the session."""
    reason = spark_unavailable()
    if reason:
        pytest.skip(f"Spark tests skipped: {reason}")
    state = tmp_path_factory.mktemp("spark-server")
    with spark_local.local_server(state, master=TEST_MASTER, memory="1g") as url:
        yield Server(url, state)


@pytest.fixture(scope="session")
def spark_remote(spark_server: Server) -> str:
    """The sc:// URL of that server."""
    return spark_server.url


@pytest.fixture(scope="session")
def spark(spark_remote: str) -> Iterator[Any]:
    """A Spark Connect session on that server (stopped at the end, else the client hangs)."""
    from stages.core.spark.connect import spark_session

    with spark_session(remote=spark_remote) as session:
        yield session


@pytest.fixture(scope="session")
def spark_state_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for servers a test starts itself (another layout, a standalone cluster)."""
    return tmp_path_factory.mktemp("spark-extra")
