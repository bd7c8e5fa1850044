"""Inject faults into the simulated bus and check how the control loop reports them."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import pytest
from core_support import WAIT_S, wait_for

import reachy_mini_core_rs as core


def latest(loop: core.ControlLoop) -> core.Snapshot:
    """Return the latest snapshot, waiting for the first one."""
    snap = loop.snapshot() or loop.wait_snapshot(0, WAIT_S)
    assert snap is not None
    return snap


@pytest.fixture
def loop(sim: core.SimBus) -> Iterator[core.ControlLoop]:
    """Give the test a started loop with torque on."""
    control = core.ControlLoop(backend="sim", sim=sim, rate_hz=200.0, timeout_s=0.01)
    control.start()
    control.set_torque(True)
    yield control
    control.close()


def test_unresponsive_motor_counts_comm_errors_and_others_keep_updating(
    loop: core.ControlLoop, sim: core.SimBus
) -> None:
    sim.set_unresponsive(13, True)
    assert wait_for(lambda: latest(loop).comm_errors[3] >= 5)
    snap = latest(loop)
    assert sum(snap.comm_errors) == snap.comm_errors[3]
    assert snap.bus_state == "connected"
    assert loop.stats().errors.get("timeout", 0) > 0
    # The other motors still follow their goals.
    loop.set_goals({"left_antenna": 1.0})
    assert wait_for(lambda: abs(latest(loop).position[8] - 1.0) < 0.01)


def test_motor_that_answers_again_is_read_again(loop: core.ControlLoop, sim: core.SimBus) -> None:
    sim.set_unresponsive(17, True)
    assert wait_for(lambda: latest(loop).comm_errors[7] >= 3)
    sim.set_unresponsive(17, False)
    loop.set_torque(True)
    loop.set_goals({"right_antenna": -0.7})
    assert wait_for(lambda: abs(latest(loop).position[7] + 0.7) < 0.01)
    errors = latest(loop).comm_errors[7]
    time.sleep(0.3)
    assert latest(loop).comm_errors[7] == errors


def test_unresponsive_motor_refuses_a_direct_command(sim: core.SimBus) -> None:
    control = core.ControlLoop(backend="sim", sim=sim, timeout_s=0.01)
    sim.set_unresponsive(18, True)
    assert 18 not in control.open()
    with pytest.raises(core.BusError):
        control.reboot([18])
    control.close()


def test_corrupted_replies_count_checksum_errors(loop: core.ControlLoop, sim: core.SimBus) -> None:
    sim.set_crc_corruption(11, True)
    assert wait_for(lambda: loop.stats().errors.get("checksum", 0) >= 3)
    assert wait_for(lambda: latest(loop).comm_errors[1] >= 3)
    sim.set_crc_corruption(11, False)
    # A reply already on the wire when corruption stopped may still be corrupt.
    settled = loop.wait_snapshot(latest(loop).seq + 2, WAIT_S)
    assert settled is not None
    count = settled.comm_errors[1]
    time.sleep(0.3)
    assert latest(loop).comm_errors[1] == count


def test_hardware_error_clears_torque_until_reboot(
    loop: core.ControlLoop, sim: core.SimBus
) -> None:
    sim.inject_hardware_error(12, core.HW_ERROR_OVERLOAD)
    assert not sim.motor(12)["torque_enabled"]
    assert wait_for(lambda: latest(loop).hardware_error[2] == core.HW_ERROR_OVERLOAD)
    assert wait_for(lambda: not latest(loop).torque_enabled[2])
    with pytest.raises(core.BusError):
        loop.set_torque(True)
    assert not sim.motor(12)["torque_enabled"]

    loop.reboot([12])
    assert sim.motor(12)["hardware_error"] == 0
    loop.set_torque(True)
    assert sim.motor(12)["torque_enabled"]
    assert wait_for(lambda: latest(loop).hardware_error[2] == 0 and latest(loop).torque_enabled[2])


def test_input_voltage_error_alerts_without_clearing_torque(
    loop: core.ControlLoop, sim: core.SimBus
) -> None:
    sim.inject_hardware_error(15, core.HW_ERROR_INPUT_VOLTAGE)
    assert wait_for(lambda: latest(loop).hardware_error[5] == core.HW_ERROR_INPUT_VOLTAGE)
    assert sim.motor(15)["torque_enabled"]


def test_unplugged_bus_reconnects_and_seq_stops_until_plugged(
    loop: core.ControlLoop, sim: core.SimBus
) -> None:
    latest(loop)
    sim.set_unplugged(True)
    assert wait_for(lambda: latest(loop).bus_state == "reconnecting")
    assert loop.stats().bus_state == "reconnecting"
    frozen = latest(loop)
    time.sleep(0.3)
    assert latest(loop).seq == frozen.seq
    assert latest(loop).read_time == frozen.read_time
    assert loop.wait_snapshot(frozen.seq, 0.1) is None

    sim.set_unplugged(False)
    resumed = loop.wait_snapshot(frozen.seq, WAIT_S)
    assert resumed is not None
    assert resumed.bus_state == "connected"
    stats = loop.stats()
    assert stats.reconnects >= 1
    assert stats.errors.get("io", 0) >= 1


def test_replies_slower_than_the_timeout_take_the_bus_down_until_they_speed_up(
    loop: core.ControlLoop, sim: core.SimBus
) -> None:
    latest(loop)
    sim.set_reply_delay(0.05)
    assert wait_for(lambda: loop.stats().bus_state == "reconnecting")
    sim.set_reply_delay(0.0)
    assert wait_for(lambda: loop.stats().bus_state == "connected")
    before = latest(loop).seq
    assert loop.wait_snapshot(before, WAIT_S) is not None


def test_slow_replies_within_the_timeout_keep_the_bus_up(
    loop: core.ControlLoop, sim: core.SimBus
) -> None:
    sim.set_reply_delay(0.002)
    first = latest(loop)
    later = loop.wait_snapshot(first.seq + 10, WAIT_S)
    assert later is not None
    assert later.bus_state == "connected"


def test_bus_watchdog_stops_motors_when_the_loop_stops(sim: core.SimBus) -> None:
    control = core.ControlLoop(backend="sim", sim=sim, watchdog_ms=100)
    control.start()
    control.set_torque(True)
    assert sim.motor(10)["watchdog"] == 5
    control.stop()
    # 100 ms without any packet trips it; the register then reads -1.
    assert wait_for(lambda: sim.motor(10)["watchdog"] == 0xFF)
    control.start()
    assert sim.motor(10)["watchdog"] == 5
    control.set_goals({"yaw_body": 0.4})
    assert wait_for(lambda: abs(sim.motor(10)["position"] - 0.4) < 0.01)
    control.close()


def test_fault_injection_names_an_existing_motor(sim: core.SimBus) -> None:
    with pytest.raises(core.LimitError):
        sim.set_unresponsive(42, True)
    with pytest.raises(core.LimitError):
        sim.motor(9)


def test_enabling_torque_leaves_a_motor_with_an_unreadable_position_off(
    sim: core.SimBus,
) -> None:
    control = core.ControlLoop(backend="sim", sim=sim, rate_hz=200.0, timeout_s=0.01)
    control.start()
    try:
        # A goal written while torque is off sits in the register without moving the motor.
        control.set_goals({"stewart_1": 0.5})
        assert wait_for(lambda: abs(sim.motor(11)["goal"] - 0.5) < 0.002)
        before = {motor_id: sim.motor(motor_id) for motor_id in core.MOTOR_IDS}
        assert not any(m["torque_enabled"] for m in before.values())
        sim.set_crc_corruption(11, True)

        with pytest.raises(core.BusError, match=r"stewart_1 \(id 11\): present position"):
            control.set_torque(True)

        # 0.3 s is 6 time constants of the simulated motors: a motion toward 0.5 would show.
        time.sleep(0.3)
        stewart_1 = sim.motor(11)
        assert not stewart_1["torque_enabled"]
        assert stewart_1["position"] == before[11]["position"]
        one_tick = 2 * math.pi / 4096
        for motor_id, old in before.items():
            if motor_id == 11:
                continue
            now = sim.motor(motor_id)
            assert now["torque_enabled"], motor_id
            # The goal register holds the read position to the tick: nothing moves.
            assert abs(float(now["goal"]) - float(old["position"])) <= one_tick
            assert abs(float(now["position"]) - float(old["position"])) < one_tick
    finally:
        control.close()


def test_a_panicking_loop_reports_why_and_runs_again_after_start(
    loop: core.ControlLoop, sim: core.SimBus
) -> None:
    latest(loop)
    assert loop.exit_reason is None
    sim.inject_panic()
    assert wait_for(lambda: not loop.running)
    reason = loop.exit_reason
    assert reason is not None and "panicked" in reason and "injected panic" in reason
    frozen = latest(loop)
    assert loop.wait_snapshot(frozen.seq, 0.2) is None

    loop.start()
    assert loop.running and loop.exit_reason is None
    assert loop.wait_snapshot(frozen.seq, WAIT_S) is not None
