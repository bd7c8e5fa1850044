"""A control loop that dies under an active hardware node is reported and restarted."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import JointState
from std_srvs.srv import Trigger
from support import (
    Process,
    RosClient,
    TopicRecorder,
    call_service,
    diagnostic_statuses,
    start_process,
    status_values,
    wait_for,
)

FAULT_NODE = Path(__file__).with_name("fault_node.py")
ERROR = b"\x02"


@pytest.fixture
def node(tmp_path: Path, domain: int) -> Iterator[Process]:
    process = start_process(
        "hardware_node",
        [
            str(sys.executable),
            str(FAULT_NODE),
            "--ros-args",
            "-p",
            "diagnostic_updater.period:=0.25",
        ],
        tmp_path,
        {"ROS_DOMAIN_ID": str(domain)},
    )
    yield process
    process.stop()


def core_status(diag: TopicRecorder) -> Any:
    return diagnostic_statuses(diag).get("hardware_node: Rust core")


def test_panicked_loop_is_reported_then_restarted_and_publishes_again(
    node: Process, ros: RosClient
) -> None:
    joint_states = TopicRecorder(ros, JointState, "/joint_states", depth=200)
    diag = TopicRecorder(ros, DiagnosticArray, "/diagnostics")
    joint_states.wait(30.0, f"/joint_states\n{node.log()}")

    response = call_service(ros, Trigger, "/fault/loop_panic", Trigger.Request())
    assert response.success, response.message

    def core_in_error() -> Any:
        status = core_status(diag)
        return status if status is not None and status.level == ERROR else None

    failed = wait_for(core_in_error, 20.0, f"the Rust core status to go ERROR\n{node.log()}")
    assert "control loop not running: loop thread panicked" in failed.message
    assert "injected panic" in status_values(failed)["loop_exit_reason"]

    restarted = "restart 1 succeeded"
    wait_for(lambda: restarted in node.log(), 20.0, f"the restart log line\n{node.log()}")
    back = time.time()
    wait_for(lambda: len(joint_states.since(back)) > 20, 20.0, "/joint_states to flow again")

    def core_ok() -> Any:
        status = core_status(diag)
        values = status_values(status) if status is not None else {}
        return status is not None and status.level == b"\x00" and values["loop_restarts"] == "1"

    wait_for(core_ok, 20.0, "the Rust core status to be OK after the restart")
    log = node.log()
    assert log.count("control loop stopped (loop thread panicked") == 1, log
