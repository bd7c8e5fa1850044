"""The health check writes: a database that can be read but not written is unhealthy."""

from __future__ import annotations

import multiprocessing
import os
import stat
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url
from support import wait_for

from reachy_mini_ros.db import Database

# The account that the SQLite check runs as when the tests run as root, for whom a file's
# mode bits change nothing (CAP_DAC_OVERRIDE): nobody.
UNPRIVILEGED_UID = 65534


def _check_read_only_sqlite(directory: str, results: multiprocessing.Queue[object]) -> None:
    """Open a SQLite database, make its file read-only, and report what check() says."""
    if os.geteuid() == 0:
        os.setgid(UNPRIVILEGED_UID)
        os.setuid(UNPRIVILEGED_UID)
    path = Path(directory) / "reachy_mini.db"
    db = Database(f"sqlite:///{path}", flush_interval_s=0.05)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database to be ready ({db.last_error})")
        results.put(("writable", db.check(), db.last_error))
        os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        results.put(("read-only", db.check(), db.last_error))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        results.put(("writable again", db.check(), db.last_error))
    finally:
        db.stop()


def test_check_fails_on_a_sqlite_file_made_read_only() -> None:
    # Not under pytest's tmp_path: the unprivileged account could not enter it.
    directory = tempfile.mkdtemp(prefix="reachy-mini-ro-")
    os.chmod(directory, 0o777)
    # Migrated here: the migration runs in a child interpreter that the unprivileged account
    # may not be able to execute.
    path = Path(directory) / "reachy_mini.db"
    db = Database(f"sqlite:///{path}")
    db.start()
    wait_for(lambda: db.healthy, 30.0, f"the database to be ready ({db.last_error})")
    db.stop()
    if os.geteuid() == 0:
        for entry in Path(directory).iterdir():
            os.chown(entry, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[object] = context.Queue()
    child = context.Process(target=_check_read_only_sqlite, args=(directory, results))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    outcomes = {}
    while not results.empty():
        name, healthy, error = results.get()  # type: ignore[misc]
        outcomes[name] = (healthy, error)
    assert outcomes["writable"][0] is True
    assert outcomes["read-only"][0] is False
    assert "readonly" in str(outcomes["read-only"][1])
    assert outcomes["writable again"][0] is True


def test_check_fails_on_a_read_only_postgresql_database_and_nothing_is_dropped(
    pg_url: str,
) -> None:
    url = make_url(pg_url)
    admin = {"host": url.host, "port": url.port, "user": url.username, "autocommit": True}
    db = Database(pg_url, flush_interval_s=0.05)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database to be ready ({db.last_error})")
        assert db.check() is True
        with psycopg.connect(dbname="postgres", **admin) as connection:
            connection.execute(
                f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on'
            )
            # The setting applies to new sessions: end the bridge's, as a failover would.
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (url.database,),
            )
        assert db.check() is False
        assert "read-only" in str(db.last_error)
        db.record_event(level=0, source="test", kind="system", message="while read-only")
        # The writer (every 0.05 s) keeps the record for a retry rather than drop it as a bad
        # row: a second is many attempts.
        time.sleep(1.0)
        assert db.rejected == 0
        assert db.queue_depth == 1
        with psycopg.connect(dbname="postgres", **admin) as connection:
            connection.execute(
                f'ALTER DATABASE "{url.database}" RESET default_transaction_read_only'
            )
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (url.database,),
            )
        wait_for(db.check, 20.0, f"the database to be writable again ({db.last_error})")
        assert db.flush(20.0)
        events, _ = db.query_events(source="test")
        assert [e.message for e in events] == ["while read-only"]
        assert db.rejected == 0
    finally:
        db.stop()
