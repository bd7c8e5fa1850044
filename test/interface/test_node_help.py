"""``--help`` on a node's entry point prints its usage and parameters and starts nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "node", "parameter"),
    [
        ("reachy_mini_ros.bridge.node", "bridge_node", "api_port"),
        ("reachy_mini_ros.hardware.node", "hardware_node", "control_rate_hz"),
    ],
)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_parameters_and_exits(
    module: str, node: str, parameter: str, flag: str
) -> None:
    # A node that started instead would run until the timeout, with no usage line.
    result = subprocess.run(
        [sys.executable, "-m", module, flag, "--ros-args", "-p", "api_port:=1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: ros2 run reachy_mini {node}")
    assert f"{parameter}:" in result.stdout
    assert f"\n{node}:\n" in result.stdout
    assert "Traceback" not in result.stderr


def test_ros_arguments_alone_are_not_taken_for_help() -> None:
    from reachy_mini_ros.interface.node_help import wants_help

    assert not wants_help(["node", "--ros-args", "-p", "help:=true", "--help"])
    assert wants_help(["node", "--help"])
    assert not wants_help(["node"])
