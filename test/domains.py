"""The DDS domain ids this test process may use.

A run alone has all of 1..101. Under pytest-xdist (`make test` runs two workers) each worker
has every n-th id of them, so that two workers' nodes never share a domain.
"""

from __future__ import annotations

import os


def worker_domains() -> list[int]:
    """Return the domain ids this process may hand out, in order."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker[2:]) if worker.startswith("gw") else 0
    return list(range(1, 102))[index::count]
