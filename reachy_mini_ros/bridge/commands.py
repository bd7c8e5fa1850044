"""Validate commands against the joint limits, then forward them to the hardware node."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from reachy_mini_ros.bridge.errors import ReachyMiniError
from reachy_mini_ros.bridge.runtime import OK, WARN, Bridge, ServiceUnavailableError
from reachy_mini_ros.bridge.schemas import (
    CommandResult,
    GotoCommand,
    HeadPoseCommand,
    JointCommand,
    MotorModeCommand,
    MoveCommandResult,
    NoArgs,
    TorqueCommand,
)
from reachy_mini_ros.bridge.security import token_matches
from reachy_mini_ros.bridge.ws import quote
from reachy_mini_ros.bridge.ws_messages import (
    UNION_TAGS,
    GotoCommandMessage,
    GotoSleepCommandMessage,
    HeadPoseCommandMessage,
    JointsCommandMessage,
    MotorModeCommandMessage,
    StopCommandMessage,
    TorqueCommandMessage,
    WakeUpCommandMessage,
)
from reachy_mini_ros.interface import moves
from reachy_mini_ros.interface.joints import CommandError, check_head_pose, check_joint_goals

# The torque service answers in a few ms; 5 s covers a hardware node busy re-enabling motors.
TORQUE_CALL_TIMEOUT_S = 5.0
# The move services only start or stop a move in the loop: they answer in a few ms.
MOVE_CALL_TIMEOUT_S = 5.0
MOVE_SERVICES = {
    "wake_up": moves.WAKE_UP_SERVICE,
    "goto_sleep": moves.GOTO_SLEEP_SERVICE,
    "stop": moves.STOP_MOVE_SERVICE,
}
GRAVITY_COMPENSATION_REFUSAL = (
    "gravity_compensation cannot be done on this robot: the head's XL330 motors are "
    "position-controlled and there is no dynamic model of the head to compute the torques "
    "that would hold it; use enabled or disabled"
)


def _audit(
    bridge: Bridge,
    source: str,
    command: str,
    args: dict[str, Any],
    error: str | None,
    message: str,
    **extra: object,
) -> None:
    bridge.emit_event(
        level=OK if error is None else WARN,
        source=source,
        kind="command",
        message=f"{command}: {message}",
        details={
            "command": command,
            "args": args,
            "accepted": error is None,
            "error": error,
            **extra,
        },
    )


def _refused(
    bridge: Bridge, source: str, command: str, args: dict[str, Any], what: str, reply: str
) -> ReachyMiniError:
    """Audit a command the hardware node refused and return the error to answer.

    A streamed target refused because a move runs is a conflict with that move (409
    move_running), not a bad command.
    """
    message = f"the hardware node refused {what}: {reply}"
    code, status = (
        ("move_running", 409) if reply.startswith(moves.MOVE_RUNNING) else ("refused", 400)
    )
    _audit(bridge, source, command, args, code, message)
    return ReachyMiniError(code, message, status)


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
        raise _refused(bridge, source, "joints", args, "the joint command", reply)
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
        raise _refused(bridge, source, "head_pose", args, "the head pose", reply)
    _audit(bridge, source, "head_pose", args, None, "head pose accepted")
    return CommandResult(ok=True, command="head_pose", message="head pose accepted")


async def _set_torque(
    bridge: Bridge, enabled: bool, source: str, command: str, args: dict[str, Any]
) -> CommandResult:
    """Call /reachy_mini/enable_torque for a torque or motor_mode command."""
    late = f"/reachy_mini/enable_torque did not answer in {TORQUE_CALL_TIMEOUT_S} s"
    with _hardware_call(bridge, source, command, args, late):
        async with asyncio.timeout(TORQUE_CALL_TIMEOUT_S):
            success, reply = await _ros(bridge).set_torque(enabled)
    if not success:
        _audit(bridge, source, command, args, "refused", reply)
        raise ReachyMiniError("refused", reply or "the hardware node refused", 409)
    message = reply or f"torque {'on' if enabled else 'off'}"
    _audit(bridge, source, command, args, None, message)
    return CommandResult(ok=True, command=command, message=message)


async def command_torque(bridge: Bridge, command: TorqueCommand, source: str) -> CommandResult:
    """Ask the hardware node to turn torque on or off."""
    return await _set_torque(bridge, command.enabled, source, "torque", command.model_dump())


async def command_motor_mode(
    bridge: Bridge, command: MotorModeCommand, source: str
) -> CommandResult:
    """Turn torque on (enabled) or off (disabled); refuse gravity_compensation (409)."""
    args = command.model_dump()
    if command.mode == "gravity_compensation":
        _audit(bridge, source, "motor_mode", args, "refused", GRAVITY_COMPENSATION_REFUSAL)
        raise ReachyMiniError("refused", GRAVITY_COMPENSATION_REFUSAL, 409)
    return await _set_torque(bridge, command.mode == "enabled", source, "motor_mode", args)


def check_goto(command: GotoCommand, body_yaw: float) -> None:
    """Raise CommandError unless every target of the goto is within the documented limits.

    The head's yaw relative to the body is checked against the goto's body yaw when it gives
    one, else against the present body yaw. Only the hardware node can check the path between
    here and there (reach, limits and speeds at every time): it does before anything moves.
    """
    if command.head is not None:
        target_yaw = command.body_yaw if command.body_yaw is not None else body_yaw
        check_head_pose(**command.head.model_dump(), body_yaw=target_yaw)
    if command.antennas is not None:
        right, left = command.antennas
        check_joint_goals({"right_antenna": right, "left_antenna": left})
    if command.body_yaw is not None:
        check_joint_goals({"yaw_body": command.body_yaw})
    if command.joints:
        check_joint_goals(dict(command.joints))


async def command_goto(bridge: Bridge, command: GotoCommand, source: str) -> MoveCommandResult:
    """Check the goto's targets, send it with a move id of its own and return the outcome."""
    args = command.model_dump()
    try:
        check_goto(command, bridge.state.body_yaw())
    except CommandError as exc:
        _audit(bridge, source, "goto", args, "out_of_limits", str(exc))
        raise ReachyMiniError("out_of_limits", str(exc)) from exc
    request = moves.GotoRequest(
        duration=command.duration,
        interpolation=command.interpolation,
        head=command.head.model_dump() if command.head is not None else None,
        antennas=(command.antennas[0], command.antennas[1]) if command.antennas else None,
        body_yaw=command.body_yaw,
        joints=dict(command.joints or {}),
        move_id=str(uuid.uuid4()),
    )
    late = "the hardware node did not answer the goto in time"
    with _hardware_call(bridge, source, "goto", args, late):
        outcome = await _ros(bridge).send_goto(request)
    if not outcome.accepted:
        message = f"the hardware node refused the goto: {outcome.message}"
        _audit(bridge, source, "goto", args, "refused", message, move_id=request.move_id)
        raise ReachyMiniError("refused", message)
    move_id = outcome.values.get(moves.MOVE_ID_KEY) or request.move_id
    message = f"goto of {command.duration:g} s started"
    _audit(bridge, source, "goto", args, None, message, move_id=move_id)
    return MoveCommandResult(ok=True, command="goto", move_id=move_id, message=message)


async def _move_service(bridge: Bridge, command: str, source: str) -> MoveCommandResult:
    """Call the Trigger service of a move command; its reply's message names the move."""
    service = MOVE_SERVICES[command]
    running = bridge.moves.ids()
    late = f"{service} did not answer in {MOVE_CALL_TIMEOUT_S} s"
    with _hardware_call(bridge, source, command, {}, late):
        async with asyncio.timeout(MOVE_CALL_TIMEOUT_S):
            success, reply = await _ros(bridge).call_move_service(service)
    if not success:
        _audit(bridge, source, command, {}, "refused", reply)
        raise ReachyMiniError("refused", reply or "the hardware node refused", 409)
    if command == "stop":
        # The reply names the stopped move, or says that none ran.
        move_id = reply if reply in running else None
        message = f"stopped move {reply}" if move_id else reply or "no move was running"
    else:
        move_id = reply or None
        message = f"{command} started"
    _audit(bridge, source, command, {}, None, message, move_id=move_id)
    return MoveCommandResult(ok=True, command=command, move_id=move_id, message=message)


async def command_stop(bridge: Bridge, command: NoArgs | None, source: str) -> MoveCommandResult:
    """End the running move where it is (cancelled)."""
    return await _move_service(bridge, "stop", source)


async def command_wake_up(
    bridge: Bridge, command: NoArgs | None, source: str
) -> MoveCommandResult:
    """Run the wake up move: the neutral head and antennas, then a nod of the head."""
    return await _move_service(bridge, "wake_up", source)


async def command_goto_sleep(
    bridge: Bridge, command: NoArgs | None, source: str
) -> MoveCommandResult:
    """Run the sleep move: to the sleep pose, then torque off."""
    return await _move_service(bridge, "goto_sleep", source)


COMMANDS: dict[str, tuple[type[BaseModel], Any]] = {
    "joints": (JointCommand, command_joints),
    "head_pose": (HeadPoseCommand, command_head_pose),
    "torque": (TorqueCommand, command_torque),
    "goto": (GotoCommand, command_goto),
    "stop": (NoArgs, command_stop),
    "wake_up": (NoArgs, command_wake_up),
    "goto_sleep": (NoArgs, command_goto_sleep),
    "motor_mode": (MotorModeCommand, command_motor_mode),
}

WS_COMMANDS: dict[str, type[BaseModel]] = {
    "joints": JointsCommandMessage,
    "head_pose": HeadPoseCommandMessage,
    "torque": TorqueCommandMessage,
    "goto": GotoCommandMessage,
    "stop": StopCommandMessage,
    "wake_up": WakeUpCommandMessage,
    "goto_sleep": GotoSleepCommandMessage,
    "motor_mode": MotorModeCommandMessage,
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
        return {
            "ok": False,
            "error": "unauthorized",
            "message": "a valid token is needed",
            "move_id": None,
        }
    if not isinstance(name, str) or name not in COMMANDS:
        return {
            "ok": False,
            "error": "unknown_command",
            "message": f"command must be one of {', '.join(COMMANDS)}, not {shown}",
            "move_id": None,
        }
    _, handler = COMMANDS[name]
    try:
        # The whole message, as its protocol model (strict; args required, with exactly their
        # fields): a command with a malformed id or args does nothing.
        parsed = WS_COMMANDS[name].model_validate(message)
        result: CommandResult | MoveCommandResult = await handler(
            bridge,
            parsed.args,  # type: ignore[attr-defined]
            "ws",
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p not in UNION_TAGS)
        return {
            "ok": False,
            "error": "validation_error",
            "message": f"{where}: {first['msg']}",
            "move_id": None,
        }
    except ReachyMiniError as exc:
        return {"ok": False, "error": exc.code, "message": exc.message, "move_id": None}
    move_id = result.move_id if isinstance(result, MoveCommandResult) else None
    return {"ok": True, "error": None, "message": result.message, "move_id": move_id}
