"""The audit log across a crash of the bridge, and under a flood of refused attempts."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from bridge_support import Bridge, FakeHardware, running_bridge
from support import wait_for
from websockets.sync.client import connect

# 20 Hz, the rate of a dashboard slider dragged without pause.
COMMAND_PERIOD_S = 0.05
# Long enough for several write-queue flushes (every 0.5 s) and a batch in flight at the kill.
LOAD_S = 4.0
FLOOD = 300
HUGE_NAME = "x" * 60_000


def _command_events(bridge: Bridge) -> list[dict[str, Any]]:
    """Return every command event in the audit log."""
    events: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = bridge.get(
            "/api/events", params={"kind": "command", "limit": 500, "offset": offset}
        ).json()
        events += page["items"]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return events


def _wait_for_hardware(bridge: Bridge) -> None:
    wait_for(
        lambda: (
            bridge.post("/api/commands/joints", {"goals": {"yaw_body": 0.0}}).status_code == 200
        ),
        30.0,
        "the bridge to find the hardware node",
    )


def test_every_accepted_command_is_in_the_audit_log_after_a_sigkill(
    tmp_path: Path, hardware: FakeHardware
) -> None:
    accepted: list[float] = []
    stop = threading.Event()

    def send(bridge: Bridge) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {bridge.token}"}) as client:
            i = 0
            while not stop.is_set():
                i += 1
                # A unique goal per command, to find each one in the log.
                goal = round(i * 1e-4, 6)
                try:
                    response = client.post(
                        bridge.base_url + "/api/commands/joints",
                        json={"goals": {"right_antenna": goal}},
                        timeout=5.0,
                    )
                except httpx.HTTPError:
                    return  # the bridge is gone
                if response.status_code == 200:
                    accepted.append(goal)
                time.sleep(COMMAND_PERIOD_S)

    with running_bridge(tmp_path) as bridge:
        _wait_for_hardware(bridge)
        sender = threading.Thread(target=send, args=(bridge,))
        sender.start()
        time.sleep(LOAD_S)
        os.killpg(bridge.process.popen.pid, signal.SIGKILL)
        bridge.process.popen.wait(10)
        stop.set()
        sender.join(10)
    assert len(accepted) > LOAD_S / COMMAND_PERIOD_S / 4, "too few commands to tell"

    with running_bridge(tmp_path) as bridge:

        def missing() -> list[float]:
            logged = {
                e["details"]["args"]["goals"].get("right_antenna")
                for e in _command_events(bridge)
                if e["details"].get("accepted") and "args" in e["details"]
            }
            return [goal for goal in accepted if goal not in logged]

        wait_for(lambda: not missing(), 30.0, "every accepted command in the log")
        events = _command_events(bridge)
    uids_logged = [e["id"] for e in events]
    assert len(uids_logged) == len(set(uids_logged))
    goals = [
        e["details"]["args"]["goals"].get("right_antenna")
        for e in events
        if e["details"].get("accepted") and "args" in e["details"]
    ]
    # Replayed once: no accepted command twice.
    assert sorted(g for g in goals if g in set(accepted)) == sorted(accepted)


def _database_bytes(bridge: Bridge) -> int:
    """Return the size of the bridge's SQLite database, with its write-ahead log."""
    return sum(
        path.stat().st_size for path in bridge.data_dir.glob("reachy_mini.db*") if path.is_file()
    )


def _unauthorized_rows(bridge: Bridge) -> list[tuple[int, int]]:
    """Return (id, size in bytes) of the unauthorized-attempt rows, read from the file."""
    with sqlite3.connect(f"file:{bridge.data_dir / 'reachy_mini.db'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT id, length(message) + length(details) FROM events"
            " WHERE details LIKE '%unauthorized%'"
        ).fetchall()
    return [(int(a), int(b)) for a, b in rows]


@pytest.mark.parametrize("channel", ["ws", "http"])
def test_a_flood_of_refused_attempts_grows_the_audit_log_by_under_a_megabyte(
    tmp_path: Path, channel: str
) -> None:
    with running_bridge(tmp_path) as bridge:
        wait_for(lambda: _database_bytes(bridge) > 0, 30.0, "the database file")
        wait_for(lambda: bridge.get("/api/events").status_code == 200, 30.0, "the database")
        before = _database_bytes(bridge)
        if channel == "ws":
            with connect(bridge.ws_url, max_size=None) as ws:
                message = {"type": "command", "command": HUGE_NAME, "args": {}}
                for i in range(FLOOD):
                    ws.send(json.dumps({**message, "id": i}))
                for _ in range(FLOOD):
                    while json.loads(ws.recv(timeout=30))["type"] != "command_result":
                        pass
        else:
            with httpx.Client() as client:
                for _ in range(FLOOD):
                    response = client.post(
                        bridge.base_url + "/api/commands/joints",
                        json={"goals": {"yaw_body": 0.0}},
                        headers={"Authorization": "Bearer " + "g" * 8000},
                    )
                    assert response.status_code == 401
        # The first refusal is written at once, the other 299 as one summary at the end of
        # the interval (10 s).
        rows = wait_for(
            lambda: (r := _unauthorized_rows(bridge)) and len(r) >= 2 and r,
            30.0,
            "the refusals' summary",
        )
        grown = _database_bytes(bridge) - before
        events = [
            e
            for e in bridge.get("/api/events", params={"limit": 500}).json()["items"]
            if e["details"].get("error") == "unauthorized"
        ]
    assert len(rows) == 2, rows
    assert max(size for _, size in rows) < 2_000
    assert sum(e["details"]["count"] for e in events) == FLOOD
    assert grown < 1_000_000, grown
