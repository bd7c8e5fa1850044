"""Real databases for the database tests: a SQLite file, and a PostgreSQL server on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg import PostgresServer, missing_reason
from support import wait_for

from reachy_mini_ros.db import Database

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """Run one PostgreSQL server for the whole run; tests each get their own database in it."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """Return the URL of a fresh, empty PostgreSQL database (the server is started if stopped)."""
    if not pg_server.running:
        pg_server.start()
    return pg_server.create_database()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of a fresh, empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reachy_mini.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """Return a started, migrated Database that flushes often."""
    db = Database(database_url, flush_interval_s=0.05)
    db.start()
    try:
        wait_for(lambda: db.healthy, 30.0, f"the database to be ready ({db.last_error})")
        yield db
    finally:
        db.stop()


@pytest.fixture(autouse=True)
def _no_database_url_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a DATABASE_URL of the machine out of these tests."""
    if "DATABASE_URL" in os.environ:
        monkeypatch.delenv("DATABASE_URL")
