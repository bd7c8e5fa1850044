"""The bridge's HTTP API, over real HTTP, with joint states arriving over DDS."""

from __future__ import annotations

import json

from bridge_support import HEAD_JOINTS, INDEX_HTML, MOTOR_JOINTS, Bridge


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
    assert response.text == INDEX_HTML


def test_unknown_api_path_is_a_json_404_not_the_dashboard(bridge: Bridge) -> None:
    response = bridge.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_docs_are_not_shadowed_by_the_dashboard(bridge: Bridge) -> None:
    assert "swagger" in bridge.get("/docs").text.lower()
    assert json.loads(bridge.get("/openapi.json").text)["info"]["title"] == "Reachy Mini bridge"


def test_missing_asset_is_a_404_not_the_dashboard(bridge: Bridge) -> None:
    response = bridge.get("/assets/index-missing.js")
    assert response.status_code == 404


def test_dashboard_files_are_served_from_web_dist(bridge: Bridge) -> None:
    index = bridge.get("/")
    assert index.status_code == 200
    assert index.text == INDEX_HTML
    asset = bridge.get("/assets/app.js")
    assert asset.status_code == 200
    assert "javascript" in asset.headers["content-type"]


def test_files_outside_web_dist_are_not_served(bridge: Bridge) -> None:
    # web_dist is <tmp>/web; a file beside it must stay out of reach.
    (bridge.data_dir.parent / "secret.txt").write_text("not for the web\n")
    for path in ("/%2e%2e/secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt"):
        response = bridge.get(path)
        assert "not for the web" not in response.text
