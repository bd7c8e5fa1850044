"""GET /api/health: is the bridge working, and which components are down."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response

from reachy_mini_ros.bridge.deps import BridgeDep
from reachy_mini_ros.bridge.schemas import HealthComponents, HealthConfig, HealthResponse

router = APIRouter(tags=["health"])


@router.get(
    "/api/health",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "A critical component is down."}},
)
async def health(bridge: BridgeDep, response: Response) -> HealthResponse:
    """Report overall health: 200 healthy or degraded, 503 unhealthy."""
    components = bridge.components()
    status = bridge.overall_status(components)
    if status == "unhealthy":
        response.status_code = 503
    config = bridge.config
    return HealthResponse(
        status=status,  # type: ignore[arg-type]
        timestamp=time.time(),
        components=HealthComponents(**components),
        config=HealthConfig(
            api_host=config.api_host, api_port=config.api_port, debug=config.debug
        ),
    )
