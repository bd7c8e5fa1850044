"""Turn events and telemetry points into the rows that the writer inserts."""

from __future__ import annotations

import math
from typing import Any

from reachy_mini_ros.db.models import KIND_LENGTH, SOURCE_LENGTH
from reachy_mini_ros.db.records import TelemetryPoint


def event_row(
    *,
    uid: str,
    time: float,
    level: int,
    source: str,
    kind: str,
    message: str,
    details: dict[str, object] | None,
) -> dict[str, Any]:
    """Return the row of one event, with source and kind cut to their column lengths."""
    return {
        "uid": uid,
        "time": time,
        "level": int(level),
        "source": str(source)[:SOURCE_LENGTH],
        "kind": str(kind)[:KIND_LENGTH],
        "message": str(message),
        "details": dict(details) if details else {},
    }


def telemetry_row(*, uid: str, point: TelemetryPoint) -> dict[str, Any]:
    """Return the row of one telemetry aggregate."""
    return {
        "uid": uid,
        "joint": point.joint,
        "start_time": float(point.start),
        "end_time": float(point.end),
        "count": int(point.count),
        "mean": float(point.mean),
        "minimum": float(point.min),
        "maximum": float(point.max),
        "last": float(point.last),
    }


def jsonable_event(row: dict[str, Any]) -> dict[str, Any]:
    """Return the row with details that any JSON column accepts."""
    return {**row, "details": jsonable(row["details"])}


def jsonable(value: object) -> Any:
    """Return value as plain JSON data: str keys, finite numbers, lists; others as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    return str(value)
