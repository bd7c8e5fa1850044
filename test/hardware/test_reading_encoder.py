"""The core's serialized /joint_states and head pose messages, read back by rosidl itself.

The hardware node publishes the bytes that ``reachy_mini_core_rs.ReadingEncoder`` makes of each
reading. These tests take live readings of the control loop on the simulated bus, decode the
bytes with rclpy's own deserializer (the typesupport every subscriber uses), check that
rclpy's serializer lays the same message out over as many bytes, and compare the fields with
what the reading says the message must hold.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from geometry_msgs.msg import PoseStamped
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import JointState

from reachy_mini_ros.hardware.publishing import TORQUE_CONSTANT, reading_encoder
from reachy_mini_ros.interface.joints import HEAD_POSE_FRAME, HEAD_POSE_JOINT_NAMES
from reachy_mini_ros.interface.rotations import rpy_to_quaternion

core = pytest.importorskip("reachy_mini_core_rs")

NAMES = list(core.JOINT_NAMES)
STEWART = [NAMES.index(f"stewart_{k}") for k in range(1, 7)]
BODY = NAMES.index("yaw_body")


@pytest.fixture
def sim_loop() -> Iterator[tuple[Any, Any]]:
    sim = core.SimBus(1_000_000)
    loop = core.ControlLoop(sim=sim, rate_hz=200.0)
    loop.start()
    loop.set_torque(True)
    assert loop.wait_snapshot(-1, 2.0) is not None
    yield loop, sim
    loop.close()


def readings(loop: Any, count: int) -> list[Any]:
    """The next count snapshots of the loop, each one once."""
    out: list[Any] = []
    last = loop.snapshot().seq
    deadline = time.monotonic() + 10.0
    while len(out) < count and time.monotonic() < deadline:
        snap = loop.wait_snapshot(last, 0.2)
        if snap is not None:
            out.append(snap)
            last = snap.seq
    assert len(out) == count
    return out


def canonical(data: bytes, kind: type) -> Any:
    """Decode data with rosidl; check that rosidl encodes the message back to as many bytes.

    The bytes themselves may differ in the alignment padding, which CDR leaves unspecified
    (rosidl's serializer leaves whatever its buffer held there; the core writes zeros).
    """
    msg = deserialize_message(data, kind)
    again = serialize_message(msg)
    assert len(again) == len(data)
    return msg


def assert_same_floats(got: Any, want: list[float]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (math.isnan(g) and math.isnan(w)) or g == w, (list(got), want)


def check_reading(snap: Any, joint_bytes: bytes, pose_bytes: bytes | None, start: Any) -> Any:
    """Check one reading's messages field by field; return the head pose it carries."""
    msg = canonical(joint_bytes, JointState)
    assert msg.header.stamp.sec == int(snap.read_time)
    assert msg.header.stamp.nanosec == int((snap.read_time - int(snap.read_time)) * 1e9)
    assert msg.header.frame_id == ""
    fresh = [i for i, t in enumerate(snap.position_time) if t == snap.read_time]
    velocity_ok = snap.read_time - snap.velocity_time <= 0.05
    current_ok = snap.read_time - snap.current_time <= 0.05
    positions = [snap.position[i] for i in fresh]
    velocities = [snap.velocity[i] if velocity_ok else math.nan for i in fresh]
    efforts = [
        snap.current[i] / 1000.0 * TORQUE_CONSTANT[NAMES[i]] if current_ok else math.nan
        for i in fresh
    ]
    names = [NAMES[i] for i in fresh]
    pose = None
    if all(i in fresh for i in [*STEWART, BODY]):
        pose = core.forward_kinematics(
            [snap.position[i] for i in STEWART], body_yaw=snap.position[BODY], start=start
        )
        names += HEAD_POSE_JOINT_NAMES
        positions += list(pose.as_tuple())
        velocities += [math.nan] * 6
        efforts += [math.nan] * 6
    assert list(msg.name) == names
    # The motors exactly; the head pose within the forward kinematics' convergence (the core
    # starts from the previous pose's matrix, the test from its rounded x, y, z, roll...).
    motors = len(fresh)
    assert_same_floats(msg.position[:motors], positions[:motors])
    assert list(msg.position[motors:]) == pytest.approx(positions[motors:], abs=1e-9)
    assert_same_floats(msg.velocity, velocities)
    assert_same_floats(msg.effort, efforts)
    if pose is None:
        assert pose_bytes is None
        return None
    assert pose_bytes is not None
    head = canonical(pose_bytes, PoseStamped)
    assert head.header == msg.header.__class__(stamp=msg.header.stamp, frame_id=HEAD_POSE_FRAME)
    p, o = head.pose.position, head.pose.orientation
    assert (p.x, p.y, p.z) == tuple(msg.position[motors : motors + 3])
    roll, pitch, yaw = msg.position[motors + 3 : motors + 6]
    assert [o.x, o.y, o.z, o.w] == pytest.approx(
        list(rpy_to_quaternion(roll, pitch, yaw)), abs=1e-15
    )
    return pose


def test_moving_readings_decode_as_the_messages_they_stand_for(sim_loop: Any) -> None:
    loop, _ = sim_loop
    enc = reading_encoder(core)
    start = None
    snaps = readings(loop, 5)
    pose = core.forward_kinematics(
        [snaps[-1].position[i] for i in STEWART], body_yaw=snaps[-1].position[BODY]
    )
    # Move the head and the antennas, so that the readings change from one to the next.
    raised = core.HeadPose(pose.x, pose.y, pose.z + 0.01, pose.roll, pose.pitch + 0.1, pose.yaw)
    loop.goto("encoder-test", 0.5, head=raised, antennas=(0.5, -0.5))
    poses = 0
    for snap in readings(loop, 120):
        joint_bytes, pose_bytes = enc.encode(snap)
        start = check_reading(snap, joint_bytes, pose_bytes, start)
        poses += start is not None
    assert poses == 120
    moved = deserialize_message(enc.encode(readings(loop, 1)[0])[0], JointState)
    assert moved.position[NAMES.index("right_antenna")] == pytest.approx(0.5, abs=0.01)


def test_a_silent_motor_is_left_out_and_takes_the_head_pose_with_it(sim_loop: Any) -> None:
    loop, sim = sim_loop
    enc = reading_encoder(core)
    sim.set_unresponsive(13, True)  # stewart_3
    try:
        snaps = [
            s
            for s in readings(loop, 40)
            if s.position_time[NAMES.index("stewart_3")] != s.read_time
        ]
        assert snaps, "the loop never read a cycle without stewart_3"
        for snap in snaps:
            joint_bytes, pose_bytes = enc.encode(snap)
            assert check_reading(snap, joint_bytes, pose_bytes, None) is None
            assert "stewart_3" not in deserialize_message(joint_bytes, JointState).name
    finally:
        sim.set_unresponsive(13, False)


def test_the_encoder_wants_one_torque_constant_per_motor_and_six_pose_joints() -> None:
    with pytest.raises(ValueError, match="torque constants"):
        core.ReadingEncoder([0.3] * 3, HEAD_POSE_FRAME, list(HEAD_POSE_JOINT_NAMES))
    with pytest.raises(ValueError, match="head pose joint names"):
        core.ReadingEncoder([0.3] * len(NAMES), HEAD_POSE_FRAME, ["head_x"])
