"""GET /api/moves/running: the moves that have started and not ended."""

from __future__ import annotations

from fastapi import APIRouter

from reachy_mini_ros.bridge.deps import BridgeDep
from reachy_mini_ros.bridge.schemas import RunningMoveModel

router = APIRouter(prefix="/api/moves", tags=["moves"])


@router.get("/running", response_model=list[RunningMoveModel])
async def running(bridge: BridgeDep) -> list[RunningMoveModel]:
    """Return the running moves, oldest first, as the hardware node's move events tell."""
    return [RunningMoveModel(**move) for move in bridge.moves.running()]
