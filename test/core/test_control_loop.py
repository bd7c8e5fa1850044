"""Drive the control loop on the simulated bus through the Python module."""

from __future__ import annotations

import functools
import math
import time
import types
from collections.abc import Iterator

import core_support
import pytest

import reachy_mini_core_rs as core

WAIT_S = 15.0
wait_for = functools.partial(core_support.wait_for, timeout_s=WAIT_S)


@pytest.fixture
def loop(sim: core.SimBus) -> Iterator[core.ControlLoop]:
    """Give the test a started loop on its simulated bus."""
    control = core.ControlLoop(backend="sim", sim=sim, rate_hz=200.0)
    control.start()
    yield control
    control.close()


def index(name: str) -> int:
    """Return the motor index of a joint."""
    return core.JOINT_NAMES.index(name)


def test_open_pings_all_nine_motors(sim: core.SimBus) -> None:
    control = core.ControlLoop(backend="sim", sim=sim)
    try:
        assert control.open() == list(core.MOTOR_IDS)
    finally:
        control.close()


def test_snapshot_is_none_before_the_loop_reads() -> None:
    control = core.ControlLoop(backend="sim")
    assert control.snapshot() is None
    assert not control.running


def test_loop_moves_motors_toward_goals(loop: core.ControlLoop, sim: core.SimBus) -> None:
    loop.set_torque(True)
    loop.set_goals({"stewart_1": 0.4, "right_antenna": -1.0})

    def arrived() -> bool:
        snap = loop.snapshot()
        return (
            snap is not None
            and abs(snap.position[index("stewart_1")] - 0.4) < 0.01
            and abs(snap.position[index("right_antenna")] + 1.0) < 0.01
        )

    assert wait_for(arrived)
    snap = loop.snapshot()
    assert snap is not None
    assert snap.goal[index("stewart_1")] == pytest.approx(0.4)
    assert sim.motor(17)["goal"] == pytest.approx(-1.0, abs=0.002)


def test_snapshot_has_every_field_for_nine_motors(loop: core.ControlLoop) -> None:
    assert wait_for(lambda: (s := loop.snapshot()) is not None and s.status_time > 0.0)
    snap = loop.snapshot()
    assert snap is not None
    assert snap.names == list(core.JOINT_NAMES)
    assert snap.ids == list(core.MOTOR_IDS)
    for values in (snap.position, snap.velocity, snap.current, snap.goal, snap.temperature):
        assert len(values) == 9 and all(math.isfinite(v) for v in values)
    assert all(4.5 < v < 5.5 for v in snap.voltage)
    assert all(20.0 < t < 70.0 for t in snap.temperature)
    assert snap.hardware_error == [0] * 9
    assert snap.comm_errors == [0] * 9
    assert snap.bus_state == "connected"
    assert abs(snap.read_time - time.time()) < 60.0


def test_seq_increases_and_wait_snapshot_returns_a_newer_one(loop: core.ControlLoop) -> None:
    first = loop.wait_snapshot(0, WAIT_S)
    assert first is not None
    later = loop.wait_snapshot(first.seq + 5, WAIT_S)
    assert later is not None
    assert later.seq > first.seq + 5
    assert later.read_time > first.read_time


def test_wait_snapshot_returns_none_on_timeout_when_stopped(sim: core.SimBus) -> None:
    control = core.ControlLoop(backend="sim", sim=sim)
    control.open()
    assert control.wait_snapshot(0, 0.05) is None
    control.close()


def test_goal_outside_limits_raises_and_queues_nothing(
    loop: core.ControlLoop, sim: core.SimBus
) -> None:
    loop.set_torque(True)
    held = sim.motor(12)["goal"]
    with pytest.raises(core.LimitError):
        loop.set_goals({"stewart_2": 0.3, "stewart_1": 2.0})
    after = loop.wait_snapshot(0, WAIT_S)
    assert after is not None
    # Several cycles later nothing was written, not even the valid goal of the same call.
    later = loop.wait_snapshot(after.seq + 20, WAIT_S)
    assert later is not None
    assert later.goal[index("stewart_2")] == pytest.approx(held, abs=0.002)
    assert sim.motor(12)["goal"] == pytest.approx(held, abs=1e-9)


@pytest.mark.parametrize(
    "goals",
    [{"nose": 0.1}, {"stewart_1": math.nan}, {"yaw_body": math.inf}, {"left_antenna": 3.2}],
)
def test_invalid_goal_raises_limit_error_which_is_a_value_error(
    goals: dict[str, float],
) -> None:
    control = core.ControlLoop(backend="sim")
    with pytest.raises(core.LimitError):
        control.set_goals(goals)
    with pytest.raises(ValueError):
        control.set_goals(goals)


def test_narrowed_limits_refuse_goals_the_table_allows() -> None:
    control = core.ControlLoop(backend="sim", limits={"stewart_1": (-0.1, 0.1)})
    control.set_goals({"stewart_1": 0.05})
    with pytest.raises(core.LimitError):
        control.set_goals({"stewart_1": 0.2})


def test_limits_and_goals_accept_any_mapping() -> None:
    control = core.ControlLoop(
        backend="sim", limits=types.MappingProxyType({"stewart_1": (-0.1, 0.1)})
    )
    control.set_goals(types.MappingProxyType({"stewart_1": 0.05}))
    with pytest.raises(core.LimitError):
        control.set_goals(types.MappingProxyType({"stewart_1": 0.2}))


def test_limits_naming_an_unknown_joint_are_refused() -> None:
    with pytest.raises(core.LimitError):
        core.ControlLoop(backend="sim", limits={"tail": (-0.1, 0.1)})


def test_set_torque_holds_present_position(loop: core.ControlLoop, sim: core.SimBus) -> None:
    loop.set_torque(True)
    loop.set_goals({"yaw_body": 0.5})
    assert wait_for(lambda: abs(sim.motor(10)["position"] - 0.5) < 0.01)
    loop.set_torque(False)
    assert not sim.motor(10)["torque_enabled"]
    loop.set_torque(True)
    assert sim.motor(10)["torque_enabled"]
    assert sim.motor(10)["goal"] == pytest.approx(sim.motor(10)["position"], abs=0.003)


def test_stats_report_rate_and_jitter(loop: core.ControlLoop) -> None:
    first = loop.wait_snapshot(0, WAIT_S)
    assert first is not None
    loop.wait_snapshot(first.seq + 50, WAIT_S)
    stats = loop.stats()
    assert stats.configured_rate_hz == 200.0
    assert stats.cycles >= 50
    assert stats.achieved_rate_hz > 0.0
    assert 0.0 <= stats.jitter_p50_ms <= stats.jitter_p99_ms <= stats.jitter_max_ms
    assert stats.read_ms_p50 > 0.0
    assert stats.bus_state == "connected"
    assert isinstance(stats.errors, dict)


def test_stop_keeps_the_loop_restartable(loop: core.ControlLoop) -> None:
    assert loop.wait_snapshot(0, WAIT_S) is not None
    assert loop.running
    loop.stop()
    assert not loop.running
    stopped = loop.snapshot()
    assert stopped is not None
    loop.start()
    assert loop.wait_snapshot(stopped.seq, WAIT_S) is not None


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError):
        core.ControlLoop(backend="can")


def test_serial_backend_on_a_missing_port_raises_bus_error() -> None:
    control = core.ControlLoop(backend="serial", port="/dev/does-not-exist-reachy")
    with pytest.raises(core.BusError):
        control.open()


def test_wait_snapshot_with_negative_seq_returns_the_latest_at_once(
    loop: core.ControlLoop,
) -> None:
    first = loop.wait_snapshot(-1, WAIT_S)
    assert first is not None
    loop.stop()
    latest = loop.snapshot()
    assert latest is not None
    again = loop.wait_snapshot(-1, 0.0)
    assert again is not None and again.seq == latest.seq


def test_enabling_torque_outside_narrowed_limits_moves_nothing(sim: core.SimBus) -> None:
    control = core.ControlLoop(backend="sim", sim=sim, limits={"yaw_body": (0.2, 0.5)})
    try:
        control.open()
        control.set_torque(True)
        assert sim.motor(10)["torque_enabled"]
        assert sim.motor(10)["goal"] == pytest.approx(0.0, abs=0.002)
        time.sleep(0.1)
        assert sim.motor(10)["position"] == pytest.approx(0.0, abs=0.002)
    finally:
        control.close()
