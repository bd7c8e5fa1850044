"""GET /api/events: the event log (faults, diagnostics changes, commands), paged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from reachy_mini_ros.bridge.deps import DatabaseDep
from reachy_mini_ros.bridge.schemas import ErrorResponse, EventModel, EventsPage

router = APIRouter(tags=["history"])

Level = Annotated[int | None, Query(ge=0, le=3, description="REP-107 level: 0 OK … 3 STALE.")]
Time = Annotated[float | None, Query(ge=0, le=1e11, description="UNIX time in seconds.")]


@router.get(
    "/api/events",
    response_model=EventsPage,
    responses={503: {"model": ErrorResponse, "description": "The database is unavailable."}},
)
def events(
    db: DatabaseDep,
    level: Level = None,
    min_level: Level = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[str | None, Query(max_length=50)] = None,
    since: Time = None,
    until: Time = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> EventsPage:
    """Return events matching the filters, newest first."""
    from reachy_mini_ros.db import DatabaseUnavailable

    try:
        page, total = db.query_events(
            level=level,
            min_level=min_level,
            source=source,
            kind=kind,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    except DatabaseUnavailable as exc:
        raise HTTPException(status_code=503, detail=f"the database is unavailable: {exc}") from exc
    return EventsPage(
        items=[
            EventModel(
                id=e.id,
                time=e.time,
                level=e.level,
                source=e.source,
                kind=e.kind,
                message=e.message,
                details=dict(e.details),
            )
            for e in page
        ],
        total=total,
        limit=limit,
        offset=offset,
    )
