"""The motion layer's ROS contract: gotos, trajectories, the move services and move events.

The Rust loop runs every move at its own rate; the hardware node takes moves on these
interfaces and reports them on ``/reachy_mini/command_results``:

- ``/reachy_mini/goto`` (``std_msgs/String``): one goto, the JSON object that
  :func:`goto_text` writes and :func:`parse_goto` reads. Its outcome is a command result named
  ``goto`` whose ``stamp`` value is the request's ``stamp`` and whose ``move_id`` value names
  the move (refused: level ERROR, the reason with the first failing time).
- ``/reachy_mini/joint_trajectory`` (``trajectory_msgs/JointTrajectory``) and
  ``/reachy_mini/head_trajectory`` (``trajectory_msgs/MultiDOFJointTrajectory``, joint
  ``head``): results named ``joint_trajectory`` and ``head_trajectory``, keyed by the header
  stamp as every other command.
- ``/reachy_mini/wake_up``, ``/reachy_mini/goto_sleep``, ``/reachy_mini/stop_move``
  (``std_srvs/Trigger``): the reply's message is the move id (stop: the stopped move's id, or
  that none ran).
- Every move's start and end: a command result named ``move`` with the values ``move_id``,
  ``kind``, ``event`` (``started``, ``completed``, ``cancelled``, ``failed``), ``duration``
  (s) and ``time`` (wall clock); ``message`` is the reason of a cancel or a failure. Level OK
  for started and completed, WARN for cancelled, ERROR for failed.

A streamed target (``/reachy_mini/joint_commands``, ``/reachy_mini/head_pose_command``) sent
while a move runs is refused with a reason that starts with ``move_running``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

GOTO_TOPIC = "/reachy_mini/goto"
JOINT_TRAJECTORY_TOPIC = "/reachy_mini/joint_trajectory"
HEAD_TRAJECTORY_TOPIC = "/reachy_mini/head_trajectory"
WAKE_UP_SERVICE = "/reachy_mini/wake_up"
GOTO_SLEEP_SERVICE = "/reachy_mini/goto_sleep"
STOP_MOVE_SERVICE = "/reachy_mini/stop_move"
# The joint name of the head in a MultiDOFJointTrajectory.
HEAD_JOINT = "head"

# Command result names.
GOTO_RESULT = "goto"
JOINT_TRAJECTORY_RESULT = "joint_trajectory"
HEAD_TRAJECTORY_RESULT = "head_trajectory"
MOVE_RESULT = "move"
# Values of command results about moves.
MOVE_ID_KEY = "move_id"
KIND_KEY = "kind"
EVENT_KEY = "event"
DURATION_KEY = "duration"
TIME_KEY = "time"

STARTED = "started"
COMPLETED = "completed"
CANCELLED = "cancelled"
FAILED = "failed"
EVENTS = (STARTED, COMPLETED, CANCELLED, FAILED)
ENDS = (COMPLETED, CANCELLED, FAILED)

KINDS = ("goto", "wake_up", "goto_sleep", "joint_trajectory", "head_trajectory")
INTERPOLATIONS = ("linear", "minjerk", "ease_in_out", "cartoon")
DEFAULT_INTERPOLATION = "minjerk"
# The reason of a streamed target refused while a move runs starts with this.
MOVE_RUNNING = "move_running"
# Defaults of the hardware node's max_velocity (rad/s) and max_acceleration (rad/s²), the
# Rust core's DEFAULT_MAX_VELOCITY and DEFAULT_MAX_ACCELERATION (a test keeps them equal).
DEFAULT_MAX_VELOCITY = 6.0
DEFAULT_MAX_ACCELERATION = 100.0
# Longest goto or trajectory, in seconds.
MAX_DURATION_S = 60.0
# Longest move id.
MAX_ID_LENGTH = 64
HEAD_KEYS = ("x", "y", "z", "roll", "pitch", "yaw")


class GotoError(ValueError):
    """A goto request that is not well formed."""


@dataclass
class GotoRequest:
    """One goto: any subset of head pose, antennas, body yaw and joint positions."""

    duration: float
    interpolation: str = DEFAULT_INTERPOLATION
    head: dict[str, float] | None = None
    antennas: tuple[float, float] | None = None
    body_yaw: float | None = None
    joints: dict[str, float] = field(default_factory=dict)
    move_id: str = ""
    stamp: str = ""


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GotoError(f"{where} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise GotoError(f"{where} must be finite")
    return number


def goto_text(request: GotoRequest) -> str:
    """Return the JSON text of request, as the goto topic carries it."""
    return json.dumps(
        {
            "id": request.move_id,
            "stamp": request.stamp,
            "duration": request.duration,
            "interpolation": request.interpolation,
            "head": request.head,
            "antennas": list(request.antennas) if request.antennas is not None else None,
            "body_yaw": request.body_yaw,
            "joints": request.joints,
        }
    )


def parse_goto(text: str) -> GotoRequest:
    """Read a goto request; raise GotoError saying what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise GotoError(f"goto is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise GotoError("goto must be a JSON object")
    unknown = set(data) - {
        "id",
        "stamp",
        "duration",
        "interpolation",
        "head",
        "antennas",
        "body_yaw",
        "joints",
    }
    if unknown:
        raise GotoError(f"unknown goto field(s): {', '.join(sorted(unknown))}")
    move_id = data.get("id") or ""
    if not isinstance(move_id, str) or len(move_id) > MAX_ID_LENGTH:
        raise GotoError(f"id must be a string of at most {MAX_ID_LENGTH} characters")
    stamp = data.get("stamp") or ""
    if not isinstance(stamp, str):
        raise GotoError("stamp must be a string")
    duration = _number(data.get("duration"), "duration")
    if not 0.0 < duration <= MAX_DURATION_S:
        raise GotoError(f"duration must be in (0, {MAX_DURATION_S:g}] s")
    interpolation = data.get("interpolation") or DEFAULT_INTERPOLATION
    if interpolation not in INTERPOLATIONS:
        raise GotoError(f"interpolation must be one of {', '.join(INTERPOLATIONS)}")
    head = data.get("head")
    if head is not None:
        if not isinstance(head, dict) or set(head) != set(HEAD_KEYS):
            raise GotoError(f"head must have exactly the fields {', '.join(HEAD_KEYS)}")
        head = {key: _number(head[key], f"head.{key}") for key in HEAD_KEYS}
    antennas = data.get("antennas")
    if antennas is not None:
        if not isinstance(antennas, list) or len(antennas) != 2:
            raise GotoError("antennas must be [right, left]")
        antennas = (_number(antennas[0], "antennas[0]"), _number(antennas[1], "antennas[1]"))
    body_yaw = data.get("body_yaw")
    if body_yaw is not None:
        body_yaw = _number(body_yaw, "body_yaw")
    joints = data.get("joints") or {}
    if not isinstance(joints, dict) or not all(isinstance(k, str) for k in joints):
        raise GotoError("joints must map joint names to positions")
    joints = {name: _number(value, f"joints.{name}") for name, value in joints.items()}
    if head is None and antennas is None and body_yaw is None and not joints:
        raise GotoError("a goto needs a target: head, antennas, body_yaw or joints")
    return GotoRequest(
        duration=duration,
        interpolation=interpolation,
        head=head,
        antennas=antennas,
        body_yaw=body_yaw,
        joints=joints,
        move_id=move_id,
        stamp=stamp,
    )
