"""Events go in through the queue and come back filtered, paged and counted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reachy_mini_ros.db import Database, EventRecord, repository
from reachy_mini_ros.db.models import Event
from reachy_mini_ros.db.session import create_db_engine

T0 = 1_800_000_000.0

# (time offset s, level, source, kind)
ROWS = [
    (0, 0, "hardware_node: Motor stewart_1", "diagnostic"),
    (1, 1, "hardware_node: Motor stewart_1", "diagnostic"),
    (2, 2, "hardware_node: Motor stewart_1", "fault"),
    (3, 0, "hardware_node: Bus", "diagnostic"),
    (4, 3, "hardware_node: Bus", "diagnostic"),
    (5, 0, "api", "command"),
    (6, 0, "api", "command"),
    (7, 2, "bridge", "component"),
    (8, 0, "bridge", "system"),
    (9, 1, "api", "command"),
]


@pytest.fixture
def filled(database: Database) -> Database:
    """Return the database holding ROWS."""
    for offset, level, source, kind in ROWS:
        assert database.record_event(
            level=level,
            source=source,
            kind=kind,
            message=f"event at {offset}",
            details={"offset": offset},
            time=T0 + offset,
        )
    assert database.flush(10.0)
    return database


def offsets(page: list[EventRecord]) -> list[int]:
    """Return the time offsets of a page of events."""
    return [round(event.time - T0) for event in page]


def test_event_round_trips_every_field(database: Database) -> None:
    details: dict[str, object] = {"joint": "stewart_3", "target": [0.1, -0.2], "ok": True}
    database.record_event(
        level=2,
        source="hardware_node: Motor stewart_3",
        kind="fault",
        message="Overheating",
        details=details,
        time=T0 + 0.25,
    )
    assert database.flush(10.0)
    page, total = database.query_events()
    assert total == 1
    event = page[0]
    assert event.id > 0
    assert event.time == pytest.approx(T0 + 0.25, abs=1e-6)
    assert (event.level, event.source, event.kind) == (
        2,
        "hardware_node: Motor stewart_3",
        "fault",
    )
    assert event.message == "Overheating"
    assert event.details == details


def test_event_without_time_gets_the_current_time(database: Database) -> None:
    before = time.time()
    database.record_event(level=0, source="bridge", kind="system", message="started")
    assert database.flush(10.0)
    (event,), _ = database.query_events()
    assert before - 1.0 <= event.time <= time.time() + 1.0


def test_details_that_are_not_json_are_stored_as_text(database: Database) -> None:
    odd: dict[Any, object] = {"nan": float("nan"), "path": Path("/tmp"), 3: (1, 2)}
    database.record_event(
        level=1, source="bridge", kind="system", message="odd details", details=odd
    )
    assert database.flush(10.0)
    (event,), _ = database.query_events()
    assert event.details == {"nan": "nan", "path": "/tmp", "3": [1, 2]}


def test_events_come_newest_first(filled: Database) -> None:
    page, total = filled.query_events()
    assert total == len(ROWS)
    assert offsets(page) == list(range(9, -1, -1))


def test_events_filter_by_exact_level(filled: Database) -> None:
    page, total = filled.query_events(level=2)
    assert total == 2
    assert offsets(page) == [7, 2]


def test_events_filter_by_minimum_level(filled: Database) -> None:
    page, total = filled.query_events(min_level=2)
    assert total == 3
    assert offsets(page) == [7, 4, 2]


def test_events_filter_by_source(filled: Database) -> None:
    page, total = filled.query_events(source="hardware_node: Bus")
    assert total == 2
    assert offsets(page) == [4, 3]


def test_events_filter_by_kind(filled: Database) -> None:
    page, total = filled.query_events(kind="command")
    assert total == 3
    assert offsets(page) == [9, 6, 5]


def test_events_filter_by_time_range(filled: Database) -> None:
    page, total = filled.query_events(since=T0 + 2, until=T0 + 5)
    assert total == 3
    assert offsets(page) == [4, 3, 2]


def test_events_filters_combine(filled: Database) -> None:
    page, total = filled.query_events(kind="command", min_level=1, since=T0 + 1)
    assert total == 1
    assert offsets(page) == [9]


def test_events_page_with_limit_and_offset_and_count_all_matches(filled: Database) -> None:
    first, total = filled.query_events(limit=4)
    second, total_again = filled.query_events(limit=4, offset=4)
    last, _ = filled.query_events(limit=4, offset=8)
    beyond, total_beyond = filled.query_events(limit=4, offset=40)
    assert total == total_again == total_beyond == len(ROWS)
    assert offsets(first) == [9, 8, 7, 6]
    assert offsets(second) == [5, 4, 3, 2]
    assert offsets(last) == [1, 0]
    assert beyond == []


def test_replayed_rows_are_stored_once(database: Database) -> None:
    # What the writer does after a commit whose acknowledgement was lost: insert the batch again.
    rows: list[dict[str, Any]] = [
        {
            "uid": f"replay-{index}",
            "time": T0 + index,
            "level": 0,
            "source": "bridge",
            "kind": "system",
            "message": f"replayed {index}",
            "details": {},
        }
        for index in range(5)
    ]
    engine = create_db_engine(database.url)
    try:
        with Session(engine) as session, session.begin():
            assert repository.insert_ignoring_duplicates(session, table=Event, rows=rows) == 5
        new_row = {**rows[0], "uid": "replay-new", "message": "new"}
        with Session(engine) as session, session.begin():
            repository.insert_ignoring_duplicates(session, table=Event, rows=[*rows, new_row])
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Event)) == 6
    finally:
        engine.dispose()
