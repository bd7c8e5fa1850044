"""Describe the joints of Reachy Mini: names, motor ids and limits.

Everything comes from the robot table (``interface/robot_table.json``), which the Rust core
reads too, so the two cannot disagree. The bridge uses this module to validate commands
without importing the Rust core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reachy_mini_ros.interface import robot_table


@dataclass(frozen=True)
class Joint:
    """One motor joint: URDF name, Dynamixel id and position limits in rad."""

    name: str
    motor_id: int
    lower: float
    upper: float


_TABLE = robot_table.load()
MOTOR_JOINTS: tuple[Joint, ...] = tuple(
    Joint(m.joint, m.id, m.lower, m.upper) for m in _TABLE.motors
)
MOTOR_JOINT_NAMES: tuple[str, ...] = tuple(j.name for j in MOTOR_JOINTS)
JOINTS_BY_NAME: dict[str, Joint] = {j.name: j for j in MOTOR_JOINTS}
STEWART_JOINT_NAMES: tuple[str, ...] = tuple(f"stewart_{i}" for i in range(1, 7))

# The head pose as six virtual joints of the URDF (metres and radians, in the base frame with
# the identity at the neutral head, as the vendor's software gives it), published on
# /joint_states from forward kinematics.
# Frame of every head pose (commands, /reachy_mini/head_pose): the URDF's base link, which does
# not turn with yaw_body.
HEAD_POSE_FRAME = "base_link"
HEAD_POSE_JOINT_NAMES: tuple[str, ...] = (
    "head_x",
    "head_y",
    "head_z",
    "head_roll",
    "head_pitch",
    "head_yaw",
)

# Documented motion limits of the head, from the table.
HEAD_ROLL_LIMIT = _TABLE.envelope.max_roll
HEAD_PITCH_LIMIT = _TABLE.envelope.max_pitch
HEAD_YAW_LIMIT = _TABLE.envelope.max_head_yaw
HEAD_YAW_TO_BODY_LIMIT = _TABLE.envelope.max_relative_yaw
HEAD_TRANSLATION_LIMIT = _TABLE.envelope.max_translation


class CommandError(ValueError):
    """A command that must not reach the motors; the message says why."""


def check_joint_goals(goals: dict[str, float]) -> None:
    """Raise CommandError unless every goal names a motor joint and is finite and in limits."""
    if not goals:
        raise CommandError("no joint goals given")
    for name, value in goals.items():
        joint = JOINTS_BY_NAME.get(name)
        if joint is None:
            raise CommandError(f"unknown joint '{name}'")
        if not math.isfinite(value):
            raise CommandError(f"goal for '{name}' is not a finite number")
        if not joint.lower <= value <= joint.upper:
            raise CommandError(
                f"goal {value:.4f} rad for '{name}' is outside "
                f"[{joint.lower:.4f}, {joint.upper:.4f}]"
            )


def check_head_pose(
    x: float, y: float, z: float, roll: float, pitch: float, yaw: float, body_yaw: float = 0.0
) -> None:
    """Raise CommandError unless the head pose is finite and inside the documented limits.

    The pose is the head's in the robot's base frame, as the vendor's (identity = neutral): it
    does not turn with the body, so ``yaw`` is the head's yaw in the base frame and
    ``yaw - body_yaw`` its yaw relative to the body, which the mechanism keeps within ±65°.
    """
    values = {"x": x, "y": y, "z": z, "roll": roll, "pitch": pitch, "yaw": yaw}
    for key, value in values.items():
        if not math.isfinite(value):
            raise CommandError(f"head pose {key} is not a finite number")
    for key in ("x", "y", "z"):
        if abs(values[key]) > HEAD_TRANSLATION_LIMIT:
            raise CommandError(
                f"head pose {key}={values[key]:.4f} m is outside ±{HEAD_TRANSLATION_LIMIT} m"
            )
    for key, limit in (("roll", HEAD_ROLL_LIMIT), ("pitch", HEAD_PITCH_LIMIT)):
        if abs(values[key]) > limit:
            raise CommandError(
                f"head {key} {math.degrees(values[key]):.1f}° is outside "
                f"±{math.degrees(limit):.0f}°"
            )
    if abs(yaw) > HEAD_YAW_LIMIT:
        raise CommandError(
            f"head yaw {math.degrees(yaw):.1f}° is outside ±{math.degrees(HEAD_YAW_LIMIT):.0f}°"
        )
    relative = math.remainder(yaw - body_yaw, 2 * math.pi)
    if abs(relative) > HEAD_YAW_TO_BODY_LIMIT:
        raise CommandError(
            f"head yaw {math.degrees(relative):.1f}° relative to the body is outside "
            f"±{math.degrees(HEAD_YAW_TO_BODY_LIMIT):.0f}°"
        )
