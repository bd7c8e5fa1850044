"""The whole stack as `reachy-mini bringup` starts it: DDS, HTTP and WebSocket together."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from sensor_msgs.msg import JointState
from support import RosClient, Stack, TopicRecorder, wait_for
from websockets.sync.client import connect

from reachy_mini_ros.interface.joints import HEAD_POSE_JOINT_NAMES, MOTOR_JOINT_NAMES

# A head pose command names every axis.
NEUTRAL_HEAD = {"x": 0.0, "y": 0.0, "z": 0.0, "roll": 0.0, "pitch": 0.0, "yaw": 0.0}


def receive(ws: Any, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    """Return the next message of the given type, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no '{kind}' message within {timeout} s"
        message = json.loads(ws.recv(timeout=remaining))
        if message.get("type") == kind:
            return dict(message)


def test_joint_states_reach_another_process_over_dds(stack: Stack, ros: RosClient) -> None:
    recorder = TopicRecorder(ros, JointState, "/joint_states", depth=200)
    msg = recorder.wait(30.0, "/joint_states over DDS")
    assert list(msg.name) == list(MOTOR_JOINT_NAMES) + list(HEAD_POSE_JOINT_NAMES)


def test_health_has_the_system_design_shape(stack: Stack) -> None:
    def healthy() -> dict[str, Any] | None:
        body = dict(stack.get("/api/health").json())
        return body if body["components"].get("rust_bindings") else None

    body = wait_for(healthy, 30.0, "rust_bindings to be reported healthy from /diagnostics")
    assert set(body) >= {"status", "timestamp", "components", "config"}
    assert set(body["components"]) >= {
        "database",
        "rust_bindings",
        "api_server",
        "websocket",
        "scheduler",
    }
    assert body["config"]["api_host"] == "127.0.0.1"
    assert body["config"]["api_port"] == int(stack.base_url.rsplit(":", 1)[1])
    assert isinstance(body["config"]["debug"], bool)


def test_websocket_streams_joint_states_that_follow_a_dds_goal(
    stack: Stack, ros: RosClient
) -> None:
    with connect(stack.ws_url, open_timeout=10) as ws:
        hello = receive(ws, "hello")
        assert hello["protocol"] == 1
        ws.send(json.dumps({"type": "subscribe", "channels": ["joint_states"], "rate_hz": 30}))
        first = receive(ws, "joint_states")["data"]
        assert first["name"][: len(MOTOR_JOINT_NAMES)] == list(MOTOR_JOINT_NAMES)

        pub = ros.node.create_publisher(JointState, "/reachy_mini/joint_commands", 10)
        wait_for(lambda: pub.get_subscription_count() > 0, 15.0, "the command subscriber")
        pub.publish(JointState(name=["left_antenna"], position=[-0.8]))

        def left_antenna() -> float:
            data = receive(ws, "joint_states")["data"]
            return float(data["position"][data["name"].index("left_antenna")])

        wait_for(lambda: abs(left_antenna() + 0.8) < 0.02, 20.0, "left_antenna at -0.8 rad")


def test_nodes_run_without_numpy(stack: Stack) -> None:
    # The message packages import numpy; the nodes defer it (reachy_mini_ros.numpy_on_demand).
    for node in ("hardware_node", "bridge_node"):
        maps = Path(f"/proc/{stack.node_process(node).pid}/maps").read_text()
        assert "_multiarray_umath" not in maps, f"{node} has numpy loaded"


def test_a_head_pose_out_of_reach_is_refused_with_the_kinematics_reason(stack: Stack) -> None:
    # Inside the documented ±30 mm, which the bridge checks, but beyond what the Stewart
    # platform reaches straight up: only the hardware node's kinematics can tell.
    response = stack.post("/api/commands/head_pose", {**NEUTRAL_HEAD, "z": 0.028})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "refused"
    assert "out of reach" in response.json()["message"]
    response = stack.post("/api/commands/head_pose", {**NEUTRAL_HEAD, "z": 0.01})
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "head pose accepted"


def test_commands_answered_504_behind_a_stalled_hardware_node_expire(tmp_path: Path) -> None:
    from diagnostic_msgs.msg import DiagnosticStatus
    from support import running_stack

    from reachy_mini_ros.interface import command_results

    with running_stack(tmp_path) as stack:
        ros = RosClient(domain_id=stack.domain_id)
        try:
            results = TopicRecorder(ros, DiagnosticStatus, command_results.TOPIC, depth=100)
            joints = TopicRecorder(ros, JointState, "/joint_states", depth=50)
            # The bridge learns the node's command_deadline_s from its 1 Hz diagnostics, and
            # a reachable pose answered 200 shows that the result path is matched.
            time.sleep(2.0)
            ok = stack.post("/api/commands/head_pose", {**NEUTRAL_HEAD, "z": 0.005})
            assert ok.status_code == 200, ok.text
            time.sleep(1.0)
            before = joints.wait(10.0, "/joint_states")
            hardware = stack.node_process("hardware_node")
            hardware.suspend()
            try:
                pose = stack.post(
                    "/api/commands/head_pose", {**NEUTRAL_HEAD, "z": 0.015, "roll": 0.2}
                )
                goal = stack.post("/api/commands/joints", {"goals": {"right_antenna": 0.9}})
            finally:
                hardware.resume()
            assert pose.status_code == 504, pose.text
            assert goal.status_code == 504, goal.text
            resumed = time.time()
            time.sleep(3.0)
            after = wait_for(
                lambda: next(iter(joints.since(resumed + 2.5)[-1:]), None), 10.0, "fresh states"
            )
            expired = [
                m
                for m in results.since(resumed - 10.0)
                if m.message.startswith(command_results.EXPIRED)
            ]
        finally:
            ros.close()
    position = dict(zip(before.name, before.position, strict=True))
    now = dict(zip(after.name, after.position, strict=True))
    # 0.02 rad: the simulated motors settle within a few mrad; the refused goals are 0.2 rad
    # (roll) and 0.9 rad (antenna) away.
    for name in position:
        assert abs(now[name] - position[name]) < 0.02, (name, position[name], now[name])
    assert sorted(m.name for m in expired) == ["head_pose", "joints"], [
        (m.name, m.message) for m in results.since(resumed - 10.0)
    ]
    assert all("ms before it reached the hardware node" in m.message for m in expired)


def test_a_ros_command_stamped_past_its_deadline_is_dropped_and_one_unstamped_is_applied(
    stack: Stack, ros: RosClient
) -> None:
    from diagnostic_msgs.msg import DiagnosticStatus

    from reachy_mini_ros.interface import command_results

    results = TopicRecorder(ros, DiagnosticStatus, command_results.TOPIC, depth=100)
    joints = TopicRecorder(ros, JointState, "/joint_states", depth=50)
    pub = ros.node.create_publisher(JointState, "/reachy_mini/joint_commands", 10)
    wait_for(lambda: pub.get_subscription_count() > 0, 15.0, "the command subscriber")
    time.sleep(1.0)  # the results topic's path back is discovered separately
    stale = JointState(name=["right_antenna"], position=[0.7])
    # 2 s old: past the default command_deadline_s of 1 s.
    stamp_ns = ros.node.get_clock().now().nanoseconds - 2_000_000_000
    stale.header.stamp.sec, stale.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    pub.publish(stale)
    refusal = wait_for(
        lambda: next((m for m in results.since(0) if m.name == "joints"), None),
        10.0,
        "the stale command's result",
    )
    assert refusal.message.startswith(command_results.EXPIRED), refusal.message
    late_ms = int(re.search(r"passed (\d+) ms", refusal.message).group(1))  # type: ignore[union-attr]
    assert 1000 - 50 <= late_ms <= 1000 + 5000, refusal.message

    def antenna() -> float:
        msg = joints.latest()
        return float(msg.position[list(msg.name).index("right_antenna")])

    time.sleep(1.0)
    assert abs(antenna() - 0.7) > 0.1, "the expired command moved the antenna"
    pub.publish(JointState(name=["right_antenna"], position=[0.7]))  # zero stamp: no deadline
    wait_for(lambda: abs(antenna() - 0.7) < 0.02, 20.0, "right_antenna at 0.7 rad")
    pub.publish(JointState(name=["right_antenna"], position=[0.0]))  # as the next tests expect
    wait_for(lambda: abs(antenna()) < 0.02, 20.0, "right_antenna back at 0 rad")
