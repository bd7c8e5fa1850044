"""A PostgreSQL outage loses nothing: records wait in the queue and are written once it is back."""

from __future__ import annotations

import threading
import time
from collections import Counter

import psycopg
import pytest
from pg import PostgresServer
from support import wait_for

from reachy_mini_ros.db import Database, DatabaseUnavailable


class Recorder:
    """Record numbered command events from a thread, as API requests would."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sent: list[str] = []
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        number = 0
        while not self._stop.is_set():
            message = f"command {number}"
            accepted = self.db.record_event(
                level=0, source="api", kind="command", message=message, details={"n": number}
            )
            if accepted:
                self.sent.append(message)
            else:
                self.refused += 1
            number += 1
            time.sleep(0.002)

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def count(self) -> int:
        """Return how many events were accepted so far."""
        return len(self.sent)


def stored_messages(url: str) -> Counter[str]:
    """Count the stored command events by message, straight from the server."""
    with psycopg.connect(url, connect_timeout=5) as connection:
        rows = connection.execute("SELECT message FROM events WHERE kind = 'command'").fetchall()
    return Counter(message for (message,) in rows)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_events_recorded_during_an_outage_are_stored_exactly_once(
    pg_server: PostgresServer, pg_url: str, mode: str
) -> None:
    db = Database(pg_url, batch_size=50, flush_interval_s=0.05)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database ({db.last_error})")
        with Recorder(db) as recorder:
            wait_for(lambda: db.written >= 100, 30.0, "events written before the outage")
            pg_server.stop(mode)
            outage_started = recorder.count()
            wait_for(lambda: not db.healthy, 30.0, "the writer to notice the outage")
            with pytest.raises(DatabaseUnavailable):
                db.query_events(kind="command")
            wait_for(
                lambda: recorder.count() >= outage_started + 200,
                30.0,
                "events recorded during the outage",
            )
            assert db.queue_depth > 0
            pg_server.start()
            wait_for(lambda: db.healthy, 30.0, f"the writer to reconnect ({db.last_error})")
            during_outage = recorder.count() - outage_started
        assert db.flush(30.0), f"{db.queue_depth} records still queued ({db.last_error})"
    finally:
        db.stop()

    assert recorder.refused == 0 and db.dropped == 0
    assert during_outage >= 200
    stored = stored_messages(pg_url)
    assert set(stored) == set(recorder.sent), "events lost or invented"
    duplicated = {message: n for message, n in stored.items() if n > 1}
    assert duplicated == {}
    assert db.written == len(recorder.sent)


def test_database_down_at_start_is_migrated_when_it_comes_up(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    pg_server.stop()
    db = Database(url, flush_interval_s=0.05)
    db.start()
    try:
        wait_for(lambda: db.last_error is not None, 30.0, "a failed connection attempt")
        assert not db.healthy
        for i in range(20):
            assert db.record_event(level=1, source="bridge", kind="system", message=f"early {i}")
        pg_server.start()
        wait_for(lambda: db.healthy, 30.0, f"the database ({db.last_error})")
        assert db.flush(30.0)
        assert db.query_events(kind="system")[1] == 20
    finally:
        db.stop()
        if not pg_server.running:
            pg_server.start()


def test_check_reports_the_server_state(pg_server: PostgresServer, pg_url: str) -> None:
    db = Database(pg_url)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database ({db.last_error})")
        assert db.check()
        pg_server.stop()
        assert not db.check()
        assert not db.healthy
        assert db.last_error
        pg_server.start()
        wait_for(db.check, 30.0, "the server to answer again")
        assert db.healthy
    finally:
        db.stop()
        if not pg_server.running:
            pg_server.start()


def test_a_refused_record_does_not_hold_up_the_others(pg_url: str) -> None:
    db = Database(pg_url, flush_interval_s=0.05)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database ({db.last_error})")
        # PostgreSQL text cannot hold NUL characters: this row is refused.
        for message in ("before", "bad \x00 byte", "after"):
            db.record_event(level=0, source="api", kind="command", message=message)
        assert db.flush(30.0)
        page, total = db.query_events(kind="command")
        assert total == 2
        assert {event.message for event in page} == {"before", "after"}
        assert db.rejected == 1
        assert db.healthy
    finally:
        db.stop()


def test_restarting_the_writer_during_an_outage_keeps_the_queue(
    pg_server: PostgresServer, pg_url: str
) -> None:
    # What the bridge's self-healing does to an unhealthy database component: stop, then start.
    db = Database(pg_url, flush_interval_s=0.05)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database ({db.last_error})")
        pg_server.stop()
        for i in range(30):
            db.record_event(level=0, source="api", kind="command", message=f"queued {i}")
        wait_for(lambda: not db.healthy, 30.0, "the writer to notice the outage")
        db.stop(timeout_s=5.0)
        assert db.queue_depth == 30
        db.start()
        db.start()  # a second start while running is a no-op
        pg_server.start()
        wait_for(lambda: db.healthy, 30.0, f"the writer to reconnect ({db.last_error})")
        assert db.flush(30.0)
        assert stored_messages(pg_url) == Counter(f"queued {i}" for i in range(30))
    finally:
        db.stop()
        if not pg_server.running:
            pg_server.start()


def test_idle_writer_notices_an_outage(pg_server: PostgresServer, pg_url: str) -> None:
    db = Database(pg_url, flush_interval_s=0.05)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database ({db.last_error})")
        pg_server.stop()
        # Nothing is recorded: the writer's own periodic round trip finds the server gone.
        wait_for(lambda: not db.healthy, 30.0, "the idle writer to notice the outage")
        pg_server.start()
        wait_for(lambda: db.healthy, 30.0, "the idle writer to notice the recovery")
    finally:
        db.stop()
        if not pg_server.running:
            pg_server.start()


def test_reads_raise_database_unavailable_while_the_server_is_down(
    pg_server: PostgresServer, pg_url: str
) -> None:
    db = Database(pg_url)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database ({db.last_error})")
        pg_server.stop()
        with pytest.raises(DatabaseUnavailable):
            db.query_events()
        with pytest.raises(DatabaseUnavailable):
            db.query_telemetry()
        with pytest.raises(DatabaseUnavailable):
            db.run_retention(events_max_age_s=1.0, telemetry_max_age_s=1.0)
        assert not db.healthy
    finally:
        db.stop()
        if not pg_server.running:
            pg_server.start()


def test_bridges_starting_together_all_get_the_schema(pg_url: str) -> None:
    databases = [Database(pg_url) for _ in range(3)]
    for db in databases:
        db.start()
    try:
        for db in databases:
            wait_for(db.check, 60.0, f"every database ({db.last_error})")
        for n, db in enumerate(databases):
            db.record_event(level=0, source=f"bridge {n}", kind="system", message="started")
        for db in databases:
            assert db.flush(30.0)
        assert databases[0].query_events(kind="system")[1] == 3
    finally:
        for db in databases:
            db.stop()
    with psycopg.connect(pg_url, connect_timeout=5) as connection:
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
