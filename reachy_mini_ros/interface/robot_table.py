"""Load the robot table: the motors, their configuration, the head envelope and the kinematics.

``robot_table.json`` beside this module is the one place these numbers are written, as the
vendor's software (``reachy_mini`` 1.13.0) configures every robot. The Rust core reads the same
file at build time; the nodes, the bridge's schemas and the parameter defaults read it here.
An angle is ``2π·raw/4096 − π`` on the raw position, homing offset included.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

TABLE_FILE = "robot_table.json"


@dataclass(frozen=True)
class MotorEntry:
    """One motor of the table: names, id, model and the registers it is flashed with."""

    joint: str
    motor: str
    id: int
    model: str
    model_number: int
    homing_offset: int
    min_position: int
    max_position: int
    return_delay_time: int
    shutdown: int
    operating_mode: int
    position_p_gain: int
    position_i_gain: int
    position_d_gain: int
    lower: float
    upper: float


@dataclass(frozen=True)
class HeadEnvelope:
    """Documented limits of the head pose, in the base frame (angles in rad)."""

    max_roll: float
    max_pitch: float
    max_head_yaw: float
    max_relative_yaw: float
    max_body_yaw: float
    max_translation: float


@dataclass(frozen=True)
class RobotTable:
    """The whole table, parsed."""

    vendor_version: str
    baudrate: int
    ticks_per_turn: int
    motors: tuple[MotorEntry, ...]
    factory_defaults: dict[str, int]
    envelope: HeadEnvelope
    kinematics: dict[str, Any]
    poses: dict[str, Any]


def raw_to_rad(raw: float, ticks_per_turn: int = 4096) -> float:
    """Convert a raw position (homing offset included) to the vendor's joint angle."""
    return 2.0 * math.pi * raw / ticks_per_turn - math.pi


def rad_to_raw(rad: float, ticks_per_turn: int = 4096) -> int:
    """Convert a joint angle to the nearest raw position."""
    return round((rad + math.pi) * ticks_per_turn / (2.0 * math.pi))


def parse(data: dict[str, Any]) -> RobotTable:
    """Build the table from its JSON data, deriving the joint limits in rad."""
    ticks = int(data["ticks_per_turn"])
    env = data["head_envelope"]
    envelope = HeadEnvelope(
        max_roll=math.radians(env["max_roll_deg"]),
        max_pitch=math.radians(env["max_pitch_deg"]),
        max_head_yaw=math.radians(env["max_head_yaw_deg"]),
        max_relative_yaw=math.radians(env["max_relative_yaw_deg"]),
        max_body_yaw=math.radians(env["max_body_yaw_deg"]),
        max_translation=float(env["max_translation_m"]),
    )
    motors = []
    for m in data["motors"]:
        lower = raw_to_rad(m["min_position"], ticks)
        upper = raw_to_rad(m["max_position"], ticks)
        if m["joint"] == "yaw_body":
            lower, upper = max(lower, -envelope.max_body_yaw), min(upper, envelope.max_body_yaw)
        motors.append(MotorEntry(lower=lower, upper=upper, **m))
    return RobotTable(
        vendor_version=str(data["vendor_version"]),
        baudrate=int(data["baudrate"]),
        ticks_per_turn=ticks,
        motors=tuple(motors),
        factory_defaults=dict(data["xl330_factory_defaults"]),
        envelope=envelope,
        kinematics=data["kinematics"],
        poses=data["poses"],
    )


@cache
def load() -> RobotTable:
    """Return the installed robot table (read once)."""
    text = resources.files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8")
    return parse(json.loads(text))
