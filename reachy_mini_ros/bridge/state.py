"""Keep the latest robot state seen on DDS, readable from the web side without locks.

The ROS thread replaces whole immutable snapshots; the asyncio side reads the current reference.
A reference assignment is atomic in CPython, so no lock is ever held across an await.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import orjson

from reachy_mini_ros.interface.status import RUST_CORE_STATUS

LEVEL_NAMES = {0: "ok", 1: "warn", 2: "error", 3: "stale"}


def _finite(values: Sequence[float]) -> list[float | None]:
    """Return values as a list, with NaN and infinities as None (JSON has no NaN)."""
    return [v if math.isfinite(v) else None for v in values]


class JointSample:
    """One /joint_states message, as read: its JSON forms are made once, when first needed.

    The ROS thread makes one per sample at up to 200 Hz, and most are never read: the lists
    with NaN as None and the WebSocket frame are built only for the samples that a route, a
    client or the head pose asks for. Treat it as immutable.
    """

    def __init__(
        self,
        stamp: float,
        seq: int,
        name: tuple[str, ...],
        position: Sequence[float],
        velocity: Sequence[float],
        effort: Sequence[float],
        received_mono: float,
    ) -> None:
        self.stamp = stamp
        self.seq = seq
        self.name = name
        self.received_mono = received_mono
        self._read = (position, velocity, effort)

    @cached_property
    def position(self) -> list[float | None]:
        """Positions (rad), a non-finite one as None."""
        return _finite(self._read[0])

    @cached_property
    def velocity(self) -> list[float | None]:
        """Velocities (rad/s), a non-finite one as None."""
        return _finite(self._read[1])

    @cached_property
    def effort(self) -> list[float | None]:
        """Efforts (N·m), a non-finite one as None."""
        return _finite(self._read[2])

    @cached_property
    def frame(self) -> str:
        """The ``joint_states`` frame of this sample (JSON text)."""
        return orjson.dumps(
            {
                "type": "joint_states",
                "data": {
                    "stamp": self.stamp,
                    "seq": self.seq,
                    "name": list(self.name),
                    "position": self.position,
                    "velocity": self.velocity,
                    "effort": self.effort,
                },
            }
        ).decode()

    def frame_text(self) -> str:
        """Return frame (a callable a hub can keep instead of the text)."""
        return self.frame

    def positions_by_name(self) -> dict[str, float | None]:
        """Return {joint name: position}."""
        return dict(zip(self.name, self.position, strict=False))


@dataclass(frozen=True)
class DiagnosticStatus:
    """One status of a /diagnostics array."""

    name: str
    level: int
    message: str
    hardware_id: str
    values: dict[str, str]
    received: float


@dataclass(frozen=True)
class DiagnosticsSnapshot:
    """The latest status of every name seen on /diagnostics."""

    stamp: float = 0.0
    received_mono: float = 0.0
    statuses: dict[str, DiagnosticStatus] = field(default_factory=dict)
    frame: str = ""


class RateMeter:
    """Measure an arrival rate over windows of about one second."""

    def __init__(self, window_s: float = 1.0) -> None:
        self._window_s = window_s
        self._start: float | None = None
        self._count = 0
        self.rate_hz = 0.0

    def tick(self, now: float) -> None:
        """Count one arrival at monotonic time now."""
        if self._start is None:
            self._start = now
            return
        self._count += 1
        elapsed = now - self._start
        if elapsed >= self._window_s:
            self.rate_hz = self._count / elapsed
            self._count = 0
            self._start = now


class RobotState:
    """The latest joint states and diagnostics, written by the ROS thread."""

    def __init__(self) -> None:
        self.joints: JointSample | None = None
        self.diagnostics = DiagnosticsSnapshot()
        self.joint_rate = RateMeter()
        self.diagnostics_rate = RateMeter(window_s=5.0)
        self._seq = 0

    def update_joints(
        self,
        stamp: float,
        names: Sequence[str],
        position: Sequence[float],
        velocity: Sequence[float],
        effort: Sequence[float],
    ) -> JointSample:
        """Store one joint state message (its frame is serialised only if a client gets it)."""
        now = time.monotonic()
        self._seq += 1
        names = names if isinstance(names, tuple) else tuple(names)
        sample = JointSample(stamp, self._seq, names, position, velocity, effort, now)
        self.joints = sample
        self.joint_rate.tick(now)
        return sample

    def update_diagnostics(self, stamp: float, statuses: Sequence[DiagnosticStatus]) -> str:
        """Merge one /diagnostics array into the snapshot and return its WebSocket frame."""
        now = time.monotonic()
        merged = dict(self.diagnostics.statuses)
        for status in statuses:
            merged[status.name] = status
        frame = orjson.dumps(
            {
                "type": "diagnostics",
                "data": {
                    "stamp": stamp,
                    "status": [
                        {
                            "name": s.name,
                            "level": s.level,
                            "message": s.message,
                            "hardware_id": s.hardware_id,
                            "values": s.values,
                        }
                        for s in statuses
                    ],
                },
            }
        ).decode()
        self.diagnostics = DiagnosticsSnapshot(stamp, now, merged, frame)
        self.diagnostics_rate.tick(now)
        return frame

    def joint_state_age(self, now: float | None = None) -> float | None:
        """Return seconds since the last /joint_states message, or None if none came."""
        sample = self.joints
        if sample is None:
            return None
        return (time.monotonic() if now is None else now) - sample.received_mono

    def diagnostics_age(self, now: float | None = None) -> float | None:
        """Return seconds since the last /diagnostics message, or None if none came."""
        snapshot = self.diagnostics
        if not snapshot.received_mono:
            return None
        return (time.monotonic() if now is None else now) - snapshot.received_mono

    def rust_core(self, stale_after_s: float) -> DiagnosticStatus | None:
        """Return the hardware node's Rust core status if it was seen in the last seconds."""
        status = self.diagnostics.statuses.get(RUST_CORE_STATUS)
        if status is None or time.time() - status.received > stale_after_s:
            return None
        return status

    def rust_core_healthy(self, stale_after_s: float) -> bool:
        """Return True while a fresh Rust core status with level OK is seen."""
        status = self.rust_core(stale_after_s)
        return status is not None and status.level == 0

    def diagnostics_summary(self) -> dict[str, int]:
        """Count the latest statuses by level name."""
        summary = dict.fromkeys(LEVEL_NAMES.values(), 0)
        for status in self.diagnostics.statuses.values():
            key = LEVEL_NAMES.get(status.level, "error")
            summary[key] += 1
        return summary

    def body_yaw(self) -> float:
        """Return the latest yaw_body position, 0 when unknown."""
        sample = self.joints
        if sample is None:
            return 0.0
        value = sample.positions_by_name().get("yaw_body")
        return float(value) if value is not None else 0.0
