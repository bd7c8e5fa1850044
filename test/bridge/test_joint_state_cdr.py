"""The bridge's reader of serialized JointStates against rclpy's own serializer."""

from __future__ import annotations

import math

import pytest
from builtin_interfaces.msg import Time
from hypothesis import given, settings
from hypothesis import strategies as st
from rclpy.serialization import serialize_message
from sensor_msgs.msg import JointState
from std_msgs.msg import Header

from reachy_mini_ros.bridge.joint_state_cdr import JointStateReader

doubles = st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=20)
# What a ROS string holds: UTF-8 without NUL (a lone surrogate cannot be encoded).
text = st.characters(min_codepoint=1, blacklist_categories=("Cs",))


@st.composite
def joint_states(draw: st.DrawFn) -> JointState:
    return JointState(
        header=Header(
            stamp=Time(
                sec=draw(st.integers(-(2**31), 2**31 - 1)),
                nanosec=draw(st.integers(0, 999_999_999)),
            ),
            frame_id=draw(st.text(alphabet=text, max_size=12)),
        ),
        name=draw(st.lists(st.text(alphabet=text, max_size=9))),
        position=draw(doubles),
        velocity=draw(doubles),
        effort=draw(doubles),
    )


def same_doubles(ours: object, theirs: object) -> bool:
    a, b = list(ours), list(theirs)  # type: ignore[call-overload]
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True)
    )


@settings(max_examples=300, deadline=None)
@given(joint_states())
def test_every_field_reads_back_as_rclpy_serialized_it(msg: JointState) -> None:
    reading = JointStateReader().read(serialize_message(msg))
    assert reading.stamp == msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
    assert reading.names == tuple(msg.name)
    assert same_doubles(reading.position, msg.position)
    assert same_doubles(reading.velocity, msg.velocity)
    assert same_doubles(reading.effort, msg.effort)


def test_names_kept_from_the_last_message_are_dropped_when_they_change() -> None:
    reader = JointStateReader()
    first = JointState(name=["yaw_body", "left_antenna"], position=[0.1, 0.2])
    assert reader.read(serialize_message(first)).names == ("yaw_body", "left_antenna")
    # The same bytes at another alignment (a longer frame_id), then other names.
    moved = JointState(name=["yaw_body", "left_antenna"], position=[0.1, 0.2])
    moved.header.frame_id = "ab"
    assert reader.read(serialize_message(moved)).names == ("yaw_body", "left_antenna")
    other = JointState(name=["yaw_body", "right_antenna"], position=[0.3, 0.4])
    reading = reader.read(serialize_message(other))
    assert reading.names == ("yaw_body", "right_antenna")
    assert list(reading.position) == [0.3, 0.4]


def test_truncated_bytes_are_refused_and_never_read_as_a_sample() -> None:
    data = serialize_message(JointState(name=["a", "b"], position=[1.0, 2.0]))
    reader = JointStateReader()
    # In the stamp, in the name count, in the middle of the second position.
    for end in (6, 20, 60):
        with pytest.raises(Exception):  # noqa: B017 - rclpy's deserializer raises its own
            reader.read(data[:end])


def test_another_encapsulation_goes_to_rclpy() -> None:
    # Options bytes are free; an unknown encapsulation kind is rclpy's to judge.
    msg = JointState(name=["a"], position=[1.5])
    data = bytearray(serialize_message(msg))
    data[0:2] = b"\x00\x0a"
    with pytest.raises(Exception):  # noqa: B017
        JointStateReader().read(bytes(data))
