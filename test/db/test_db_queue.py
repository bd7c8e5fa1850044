"""Recording never waits on the database: a bounded queue takes the records, or counts drops."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from support import free_port, wait_for

from reachy_mini_ros.db import Database, DatabaseUnavailable, TelemetryPoint


def test_full_queue_drops_and_counts_records(tmp_path: Path) -> None:
    # Not started: nothing drains the queue.
    db = Database(f"sqlite:///{tmp_path / 'q.db'}", queue_size=10)
    accepted = [
        db.record_event(level=0, source="api", kind="command", message=f"c{i}") for i in range(15)
    ]
    point = TelemetryPoint("yaw_body", 0.0, 1.0, 1, 0.0, 0.0, 0.0, 0.0)
    assert accepted == [True] * 10 + [False] * 5
    assert db.record_telemetry(point) is False
    assert (db.dropped, db.queue_depth, db.written) == (6, 10, 0)


def test_queued_records_are_written_once_started(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'q.db'}", queue_size=10, flush_interval_s=0.05)
    for i in range(10):
        db.record_event(level=0, source="api", kind="command", message=f"c{i}")
    db.start()
    try:
        assert db.flush(30.0)
        assert db.written == 10
        assert db.query_events()[1] == 10
        # Room again: the queue is a bound on what waits, not on what was ever recorded.
        assert db.record_event(level=0, source="api", kind="command", message="c10")
    finally:
        db.stop()


def test_recording_does_not_wait_for_a_locked_database(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    db = Database(f"sqlite:///{path}", queue_size=100_000, batch_size=10, flush_interval_s=0.01)
    db.start()
    locker = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        wait_for(lambda: db.healthy, 30.0, "the database")
        # Another process holds the write lock: the writer now waits up to the 5 s busy timeout.
        locker.execute("BEGIN EXCLUSIVE")
        slowest = 0.0
        deadline = time.monotonic() + 2.0
        count = 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert db.record_event(level=0, source="api", kind="command", message=f"c{count}")
            slowest = max(slowest, time.monotonic() - started)
            count += 1
            time.sleep(0.001)
        assert db.queue_depth > 0
        locker.execute("COMMIT")
        assert db.flush(30.0)
        assert db.query_events(limit=1)[1] == count
        # A call that waited on the database would have waited for the lock (held 2 s) or the
        # 5 s busy timeout; the bound leaves room for a loaded machine.
        assert slowest < 2.0, f"record_event took {slowest:.3f} s"
    finally:
        locker.close()
        db.stop()


def test_start_with_the_server_down_does_not_raise(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing_listens"
    db = Database(url, queue_size=5)
    db.start()
    try:
        wait_for(lambda: db.last_error is not None, 30.0, "a connection attempt")
        assert not db.healthy
        assert not db.check()
        assert all(
            db.record_event(level=0, source="api", kind="command", message=str(i))
            for i in range(5)
        )
        assert not db.record_event(level=0, source="api", kind="command", message="6")
        assert db.dropped == 1
        with pytest.raises(DatabaseUnavailable):
            db.query_events()
    finally:
        db.stop(timeout_s=5.0)


def test_records_from_many_threads_are_all_written(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'threads.db'}", flush_interval_s=0.05, batch_size=64)
    db.start()

    def record(thread: int) -> None:
        for i in range(250):
            db.record_event(level=0, source=f"thread {thread}", kind="system", message=str(i))

    try:
        threads = [threading.Thread(target=record, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert db.flush(30.0)
        assert db.written == 1000
        assert db.query_events(source="thread 3")[1] == 250
    finally:
        db.stop()


def test_stop_writes_what_is_queued(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stop.db'}"
    db = Database(url, flush_interval_s=60.0)
    db.start()
    wait_for(lambda: db.healthy, 30.0, "the database")
    for i in range(123):
        db.record_event(level=0, source="bridge", kind="system", message=str(i))
    db.stop()
    again = Database(url)
    again.start()
    try:
        wait_for(lambda: again.healthy, 30.0, "the database")
        assert again.query_events()[1] == 123
    finally:
        again.stop()
