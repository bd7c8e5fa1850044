"""config/analyzers.yaml groups every status the running stack publishes on /diagnostics.

The names are those the running hardware node and bridge publish, not a list of this test's.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from integration_support import load_analyzers, needs_core
from support import RosClient, Stack, TopicRecorder, diagnostic_statuses, wait_for

from reachy_mini_ros.interface import status
from reachy_mini_ros.interface.joints import MOTOR_JOINT_NAMES

# Each node's diagnostic updater names its statuses "<node name>: <task>".
NODES = ("hardware_node", "bridge_node")


@pytest.fixture
def published(stack: Stack, ros: RosClient) -> dict[str, Any]:
    """Return the statuses seen on /diagnostics over three periods of the running stack."""
    recorder = TopicRecorder(ros, DiagnosticArray, "/diagnostics", depth=100)

    def both_nodes() -> bool:
        names = diagnostic_statuses(recorder)
        return all(any(n.startswith(f"{node}: ") for n in names) for node in NODES)

    wait_for(both_nodes, 30.0, "the hardware node's and the bridge's statuses on /diagnostics")
    time.sleep(3.0)  # three 1 Hz periods, for statuses that come and go
    return diagnostic_statuses(recorder)


def owners(name: str) -> list[str]:
    """Return the analyzers with a `startswith` prefix that the status name begins with."""
    return [
        key
        for key, analyzer in load_analyzers().items()
        if any(name.startswith(prefix) for prefix in analyzer["startswith"])
    ]


@needs_core
def test_every_status_the_running_stack_publishes_begins_with_one_groups_prefix(
    published: dict[str, Any],
) -> None:
    ungrouped = [name for name in published if not owners(name)]
    assert not ungrouped, f"statuses the aggregator would file under 'Other': {ungrouped}"
    twice = {name: owners(name) for name in published if len(owners(name)) > 1}
    assert not twice, f"statuses in more than one group: {twice}"


@needs_core
def test_analyzers_expect_only_statuses_the_running_stack_publishes(
    published: dict[str, Any],
) -> None:
    # An expected name that never comes would keep its group in error.
    expected = {n for a in load_analyzers().values() for n in a.get("expected", [])}
    assert expected, "the motors and the bus are expected by name"
    assert expected <= set(published), expected - set(published)


@needs_core
def test_the_status_names_the_bridge_reads_are_the_ones_the_stack_publishes(
    published: dict[str, Any],
) -> None:
    # The bridge finds the bus, the core and the motors on /diagnostics by these names.
    for name in (status.BUS_STATUS, status.RUST_CORE_STATUS, status.COMMAND_PATH_STATUS):
        assert name in published, name
    motors = {n for n in published if n.startswith(status.MOTOR_STATUS_PREFIX)}
    assert motors == {status.MOTOR_STATUS_PREFIX + name for name in MOTOR_JOINT_NAMES}
    assert any(n.startswith(status.BRIDGE_STATUS_PREFIX) for n in published)
