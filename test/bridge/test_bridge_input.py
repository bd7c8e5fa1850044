"""Bad input gets a documented error, changes nothing and keeps the WebSocket open."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from bridge_support import Bridge, FakeHardware, wait_for_hardware_node
from support import wait_for
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect
from ws_support import check_server_message

NEUTRAL_HEAD = {"x": 0.0, "y": 0.0, "z": 0.0, "roll": 0.0, "pitch": 0.0, "yaw": 0.0}


def nested(value: Any, depth: int) -> Any:
    """Return value inside depth lists."""
    for _ in range(depth):
        value = [value]
    return value


def receive(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    """Return the next message other than a hello; each must fit the schema."""
    while True:
        message = json.loads(ws.recv(timeout=timeout))
        check_server_message(message)
        if message["type"] != "hello":
            return message


def still_open(ws: ClientConnection) -> None:
    """Check that the connection still answers a ping."""
    ws.send(json.dumps({"type": "ping", "id": "still-open"}))
    assert receive(ws) == {"type": "pong", "id": "still-open"}


def command(bridge: Bridge, name: Any, args: Any) -> dict[str, Any]:
    """Return a command message with the bridge's token."""
    return {"type": "command", "id": "c", "token": bridge.token, "command": name, "args": args}


# (frame, the reply's type, its error code)
MALFORMED_FRAMES = {
    "channel_is_a_list": ({"type": "subscribe", "channels": [[]]}, "invalid_subscription"),
    "channel_is_an_object": ({"type": "subscribe", "channels": [{}]}, "invalid_subscription"),
    "unsubscribe_a_list": ({"type": "unsubscribe", "channels": [["x"]]}, "invalid_subscription"),
    "ping_id_nested_256_deep": ({"type": "ping", "id": nested(1, 256)}, "invalid_message"),
    # Written out: json.dumps itself recurses too deep for this one.
    "type_nested_990_deep": (
        '{"type": ' + "[" * 990 + '"ping"' + "]" * 990 + "}",
        "invalid_message",
    ),
    "type_is_a_list": ({"type": ["ping"]}, "unknown_type"),
}


@pytest.mark.parametrize("name", MALFORMED_FRAMES)
def test_malformed_frame_gets_an_error_and_the_connection_stays(bridge: Bridge, name: str) -> None:
    frame, code = MALFORMED_FRAMES[name]
    with connect(bridge.ws_url) as ws:
        ws.send(frame if isinstance(frame, str) else json.dumps(frame))
        reply = receive(ws)
        assert reply["type"] == "error", reply
        assert reply["error"] == code
        still_open(ws)


@pytest.mark.parametrize("token", ["é", "bridge-test-token\u200b", "\U0001f916"])
def test_non_ascii_token_is_a_wrong_token_and_is_audited(bridge: Bridge, token: str) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(
            json.dumps(
                {
                    "type": "command",
                    "id": "t",
                    "token": token,
                    "command": "torque",
                    "args": {"enabled": True},
                }
            )
        )
        reply = receive(ws)
        assert reply == {
            "type": "command_result",
            "id": "t",
            "ok": False,
            "error": "unauthorized",
            "message": "a valid token is needed",
            "move_id": None,
        }
        still_open(ws)


def test_refused_ws_command_with_a_non_ascii_token_is_audited(bridge: Bridge) -> None:
    since = time.time()
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "command", "token": "é", "command": "torque", "args": {}}))
        assert receive(ws)["error"] == "unauthorized"

    def audited() -> Any:
        page = bridge.get("/api/events", params={"kind": "command", "min_level": 1}).json()
        return [
            e
            for e in page["items"]
            if e["source"] == "ws"
            and e["details"].get("error") == "unauthorized"
            and e["time"] >= since - 1.0
        ]

    wait_for(audited, 15.0, "the refused attempt in the event log")


@pytest.mark.parametrize("name", [[], {}, ["joints"], 1, None])
def test_command_name_of_another_type_is_an_unknown_command(bridge: Bridge, name: Any) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps(command(bridge, name, {"enabled": True})))
        reply = receive(ws)
        assert reply["type"] == "command_result"
        assert reply["ok"] is False
        assert reply["error"] == "unknown_command"
        still_open(ws)


WS_BAD_ARGS = {
    "torque_yes": ("torque", {"enabled": "yes"}),
    "torque_one": ("torque", {"enabled": 1}),
    "torque_extra": ("torque", {"enabled": True, "force": True}),
    "torque_missing": ("torque", None),
    "head_pose_partial": ("head_pose", {"z": 0.01}),
    "head_pose_unknown_field": ("head_pose", {"enabled": True}),
    "head_pose_empty": ("head_pose", {}),
    "head_pose_list": ("head_pose", []),
    "head_pose_string_axis": ("head_pose", {**NEUTRAL_HEAD, "z": "0.01"}),
    "joints_extra": ("joints", {"goals": {"right_antenna": 0.1}, "speed": 1}),
    "joints_string_goal": ("joints", {"goals": {"right_antenna": "0.1"}}),
    "goto_no_duration": ("goto", {"antennas": [0.1, 0.1]}),
    "goto_string_duration": ("goto", {"antennas": [0.1, 0.1], "duration": "1"}),
    "goto_no_target": ("goto", {"duration": 1.0}),
    "goto_extra": ("goto", {"body_yaw": 0.1, "duration": 1.0, "speed": 2}),
    "goto_one_antenna": ("goto", {"antennas": [0.1], "duration": 1.0}),
    "goto_interpolation": ("goto", {"body_yaw": 0.1, "duration": 1.0, "interpolation": "fast"}),
    "stop_extra": ("stop", {"now": True}),
    "wake_up_list": ("wake_up", []),
    "motor_mode_unknown": ("motor_mode", {"mode": "compliant"}),
    "motor_mode_missing": ("motor_mode", {}),
}


@pytest.mark.parametrize("name", WS_BAD_ARGS)
def test_ws_command_args_are_strict(bridge: Bridge, hardware: FakeHardware, name: str) -> None:
    wait_for_hardware_node(bridge)
    kind, args = WS_BAD_ARGS[name]
    before = sent(hardware)
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps(command(bridge, kind, args)))
        reply = receive(ws)
        assert reply["type"] == "command_result"
        assert (reply["ok"], reply["error"]) == (False, "validation_error"), reply
        assert reply["message"].startswith("args")
        still_open(ws)
    time.sleep(0.3)
    assert sent(hardware) == before


HTTP_BAD_BODIES = {
    "torque_yes": ("torque", {"enabled": "yes"}),
    "torque_extra": ("torque", {"enabled": True, "force": True}),
    "head_pose_unknown_field": ("head_pose", {"enabled": True}),
    "head_pose_partial": ("head_pose", {"z": 0.01}),
    "head_pose_string_axis": ("head_pose", {**NEUTRAL_HEAD, "z": "0.01"}),
    "joints_extra": ("joints", {"goals": {"right_antenna": 0.1}, "speed": 1}),
    "joints_string_goal": ("joints", {"goals": {"right_antenna": "0.1"}}),
    "goto_string_duration": ("goto", {"antennas": [0.1, 0.1], "duration": "1"}),
    "goto_extra": ("goto", {"body_yaw": 0.1, "duration": 1.0, "speed": 2}),
    "goto_partial_head": ("goto", {"head": {"z": 0.01}, "duration": 1.0}),
    "stop_extra": ("stop", {"now": True}),
    "goto_sleep_list": ("goto_sleep", []),
    "motor_mode_unknown": ("motor_mode", {"mode": "compliant"}),
}


def sent(hardware: FakeHardware) -> tuple[int, int, int]:
    """Return how many joint commands, head poses and gotos the stand-in got."""
    return len(hardware.joint_goals), len(hardware.head_poses), len(hardware.goto_texts)


@pytest.mark.parametrize("name", HTTP_BAD_BODIES)
def test_command_bodies_are_strict(bridge: Bridge, hardware: FakeHardware, name: str) -> None:
    wait_for_hardware_node(bridge)
    kind, body = HTTP_BAD_BODIES[name]
    before = sent(hardware)
    response = bridge.post(f"/api/commands/{kind}", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    time.sleep(0.3)
    assert sent(hardware) == before


@pytest.mark.parametrize("name", HTTP_BAD_BODIES)
def test_token_is_checked_before_the_body(bridge: Bridge, name: str) -> None:
    kind, body = HTTP_BAD_BODIES[name]
    for token in ("", "wrong"):
        response = bridge.post(f"/api/commands/{kind}", body, token=token)
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "unauthorized"
    garbled = httpx.post(
        f"{bridge.base_url}/api/commands/{kind}",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=10.0,
    )
    assert garbled.status_code == 401


@pytest.mark.parametrize(
    "route",
    ["joints", "head_pose", "torque", "goto", "stop", "wake_up", "goto_sleep", "motor_mode"],
)
def test_non_ascii_bearer_header_is_a_401(bridge: Bridge, route: str) -> None:
    response = httpx.post(
        f"{bridge.base_url}/api/commands/{route}",
        json={"enabled": True},
        headers=[(b"Authorization", b"Bearer \xe9")],
        timeout=10.0,
    )
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized"
    assert set(body) == {"error", "message", "timestamp"}


@pytest.mark.parametrize("path", ["/%00", "/assets/%00.js", "/a%00b/c"])
def test_nul_in_the_path_is_a_400(bridge: Bridge, path: str) -> None:
    response = bridge.get(path)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def ws_status(bridge: Bridge, **headers: str) -> int:
    """Return the HTTP status of a WebSocket handshake with these headers (101: accepted)."""
    try:
        with connect(bridge.ws_url, additional_headers=headers):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def test_origin_is_checked_against_the_server_address_not_the_host_header(
    bridge: Bridge,
) -> None:
    port = bridge.base_url.rsplit(":", 1)[1]
    # The Host header is the client's to choose: it must not make a foreign page same-origin.
    assert (
        ws_status(bridge, Host=f"evil.example:{port}", Origin=f"http://evil.example:{port}") == 403
    )
    assert ws_status(bridge, Origin=f"https://127.0.0.1:{port}") == 403
    assert ws_status(bridge, Origin="http://127.0.0.1:1") == 403
    assert ws_status(bridge, Origin="null") == 403
    # The dashboard's own origins, as a browser on this machine sends them.
    assert ws_status(bridge, Origin=f"http://127.0.0.1:{port}") == 101
    assert ws_status(bridge, Origin=f"http://localhost:{port}") == 101
    assert ws_status(bridge, Origin=f"http://LOCALHOST:{port}") == 101
