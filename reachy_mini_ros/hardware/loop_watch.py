"""Restart a control loop that died while the hardware node is active, with capped backoff."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# Restarts of a dead control loop: the first 1 s after it died (4 diagnostics periods of
# 0.25 s, so that the failure is seen), then doubling up to 30 s; back to 1 s once a restarted
# loop has run for 60 s.
LOOP_RESTART_FIRST_S = 1.0
LOOP_RESTART_MAX_S = 30.0
LOOP_STABLE_S = 60.0
# How often the node checks that its loop runs: 0.25 s is 50 cycles at 200 Hz.
LOOP_WATCH_PERIOD_S = 0.25


class LoopWatch:
    """Remember why the loop died and when to restart it; restart it when that time comes."""

    def __init__(self) -> None:
        self.failure: str | None = None  # why the loop died, until it runs again
        self.last_failure: str | None = None  # kept after a restart, for diagnostics
        self.restarts = 0
        self.started_at = 0.0
        self._restart_delay = LOOP_RESTART_FIRST_S
        self._next_restart = 0.0

    def activated(self) -> None:
        """Start afresh: the loop was started by an activate."""
        self.failure = None
        self._restart_delay = LOOP_RESTART_FIRST_S

    def check(
        self,
        loop: Any,
        core_error: type[Exception],
        restore_torque: Callable[[], str | None],
        logger: Any,
    ) -> None:
        """Restart loop if it died and its delay has passed; log each attempt.

        restore_torque turns torque back on if the motors should hold it, and returns why it
        failed, or None when it succeeded or was not needed.
        """
        now = time.monotonic()
        if loop.running:
            if now - self.started_at > LOOP_STABLE_S:
                self._restart_delay = LOOP_RESTART_FIRST_S
            return
        if self.failure is None:
            self.failure = loop.exit_reason or "the loop thread ended"
            self.last_failure = self.failure
            self._next_restart = now + self._restart_delay
        if now < self._next_restart:
            return
        self.restarts += 1
        reason, attempt = self.failure, self.restarts
        try:
            loop.start()
        except core_error as exc:
            self._restart_delay = min(self._restart_delay * 2.0, LOOP_RESTART_MAX_S)
            self._next_restart = now + self._restart_delay
            logger.error(
                f"control loop stopped ({reason}); restart {attempt} failed: {exc}; "
                f"next attempt in {self._restart_delay:.0f} s"
            )
            return
        self.started_at = now
        self.failure = None
        self._restart_delay = min(self._restart_delay * 2.0, LOOP_RESTART_MAX_S)
        error = restore_torque()
        torque = "" if error is None else f"; {error}"
        logger.error(f"control loop stopped ({reason}); restart {attempt} succeeded{torque}")
