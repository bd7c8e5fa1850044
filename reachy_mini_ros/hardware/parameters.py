"""Declare, read and validate the hardware node's parameters.

The values are checked into a :class:`HardwareConfig` at configure, and again whenever one is
set: a value the node cannot run with is refused with a :class:`ParameterError` that names the
parameter. ``LIVE`` parameters are applied at once; ``AT_CONFIGURE`` ones are refused unless
the node is unconfigured; ``AT_START`` ones are refused after start (``change_refusal``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node

from reachy_mini_ros.hardware import motor_setup
from reachy_mini_ros.interface import command_results, moves
from reachy_mini_ros.interface.joints import JOINTS_BY_NAME, MOTOR_JOINTS

# The parameters that configure validates (autostart is read once, by main).
VALIDATED = (
    "backend",
    "serial_port",
    "baudrate",
    "control_rate_hz",
    "joint_states_rate_hz",
    "torque_off_on_deactivate",
    "command_timeout",
    "command_deadline_s",
    "bus_watchdog_ms",
    "motor_setup",
    "sim_factory_fresh",
    "joint_names",
    "motor_ids",
    "joint_lower_limits",
    "joint_upper_limits",
    "automatic_body_yaw",
    "max_velocity",
    "max_acceleration",
)


# Taken at once, in any state: a running node applies them to what it runs.
LIVE = (
    "joint_states_rate_hz",
    "torque_off_on_deactivate",
    "command_timeout",
    "command_deadline_s",
    "automatic_body_yaw",
)
# The bus, the loop and the limits are built at configure from these: they change only while
# the node is unconfigured (cleanup, set, configure).
AT_CONFIGURE = tuple(name for name in VALIDATED if name not in LIVE)
# Read once, when the node starts.
AT_START = ("autostart",)


def change_refusal(name: str, state: str) -> str | None:
    """Return why parameter name cannot change in lifecycle state, or None when it can."""
    if name in AT_START:
        return f"{name} is read once, when the node starts: set it on the command line"
    if name in AT_CONFIGURE and state != "unconfigured":
        return (
            f"{name} can only change while the node is unconfigured (it is {state}): "
            "cleanup, set it, then configure"
        )
    return None


@dataclass(frozen=True)
class HardwareConfig:
    """Validated parameters of the node."""

    backend: str
    serial_port: str
    baudrate: int
    control_rate_hz: float
    joint_states_rate_hz: float
    torque_off_on_deactivate: bool
    command_timeout: float
    bus_watchdog_ms: int
    limits: dict[str, tuple[float, float]]
    motor_ids: dict[str, int]
    automatic_body_yaw: bool = False
    motor_setup: str = "flash"
    sim_factory_fresh: bool = False
    command_deadline_s: float = command_results.DEFAULT_DEADLINE_S
    max_velocity: float = moves.DEFAULT_MAX_VELOCITY
    max_acceleration: float = moves.DEFAULT_MAX_ACCELERATION


class ParameterError(ValueError):
    """A parameter value that the node cannot run with; the message names the parameter."""


def validate_config(params: dict[str, Any]) -> HardwareConfig:
    """Check parameter values and return the config; raise ParameterError naming the bad one."""
    backend = params["backend"]
    if backend not in ("sim", "serial"):
        raise ParameterError(f"backend must be 'sim' or 'serial', got '{backend}'")
    baudrate = int(params["baudrate"])
    if baudrate not in (57_600, 115_200, 1_000_000, 2_000_000, 3_000_000, 4_000_000):
        raise ParameterError(f"baudrate {baudrate} is not a Dynamixel baud rate")
    rate = float(params["control_rate_hz"])
    if not 1.0 <= rate <= 1000.0:
        raise ParameterError(f"control_rate_hz must be within [1, 1000], got {rate}")
    js_rate = float(params["joint_states_rate_hz"])
    if not 0.0 < js_rate <= rate:
        raise ParameterError(
            f"joint_states_rate_hz must be within (0, control_rate_hz={rate}], got {js_rate}"
        )
    timeout = float(params["command_timeout"])
    if not timeout > 0.0:
        raise ParameterError(f"command_timeout must be positive, got {timeout}")
    deadline = float(params.get("command_deadline_s", command_results.DEFAULT_DEADLINE_S))
    if not (math.isfinite(deadline) and deadline > 0.0):
        raise ParameterError(f"command_deadline_s must be positive, got {deadline}")
    watchdog = int(params["bus_watchdog_ms"])
    if watchdog and not 20 <= watchdog <= 2540:
        raise ParameterError(f"bus_watchdog_ms must be 0 or within [20, 2540], got {watchdog}")
    names = list(params["joint_names"])
    ids = list(params["motor_ids"])
    lower = list(params["joint_lower_limits"])
    upper = list(params["joint_upper_limits"])
    if sorted(names) != sorted(JOINTS_BY_NAME):
        raise ParameterError(f"joint_names must list the nine joints {sorted(JOINTS_BY_NAME)}")
    for key, values in (("motor_ids", ids), ("joint_lower_limits", lower)):
        if len(values) != len(names):
            raise ParameterError(f"{key} must have one value per joint ({len(names)})")
    if len(upper) != len(names):
        raise ParameterError(f"joint_upper_limits must have one value per joint ({len(names)})")
    limits: dict[str, tuple[float, float]] = {}
    motor_ids: dict[str, int] = {}
    for name, motor_id, lo, hi in zip(names, ids, lower, upper, strict=True):
        joint = JOINTS_BY_NAME[name]
        if int(motor_id) != joint.motor_id:
            raise ParameterError(
                f"motor_ids: joint '{name}' is motor {joint.motor_id}, not {motor_id}"
            )
        # 1e-5 rad of slack: the YAML file writes π as 3.14159.
        if not (joint.lower - 1e-5 <= lo < hi <= joint.upper + 1e-5):
            raise ParameterError(
                f"joint_lower_limits/joint_upper_limits: [{lo}, {hi}] for '{name}' must be "
                f"an interval inside [{joint.lower}, {joint.upper}]"
            )
        limits[name] = (max(lo, joint.lower), min(hi, joint.upper))
        motor_ids[name] = int(motor_id)
    shaping: dict[str, float] = {}
    for key, default, most in (
        ("max_velocity", moves.DEFAULT_MAX_VELOCITY, 20.0),
        ("max_acceleration", moves.DEFAULT_MAX_ACCELERATION, 1000.0),
    ):
        value = float(params.get(key, default))
        if not (math.isfinite(value) and 0.0 < value <= most):
            raise ParameterError(f"{key} must be within (0, {most:g}], got {value}")
        shaping[key] = value
    setup = str(params.get("motor_setup", "flash"))
    if setup not in motor_setup.MODES:
        raise ParameterError(
            f"motor_setup must be one of {', '.join(motor_setup.MODES)}, got '{setup}'"
        )
    port = str(params["serial_port"])
    if backend == "serial" and not port:
        raise ParameterError("serial_port must be a device path or 'auto'")
    return HardwareConfig(
        backend=backend,
        serial_port=port,
        baudrate=baudrate,
        control_rate_hz=rate,
        joint_states_rate_hz=js_rate,
        torque_off_on_deactivate=bool(params["torque_off_on_deactivate"]),
        command_timeout=timeout,
        bus_watchdog_ms=watchdog,
        limits=limits,
        motor_ids=motor_ids,
        automatic_body_yaw=bool(params.get("automatic_body_yaw", False)),
        motor_setup=setup,
        sim_factory_fresh=bool(params.get("sim_factory_fresh", False)),
        command_deadline_s=deadline,
        max_velocity=shaping["max_velocity"],
        max_acceleration=shaping["max_acceleration"],
    )


def declare_parameters(node: Node) -> None:
    """Declare every parameter of the hardware node, with its default and description."""

    def declare(name: str, default: Any, description: str) -> None:
        if name in LIVE:
            when = "Applied at once, in any state."
        elif name in AT_START:
            when = "Read once, at start."
        else:
            when = "Changes only while unconfigured; taken at configure."
        node.declare_parameter(
            name, default, ParameterDescriptor(description=f"{description} {when}")
        )

    declare("backend", "sim", "Motor bus: 'sim' (simulated motors) or 'serial'.")
    declare("serial_port", "auto", "Serial device, or 'auto' to find it by USB VID:PID.")
    declare("baudrate", 1_000_000, "Bus speed in baud.")
    declare("control_rate_hz", 200.0, "Control loop rate.")
    declare("joint_states_rate_hz", 200.0, "/joint_states rate, at most control_rate_hz.")
    declare("autostart", True, "Bring the node to active by itself after start.")
    declare("torque_off_on_deactivate", False, "Disable torque on deactivate.")
    declare("command_timeout", 1.0, "Seconds after which the command path is idle.")
    declare(
        "command_deadline_s",
        command_results.DEFAULT_DEADLINE_S,
        "Seconds after its header stamp after which a command is dropped as expired; a zero "
        "stamp means no deadline.",
    )
    declare("bus_watchdog_ms", 0, "Motor bus watchdog in ms; 0 disables it.")
    declare(
        "motor_setup",
        "flash",
        "At configure, compare the motors' configuration with the robot table: 'flash' "
        "writes what differs, 'check' refuses to configure, 'skip' does not look.",
    )
    declare(
        "sim_factory_fresh",
        False,
        "backend 'sim' only: start the simulated motors with factory settings.",
    )
    declare("joint_names", [j.name for j in MOTOR_JOINTS], "URDF joint names.")
    declare("motor_ids", [j.motor_id for j in MOTOR_JOINTS], "Dynamixel id of each joint.")
    declare("joint_lower_limits", [j.lower for j in MOTOR_JOINTS], "Lower limits, rad.")
    declare("joint_upper_limits", [j.upper for j in MOTOR_JOINTS], "Upper limits, rad.")
    declare(
        "automatic_body_yaw",
        False,
        "Turn the body with a head pose command to keep the head within 65° of it (the "
        "vendor's automatic body yaw).",
    )
    declare(
        "max_velocity",
        moves.DEFAULT_MAX_VELOCITY,
        "Velocity limit of every joint, rad/s: streamed targets are shaped under it and moves "
        "faster than it are refused.",
    )
    declare(
        "max_acceleration",
        moves.DEFAULT_MAX_ACCELERATION,
        "Acceleration limit of every joint for streamed targets, rad/s².",
    )


def read_parameters(node: Node) -> dict[str, Any]:
    """Return the current values of the parameters that configure validates."""
    return {name: node.get_parameter(name).value for name in VALIDATED}
