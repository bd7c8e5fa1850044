"""POST /api/commands/*: move the robot (token needed; limits checked before anything moves)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from reachy_mini_ros.bridge import commands
from reachy_mini_ros.bridge.deps import Authorized, AuthorizedRoute, BridgeDep
from reachy_mini_ros.bridge.schemas import (
    CommandResult,
    ErrorResponse,
    GotoCommand,
    HeadPoseCommand,
    JointCommand,
    MotorModeCommand,
    MoveCommandResult,
    NoArgs,
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
# A streamed target while a move runs: the move has the joints until it ends or is stopped.
STREAMED_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS,
    409: {
        "model": ErrorResponse,
        "description": "move_running: a move runs; targets are refused until it ends.",
    },
}
# The hardware node's services refuse with a reason (not active, no move to run...).
SERVICE_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS,
    409: {"model": ErrorResponse, "description": "refused by the hardware node, with why."},
}
GOTO_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS,
    400: {
        "model": ErrorResponse,
        "description": (
            "out_of_limits: a target outside the documented limits; refused: the hardware "
            "node found the path out of reach, limits or speeds, and says at which time."
        ),
    },
}
# Commands without arguments take no body, or an empty object.
NoBody = Annotated[NoArgs | None, Body()]

# The route class refuses a request without the token before its body is read; the dependency
# declares the bearer scheme in the OpenAPI schema (and passes, the token being checked).
router = APIRouter(
    prefix="/api/commands",
    tags=["commands"],
    dependencies=[Authorized],
    route_class=AuthorizedRoute,
)


@router.post("/joints", response_model=CommandResult, responses=STREAMED_ERRORS)
async def joints(bridge: BridgeDep, command: JointCommand) -> CommandResult:
    """Send goal positions (rad) by joint name."""
    return await commands.command_joints(bridge, command, "api")


@router.post("/head_pose", response_model=CommandResult, responses=STREAMED_ERRORS)
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


@router.post("/goto", response_model=MoveCommandResult, responses=GOTO_ERRORS)
async def goto(bridge: BridgeDep, command: GotoCommand) -> MoveCommandResult:
    """Move smoothly to a target in `duration` seconds; answer the move's id once it started."""
    return await commands.command_goto(bridge, command, "api")


@router.post("/stop", response_model=MoveCommandResult, responses=SERVICE_ERRORS)
async def stop(bridge: BridgeDep, command: NoBody = None) -> MoveCommandResult:
    """End the running move where it is (cancelled); move_id is null when none ran."""
    return await commands.command_stop(bridge, command, "api")


@router.post("/wake_up", response_model=MoveCommandResult, responses=SERVICE_ERRORS)
async def wake_up(bridge: BridgeDep, command: NoBody = None) -> MoveCommandResult:
    """Run the wake up move (neutral head and antennas, then a nod); answer its id."""
    return await commands.command_wake_up(bridge, command, "api")


@router.post("/goto_sleep", response_model=MoveCommandResult, responses=SERVICE_ERRORS)
async def goto_sleep(bridge: BridgeDep, command: NoBody = None) -> MoveCommandResult:
    """Run the sleep move (to the sleep pose, then torque off); answer its id."""
    return await commands.command_goto_sleep(bridge, command, "api")


@router.post(
    "/motor_mode",
    response_model=CommandResult,
    responses={
        **ERRORS,
        409: {
            "model": ErrorResponse,
            "description": (
                "refused: gravity_compensation, which this robot cannot do honestly, or a "
                "torque change the hardware node refused."
            ),
        },
    },
)
async def motor_mode(bridge: BridgeDep, command: MotorModeCommand) -> CommandResult:
    """Set the motors' mode: enabled (torque on) or disabled (torque off)."""
    return await commands.command_motor_mode(bridge, command, "api")
