"""The URDF parses, and its joints are those of the joint table with the same limits."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from urdf_parser_py.urdf import URDF, Robot

from reachy_mini_ros.bringup import URDF_FILE
from reachy_mini_ros.interface import robot_table
from reachy_mini_ros.interface.joints import (
    HEAD_PITCH_LIMIT,
    HEAD_POSE_JOINT_NAMES,
    HEAD_ROLL_LIMIT,
    HEAD_TRANSLATION_LIMIT,
    HEAD_YAW_LIMIT,
    JOINTS_BY_NAME,
    MOTOR_JOINT_NAMES,
    STEWART_JOINT_NAMES,
)

URDF_PATH = Path(__file__).resolve().parents[2] / "urdf" / URDF_FILE
# The URDF writes limits with 8 decimals.
LIMIT_TOLERANCE = 1e-8


@pytest.fixture(scope="module")
def robot() -> Robot:
    return URDF.from_xml_string(URDF_PATH.read_text())


def movable_joints(robot: Robot) -> dict[str, Any]:
    return {j.name: j for j in robot.joints if j.type != "fixed"}


def chain_to(robot: Robot, link: str) -> list[str]:
    """Return the joint names from the root down to link."""
    return [name for name in robot.get_chain(robot.get_root(), link) if name in robot.joint_map]


def test_urdf_root_is_base_link(robot: Robot) -> None:
    assert robot.name == "reachy_mini"
    assert robot.get_root() == "base_link"


def test_urdf_movable_joints_are_the_motor_and_head_pose_joints(robot: Robot) -> None:
    names = list(movable_joints(robot))
    assert len(names) == len(set(names))
    assert set(names) == set(MOTOR_JOINT_NAMES) | set(HEAD_POSE_JOINT_NAMES)


def test_urdf_motor_limits_are_those_of_the_joint_table(robot: Robot) -> None:
    joints = movable_joints(robot)
    for name in MOTOR_JOINT_NAMES:
        joint = joints[name]
        assert joint.type == "revolute", name
        assert joint.limit.lower == pytest.approx(JOINTS_BY_NAME[name].lower, abs=LIMIT_TOLERANCE)
        assert joint.limit.upper == pytest.approx(JOINTS_BY_NAME[name].upper, abs=LIMIT_TOLERANCE)
        assert joint.limit.effort > 0 and joint.limit.velocity > 0, name


def test_urdf_head_pose_joints_carry_the_documented_head_limits(robot: Robot) -> None:
    joints = movable_joints(robot)
    expected = {
        "head_x": ("prismatic", HEAD_TRANSLATION_LIMIT, [1, 0, 0]),
        "head_y": ("prismatic", HEAD_TRANSLATION_LIMIT, [0, 1, 0]),
        "head_z": ("prismatic", HEAD_TRANSLATION_LIMIT, [0, 0, 1]),
        "head_roll": ("revolute", HEAD_ROLL_LIMIT, [1, 0, 0]),
        "head_pitch": ("revolute", HEAD_PITCH_LIMIT, [0, 1, 0]),
        # In the base frame the head may face any way; ±65° from the body is checked by the
        # nodes, since it depends on yaw_body.
        "head_yaw": ("revolute", HEAD_YAW_LIMIT, [0, 0, 1]),
    }
    for name, (kind, limit, axis) in expected.items():
        joint = joints[name]
        assert joint.type == kind, name
        assert list(joint.axis) == axis, name
        assert joint.limit.lower == pytest.approx(-limit, abs=LIMIT_TOLERANCE), name
        assert joint.limit.upper == pytest.approx(limit, abs=LIMIT_TOLERANCE), name


def test_urdf_head_hangs_from_the_base_through_translation_then_yaw_pitch_roll(
    robot: Robot,
) -> None:
    # The head pose is in the base frame (the vendor's): the chain must not go through yaw_body.
    # Rz(yaw) Ry(pitch) Rx(roll) after the translation is the REP-103 reading of the pose that
    # the hardware node publishes.
    chain = chain_to(robot, "head")
    assert chain == ["head_x", "head_y", "head_z", "head_yaw", "head_pitch", "head_roll"]
    assert robot.joint_map["head_x"].parent == "base_link"
    for name in chain[:-1]:
        child = robot.link_map[robot.joint_map[name].child]
        assert not child.visuals and child.inertial is None, f"{child.name} must be massless"


def test_urdf_neutral_head_sits_at_the_tables_head_height(robot: Robot) -> None:
    # The neutral head (all six joints at 0) is head_z_offset above the base origin.
    origins = [robot.joint_map[n].origin for n in chain_to(robot, "head")]
    assert all(list(o.rpy) == [0.0, 0.0, 0.0] for o in origins)
    height = robot_table.load().kinematics["head_z_offset"]
    assert [sum(o.xyz[i] for o in origins) for i in range(3)] == pytest.approx([0, 0, height])


def test_urdf_stewart_horns_sit_on_the_body_and_antennas_on_the_head(robot: Robot) -> None:
    for name in STEWART_JOINT_NAMES:
        joint = robot.joint_map[name]
        assert joint.parent == "body", name
        assert robot.link_map[joint.child].visuals, f"{name} has no visible horn"
    for name in ("right_antenna", "left_antenna"):
        joint = robot.joint_map[name]
        assert joint.parent == "head", name
        assert robot.link_map[joint.child].visuals, f"{name} is not drawn"
    # Six distinct places around the top of the body (0.095 m high, 0.055 m in radius).
    horns = [robot.joint_map[n].origin.xyz for n in STEWART_JOINT_NAMES]
    assert len({(round(x, 4), round(y, 4)) for x, y, _z in horns}) == 6
    for x, y, z in horns:
        assert 0.02 < math.hypot(x, y) < 0.055
        assert 0.09 < z < 0.12


def test_urdf_antennas_sit_on_either_side_of_the_head(robot: Robot) -> None:
    right = robot.joint_map["right_antenna"].origin.xyz
    left = robot.joint_map["left_antenna"].origin.xyz
    assert right[1] < 0 < left[1], "REP-103: y points to the robot's left"


def test_urdf_robot_stands_about_28_cm_tall_at_the_neutral_pose(robot: Robot) -> None:
    # Every joint from the root to the antenna tips has no rotation at the neutral pose, so
    # heights add up along the chain.
    height = sum(robot.joint_map[j].origin.xyz[2] for j in chain_to(robot, "left_antenna_link"))
    tip = max(
        v.origin.xyz[2] + getattr(v.geometry, "radius", 0.0)
        for v in robot.link_map["left_antenna_link"].visuals
    )
    assert 0.25 < height + tip < 0.31
    head_width = robot.link_map["head"].visuals[0].geometry.length
    assert 0.10 <= head_width <= 0.14
