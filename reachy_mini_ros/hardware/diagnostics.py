"""Diagnose the robot per REP-107: tasks that fill a status from a state snapshot.

Each task is a plain function ``task(state, stat)`` that reads a :class:`DiagnosticsState`
and fills ``stat`` through the two calls of diagnostic_updater's DiagnosticStatusWrapper,
``summary(level, message)`` and ``add(key, value)``. The node publishes them through
diagnostic_updater's ``Updater`` where it is installed, and through the fallback of
:mod:`reachy_mini_ros.hardware.updater` where it is not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from diagnostic_msgs.msg import DiagnosticStatus

from reachy_mini_ros.interface import command_results
from reachy_mini_ros.interface.status import BusKey, CommandKey, CoreKey, MotorKey

OK = DiagnosticStatus.OK
WARN = DiagnosticStatus.WARN
ERROR = DiagnosticStatus.ERROR
STALE = DiagnosticStatus.STALE

# Hardware Error Status bits of the XL330 control table (address 70).
HARDWARE_ERROR_BITS: dict[int, str] = {
    0: "input voltage",
    2: "overheating",
    3: "motor encoder",
    4: "electrical shock",
    5: "overload",
}
# The XL330's default temperature limit is 70 °C; warn 10 °C before the motor shuts down.
TEMPERATURE_WARN_C = 60.0
# XL330 motors are rated 3.7 V to 6 V; Reachy Mini runs them at 5 V.
VOLTAGE_RANGE_V = (4.5, 6.0)
# Warn when the loop falls 5 % below its configured rate, or p99 jitter exceeds 20 % of a
# period (1 ms at 200 Hz).
RATE_WARN_FRACTION = 0.95
JITTER_WARN_FRACTION = 0.2


class StatusLike(Protocol):
    """The part of DiagnosticStatusWrapper that the tasks use."""

    def summary(self, *args: Any) -> None: ...

    def add(self, key: str, val: str) -> None: ...


def decode_hardware_error(bits: int) -> list[str]:
    """Return the names of the set Hardware Error Status bits, unknown bits by number."""
    names = [name for bit, name in HARDWARE_ERROR_BITS.items() if bits & (1 << bit)]
    known = sum(1 << bit for bit in HARDWARE_ERROR_BITS)
    for bit in range(8):
        if bits & (1 << bit) and not known & (1 << bit):
            names.append(f"bit {bit}")
    return names


@dataclass
class CommandStats:
    """Counters of the command path, updated by the node's command callbacks."""

    accepted: int = 0
    refused: int = 0
    last_command_time: float | None = None
    last_refusal: str = ""

    def accept(self, now: float | None = None) -> None:
        """Count an accepted command."""
        self.accepted += 1
        self.last_command_time = time.time() if now is None else now

    def refuse(self, reason: str, now: float | None = None) -> None:
        """Count a refused command and keep its reason."""
        self.refused += 1
        self.last_command_time = time.time() if now is None else now
        self.last_refusal = reason


@dataclass
class DiagnosticsState:
    """Everything the tasks read, gathered by the node before each update."""

    lifecycle_state: str
    backend: str
    core_version: str
    configured_rate_hz: float
    snapshot: Any = None  # reachy_mini_core_rs.Snapshot | None
    stats: Any = None  # reachy_mini_core_rs.LoopStats | None
    commands: CommandStats = field(default_factory=CommandStats)
    command_timeout: float = 1.0
    command_deadline_s: float = command_results.DEFAULT_DEADLINE_S
    # Whether the Rust loop thread runs, why it last ended on its own, and how many times
    # the node restarted it.
    loop_running: bool = False
    loop_exit_reason: str | None = None
    loop_restarts: int = 0
    # What the last configure's motor setup found or did ("flashed 54 registers on 9 motors").
    motor_setup: str = ""
    # Seconds without a new snapshot after which readings are reported stale.
    stale_after: float = 0.5
    now: float = field(default_factory=time.time)


def fmt(value: float, digits: int = 2) -> str:
    """Format a number for a diagnostic value."""
    return f"{value:.{digits}f}"


def motor_task(state: DiagnosticsState, index: int, stat: StatusLike) -> StatusLike:
    """Report one motor: temperature, voltage, hardware error bits, torque, comm errors."""
    snap = state.snapshot
    if snap is None:
        stat.summary(STALE, f"no reading ({state.lifecycle_state})")
        return stat
    name = snap.names[index]
    temperature = float(snap.temperature[index])
    voltage = float(snap.voltage[index])
    error_bits = int(snap.hardware_error[index])
    torque = bool(snap.torque_enabled[index])
    comm_errors = int(snap.comm_errors[index])
    stat.add(MotorKey.JOINT, name)
    stat.add(MotorKey.MOTOR_ID, str(snap.ids[index]))
    stat.add(MotorKey.POSITION_RAD, fmt(float(snap.position[index]), 4))
    stat.add(MotorKey.GOAL_RAD, fmt(float(snap.goal[index]), 4))
    stat.add(MotorKey.TEMPERATURE, fmt(temperature, 1))
    stat.add(MotorKey.VOLTAGE, fmt(voltage, 1))
    stat.add(MotorKey.HARDWARE_ERROR, str(error_bits))
    stat.add(MotorKey.HARDWARE_ERROR_BITS, ", ".join(decode_hardware_error(error_bits)) or "none")
    stat.add(MotorKey.TORQUE, "on" if torque else "off")
    stat.add(MotorKey.COMM_ERRORS, str(comm_errors))
    age = state.now - float(snap.read_time)
    stat.add(MotorKey.READING_AGE_S, fmt(age, 3))
    if error_bits:
        causes = ", ".join(decode_hardware_error(error_bits))
        stat.summary(ERROR, f"hardware error: {causes}; torque off until reboot")
    elif age > state.stale_after:
        stat.summary(STALE, f"no reading for {age:.1f} s")
    elif temperature >= TEMPERATURE_WARN_C:
        stat.summary(WARN, f"hot: {temperature:.0f} °C")
    elif snap.status_time and not VOLTAGE_RANGE_V[0] <= voltage <= VOLTAGE_RANGE_V[1]:
        stat.summary(WARN, f"input voltage {voltage:.1f} V out of range")
    else:
        stat.summary(OK, "torque on" if torque else "torque off")
    return stat


def bus_task(state: DiagnosticsState, stat: StatusLike) -> StatusLike:
    """Report the bus: achieved against configured rate, jitter, errors, connection."""
    stats = state.stats
    stat.add(BusKey.BACKEND, state.backend)
    stat.add(BusKey.CONFIGURED_RATE_HZ, fmt(state.configured_rate_hz, 1))
    if state.motor_setup:
        stat.add(BusKey.MOTOR_SETUP, state.motor_setup)
    if stats is None:
        stat.add(BusKey.STATE, "closed")
        stat.summary(WARN if state.lifecycle_state != "active" else ERROR, "bus not open")
        return stat
    bus_state = str(stats.bus_state)
    achieved = float(stats.achieved_rate_hz)
    stat.add(BusKey.STATE, bus_state)
    stat.add(BusKey.ACHIEVED_RATE_HZ, fmt(achieved, 1))
    stat.add(BusKey.CYCLES, str(stats.cycles))
    stat.add(BusKey.JITTER_P50_MS, fmt(float(stats.jitter_p50_ms), 3))
    stat.add(BusKey.JITTER_P99_MS, fmt(float(stats.jitter_p99_ms), 3))
    stat.add(BusKey.JITTER_MAX_MS, fmt(float(stats.jitter_max_ms), 3))
    stat.add(BusKey.READ_MS_P50, fmt(float(stats.read_ms_p50), 3))
    stat.add(BusKey.WRITE_MS_P50, fmt(float(stats.write_ms_p50), 3))
    stat.add(BusKey.RECONNECTS, str(stats.reconnects))
    errors = dict(stats.errors)
    for kind in sorted(errors):
        stat.add(f"{BusKey.ERRORS_PREFIX}{kind}", str(errors[kind]))
    period_ms = 1000.0 / state.configured_rate_hz if state.configured_rate_hz > 0 else 0.0
    if bus_state != "connected":
        stat.summary(ERROR, f"bus {bus_state}")
    elif state.lifecycle_state != "active":
        stat.summary(OK, f"connected, loop {state.lifecycle_state}")
    elif achieved < RATE_WARN_FRACTION * state.configured_rate_hz:
        stat.summary(
            WARN, f"loop at {achieved:.1f} Hz of {state.configured_rate_hz:.0f} Hz configured"
        )
    elif float(stats.jitter_p99_ms) > JITTER_WARN_FRACTION * period_ms:
        stat.summary(WARN, f"period jitter p99 {float(stats.jitter_p99_ms):.2f} ms")
    else:
        stat.summary(OK, f"connected, {achieved:.1f} Hz")
    return stat


def core_task(state: DiagnosticsState, stat: StatusLike) -> StatusLike:
    """Report the Rust core: its version, backend, and whether its loop runs when it should."""
    running = state.loop_running
    stat.add(CoreKey.VERSION, state.core_version)
    stat.add(CoreKey.BACKEND, state.backend)
    stat.add(CoreKey.LOOP_RUNNING, "true" if running else "false")
    stat.add(CoreKey.LIFECYCLE_STATE, state.lifecycle_state)
    stat.add(CoreKey.LOOP_RESTARTS, str(state.loop_restarts))
    stat.add(CoreKey.LOOP_EXIT_REASON, state.loop_exit_reason or "none")
    if state.lifecycle_state == "active" and not running:
        reason = state.loop_exit_reason or "the loop thread ended"
        stat.summary(ERROR, f"control loop not running: {reason}")
    else:
        stat.summary(OK, f"reachy_mini_core_rs {state.core_version}")
    return stat


def command_task(state: DiagnosticsState, stat: StatusLike) -> StatusLike:
    """Report the command path: age of the last command and refused commands."""
    commands = state.commands
    age = None if commands.last_command_time is None else state.now - commands.last_command_time
    stat.add(CommandKey.ACCEPTED, str(commands.accepted))
    stat.add(CommandKey.REFUSED, str(commands.refused))
    stat.add(CommandKey.LAST_COMMAND_AGE_S, "never" if age is None else fmt(age, 3))
    stat.add(CommandKey.LAST_REFUSAL, commands.last_refusal or "none")
    stat.add(CommandKey.DEADLINE_S, f"{state.command_deadline_s:g}")
    message = "idle" if age is None or age > state.command_timeout else "receiving commands"
    if commands.refused:
        stat.summary(WARN, f"{message}; {commands.refused} refused, last: {commands.last_refusal}")
    else:
        stat.summary(OK, message)
    return stat
