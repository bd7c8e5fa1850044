"""Create engines tuned to notice an outage fast, for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from reachy_mini_ros.db.url import normalize_url

# A dead or unreachable server is noticed within 2 s instead of the OS's minutes.
PG_CONNECT_TIMEOUT_S = 2
# TCP keepalives close a connection to a vanished host in about 5 + 3 * 2 = 11 s.
PG_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}
# How long SQLite waits for another writer's lock before failing.
SQLITE_BUSY_TIMEOUT_S = 5.0
# How long a caller waits for a free pooled connection before giving up.
POOL_TIMEOUT_S = 5.0


def create_db_engine(url: str) -> Engine:
    """Return an engine for url with pre-ping, short timeouts and, for SQLite, WAL mode."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, in_memory=is_in_memory(parsed))
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_timeout": POOL_TIMEOUT_S}
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S, **PG_KEEPALIVES}
        # Connections idle past 30 min may have been cut by a firewall; reopen them.
        kwargs["pool_recycle"] = 1800
    return create_engine(url, **kwargs)


def is_in_memory(url: URL) -> bool:
    """Return whether url names an in-memory SQLite database, private to its process."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_engine(url: str, *, in_memory: bool) -> Engine:
    """Return a SQLite engine shared by the writer thread and the request threads."""
    connect_args: dict[str, Any] = {
        "check_same_thread": False,
        "timeout": SQLITE_BUSY_TIMEOUT_S,
    }
    if in_memory:
        # Every connection to ":memory:" is a new database: share one connection instead.
        engine = create_engine(url, connect_args=connect_args, poolclass=StaticPool)
    else:
        engine = create_engine(
            url, connect_args=connect_args, pool_pre_ping=True, pool_timeout=POOL_TIMEOUT_S
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # WAL lets the API read while the writer thread writes; NORMAL is safe with WAL and
            # spares an fsync per batch.
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to engine that keeps objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
