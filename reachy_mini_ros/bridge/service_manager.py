"""Start, watch and stop the bridge's components in order, and restart the ones that fail.

Components start in the order given (database, ros, api_server, websocket, scheduler) and stop
in reverse. A health checker runs every `health_check_interval` seconds and restarts an
unhealthy component, waiting longer after each failed attempt (1 s, 2 s, 4 s... up to 5 min).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from reachy_mini_ros.bridge.logs import get_logger

log = get_logger("reachy_mini.service_manager")

State = Literal["stopped", "starting", "running", "failed"]
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
# A start, stop or check that takes longer than this counts as failed.
STEP_TIMEOUT_S = 10.0


class Component(ABC):
    """A part of the bridge that can be started, checked and stopped."""

    name: str = "component"
    # The bridge is unhealthy (not only degraded) while a critical component is down.
    critical: bool = False

    @abstractmethod
    async def start(self) -> None:
        """Bring the component up; raise if it cannot."""

    @abstractmethod
    async def stop(self) -> None:
        """Release what start acquired."""

    async def check(self) -> bool:
        """Probe the component now (may do I/O); by default, return `healthy`."""
        return self.healthy

    @property
    @abstractmethod
    def healthy(self) -> bool:
        """Return the last known health, cheaply (read on every /api/health)."""


@dataclass
class ComponentStatus:
    """What the manager knows about one component."""

    name: str
    critical: bool
    state: State = "stopped"
    healthy: bool = False
    started_at: float | None = None
    start_duration_s: float | None = None
    restarts: int = 0
    failed_attempts: int = 0
    next_attempt: float = 0.0
    last_error: str | None = None

    @property
    def uptime_s(self) -> float | None:
        """Return seconds since the last successful start."""
        if self.state != "running" or self.started_at is None:
            return None
        return time.monotonic() - self.started_at


RestartListener = Callable[[str, bool, str | None], None]


class ServiceManager:
    """Own the components: ordered start, status, self-healing and reverse-order stop."""

    def __init__(
        self,
        components: list[Component],
        *,
        health_check_interval: float = 30.0,
        on_restart: RestartListener | None = None,
    ) -> None:
        self.components = components
        self.by_name = {c.name: c for c in components}
        self.status = {c.name: ComponentStatus(c.name, c.critical) for c in components}
        self.health_check_interval = health_check_interval
        self.on_restart = on_restart
        self.running = False
        self.started_at: float | None = None
        self._checker: asyncio.Task[None] | None = None

    @property
    def uptime_s(self) -> float:
        """Return seconds since start, 0 before."""
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at

    def healthy(self) -> dict[str, bool]:
        """Return {component: healthy} from each component's last known state."""
        result: dict[str, bool] = {}
        for component in self.components:
            try:
                ok = self.status[component.name].state == "running" and component.healthy
            except Exception:  # a broken health property is an unhealthy component
                ok = False
            result[component.name] = ok
        return result

    async def start(self) -> None:
        """Start every component in order, then the health checker."""
        self.started_at = time.monotonic()
        total = time.perf_counter()
        for component in self.components:
            await self._start_one(component)
        self.running = True
        log.info("services_started", duration_ms=round((time.perf_counter() - total) * 1e3, 1))
        self._checker = asyncio.create_task(self._check_forever(), name="health_checker")

    async def stop_checking(self) -> None:
        """Stop the health checker (shutdown has begun: nothing is restarted any more)."""
        self.running = False
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker
            self._checker = None

    async def stop(self) -> None:
        """Stop the health checker, then every component in reverse order."""
        await self.stop_checking()
        for component in reversed(self.components):
            await self._stop_one(component)
        log.info("services_stopped")

    async def _start_one(self, component: Component) -> bool:
        status = self.status[component.name]
        status.state = "starting"
        began = time.perf_counter()
        try:
            async with asyncio.timeout(STEP_TIMEOUT_S):
                await component.start()
        except Exception as exc:
            status.state = "failed"
            status.healthy = False
            status.last_error = f"{type(exc).__name__}: {exc}"
            log.error("component_start_failed", component=component.name, error=status.last_error)
            return False
        status.start_duration_s = time.perf_counter() - began
        status.state = "running"
        status.started_at = time.monotonic()
        status.healthy = component.healthy
        log.info(
            "component_started",
            component=component.name,
            duration_ms=round(status.start_duration_s * 1e3, 1),
            healthy=status.healthy,
        )
        return True

    async def _stop_one(self, component: Component) -> None:
        status = self.status[component.name]
        began = time.perf_counter()
        try:
            async with asyncio.timeout(STEP_TIMEOUT_S):
                await component.stop()
        except Exception as exc:
            log.error(
                "component_stop_failed", component=component.name, error=f"{type(exc).__name__}"
            )
        status.state = "stopped"
        status.healthy = False
        log.info(
            "component_stopped",
            component=component.name,
            duration_ms=round((time.perf_counter() - began) * 1e3, 1),
        )

    async def check_all(self) -> dict[str, bool]:
        """Probe every component and restart the unhealthy ones whose backoff has passed."""
        results: dict[str, bool] = {}
        for component in self.components:
            status = self.status[component.name]
            try:
                async with asyncio.timeout(STEP_TIMEOUT_S):
                    ok = status.state == "running" and await component.check()
            except Exception as exc:
                ok = False
                status.last_error = f"{type(exc).__name__}: {exc}"
            status.healthy = ok
            if ok:
                status.failed_attempts = 0
            elif self.running and time.monotonic() >= status.next_attempt:
                ok = await self.restart(component.name)
            results[component.name] = ok
        return results

    async def restart(self, name: str) -> bool:
        """Stop and start one component; return whether it is healthy afterwards."""
        component = self.by_name[name]
        status = self.status[name]
        log.warning("component_restarting", component=name, attempt=status.failed_attempts + 1)
        await self._stop_one(component)
        started = await self._start_one(component)
        ok = started and await component.check()
        status.healthy = ok
        status.restarts += 1
        if ok:
            status.failed_attempts = 0
            status.next_attempt = 0.0
        else:
            status.failed_attempts += 1
            delay = min(BACKOFF_BASE_S * 2 ** (status.failed_attempts - 1), BACKOFF_CAP_S)
            status.next_attempt = time.monotonic() + delay
        log.info("component_restarted", component=name, healthy=ok, restarts=status.restarts)
        if self.on_restart is not None:
            self.on_restart(name, ok, status.last_error)
        return ok

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self.health_check_interval)
            try:
                await self.check_all()
            except Exception as exc:  # the checker must outlive any one failure
                log.error("health_check_failed", error=f"{type(exc).__name__}: {exc}")
