"""Follow the robot's moves from the hardware node's move events (interface/moves.py).

Every move's start and end comes on ``/reachy_mini/command_results`` as a result named
``move``; the bridge keeps the moves that have started and not ended, for
``GET /api/moves/running`` and the dashboard's progress bar, and passes each event on to the
WebSocket's ``moves`` channel and, for the ends, to the audit log.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from reachy_mini_ros.interface import moves

# A move whose end event never came (the hardware node died during it) is dropped from the
# running moves this long after its duration ran out.
END_GRACE_S = 5.0


class MoveEventError(ValueError):
    """A move event whose values are not those of the contract."""


@dataclass(frozen=True)
class MoveEvent:
    """One move's start or end, as the hardware node reported it."""

    move_id: str
    kind: str
    event: str
    reason: str
    duration: float
    time: float
    level: int

    def frame_data(self) -> dict[str, Any]:
        """Return the data of the WebSocket `moves` frame."""
        return {
            "move_id": self.move_id,
            "kind": self.kind,
            "event": self.event,
            "reason": self.reason,
            "duration": self.duration,
            "time": self.time,
        }


def _seconds(values: dict[str, str], key: str) -> float:
    try:
        number = float(values[key])
    except KeyError as exc:
        raise MoveEventError(f"move event without {key}") from exc
    except ValueError as exc:
        raise MoveEventError(f"move event {key} {values[key]!r} is not a number") from exc
    if not math.isfinite(number) or number < 0.0:
        raise MoveEventError(f"move event {key} {values[key]!r} is not a time")
    return number


def parse_move_event(level: int, message: str, values: dict[str, str]) -> MoveEvent:
    """Read a `move` command result; raise MoveEventError saying what is wrong with it."""
    move_id = values.get(moves.MOVE_ID_KEY, "")
    if not move_id or len(move_id) > moves.MAX_ID_LENGTH:
        raise MoveEventError(f"move event move_id {move_id!r} is not a move id")
    kind = values.get(moves.KIND_KEY, "")
    if kind not in moves.KINDS:
        raise MoveEventError(f"move event kind {kind!r} is not one of {', '.join(moves.KINDS)}")
    event = values.get(moves.EVENT_KEY, "")
    if event not in moves.EVENTS:
        raise MoveEventError(f"move event event {event!r} is not one of {', '.join(moves.EVENTS)}")
    # The hardware node puts the event's name in the message when there is no reason (and
    # for a start or a completion, which have none).
    reason = message if event in (moves.CANCELLED, moves.FAILED) and message != event else ""
    return MoveEvent(
        move_id=move_id,
        kind=kind,
        event=event,
        reason=reason,
        duration=_seconds(values, moves.DURATION_KEY),
        time=_seconds(values, moves.TIME_KEY),
        level=level,
    )


@dataclass(frozen=True)
class RunningMove:
    """A move that has started and not ended."""

    move_id: str
    kind: str
    started: float
    duration: float
    # time.monotonic() when the bridge learnt of the start: elapsed is measured on the
    # bridge's own clock, whatever the robot's wall clock says.
    seen_mono: float


class MoveTracker:
    """The running moves, updated from the ROS thread and read from the web side."""

    def __init__(self) -> None:
        self._running: dict[str, RunningMove] = {}
        self._lock = threading.Lock()

    def on_event(self, event: MoveEvent, now_mono: float | None = None) -> None:
        """Take one move event."""
        now = time.monotonic() if now_mono is None else now_mono
        with self._lock:
            if event.event == moves.STARTED:
                self._running[event.move_id] = RunningMove(
                    move_id=event.move_id,
                    kind=event.kind,
                    started=event.time,
                    duration=event.duration,
                    seen_mono=now,
                )
            else:
                self._running.pop(event.move_id, None)

    def running(self, now_mono: float | None = None) -> list[dict[str, Any]]:
        """Return the running moves, oldest first: move_id, kind, started, duration, elapsed."""
        now = time.monotonic() if now_mono is None else now_mono
        with self._lock:
            for move in list(self._running.values()):
                if now - move.seen_mono > move.duration + END_GRACE_S:
                    del self._running[move.move_id]
            present = sorted(self._running.values(), key=lambda m: m.seen_mono)
        return [
            {
                "move_id": move.move_id,
                "kind": move.kind,
                "started": move.started,
                "duration": move.duration,
                "elapsed": round(min(max(now - move.seen_mono, 0.0), move.duration), 3),
            }
            for move in present
        ]

    def ids(self) -> set[str]:
        """Return the ids of the running moves."""
        return {move["move_id"] for move in self.running()}
