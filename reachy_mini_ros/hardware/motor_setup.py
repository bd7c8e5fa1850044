"""Turn the core's motor setup report into the hardware node's decision, log line and event.

At configure the node compares every motor's configuration registers (return delay, operating
mode, position limits, homing offset, shutdown, position gains) with the robot table, as the
vendor's daemon does at start. The ``motor_setup`` parameter says what to do with a difference:
``flash`` writes it (torque off) and reads it back, ``check`` refuses to configure, ``skip``
does not look. A motor left with another configuration reports joint angles that are off by
its homing offset (±1024 ticks, ±90° on the Stewart motors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MODES = ("check", "flash", "skip")
FLASH_COMMAND = "ros2 param set /hardware_node motor_setup flash"


@dataclass(frozen=True)
class SetupOutcome:
    """What the node does after the setup: go on or refuse, and what it says about it."""

    ok: bool
    level: str  # "info", "warning" or "error": the log level of the message
    message: str
    # One line for the diagnostics' "motor_setup" value.
    summary: str
    # Details of a flash for the audit log; empty when nothing was written.
    event: dict[str, str] = field(default_factory=dict)


def describe(entry: dict[str, Any]) -> str:
    """Return one difference as text: the motor, the register, the value found and expected."""
    return (
        f"motor {entry['motor']} (id {entry['id']}) {entry['register']} "
        f"(address {entry['address']}): found {entry['found']}, expected {entry['expected']}"
    )


def _event(report: dict[str, Any]) -> dict[str, str]:
    written = list(report["written"])
    values = {
        "mode": str(report["mode"]),
        "written": str(len(written)),
        "failed": str(len(report["failed"])),
        "motors": ",".join(sorted({str(e["motor"]) for e in written})),
    }
    for entry in written:
        key = f"{entry['motor']}.{entry['register']}"
        values[key] = f"{entry['found']} -> {entry['expected']}"
    return values


def outcome(report: dict[str, Any]) -> SetupOutcome:
    """Decide from a ``ControlLoop.setup_motors`` report whether configure may go on."""
    mode = str(report["mode"])
    differences = list(report["differences"])
    if mode == "skip":
        return SetupOutcome(
            ok=True,
            level="warning",
            message="motor setup skipped: the motors' configuration was not compared with the "
            "robot table",
            summary="skipped",
        )
    if mode == "check":
        if not differences:
            return SetupOutcome(True, "info", "motor setup: configuration matches", "matches")
        listed = "; ".join(describe(d) for d in differences)
        return SetupOutcome(
            ok=False,
            level="error",
            message=f"configure refused: {len(differences)} motor registers differ from the "
            f"robot table: {listed}. To write them: `{FLASH_COMMAND}`, then configure again",
            summary=f"{len(differences)} registers differ",
        )
    written, failed = list(report["written"]), list(report["failed"])
    if failed:
        listed = "; ".join(f"{describe(f)} ({f['reason']})" for f in failed)
        return SetupOutcome(
            ok=False,
            level="error",
            message=f"configure refused: motor flash did not take: {listed}",
            summary=f"flash failed on {len(failed)} registers",
            event=_event(report) if written else {},
        )
    if not written:
        return SetupOutcome(True, "info", "motor setup: configuration matches", "matches")
    motors = sorted({str(e["motor"]) for e in written})
    return SetupOutcome(
        ok=True,
        level="warning",
        message=f"motor setup: flashed {len(written)} registers on {len(motors)} motors "
        f"({', '.join(motors)}): " + "; ".join(describe(e) for e in written),
        summary=f"flashed {len(written)} registers on {len(motors)} motors",
        event=_event(report),
    )
