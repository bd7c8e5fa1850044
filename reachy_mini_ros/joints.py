"""Describe the joints of Reachy Mini: names, motor ids and limits.

The facts come from the hardware reference (motor table and documented motion limits). The
Rust core holds the same table; ``test_joints.py`` keeps the two in agreement. The bridge uses
this module to validate commands without importing the Rust core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Joint:
    """One motor joint: URDF name, Dynamixel id and position limits in rad."""

    name: str
    motor_id: int
    lower: float
    upper: float


MOTOR_JOINTS: tuple[Joint, ...] = (
    Joint("yaw_body", 10, -2.79253, 2.79253),
    Joint("stewart_1", 11, -0.838, 1.396),
    Joint("stewart_2", 12, -1.396, 1.222),
    Joint("stewart_3", 13, -0.838, 1.396),
    Joint("stewart_4", 14, -1.396, 0.838),
    Joint("stewart_5", 15, -1.222, 1.396),
    Joint("stewart_6", 16, -1.396, 0.838),
    Joint("right_antenna", 17, -math.pi, math.pi),
    Joint("left_antenna", 18, -math.pi, math.pi),
)
MOTOR_JOINT_NAMES: tuple[str, ...] = tuple(j.name for j in MOTOR_JOINTS)
JOINTS_BY_NAME: dict[str, Joint] = {j.name: j for j in MOTOR_JOINTS}
STEWART_JOINT_NAMES: tuple[str, ...] = tuple(f"stewart_{i}" for i in range(1, 7))

# The head pose as six virtual joints of the URDF (metres and radians, relative to the neutral
# pose in the body frame, which turns with yaw_body), published on /joint_states from forward
# kinematics.
HEAD_POSE_JOINT_NAMES: tuple[str, ...] = (
    "head_x",
    "head_y",
    "head_z",
    "head_roll",
    "head_pitch",
    "head_yaw",
)

# Documented motion limits of the head.
HEAD_ROLL_LIMIT = math.radians(40.0)
HEAD_PITCH_LIMIT = math.radians(40.0)
HEAD_YAW_LIMIT = math.radians(180.0)
HEAD_YAW_TO_BODY_LIMIT = math.radians(65.0)
# Translation envelope of the head around neutral, in metres (see the kinematics module).
HEAD_TRANSLATION_LIMIT = 0.03


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

    The pose is relative to the body (after ``yaw_body``), so ``yaw`` is the head's yaw
    relative to the body and ``body_yaw + yaw`` its yaw in the world.
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
    if abs(yaw) > HEAD_YAW_TO_BODY_LIMIT:
        raise CommandError(
            f"head yaw {math.degrees(yaw):.1f}° relative to the body is outside "
            f"±{math.degrees(HEAD_YAW_TO_BODY_LIMIT):.0f}°"
        )
    if abs(yaw + body_yaw) > HEAD_YAW_LIMIT:
        raise CommandError(
            f"head yaw {math.degrees(yaw + body_yaw):.1f}° in the world is outside ±180°"
        )
