"""Parameter validation of the hardware node: bad values are refused by name."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from reachy_mini_ros.bringup import default_params_file
from reachy_mini_ros.hardware_node import ParameterError, validate_config


def shipped_params() -> dict[str, Any]:
    """Return the hardware node's parameters from config/reachy_mini.yaml."""
    data = yaml.safe_load(default_params_file().read_text())
    params = dict(data["hardware_node"]["ros__parameters"])
    params.pop("diagnostic_updater")
    return params


def test_shipped_parameters_are_valid() -> None:
    config = validate_config(shipped_params())
    assert config.backend == "sim"
    assert config.control_rate_hz == 200.0
    assert config.motor_ids["yaw_body"] == 10
    assert config.limits["stewart_4"] == (-1.396, 0.838)


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
    upper[1] = 2.0  # stewart_1 stops at 1.396 rad
    params["joint_upper_limits"] = upper
    with pytest.raises(ParameterError, match="joint_upper_limits"):
        validate_config(params)


def test_narrower_limits_are_kept() -> None:
    params = shipped_params()
    lower = list(params["joint_lower_limits"])
    lower[7] = -1.0
    params["joint_lower_limits"] = lower
    assert validate_config(params).limits["right_antenna"][0] == -1.0
