"""Hold the records waiting to be written: a bounded queue and the batch being written.

Callers' threads only append; the writer thread alone takes and finishes batches. A full
queue refuses a record (and counts it) rather than make its caller wait.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

# Which table a queued row goes to.
EVENT = 0
TELEMETRY = 1

Item = tuple[int, dict[str, Any]]


class WriteQueue:
    """Bounded queue of (table, row) items, with the batch that the writer is storing."""

    def __init__(self, size: int, batch_size: int) -> None:
        self.size = size
        self.batch_size = batch_size
        self._items: deque[Item] = deque()
        self._lock = threading.Lock()
        # The batch the writer is trying to store; only the writer thread touches it.
        self.batch: list[Item] = []
        self._batch_len = 0
        self.dropped = 0
        self.rejected = 0
        self.written = 0

    @property
    def depth(self) -> int:
        """Return how many records wait to be written, including the batch being written."""
        with self._lock:
            return len(self._items) + self._batch_len

    @property
    def waiting(self) -> int:
        """Return how many records wait in the queue, outside the batch (writer thread)."""
        return len(self._items)

    def put(self, table: int, row: dict[str, Any]) -> tuple[bool, bool]:
        """Append unless full; return whether it was taken and whether a batch is now full."""
        with self._lock:
            if len(self._items) >= self.size:
                self.dropped += 1
                return False, False
            self._items.append((table, row))
            return True, len(self._items) >= self.batch_size

    def take_batch(self) -> None:
        """Move up to batch_size records from the queue into the batch."""
        with self._lock:
            count = min(self.batch_size, len(self._items))
            self.batch = [self._items.popleft() for _ in range(count)]
            self._batch_len = count

    def drop_first(self, *, stored: bool) -> None:
        """Remove the batch's first row, counted as stored or as rejected by the database."""
        with self._lock:
            if stored:
                self.written += 1
            else:
                self.rejected += 1
            self.batch.pop(0)
            self._batch_len = len(self.batch)

    def finish_batch(self) -> None:
        """Count the whole batch as stored and empty it."""
        with self._lock:
            self.written += len(self.batch)
            self.batch = []
            self._batch_len = 0
