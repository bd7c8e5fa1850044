"""Read and write events and telemetry: plain functions of a session, keyword-only arguments."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from reachy_mini_ros.db.models import Event, Heartbeat, Telemetry
from reachy_mini_ros.db.records import EventRecord, TelemetryPoint


def insert_ignoring_duplicates(
    session: Session, *, table: type[Event] | type[Telemetry], rows: Sequence[dict[str, Any]]
) -> int:
    """Insert rows, skipping those whose uid is already stored; return how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        # The engine's own dialect module, loaded with it: the other one is never imported.
        module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
        statement: Any = module.insert(table).on_conflict_do_nothing(index_elements=["uid"])
    else:
        # Other backends: plain insert; a replayed batch then fails on the unique uid instead
        # of being duplicated.
        statement = insert(table)
    result = session.execute(statement, list(rows))
    count = getattr(result, "rowcount", -1)
    return int(count) if count is not None and count >= 0 else len(rows)


def beat(connection: Connection, *, now: float) -> None:
    """Update the heartbeat row (made again if it was deleted): a write that must commit.

    A SELECT, or a write rolled back, passes on a PostgreSQL server in read-only mode.
    """
    result: Any = connection.execute(update(Heartbeat).where(Heartbeat.id == 1).values(time=now))
    if not result.rowcount:
        connection.execute(insert(Heartbeat).values(id=1, time=now))


def _event_filters(
    *,
    level: int | None,
    min_level: int | None,
    source: str | None,
    kind: str | None,
    since: float | None,
    until: float | None,
) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses of an event query."""
    clauses: list[ColumnElement[bool]] = []
    if level is not None:
        clauses.append(Event.level == level)
    if min_level is not None:
        clauses.append(Event.level >= min_level)
    if source is not None:
        clauses.append(Event.source == source)
    if kind is not None:
        clauses.append(Event.kind == kind)
    if since is not None:
        clauses.append(Event.time >= since)
    if until is not None:
        clauses.append(Event.time < until)
    return clauses


def query_events(
    session: Session,
    *,
    level: int | None = None,
    min_level: int | None = None,
    source: str | None = None,
    kind: str | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[EventRecord], int]:
    """Return one page of matching events, newest first, and the number of all matches."""
    clauses = _event_filters(
        level=level, min_level=min_level, source=source, kind=kind, since=since, until=until
    )
    total = session.scalar(select(func.count()).select_from(Event).where(*clauses)) or 0
    page = session.scalars(
        select(Event)
        .where(*clauses)
        .order_by(Event.time.desc(), Event.id.desc())
        .limit(max(0, limit))
        .offset(max(0, offset))
    ).all()
    records = [
        EventRecord(
            id=row.id,
            time=row.time,
            level=row.level,
            source=row.source,
            kind=row.kind,
            message=row.message,
            details=dict(row.details or {}),
        )
        for row in page
    ]
    return records, int(total)


def _telemetry_range(
    joint: str | None, since: float | None, until: float | None
) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses of a telemetry query."""
    clauses: list[ColumnElement[bool]] = []
    if joint is not None:
        clauses.append(Telemetry.joint == joint)
    if since is not None:
        clauses.append(Telemetry.start_time >= since)
    if until is not None:
        clauses.append(Telemetry.start_time < until)
    return clauses


def query_telemetry(
    session: Session,
    *,
    joint: str | None = None,
    since: float | None = None,
    until: float | None = None,
    max_points: int = 300,
) -> list[TelemetryPoint]:
    """Return telemetry ordered by time (then joint), merged into at most max_points per joint.

    When a joint has more rows than max_points, the time range is cut into max_points equal
    buckets and the rows of each bucket are merged: counts add up, the mean is weighted by
    count, min and max are the extremes and last is the last row's.
    """
    max_points = max(1, max_points)
    clauses = _telemetry_range(joint, since, until)
    # Grouped by the bare column, SQLite walks the whole (joint, start_time) index to skip a
    # sort; grouped by an expression it reads only the time range (5 ms instead of 400 ms for
    # the last 10 min of a week of 15 joints).
    sqlite = session.get_bind().dialect.name == "sqlite"
    joint_key = Telemetry.joint.concat("") if sqlite else Telemetry.joint
    counts = session.execute(
        select(func.count()).select_from(Telemetry).where(*clauses).group_by(joint_key)
    ).scalars()
    most = max(counts, default=0)
    if most == 0:
        return []
    if most <= max_points:
        rows = session.scalars(
            select(Telemetry).where(*clauses).order_by(Telemetry.start_time, Telemetry.joint)
        ).all()
        return [_point(row) for row in rows]
    span = session.execute(
        select(func.min(Telemetry.start_time), func.max(Telemetry.start_time)).where(*clauses)
    ).one()
    low, high = float(span[0]), float(span[1])
    # Slightly wider than span / max_points so that the newest row falls in the last bucket
    # (index max_points - 1) instead of opening one more.
    width = (high - low) / max_points * (1 + 1e-9) or 1.0
    return _downsampled(session, clauses, low=low, high=high, width=width)


def _bucket_index(session: Session, *, low: float, width: float) -> ColumnElement[int]:
    """Return the bucket number of a row, floor((start - low) / width), for the dialect."""
    offset = (Telemetry.start_time - low) / width
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL rounds when casting to integer; floor first.
        return cast(func.floor(offset), Integer)
    # SQLite truncates, which is floor for the non-negative offsets here.
    return cast(offset, Integer)


def _downsampled(
    session: Session,
    clauses: list[ColumnElement[bool]],
    *,
    low: float,
    high: float,
    width: float,
) -> list[TelemetryPoint]:
    """Merge the matching rows into buckets of the given width, per joint."""
    bucket = _bucket_index(session, low=low, width=width).label("bucket")
    grouped = (
        select(
            Telemetry.joint,
            bucket,
            func.min(Telemetry.start_time).label("start"),
            func.max(Telemetry.end_time).label("end"),
            func.sum(Telemetry.count).label("samples"),
            # Divided in Python: SQL division would cast to NUMERIC on PostgreSQL, much slower.
            func.sum(Telemetry.mean * Telemetry.count).label("weighted"),
            func.min(Telemetry.minimum).label("min"),
            func.max(Telemetry.maximum).label("max"),
            func.max(Telemetry.start_time).label("last_start"),
        )
        .where(*clauses)
        # Bucket first, for the same reason as the counts above.
        .group_by(bucket, Telemetry.joint)
    )
    buckets = grouped.subquery()
    # The bucket's last value is its newest row's, found through the (joint, start_time) index.
    lookup = select(buckets, Telemetry.last).join(
        Telemetry,
        (Telemetry.joint == buckets.c.joint) & (Telemetry.start_time == buckets.c.last_start),
    )
    if session.get_bind().dialect.name == "postgresql":
        # Redundant for the result; without it the planner merge-joins the whole table.
        lookup = lookup.where(Telemetry.start_time >= low, Telemetry.start_time <= high)
    rows = session.execute(lookup.order_by(buckets.c.start, buckets.c.joint)).all()
    # Two rows of one joint with the same start (never written by the aggregator) would give
    # a bucket twice: keep one.
    unique = {(row.joint, row.bucket): row for row in rows}
    return [
        TelemetryPoint(
            joint=row.joint,
            start=float(row.start),
            end=float(row.end),
            count=int(row.samples),
            mean=float(row.weighted) / int(row.samples),
            min=float(row.min),
            max=float(row.max),
            last=float(row.last),
        )
        for row in unique.values()
    ]


def _point(row: Telemetry) -> TelemetryPoint:
    """Return the record of one telemetry row."""
    return TelemetryPoint(
        joint=row.joint,
        start=row.start_time,
        end=row.end_time,
        count=row.count,
        mean=row.mean,
        min=row.minimum,
        max=row.maximum,
        last=row.last,
    )


def delete_older_than(
    session: Session, *, events_before: float, telemetry_before: float, limit: int | None = None
) -> tuple[int, int]:
    """Delete events older than events_before and telemetry that ended before telemetry_before.

    With limit, delete at most that many rows of each table. Return the numbers of events and
    of telemetry rows deleted.
    """
    counts = []
    for table, clause in (
        (Event, Event.time < events_before),
        (Telemetry, Telemetry.end_time < telemetry_before),
    ):
        statement = delete(table)
        if limit is None:
            statement = statement.where(clause)
        else:
            oldest = select(table.id).where(clause).limit(limit).scalar_subquery()
            statement = statement.where(table.id.in_(oldest))
        result: Any = session.execute(statement, execution_options={"synchronize_session": False})
        counts.append(max(0, int(result.rowcount or 0)))
    return counts[0], counts[1]
