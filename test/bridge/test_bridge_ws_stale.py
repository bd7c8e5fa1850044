"""A stalled joint_states stream is announced on the WebSocket, and so is its return."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from bridge_support import Bridge, FakeHardware
from websockets.sync.client import ClientConnection, connect
from ws_support import check_server_message


def receive(ws: ClientConnection, kinds: set[str], timeout: float) -> dict[str, Any]:
    """Return the next message of one of kinds, skipping others; each must fit the schema."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        check_server_message(message)
        if message["type"] in kinds:
            return message


@pytest.fixture
def paused(hardware: FakeHardware) -> Iterator[FakeHardware]:
    """Give the stand-in hardware, publishing joint states again after the test."""
    yield hardware
    hardware.publish_joint_states = True


def test_stale_notice_when_joint_states_stop_and_fresh_when_they_resume(
    bridge: Bridge, paused: FakeHardware
) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": {"joint_states": 50}}))
        receive(ws, {"joint_states"}, 10.0)
        paused.publish_joint_states = False
        stopped = time.monotonic()
        # Samples already on their way may come first; then the notice, and no frame after it.
        notice = receive(ws, {"stale"}, 10.0)
        assert time.monotonic() - stopped >= 0.4
        assert notice["channel"] == "joint_states"
        assert notice["stale"] is True
        assert notice["age_s"] >= 0.5
        assert notice["stale_after_s"] == 0.5
        with pytest.raises(TimeoutError):
            receive(ws, {"joint_states", "stale"}, 1.0)

        # A client that subscribes while the stream is stale is told at once.
        with connect(bridge.ws_url) as late:
            late.send(json.dumps({"type": "subscribe", "channels": ["joint_states"]}))
            assert receive(late, {"stale"}, 5.0)["stale"] is True

        paused.publish_joint_states = True
        fresh = receive(ws, {"stale", "joint_states"}, 10.0)
        assert fresh["type"] == "stale"
        assert fresh["stale"] is False
        assert fresh["age_s"] < 0.5
        assert receive(ws, {"joint_states", "stale"}, 10.0)["type"] == "joint_states"


def test_no_stale_notice_while_joint_states_flow(bridge: Bridge) -> None:
    with connect(bridge.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "channels": {"joint_states": 10}}))
        receive(ws, {"joint_states"}, 10.0)
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            assert receive(ws, {"joint_states", "stale"}, 5.0)["type"] == "joint_states"
