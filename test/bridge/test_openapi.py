"""The committed OpenAPI schema, from which the dashboard's client is generated."""

from __future__ import annotations

from pathlib import Path

from support import assert_generated_file_is_current

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_schema_matches_the_app() -> None:
    assert_generated_file_is_current(
        ROOT / "web" / "openapi.json", "reachy_mini_ros.bridge.openapi"
    )


def test_openapi_schema_describes_every_endpoint() -> None:
    from reachy_mini_ros.bridge.openapi import openapi_schema

    paths = openapi_schema()["paths"]
    for path in (
        "/api/health",
        "/api/joints",
        "/api/diagnostics",
        "/api/events",
        "/api/telemetry",
        "/api/commands/joints",
        "/api/commands/head_pose",
        "/api/commands/torque",
        "/api/commands/goto",
        "/api/commands/stop",
        "/api/commands/wake_up",
        "/api/commands/goto_sleep",
        "/api/commands/motor_mode",
        "/api/moves/running",
        "/system/status",
        "/system/info",
        "/metrics",
    ):
        assert path in paths
    assert paths["/api/health"]["get"]["responses"]["200"]["content"]["application/json"]
