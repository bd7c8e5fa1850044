"""GET /metrics: counters in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from reachy_mini_ros.bridge.deps import BridgeDep
from reachy_mini_ros.bridge.metrics import CONTENT_TYPE

router = APIRouter(tags=["system"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(bridge: BridgeDep) -> PlainTextResponse:
    """Return the bridge's metrics for Prometheus."""
    db = bridge.db
    text = bridge.metrics.render(
        ws_clients=len(bridge.hub.clients),
        db_queue_depth=int(db.queue_depth) if db is not None else 0,
        db_dropped=int(db.dropped) if db is not None else 0,
        db_written=int(db.written) if db is not None else 0,
        components=bridge.components(),
    )
    return PlainTextResponse(text, media_type=CONTENT_TYPE)
