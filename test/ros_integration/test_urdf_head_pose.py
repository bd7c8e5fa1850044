"""The URDF's head chain turns the six head-pose joints into the pose the node publishes.

The head pose is in the base frame (the vendor's), so the chain starts at base_link.

The hardware node publishes the same pose twice: as the six joints of /joint_states and as
/reachy_mini/head_pose (orientation from ``rpy_to_quaternion``). TF, built from the URDF by
robot_state_publisher, must give the head the second from the first.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from integration_support import ROOT
from urdf_parser_py.urdf import URDF, Robot

from reachy_mini_ros.bringup import URDF_FILE
from reachy_mini_ros.interface import robot_table
from reachy_mini_ros.interface.joints import HEAD_POSE_JOINT_NAMES
from reachy_mini_ros.interface.rotations import rpy_to_quaternion

core = pytest.importorskip("reachy_mini_core_rs")

VENDOR_TABLE = ROOT / "test" / "core" / "data" / "vendor_kinematics_1.13.0.json"
POSES = [
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (0.01, -0.02, 0.015, 0.3, -0.2, 0.5),
    (-0.03, 0.03, -0.01, -0.69, 0.4, -1.1),
    (0.0, 0.0, 0.02, 0.6, 0.6, 0.6),
]


@pytest.fixture(scope="module")
def robot() -> Robot:
    return URDF.from_xml_string((ROOT / "urdf" / URDF_FILE).read_text())


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """Return the rotation matrix of angle about a unit axis (Rodrigues)."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * (k @ k)


def origin_transform(xyz: list[float], rpy: list[float]) -> np.ndarray:
    """Return the 4x4 transform of a URDF origin (fixed-axis roll, pitch, yaw)."""
    t = np.eye(4)
    r = rotation(np.array([0, 0, 1.0]), rpy[2]) @ rotation(np.array([0, 1.0, 0]), rpy[1])
    t[:3, :3] = r @ rotation(np.array([1.0, 0, 0]), rpy[0])
    t[:3, 3] = xyz
    return t


def base_to_head(robot: Robot, values: dict[str, float]) -> np.ndarray:
    """Return the transform from the base link to the head link for the joint values."""
    chain = [n for n in robot.get_chain("base_link", "head") if n in robot.joint_map]
    transform = np.eye(4)
    for name in chain:
        joint = robot.joint_map[name]
        origin = joint.origin
        transform = transform @ origin_transform(origin.xyz, origin.rpy)
        motion = np.eye(4)
        axis = np.array(joint.axis, dtype=float)
        if joint.type == "prismatic":
            motion[:3, 3] = axis * values[name]
        elif joint.type == "revolute":
            motion[:3, :3] = rotation(axis, values[name])
        transform = transform @ motion
    return transform


def quaternion_matrix(q: tuple[float, float, float, float]) -> np.ndarray:
    """Return the rotation matrix of a unit quaternion (x, y, z, w)."""
    x, y, z, w = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


@pytest.mark.parametrize("pose", POSES)
def test_urdf_head_chain_gives_the_orientation_of_the_published_head_pose(
    robot: Robot, pose: tuple[float, ...]
) -> None:
    values = dict(zip(HEAD_POSE_JOINT_NAMES, pose, strict=True))
    transform = base_to_head(robot, values)
    expected = quaternion_matrix(
        rpy_to_quaternion(values["head_roll"], values["head_pitch"], values["head_yaw"])
    )
    np.testing.assert_allclose(transform[:3, :3], expected, atol=1e-9)


@pytest.mark.parametrize("pose", POSES)
def test_urdf_head_chain_moves_the_head_by_the_published_translation(
    robot: Robot, pose: tuple[float, ...]
) -> None:
    values = dict(zip(HEAD_POSE_JOINT_NAMES, pose, strict=True))
    neutral = base_to_head(robot, dict.fromkeys(HEAD_POSE_JOINT_NAMES, 0.0))[:3, 3]
    moved = base_to_head(robot, values)[:3, 3]
    np.testing.assert_allclose(
        moved - neutral, [values["head_x"], values["head_y"], values["head_z"]], atol=1e-12
    )


def vendor_cases() -> list[dict[str, Any]]:
    """Return the reachable cases of the vendor's kinematics table (reachy_mini 1.13.0)."""
    table = json.loads(VENDOR_TABLE.read_text())
    return [c for c in table["cases"] if c["fk"] is not None]


@pytest.mark.parametrize("case", vendor_cases(), ids=lambda c: c["name"])
def test_urdf_head_from_our_forward_kinematics_is_the_vendors_head(
    robot: Robot, case: dict[str, Any]
) -> None:
    # The vendor's angles go through our FK; the six joints it publishes, through the URDF,
    # must put the head link where the vendor's head pose says, above the base origin by the
    # head frame's height.
    pose = core.forward_kinematics(case["angles"], body_yaw=case["body_yaw"])
    values = dict(zip(HEAD_POSE_JOINT_NAMES, pose.as_tuple(), strict=True))
    expected = np.array(case["head"])
    expected[2, 3] += robot_table.load().kinematics["head_z_offset"]
    np.testing.assert_allclose(base_to_head(robot, values), expected, atol=1e-8)
