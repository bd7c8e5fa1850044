"""Match the hardware node's command results to the commands this bridge waits for.

Each joint or head pose command is stamped with a key of its own; the hardware node answers on
``/reachy_mini/command_results`` with that stamp (see interface/command_results.py), and the
waiting request gets whether the command was taken, and why not.

The stamp also sets the command's deadline (stamp + the hardware node's command_deadline_s,
see interface/command_results.py): the bridge stamps each command so that its deadline is
the moment the bridge gives up on it, RESULT_WAIT_S after it was sent. A command answered
504 has therefore expired, and the hardware node drops it if it ever gets it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from reachy_mini_ros.interface import command_results

# Seconds after which a joint or head pose command expires unless the hardware node took it
# (its outcome comes within milliseconds).
RESULT_WAIT_S = 1.0
# Seconds the answer waits beyond the deadline: an outcome decided just before the deadline
# is on its way for a few milliseconds; 250 ms covers a loaded machine.
RESULT_TRANSIT_S = 0.25


def _stamp_key(nanoseconds: int) -> str:
    return command_results.stamp_text(*divmod(nanoseconds, 1_000_000_000))


class Outcomes:
    """The commands awaiting their outcome, shared by the web side and the ROS thread."""

    def __init__(self) -> None:
        # Outcomes awaited by the web side, by (command, stamp): its loop and future.
        self._awaiting: dict[tuple[str, str], tuple[Any, asyncio.Future[tuple[bool, str]]]] = {}
        self._awaiting_lock = threading.Lock()

    async def publish_and_wait(
        self,
        command: str,
        publisher: Any,
        msg: Any,
        *,
        now_ns: Callable[[], int],
        deadline_s: float = command_results.DEFAULT_DEADLINE_S,
    ) -> tuple[bool, str]:
        """Stamp msg with a key and deadline of its own, publish it and wait for its outcome.

        deadline_s is the hardware node's command_deadline_s: the stamp is set so that the
        command expires RESULT_WAIT_S from now. Raises TimeoutError when the outcome does not
        come by then (plus RESULT_TRANSIT_S).
        """
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[tuple[bool, str]] = loop.create_future()
        with self._awaiting_lock:
            # The stamp names the command: one not awaited already.
            nanoseconds = now_ns() + round((RESULT_WAIT_S - deadline_s) * 1e9)
            while (command, _stamp_key(nanoseconds)) in self._awaiting:
                nanoseconds += 1
            key = (command, _stamp_key(nanoseconds))
            self._awaiting[key] = (loop, outcome)
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(nanoseconds, 1_000_000_000)
        try:
            publisher.publish(msg)
            async with asyncio.timeout(RESULT_WAIT_S + RESULT_TRANSIT_S):
                return await outcome
        finally:
            with self._awaiting_lock:
                del self._awaiting[key]

    def on_result(self, msg: Any) -> None:
        """Settle the command that msg answers, if this bridge sent it (ROS thread)."""
        stamp = next((v.value for v in msg.values if v.key == command_results.STAMP_KEY), "")
        with self._awaiting_lock:
            awaiting = self._awaiting.get((msg.name, stamp))
        if awaiting is None:
            return  # another sender's command
        loop, outcome = awaiting
        level = int.from_bytes(msg.level, "little") if isinstance(msg.level, bytes) else msg.level
        result = (level == 0, str(msg.message))

        def settle() -> None:
            if not outcome.done():
                outcome.set_result(result)

        loop.call_soon_threadsafe(settle)
