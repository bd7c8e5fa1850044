"""Delete events and telemetry older than their maximum age, a chunk at a time."""

from __future__ import annotations

from sqlalchemy.orm import Session

from reachy_mini_ros.db import repository

# Rows deleted per retention transaction: a few tens of ms of SQLite's write lock.
RETENTION_CHUNK = 5_000


def delete_expired(
    session: Session, *, now: float, events_max_age_s: float, telemetry_max_age_s: float
) -> int:
    """Delete what is older than its maximum age at time now; return the rows deleted."""
    # In chunks, each its own transaction: SQLite has one write lock, and the writer thread
    # must not wait behind a month of deletions.
    total = 0
    while True:
        events, telemetry = repository.delete_older_than(
            session,
            events_before=now - events_max_age_s,
            telemetry_before=now - telemetry_max_age_s,
            limit=RETENTION_CHUNK,
        )
        session.commit()
        total += events + telemetry
        if max(events, telemetry) < RETENTION_CHUNK:
            return total
