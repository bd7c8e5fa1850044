"""Lifecycle transitions of the hardware node, driven over its ROS services."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool
from support import (
    BIN,
    Process,
    RosClient,
    TopicRecorder,
    call_service,
    diagnostic_statuses,
    stamp_of,
    start_process,
    status_values,
    wait_for,
)

from reachy_mini_ros.hardware.serial_ports import find_reachy_mini_port
from reachy_mini_ros.interface import command_results


def start_node(tmp_path: Path, domain: int, *params: str) -> Process:
    args = [str(BIN / "hardware_node"), "--ros-args", "-p", "autostart:=false"]
    for param in params:
        args += ["-p", param]
    return start_process("hardware_node", args, tmp_path, {"ROS_DOMAIN_ID": str(domain)})


def transition(ros: RosClient, transition_id: int) -> bool:
    request = ChangeState.Request()
    request.transition.id = transition_id
    return bool(call_service(ros, ChangeState, "/hardware_node/change_state", request).success)


def state_label(ros: RosClient) -> str:
    return str(
        call_service(
            ros, GetState, "/hardware_node/get_state", GetState.Request()
        ).current_state.label
    )


@pytest.fixture
def node(tmp_path: Path, domain: int) -> Iterator[Process]:
    process = start_node(
        tmp_path, domain, "torque_off_on_deactivate:=true", "diagnostic_updater.period:=0.25"
    )
    yield process
    process.stop()


def test_lifecycle_configure_activate_deactivate_cleanup(node: Process, ros: RosClient) -> None:
    joint_states = TopicRecorder(ros, JointState, "/joint_states", depth=200)
    diag = TopicRecorder(ros, DiagnosticArray, "/diagnostics")
    assert state_label(ros) == "unconfigured"
    time.sleep(0.5)
    assert joint_states.count() == 0, "nothing is published before activation"

    assert transition(ros, Transition.TRANSITION_CONFIGURE)
    assert state_label(ros) == "inactive"
    assert transition(ros, Transition.TRANSITION_ACTIVATE)
    joint_states.wait(15.0, "/joint_states after activate")

    def torque(expected: str) -> bool:
        statuses = diagnostic_statuses(diag)
        motor = statuses.get("hardware_node: Motor yaw_body")
        return motor is not None and status_values(motor)["torque"] == expected

    wait_for(lambda: torque("on"), 15.0, "torque on once active")
    assert transition(ros, Transition.TRANSITION_DEACTIVATE)
    stopped = time.time()
    # Messages published before the deactivation may still be on their way: DDS delivery and
    # this process's executor can lag by hundreds of ms on a loaded 2-core machine. A stamp
    # is the time its reading was taken, so no message may carry one later than the
    # deactivation whenever it arrives; after 1 s of such lag nothing may arrive at all.
    time.sleep(1.0)
    quiet_from = time.time()
    time.sleep(1.0)
    late = [m for m in joint_states.since(stopped) if stamp_of(m) > stopped]
    assert late == [], "no reading is taken or published after deactivate"
    assert joint_states.since(quiet_from) == [], "publishing stops on deactivate"

    assert transition(ros, Transition.TRANSITION_CLEANUP)
    assert state_label(ros) == "unconfigured"
    # Configurable again after cleanup: the port was released.
    assert transition(ros, Transition.TRANSITION_CONFIGURE)
    assert transition(ros, Transition.TRANSITION_ACTIVATE)
    again = time.time()
    wait_for(lambda: joint_states.since(again), 15.0, "/joint_states after re-activation")


@pytest.mark.parametrize("from_state", ["unconfigured", "active"])
def test_the_shutdown_transition_ends_the_process_with_status_0(
    node: Process, ros: RosClient, from_state: str
) -> None:
    if from_state == "active":
        assert transition(ros, Transition.TRANSITION_CONFIGURE)
        assert transition(ros, Transition.TRANSITION_ACTIVATE)
        shutdown = Transition.TRANSITION_ACTIVE_SHUTDOWN
    else:
        shutdown = Transition.TRANSITION_UNCONFIGURED_SHUTDOWN
    assert transition(ros, shutdown)  # the reply comes before the process goes
    wait_for(lambda: not node.alive(), 5.0, "the finalized node's process to exit")
    assert node.popen.returncode == 0
    assert "finalized: the process exits" in node.log()


# Starts the command in argv, prints its pid, then waits to be killed.
STARTER = """
import subprocess, sys, time
child = subprocess.Popen(sys.argv[1:])
print(child.pid, flush=True)
time.sleep(600)
"""


def test_a_node_stops_when_what_started_it_is_killed(
    tmp_path: Path, domain: int, ros: RosClient
) -> None:
    # As when `ros2 launch` is sent SIGTERM: it exits at once, without stopping its nodes.
    starter = start_process(
        "starter",
        [sys.executable, "-c", STARTER, str(BIN / "hardware_node")],
        tmp_path,
        {"ROS_DOMAIN_ID": str(domain)},
    )
    pid = int(wait_for(lambda: starter.log().strip().split("\n")[0] or None, 10.0, "pid"))
    try:
        node = psutil.Process(pid)
        recorder = TopicRecorder(ros, JointState, "/joint_states")
        recorder.wait(30.0, "/joint_states from the node")
        starter.popen.kill()
        starter.popen.wait(5)

        def gone() -> bool:
            try:
                return node.status() == psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return True

        wait_for(gone, 15.0, "the orphaned hardware node to stop")
    finally:
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()


def test_deactivate_disables_torque_when_asked(node: Process, ros: RosClient) -> None:
    diag = TopicRecorder(ros, DiagnosticArray, "/diagnostics")
    assert transition(ros, Transition.TRANSITION_CONFIGURE)
    assert transition(ros, Transition.TRANSITION_ACTIVATE)
    assert transition(ros, Transition.TRANSITION_DEACTIVATE)

    def all_torque_off() -> bool:
        statuses = diagnostic_statuses(diag)
        motors = [s for name, s in statuses.items() if "Motor" in name]
        return len(motors) == 9 and all(status_values(s)["torque"] == "off" for s in motors)

    wait_for(all_torque_off, 15.0, "every motor torque off after deactivate")


def test_invalid_parameter_fails_configure_naming_it(
    tmp_path: Path, ros: RosClient, domain: int
) -> None:
    process = start_node(tmp_path, domain, "control_rate_hz:=0.0")
    try:
        assert not transition(ros, Transition.TRANSITION_CONFIGURE)
        assert state_label(ros) == "unconfigured"
        wait_for(lambda: "control_rate_hz" in process.log(), 5.0, "the log line")
        assert "invalid parameter: control_rate_hz must be within [1, 1000]" in process.log()
    finally:
        process.stop()


@pytest.mark.skipif(
    find_reachy_mini_port() is not None, reason="a Reachy Mini adapter is plugged in here"
)
def test_auto_port_without_an_adapter_fails_configure_naming_the_usb_ids(
    tmp_path: Path, ros: RosClient, domain: int
) -> None:
    process = start_node(tmp_path, domain, "backend:=serial", "serial_port:=auto")
    try:
        assert not transition(ros, Transition.TRANSITION_CONFIGURE)
        assert state_label(ros) == "unconfigured"
        wait_for(lambda: "serial_port is 'auto'" in process.log(), 5.0, "the log line")
        assert (
            "configure failed: serial_port is 'auto' and no Reachy Mini adapter "
            "(USB 1a86:55d3) is plugged in"
        ) in process.log()
    finally:
        process.stop()


def test_commands_and_torque_are_refused_until_the_node_is_active(
    node: Process, ros: RosClient
) -> None:
    results = TopicRecorder(ros, DiagnosticStatus, command_results.TOPIC)
    reply = call_service(ros, SetBool, "/reachy_mini/enable_torque", SetBool.Request(data=True))
    assert not reply.success
    assert reply.message == (
        "hardware node is unconfigured: commands are refused until it is active"
    )

    assert transition(ros, Transition.TRANSITION_CONFIGURE)
    reply = call_service(ros, SetBool, "/reachy_mini/enable_torque", SetBool.Request(data=True))
    assert not reply.success
    assert reply.message == "hardware node is inactive: commands are refused until it is active"

    pub = ros.node.create_publisher(
        JointState,
        "/reachy_mini/joint_commands",
        QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE),
    )
    wait_for(lambda: pub.get_subscription_count() > 0, 10.0, "the command subscriber")
    wait_for(lambda: ros.node.count_publishers(command_results.TOPIC) > 0, 10.0, "the results")
    time.sleep(1.0)  # the results' reader and writer match both ways
    msg = JointState(name=["yaw_body"], position=[0.1])
    # Stamped now: a command past its deadline (stamp + command_deadline_s) is dropped.
    msg.header.stamp.sec, msg.header.stamp.nanosec = int(time.time()), 7
    pub.publish(msg)
    result = wait_for(results.latest, 10.0, "the command's outcome")
    assert (result.name, result.level) == ("joints", DiagnosticStatus.ERROR)
    assert result.message == "hardware node is inactive: commands are refused until it is active"
    sent = command_results.stamp_text(msg.header.stamp.sec, 7)
    assert status_values(result) == {command_results.STAMP_KEY: sent}

    assert transition(ros, Transition.TRANSITION_ACTIVATE)
    reply = call_service(ros, SetBool, "/reachy_mini/enable_torque", SetBool.Request(data=True))
    assert reply.success, reply.message
    msg.header.stamp.sec, msg.header.stamp.nanosec = int(time.time()), 8
    pub.publish(msg)
    again = command_results.stamp_text(msg.header.stamp.sec, 8)
    accepted = wait_for(
        lambda: next((m for m in results.since(0) if m.values[0].value == again), None),
        10.0,
        "the outcome once active",
    )
    assert accepted.level == DiagnosticStatus.OK and accepted.message == command_results.ACCEPTED
