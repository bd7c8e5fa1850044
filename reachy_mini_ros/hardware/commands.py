"""Check joint and head pose commands and set them as the control loop's goals.

Each function returns why a command was refused, or None when it was taken; the node counts
the outcome and publishes it on ``/reachy_mini/command_results`` for the sender.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import JointState

from reachy_mini_ros.interface import command_results, status
from reachy_mini_ros.interface.joints import (
    STEWART_JOINT_NAMES,
    CommandError,
    check_head_pose,
    check_joint_goals,
)
from reachy_mini_ros.interface.rotations import quaternion_to_rpy


def not_ready(lifecycle_state: str, loop: Any, loop_failure: str | None) -> str | None:
    """Return why commands cannot be taken now, or None when the node is driving."""
    if lifecycle_state != "active" or loop is None:
        return f"hardware node is {lifecycle_state}: commands are refused until it is active"
    if not loop.running:
        reason = loop_failure or loop.exit_reason or "the loop thread ended"
        return f"control loop is not running ({reason}): commands are refused until it restarts"
    return None


def expired(stamp: Any, now_ns: int, deadline_s: float) -> str | None:
    """Return why a command stamped `stamp` is too late at now_ns, or None while it is due.

    The deadline is the stamp plus deadline_s; a zero stamp means no deadline.
    """
    stamp_ns = int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)
    if stamp_ns == 0:
        return None
    late_ns = now_ns - stamp_ns - round(deadline_s * 1e9)
    if late_ns <= 0:
        return None
    return (
        f"{command_results.EXPIRED}: the command's deadline (stamp + {deadline_s:g} s) passed "
        f"{late_ns / 1e6:.0f} ms before it reached the hardware node; dropped"
    )


def apply_joint_command(loop: Any, core: Any, msg: JointState) -> str | None:
    """Set the goals of msg; return why they were refused, or None."""
    if len(msg.name) != len(msg.position):
        return f"{len(msg.name)} names but {len(msg.position)} positions"
    goals = {str(n): float(p) for n, p in zip(msg.name, msg.position, strict=True)}
    try:
        check_joint_goals(goals)
        loop.set_goals(goals)
    except (CommandError, core.LimitError, core.MotionError) as exc:
        return str(exc)
    return None


def apply_head_pose(
    loop: Any, core: Any, msg: PoseStamped, *, automatic_body_yaw: bool
) -> str | None:
    """Move the head to the pose of msg; return why it was refused, or None."""
    p, o = msg.pose.position, msg.pose.orientation
    norm = math.sqrt(o.x * o.x + o.y * o.y + o.z * o.z + o.w * o.w)
    if not math.isfinite(norm) or abs(norm - 1.0) > 1e-3:
        return f"head pose orientation is not a unit quaternion (norm {norm:.4f})"
    roll, pitch, yaw = quaternion_to_rpy(o.x, o.y, o.z, o.w)
    snap = loop.snapshot()
    body_yaw = float(snap.position[snap.names.index("yaw_body")]) if snap else 0.0
    try:
        # The pose is in the base frame (msg.header.frame_id is HEAD_POSE_FRAME); the IK
        # takes the body's yaw out of it.
        pose = core.HeadPose(p.x, p.y, p.z, roll, pitch, yaw)
        goals: dict[str, float] = {}
        if automatic_body_yaw:
            body_yaw = core.automatic_body_yaw(pose, body_yaw)
            goals["yaw_body"] = body_yaw
        check_head_pose(p.x, p.y, p.z, roll, pitch, yaw, body_yaw)
        angles = core.inverse_kinematics(pose, body_yaw=body_yaw)
        goals.update(zip(STEWART_JOINT_NAMES, angles, strict=True))
        loop.set_goals(goals)
    except (CommandError, core.KinematicsError, core.LimitError, core.MotionError) as exc:
        return str(exc)
    return None


def call_core(core: Any, fn: Callable[..., Any], *args: Any) -> tuple[bool, str]:
    """Call fn; return whether it succeeded and the core's error text when it did not."""
    try:
        fn(*args)
    except core.CoreError as exc:
        return False, str(exc)
    return True, ""


def result_message(
    command: str, stamp: Any, refusal: str | None, values: dict[str, str] | None = None
) -> DiagnosticStatus:
    """Return the outcome of one command as its sender reads it on the results topic."""
    return DiagnosticStatus(
        level=DiagnosticStatus.ERROR if refusal else DiagnosticStatus.OK,
        name=command,
        message=refusal or command_results.ACCEPTED,
        hardware_id=status.HARDWARE_ID,
        values=[
            KeyValue(
                key=command_results.STAMP_KEY,
                value=command_results.stamp_text(stamp.sec, stamp.nanosec),
            ),
            *(KeyValue(key=key, value=value) for key, value in (values or {}).items()),
        ],
    )
