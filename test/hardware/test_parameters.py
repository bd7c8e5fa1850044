"""Parameter validation of the hardware node: bad values are refused by name."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from reachy_mini_ros.hardware.parameters import ParameterError, validate_config
from reachy_mini_ros.interface import robot_table
from reachy_mini_ros.interface.share import default_params_file

TABLE = robot_table.load()


def shipped_params() -> dict[str, Any]:
    """Return the hardware node's parameters: config/reachy_mini.yaml over the table's joints."""
    data = yaml.safe_load(default_params_file().read_text())
    params = {
        "joint_names": [m.joint for m in TABLE.motors],
        "motor_ids": [m.id for m in TABLE.motors],
        "joint_lower_limits": [m.lower for m in TABLE.motors],
        "joint_upper_limits": [m.upper for m in TABLE.motors],
    }
    params.update(data["hardware_node"]["ros__parameters"])
    params.pop("diagnostic_updater")
    return params


def test_parameter_file_leaves_the_joint_table_to_the_robot_table() -> None:
    data = yaml.safe_load(default_params_file().read_text())["hardware_node"]["ros__parameters"]
    for key in ("joint_names", "motor_ids", "joint_lower_limits", "joint_upper_limits"):
        assert key not in data, f"{key} would spell the joint table a second time"


def test_shipped_parameters_are_valid() -> None:
    config = validate_config(shipped_params())
    assert config.backend == "sim"
    assert config.control_rate_hz == 200.0
    assert config.motor_ids["yaw_body"] == 10
    # Raw 1138 .. 2594 in the vendor's convention (2π·raw/4096 − π).
    assert config.limits["stewart_4"] == pytest.approx((-1.39592, 0.83755), abs=1e-5)


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("backend", "usb", "backend"),
        ("baudrate", 12345, "baudrate"),
        ("control_rate_hz", 0.0, "control_rate_hz"),
        ("control_rate_hz", 5000.0, "control_rate_hz"),
        ("joint_states_rate_hz", 400.0, "joint_states_rate_hz"),
        ("command_timeout", -1.0, "command_timeout"),
        ("bus_watchdog_ms", 5, "bus_watchdog_ms"),
        ("motor_ids", [10, 11, 12, 13, 14, 15, 16, 17, 99], "motor_ids"),
        ("motor_ids", [10, 11], "motor_ids"),
        ("joint_names", ["yaw_body"], "joint_names"),
        ("serial_port", "", "serial_port"),
    ],
)
def test_invalid_parameter_is_refused_by_name(key: str, value: Any, named: str) -> None:
    params = shipped_params()
    params[key] = value
    if key == "serial_port":
        params["backend"] = "serial"
    with pytest.raises(ParameterError, match=named):
        validate_config(params)


def test_limits_wider_than_the_hardware_are_refused() -> None:
    params = shipped_params()
    upper = list(params["joint_upper_limits"])
    upper[1] = 2.0  # stewart_1 stops at raw 2958, 1.396 rad
    params["joint_upper_limits"] = upper
    with pytest.raises(ParameterError, match="joint_upper_limits"):
        validate_config(params)


def test_narrower_limits_are_kept() -> None:
    params = shipped_params()
    lower = list(params["joint_lower_limits"])
    lower[7] = -1.0
    params["joint_lower_limits"] = lower
    assert validate_config(params).limits["right_antenna"][0] == -1.0
