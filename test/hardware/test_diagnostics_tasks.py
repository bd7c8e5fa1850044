"""Diagnostic tasks, called directly on state snapshots without a node."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from support import status_values

from reachy_mini_ros.hardware import diagnostics, updater
from reachy_mini_ros.interface.joints import MOTOR_JOINTS

NOW = 1_700_000_000.0


def snapshot(**changes: Any) -> SimpleNamespace:
    """Return a reading of nine healthy motors taken just now, with some fields changed."""
    n = len(MOTOR_JOINTS)
    values: dict[str, Any] = {
        "seq": 10,
        "read_time": NOW - 0.002,
        "names": [j.name for j in MOTOR_JOINTS],
        "ids": [j.motor_id for j in MOTOR_JOINTS],
        "position": [0.0] * n,
        "goal": [0.0] * n,
        "velocity": [0.0] * n,
        "current": [0.0] * n,
        "temperature": [35.0] * n,
        "voltage": [5.0] * n,
        "hardware_error": [0] * n,
        "torque_enabled": [True] * n,
        "comm_errors": [0] * n,
        "status_time": NOW - 0.01,
        "bus_state": "connected",
    }
    values.update(changes)
    return SimpleNamespace(**values)


def loop_stats(**changes: Any) -> SimpleNamespace:
    """Return statistics of a loop at its configured 200 Hz, with some fields changed."""
    values: dict[str, Any] = {
        "configured_rate_hz": 200.0,
        "achieved_rate_hz": 200.0,
        "cycles": 4000,
        "jitter_p50_ms": 0.02,
        "jitter_p99_ms": 0.2,
        "jitter_max_ms": 0.4,
        "read_ms_p50": 1.6,
        "write_ms_p50": 0.6,
        "errors": {"timeout": 0, "checksum": 0},
        "bus_state": "connected",
        "reconnects": 0,
    }
    values.update(changes)
    return SimpleNamespace(**values)


def state(**changes: Any) -> diagnostics.DiagnosticsState:
    """Return an active node's state, with some fields changed."""
    values: dict[str, Any] = {
        "lifecycle_state": "active",
        "backend": "sim",
        "core_version": "0.1.0",
        "configured_rate_hz": 200.0,
        "snapshot": snapshot(),
        "stats": loop_stats(),
        "loop_running": True,
        "now": NOW,
    }
    values.update(changes)
    return diagnostics.DiagnosticsState(**values)


def run(task: Any, *args: Any) -> updater.StatusBuilder:
    stat = updater.StatusBuilder(name="test")
    task(*args, stat)
    return stat


def test_healthy_motor_is_ok_with_its_readings() -> None:
    stat = run(diagnostics.motor_task, state(), 1)
    assert stat.level == diagnostics.OK
    kv = status_values(stat)
    assert kv["joint"] == "stewart_1"
    assert kv["motor_id"] == "11"
    assert kv["temperature"] == "35.0"
    assert kv["voltage"] == "5.0"
    assert kv["torque"] == "on"
    assert kv["hardware_error_bits"] == "none"


def test_motor_hardware_error_is_an_error_with_its_decoded_cause() -> None:
    errors = [0] * 9
    errors[3] = 1 << 2 | 1 << 5  # overheating and overload
    torque = [True] * 9
    torque[3] = False
    snap = snapshot(hardware_error=errors, torque_enabled=torque)
    stat = run(diagnostics.motor_task, state(snapshot=snap), 3)
    assert stat.level == diagnostics.ERROR
    assert "overheating" in stat.message and "overload" in stat.message
    assert status_values(stat)["torque"] == "off"
    assert status_values(stat)["hardware_error"] == "36"


def test_hot_motor_warns() -> None:
    temps = [35.0] * 9
    temps[0] = 65.0
    stat = run(diagnostics.motor_task, state(snapshot=snapshot(temperature=temps)), 0)
    assert stat.level == diagnostics.WARN
    assert "65" in stat.message


def test_old_reading_is_stale() -> None:
    stat = run(diagnostics.motor_task, state(snapshot=snapshot(read_time=NOW - 3.0)), 0)
    assert stat.level == diagnostics.STALE


def test_motor_without_reading_is_stale() -> None:
    stat = run(diagnostics.motor_task, state(snapshot=None, lifecycle_state="unconfigured"), 0)
    assert stat.level == diagnostics.STALE


def test_connected_bus_at_rate_is_ok() -> None:
    stat = run(diagnostics.bus_task, state())
    assert stat.level == diagnostics.OK
    kv = status_values(stat)
    assert kv["state"] == "connected"
    assert kv["achieved_rate_hz"] == "200.0"
    assert kv["configured_rate_hz"] == "200.0"
    assert kv["errors_timeout"] == "0"


def test_reconnecting_bus_is_an_error() -> None:
    stat = run(diagnostics.bus_task, state(stats=loop_stats(bus_state="reconnecting")))
    assert stat.level == diagnostics.ERROR
    assert status_values(stat)["state"] == "reconnecting"


@pytest.mark.parametrize(
    "changes", [{"achieved_rate_hz": 150.0}, {"jitter_p99_ms": 2.0}], ids=["slow", "jittery"]
)
def test_slow_or_jittery_loop_warns(changes: dict[str, float]) -> None:
    stat = run(diagnostics.bus_task, state(stats=loop_stats(**changes)))
    assert stat.level == diagnostics.WARN


def test_core_status_names_its_version_and_loop() -> None:
    stat = run(diagnostics.core_task, state(core_version="1.2.3"))
    assert stat.level == diagnostics.OK
    assert status_values(stat) == {
        "version": "1.2.3",
        "backend": "sim",
        "loop_running": "true",
        "lifecycle_state": "active",
        "loop_restarts": "0",
        "loop_exit_reason": "none",
    }


def test_core_status_is_an_error_while_active_with_the_loop_dead() -> None:
    reason = "loop thread panicked: index out of bounds"
    stat = run(
        diagnostics.core_task,
        state(loop_running=False, loop_exit_reason=reason, loop_restarts=2),
    )
    assert stat.level == diagnostics.ERROR
    assert stat.message == f"control loop not running: {reason}"
    kv = status_values(stat)
    assert kv["loop_running"] == "false"
    assert kv["loop_exit_reason"] == reason
    assert kv["loop_restarts"] == "2"


def test_core_status_is_ok_with_the_loop_stopped_while_inactive() -> None:
    stat = run(diagnostics.core_task, state(lifecycle_state="inactive", loop_running=False))
    assert stat.level == diagnostics.OK
    assert status_values(stat)["loop_running"] == "false"


def test_refused_commands_warn_with_the_last_reason() -> None:
    commands = diagnostics.CommandStats()
    commands.accept(now=NOW - 0.1)
    commands.refuse("unknown joint 'nose'", now=NOW - 0.05)
    stat = run(diagnostics.command_task, state(commands=commands))
    assert stat.level == diagnostics.WARN
    kv = status_values(stat)
    assert kv["refused"] == "1"
    assert kv["accepted"] == "1"
    assert kv["last_refusal"] == "unknown joint 'nose'"
    assert kv["last_command_age_s"] == "0.050"


def test_command_path_without_commands_is_idle() -> None:
    stat = run(diagnostics.command_task, state())
    assert stat.level == diagnostics.OK
    assert stat.message == "idle"
    assert status_values(stat)["last_command_age_s"] == "never"


@pytest.mark.parametrize(
    ("bits", "names"),
    [(0, []), (1, ["input voltage"]), (0b100100, ["overheating", "overload"]), (2, ["bit 1"])],
)
def test_hardware_error_bits_decode(bits: int, names: list[str]) -> None:
    assert diagnostics.decode_hardware_error(bits) == names


def test_tasks_fill_diagnostic_updaters_status_wrapper_the_same_way() -> None:
    wrapper_module = pytest.importorskip(
        "diagnostic_updater", reason="diagnostic_updater is not installed (ROS install only)"
    )
    wrapper = wrapper_module.DiagnosticStatusWrapper()
    ours = updater.StatusBuilder()
    for stat in (wrapper, ours):
        diagnostics.bus_task(state(), stat)
    assert wrapper.level == ours.level
    assert wrapper.message == ours.message
    assert [(kv.key, kv.value) for kv in wrapper.values] == [
        (kv.key, kv.value) for kv in ours.values
    ]
