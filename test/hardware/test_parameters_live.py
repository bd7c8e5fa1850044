"""Parameters set on a running hardware node, as `ros2 param set` does: applied or refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from hardware_support import start_hardware_node
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import DescribeParameters, SetParameters
from sensor_msgs.msg import JointState
from support import (
    Process,
    RosClient,
    TopicRecorder,
    call_service,
    diagnostic_statuses,
    status_values,
    wait_for,
)


@pytest.fixture
def node(tmp_path: Path, domain: int) -> Iterator[Process]:
    process = start_hardware_node(tmp_path, domain)
    yield process
    process.stop()


@pytest.fixture
def joint_states(node: Process, ros: RosClient) -> TopicRecorder:
    recorder = TopicRecorder(ros, JointState, "/joint_states", depth=400)
    recorder.wait(30.0, "/joint_states from the active node")
    return recorder


def value_of(value: Any) -> ParameterValue:
    if isinstance(value, bool):
        return ParameterValue(type=ParameterType.PARAMETER_BOOL, bool_value=value)
    if isinstance(value, float):
        return ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=value)
    return ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value)


def set_parameter(ros: RosClient, name: str, value: Any) -> tuple[bool, str]:
    request = SetParameters.Request(parameters=[Parameter(name=name, value=value_of(value))])
    reply = call_service(ros, SetParameters, "/hardware_node/set_parameters", request)
    (result,) = reply.results
    return bool(result.successful), str(result.reason)


def rate(recorder: TopicRecorder, seconds: float = 2.0) -> float:
    began = time.time()
    time.sleep(seconds)
    return len(recorder.since(began)) / seconds


def test_the_joint_states_rate_changes_at_once_while_active(
    ros: RosClient, joint_states: TopicRecorder
) -> None:
    assert rate(joint_states) > 150.0
    assert set_parameter(ros, "joint_states_rate_hz", 50.0) == (True, "")
    time.sleep(0.5)
    assert 40.0 < rate(joint_states) < 60.0
    ok, reason = set_parameter(ros, "joint_states_rate_hz", 500.0)
    assert not ok and "joint_states_rate_hz must be within (0, control_rate_hz=200.0]" in reason
    assert 40.0 < rate(joint_states) < 60.0


@pytest.mark.parametrize(("name", "value"), [("backend", "serial"), ("max_velocity", 1.0)])
def test_what_configure_builds_is_refused_while_active_and_taken_unconfigured(
    ros: RosClient, joint_states: TopicRecorder, name: str, value: Any
) -> None:
    ok, reason = set_parameter(ros, name, value)
    assert not ok
    assert reason == (
        f"{name} can only change while the node is unconfigured (it is active): "
        "cleanup, set it, then configure"
    )
    for transition in (Transition.TRANSITION_DEACTIVATE, Transition.TRANSITION_CLEANUP):
        request = ChangeState.Request()
        request.transition.id = transition
        assert call_service(ros, ChangeState, "/hardware_node/change_state", request).success
    assert set_parameter(ros, name, value) == (True, "")


def test_autostart_is_refused_after_start(ros: RosClient, joint_states: TopicRecorder) -> None:
    ok, reason = set_parameter(ros, "autostart", False)
    assert not ok and reason.startswith("autostart is read once, when the node starts")


def test_describe_says_which_parameters_apply_at_once(
    ros: RosClient, joint_states: TopicRecorder
) -> None:
    names = ["joint_states_rate_hz", "backend", "autostart"]
    request = DescribeParameters.Request(names=names)
    reply = call_service(ros, DescribeParameters, "/hardware_node/describe_parameters", request)
    described = {d.name: d.description for d in reply.descriptors}
    assert described["joint_states_rate_hz"].endswith("Applied at once, in any state.")
    assert described["backend"].endswith("Changes only while unconfigured; taken at configure.")
    assert described["autostart"].endswith("Read once, at start.")


def test_torque_off_on_deactivate_set_while_active_is_used_at_deactivate(
    ros: RosClient, joint_states: TopicRecorder
) -> None:
    diag = TopicRecorder(ros, DiagnosticArray, "/diagnostics")

    def motors() -> list[Any]:
        return [s for name, s in diagnostic_statuses(diag).items() if "Motor" in name]

    wait_for(lambda: len(motors()) == 9, 15.0, "the motors' statuses")
    assert all(status_values(s)["torque"] == "on" for s in motors())
    assert set_parameter(ros, "torque_off_on_deactivate", True) == (True, "")
    request = ChangeState.Request()
    request.transition.id = Transition.TRANSITION_DEACTIVATE
    assert call_service(ros, ChangeState, "/hardware_node/change_state", request).success
    wait_for(
        lambda: all(status_values(s)["torque"] == "off" for s in motors()),
        15.0,
        "every motor torque off after deactivate",
    )
