"""Give the robot's state in the shapes of the app SDK's protocol.

The SDK reads the joints as ``[body_yaw, stewart_1 … stewart_6]`` and ``[right, left]``, the
head pose as a 4×4 matrix of the head in the base frame (metres), and the daemon's status as
one object (``daemon_status``). Everything here is read from what the bridge received on DDS
(``/joint_states``, with the head pose as its six virtual joints, and ``/diagnostics``); the
WebSocket `/ws/sdk` and the REST routes of the SDK share these functions.

A joint without a reading, or a head pose that the hardware node could not compute, raises
StateUnavailableError: the SDK's shapes have no place for a missing number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from functools import cache
from typing import Any

from reachy_mini_ros.bridge.runtime import Bridge
from reachy_mini_ros.bridge.state import DiagnosticStatus, JointSample
from reachy_mini_ros.interface import robot_table
from reachy_mini_ros.interface.joints import HEAD_POSE_JOINT_NAMES, STEWART_JOINT_NAMES
from reachy_mini_ros.interface.status import (
    BUS_STATUS,
    MOTOR_STATUS_PREFIX,
    PACKAGE_VERSION,
    RUST_CORE_STATUS,
    BusKey,
    CoreKey,
    MotorKey,
)

# The SDK's joint order on the wire.
HEAD_JOINTS: tuple[str, ...] = ("yaw_body", *STEWART_JOINT_NAMES)
ANTENNA_JOINTS: tuple[str, ...] = ("right_antenna", "left_antenna")
# The robot's name as the SDK expects it by default (it checks it only for another name).
ROBOT_NAME = "reachy_mini"
# The bus status's backend value of the simulated motors.
SIM_BACKEND = "sim"
MOTOR_NAMES: dict[str, str] = {m.motor: m.joint for m in robot_table.load().motors}
# The daemon states of the SDK's protocol that the bridge reports.
RUNNING, STARTING, STOPPED, ERROR_STATE = "running", "starting", "stopped", "error"
ACTIVE = "active"
REP107_ERROR = 2


class StateUnavailableError(RuntimeError):
    """The robot's state needed for an SDK shape has not arrived (or has a gap)."""


@cache
def _indices(names: tuple[str, ...], wanted: tuple[str, ...]) -> tuple[int, ...] | None:
    """Return the index in names of each wanted joint, or None if one is missing."""
    where = {name: i for i, name in enumerate(names)}
    try:
        return tuple(where[name] for name in wanted)
    except KeyError:
        return None


def _pick(sample: JointSample, wanted: tuple[str, ...], what: str) -> list[float]:
    indices = _indices(sample.name, wanted)
    if indices is None:
        missing = [name for name in wanted if name not in sample.name]
        raise StateUnavailableError(f"{what}: no reading of {', '.join(missing)}")
    values = [sample.position[i] for i in indices]
    if any(v is None for v in values):
        raise StateUnavailableError(f"{what}: a joint has no finite reading")
    return values  # type: ignore[return-value]


def _sample(bridge: Bridge) -> JointSample:
    sample = bridge.state.joints
    if sample is None:
        raise StateUnavailableError("no joint state has arrived from the hardware node")
    return sample


def sample_head_joint_positions(sample: JointSample) -> list[float]:
    """Return [body_yaw, stewart_1 … stewart_6] (rad) of one joint state."""
    return _pick(sample, HEAD_JOINTS, "head joints")


def sample_antenna_positions(sample: JointSample) -> list[float]:
    """Return [right, left] (rad) of one joint state."""
    return _pick(sample, ANTENNA_JOINTS, "antennas")


def pose_matrix(
    x: float, y: float, z: float, roll: float, pitch: float, yaw: float
) -> list[list[float]]:
    """Return the 4×4 transform of a pose, R = Rz(yaw)·Ry(pitch)·Rx(roll)."""
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    return [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, x],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, y],
        [-sp, cp * sr, cp * cr, z],
        [0.0, 0.0, 0.0, 1.0],
    ]


def matrix_pose(matrix: Sequence[float]) -> dict[str, float]:
    """Return {x, y, z, roll, pitch, yaw} of a row-major 4×4 transform (16 numbers).

    Raises ValueError unless the matrix is a rigid transform: finite, a rotation block that is
    orthonormal with determinant +1 (within 1e-3) and a last row of [0, 0, 0, 1].
    """
    if len(matrix) != 16:
        raise ValueError(f"a head pose is 16 numbers (a 4×4 matrix), not {len(matrix)}")
    m = [float(v) for v in matrix]
    if not all(math.isfinite(v) for v in m):
        raise ValueError("the head pose has a number that is not finite")
    if max(abs(a - b) for a, b in zip(m[12:], (0.0, 0.0, 0.0, 1.0), strict=True)) > 1e-6:
        raise ValueError("the head pose's last row is not [0, 0, 0, 1]")
    rows = [m[0:3], m[4:7], m[8:11]]
    for i in range(3):
        for j in range(3):
            dot = sum(rows[i][k] * rows[j][k] for k in range(3))
            if abs(dot - (1.0 if i == j else 0.0)) > 1e-3:
                raise ValueError("the head pose's rotation is not orthonormal")
    r = rows
    det = (
        r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
        - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
        + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0])
    )
    if det < 0:
        raise ValueError("the head pose's rotation is a reflection")
    pitch = math.asin(max(-1.0, min(1.0, -r[2][0])))
    roll = math.atan2(r[2][1], r[2][2])
    yaw = math.atan2(r[1][0], r[0][0])
    return {"x": m[3], "y": m[7], "z": m[11], "roll": roll, "pitch": pitch, "yaw": yaw}


def sample_head_pose_matrix(sample: JointSample) -> list[list[float]]:
    """Return the head pose of one joint state as a 4×4 matrix (base frame, metres)."""
    x, y, z, roll, pitch, yaw = _pick(sample, HEAD_POSE_JOINT_NAMES, "head pose")
    return pose_matrix(x, y, z, roll, pitch, yaw)


def head_joint_positions(bridge: Bridge) -> list[float]:
    """Return the latest [body_yaw, stewart_1 … stewart_6] (rad)."""
    return sample_head_joint_positions(_sample(bridge))


def antenna_positions(bridge: Bridge) -> list[float]:
    """Return the latest antenna positions [right, left] (rad)."""
    return sample_antenna_positions(_sample(bridge))


def head_pose_matrix(bridge: Bridge) -> list[list[float]]:
    """Return the latest head pose, a 4×4 matrix of the head in the base frame."""
    return sample_head_pose_matrix(_sample(bridge))


def _fresh(bridge: Bridge, name: str) -> DiagnosticStatus | None:
    status = bridge.state.diagnostics.statuses.get(name)
    if status is None or time.time() - status.received > bridge.config.stale_after_s:
        return None
    return status


def motor_control_mode(bridge: Bridge) -> str:
    """Return "enabled" when every motor reports torque on in /diagnostics, else "disabled".

    A motor whose status is missing or stale counts as off: the mode says what holds the head.
    """
    for joint in MOTOR_NAMES.values():
        status = _fresh(bridge, f"{MOTOR_STATUS_PREFIX}{joint}")
        if status is None or status.values.get(MotorKey.TORQUE) != "on":
            return "disabled"
    return "enabled"


def _number(values: dict[str, str], key: str) -> float | None:
    try:
        number = float(values[key])
    except (KeyError, ValueError):
        return None
    return number if math.isfinite(number) else None


def control_loop_stats(bus: DiagnosticStatus | None) -> dict[str, Any]:
    """Return the loop's statistics from the bus status (empty without one)."""
    if bus is None:
        return {}
    values = bus.values
    stats: dict[str, Any] = {}
    achieved = _number(values, BusKey.ACHIEVED_RATE_HZ)
    if achieved is not None:
        stats["mean_control_loop_frequency"] = achieved
    errors = [_number(values, key) for key in values if key.startswith(BusKey.ERRORS_PREFIX)]
    stats["nb_error"] = int(sum(e for e in errors if e is not None))
    for key in (
        BusKey.CONFIGURED_RATE_HZ,
        BusKey.ACHIEVED_RATE_HZ,
        BusKey.JITTER_P50_MS,
        BusKey.JITTER_P99_MS,
        BusKey.JITTER_MAX_MS,
        BusKey.READ_MS_P50,
        BusKey.WRITE_MS_P50,
    ):
        number = _number(values, key)
        if number is not None:
            stats[key] = number
    for key in (BusKey.CYCLES, BusKey.RECONNECTS):
        number = _number(values, key)
        if number is not None:
            stats[key] = int(number)
    if BusKey.STATE in values:
        stats[BusKey.STATE] = values[BusKey.STATE]
    return stats


def daemon_status(bridge: Bridge) -> dict[str, Any]:
    """Return the SDK's DaemonStatus object, filled from what the hardware node reports.

    `state` is running while the Rust core's status is fresh and says the loop runs in an
    active node, error when that status is an error or stale after having been seen, stopped
    when the node is not active, and starting before the first status.
    """
    core = bridge.state.diagnostics.statuses.get(RUST_CORE_STATUS)
    fresh_core = _fresh(bridge, RUST_CORE_STATUS)
    bus = _fresh(bridge, BUS_STATUS)
    error: str | None = None
    if core is None:
        state = STARTING
    elif fresh_core is None:
        state = ERROR_STATE
        error = f"no status from the hardware node for over {bridge.config.stale_after_s:g} s"
    elif fresh_core.level >= REP107_ERROR:
        state = ERROR_STATE
        error = fresh_core.message or "the hardware node reports an error"
    elif fresh_core.values.get(CoreKey.LIFECYCLE_STATE, ACTIVE) != ACTIVE:
        state = STOPPED
    else:
        state = RUNNING if fresh_core.values.get(CoreKey.LOOP_RUNNING) == "true" else STOPPED
    age = bridge.state.joint_state_age()
    sample = bridge.state.joints
    ready = state == RUNNING and age is not None and age < bridge.config.stale_after_s
    backend = (bus.values.get(BusKey.BACKEND) if bus else None) or (
        fresh_core.values.get(CoreKey.BACKEND) if fresh_core else None
    )
    return {
        "type": "daemon_status",
        "robot_name": ROBOT_NAME,
        "state": state,
        "wireless_version": False,
        "desktop_app_daemon": False,
        "simulation_enabled": (backend == SIM_BACKEND) if backend else None,
        "mockup_sim_enabled": False,
        "no_media": True,
        "media_released": False,
        "camera_specs_name": "",
        "backend_status": {
            "ready": ready,
            "motor_control_mode": motor_control_mode(bridge),
            # The loop's read time of the latest joint state (the robot's UNIX time).
            "last_alive": sample.stamp if sample is not None else None,
            "control_loop_stats": control_loop_stats(bus),
            "error": error,
        },
        "error": error,
        "wlan_ip": None,
        "version": PACKAGE_VERSION,
        "hardware_id": None,
        "face_target": {"detected": False, "x": None, "y": None, "roll": None, "ts": None},
    }
