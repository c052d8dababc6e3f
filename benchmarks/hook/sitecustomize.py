"""Per-process probe for benchmarks/run.py: loaded only when this folder is on PYTHONPATH.

When BENCH_PROC_LOG names a file, every Python process started with this folder on its
path (dvc itself and each stage's command) appends one JSON line at exit: its main
module, argv, wall time since the process started (from /proc, so interpreter start-up
counts), its own CPU seconds and its peak RSS (VmHWM of /proc/self/status: this program's
own high-water mark, unlike ru_maxrss, which can carry the RSS of the process that forked
it across exec).
Nothing in the project's dvc.yaml changes.
"""

from __future__ import annotations

import atexit
import os


def _started_at() -> float:
    """The process's start, in CLOCK_BOOTTIME seconds (what /proc/self/stat counts in)."""
    with open("/proc/self/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _high_water_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _record(path: str, started: float) -> None:
    import json
    import sys
    import time

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    record = {
        "pid": os.getpid(),
        "module": getattr(spec, "name", None),
        "argv": list(sys.argv),
        "started": started,
        "wall_s": time.clock_gettime(time.CLOCK_BOOTTIME) - started,
        "peak_rss_mb": _high_water_kb() / 1024,
        # This process's own user + system seconds up to here: a lower bound, since the
        # interpreter's shutdown (its last garbage collections) comes after atexit.
        "cpu_s": sum(os.times()[:2]),
        "xdist_worker": sys.argv[:1] == ["-c"] and "_pytest.main" in sys.modules,
    }
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


_LOG = os.environ.get("BENCH_PROC_LOG")
if _LOG:
    atexit.register(_record, _LOG, _started_at())
