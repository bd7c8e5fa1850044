"""Keep every event on local disk until the database holds it, so that a crash loses none.

`append` writes one JSON line with a single write(2) on a file opened O_APPEND, before the
record enters the in-memory queue (and so before a command is answered). The kernel then has
it: a killed bridge (SIGKILL, OOM killer, segfault) loses nothing, and at the next start the
writer replays whatever the database lacks. There is no fsync (it costs 2-20 ms on an SD card
per call): a power cut or a kernel crash can still lose the last few seconds of records that
the OS had not written back to disk yet (vm.dirty_expire_centisecs, 30 s by default).

Records go into segment files (journal-<sequence>.jsonl). The writer marks each stored record
done; a segment with nothing outstanding is emptied (the current one) or deleted (older ones),
so the journal stays as small as what the database has not acknowledged. A segment is rolled
over past SEGMENT_BYTES so that a long database outage never makes one file hold everything.

Each live process holds an exclusive flock on its segments: replay skips a locked file, so two
bridges sharing a data directory never take each other's records. Replay is idempotent because
every record keeps its uid, which the database stores at most once.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import structlog

log = structlog.get_logger("reachy_mini_ros.db.journal")

PREFIX = "journal-"
SUFFIX = ".jsonl"
# 4 MiB is about 10,000 command events: one file per couple of hours of 1 Hz commands while
# the database is down.
SEGMENT_BYTES = 4 * 1024 * 1024


class Journal:
    """Append-only segment files of records not yet known to be in the database."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Segments left by earlier processes, to be replayed, then deleted.
        self._leftover = sorted(self.directory.glob(f"{PREFIX}*{SUFFIX}"), key=_sequence)
        last = max((_sequence(path) for path in self._leftover), default=0)
        self._sequence = last
        # Open segments of this process: sequence -> (fd, records not stored yet).
        self._fds: dict[int, int] = {}
        self._outstanding: dict[int, int] = {}
        self._size = 0
        self._open_segment()

    @property
    def leftover(self) -> list[Path]:
        """Return the segment files of earlier processes, oldest first."""
        return list(self._leftover)

    def append(self, row: dict[str, Any]) -> int:
        """Write one record; return the segment's sequence, to pass to `done` once stored."""
        line = orjson.dumps(row, default=str) + b"\n"
        with self._lock:
            if self._size + len(line) > SEGMENT_BYTES and self._size:
                self._roll()
            sequence = self._sequence
            # One write(2) of the whole line on an O_APPEND file: it lands in the page cache
            # entire, never interleaved with another thread's line.
            os.write(self._fds[sequence], line)
            self._size += len(line)
            self._outstanding[sequence] += 1
            return sequence

    def done(self, sequences: list[int]) -> None:
        """Mark records as stored (or refused for good); drop segments with nothing left."""
        if not sequences:
            return
        with self._lock:
            for sequence in sequences:
                if sequence in self._outstanding:
                    self._outstanding[sequence] -= 1
            for sequence in [s for s, left in self._outstanding.items() if left <= 0]:
                if sequence == self._sequence:
                    if self._size:
                        # Emptied in place: appends after this go to offset 0 (O_APPEND).
                        os.ftruncate(self._fds[sequence], 0)
                        self._size = 0
                else:
                    self._close_segment(sequence, delete=True)

    def close(self) -> None:
        """Close every segment, keeping on disk what was not stored, for the next start."""
        with self._lock:
            for sequence in list(self._fds):
                empty = self._outstanding.get(sequence, 0) <= 0
                self._close_segment(sequence, delete=empty)

    def replay(self) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
        """Yield each leftover segment that no live process holds, with its records.

        The caller stores the records, then calls `forget` with the path.
        """
        for path in self._leftover:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # another live bridge writes it
                with os.fdopen(os.dup(fd), "rb") as file:
                    data = file.read()
            finally:
                os.close(fd)
            yield path, _records(path, data)

    def forget(self, path: Path) -> None:
        """Delete a replayed leftover segment."""
        path.unlink(missing_ok=True)
        self._leftover = [p for p in self._leftover if p != path]

    def _open_segment(self) -> None:
        """Start a new segment after the highest one on disk, locked for this process."""
        while True:
            self._sequence += 1
            path = self._path(self._sequence)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
            except FileExistsError:
                continue  # made by another process starting at the same time
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._fds[self._sequence] = fd
            self._outstanding[self._sequence] = 0
            self._size = 0
            return

    def _roll(self) -> None:
        """Seal the current segment (kept until its records are stored) and open the next."""
        self._open_segment()

    def _close_segment(self, sequence: int, *, delete: bool) -> None:
        fd = self._fds.pop(sequence)
        self._outstanding.pop(sequence, None)
        if delete:
            # Deleted while still locked, so that no other process replays it meanwhile.
            self._path(sequence).unlink(missing_ok=True)
        os.close(fd)

    def _path(self, sequence: int) -> Path:
        return self.directory / f"{PREFIX}{sequence:012d}{SUFFIX}"


def _sequence(path: Path) -> int:
    """Return the sequence number in a segment's name, 0 if it has none."""
    digits = path.name[len(PREFIX) : -len(SUFFIX)]
    return int(digits) if digits.isdigit() else 0


def _records(path: Path, data: bytes) -> list[dict[str, Any]]:
    """Return the records of a segment; a torn or corrupt line (power loss) is skipped."""
    records = []
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            log.warning("journal_line_unreadable", path=str(path), line=number)
            continue
        if isinstance(record, dict) and isinstance(record.get("uid"), str):
            records.append(record)
    return records
