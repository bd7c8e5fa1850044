"""Validate commands against the joint limits, then forward them to the hardware node."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from reachy_mini_ros.bridge.errors import ReachyMiniError
from reachy_mini_ros.bridge.runtime import OK, WARN, Bridge, ServiceUnavailableError
from reachy_mini_ros.bridge.schemas import (
    CommandResult,
    HeadPoseCommand,
    JointCommand,
    TorqueCommand,
)
from reachy_mini_ros.bridge.security import token_matches
from reachy_mini_ros.bridge.ws import quote
from reachy_mini_ros.bridge.ws_messages import (
    UNION_TAGS,
    HeadPoseCommandMessage,
    JointsCommandMessage,
    TorqueCommandMessage,
)
from reachy_mini_ros.interface.joints import CommandError, check_head_pose, check_joint_goals

# The torque service answers in a few ms; 5 s covers a hardware node busy re-enabling motors.
TORQUE_CALL_TIMEOUT_S = 5.0


def _audit(
    bridge: Bridge,
    source: str,
    command: str,
    args: dict[str, Any],
    error: str | None,
    message: str,
) -> None:
    bridge.emit_event(
        level=OK if error is None else WARN,
        source=source,
        kind="command",
        message=f"{command}: {message}",
        details={"command": command, "args": args, "accepted": error is None, "error": error},
    )


@contextlib.contextmanager
def _hardware_call(
    bridge: Bridge, source: str, command: str, args: dict[str, Any], timeout_message: str
) -> Iterator[None]:
    """Audit and answer 503 when the hardware node is absent, 504 when it does not answer."""
    try:
        yield
    except ServiceUnavailableError as exc:
        _audit(bridge, source, command, args, "service_unavailable", str(exc))
        raise ReachyMiniError("service_unavailable", str(exc), 503) from exc
    except TimeoutError as exc:
        _audit(bridge, source, command, args, "timeout", timeout_message)
        raise ReachyMiniError("timeout", timeout_message, 504) from exc


def audit_refused(
    bridge: Bridge, source: str, peer: str | None, field_name: str, target: object
) -> None:
    """Audit an attempt without the token: fields cut, repeated attempts counted (refusals.py)."""
    bridge.refusals.refuse(source=source, peer=peer, field_name=field_name, target=target)


def _ros(bridge: Bridge) -> Any:
    if bridge.ros is None:
        raise ReachyMiniError("ros_unavailable", "the ROS node is not running", 503)
    return bridge.ros


async def command_joints(bridge: Bridge, command: JointCommand, source: str) -> CommandResult:
    """Check the goals against the limits, publish them and return the hardware node's outcome."""
    args: dict[str, Any] = {"goals": command.goals}
    try:
        check_joint_goals(command.goals)
    except CommandError as exc:
        _audit(bridge, source, "joints", args, "out_of_limits", str(exc))
        raise ReachyMiniError("out_of_limits", str(exc)) from exc
    # The limits are checked here too, but only the hardware node knows whether it drives
    # the motors now (active, loop running): wait for its outcome.
    late = "the hardware node did not answer the joint command in time"
    with _hardware_call(bridge, source, "joints", args, late):
        accepted, reply = await _ros(bridge).send_joint_goals(dict(command.goals))
    if not accepted:
        message = f"the hardware node refused the joint command: {reply}"
        _audit(bridge, source, "joints", args, "refused", message)
        raise ReachyMiniError("refused", message)
    message = f"goals for {len(command.goals)} joint(s) accepted"
    _audit(bridge, source, "joints", args, None, message)
    return CommandResult(ok=True, command="joints", message=message)


async def command_head_pose(
    bridge: Bridge, command: HeadPoseCommand, source: str
) -> CommandResult:
    """Check the head pose against the limits (with the current body yaw) and publish it."""
    args = command.model_dump()
    try:
        check_head_pose(**args, body_yaw=bridge.state.body_yaw())
    except CommandError as exc:
        _audit(bridge, source, "head_pose", args, "out_of_limits", str(exc))
        raise ReachyMiniError("out_of_limits", str(exc)) from exc
    # Only the hardware node's kinematics can tell whether the head reaches the pose.
    late = "the hardware node did not answer the head pose in time"
    with _hardware_call(bridge, source, "head_pose", args, late):
        accepted, reply = await _ros(bridge).send_head_pose(**args)
    if not accepted:
        message = f"the hardware node refused the head pose: {reply}"
        _audit(bridge, source, "head_pose", args, "refused", message)
        raise ReachyMiniError("refused", message)
    _audit(bridge, source, "head_pose", args, None, "head pose accepted")
    return CommandResult(ok=True, command="head_pose", message="head pose accepted")


async def command_torque(bridge: Bridge, command: TorqueCommand, source: str) -> CommandResult:
    """Ask the hardware node to turn torque on or off."""
    args = command.model_dump()
    late = f"/reachy_mini/enable_torque did not answer in {TORQUE_CALL_TIMEOUT_S} s"
    with _hardware_call(bridge, source, "torque", args, late):
        async with asyncio.timeout(TORQUE_CALL_TIMEOUT_S):
            success, reply = await _ros(bridge).set_torque(command.enabled)
    if not success:
        _audit(bridge, source, "torque", args, "refused", reply)
        raise ReachyMiniError("refused", reply or "the hardware node refused", 409)
    message = reply or f"torque {'on' if command.enabled else 'off'}"
    _audit(bridge, source, "torque", args, None, message)
    return CommandResult(ok=True, command="torque", message=message)


COMMANDS: dict[str, tuple[type[BaseModel], Any]] = {
    "joints": (JointCommand, command_joints),
    "head_pose": (HeadPoseCommand, command_head_pose),
    "torque": (TorqueCommand, command_torque),
}

WS_COMMANDS: dict[str, type[BaseModel]] = {
    "joints": JointsCommandMessage,
    "head_pose": HeadPoseCommandMessage,
    "torque": TorqueCommandMessage,
}


async def run_ws_command(
    bridge: Bridge, message: dict[str, Any], peer: str | None = None
) -> dict[str, Any]:
    """Run one WebSocket `command` message from peer; return the fields of its command_result."""
    expected = bridge.token.token if bridge.token is not None else None
    token = message.get("token")
    name = message.get("command")
    # Client values are quoted short, whatever their type: a list cannot be a key of COMMANDS.
    shown = name if isinstance(name, str) and name in COMMANDS else quote(name)
    if (
        expected is None
        or not isinstance(token, str)
        or not token_matches(expected, f"Bearer {token}")
    ):
        audit_refused(bridge, "ws", peer, "command", shown)
        return {"ok": False, "error": "unauthorized", "message": "a valid token is needed"}
    if not isinstance(name, str) or name not in COMMANDS:
        return {
            "ok": False,
            "error": "unknown_command",
            "message": f"command must be one of {', '.join(COMMANDS)}, not {shown}",
        }
    _, handler = COMMANDS[name]
    try:
        # The whole message, as its protocol model (strict; args required, with exactly their
        # fields): a command with a malformed id or args does nothing.
        parsed = WS_COMMANDS[name].model_validate(message)
        result: CommandResult = await handler(bridge, parsed.args, "ws")  # type: ignore[attr-defined]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p not in UNION_TAGS)
        return {"ok": False, "error": "validation_error", "message": f"{where}: {first['msg']}"}
    except ReachyMiniError as exc:
        return {"ok": False, "error": exc.code, "message": exc.message}
    return {"ok": True, "error": None, "message": result.message}
