"""Plain records that cross the database boundary, and the vocabulary of events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# Levels are REP-107's diagnostic levels, so that diagnostics map onto events unchanged.
OK: Final = 0
WARN: Final = 1
ERROR: Final = 2
STALE: Final = 3
LEVELS: Final = (OK, WARN, ERROR, STALE)

KIND_DIAGNOSTIC: Final = "diagnostic"
KIND_COMPONENT: Final = "component"
KIND_FAULT: Final = "fault"
KIND_COMMAND: Final = "command"
KIND_SYSTEM: Final = "system"
KINDS: Final = (KIND_DIAGNOSTIC, KIND_COMPONENT, KIND_FAULT, KIND_COMMAND, KIND_SYSTEM)


class DatabaseUnavailable(RuntimeError):  # noqa: N818 (the agreed name)
    """The database cannot answer right now (down, unreachable or not migrated yet)."""


@dataclass(frozen=True)
class EventRecord:
    """One row of the event log: a level change, a state change, a fault or a command."""

    id: int
    time: float
    level: int
    source: str
    kind: str
    message: str
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TelemetryPoint:
    """Aggregate of one joint's positions over the window [start, end)."""

    joint: str
    start: float
    end: float
    count: int
    mean: float
    min: float
    max: float
    last: float
