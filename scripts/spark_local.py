"""A Spark Connect server on this machine, for the Spark engine: `make spark-up` and friends.

    python -m scripts.spark_local up            # local[*] Connect server (make spark-up)
    python -m scripts.spark_local cluster-up    # standalone master + 2 workers + Connect server
    python -m scripts.spark_local status        # what runs, and its sc:// URL
    python -m scripts.spark_local down          # stop every JVM this folder started

Everything runs from the pyspark package (its `bin/spark-submit`, `bin/spark-class` and
jars, Spark Connect included); nothing is downloaded. Every JVM is its own process group
started by this module, so `down` stops it with everything it forked (executors, Python
workers): no orphan JVMs. State lives in one git-ignored folder (`.spark/` by default): a
`<name>.pid` per process ("pid start-time", so a recycled pid is never taken for ours), a
`<name>.log` each, and `remote`, the server's `sc://127.0.0.1:PORT` URL, so that
`export SPARK_REMOTE=$(cat .spark/remote)` works and stages find a local server by
themselves. Every socket is bound to 127.0.0.1; the driver's web UI is off.

One server per state folder: `up` with one already running reports it and changes nothing
(idempotent); `cluster-up` while a plain local server runs (or the reverse) is an error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ROOT / ".spark"
DEFAULT_PORT = 15002  # Spark Connect's default (sc://host with no port means 15002)
JAVA_MIN = 17  # Spark 4.x runs on Java 17 and 21
CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0
# Stop order: the server before the workers, the workers before the master.
STOP_ORDER = ("connect", "worker-1", "worker-2", "worker-3", "worker-4", "master")


class SparkLocalError(Exception):
    """An expected failure (no Java, no pyspark, a server that would not start): one line."""


@dataclass(frozen=True)
class Proc:
    """A process this module started: its name in the state folder, pid and start time."""

    name: str
    pid: int
    started: str

    def alive(self) -> bool:
        return _start_time(self.pid) == self.started


# --- checks ---------------------------------------------------------------------------


def java_problem() -> str | None:
    """Why Spark cannot run here (no java, or one older than 17), or None if it can."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        where = f"JAVA_HOME={home} has no bin/java" if home else "no `java` on PATH"
        return (
            f"the Spark engine needs Java {JAVA_MIN} or newer, but {where}: install a JDK "
            f"{JAVA_MIN}+ (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    try:
        shown = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60
        ).stderr
    except (OSError, subprocess.SubprocessError) as error:
        return f"the Spark engine needs Java {JAVA_MIN} or newer; `{java} -version` failed: {error}"
    version = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    major = int(version.group(1)) if version else 0
    if major == 1 and version and version.group(2):  # "1.8.0_392" is Java 8
        major = int(version.group(2))
    if major < JAVA_MIN:
        said = shown.splitlines()[0] if shown else "nothing"
        return (
            f"the Spark engine needs Java {JAVA_MIN} or newer, but {java} is "
            f"{major or 'unknown'} (`java -version` says: {said}): install a JDK {JAVA_MIN}+ "
            "or point JAVA_HOME at one"
        )
    return None


def spark_home() -> Path:
    """The pyspark package folder: it is a complete SPARK_HOME (bin/, sbin/, jars/)."""
    try:
        import pyspark
    except ImportError as error:
        raise SparkLocalError(
            "pyspark is not installed: run `make spark-setup` (the optional `spark` group)"
        ) from error
    return Path(pyspark.__file__).parent


def check_can_run() -> Path:
    """SPARK_HOME if both pyspark and a suitable Java are there, else SparkLocalError."""
    home = spark_home()
    problem = java_problem()
    if problem:
        raise SparkLocalError(problem)
    return home


# --- processes --------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat (start time in clock ticks): a pid's identity."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    state, started = fields[0], fields[19]
    return None if state == "Z" else started


def _read_proc(state_dir: Path, name: str) -> Proc | None:
    try:
        pid, started = (state_dir / f"{name}.pid").read_text().split()
    except (OSError, ValueError):
        return None
    return Proc(name, int(pid), started)


def running(state_dir: Path) -> list[Proc]:
    """The processes recorded in state_dir that are still alive (stale records ignored)."""
    procs = [_read_proc(state_dir, path.stem) for path in sorted(state_dir.glob("*.pid"))]
    return [proc for proc in procs if proc and proc.alive()]


def free_port(preferred: int | None = None) -> int:
    """`preferred` if nothing listens on it on 127.0.0.1, else a port the kernel picks."""
    candidates = ([preferred] if preferred else []) + [0]
    for port in candidates:
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise SparkLocalError("no free TCP port on 127.0.0.1")


def _listening(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _env(home: Path, state_dir: Path) -> dict[str, str]:
    """The JVMs' environment: this venv's Python for executors (they need pyarrow), every
    socket on 127.0.0.1, and server-side scripts in classic (not Connect-client) mode."""
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(home),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_LOG_DIR=str(state_dir),
        SPARK_PID_DIR=str(state_dir),
        SPARK_CONNECT_MODE="0",
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
    )
    env.pop("SPARK_REMOTE", None)
    return env


def _spawn(state_dir: Path, name: str, args: list[str], env: dict[str, str]) -> Proc:
    """Start one JVM in its own process group, its output in `<name>.log`."""
    with (state_dir / f"{name}.log").open("ab") as log:
        child = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=state_dir,
            start_new_session=True,
        )
    started = None
    for _ in range(100):  # /proc/PID/stat exists as soon as the fork returns
        started = _start_time(child.pid)
        if started:
            break
        time.sleep(0.01)
    proc = Proc(name, child.pid, started or "?")
    (state_dir / f"{name}.pid").write_text(f"{proc.pid} {proc.started}\n")
    return proc


class PortTaken(SparkLocalError):
    """Another process bound the port between our check and the server's start."""


CONNECT_READY = "Spark Connect server started at"  # the Connect server's log, once bound


def _wait_listening(
    state_dir: Path, proc: Proc, port: int, timeout: float, ready: str | None = None
) -> None:
    """Until `port` accepts connections and, with `ready`, the process's log has that line:
    proof that this process, not another that took the port meanwhile (two test workers
    starting servers at once), is the one listening. A dead process, a port taken or a
    timeout is an error."""
    log = state_dir / f"{proc.name}.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if ready and log.exists() else ""
        if ready and "BindException" in text:
            raise PortTaken(f"{proc.name}: 127.0.0.1:{port} was taken by another process")
        if _listening(port) and (ready is None or ready in text):
            return
        if not proc.alive():
            raise SparkLocalError(
                f"{proc.name} exited before listening on 127.0.0.1:{port}: "
                f"{_last_error(log)} (log: {log})"
            )
        time.sleep(0.25)
    raise SparkLocalError(
        f"{proc.name} did not listen on 127.0.0.1:{port} within {timeout:.0f} s (log: {log})"
    )


def _last_error(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    errors = [line for line in lines if "Exception" in line or "ERROR" in line or "rror:" in line]
    return (errors or lines or ["no output"])[-1].strip()[:300]


def _stop(proc: Proc, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM to the process group (the JVM and everything it forked), SIGKILL if it stays."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.alive() and not _group_alive(proc.pid):
                return
            time.sleep(0.2)


def _group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is left in the process group."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pgid, os.WNOHANG)  # reap it if this process started it (tests)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


# --- servers ----------------------------------------------------------------------------


def _connect_args(home: Path, state_dir: Path, master: str, port: int, memory: str) -> list[str]:
    python = sys.executable
    conf = {
        "spark.master": master,
        "spark.app.name": "pipeline-spark-connect",
        "spark.driver.memory": memory,
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        "spark.local.dir": str(state_dir / "tmp"),
        "spark.sql.session.timeZone": "UTC",
        "spark.pyspark.python": python,
        "spark.pyspark.driver.python": python,
        "spark.executorEnv.PYSPARK_PYTHON": python,
    }
    args = [str(home / "bin" / "spark-submit"), "--class", CONNECT_CLASS]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    return [*args, "spark-internal"]


def _begin(state_dir: Path, mode: str) -> str | None:
    """The running server's URL if one of this `mode` is up; an error if another mode is."""
    state_dir.mkdir(parents=True, exist_ok=True)
    alive = running(state_dir)
    if alive:
        was = _read(state_dir / "mode") or "local"
        url = _read(state_dir / "remote")
        if was != mode:
            raise SparkLocalError(
                f"a {was} Spark server is already running from {state_dir} ({url}): "
                "run `make spark-down` first"
            )
        return url
    _clear(state_dir)
    (state_dir / "tmp").mkdir(exist_ok=True)
    (state_dir / "mode").write_text(mode + "\n")
    return None


def _read(path: Path) -> str | None:
    return path.read_text().strip() if path.exists() else None


def _clear(state_dir: Path) -> None:
    """Forget stale records (a crashed or rebooted server) and old logs and scratch."""
    for pattern in ("*.pid", "*.log", "remote", "mode"):
        for path in state_dir.glob(pattern):
            path.unlink()
    shutil.rmtree(state_dir / "tmp", ignore_errors=True)
    shutil.rmtree(state_dir / "work", ignore_errors=True)


def _finish(state_dir: Path, connect: Proc, port: int, timeout: float) -> str:
    try:
        _wait_listening(state_dir, connect, port, timeout, ready=CONNECT_READY)
    except SparkLocalError:
        down(state_dir)
        raise
    url = f"sc://127.0.0.1:{port}"
    (state_dir / "remote").write_text(url + "\n")
    return url


def up(
    state_dir: Path = STATE_DIR,
    *,
    master: str = "local[*]",
    memory: str = "2g",
    timeout: float = START_TIMEOUT_S,
) -> tuple[str, bool]:
    """Start a Connect server on `master` (local[*] by default); (its URL, started now?)."""
    home = check_can_run()
    url = _begin(state_dir, "local")
    if url:
        return url, False
    port = free_port(DEFAULT_PORT)
    for attempt in range(3):  # the port can be taken between free_port and the JVM's bind
        connect = _spawn(
            state_dir,
            "connect",
            _connect_args(home, state_dir, master, port, memory),
            _env(home, state_dir),
        )
        try:
            return _finish(state_dir, connect, port, timeout), True
        except PortTaken:
            if attempt == 2:
                raise
            _begin(state_dir, "local")  # _finish stopped and cleared it
            port = free_port()
    raise AssertionError("unreachable")


def cluster_up(
    state_dir: Path = STATE_DIR,
    *,
    workers: int = 2,
    cores: int = 1,
    worker_memory: str = "2g",
    memory: str = "1g",
    timeout: float = START_TIMEOUT_S,
) -> tuple[str, bool]:
    """A standalone master, `workers` workers (separate JVMs, as on a real cluster) and a
    Connect server whose master is that cluster; (its URL, started now?)."""
    home = check_can_run()
    url = _begin(state_dir, "cluster")
    if url:
        return url, False
    env = _env(home, state_dir)
    env["SPARK_MASTER_OPTS"] = "-Dspark.master.rest.enabled=false"  # no REST submission port
    spark_class = str(home / "bin" / "spark-class")
    master_port, master_ui = free_port(), free_port()
    master = _spawn(
        state_dir,
        "master",
        [spark_class, MASTER_CLASS, *_bind(master_port, master_ui)],
        env,
    )
    try:
        _wait_listening(state_dir, master, master_port, timeout)
        master_url = f"spark://127.0.0.1:{master_port}"
        for index in range(1, workers + 1):
            work = state_dir / "work" / f"worker-{index}"
            work.mkdir(parents=True, exist_ok=True)
            _spawn(
                state_dir,
                f"worker-{index}",
                [
                    *(spark_class, WORKER_CLASS, *_bind(0, free_port())),
                    *("--cores", str(cores), "--memory", worker_memory),
                    *("--work-dir", str(work), master_url),
                ],
                env,
            )
        # The Connect server starts while the workers register (it needs none to start:
        # executors come when they do), then both are waited for.
        port = free_port(DEFAULT_PORT)
        args = _connect_args(home, state_dir, master_url, port, memory)
        args[-1:-1] = ["--conf", f"spark.cores.max={workers * cores}"]
        connect = _spawn(state_dir, "connect", args, env)
        _wait_workers(state_dir, workers, timeout)
    except SparkLocalError:
        down(state_dir)
        raise
    return _finish(state_dir, connect, port, timeout), True


def _bind(port: int, ui_port: int) -> list[str]:
    """Master/worker options: 127.0.0.1 only, the RPC port (0: any) and the web UI's port."""
    return ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)]


def _wait_workers(state_dir: Path, workers: int, timeout: float) -> None:
    """Until the master's log shows every worker registered."""
    log = state_dir / "master.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        registered = log.read_text(errors="replace").count("Registering worker")
        if registered >= workers:
            return
        alive = {proc.name for proc in running(state_dir)}
        if any(name not in alive for name in _worker_names(workers)):
            raise SparkLocalError(
                f"a worker exited before registering with the master (logs in {state_dir})"
            )
        time.sleep(0.25)
    raise SparkLocalError(f"the workers did not register within {timeout:.0f} s ({state_dir})")


def _worker_names(workers: int) -> list[str]:
    return [f"worker-{index}" for index in range(1, workers + 1)]


def down(state_dir: Path = STATE_DIR) -> list[str]:
    """Stop every process recorded in state_dir (server, workers, master); their names."""
    procs = {proc.name: proc for proc in running(state_dir)} if state_dir.exists() else {}
    order = sorted(procs, key=lambda name: STOP_ORDER.index(name) if name in STOP_ORDER else 0)
    for name in order:
        _stop(procs[name])
    if state_dir.exists():
        for path in [*state_dir.glob("*.pid"), state_dir / "remote", state_dir / "mode"]:
            path.unlink(missing_ok=True)
        shutil.rmtree(state_dir / "tmp", ignore_errors=True)
    return order


def status(state_dir: Path = STATE_DIR) -> str:
    """One line: what runs from state_dir and where, or that nothing does."""
    alive = running(state_dir) if state_dir.exists() else []
    if not alive:
        return f"no Spark server is running from {state_dir} (start one: make spark-up)"
    mode = _read(state_dir / "mode") or "local"
    names = ", ".join(f"{proc.name} (pid {proc.pid})" for proc in alive)
    return f"{mode} Spark Connect server at {_read(state_dir / 'remote')}: {names}"


def remote_url(state_dir: Path = STATE_DIR) -> str | None:
    """The URL of a server started from state_dir that is still running, else None."""
    alive = {proc.name for proc in running(state_dir)} if state_dir.exists() else set()
    return _read(state_dir / "remote") if "connect" in alive else None


@contextlib.contextmanager
def local_server(state_dir: Path, **options: object) -> Iterator[str]:
    """A server for the duration of a block (tests, benchmarks): its URL; stopped after."""
    url, _ = up(state_dir, **options)  # type: ignore[arg-type]
    try:
        yield url
    finally:
        down(state_dir)


# --- command line -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.spark_local", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "cluster-up", "status"])
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR)
    parser.add_argument("--master", default="local[*]", help="up: the server's master")
    parser.add_argument("--memory", default="2g", help="the Connect server's driver memory")
    parser.add_argument("--workers", type=int, default=2, help="cluster-up: worker JVMs")
    parser.add_argument("--cores", type=int, default=1, help="cluster-up: cores per worker")
    args = parser.parse_args(argv)
    state_dir = args.state_dir.resolve()
    try:
        if args.command == "up":
            url, started = up(state_dir, master=args.master, memory=args.memory)
            _report(url, started, state_dir)
        elif args.command == "cluster-up":
            url, started = cluster_up(state_dir, workers=args.workers, cores=args.cores)
            _report(url, started, state_dir)
        elif args.command == "down":
            stopped = down(state_dir)
            print(f"stopped: {', '.join(stopped)}" if stopped else "no Spark server was running")
        else:
            print(status(state_dir))
    except SparkLocalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _report(url: str, started: bool, state_dir: Path) -> None:
    verb = "started" if started else "already running"
    shown = os.path.relpath(state_dir / "remote")
    print(f"Spark Connect server {verb} at {url}")
    print(f"  export SPARK_REMOTE=$(cat {shown})   # stop it: make spark-down")


if __name__ == "__main__":
    sys.exit(main())
