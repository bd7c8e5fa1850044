"""Commands over HTTP reach the hardware node's topics and services over DDS, within limits."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from bridge_support import Bridge, FakeHardware
from support import RosClient, wait_for


def _post_joints(bridge: Bridge, goals: dict[str, float]) -> Any:
    """POST joint goals once the stand-in hardware node is discovered (503 until then)."""
    return wait_for(
        lambda: (
            (r := bridge.post("/api/commands/joints", {"goals": goals})).status_code != 503 and r
        ),
        30.0,
        "the bridge to find the hardware node",
    )


def test_joint_command_is_forwarded_and_answered_with_the_outcome(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    goals = {"right_antenna": 0.5, "left_antenna": -0.25}
    response = _post_joints(bridge, goals)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ok": True,
        "command": "joints",
        "message": "goals for 2 joint(s) accepted",
    }
    msg = hardware.joint_goals[-1]
    assert dict(zip(msg.name, msg.position, strict=True)) == goals


def test_joint_command_the_hardware_node_refuses_answers_400_with_its_reason(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    reason = "hardware node is inactive: commands are refused until it is active"
    hardware.joint_refusal = reason
    try:
        response = _post_joints(bridge, {"yaw_body": 0.1})
    finally:
        hardware.joint_refusal = None
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "refused"
    assert response.json()["message"] == f"the hardware node refused the joint command: {reason}"


def test_joint_command_answers_504_when_the_hardware_node_stays_silent(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    _post_joints(bridge, {"yaw_body": 0.0})
    hardware.silent = True
    try:
        response = bridge.post("/api/commands/joints", {"goals": {"yaw_body": 0.1}})
    finally:
        hardware.silent = False
    assert response.status_code == 504, response.text
    assert response.json()["error"] == "timeout"
    assert "did not answer the joint command" in response.json()["message"]


def test_joint_command_answers_503_without_a_hardware_node(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    _post_joints(bridge, {"yaw_body": 0.0})
    hardware.take_joint_commands(False)
    try:
        response = wait_for(
            lambda: (
                (
                    r := bridge.post("/api/commands/joints", {"goals": {"yaw_body": 0.0}})
                ).status_code
                == 503
                and r
            ),
            30.0,
            "the bridge to see the hardware node gone",
        )
    finally:
        hardware.take_joint_commands(True)
    assert response.json()["error"] == "service_unavailable"
    assert "no hardware node subscribes to joint commands" in response.json()["message"]


def test_out_of_limits_joint_command_is_refused_and_not_published(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    _post_joints(bridge, {"yaw_body": 0.1})
    before = len(hardware.joint_goals)
    response = bridge.post("/api/commands/joints", {"goals": {"stewart_1": 2.5}})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "out_of_limits"
    assert "stewart_1" in body["message"]
    time.sleep(1.0)
    assert len(hardware.joint_goals) == before


def test_unknown_joint_is_refused(bridge: Bridge) -> None:
    response = bridge.post("/api/commands/joints", {"goals": {"elbow": 0.0}})
    assert response.status_code == 400
    assert "unknown joint" in response.json()["message"]


# A head pose command names every axis.
NEUTRAL_HEAD = {"x": 0.0, "y": 0.0, "z": 0.0, "roll": 0.0, "pitch": 0.0, "yaw": 0.0}


def _post_head_pose(bridge: Bridge, pose: dict[str, float]) -> Any:
    """POST a head pose once the stand-in hardware node is discovered (503 until then)."""
    return wait_for(
        lambda: (r := bridge.post("/api/commands/head_pose", pose)).status_code != 503 and r,
        30.0,
        "the bridge to find the hardware node",
    )


def test_head_pose_command_is_published_with_a_quaternion(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    pose = {"x": 0.0, "y": 0.0, "z": 0.01, "roll": 0.0, "pitch": 0.0, "yaw": 0.5}
    response = _post_head_pose(bridge, pose)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "head pose accepted"
    msg = hardware.head_poses[-1]
    assert msg.header.frame_id == "base_link"
    assert msg.pose.position.z == pytest.approx(0.01)
    q = msg.pose.orientation
    assert q.z == pytest.approx(math.sin(0.25))
    assert q.w == pytest.approx(math.cos(0.25))


def test_head_pose_the_hardware_node_refuses_answers_400_with_its_reason(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    hardware.head_pose_refusal = "out of reach of motor stewart_1"
    try:
        response = _post_head_pose(bridge, {**NEUTRAL_HEAD, "z": 0.028})
    finally:
        hardware.head_pose_refusal = None
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "refused"
    assert body["message"] == (
        "the hardware node refused the head pose: out of reach of motor stewart_1"
    )

    def audited() -> bool:
        events = bridge.get("/api/events", params={"kind": "command", "limit": 5}).json()
        return any(
            event["details"]["error"] == "refused" and "out of reach" in event["message"]
            for event in events["items"]
        )

    wait_for(audited, 10.0, "the refusal in the audit log")


def test_head_pose_beyond_the_pitch_limit_is_refused(bridge: Bridge) -> None:
    response = bridge.post("/api/commands/head_pose", {**NEUTRAL_HEAD, "pitch": math.radians(60)})
    assert response.status_code == 400
    assert "pitch" in response.json()["message"]


def test_head_yaw_more_than_65_degrees_from_the_body_is_refused(bridge: Bridge) -> None:
    # The yaw is in the base frame. The stand-in's body sways by ±0.1 rad (±5.7°) around 0, so
    # 80° is at least 74° from it, past the 65° that the vendor's mechanics allow.
    response = bridge.post("/api/commands/head_pose", {**NEUTRAL_HEAD, "yaw": math.radians(80)})
    assert response.status_code == 400
    assert "relative to the body" in response.json()["message"]


def test_torque_answers_503_when_the_service_is_absent(bridge: Bridge) -> None:
    response = bridge.post("/api/commands/torque", {"enabled": True})
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"


@pytest.fixture
def torque_service(module_ros: RosClient) -> Iterator[list[bool]]:
    from std_srvs.srv import SetBool

    calls: list[bool] = []

    def handle(request: Any, response: Any) -> Any:
        calls.append(bool(request.data))
        response.success = True
        response.message = "torque on" if request.data else "torque off"
        return response

    service = module_ros.node.create_service(SetBool, "/reachy_mini/enable_torque", handle)
    yield calls
    module_ros.node.destroy_service(service)


def test_torque_command_calls_the_hardware_service(
    bridge: Bridge, torque_service: list[bool]
) -> None:
    def attempt() -> Any:
        response = bridge.post("/api/commands/torque", {"enabled": False})
        return response if response.status_code == 200 else None

    response = wait_for(attempt, 30.0, "the torque service to be discovered", every=0.2)
    assert response.json() == {"ok": True, "command": "torque", "message": "torque off"}
    assert torque_service[-1] is False


def test_commands_need_the_token(bridge: Bridge) -> None:
    goals = {"goals": {"right_antenna": 0.1}}
    without = bridge.post("/api/commands/joints", goals, token="")
    wrong = bridge.post("/api/commands/joints", goals, token="not-the-token")
    assert without.status_code == 401
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "unauthorized"
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_every_command_is_recorded_as_an_event(bridge: Bridge) -> None:
    bridge.post("/api/commands/joints", {"goals": {"stewart_2": 5.0}})

    def refused_event() -> Any:
        page = bridge.get("/api/events", params={"kind": "command", "min_level": 1}).json()
        return [
            e
            for e in page["items"]
            if e["details"].get("args", {}).get("goals") == {"stewart_2": 5.0}
        ]

    events = wait_for(refused_event, 15.0, "the refused command in the event log")
    assert events[0]["details"]["accepted"] is False
    assert events[0]["source"] == "api"


def test_unauthorized_command_attempt_is_audited(bridge: Bridge) -> None:
    bridge.post("/api/commands/torque", {"enabled": False}, token="guess")

    def refused() -> Any:
        page = bridge.get("/api/events", params={"kind": "command", "min_level": 1}).json()
        return [
            e
            for e in page["items"]
            if e["details"].get("error") == "unauthorized"
            # Alone, or counted in its peer's summary of the interval (refusals.py).
            and "/api/commands/torque"
            in (e["details"].get("path"), *e["details"].get("paths", ()))
        ]

    # The summary comes at the end of the 10 s interval.
    events = wait_for(refused, 30.0, "the refused attempt in the event log")
    assert events[0]["level"] == 1
    assert "guess" not in str(events[0])
