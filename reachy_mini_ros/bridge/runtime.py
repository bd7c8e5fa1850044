"""Tie the bridge together: robot state, WebSocket hub, database, ROS link and components."""

from __future__ import annotations

import ctypes
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson
import psutil

from reachy_mini_ros.bridge.components import (
    ApiServerComponent,
    DatabaseComponent,
    Job,
    RosComponent,
    SchedulerComponent,
    WebSocketComponent,
)
from reachy_mini_ros.bridge.config import BridgeConfig
from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.bridge.metrics import Metrics
from reachy_mini_ros.bridge.motion import MoveEvent, MoveTracker
from reachy_mini_ros.bridge.outcomes import Outcome
from reachy_mini_ros.bridge.refusals import RefusalAudit
from reachy_mini_ros.bridge.security import TokenSource
from reachy_mini_ros.bridge.service_manager import ServiceManager
from reachy_mini_ros.bridge.state import LEVEL_NAMES, DiagnosticStatus, JointSample, RobotState
from reachy_mini_ros.bridge.ws import WsHub
from reachy_mini_ros.interface import moves
from reachy_mini_ros.interface.status import HARDWARE_NODE

if TYPE_CHECKING:
    import uvicorn

    from reachy_mini_ros.interface.moves import GotoRequest

log = get_logger("reachy_mini.bridge")

# REP-107 levels.
OK, WARN, ERROR, STALE = 0, 1, 2, 3
# Components whose loss makes the bridge unhealthy rather than degraded.
CRITICAL_COMPONENTS = frozenset({"ros", "api_server"})
# How long the process's memory and CPU figures of /system/status are reused.
PROCESS_STATS_PERIOD_S = 1.0
RETENTION_INTERVAL_S = 3600.0
# Seconds without /joint_states after which the open telemetry window is written out.
TELEMETRY_IDLE_S = 2.0
# glibc keeps freed memory of closed connections in its arenas; giving it back every 30 s
# keeps RSS near the working set after bursts of WebSocket clients.
MEMORY_TRIM_INTERVAL_S = 30.0


def _malloc_trim() -> Callable[[int], int] | None:
    """Return glibc's malloc_trim, or None on other C libraries."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
        return trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def trim_memory() -> None:
    """Return the C heap's free pages to the system."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class ServiceUnavailableError(RuntimeError):
    """A ROS service the command needs is not available."""


class RosLink(Protocol):
    """What the web side asks of the ROS node."""

    node_name: str

    async def send_joint_goals(self, goals: dict[str, float]) -> tuple[bool, str]:
        """Publish goal positions; return whether the hardware node accepted them, and why."""

    async def send_head_pose(
        self, x: float, y: float, z: float, roll: float, pitch: float, yaw: float
    ) -> tuple[bool, str]:
        """Publish a head pose goal; return whether the hardware node accepted it, and why."""

    async def set_torque(self, enabled: bool) -> tuple[bool, str]:
        """Call /reachy_mini/enable_torque; raise ServiceUnavailableError if it is absent."""

    async def send_goto(self, request: GotoRequest) -> Outcome:
        """Publish a goto stamped with a key of its own; return the hardware node's outcome."""

    async def call_move_service(self, service: str) -> tuple[bool, str]:
        """Call a move's Trigger service; raise ServiceUnavailableError if it is absent."""

    async def set_automatic_body_yaw(self, enabled: bool) -> tuple[bool, str]:
        """Set the hardware node's automatic_body_yaw parameter; return whether it took it."""

    def reset_subscriptions(self) -> None:
        """Recreate the subscriptions."""


class Bridge:
    """Everything one bridge process shares between its ROS thread and its web side."""

    def __init__(
        self,
        config: BridgeConfig,
        *,
        token: TokenSource | None = None,
        ros: RosLink | None = None,
    ) -> None:
        self.config = config
        self.token = token
        self.ros = ros
        self.state = RobotState()
        self.moves = MoveTracker()
        # Called with every move event, on the ROS thread (the vendor SDK's move updates).
        self.move_listeners: list[Callable[[MoveEvent], None]] = []
        self.metrics = Metrics()
        self.hub = WsHub(self.metrics, config.max_rate_hz)
        self.db: Any = None
        self.db_url = ""
        self.db_error: str | None = None
        self.aggregator: Any = None
        self.server: uvicorn.Server | None = None
        self.process = psutil.Process()
        self._process_stats: tuple[float, int, float] | None = None  # (at, rss, cpu %)
        # Called with every joint state, on the ROS thread (the app SDK's WebSocket).
        self.joint_listeners: list[Callable[[JointSample], None]] = []
        # Awaited when the server shuts down, after the /ws clients are told goodbye.
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
        self._diagnostic_levels: dict[str, int] = {}
        # Robot events that came before the database was opened (a flash at configure often
        # does), recorded by the next pending_events job.
        self._pending_events: list[dict[str, Any]] = []
        # Attempts without the token, audited in bounded space whatever their rate and size.
        self.refusals = RefusalAudit(self.emit_event)
        self.services = ServiceManager(
            [
                DatabaseComponent(self),
                RosComponent(ros, self.state, stale_after_s=config.stale_after_s),
                ApiServerComponent(self),
                WebSocketComponent(self.hub),
                SchedulerComponent(self.jobs()),
            ],
            health_check_interval=config.health_check_interval,
            on_restart=self._on_restart,
        )

    # -- database -------------------------------------------------------------------------

    def open_database(self) -> Any:
        """Create the Database object once (it connects in its own thread)."""
        if self.db is None:
            from reachy_mini_ros.db import Database, resolve_database_url

            self.db_url = resolve_database_url(self.config.database_url, self.config.data_dir)
            # Every event goes to a journal in the data directory before the database: an
            # accepted command stays in the audit log after a crash of the bridge.
            self.db = Database(self.db_url, journal_dir=Path(self.config.data_dir) / "journal")
            try:
                from reachy_mini_ros.db import TelemetryAggregator

                self.aggregator = TelemetryAggregator(self.db)
            except ImportError:
                self.aggregator = None
        return self.db

    def redacted_db_url(self) -> str:
        """Return the database URL with its password hidden."""
        from reachy_mini_ros.bridge.redact import redact_url

        if self.db_url:
            return redact_url(self.db_url)
        return redact_url(self.config.database_url) if self.config.database_url else ""

    # -- ROS thread -----------------------------------------------------------------------

    def on_joint_state(
        self,
        stamp: float,
        names: Sequence[str],
        position: Sequence[float],
        velocity: Sequence[float],
        effort: Sequence[float],
    ) -> None:
        """Take one /joint_states message (ROS thread)."""
        sample = self.state.update_joints(stamp, names, position, velocity, effort)
        self.hub.publish_threadsafe("joint_states", sample.frame_text)
        for listener in self.joint_listeners:
            listener(sample)
        aggregator = self.aggregator
        if aggregator is not None:
            aggregator.add(stamp, names, position)

    def on_diagnostics(self, stamp: float, statuses: Sequence[DiagnosticStatus]) -> None:
        """Take one /diagnostics array (ROS thread)."""
        frame = self.state.update_diagnostics(stamp, statuses)
        self.hub.publish_threadsafe("diagnostics", frame)

    def on_move_event(self, event: MoveEvent) -> None:
        """Take one move's start or end (ROS thread): running moves, `moves` channel, audit."""
        self.moves.on_event(event)
        for listener in list(self.move_listeners):
            listener(event)
        frame = orjson.dumps({"type": "moves", "data": event.frame_data()}).decode()
        self.hub.publish_threadsafe("moves", frame)
        if event.event not in moves.ENDS:
            return
        reason = f": {event.reason}" if event.reason else ""
        self.on_robot_event(
            level=event.level,
            source=HARDWARE_NODE,
            kind="move",
            message=f"{event.kind} {event.event}{reason}",
            details={
                "move_id": event.move_id,
                "move_kind": event.kind,
                "event": event.event,
                "reason": event.reason,
                "duration": event.duration,
            },
            at=event.time,
        )

    # -- events ---------------------------------------------------------------------------

    def emit_event(
        self,
        *,
        level: int,
        source: str,
        kind: str,
        message: str,
        details: dict[str, object] | None = None,
        at: float | None = None,
    ) -> None:
        """Record an event in the database and push it to WebSocket subscribers."""
        now = time.time() if at is None else at
        details = details or {}
        db = self.db
        if db is not None:
            db.record_event(
                level=level, source=source, kind=kind, message=message, details=details, time=now
            )
        frame = orjson.dumps(
            {
                "type": "events",
                "data": {
                    "time": now,
                    "level": level,
                    "source": source,
                    "kind": kind,
                    "message": message,
                    "details": details,
                },
            },
            default=str,
        ).decode()
        self.hub.publish_threadsafe("events", frame)

    def on_robot_event(
        self,
        *,
        level: int,
        source: str,
        kind: str,
        message: str,
        details: dict[str, object],
        at: float,
    ) -> None:
        """Take one event from /reachy_mini/events (ROS thread) for the audit log."""
        event: dict[str, Any] = {
            "level": level,
            "source": source,
            "kind": kind,
            "message": message,
            "details": details,
            "at": at,
        }
        if self.db is None:
            self._pending_events.append(event)
            return
        self.emit_event(**event)

    def record_pending_events(self) -> None:
        """Record the robot events kept while the database was not open yet."""
        if self.db is None or not self._pending_events:
            return
        pending, self._pending_events = self._pending_events, []
        for event in pending:
            self.emit_event(**event)

    def _on_restart(self, name: str, healthy: bool, error: str | None) -> None:
        self.metrics.restarts[name] += 1
        self.emit_event(
            level=OK if healthy else ERROR,
            source="bridge",
            kind="component",
            message=f"restarted {name}: {'healthy' if healthy else 'still unhealthy'}",
            details={"component": name, "healthy": healthy, "error": error},
        )

    # -- scheduler jobs -------------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """Return the scheduler's periodic jobs."""
        return [
            Job("diagnostic_levels", 1.0, self.record_diagnostic_level_changes),
            Job("pending_events", 1.0, self.record_pending_events),
            Job("refusal_summaries", 1.0, self.refusals.flush),
            Job("telemetry_flush", 1.0, self.flush_telemetry),
            Job("retention", RETENTION_INTERVAL_S, self.run_retention, blocking=True),
            Job("memory_trim", MEMORY_TRIM_INTERVAL_S, trim_memory),
        ]

    def record_diagnostic_level_changes(self) -> None:
        """Record an event for each diagnostic status whose level changed."""
        for name, status in self.state.diagnostics.statuses.items():
            previous = self._diagnostic_levels.get(name)
            if previous == status.level:
                continue
            self._diagnostic_levels[name] = status.level
            if previous is None and status.level == OK:
                continue
            before = LEVEL_NAMES.get(previous, "unknown") if previous is not None else "unseen"
            after = LEVEL_NAMES.get(status.level, str(status.level))
            self.emit_event(
                level=status.level,
                source=name,
                # An ERROR (a motor's hardware error, a lost bus) is a fault to look into.
                kind="fault" if status.level == ERROR else "diagnostic",
                message=f"{before} → {after}: {status.message}",
                details={"previous_level": previous, "values": dict(status.values)},
            )

    def flush_telemetry(self) -> None:
        """Emit the open telemetry window once /joint_states has stopped.

        While samples arrive, the aggregator closes each window by itself; without this, the
        last second before the stream stopped would wait for the next sample to be written.
        """
        aggregator = self.aggregator
        age = self.state.joint_state_age()
        if aggregator is not None and age is not None and age > TELEMETRY_IDLE_S:
            aggregator.flush()

    def run_retention(self) -> None:
        """Delete events and telemetry older than the configured ages."""
        db = self.db
        if db is None or not db.healthy:
            return
        deleted = db.run_retention(
            events_max_age_s=self.config.events_max_age_s,
            telemetry_max_age_s=self.config.telemetry_max_age_s,
        )
        if deleted:
            log.info("retention", deleted=deleted)

    # -- health ---------------------------------------------------------------------------

    def process_stats(self) -> tuple[int, float]:
        """Return (RSS bytes, CPU % since the previous reading) of this process.

        Read at most once per PROCESS_STATS_PERIOD_S: two psutil calls open and parse /proc
        files, which cost more than the rest of a status request; a dashboard or a monitor
        that polls faster gets the same numbers until they are a period old.
        """
        now = time.monotonic()
        cached = self._process_stats
        if cached is None or now - cached[0] >= PROCESS_STATS_PERIOD_S:
            with self.process.oneshot():
                rss = self.process.memory_info().rss
                cpu = self.process.cpu_percent(interval=None)
            cached = self._process_stats = (now, rss, cpu)
        return cached[1], cached[2]

    def components(self) -> dict[str, bool]:
        """Return {component: healthy}, with rust_bindings learnt from /diagnostics."""
        result = self.services.healthy()
        result["rust_bindings"] = self.state.rust_core_healthy(self.config.stale_after_s)
        return result

    def overall_status(self, components: dict[str, bool]) -> str:
        """Return healthy, degraded (a non-critical component down) or unhealthy."""
        if not all(components[name] for name in CRITICAL_COMPONENTS):
            return "unhealthy"
        return "healthy" if all(components.values()) else "degraded"
