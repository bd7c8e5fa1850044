"""A bridge whose database cannot be reached keeps serving the robot, degraded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bridge_support import Bridge, FakeHardware, running_bridge
from support import free_port, wait_for

PASSWORD = "s3cret-pw"


@pytest.fixture(scope="module")
def bridge_without_db(
    tmp_path_factory: pytest.TempPathFactory, hardware: FakeHardware
) -> Iterator[Bridge]:
    """Run a bridge whose DATABASE_URL points at a closed port."""
    url = f"postgresql+psycopg://reachy:{PASSWORD}@127.0.0.1:{free_port()}/reachy"
    tmp: Path = tmp_path_factory.mktemp("nodb")
    with running_bridge(tmp, env={"DATABASE_URL": url}) as bridge:
        wait_for(
            lambda: bridge.get("/api/health").json()["components"]["ros"],
            60.0,
            f"joint states\n{bridge.process.log()[-3000:]}",
        )
        yield bridge


def test_health_is_200_degraded_when_the_database_is_down(bridge_without_db: Bridge) -> None:
    response = bridge_without_db.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"]["database"] is False
    assert body["components"]["ros"] is True


def test_history_answers_503_while_the_database_is_down(bridge_without_db: Bridge) -> None:
    for path in ("/api/events", "/api/telemetry"):
        response = bridge_without_db.get(path)
        assert response.status_code == 503
        assert response.json()["error"] == "service_unavailable"


def test_commands_still_work_while_the_database_is_down(bridge_without_db: Bridge) -> None:
    response = bridge_without_db.post("/api/commands/joints", {"goals": {"left_antenna": 0.2}})
    assert response.status_code == 200


def test_database_password_is_never_shown(bridge_without_db: Bridge) -> None:
    for path in ("/system/info", "/system/status", "/api/health", "/metrics"):
        assert PASSWORD not in bridge_without_db.get(path).text
    info = bridge_without_db.get("/system/info").json()
    assert "***" in info["config"]["database_url"]
    assert PASSWORD not in bridge_without_db.process.log()
