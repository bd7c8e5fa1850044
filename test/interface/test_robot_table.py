"""The robot table equals the vendor's configuration, and every consumer reads it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from vendor_support import VENDOR_VERSION, run_vendor

import reachy_mini_core_rs as core
from reachy_mini_ros.interface import joints, robot_table

ROOT = Path(__file__).resolve().parents[2]
TABLE = robot_table.load()

# Read the vendor's own configuration files from its installed package.
VENDOR_FILES = """
import json, sys, yaml
from importlib.resources import files
import reachy_mini
assets = files(reachy_mini).joinpath("assets")
hardware = yaml.safe_load(assets.joinpath("config/hardware_config.yaml").read_text())
kinematics = json.loads(assets.joinpath("kinematics_data.json").read_text())
print(json.dumps({"hardware": hardware, "kinematics": kinematics}))
"""


@pytest.fixture(scope="module")
def vendor_config() -> dict:
    return run_vendor(VENDOR_FILES)


def test_table_names_the_vendor_version_it_was_taken_from() -> None:
    assert TABLE.vendor_version == VENDOR_VERSION


def test_motor_configuration_equals_the_vendors(vendor_config: dict) -> None:
    hardware = vendor_config["hardware"]
    assert TABLE.baudrate == hardware["serial"]["baudrate"]
    vendor_motors = [next(iter(entry.items())) for entry in hardware["motors"]]
    assert [m.motor for m in TABLE.motors] == [name for name, _ in vendor_motors]
    for ours, (name, theirs) in zip(TABLE.motors, vendor_motors, strict=True):
        assert (ours.id, ours.homing_offset) == (theirs["id"], theirs["offset"]), name
        assert (ours.min_position, ours.max_position) == (
            theirs["lower_limit"],
            theirs["upper_limit"],
        ), name
        assert ours.return_delay_time == theirs["return_delay_time"], name
        assert ours.shutdown == theirs["shutdown_error"], name
        assert ours.operating_mode == theirs["operating_mode"], name
        # The vendor lists the gains as P, I, D.
        gains = [ours.position_p_gain, ours.position_i_gain, ours.position_d_gain]
        assert gains == theirs["pid"], name


def test_kinematics_geometry_equals_the_vendors(vendor_config: dict) -> None:
    theirs = vendor_config["kinematics"]
    ours = TABLE.kinematics
    for key in ("motor_arm_length", "rod_length", "head_z_offset"):
        assert ours[key] == theirs[key], key
    for branch, motor in zip(ours["branches"], theirs["motors"], strict=True):
        assert branch["motor"] == motor["name"]
        assert branch["T_motor_world"] == motor["T_motor_world"]
        assert branch["branch_position"] == motor["branch_position"]
        assert branch["solution"] == (1 if motor["solution"] else -1)


def test_joint_limits_follow_the_vendor_convention_on_the_raw_limits() -> None:
    for m in TABLE.motors:
        lower = 2 * math.pi * m.min_position / 4096 - math.pi
        upper = 2 * math.pi * m.max_position / 4096 - math.pi
        if m.joint == "yaw_body":  # the body turns ±160° at most
            lower, upper = -math.radians(160), math.radians(160)
        assert (m.lower, m.upper) == pytest.approx((lower, upper), abs=1e-12), m.joint
    # hardware.md: stewart_1 −0.838 … 1.396 rad.
    assert (TABLE.motors[1].lower, TABLE.motors[1].upper) == pytest.approx(
        (-0.838, 1.396), abs=1e-3
    )


def test_rust_core_was_built_from_the_same_table() -> None:
    assert list(core.JOINT_NAMES) == [m.joint for m in TABLE.motors]
    assert list(core.MOTOR_IDS) == [m.id for m in TABLE.motors]
    assert [tuple(limits) for limits in core.JOINT_LIMITS] == [
        (m.lower, m.upper) for m in TABLE.motors
    ]


def test_python_joint_table_is_the_robot_table() -> None:
    assert [(j.name, j.motor_id, j.lower, j.upper) for j in joints.MOTOR_JOINTS] == [
        (m.joint, m.id, m.lower, m.upper) for m in TABLE.motors
    ]
    assert pytest.approx(math.radians(65)) == joints.HEAD_YAW_TO_BODY_LIMIT


def test_bridge_command_schema_states_the_table_limits() -> None:
    schema = json.loads((ROOT / "web" / "openapi.json").read_text())
    goals = schema["components"]["schemas"]["JointCommand"]["properties"]["goals"]
    for m in TABLE.motors:
        prop = goals["properties"][m.joint]
        assert (prop["minimum"], prop["maximum"]) == (m.lower, m.upper), m.joint


def test_installed_package_ships_the_table() -> None:
    setup = (ROOT / "setup.py").read_text()
    assert "interface/robot_table.json" in setup
