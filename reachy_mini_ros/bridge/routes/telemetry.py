"""GET /api/telemetry: downsampled joint position history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from reachy_mini_ros.bridge.deps import DatabaseDep
from reachy_mini_ros.bridge.schemas import ErrorResponse, TelemetryPointModel, TelemetryResponse

router = APIRouter(tags=["history"])

Time = Annotated[float | None, Query(ge=0, le=1e11, description="UNIX time in seconds.")]


@router.get(
    "/api/telemetry",
    response_model=TelemetryResponse,
    responses={503: {"model": ErrorResponse, "description": "The database is unavailable."}},
)
def telemetry(
    db: DatabaseDep,
    joint: Annotated[str | None, Query(max_length=100)] = None,
    since: Time = None,
    until: Time = None,
    max_points: Annotated[int, Query(ge=1, le=5000)] = 300,
) -> TelemetryResponse:
    """Return at most max_points aggregates per joint, ordered by time."""
    from reachy_mini_ros.db import DatabaseUnavailable

    try:
        points = db.query_telemetry(joint=joint, since=since, until=until, max_points=max_points)
    except DatabaseUnavailable as exc:
        raise HTTPException(status_code=503, detail=f"the database is unavailable: {exc}") from exc
    joints: dict[str, list[TelemetryPointModel]] = {}
    for p in points:
        joints.setdefault(p.joint, []).append(
            TelemetryPointModel(
                start=p.start,
                end=p.end,
                count=p.count,
                mean=p.mean,
                min=p.min,
                max=p.max,
                last=p.last,
            )
        )
    return TelemetryResponse(joints=joints)
