"""The bridge's HTTP API, over real HTTP, with joint states arriving over DDS."""

from __future__ import annotations

import json

from bridge_support import HEAD_JOINTS, MOTOR_JOINTS, Bridge


def test_health_has_the_system_design_shape(bridge: Bridge) -> None:
    response = bridge.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert isinstance(body["timestamp"], float)
    assert set(body["components"]) == {
        "database",
        "rust_bindings",
        "api_server",
        "websocket",
        "scheduler",
        "ros",
    }
    assert all(body["components"].values())
    assert body["config"]["api_host"] == "127.0.0.1"
    assert body["config"]["debug"] is False


def test_joints_lists_every_joint_of_the_last_message(bridge: Bridge) -> None:
    body = bridge.get("/api/joints").json()
    assert [j["name"] for j in body["joints"]] == MOTOR_JOINTS + HEAD_JOINTS
    assert body["age_s"] < 5.0
    assert body["seq"] > 0


def test_request_id_is_echoed(bridge: Bridge) -> None:
    response = bridge.get("/api/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


def test_unknown_page_falls_back_to_the_dashboard(bridge: Bridge) -> None:
    response = bridge.get("/some/client/route")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


def test_unknown_api_path_is_a_json_404_not_the_dashboard(bridge: Bridge) -> None:
    response = bridge.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_docs_are_not_shadowed_by_the_dashboard(bridge: Bridge) -> None:
    assert "swagger" in bridge.get("/docs").text.lower()
    assert json.loads(bridge.get("/openapi.json").text)["info"]["title"] == "Reachy Mini bridge"
