"""The committed OpenAPI schema, from which the dashboard's client is generated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_schema_matches_the_app() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "reachy_mini_ros.bridge.openapi"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    committed = (ROOT / "web" / "openapi.json").read_text()
    assert printed == committed, (
        "web/openapi.json is stale: run `python -m reachy_mini_ros.bridge.openapi "
        "> web/openapi.json`"
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
        "/system/status",
        "/system/info",
        "/metrics",
    ):
        assert path in paths
    assert paths["/api/health"]["get"]["responses"]["200"]["content"]["application/json"]
