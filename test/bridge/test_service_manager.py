"""The service manager: ordered start and stop, status, and restarts with backoff."""

from __future__ import annotations

import asyncio

from reachy_mini_ros.bridge import service_manager
from reachy_mini_ros.bridge.service_manager import Component, ServiceManager


class Switch(Component):
    """A component whose health the test sets, and which logs its transitions."""

    def __init__(self, name: str, journal: list[str], *, fail_start: bool = False) -> None:
        self.name = name
        self.journal = journal
        self.fail_start = fail_start
        self.up = False
        self.broken = False

    async def start(self) -> None:
        self.journal.append(f"start {self.name}")
        if self.fail_start:
            raise OSError("port in use")
        self.up = True

    async def stop(self) -> None:
        self.journal.append(f"stop {self.name}")
        self.up = False

    @property
    def healthy(self) -> bool:
        return self.up and not self.broken


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_components_start_in_order_and_stop_in_reverse() -> None:
    journal: list[str] = []
    names = ["database", "ros", "api_server", "websocket", "scheduler"]
    manager = ServiceManager([Switch(n, journal) for n in names], health_check_interval=60)

    async def scenario() -> None:
        await manager.start()
        assert manager.running
        assert all(manager.healthy().values())
        assert all(s.start_duration_s is not None for s in manager.status.values())
        await manager.stop()

    run(scenario())
    assert journal == [f"start {n}" for n in names] + [f"stop {n}" for n in reversed(names)]
    assert not any(manager.healthy().values())


def test_a_component_that_fails_to_start_is_reported_and_the_others_start() -> None:
    journal: list[str] = []
    manager = ServiceManager(
        [Switch("database", journal, fail_start=True), Switch("ros", journal)],
        health_check_interval=60,
    )

    async def scenario() -> None:
        await manager.start()
        await manager.stop()

    run(scenario())
    assert manager.status["database"].last_error == "OSError: port in use"
    assert "start ros" in journal


def test_unhealthy_component_is_restarted_and_the_restart_recorded() -> None:
    journal: list[str] = []
    restarts: list[tuple[str, bool]] = []
    ros = Switch("ros", journal)
    manager = ServiceManager(
        [ros],
        health_check_interval=60,
        on_restart=lambda name, ok, error: restarts.append((name, ok)),
    )

    async def scenario() -> None:
        await manager.start()
        ros.up = False
        results = await manager.check_all()
        await manager.stop()
        assert results == {"ros": True}

    run(scenario())
    assert journal == ["start ros", "stop ros", "start ros", "stop ros"]
    assert restarts == [("ros", True)]
    assert manager.status["ros"].restarts == 1


def test_restarts_back_off_exponentially_up_to_the_cap(monkeypatch: object) -> None:
    journal: list[str] = []
    db = Switch("database", journal)
    manager = ServiceManager([db], health_check_interval=60)
    now = [1000.0]
    monkeypatch.setattr(service_manager.time, "monotonic", lambda: now[0])  # type: ignore[attr-defined]

    async def scenario() -> list[float]:
        await manager.start()
        db.broken = True
        delays = []
        for _ in range(12):
            await manager.check_all()
            status = manager.status["database"]
            delays.append(status.next_attempt - now[0])
            # A check before the backoff has passed does not restart.
            count = status.restarts
            await manager.check_all()
            assert status.restarts == count
            now[0] = status.next_attempt
        await manager.stop()
        return delays

    delays = run(scenario())
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(delays) == service_manager.BACKOFF_CAP_S  # type: ignore[type-var]


def test_health_checker_runs_every_interval() -> None:
    journal: list[str] = []
    ros = Switch("ros", journal)
    manager = ServiceManager([ros], health_check_interval=0.05)

    async def scenario() -> None:
        await manager.start()
        ros.up = False
        for _ in range(100):
            await asyncio.sleep(0.05)
            if manager.status["ros"].restarts:
                break
        await manager.stop()

    run(scenario())
    assert manager.status["ros"].restarts >= 1
