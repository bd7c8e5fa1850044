"""Measure the database layer: cost of recording, writer throughput, telemetry queries.

Prints, for SQLite (a file in a temp dir) and, when it is installed, a throwaway PostgreSQL
server on loopback (the one the tests use):
- record_event: cost of one call on the caller's thread (p50/p99, µs), the only cost that ROS
  callbacks and HTTP handlers pay;
- writer throughput: events per second from queue to committed rows;
- TelemetryAggregator.add: cost of one 15-joint sample (µs);
- query_telemetry: time to downsample one day of 1 s aggregates of 15 joints to 300 points;
- query_events: time for a filtered page with its total over the stored events.

Run: .venv/bin/python benchmarks/db_write.py [--events 50000] [--backend sqlite|postgresql|all]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test"))

from reachy_mini_ros.db import Database, TelemetryAggregator, TelemetryPoint  # noqa: E402
from reachy_mini_ros.interface.joints import HEAD_POSE_JOINT_NAMES, MOTOR_JOINT_NAMES  # noqa: E402

JOINTS = list(MOTOR_JOINT_NAMES) + list(HEAD_POSE_JOINT_NAMES)
DAY_S = 86_400


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100.0 * len(ordered)))]


@contextlib.contextmanager
def database_urls(backend: str) -> Iterator[list[tuple[str, str]]]:
    """Yield (name, url) pairs of empty databases of the chosen backends."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        urls: list[tuple[str, str]] = []
        if backend in ("sqlite", "all"):
            urls.append(("sqlite", f"sqlite:///{tmp}/bench.db"))
        if backend in ("postgresql", "all"):
            from pg import missing_reason, postgres_server

            reason = missing_reason()
            if reason is None:
                server = stack.enter_context(postgres_server())
                urls.append(("postgresql", server.create_database()))
            else:
                print(f"postgresql: skipped ({reason})")
        yield urls


def bench(name: str, url: str, events: int) -> None:
    """Run every measurement on one database."""
    db = Database(url, queue_size=max(events, 100_000), batch_size=500, flush_interval_s=0.05)
    db.start()
    deadline = time.monotonic() + 60
    while not db.healthy:
        if time.monotonic() > deadline:
            raise SystemExit(f"{name}: database not ready: {db.last_error}")
        time.sleep(0.05)

    costs: list[float] = []
    started = time.perf_counter()
    for i in range(events):
        t0 = time.perf_counter()
        db.record_event(
            level=i % 4,
            source=f"hardware_node: Motor {JOINTS[i % 9]}",
            kind="command" if i % 3 else "diagnostic",
            message=f"event {i}",
            details={"n": i},
        )
        costs.append(time.perf_counter() - t0)
    db.flush(600)
    elapsed = time.perf_counter() - started
    print(
        f"{name}: record_event p50 {percentile(costs, 50) * 1e6:.1f} µs, "
        f"p99 {percentile(costs, 99) * 1e6:.1f} µs, max {max(costs) * 1e3:.2f} ms"
    )
    print(f"{name}: writer throughput {events / elapsed:,.0f} events/s ({events} events)")

    aggregator = TelemetryAggregator(db)
    positions = [0.01 * j for j in range(len(JOINTS))]
    samples = 2000
    t0 = time.perf_counter()
    for k in range(samples):
        aggregator.add(1_000.0 + k / 200, JOINTS, positions)
    per_add = (time.perf_counter() - t0) / samples
    print(f"{name}: TelemetryAggregator.add {per_add * 1e6:.1f} µs per 15-joint sample")

    start = time.time() - DAY_S
    for second in range(DAY_S):
        for joint in JOINTS:
            db.record_telemetry(
                TelemetryPoint(joint, start + second, start + second + 1, 200, 0.1, 0.0, 0.2, 0.1)
            )
            if db.queue_depth > 50_000:
                db.flush(600)
    db.flush(600)
    t0 = time.perf_counter()
    points = db.query_telemetry(since=start, max_points=300)
    day_query = time.perf_counter() - t0
    t0 = time.perf_counter()
    recent = db.query_telemetry(since=start + DAY_S - 600, max_points=300)
    recent_query = time.perf_counter() - t0
    print(
        f"{name}: query_telemetry one day x {len(JOINTS)} joints ({DAY_S * len(JOINTS):,} rows) "
        f"-> {len(points)} points in {day_query * 1e3:.0f} ms; last 10 min -> {len(recent)} "
        f"points in {recent_query * 1e3:.0f} ms"
    )
    t0 = time.perf_counter()
    page, total = db.query_events(min_level=2, kind="command", limit=50, offset=100)
    print(
        f"{name}: query_events filtered page of {len(page)} (total {total}) "
        f"in {(time.perf_counter() - t0) * 1e3:.1f} ms"
    )
    db.stop()


def main() -> None:
    """Parse arguments and run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    args = parser.parse_args()
    with database_urls(args.backend) as urls:
        for name, url in urls:
            bench(name, url, args.events)


if __name__ == "__main__":
    main()
