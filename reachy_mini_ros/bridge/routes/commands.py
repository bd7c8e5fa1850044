"""POST /api/commands/*: move the robot (token needed; limits checked before anything moves)."""

from __future__ import annotations

from fastapi import APIRouter

from reachy_mini_ros.bridge import commands
from reachy_mini_ros.bridge.deps import Authorized, AuthorizedRoute, BridgeDep
from reachy_mini_ros.bridge.schemas import (
    CommandResult,
    ErrorResponse,
    HeadPoseCommand,
    JointCommand,
    TorqueCommand,
)

ERRORS: dict[int | str, dict[str, object]] = {
    400: {
        "model": ErrorResponse,
        "description": "Refused: out of limits, unknown joint, or by the hardware node.",
    },
    401: {
        "model": ErrorResponse,
        "description": "Missing or wrong token; checked before the body.",
    },
    422: {
        "model": ErrorResponse,
        "description": (
            "validation_error: the body is not the command's exact shape (a missing or "
            "unknown field, a value of another JSON type)."
        ),
    },
    503: {"model": ErrorResponse, "description": "The hardware node cannot be reached."},
    504: {"model": ErrorResponse, "description": "The hardware node did not answer in time."},
}

# The route class refuses a request without the token before its body is read; the dependency
# declares the bearer scheme in the OpenAPI schema (and passes, the token being checked).
router = APIRouter(
    prefix="/api/commands",
    tags=["commands"],
    dependencies=[Authorized],
    route_class=AuthorizedRoute,
)


@router.post("/joints", response_model=CommandResult, responses=ERRORS)
async def joints(bridge: BridgeDep, command: JointCommand) -> CommandResult:
    """Send goal positions (rad) by joint name."""
    return await commands.command_joints(bridge, command, "api")


@router.post("/head_pose", response_model=CommandResult, responses=ERRORS)
async def head_pose(bridge: BridgeDep, command: HeadPoseCommand) -> CommandResult:
    """Send a head pose goal relative to neutral (m and rad)."""
    return await commands.command_head_pose(bridge, command, "api")


@router.post(
    "/torque",
    response_model=CommandResult,
    responses={**ERRORS, 409: {"model": ErrorResponse}},
)
async def torque(bridge: BridgeDep, command: TorqueCommand) -> CommandResult:
    """Turn the motors' torque on or off."""
    return await commands.command_torque(bridge, command, "api")
