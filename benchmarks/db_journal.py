"""Measure what the crash journal adds to recording an event, the cost a command's answer pays.

Records command events at 20 Hz-like spacing into a SQLite file, with and without the journal,
while the writer thread stores them, and prints the per-call cost (p50/p99, µs) of
record_event: the only database work on a command's path before its answer is sent.

Run: .venv/bin/python benchmarks/db_journal.py [--events 5000] [--gap-ms 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from reachy_mini_ros.db import Database


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100.0 * len(ordered)))]


def bench(tmp: Path, events: int, gap_s: float, journal: bool) -> list[float]:
    """Return the cost in µs of each record_event call."""
    name = "journal" if journal else "plain"
    db = Database(
        f"sqlite:///{tmp / name}.db", journal_dir=tmp / f"{name}-journal" if journal else None
    )
    db.start()
    deadline = time.monotonic() + 60
    while not db.healthy:
        if time.monotonic() > deadline:
            raise SystemExit(f"database not ready: {db.last_error}")
        time.sleep(0.05)
    costs = []
    args = {"goals": {"right_antenna": 0.1, "left_antenna": -0.1}}
    for i in range(events):
        t0 = time.perf_counter()
        db.record_event(
            level=0,
            source="api",
            kind="command",
            message="joints: goals for 2 joint(s) accepted",
            details={"command": "joints", "args": args, "accepted": True, "error": None, "n": i},
        )
        costs.append((time.perf_counter() - t0) * 1e6)
        time.sleep(gap_s)
    db.flush(30)
    db.stop()
    return costs


def main() -> None:
    """Print p50/p99 of record_event with and without the journal."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--gap-ms", type=float, default=1.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for journal in (False, True):
            costs = bench(Path(tmp), options.events, options.gap_ms / 1000, journal)
            results[journal] = (percentile(costs, 50), percentile(costs, 99))
            label = "with journal   " if journal else "without journal"
            p50, p99 = results[journal]
            print(f"record_event {label}: p50 {p50:7.1f} µs   p99 {p99:7.1f} µs")
        added = results[True][1] - results[False][1]
        print(f"added at p99: {added:.1f} µs (target ≤ 500 µs)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
