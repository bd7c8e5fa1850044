"""Tell a lost database from a refused row, and say what went wrong in a short line."""

from __future__ import annotations

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# Error texts are kept short: a failed batch insert's message would otherwise carry its rows.
ERROR_TEXT_LENGTH = 300
# PostgreSQL's read_only_sql_transaction (a server in read-only mode, a hot standby): the rows
# are fine, the server is not; retry rather than drop them.
PG_READ_ONLY_SQLSTATE = "25006"


def is_connection_error(exc: SQLAlchemyError) -> bool:
    """Return whether exc means the database is unreachable (retry) rather than a bad row."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if (
        isinstance(exc, DBAPIError)
        and getattr(exc.orig, "sqlstate", None) == PG_READ_ONLY_SQLSTATE
    ):
        return True
    # SQLite reports "database is locked" as OperationalError too: also worth a retry.
    return isinstance(
        exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeoutError
    )


def error_text(exc: BaseException) -> str:
    """Return a short text for exc, without the statement and parameters."""
    origin = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text_ = f"{type(origin).__name__}: {origin}".strip()
    return text_[:ERROR_TEXT_LENGTH]
