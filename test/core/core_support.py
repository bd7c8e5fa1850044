"""Polling helper shared by the tests of the Rust core's Python module."""

from __future__ import annotations

import time
from collections.abc import Callable

# Generous bounds: the machine running the tests may be busy, and speed is measured by the
# benchmarks, not here.
WAIT_S = 20.0


def wait_for(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    """Poll condition until it holds or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
