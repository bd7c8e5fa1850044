"""Event log and telemetry store of the bridge: SQLite by default, PostgreSQL by DATABASE_URL.

Nothing on the request path or in ROS callbacks waits on the database: records go through a
bounded queue to one writer thread (see Database).
"""

from reachy_mini_ros.db.database import Database
from reachy_mini_ros.db.records import (
    ERROR,
    KIND_COMMAND,
    KIND_COMPONENT,
    KIND_DIAGNOSTIC,
    KIND_FAULT,
    KIND_SYSTEM,
    KINDS,
    LEVELS,
    OK,
    STALE,
    WARN,
    DatabaseUnavailable,
    EventRecord,
    TelemetryPoint,
)
from reachy_mini_ros.db.telemetry import TelemetryAggregator
from reachy_mini_ros.db.url import (
    default_data_dir,
    normalize_url,
    redact_url,
    resolve_database_url,
)

__all__ = [
    "ERROR",
    "KINDS",
    "KIND_COMMAND",
    "KIND_COMPONENT",
    "KIND_DIAGNOSTIC",
    "KIND_FAULT",
    "KIND_SYSTEM",
    "LEVELS",
    "OK",
    "STALE",
    "WARN",
    "Database",
    "DatabaseUnavailable",
    "EventRecord",
    "TelemetryAggregator",
    "TelemetryPoint",
    "default_data_dir",
    "normalize_url",
    "redact_url",
    "resolve_database_url",
]
