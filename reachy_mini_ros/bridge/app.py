"""Build the bridge's FastAPI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from reachy_mini_ros.bridge.config import BridgeConfig
from reachy_mini_ros.bridge.errors import install_error_handlers
from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.bridge.middleware import RequestMiddleware
from reachy_mini_ros.bridge.routes import (
    commands,
    diagnostics,
    events,
    health,
    joints,
    metrics,
    moves,
    system,
    telemetry,
    ws,
)
from reachy_mini_ros.bridge.routes.web import web_router
from reachy_mini_ros.bridge.runtime import Bridge
from reachy_mini_ros.bridge.sdk import rest as sdk_rest
from reachy_mini_ros.bridge.sdk import ws as sdk_ws
from reachy_mini_ros.bridge.sdk.mdns import MdnsAnnouncement
from reachy_mini_ros.interface.share import share_dir

API_VERSION = "1.0.0"
log = get_logger("reachy_mini.bridge.app")


def default_web_dist() -> Path:
    """Return the installed dashboard's directory."""
    return share_dir() / "web" / "dist"


def create_app(bridge: Bridge | None = None) -> FastAPI:
    """Return the app; its lifespan starts and stops the bridge's components."""
    if bridge is None:
        bridge = Bridge(BridgeConfig())
    config = bridge.config

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bridge.services.start()
        announcement = None
        if config.sdk_mdns:
            announcement = MdnsAnnouncement(config.api_host, config.api_port)
            try:
                await asyncio.to_thread(announcement.start)
            except Exception as exc:  # the bridge serves without it; the log says why
                log.warning("mdns_failed", error=str(exc))
                announcement = None
        bridge.emit_event(
            level=0,
            source="bridge",
            kind="system",
            message="bridge started",
            details={"api_host": config.api_host, "api_port": config.api_port},
        )
        try:
            yield
        finally:
            bridge.emit_event(level=0, source="bridge", kind="system", message="bridge stopping")
            if announcement is not None:
                await asyncio.to_thread(announcement.stop)
            await bridge.services.stop()

    app = FastAPI(
        title="Reachy Mini bridge",
        version=API_VERSION,
        description="Live state, history and commands of a Reachy Mini robot.",
        debug=False,
        lifespan=lifespan,
    )
    app.state.bridge = bridge
    install_error_handlers(app, debug=config.debug)
    for module in (
        health,
        system,
        joints,
        diagnostics,
        events,
        telemetry,
        commands,
        moves,
        metrics,
        ws,
        sdk_ws,
    ):
        app.include_router(module.router)
    # The vendor daemon's routes, for the apps of its SDK (docs/vendor-sdk.md).
    app.include_router(sdk_rest.router)
    app.include_router(sdk_rest.ws_router)
    dist = Path(config.web_dist) if config.web_dist else default_web_dist()
    app.include_router(web_router(dist))
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestMiddleware, metrics=bridge.metrics)
    return app
