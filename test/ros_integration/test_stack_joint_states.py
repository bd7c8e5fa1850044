"""/joint_states of the running stack names exactly the movable joints of the URDF."""

from __future__ import annotations

from typing import Any

import pytest
from integration_support import ROOT, needs_core
from sensor_msgs.msg import JointState
from support import RosClient, Stack, TopicRecorder
from urdf_parser_py.urdf import URDF

from reachy_mini_ros.bringup import URDF_FILE

pytestmark = needs_core

# Positions of a motor may read a few ticks past its limit (1 tick is 2π/4096 ≈ 1.5 mrad).
POSITION_SLACK = 0.01


@pytest.fixture
def joint_state(stack: Stack, ros: RosClient) -> Any:
    """Return one /joint_states message of the running stack, received over DDS."""
    return TopicRecorder(ros, JointState, "/joint_states").wait(30.0, "/joint_states")


@pytest.fixture(scope="module")
def urdf_limits() -> dict[str, tuple[float, float]]:
    robot = URDF.from_xml_string((ROOT / "urdf" / URDF_FILE).read_text())
    return {j.name: (j.limit.lower, j.limit.upper) for j in robot.joints if j.type != "fixed"}


def test_joint_states_carry_every_movable_urdf_joint_and_nothing_else(
    joint_state: Any, urdf_limits: dict[str, tuple[float, float]]
) -> None:
    names = list(joint_state.name)
    assert len(names) == len(set(names)), f"a joint appears twice: {names}"
    assert set(names) == set(urdf_limits)
    assert len(joint_state.position) == len(names)


def test_joint_states_positions_lie_within_the_urdf_limits(
    joint_state: Any, urdf_limits: dict[str, tuple[float, float]]
) -> None:
    for name, position in zip(joint_state.name, joint_state.position, strict=True):
        lower, upper = urdf_limits[name]
        assert lower - POSITION_SLACK <= position <= upper + POSITION_SLACK, (name, position)
