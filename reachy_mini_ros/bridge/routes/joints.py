"""GET /api/joints: the latest joint states."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from reachy_mini_ros.bridge.deps import BridgeDep
from reachy_mini_ros.bridge.schemas import ErrorResponse, JointReading, JointsResponse

router = APIRouter(tags=["robot"])


@router.get(
    "/api/joints",
    response_model=JointsResponse,
    responses={503: {"model": ErrorResponse, "description": "No joint state received yet."}},
)
async def joints(bridge: BridgeDep) -> JointsResponse:
    """Return the latest /joint_states message, by joint."""
    state = bridge.state
    sample = state.joints
    if sample is None:
        raise HTTPException(status_code=503, detail="no /joint_states message received yet")
    return JointsResponse(
        stamp=sample.stamp,
        seq=sample.seq,
        age_s=state.joint_state_age() or 0.0,
        rate_hz=state.joint_rate.rate_hz,
        joints=[
            JointReading(
                name=name,
                position=sample.position[i] if i < len(sample.position) else None,
                velocity=sample.velocity[i] if i < len(sample.velocity) else None,
                effort=sample.effort[i] if i < len(sample.effort) else None,
            )
            for i, name in enumerate(sample.name)
        ],
    )
