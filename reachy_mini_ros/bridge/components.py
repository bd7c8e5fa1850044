"""The bridge's components as the service manager sees them.

Each component is given only what it watches (the objects themselves, or a small Protocol
where the object appears later), never the whole Bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.bridge.service_manager import Component
from reachy_mini_ros.bridge.state import RobotState
from reachy_mini_ros.bridge.ws import WsHub

log = get_logger("reachy_mini.bridge.components")


class DatabaseOwner(Protocol):
    """Who opens the database and holds it, with its telemetry aggregator, once open."""

    db: Any
    aggregator: Any

    def open_database(self) -> Any:
        """Create the Database object once and return it."""


class Resubscribing(Protocol):
    """The ROS side, which subscribes afresh when its component restarts."""

    def reset_subscriptions(self) -> None:
        """Recreate the subscriptions."""


class ServerOwner(Protocol):
    """Who holds uvicorn's server once it exists (it is created after the app)."""

    @property
    def server(self) -> Any:
        """Return the uvicorn server, or None before it exists."""


class DatabaseComponent(Component):
    """The event and telemetry store (non-critical: the robot runs without it)."""

    name = "database"

    def __init__(self, owner: DatabaseOwner) -> None:
        self.owner = owner

    async def start(self) -> None:
        """Open the database; its writer keeps retrying in the background while it is down."""
        db = self.owner.open_database()
        await asyncio.to_thread(db.start)

    async def stop(self) -> None:
        """Flush what can be flushed and stop the writer."""
        db = self.owner.db
        if db is not None:
            aggregator = self.owner.aggregator
            if aggregator is not None:
                aggregator.flush()
            await asyncio.to_thread(db.stop)

    async def check(self) -> bool:
        """Run a real round trip."""
        db = self.owner.db
        return db is not None and await asyncio.to_thread(db.check)

    @property
    def healthy(self) -> bool:
        """Return the database's last known state."""
        db = self.owner.db
        return db is not None and bool(db.healthy)


class RosComponent(Component):
    """The DDS side: healthy while /joint_states and /diagnostics are fresh."""

    name = "ros"
    critical = True

    def __init__(
        self, ros: Resubscribing | None, state: RobotState, *, stale_after_s: float
    ) -> None:
        self.ros = ros
        self.state = state
        self.stale_after_s = stale_after_s
        self.starts = 0

    async def start(self) -> None:
        """Subscribe afresh on a restart (the node subscribed when it was created)."""
        self.starts += 1
        if self.starts > 1 and self.ros is not None:
            self.ros.reset_subscriptions()

    async def stop(self) -> None:
        """Keep the node: it is shared with the process."""

    @property
    def healthy(self) -> bool:
        """Return True while both topics arrived in the last `stale_after_s` seconds."""
        state = self.state
        limit = self.stale_after_s
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

    def __init__(self, owner: ServerOwner) -> None:
        self.owner = owner
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
        server = self.owner.server
        return self.serving and (server is None or not server.should_exit)


class WebSocketComponent(Component):
    """The WebSocket hub."""

    name = "websocket"

    def __init__(self, hub: WsHub) -> None:
        self.hub = hub

    async def start(self) -> None:
        """Accept clients."""
        self.hub.start()

    async def stop(self) -> None:
        """Close every client with 1001 (going away)."""
        await self.hub.close_all()

    @property
    def healthy(self) -> bool:
        """Return True while clients are accepted."""
        return self.hub.running


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
