"""The built-in diagnostics publisher sends what diagnostic_updater's Updater sends."""

from __future__ import annotations

import time
from typing import Any

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from support import RosClient, wait_for

from reachy_mini_ros.hardware import diagnostics
from reachy_mini_ros.hardware.updater import FallbackUpdater
from reachy_mini_ros.interface.status import HARDWARE_ID


def capture(client: RosClient, updater_factory: Any) -> list[Any]:
    """Run two tasks through an updater on a fresh node and return the arrays it published."""
    node = client.node.__class__("diagnostics_probe", context=client.context)
    received: list[Any] = []
    sub = client.node.create_subscription(DiagnosticArray, "/diagnostics", received.append, 50)
    try:
        wait_for(lambda: node.count_subscribers("/diagnostics") > 0, 10.0, "the subscriber")
        updater = updater_factory(node)
        updater.setHardwareID(HARDWARE_ID)
        updater.add("Command path", lambda stat: diagnostics.command_task(_state(), stat))
        updater.add("Rust core", lambda stat: diagnostics.core_task(_state(), stat))
        updater.force_update()
        wait_for(lambda: len(received) >= 3, 10.0, "three diagnostic arrays")
        time.sleep(0.2)
    finally:
        client.node.destroy_subscription(sub)
        node.destroy_node()
    return received


def _state() -> diagnostics.DiagnosticsState:
    commands = diagnostics.CommandStats()
    commands.refuse("unknown joint 'nose'", now=99.0)
    return diagnostics.DiagnosticsState(
        lifecycle_state="active",
        backend="sim",
        core_version="9.9.9",
        configured_rate_hz=200.0,
        commands=commands,
        now=100.0,
    )


def flatten(arrays: list[Any]) -> list[tuple[str, bytes, str, str, list[tuple[str, str]]]]:
    return [
        (s.name, s.level, s.message, s.hardware_id, [(kv.key, kv.value) for kv in s.values])
        for a in arrays
        for s in a.status
    ]


def test_builtin_publisher_sends_named_statuses_with_levels_ids_and_values(
    ros: RosClient,
) -> None:
    arrays = capture(ros, lambda node: FallbackUpdater(node, period=10.0))
    statuses = flatten(arrays)
    # Each added task is announced as starting up, then one update sends both.
    assert statuses[0][:3] == (
        "diagnostics_probe: Command path",
        diagnostics.OK,
        "Node starting up",
    )
    assert statuses[1][:3] == ("diagnostics_probe: Rust core", diagnostics.OK, "Node starting up")
    command, rust = statuses[2], statuses[3]
    assert command[0] == "diagnostics_probe: Command path"
    assert command[1] == diagnostics.WARN
    assert command[3] == "reachy_mini"
    assert ("refused", "1") in command[4]
    assert rust[0] == "diagnostics_probe: Rust core"
    assert ("version", "9.9.9") in rust[4]


def test_builtin_publisher_matches_diagnostic_updater(ros: RosClient) -> None:
    updater_module = pytest.importorskip(
        "diagnostic_updater", reason="diagnostic_updater is not installed (ROS install only)"
    )
    ours = flatten(capture(ros, lambda node: FallbackUpdater(node, period=10.0)))
    theirs = flatten(capture(ros, lambda node: updater_module.Updater(node, period=10.0)))
    assert ours[:4] == theirs[:4]
