"""Bridge processes in particular set-ups: database down, no robot, security, shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
from pathlib import Path

import httpx
import pytest
from bridge_support import bridge_command, bridge_env, running_bridge
from support import free_port, wait_for
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def test_health_is_503_unhealthy_without_joint_states(tmp_path: Path) -> None:
    with running_bridge(tmp_path, "health_check_interval:=0.5") as bridge:
        response = bridge.get("/api/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unhealthy"
        assert body["components"]["ros"] is False
        assert body["components"]["rust_bindings"] is False
        assert body["components"]["api_server"] is True
        assert bridge.get("/api/joints").status_code == 503
        # The health checker restarts the stale ros component and records each restart.
        restarted = 'reachy_mini_component_restarts_total{component="ros"} '
        wait_for(lambda: restarted + "0" not in bridge.get("/metrics").text, 20.0, "a ros restart")
        events = wait_for(
            lambda: bridge.get("/api/events", params={"kind": "component"}).json()["items"],
            20.0,
            "the restart event",
        )
        assert events[0]["details"]["component"] == "ros"


def test_refuses_to_listen_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    result = subprocess.run(
        bridge_command(free_port(), "api_host:=0.0.0.0"),
        env={
            **{k: v for k, v in os.environ.items() if k != "REACHY_MINI_TOKEN"},
            **bridge_env(tmp_path, None),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refusing to listen on 0.0.0.0" in result.stderr


def test_generates_a_private_token_file_at_first_start(tmp_path: Path) -> None:
    with running_bridge(tmp_path, token=None) as bridge:
        token_file = bridge.data_dir / "api_token"
        wait_for(lambda: str(token_file) in bridge.process.log(), 10.0, "the token path")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        assert len(token) >= 32
        assert token not in bridge.process.log()
        # The token lets the command through to the robot path: with no hardware node on this
        # DDS domain it is answered 503 service_unavailable, not 401.
        accepted = bridge.post(
            "/api/commands/joints", {"goals": {"right_antenna": 0.1}}, token=token
        )
        assert accepted.status_code == 503
        assert accepted.json()["error"] == "service_unavailable"
        refused = bridge.post("/api/commands/joints", {"goals": {"right_antenna": 0.1}}, "x")
        assert refused.status_code == 401


def test_cors_allow_list_is_applied(tmp_path: Path) -> None:
    allowed = "http://dashboard.example:5173"
    with running_bridge(tmp_path, f"cors_origins:=['{allowed}']") as bridge:
        preflight = httpx.options(
            bridge.base_url + "/api/commands/joints",
            headers={
                "Origin": allowed,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == allowed
        foreign = bridge.get("/api/health", headers={"Origin": "http://other.example"})
        assert "access-control-allow-origin" not in foreign.headers
        with connect(bridge.ws_url, origin=allowed) as ws:  # type: ignore[arg-type]
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"


def test_without_a_built_dashboard_its_routes_say_how_to_build_it(tmp_path: Path) -> None:
    empty = tmp_path / "no_dist"
    empty.mkdir()
    with running_bridge(tmp_path, f"web_dist:={empty}") as bridge:
        for path in ("/", "/joints"):
            page = bridge.get(path)
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
            assert "The Reachy Mini dashboard is not built" in page.text
            assert "npm ci &amp;&amp; npm run build" in page.text and str(empty) in page.text
        assert bridge.get("/api/health").status_code in (200, 503)  # the API answers
        assert bridge.get("/assets/app.js").status_code == 404  # no page for a missing file


def test_cors_is_off_by_default(tmp_path: Path) -> None:
    with running_bridge(tmp_path) as bridge:
        response = bridge.get("/api/health", headers={"Origin": "http://dashboard.example"})
        assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_shutdown_closes_websockets_with_going_away(tmp_path: Path, sig: int) -> None:
    with running_bridge(tmp_path) as bridge, connect(bridge.ws_url) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        bridge.process.popen.send_signal(sig)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=20)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
        assert bridge.process.popen.wait(20) == 0
        records = [
            json.loads(line) for line in bridge.process.log().splitlines() if line.startswith("{")
        ]
        order = ["database", "ros", "api_server", "websocket", "scheduler"]
        started = [r["component"] for r in records if r["event"] == "component_started"]
        stopped = [r["component"] for r in records if r["event"] == "component_stopped"]
        assert started == order
        assert stopped == order[::-1]


def test_exits_with_an_error_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            bridge_command(port),
            env={**os.environ, **bridge_env(tmp_path, "token")},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
