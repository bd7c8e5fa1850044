"""Shared by the bridge benchmarks: run the stack on the simulated robot, watch the bridge."""

from __future__ import annotations

import contextlib
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test"))

# Like the tests: a domain of our own, discovery limited to this machine.
os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 101)))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
os.environ.setdefault("AMENT_PREFIX_PATH", sys.prefix)

from support import Stack, running_stack  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100.0 * len(ordered)))]


@contextlib.contextmanager
def stack() -> Iterator[Stack]:
    """Run `reachy-mini bringup` on the simulated robot until the bridge serves joints."""
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as running:
        yield running


class Usage:
    """CPU (percent of one core) and RSS of a process over a measured span."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self._start_cpu = 0.0
        self._start = 0.0

    def __enter__(self) -> Usage:
        times = self.process.cpu_times()
        self._start_cpu = times.user + times.system
        self._start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        times = self.process.cpu_times()
        elapsed = time.monotonic() - self._start
        self.cpu_percent = 100.0 * (times.user + times.system - self._start_cpu) / elapsed
        memory = self.process.memory_full_info()
        self.rss_mb = memory.rss / (1024 * 1024)
        # PSS shares the pages of libraries mapped by several processes (rclpy, Fast DDS...).
        self.pss_mb = memory.pss / (1024 * 1024)

    def line(self) -> str:
        """Return 'cpu X % rss Y MB (pss Z MB)'."""
        return (
            f"bridge cpu {self.cpu_percent:5.1f} % of one core, "
            f"rss {self.rss_mb:6.1f} MB (pss {self.pss_mb:6.1f} MB)"
        )
