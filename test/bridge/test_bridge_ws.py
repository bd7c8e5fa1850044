"""The WebSocket protocol of docs/websocket.md, against a real bridge process."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from bridge_support import Bridge, FakeHardware, wait_for_hardware_node
from support import stalled_websocket, wait_for, ws_frames_dropped
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from ws_support import check_server_message, receive


def test_hello_announces_the_protocol(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        hello = json.loads(ws.recv(timeout=10))
    check_server_message(hello)
    assert hello["type"] == "hello"
    assert hello["protocol"] == 1
    assert hello["server"] == "reachy_mini"
    assert set(hello["channels"]) == {"joint_states", "diagnostics", "events", "moves"}
    assert hello["max_rate_hz"] > 0


def test_subscribed_joint_states_arrive_at_about_the_asked_rate(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": {"joint_states": 10}}))
        assert receive(ws, "subscribed")["channels"] == {"joint_states": 10.0}
        first = receive(ws, "joint_states")
        start = time.monotonic()
        count = 0
        while time.monotonic() - start < 3.0:
            receive(ws, "joint_states")
            count += 1
    assert set(first["data"]) == {"stamp", "seq", "name", "position", "velocity", "effort"}
    assert "yaw_body" in first["data"]["name"]
    # 10 Hz asked, 100 Hz published: never more than the asked rate, and not starved.
    assert 10 <= count <= 33


def test_rate_is_capped_at_the_loop_rate(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": ["joint_states"], "rate_hz": 1e6}))
        rates = receive(ws, "subscribed")["channels"]
    assert rates["joint_states"] == 200.0


def test_unsubscribe_stops_the_channel(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": ["joint_states"]}))
        receive(ws, "joint_states")
        ws.send(json.dumps({"type": "unsubscribe", "channels": ["joint_states"]}))
        assert receive(ws, "subscribed")["channels"] == {}
        ws.send(json.dumps({"type": "ping", "id": "after"}))
        # Frames already in flight may precede the pong; none may follow it.
        assert receive(ws, "pong")["id"] == "after"
        with pytest.raises(TimeoutError):
            receive(ws, "joint_states", timeout=0.5)


def test_diagnostics_channel_carries_the_hardware_statuses(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": ["diagnostics"]}))
        message = receive(ws, "diagnostics")
    names = {s["name"] for s in message["data"]["status"]}
    assert "hardware_node: Rust core" in names


def test_ping_is_answered_with_pong(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "ping", "id": 42}))
        assert receive(ws, "pong") == {"type": "pong", "id": 42}


def test_malformed_message_gets_an_error_and_the_connection_stays(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send("not json")
        assert receive(ws, "error")["error"] == "invalid_json"
        ws.send(json.dumps({"type": "subscribe", "channels": ["nope"]}))
        assert receive(ws, "error")["error"] == "invalid_subscription"
        ws.send(json.dumps({"type": "ping", "id": 1}))
        assert receive(ws, "pong")["id"] == 1


def test_oversized_message_gets_an_error(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "ping", "id": "x" * 70_000}))
        assert receive(ws, "error")["error"] == "message_too_large"


def test_command_without_token_is_unauthorized(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        for token in (None, "wrong"):
            message: dict[str, Any] = {
                "type": "command",
                "id": "c1",
                "command": "joints",
                "args": {"goals": {"right_antenna": 0.2}},
            }
            if token is not None:
                message["token"] = token
            ws.send(json.dumps(message))
            result = receive(ws, "command_result")
            assert result["ok"] is False
            assert result["error"] == "unauthorized"


def test_command_with_token_is_validated_like_http(bridge: Bridge) -> None:
    wait_for_hardware_node(bridge)
    with connect(bridge.ws_url) as ws:
        ws.send(
            json.dumps(
                {
                    "type": "command",
                    "id": "ok",
                    "token": bridge.token,
                    "command": "joints",
                    "args": {"goals": {"right_antenna": 0.2}},
                }
            )
        )
        accepted = receive(ws, "command_result")
        ws.send(
            json.dumps(
                {
                    "type": "command",
                    "id": "far",
                    "token": bridge.token,
                    "command": "joints",
                    "args": {"goals": {"right_antenna": 4.0}},
                }
            )
        )
        refused = receive(ws, "command_result")
    assert accepted == {
        "type": "command_result",
        "id": "ok",
        "ok": True,
        "error": None,
        "message": "goals for 1 joint(s) accepted",
        "move_id": None,
    }
    assert refused["id"] == "far"
    assert refused["ok"] is False
    assert refused["error"] == "out_of_limits"


def test_joint_command_the_hardware_node_refuses_gets_its_reason(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    wait_for_hardware_node(bridge)
    reason = "control loop is not running (loop thread panicked): commands are refused"
    hardware.joint_refusal = reason
    try:
        with connect(bridge.ws_url) as ws:
            ws.send(
                json.dumps(
                    {
                        "type": "command",
                        "id": "held",
                        "token": bridge.token,
                        "command": "joints",
                        "args": {"goals": {"left_antenna": 0.2}},
                    }
                )
            )
            refused = receive(ws, "command_result")
    finally:
        hardware.joint_refusal = None
    assert refused == {
        "type": "command_result",
        "id": "held",
        "ok": False,
        "error": "refused",
        "message": f"the hardware node refused the joint command: {reason}",
        "move_id": None,
    }


def test_events_channel_pushes_command_events(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": ["events"]}))
        receive(ws, "subscribed")
        bridge.post("/api/commands/joints", {"goals": {"left_antenna": 0.3}})
        event = receive(ws, "events")
        while event["data"]["kind"] != "command":
            event = receive(ws, "events")
    assert event["data"]["source"] == "api"
    assert event["data"]["details"]["args"] == {"goals": {"left_antenna": 0.3}}


def test_foreign_origin_is_refused(bridge: Bridge) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(bridge.ws_url, origin="http://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403


def test_same_origin_is_accepted(bridge: Bridge) -> None:
    origin = bridge.base_url
    with connect(bridge.ws_url, origin=origin) as ws:  # type: ignore[arg-type]
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"


def test_stalled_client_does_not_stop_another_client(bridge: Bridge) -> None:
    before = ws_frames_dropped(bridge.base_url)
    stalled = stalled_websocket(bridge.base_url)
    try:
        # The stalled client's buffers are full: it loses frames from now on.
        wait_for(
            lambda: ws_frames_dropped(bridge.base_url) > before + 100, 60.0, "the client to stall"
        )
        with connect(bridge.ws_url) as ws:
            ws.send(json.dumps({"type": "subscribe", "channels": {"joint_states": 50}}))
            receive(ws, "subscribed")
            seqs: list[int] = []
            start = time.monotonic()
            while time.monotonic() - start < 4.0:
                seqs.append(receive(ws, "joint_states")["data"]["seq"])
        assert len(seqs) > 50
        assert seqs == sorted(seqs)
        assert bridge.get("/api/health").status_code == 200
    finally:
        stalled.close()


def test_many_clients_receive_concurrently(bridge: Bridge) -> None:
    counts: dict[int, int] = {}

    def client(index: int) -> None:
        with connect(bridge.ws_url) as ws:
            ws.send(json.dumps({"type": "subscribe", "channels": {"joint_states": 20}}))
            receive(ws, "subscribed")
            n = 0
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                receive(ws, "joint_states")
                n += 1
            counts[index] = n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(counts) == 8
    assert min(counts.values()) > 5


def test_stalled_client_is_disconnected_and_its_slot_released(bridge: Bridge) -> None:
    def clients() -> int:
        text = bridge.get("/metrics").text
        return int(
            next(x for x in text.splitlines() if x.startswith("reachy_mini_ws_clients ")).split()[
                1
            ]
        )

    wait_for(lambda: clients() == 0, 20.0, "no WebSocket client left from earlier tests")

    before = ws_frames_dropped(bridge.base_url)
    stalled = stalled_websocket(bridge.base_url)
    try:
        wait_for(lambda: clients() == 1, 10.0, "the stalled client to be counted")
        wait_for(
            lambda: ws_frames_dropped(bridge.base_url) > before,
            60.0,
            "frames the stalled client lost",
        )
        wait_for(lambda: clients() == 0, 60.0, "the stalled client to be dropped")
    finally:
        stalled.close()


def test_message_over_one_mebibyte_closes_the_connection(bridge: Bridge) -> None:
    with connect(bridge.ws_url, max_size=None) as ws:
        receive(ws, "hello")
        ws.send("x" * (1024 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
