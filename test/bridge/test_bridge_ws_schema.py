"""The WebSocket schema (web/ws-schema.json): up to date, and true of a real bridge's frames."""

from __future__ import annotations

import json
import math
import time
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from bridge_support import HEAD_JOINTS, Bridge, FakeHardware
from support import RosClient, assert_generated_file_is_current, wait_for
from websockets.sync.client import ClientConnection, connect
from ws_support import check_client_message, check_server_message, receive

from reachy_mini_ros.bridge import ws_messages
from reachy_mini_ros.bridge.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]


class HeadWithoutVelocity(FakeHardware):
    """Publish joint states whose head joints have no velocity (NaN), as a pose estimate."""

    def _joint_state(self, t: float) -> Any:
        msg = super()._joint_state(t)
        msg.velocity = [math.nan if n in HEAD_JOINTS else 0.0 for n in msg.name]
        return msg


@pytest.fixture(scope="module")
def hardware(module_ros: RosClient) -> Iterator[FakeHardware]:
    """Publish joint states with NaN head velocities at 100 Hz, and diagnostics at 1 Hz."""
    fake = HeadWithoutVelocity(module_ros)
    yield fake
    fake.close()


def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    """Send a message that the schema says a client may send."""
    check_client_message(message)
    ws.send(json.dumps(message))


def first_of(ws: ClientConnection, *kinds: str, timeout: float = 10.0) -> dict[str, Any]:
    """Return the first message of each kind, in whatever order they come."""
    deadline = time.monotonic() + timeout
    found: dict[str, Any] = {}
    while set(kinds) - set(found):
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        check_server_message(message)
        found.setdefault(message["type"], message)
    return found


def test_committed_ws_schema_matches_the_models() -> None:
    assert_generated_file_is_current(
        ROOT / "web" / "ws-schema.json",
        "reachy_mini_ros.bridge.ws_schema",
        then="`npm run gen:ws` in web/",
    )


def test_schema_commands_are_the_http_commands_with_their_bodies() -> None:
    messages = typing.get_args(typing.get_args(ws_messages.CommandMessage)[0])
    described = {
        typing.get_args(m.model_fields["command"].annotation)[0]: m.model_fields["args"].annotation
        for m in messages
    }
    assert described == {name: model for name, (model, _) in COMMANDS.items()}


def test_schema_refuses_frames_outside_the_protocol() -> None:
    frame = {
        "type": "joint_states",
        "data": {
            "stamp": 1.5,
            "seq": 1,
            "name": ["yaw_body"],
            "position": [0.1],
            "velocity": [None],
            "effort": [],
        },
    }
    check_server_message(frame)
    for broken in (
        {**frame, "data": {**frame["data"], "velocity": ["nan"]}},
        {**frame, "data": {k: v for k, v in frame["data"].items() if k != "seq"}},
        {**frame, "extra": 1},
        {"type": "error", "error": "hardware_unavailable", "message": "no"},
        {"type": "telemetry", "data": {}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            check_server_message(broken)


def test_real_frames_fit_the_schema(bridge: Bridge) -> None:
    wait_for(
        lambda: (
            bridge.post("/api/commands/joints", {"goals": {"yaw_body": 0.0}}).status_code != 503
        ),
        30.0,
        "the bridge to find the hardware node",
    )
    with connect(bridge.ws_url) as ws:
        receive(ws, "hello")
        send(ws, {"type": "subscribe", "channels": {"joint_states": 50, "diagnostics": 5}})
        assert receive(ws, "subscribed")["channels"] == {"joint_states": 50, "diagnostics": 5}
        joints = receive(ws, "joint_states")["data"]
        receive(ws, "diagnostics")
        send(ws, {"type": "subscribe", "channels": ["events"], "rate_hz": 20})
        receive(ws, "subscribed")
        send(
            ws,
            {
                "type": "command",
                "id": "antenna",
                "token": bridge.token,
                "command": "joints",
                "args": {"goals": {"right_antenna": 0.2}},
            },
        )
        answered = first_of(ws, "command_result", "events")
        assert answered["command_result"]["ok"] is True
        send(
            ws,
            {"type": "command", "token": "wrong", "command": "torque", "args": {"enabled": True}},
        )
        assert receive(ws, "command_result")["error"] == "unauthorized"
        ws.send(json.dumps({"type": "command", "token": bridge.token, "command": "dance"}))
        assert receive(ws, "command_result")["error"] == "unknown_command"
        ws.send(json.dumps({"type": "command", "token": bridge.token, "command": "torque"}))
        assert receive(ws, "command_result")["error"] == "validation_error"
        ws.send("{")
        assert receive(ws, "error")["error"] == "invalid_json"
        ws.send(json.dumps({"type": "ping", "id": {"not": "an id"}}))
        assert receive(ws, "error")["error"] == "invalid_message"
        ws.send(json.dumps({"type": "subscribe", "channels": {"joint_states": -1}}))
        assert receive(ws, "error")["error"] == "invalid_subscription"
        ws.send(json.dumps({"type": "dance"}))
        assert receive(ws, "error")["error"] == "unknown_type"
        send(ws, {"type": "unsubscribe", "channels": ["joint_states", "diagnostics", "events"]})
        assert receive(ws, "subscribed")["channels"] == {}
        send(ws, {"type": "ping", "id": 7})
        assert receive(ws, "pong") == {"type": "pong", "id": 7}
    # The stand-in publishes NaN head velocities: JSON has no NaN, so they arrive as null.
    velocity = dict(zip(joints["name"], joints["velocity"], strict=True))
    assert all(velocity[name] is None for name in HEAD_JOINTS)
    assert velocity["yaw_body"] == 0.0
