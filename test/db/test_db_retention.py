"""Retention deletes old rows and only those."""

from __future__ import annotations

import time

import pytest

from reachy_mini_ros.db import Database, TelemetryPoint, retention

DAY = 86_400.0


def test_retention_deletes_only_rows_past_their_age(database: Database) -> None:
    now = time.time()
    for age_days in (40, 31, 29, 1):
        database.record_event(
            level=0,
            source="bridge",
            kind="system",
            message=f"{age_days} days",
            time=now - age_days * DAY,
        )
    for age_days in (10, 8, 6, 0):
        start = now - age_days * DAY
        database.record_telemetry(
            TelemetryPoint(
                joint="yaw_body",
                start=start,
                end=start + 1,
                count=200,
                mean=0.1,
                min=0.0,
                max=0.2,
                last=0.2,
            )
        )
    assert database.flush(10.0)

    deleted = database.run_retention(events_max_age_s=30 * DAY, telemetry_max_age_s=7 * DAY)

    assert deleted == 4
    events, total = database.query_events()
    assert total == 2
    assert sorted(event.message for event in events) == ["1 days", "29 days"]
    telemetry = database.query_telemetry()
    assert [round((now - point.start) / DAY) for point in telemetry] == [6, 0]


def test_retention_with_nothing_old_deletes_nothing(database: Database) -> None:
    database.record_event(level=0, source="bridge", kind="system", message="fresh")
    assert database.flush(10.0)
    assert database.run_retention(events_max_age_s=DAY, telemetry_max_age_s=DAY) == 0
    assert database.query_events()[1] == 1


def test_retention_deletes_in_chunks_until_nothing_old_is_left(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "RETENTION_CHUNK", 7)
    now = time.time()
    for i in range(23):
        database.record_event(
            level=0, source="bridge", kind="system", message=f"old {i}", time=now - 2 * DAY
        )
    for i in range(16):
        start = now - 2 * DAY + i
        database.record_telemetry(
            TelemetryPoint("head_z", start, start + 1, 200, 0.0, 0.0, 0.0, 0.0)
        )
    database.record_event(level=0, source="bridge", kind="system", message="new", time=now)
    assert database.flush(10.0)

    assert database.run_retention(events_max_age_s=DAY, telemetry_max_age_s=DAY) == 23 + 16

    events, _ = database.query_events()
    assert [event.message for event in events] == ["new"]
    assert database.query_telemetry() == []
