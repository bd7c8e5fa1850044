"""WS /ws: live joint states, diagnostics and events, and commands (docs/websocket.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from reachy_mini_ros.bridge import commands
from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.bridge.runtime import Bridge
from reachy_mini_ros.bridge.security import origin_allowed

router = APIRouter()
log = get_logger("reachy_mini.bridge.ws")

# 1008: policy violation (a foreign Origin); 1013: try again later (shutting down).
CLOSE_POLICY = 1008
CLOSE_TRY_LATER = 1013


@router.websocket("/ws")
async def websocket(websocket: WebSocket) -> None:
    """Serve one WebSocket client."""
    bridge: Bridge = websocket.app.state.bridge
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, bridge.config):
        log.warning("ws_origin_refused", origin=origin)
        await websocket.close(code=CLOSE_POLICY)
        return
    if not bridge.hub.running:
        await websocket.close(code=CLOSE_TRY_LATER)
        return
    await websocket.accept()
    peer = websocket.client.host if websocket.client is not None else None

    async def run_command(message: dict[str, Any]) -> dict[str, Any]:
        return await commands.run_ws_command(bridge, message, peer)

    await bridge.hub.serve(websocket, run_command)
