"""Error answers keep one shape; a 500 says what failed only in debug mode."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from support import free_port, wait_for

from reachy_mini_ros.bridge.app import create_app
from reachy_mini_ros.bridge.config import BridgeConfig
from reachy_mini_ros.bridge.errors import ReachyMiniError
from reachy_mini_ros.bridge.runtime import Bridge


@contextmanager
def serving(tmp_path: Path, *, debug: bool) -> Iterator[str]:
    """Serve the real app, plus two failing routes, over HTTP on loopback."""
    config = BridgeConfig(
        api_port=free_port(), debug=debug, data_dir=tmp_path, database_url="sqlite://"
    )
    app = create_app(Bridge(config))
    # The dashboard's catch-all router is included last; it must stay after the routes below.
    dashboard = app.router.routes.pop()

    @app.get("/api/test/crash")
    async def crash() -> None:
        raise RuntimeError("secret internal detail")

    @app.get("/api/test/business")
    async def business() -> None:
        raise ReachyMiniError("motor_busy", "the motor is busy")

    app.router.routes.append(dashboard)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=config.api_port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{config.api_port}"
    try:
        wait_for(lambda: server.started, 30.0, "the server to start")
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.parametrize("debug", [False, True])
def test_unhandled_error_is_a_500_with_detail_only_in_debug(tmp_path: Path, debug: bool) -> None:
    with serving(tmp_path, debug=debug) as base:
        response = httpx.get(base + "/api/test/crash", timeout=10)
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error"
    assert isinstance(body["timestamp"], float)
    assert ("secret internal detail" in body["message"]) is debug


def test_business_error_is_a_400_with_its_code(tmp_path: Path) -> None:
    with serving(tmp_path, debug=False) as base:
        response = httpx.get(base + "/api/test/business", timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "motor_busy"
    assert body["message"] == "the motor is busy"
