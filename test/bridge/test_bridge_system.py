"""System status, info, diagnostics, events, metrics and request limits of a running bridge."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from bridge_support import STAND_IN_CORE_VERSION, Bridge, FakeHardware
from support import wait_for


def test_system_status_reports_components_stats_and_robot(bridge: Bridge) -> None:
    body = wait_for(
        lambda: (
            b
            if (b := bridge.get("/system/status").json())["robot"]["joint_state_rate_hz"] > 10
            else None
        ),
        10.0,
        "a measured joint state rate",
    )
    assert body["running"] is True
    assert body["uptime"] > 0
    assert body["components"]["ros"] is True
    assert body["component_details"]["database"]["state"] == "running"
    assert body["stats"]["memory_usage"] > 0
    assert body["stats"]["requests_count"] >= 1
    robot = body["robot"]
    assert robot["joint_state_age_s"] < 5.0
    assert robot["joint_state_rate_hz"] > 10
    assert robot["diagnostics"]["ok"] >= 1


def test_system_info_shows_the_published_core_version_and_no_secrets(bridge: Bridge) -> None:
    response = bridge.get("/system/info")
    body = response.json()
    assert bridge.token not in response.text
    assert body["config"]["token_source"] == "env"
    assert body["config"]["database_url"].startswith("sqlite")
    # The version the hardware node published on /diagnostics, relayed as it is.
    assert body["rust_core"]["version"] == STAND_IN_CORE_VERSION
    assert body["rust_core"]["available"] is True
    assert body["ros"]["rmw_implementation"] == "rmw_fastrtps_cpp"
    assert body["python"]["version"]


def test_diagnostics_lists_latest_statuses(bridge: Bridge) -> None:
    body = bridge.get("/api/diagnostics").json()
    names = [s["name"] for s in body["statuses"]]
    assert "hardware_node: Rust core" in names
    assert body["summary"]["ok"] >= 1


def test_bridge_publishes_its_components_on_diagnostics(bridge: Bridge, module_ros: Any) -> None:
    from diagnostic_msgs.msg import DiagnosticArray

    seen: dict[str, int] = {}

    def take(msg: Any) -> None:
        for status in msg.status:
            if status.name.startswith("bridge_node: ") and status.hardware_id == "reachy_mini":
                seen[status.name] = int.from_bytes(status.level, "little")

    sub = module_ros.node.create_subscription(DiagnosticArray, "/diagnostics", take, 50)
    try:
        wait_for(lambda: len(seen) >= 5, 20.0, "the bridge's diagnostics")
    finally:
        module_ros.node.destroy_subscription(sub)
    assert set(seen) == {
        f"bridge_node: {name}"
        for name in ("database", "ros", "api_server", "websocket", "scheduler")
    }


def test_diagnostic_level_change_is_recorded_as_an_event(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    since = time.time()
    hardware.motor_level = 1
    try:

        def warned() -> Any:
            page = bridge.get(
                "/api/events",
                params={"source": "hardware_node: Motor right_antenna", "since": since},
            ).json()
            return [e for e in page["items"] if e["level"] == 1]

        events = wait_for(warned, 20.0, "the WARN event")
    finally:
        hardware.motor_level = 0
    assert events[0]["kind"] == "diagnostic"
    assert "warn" in events[0]["message"]


def test_events_are_paged_and_filtered(bridge: Bridge) -> None:
    for value in (0.1, 0.2, 0.3):
        bridge.post("/api/commands/joints", {"goals": {"left_antenna": value}})

    def page() -> Any:
        body = bridge.get("/api/events", params={"kind": "command", "limit": 2}).json()
        return body if body["total"] >= 3 else None

    body = wait_for(page, 15.0, "three command events")
    assert len(body["items"]) == 2
    assert body["limit"] == 2
    second = bridge.get("/api/events", params={"kind": "command", "limit": 2, "offset": 2}).json()
    assert {e["id"] for e in second["items"]}.isdisjoint({e["id"] for e in body["items"]})


def test_events_reject_an_invalid_level(bridge: Bridge) -> None:
    response = bridge.get("/api/events", params={"level": 7})
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_telemetry_returns_downsampled_history_per_joint(bridge: Bridge) -> None:
    def history() -> Any:
        body = bridge.get("/api/telemetry", params={"joint": "yaw_body"}).json()
        return body["joints"].get("yaw_body")

    points = wait_for(history, 20.0, "telemetry for yaw_body")
    assert points[0]["count"] > 0
    assert points[0]["min"] <= points[0]["mean"] <= points[0]["max"]


def test_metrics_are_in_prometheus_text_format(bridge: Bridge) -> None:
    bridge.get("/api/health")
    response = bridge.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    sample = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+Inf-]+$")
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line
    assert 'reachy_mini_http_requests_total{method="GET",path="/api/health",status="200"}' in text
    assert "reachy_mini_http_request_duration_seconds_bucket" in text
    assert 'reachy_mini_component_up{component="ros"} 1' in text
    for name in (
        "reachy_mini_ws_clients",
        "reachy_mini_ws_frames_sent_total",
        "reachy_mini_ws_frames_dropped_total",
        "reachy_mini_db_queue_depth",
        "reachy_mini_db_dropped_total",
        "reachy_mini_component_restarts_total",
    ):
        assert f"# TYPE {name} " in text


def test_oversized_body_is_refused_with_413(bridge: Bridge) -> None:
    goals = {f"joint_{i}": 0.0 for i in range(5000)}
    response = bridge.post("/api/commands/joints", {"goals": goals})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_chunked_oversized_body_is_refused_with_413(bridge: Bridge) -> None:
    def chunks() -> Any:
        yield b'{"goals": {"a": 0.0'
        for _ in range(100):
            yield b', "b": 0.0' * 100
        yield b"}}"

    response = httpx.post(
        bridge.base_url + "/api/commands/joints",
        content=chunks(),
        headers={"Authorization": f"Bearer {bridge.token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413


def test_validation_error_has_the_error_shape(bridge: Bridge) -> None:
    response = bridge.post("/api/commands/torque", {"enabled": "maybe"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert "enabled" in body["message"]
    assert isinstance(body["timestamp"], float)


def test_every_request_is_logged_as_one_json_line(bridge: Bridge) -> None:
    bridge.get("/api/joints", headers={"X-Request-ID": "log-line-check"})
    log_file = bridge.data_dir / "logs" / "bridge.log"

    def line() -> Any:
        return [x for x in log_file.read_text().splitlines() if "log-line-check" in x]

    lines = wait_for(line, 10.0, "the request line")
    import json

    record = json.loads(lines[0])
    assert record["event"] == "request"
    assert record["method"] == "GET"
    assert record["path"] == "/api/joints"
    assert record["status"] == 200
    assert record["duration_ms"] >= 0


def test_bridge_start_is_recorded_as_a_system_event(bridge: Bridge) -> None:
    page = wait_for(
        lambda: bridge.get("/api/events", params={"kind": "system"}).json()["items"],
        15.0,
        "the start event",
    )
    assert page[-1]["message"] == "bridge started"
    assert page[-1]["source"] == "bridge"


def test_diagnostic_error_is_recorded_as_a_fault(bridge: Bridge, hardware: FakeHardware) -> None:
    since = time.time()
    hardware.motor_level = 2
    try:
        faults = wait_for(
            lambda: bridge.get("/api/events", params={"kind": "fault", "since": since}).json()[
                "items"
            ],
            20.0,
            "the fault event",
        )
    finally:
        hardware.motor_level = 0
    assert faults[0]["source"] == "hardware_node: Motor right_antenna"
    assert faults[0]["level"] == 2
