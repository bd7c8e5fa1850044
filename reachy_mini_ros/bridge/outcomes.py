"""Match the hardware node's command results to the commands this bridge waits for.

Each command is stamped with a key of its own; the hardware node answers on
``/reachy_mini/command_results`` with that stamp (see interface/command_results.py), and the
waiting request gets whether the command was taken, why not, and the result's other values (a
goto's move id). A joint or head pose command carries its key in its header stamp; a goto,
which is a JSON text, in its ``stamp`` field (interface/moves.py), in the same text form.

The stamp also sets the command's deadline (stamp + the hardware node's command_deadline_s,
see interface/command_results.py): the bridge stamps each command so that its deadline is
the moment the bridge gives up on it, RESULT_WAIT_S after it was sent. A command answered
504 has therefore expired, and the hardware node drops it if it ever gets it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reachy_mini_ros.interface import command_results

# Seconds after which a command expires unless the hardware node took it (its outcome comes
# within milliseconds).
RESULT_WAIT_S = 1.0
# Seconds the answer waits beyond the deadline: an outcome decided just before the deadline
# is on its way for a few milliseconds; 250 ms covers a loaded machine.
RESULT_TRANSIT_S = 0.25


@dataclass(frozen=True)
class Outcome:
    """How the hardware node took one command."""

    accepted: bool
    message: str
    # The result's values besides the stamp (a goto's move_id).
    values: dict[str, str] = field(default_factory=dict)


def stamp_key(nanoseconds: int) -> str:
    """Return the key of a command stamped at nanoseconds (ROS time)."""
    return command_results.stamp_text(*divmod(nanoseconds, 1_000_000_000))


def header_stamped(msg: Any) -> Callable[[str, int], Any]:
    """Return a builder that sets msg's header stamp to the command's stamp and returns msg."""

    def build(key: str, nanoseconds: int) -> Any:
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(nanoseconds, 1_000_000_000)
        return msg

    return build


def level_of(msg: Any) -> int:
    """Return a DiagnosticStatus's level as an int (rclpy gives it as one byte)."""
    level = msg.level
    return int.from_bytes(level, "little") if isinstance(level, bytes) else int(level)


class Outcomes:
    """The commands awaiting their outcome, shared by the web side and the ROS thread."""

    def __init__(self) -> None:
        # Outcomes awaited by the web side, by (command, stamp): its loop and future.
        self._awaiting: dict[tuple[str, str], tuple[Any, asyncio.Future[Outcome]]] = {}
        self._awaiting_lock = threading.Lock()

    async def publish_and_wait(
        self,
        command: str,
        publisher: Any,
        build: Callable[[str, int], Any],
        *,
        now_ns: Callable[[], int],
        deadline_s: float = command_results.DEFAULT_DEADLINE_S,
    ) -> Outcome:
        """Stamp a command with a key and deadline of its own, publish it and wait for its outcome.

        build(key, nanoseconds) returns the message carrying that stamp: header_stamped(msg)
        for a message with a header, or a goto text whose stamp field is key. deadline_s is
        the hardware node's command_deadline_s: the stamp is set so that the command expires
        RESULT_WAIT_S from now. Raises TimeoutError when the outcome does not come by then
        (plus RESULT_TRANSIT_S).
        """
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[Outcome] = loop.create_future()
        with self._awaiting_lock:
            # The stamp names the command: one not awaited already.
            nanoseconds = now_ns() + round((RESULT_WAIT_S - deadline_s) * 1e9)
            while (command, stamp_key(nanoseconds)) in self._awaiting:
                nanoseconds += 1
            key = (command, stamp_key(nanoseconds))
            self._awaiting[key] = (loop, outcome)
        try:
            publisher.publish(build(key[1], nanoseconds))
            async with asyncio.timeout(RESULT_WAIT_S + RESULT_TRANSIT_S):
                return await outcome
        finally:
            with self._awaiting_lock:
                del self._awaiting[key]

    def on_result(self, msg: Any) -> None:
        """Settle the command that msg answers, if this bridge sent it (ROS thread)."""
        values = {v.key: v.value for v in msg.values}
        stamp = values.pop(command_results.STAMP_KEY, "")
        with self._awaiting_lock:
            awaiting = self._awaiting.get((msg.name, stamp))
        if awaiting is None:
            return  # another sender's command
        loop, outcome = awaiting
        result = Outcome(level_of(msg) == 0, str(msg.message), values)

        def settle() -> None:
            if not outcome.done():
                outcome.set_result(result)

        loop.call_soon_threadsafe(settle)
