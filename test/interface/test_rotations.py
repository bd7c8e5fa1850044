"""Roll, pitch, yaw and quaternions convert into each other."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from reachy_mini_ros.interface.rotations import quaternion_to_rpy, rpy_to_quaternion

angle = st.floats(min_value=-math.pi + 1e-6, max_value=math.pi - 1e-6)
# Away from pitch ±90°, where roll and yaw are not separable.
pitch = st.floats(min_value=-1.5, max_value=1.5)


@given(angle, pitch, angle)
def test_rpy_round_trips_through_a_unit_quaternion(roll: float, p: float, yaw: float) -> None:
    q = rpy_to_quaternion(roll, p, yaw)
    assert math.isclose(sum(c * c for c in q), 1.0, abs_tol=1e-12)
    back = quaternion_to_rpy(*q)
    for got, want in zip(back, (roll, p, yaw), strict=True):
        assert math.isclose(math.remainder(got - want, math.tau), 0.0, abs_tol=1e-9)


def test_yaw_alone_turns_about_z() -> None:
    x, y, z, w = rpy_to_quaternion(0.0, 0.0, math.pi / 2)
    assert (x, y) == (0.0, 0.0)
    assert math.isclose(z, math.sqrt(0.5)) and math.isclose(w, math.sqrt(0.5))
