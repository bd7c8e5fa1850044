"""Audit refused command attempts (no or wrong token) in bounded space.

Anyone who reaches the port can make attempts, as fast and as large as they like, so their
audit must not grow with them:
- every field an attempt brings (the command name, the path) is cut to FIELD_CHARS;
- per peer and channel, the first refusal of an interval is written at once, and the others
  of that interval become one summary row with their count, written when it ends. A peer
  that never stops makes at most two rows per INTERVAL_S, about 1 KB.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Long enough for any real command name or route (the longest is 24 characters).
FIELD_CHARS = 100
# A flood of 1,000 attempts per second from one peer costs 2 rows per 10 s.
INTERVAL_S = 10.0
# Distinct names or paths kept in a summary row.
SUMMARY_TARGETS = 5
# Peers tracked at once; the rest share one entry, so that spoofed or many source addresses
# cannot grow this table either.
MAX_PEERS = 256
OTHER_PEERS = "other"
# REP-107 WARN, as for every refused command.
WARN = 1


def cut(value: object, limit: int = FIELD_CHARS) -> str:
    """Return value as text of at most limit characters, marking a cut with an ellipsis."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Window:
    """Refusals of one peer on one channel since the row that opened the interval."""

    started: float
    count: int = 0
    targets: list[str] = field(default_factory=list)


Emit = Callable[..., None]


class RefusalAudit:
    """Write refused attempts to the audit log, cut and aggregated per peer and interval."""

    def __init__(self, emit: Emit, *, interval_s: float = INTERVAL_S) -> None:
        self.emit = emit
        self.interval_s = interval_s
        self._windows: dict[tuple[str, str], _Window] = {}
        # Intervals that ended with refusals not yet reported, written by the next flush.
        self._ended: list[tuple[tuple[str, str], _Window]] = []
        # Refusals come from the event loop (WebSocket) and from the thread pool (HTTP).
        self._lock = threading.Lock()

    def refuse(
        self,
        *,
        source: str,
        peer: str | None,
        field_name: str,
        target: object,
        error: str = "unauthorized",
        reason: str = "missing or wrong token",
    ) -> None:
        """Audit one refused attempt on channel source (api, ws) by peer at target."""
        now = time.monotonic()
        peer_text = cut(peer or "unknown", 64)
        shown = cut(target)
        with self._lock:
            self._close_expired(now)
            key = (source, peer_text)
            if key not in self._windows and len(self._windows) >= MAX_PEERS:
                key = (source, OTHER_PEERS)
            window = self._windows.get(key)
            if window is not None:
                window.count += 1
                if shown not in window.targets and len(window.targets) < SUMMARY_TARGETS:
                    window.targets.append(shown)
                return
            self._windows[key] = _Window(started=now)
        self.emit(
            level=WARN,
            source=source,
            kind="command",
            message=f"refused {shown!r} from {peer_text}: {reason}",
            details={
                field_name: shown,
                "peer": peer_text,
                "count": 1,
                "accepted": False,
                "error": error,
            },
        )

    def flush(self) -> None:
        """Write the summary of every interval that has ended (a periodic job)."""
        with self._lock:
            self._close_expired(time.monotonic())
            ended, self._ended = self._ended, []
        for (source, peer), window in ended:
            self._emit_summary(source, peer, window)

    def _close_expired(self, now: float) -> None:
        """Move the intervals that have ended, with refusals to report, to the ended list."""
        expired = [k for k, w in self._windows.items() if now - w.started >= self.interval_s]
        for key in expired:
            window = self._windows.pop(key)
            if window.count:
                self._ended.append((key, window))

    def _emit_summary(self, source: str, peer: str, window: _Window) -> None:
        field_name = "paths" if source == "api" else "commands"
        self.emit(
            level=WARN,
            source=source,
            kind="command",
            message=(
                f"refused {window.count} more attempt(s) from {peer} in "
                f"{self.interval_s:g} s: missing or wrong token"
            ),
            details={
                field_name: list(window.targets),
                "peer": peer,
                "count": window.count,
                "accepted": False,
                "error": "unauthorized",
            },
        )
