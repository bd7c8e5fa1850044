"""The whole stack as `reachy-mini bringup` starts it: DDS, HTTP and WebSocket together."""

from __future__ import annotations

import json
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
