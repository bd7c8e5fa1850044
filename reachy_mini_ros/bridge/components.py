"""The bridge's components as the service manager sees them."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.bridge.service_manager import Component

if TYPE_CHECKING:
    from reachy_mini_ros.bridge.runtime import Bridge

log = get_logger("reachy_mini.bridge.components")


class DatabaseComponent(Component):
    """The event and telemetry store (non-critical: the robot runs without it)."""

    name = "database"

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def start(self) -> None:
        """Open the database; its writer keeps retrying in the background while it is down."""
        db = self.bridge.open_database()
        await asyncio.to_thread(db.start)

    async def stop(self) -> None:
        """Flush what can be flushed and stop the writer."""
        db = self.bridge.db
        if db is not None:
            aggregator = self.bridge.aggregator
            if aggregator is not None:
                aggregator.flush()
            await asyncio.to_thread(db.stop)

    async def check(self) -> bool:
        """Run a real round trip."""
        db = self.bridge.db
        return db is not None and await asyncio.to_thread(db.check)

    @property
    def healthy(self) -> bool:
        """Return the database's last known state."""
        db = self.bridge.db
        return db is not None and bool(db.healthy)


class RosComponent(Component):
    """The DDS side: healthy while /joint_states and /diagnostics are fresh."""

    name = "ros"
    critical = True

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.starts = 0

    async def start(self) -> None:
        """Subscribe afresh on a restart (the node subscribed when it was created)."""
        self.starts += 1
        if self.starts > 1 and self.bridge.ros is not None:
            self.bridge.ros.reset_subscriptions()

    async def stop(self) -> None:
        """Keep the node: it is shared with the process."""

    @property
    def healthy(self) -> bool:
        """Return True while both topics arrived in the last `stale_after_s` seconds."""
        state = self.bridge.state
        limit = self.bridge.config.stale_after_s
        now = time.monotonic()
        joints = state.joint_state_age(now)
        diagnostics = state.diagnostics_age(now)
        return (
            joints is not None
            and joints <= limit
            and diagnostics is not None
            and (diagnostics <= limit)
        )


class ApiServerComponent(Component):
    """The HTTP server: healthy while uvicorn serves."""

    name = "api_server"
    critical = True

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.serving = False

    async def start(self) -> None:
        """Mark the routes as served (uvicorn opens the socket after the lifespan starts)."""
        self.serving = True

    async def stop(self) -> None:
        """Stop answering as healthy."""
        self.serving = False

    @property
    def healthy(self) -> bool:
        """Return True while serving and uvicorn is not shutting down."""
        server = self.bridge.server
        return self.serving and (server is None or not server.should_exit)


class WebSocketComponent(Component):
    """The WebSocket hub."""

    name = "websocket"

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def start(self) -> None:
        """Accept clients."""
        self.bridge.hub.start()

    async def stop(self) -> None:
        """Close every client with 1001 (going away)."""
        await self.bridge.hub.close_all()

    @property
    def healthy(self) -> bool:
        """Return True while clients are accepted."""
        return self.bridge.hub.running


@dataclass
class Job:
    """A periodic job of the scheduler."""

    name: str
    interval_s: float
    run: Callable[[], Any]
    # Blocking jobs (database work) run in a worker thread.
    blocking: bool = False
    last_run: float = 0.0
    last_error: str | None = None


class SchedulerComponent(Component):
    """Run periodic jobs: retention, telemetry flush, diagnostics-level events."""

    name = "scheduler"
    # The loop wakes at this period; a job runs when its own interval has passed.
    TICK_S = 0.25

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop."""
        self._task = asyncio.create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        """Stop the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def healthy(self) -> bool:
        """Return True while the loop runs."""
        return self._task is not None and not self._task.done()

    async def _loop(self) -> None:
        while True:
            now = time.monotonic()
            for job in self.jobs:
                if now - job.last_run >= job.interval_s:
                    job.last_run = now
                    await self._run(job)
            await asyncio.sleep(self.TICK_S)

    async def _run(self, job: Job) -> None:
        try:
            if job.blocking:
                result = await asyncio.to_thread(job.run)
            else:
                result = job.run()
            if inspect.isawaitable(result):
                await result
            job.last_error = None
        except Exception as exc:  # one failing job must not stop the others
            error = f"{type(exc).__name__}: {exc}"
            if error != job.last_error:
                log.warning("job_failed", job=job.name, error=error)
            job.last_error = error
