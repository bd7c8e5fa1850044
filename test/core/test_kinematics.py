"""Check the kinematics bindings: the pose type, the frame, and the refusals."""

from __future__ import annotations

import math

import pytest

import reachy_mini_core_rs as core

# The vendor's IK of the neutral head (reachy_mini 1.13.0, vendor.md: ±2e-5).
VENDOR_NEUTRAL = [0.62655, -0.62654, 0.62654, -0.62654, 0.62654, -0.62654]


def test_neutral_head_needs_the_vendor_neutral_angles() -> None:
    assert core.inverse_kinematics(core.HeadPose()) == pytest.approx(VENDOR_NEUTRAL, abs=2e-5)


def test_head_turned_with_the_body_needs_the_neutral_angles() -> None:
    angles = core.inverse_kinematics(core.HeadPose(yaw=0.5), body_yaw=0.5)
    assert angles == pytest.approx(VENDOR_NEUTRAL, abs=2e-5)


def test_neutral_head_over_a_turned_body_is_not_the_neutral_angles() -> None:
    # vendor: ik(identity, body_yaw=0.7) gives stewart_1 = 0.52508.
    angles = core.inverse_kinematics(core.HeadPose(), body_yaw=0.7)
    assert angles[0] == pytest.approx(0.5250837232221011, abs=1e-9)


def test_matrix_is_the_xyz_extrinsic_rotation() -> None:
    m = core.HeadPose(x=0.01, yaw=math.pi / 2).matrix()
    assert m[0] == pytest.approx([0.0, -1.0, 0.0, 0.01], abs=1e-15)
    assert m[1] == pytest.approx([1.0, 0.0, 0.0, 0.0], abs=1e-15)
    m = core.HeadPose(pitch=math.pi / 2).matrix()
    # Ry(90°) takes the head's x axis to the base's −z.
    assert [m[0][0], m[1][0], m[2][0]] == pytest.approx([0.0, 0.0, -1.0], abs=1e-15)


def test_from_matrix_reads_back_the_pose() -> None:
    m = [[0.0, -1.0, 0.0, 0.01], [1.0, 0.0, 0.0, -0.02], [0.0, 0.0, 1.0, 0.005], [0, 0, 0, 1]]
    pose = core.HeadPose.from_matrix(m)
    assert pose.as_tuple() == pytest.approx((0.01, -0.02, 0.005, 0.0, 0.0, math.pi / 2))


@pytest.mark.parametrize(
    "matrix",
    [
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        [[2.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]],
        [[1.0, 0, 0, math.nan], [0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]],
        [[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, -1.0, 0], [0, 0, 0, 1.0]],
    ],
    ids=["3x3", "scaled", "nan", "mirror"],
)
def test_from_matrix_refuses_what_is_not_a_rigid_transform(matrix: list[list[float]]) -> None:
    with pytest.raises(core.KinematicsError):
        core.HeadPose.from_matrix(matrix)


@pytest.mark.parametrize(
    ("pose", "body_yaw", "reason"),
    [
        (core.HeadPose(roll=math.radians(41)), 0.0, "roll"),
        (core.HeadPose(yaw=math.radians(70)), 0.0, "relative to the body"),
        (core.HeadPose(z=0.055), 0.0, "z="),
        (core.HeadPose(z=0.03, roll=0.6, pitch=0.6), 0.0, "out of reach of motor stewart_1"),
    ],
)
def test_inverse_refuses_with_the_reason(
    pose: core.HeadPose, body_yaw: float, reason: str
) -> None:
    with pytest.raises(core.KinematicsError, match=reason):
        core.inverse_kinematics(pose, body_yaw=body_yaw)


def test_a_head_yaw_past_65_degrees_is_fine_over_a_body_that_follows() -> None:
    assert len(core.inverse_kinematics(core.HeadPose(yaw=1.5), body_yaw=1.0)) == 6


def test_stewart_angles_are_nan_out_of_reach() -> None:
    # vendor: stewart_1..4 NaN, stewart_5 = 0.90907 for this pose.
    angles = core.stewart_angles(core.HeadPose(z=0.03, roll=0.6, pitch=0.6))
    assert all(math.isnan(a) for a in angles[:4])
    assert angles[4] == pytest.approx(0.9090655555073168, abs=1e-9)


def test_automatic_body_yaw_keeps_the_head_within_65_degrees_of_the_body() -> None:
    # vendor: ik(yaw 1.5) with automatic body yaw moves the body to 1.5 − 65°.
    got = core.automatic_body_yaw(core.HeadPose(yaw=1.5), 0.0)
    assert got == pytest.approx(0.36553598620368577, abs=1e-12)


def test_forward_gives_the_base_frame_pose_of_vendor_angles() -> None:
    # vendor: ik(identity, body_yaw=0.7).
    angles = [0.5250837232221011, -0.8954728319795547, 0.525075550965399]
    angles += [-0.8954667139449273, 0.5250719309588221, -0.8954687397753629]
    pose = core.forward_kinematics(angles, body_yaw=0.7)
    assert pose.as_tuple() == pytest.approx((0.0,) * 6, abs=1e-8)


@pytest.mark.parametrize("angles", [[0.6] * 5, [math.nan] * 6, [3.0] * 6])
def test_forward_refuses_instead_of_returning_nan(angles: list[float]) -> None:
    with pytest.raises(core.KinematicsError):
        core.forward_kinematics(angles)
