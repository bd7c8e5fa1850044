"""The bridge in the whole stack: `reachy-mini bringup` with the simulated robot."""

from __future__ import annotations

import json
import time
import tomllib
from typing import Any

from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import DescribeParameters, SetParameters
from support import ROOT, RosClient, Stack, call_service, wait_for
from websockets.sync.client import connect

import reachy_mini_core_rs as core


def test_stack_is_healthy_with_the_rust_core_seen_on_diagnostics(stack: Stack) -> None:
    body = wait_for(
        lambda: (b := stack.get("/api/health").json())["status"] == "healthy" and b,
        60.0,
        "a healthy stack",
    )
    assert body["components"]["rust_bindings"] is True
    info = stack.get("/system/info").json()
    assert info["rust_core"]["available"] is True
    # The hardware node reports the core it runs, as built from the crate in this tree.
    crate = tomllib.loads((ROOT / "reachy_mini_core_rs" / "Cargo.toml").read_text())
    assert core.__version__ == crate["package"]["version"]
    assert info["rust_core"]["version"] == core.__version__


def test_joint_command_moves_the_simulated_antenna(stack: Stack) -> None:
    assert stack.post("/api/commands/torque", {"enabled": True}).status_code == 200
    goal = 0.6
    response = stack.post("/api/commands/joints", {"goals": {"right_antenna": goal}})
    assert response.status_code == 200, response.text

    def antenna() -> Any:
        joints = {j["name"]: j["position"] for j in stack.get("/api/joints").json()["joints"]}
        return abs(joints["right_antenna"] - goal) < 0.05

    wait_for(antenna, 20.0, "the antenna to reach its goal")


def test_websocket_streams_the_hardware_loop(stack: Stack) -> None:
    with connect(stack.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": {"joint_states": 50}}))
        frames = []
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            message = json.loads(ws.recv(timeout=10))
            if message["type"] == "joint_states":
                frames.append(message["data"])
    assert len(frames) >= 20
    assert frames[-1]["seq"] > frames[0]["seq"]
    assert abs(frames[-1]["stamp"] - time.time()) < 5.0


def test_a_bridge_parameter_set_at_run_time_is_refused_with_why(stack: Stack) -> None:
    ros = RosClient("bridge_param_test", domain_id=stack.domain_id)
    try:
        value = ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=8123)
        request = SetParameters.Request(parameters=[Parameter(name="api_port", value=value)])
        reply = call_service(ros, SetParameters, "/bridge_node/set_parameters", request)
        described = call_service(
            ros,
            DescribeParameters,
            "/bridge_node/describe_parameters",
            DescribeParameters.Request(names=["api_port"]),
        )
    finally:
        ros.close()
    (result,) = reply.results
    assert not result.successful
    assert result.reason == (
        "api_port is read once, when the bridge starts: restart it with the new value"
    )
    assert described.descriptors[0].description.startswith("Read once, at start")
    assert stack.get("/api/health").status_code == 200  # still serving on its port
