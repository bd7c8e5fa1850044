"""Check the Stewart platform kinematics through the Python module."""

from __future__ import annotations

import itertools
import math

import pytest

import reachy_mini_core_rs as core

# Within about ±20° of tilt and ±35° of yaw the head pose is unique for its angles.
GRID_T = (-0.02, 0.0, 0.02)
GRID_A = (-0.35, 0.0, 0.35)
GRID_YAW = (-0.6, 0.0, 0.6)
# Towards the edge of the workspace two poses can share the same angles.
EDGE_T = (-0.025, 0.0, 0.025)
EDGE_A = (-math.radians(30), 0.0, math.radians(30))
EDGE_YAW = (-math.radians(60), 0.0, math.radians(60))


def grid(
    t: tuple[float, ...], a: tuple[float, ...], yaw: tuple[float, ...]
) -> list[core.HeadPose]:
    """Return every pose of a grid."""
    return [core.HeadPose(*values) for values in itertools.product(t, t, t, a, a, yaw)]


def test_inverse_then_forward_round_trips_over_a_grid_of_reachable_poses() -> None:
    reachable = 0
    poses = grid(GRID_T, GRID_A, GRID_YAW)
    for pose in poses:
        try:
            angles = core.inverse_kinematics(pose)
        except core.KinematicsError:
            continue
        reachable += 1
        back = core.forward_kinematics(angles)
        for got, want in zip(back.as_tuple(), pose.as_tuple(), strict=True):
            assert got == pytest.approx(want, abs=1e-6), pose
    assert reachable > len(poses) // 2


def test_forward_from_the_previous_pose_round_trips_at_the_edge_of_the_workspace() -> None:
    reachable = 0
    for pose in grid(EDGE_T, EDGE_A, EDGE_YAW):
        try:
            angles = core.inverse_kinematics(pose)
        except core.KinematicsError:
            continue
        reachable += 1
        # One 200 Hz step earlier the head was a little closer to neutral.
        previous = core.HeadPose(*(0.995 * v for v in pose.as_tuple()))
        back = core.forward_kinematics(angles, start=previous)
        for got, want in zip(back.as_tuple(), pose.as_tuple(), strict=True):
            assert got == pytest.approx(want, abs=1e-6), pose
    # Corners (large tilt with large offsets) are beyond the rods or the joint limits.
    assert reachable > 100


def test_neutral_pose_is_where_the_simulated_motors_start() -> None:
    sim = core.SimBus()
    angles = core.inverse_kinematics(core.HeadPose())
    for k, angle in enumerate(angles):
        assert sim.motor(11 + k)["position"] == pytest.approx(angle, abs=1e-12)
    pose = core.forward_kinematics([sim.motor(11 + k)["position"] for k in range(6)])
    assert all(abs(v) < 1e-9 for v in pose.as_tuple())


def test_angles_are_inside_the_joint_limits() -> None:
    angles = core.inverse_kinematics(core.HeadPose(z=0.01, pitch=0.2, yaw=-0.4))
    for angle, (lower, upper) in zip(angles, core.JOINT_LIMITS[1:7], strict=True):
        assert lower <= angle <= upper


@pytest.mark.parametrize(
    "pose",
    [
        core.HeadPose(roll=math.radians(41)),
        core.HeadPose(pitch=-math.radians(41)),
        core.HeadPose(yaw=math.radians(66)),
        core.HeadPose(x=0.031),
        core.HeadPose(z=-0.031),
        core.HeadPose(x=math.nan),
        core.HeadPose(yaw=math.inf),
    ],
)
def test_pose_outside_the_envelope_raises_kinematics_error(pose: core.HeadPose) -> None:
    with pytest.raises(core.KinematicsError):
        core.inverse_kinematics(pose)


def test_pose_inside_the_envelope_but_beyond_the_motors_raises() -> None:
    with pytest.raises(core.KinematicsError, match=r"out of reach|outside"):
        core.inverse_kinematics(core.HeadPose(z=0.03, roll=0.6, pitch=0.6))


@pytest.mark.parametrize(
    "angles", [[0.0] * 5, [0.0] * 7, [math.nan] * 6, [3.0] * 6], ids=["5", "7", "nan", "far"]
)
def test_forward_of_bad_angles_raises_instead_of_returning_nan(angles: list[float]) -> None:
    with pytest.raises(core.KinematicsError):
        core.forward_kinematics(angles)


def test_forward_refuses_a_non_finite_body_yaw() -> None:
    angles = core.inverse_kinematics(core.HeadPose())
    with pytest.raises(core.KinematicsError):
        core.forward_kinematics(angles, body_yaw=math.nan)
    assert core.forward_kinematics(angles, body_yaw=1.0).as_tuple() == pytest.approx(
        (0.0,) * 6, abs=1e-9
    )


def test_head_pose_fields_are_settable() -> None:
    pose = core.HeadPose()
    pose.pitch = 0.2
    pose.z = 0.01
    assert pose.as_tuple() == (0.0, 0.0, 0.01, 0.0, 0.2, 0.0)


@pytest.mark.parametrize(
    "pose",
    [
        core.HeadPose(roll=math.radians(40)),
        core.HeadPose(roll=-math.radians(40)),
        core.HeadPose(pitch=math.radians(40)),
        core.HeadPose(pitch=-math.radians(40)),
        core.HeadPose(yaw=math.radians(65)),
        core.HeadPose(yaw=-math.radians(65)),
        core.HeadPose(x=0.03),
        core.HeadPose(y=-0.03),
        core.HeadPose(z=-0.03),
    ],
    ids=["roll+", "roll-", "pitch+", "pitch-", "yaw+", "yaw-", "x", "y", "z"],
)
def test_documented_extremes_are_reachable_within_the_joint_limits(pose: core.HeadPose) -> None:
    angles = core.inverse_kinematics(pose)
    for angle, (lower, upper) in zip(angles, core.JOINT_LIMITS[1:7], strict=True):
        assert lower <= angle <= upper
    assert core.forward_kinematics(angles).as_tuple() == pytest.approx(pose.as_tuple(), abs=1e-6)


def test_neutral_pose_puts_every_stewart_motor_at_zero() -> None:
    assert core.inverse_kinematics(core.HeadPose()) == pytest.approx([0.0] * 6, abs=1e-12)
