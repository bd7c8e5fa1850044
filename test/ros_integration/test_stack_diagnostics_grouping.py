"""config/analyzers.yaml groups every status the running stack publishes on /diagnostics."""

from __future__ import annotations

import time
from typing import Any

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from integration_support import HARDWARE_STATUSES, groups_of, load_analyzers, needs_core
from support import RosClient, Stack, TopicRecorder, diagnostic_statuses, wait_for


@pytest.fixture
def published(stack: Stack, ros: RosClient) -> dict[str, Any]:
    """Return the statuses seen on /diagnostics over three periods of the running stack."""
    recorder = TopicRecorder(ros, DiagnosticArray, "/diagnostics", depth=100)
    wait_for(
        lambda: (
            set(diagnostic_statuses(recorder)) >= HARDWARE_STATUSES
            and any(n.startswith("bridge_node: ") for n in diagnostic_statuses(recorder))
        ),
        30.0,
        "the hardware node's and the bridge's statuses on /diagnostics",
    )
    time.sleep(3.0)  # three 1 Hz periods, for statuses that come and go
    return diagnostic_statuses(recorder)


@needs_core
def test_analyzers_group_every_status_the_running_stack_publishes(
    published: dict[str, Any],
) -> None:
    ungrouped = [name for name in published if not groups_of(name)]
    assert not ungrouped, f"statuses the aggregator would file under 'Other': {ungrouped}"
    twice = {name: groups_of(name) for name in published if len(groups_of(name)) > 1}
    assert not twice, f"statuses in more than one group: {twice}"


@needs_core
def test_analyzers_expect_only_statuses_the_running_stack_publishes(
    published: dict[str, Any],
) -> None:
    # An expected name that never comes would keep its group in error.
    expected = {n for a in load_analyzers().values() for n in a.get("expected", [])}
    assert expected, "the motors and the bus are expected by name"
    assert expected <= set(published)
