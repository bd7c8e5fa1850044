"""Write events and telemetry from a background thread, and read them back.

Callers (ROS callbacks, HTTP handlers) only append to a bounded in-memory queue, which never
waits on the database. One writer thread drains it in batches. When the database is down the
writer keeps the failed batch and retries it with capped backoff, so that nothing recorded
while the queue had room is lost; a writer-made key per record keeps a retried batch from being
stored twice when a commit succeeded but its acknowledgement was lost.

With a journal directory, every event is also appended to a local journal before it is queued
(see journal.py): a crash of the process then loses no event, and the next start replays into
the database what it lacks.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import structlog
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from reachy_mini_ros.db import migrate, repository, retention
from reachy_mini_ros.db.errors import error_text, is_connection_error
from reachy_mini_ros.db.journal import Journal
from reachy_mini_ros.db.models import Event, Telemetry
from reachy_mini_ros.db.records import DatabaseUnavailable, EventRecord, TelemetryPoint
from reachy_mini_ros.db.rows import event_row, jsonable_event, telemetry_row
from reachy_mini_ros.db.session import create_db_engine, is_in_memory, session_factory
from reachy_mini_ros.db.url import normalize_url, redact_url
from reachy_mini_ros.db.write_queue import EVENT, TELEMETRY, Item, WriteQueue

log = structlog.get_logger("reachy_mini_ros.db")
T = TypeVar("T")

# Reconnect backoff: first retry after 0.2 s, doubling up to 2 s, so that a database that
# comes back is in use again within 2 s.
BACKOFF_INITIAL_S = 0.2
BACKOFF_MAX_S = 2.0
# With nothing to write, the writer still checks the database this often, so that `healthy`
# follows an outage even when the robot is quiet.
IDLE_PING_S = 5.0
# Key of a queued event row that holds its journal segment; removed before the insert.
JOURNAL_KEY = "_journal"


class Database:
    """Event log and telemetry store, written by a background thread through a bounded queue."""

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 10_000,
        batch_size: int = 500,
        flush_interval_s: float = 0.5,
        journal_dir: Path | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.queue_size = max(1, queue_size)
        self.batch_size = max(1, batch_size)
        self.flush_interval_s = max(0.0, flush_interval_s)
        self._engine: Engine = create_db_engine(self.url)
        self._sessions = session_factory(self._engine)
        # A SQLite file whose write permission was taken away still takes writes through the
        # descriptors SQLite already holds (it even reuses them for new connections), so the
        # file's mode is checked before each write.
        self._sqlite_path: str | None = None
        if self._engine.dialect.name == "sqlite" and not is_in_memory(self._engine.url):
            self._sqlite_path = self._engine.url.database
        self._queue = WriteQueue(self.queue_size, self.batch_size)
        self._wake = threading.Event()
        # Each writer thread gets its own stop flag, and holds _writer_lock while it runs: after
        # a stop that timed out, a restarted writer waits for the old one instead of racing it.
        self._stopping = threading.Event()
        self._writer_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready = False
        self._healthy = False
        self._last_error: str | None = None
        self._last_ok = 0.0
        self._down_logged = False
        self._uid_prefix = os.urandom(8).hex()
        self._uid_counter = itertools.count()
        # An in-memory database does not outlive the process: nothing to replay into.
        self._journal: Journal | None = None
        if journal_dir is not None and not is_in_memory(self._engine.url):
            self._journal = Journal(journal_dir)

    # --- state -----------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """Return whether the last round trip to the database succeeded (and it is migrated)."""
        return self._healthy

    @property
    def ready(self) -> bool:
        """Return whether the schema has been migrated since start."""
        return self._ready

    @property
    def dropped(self) -> int:
        """Return how many records were refused because the queue was full."""
        return self._queue.dropped

    @property
    def rejected(self) -> int:
        """Return how many records the database refused as invalid (never retried)."""
        return self._queue.rejected

    @property
    def queue_depth(self) -> int:
        """Return how many records wait to be written, including the batch being written."""
        return self._queue.depth

    @property
    def written(self) -> int:
        """Return how many records were written since start."""
        return self._queue.written

    @property
    def last_error(self) -> str | None:
        """Return the text of the last database error, None if there was none."""
        return self._last_error

    @property
    def backend(self) -> str:
        """Return the backend name: "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    @property
    def redacted_url(self) -> str:
        """Return the URL with its password hidden, fit for logs and the API."""
        return redact_url(self.url)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread, which connects and migrates, retrying until it can."""
        if self._thread is not None and self._thread.is_alive() and not self._stopping.is_set():
            return
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(self._stopping,), name="reachy-mini-db-writer", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Write what can be written within timeout_s, stop the thread and close connections."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("database_writer_still_running", timeout_s=timeout_s)
            self._thread = None
        left = self.queue_depth
        if left:
            log.warning("database_records_not_written", count=left, error=self._last_error)
        self._engine.dispose()

    def check(self) -> bool:
        """Write the heartbeat row now (SELECT 1 until migrated); update and return `healthy`.

        A read passes on a read-only database: only a committed write tells that the writer
        can store records.
        """
        try:
            with self._engine.begin() as connection:
                if self._ready:
                    self._check_writable()
                    repository.beat(connection, now=_now())
                else:
                    connection.execute(text("SELECT 1"))
        except Exception as exc:
            self._set_unhealthy(exc)
            return False
        self._last_ok = time.monotonic()
        if self._ready:
            self._set_healthy()
        return self._healthy

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every queued record is written; return False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.queue_depth:
            if time.monotonic() >= deadline or self._thread is None:
                return False
            self._wake.set()
            time.sleep(0.01)
        return True

    # --- recording (never blocks on the database) ------------------------------------------

    def record_event(
        self,
        *,
        level: int,
        source: str,
        kind: str,
        message: str,
        details: dict[str, object] | None = None,
        time: float | None = None,
    ) -> bool:
        """Queue one event; return False (and count it as dropped) when the queue is full."""
        row = event_row(
            uid=self._new_uid(),
            time=_now() if time is None else float(time),
            level=level,
            source=source,
            kind=kind,
            message=message,
            details=details,
        )
        if self._journal is not None:
            # On disk (in the kernel's cache) before the caller can answer anyone; a record the
            # full queue refuses stays in the journal and is replayed at the next start.
            row = jsonable_event(row)
            row[JOURNAL_KEY] = self._journal.append(row)
        return self._put(EVENT, row)

    def record_telemetry(self, point: TelemetryPoint) -> bool:
        """Queue one telemetry aggregate; return False (and count it) when the queue is full."""
        return self._put(TELEMETRY, telemetry_row(uid=self._new_uid(), point=point))

    def _new_uid(self) -> str:
        """Return a key unique to this record across processes and restarts."""
        return f"{self._uid_prefix}-{next(self._uid_counter)}"

    def _put(self, table: int, row: dict[str, Any]) -> bool:
        """Append to the queue unless it is full."""
        taken, full_batch = self._queue.put(table, row)
        if full_batch:
            self._wake.set()
        return taken

    # --- reading (callers' threads) --------------------------------------------------------

    def query_events(
        self,
        *,
        level: int | None = None,
        min_level: int | None = None,
        source: str | None = None,
        kind: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[EventRecord], int]:
        """Return one page of matching events, newest first, and the total number of matches."""
        return self._read(
            lambda session: repository.query_events(
                session,
                level=level,
                min_level=min_level,
                source=source,
                kind=kind,
                since=since,
                until=until,
                limit=limit,
                offset=offset,
            )
        )

    def query_telemetry(
        self,
        *,
        joint: str | None = None,
        since: float | None = None,
        until: float | None = None,
        max_points: int = 300,
    ) -> list[TelemetryPoint]:
        """Return telemetry in time order, downsampled to at most max_points per joint."""
        return self._read(
            lambda session: repository.query_telemetry(
                session, joint=joint, since=since, until=until, max_points=max_points
            )
        )

    def run_retention(self, *, events_max_age_s: float, telemetry_max_age_s: float) -> int:
        """Delete events and telemetry older than their maximum age; return the rows deleted."""
        now = _now()

        def delete(session: Session) -> int:
            return retention.delete_expired(
                session,
                now=now,
                events_max_age_s=events_max_age_s,
                telemetry_max_age_s=telemetry_max_age_s,
            )

        deleted = self._read(delete)
        if deleted:
            log.info("database_retention", deleted=deleted)
        return deleted

    def _read(self, work: Callable[[Session], T]) -> T:
        """Run work in a session; turn any database failure into DatabaseUnavailable."""
        if not self._ready:
            raise DatabaseUnavailable(f"database not ready: {self._last_error or 'connecting'}")
        try:
            with self._sessions() as session:
                result = work(session)
        except SQLAlchemyError as exc:
            if is_connection_error(exc):
                self._set_unhealthy(exc)
            raise DatabaseUnavailable(error_text(exc)) from exc
        self._last_ok = time.monotonic()
        return result

    # --- writer thread ---------------------------------------------------------------------

    def _run(self, stop: threading.Event) -> None:
        """Write until stop is set, as the only writer."""
        with self._writer_lock:
            while True:
                try:
                    self._write_until(stop)
                    return
                except Exception:
                    # A bug here must not end persistence silently for the rest of the run.
                    log.exception("database_writer_failed")
                    if stop.wait(BACKOFF_MAX_S):
                        return

    def _write_until(self, stop: threading.Event) -> None:
        """Connect and migrate, then write batches until stop is set and nothing is left."""
        delay = BACKOFF_INITIAL_S
        while True:
            stopping = stop.is_set()
            if not self._ready:
                if stopping:
                    break
                if not self._connect():
                    stop.wait(delay)
                    delay = min(delay * 2, BACKOFF_MAX_S)
                    continue
                delay = BACKOFF_INITIAL_S
            if not self._queue.batch:
                if stopping and not self._queue.waiting:
                    break
                if not stopping and self._queue.waiting < self.batch_size:
                    self._wake.wait(self.flush_interval_s)
                    self._wake.clear()
                self._queue.take_batch()
                if not self._queue.batch:
                    if time.monotonic() - self._last_ok > IDLE_PING_S:
                        self.check()
                    continue
            if self._write_batch():
                delay = BACKOFF_INITIAL_S
            elif stopping:
                break
            else:
                stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)

    def _connect(self) -> bool:
        """Check the connection and migrate; return whether the database is usable."""
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            migrate.upgrade(self._engine)
        except Exception as exc:
            self._set_unhealthy(exc)
            return False
        try:
            self._replay_journal()
        except Exception as exc:
            self._set_unhealthy(exc)
            return False
        self._ready = True
        self._last_ok = time.monotonic()
        self._set_healthy()
        log.info("database_ready", url=self.redacted_url, revision=migrate.HEAD_REVISION)
        return True

    def _replay_journal(self) -> None:
        """Store the records that earlier processes journaled, skipping those already stored."""
        journal = self._journal
        if journal is None:
            return
        for path, records in journal.replay():
            rows = [jsonable_event(_without_journal_key(row)) for row in records]
            stored = 0
            for start in range(0, len(rows), self.batch_size):
                chunk = rows[start : start + self.batch_size]
                try:
                    with self._sessions.begin() as session:
                        stored += repository.insert_ignoring_duplicates(
                            session, table=Event, rows=chunk
                        )
                except SQLAlchemyError as exc:
                    if is_connection_error(exc):
                        raise
                    stored += self._replay_one_by_one(chunk)
            journal.forget(path)
            log.info("journal_replayed", path=str(path), records=len(rows), stored=stored)

    def _replay_one_by_one(self, rows: list[dict[str, Any]]) -> int:
        """Store replayed rows one at a time, skipping those the database refuses."""
        stored = 0
        for row in rows:
            try:
                with self._sessions.begin() as session:
                    stored += repository.insert_ignoring_duplicates(
                        session, table=Event, rows=[row]
                    )
            except SQLAlchemyError as exc:
                if is_connection_error(exc):
                    raise
                log.warning("journal_record_rejected", error=error_text(exc), uid=row.get("uid"))
        return stored

    def _journal_done(self, items: list[Item]) -> None:
        """Tell the journal that these records are stored, or refused for good."""
        if self._journal is not None:
            self._journal.done(
                [row[JOURNAL_KEY] for table, row in items if table == EVENT and JOURNAL_KEY in row]
            )

    def _write_batch(self) -> bool:
        """Store the batch in one transaction; keep it for a retry when the database is down."""
        try:
            self._insert(self._queue.batch)
        except Exception as exc:
            if isinstance(exc, SQLAlchemyError) and is_connection_error(exc):
                self._set_unhealthy(exc)
                return False
            # The database refused some row: store the others one by one and drop the culprits,
            # so that one bad record cannot hold up the queue forever.
            log.warning(
                "database_batch_refused", error=error_text(exc), rows=len(self._queue.batch)
            )
            if not self._write_rows_one_by_one():
                return False
        self._journal_done(self._queue.batch)
        self._finish_batch()
        return True

    def _write_rows_one_by_one(self) -> bool:
        """Store each row of the batch alone; return False if the database went down."""
        queue = self._queue
        while queue.batch:
            try:
                self._insert(queue.batch[:1])
            except Exception as exc:
                if isinstance(exc, SQLAlchemyError) and is_connection_error(exc):
                    self._set_unhealthy(exc)
                    return False
                log.warning("database_record_rejected", error=error_text(exc))
                self._journal_done(queue.batch[:1])
                queue.drop_first(stored=False)
            else:
                self._journal_done(queue.batch[:1])
                queue.drop_first(stored=True)
        return True

    def _check_writable(self) -> None:
        """Raise OperationalError (retried, like an outage) if the SQLite file is read-only."""
        path = self._sqlite_path
        if path is not None and not os.access(path, os.W_OK):
            reason = sqlite3.OperationalError(f"attempt to write a readonly database: {path}")
            raise OperationalError("write", None, reason)

    def _insert(self, batch: list[Item]) -> None:
        """Insert the batch's events and telemetry in one transaction."""
        self._check_writable()
        events = [
            jsonable_event(_without_journal_key(row)) for table, row in batch if table == EVENT
        ]
        telemetry = [row for table, row in batch if table == TELEMETRY]
        with self._sessions.begin() as session:
            repository.insert_ignoring_duplicates(session, table=Event, rows=events)
            repository.insert_ignoring_duplicates(session, table=Telemetry, rows=telemetry)

    def _finish_batch(self) -> None:
        """Count the stored batch and mark the database healthy."""
        self._queue.finish_batch()
        self._last_ok = time.monotonic()
        self._set_healthy()

    def _set_healthy(self) -> None:
        """Mark the database healthy, logging the recovery once."""
        if not self._healthy:
            log.info("database_healthy", url=self.redacted_url, queued=self.queue_depth)
        self._healthy = True
        self._down_logged = False

    def _set_unhealthy(self, exc: BaseException) -> None:
        """Mark the database unhealthy with the error, logging the change once."""
        self._last_error = error_text(exc)
        if not self._down_logged:
            log.warning("database_unavailable", url=self.redacted_url, error=self._last_error)
            self._down_logged = True
        self._healthy = False


def _without_journal_key(row: dict[str, Any]) -> dict[str, Any]:
    """Return the row without the journal's bookkeeping key."""
    if JOURNAL_KEY not in row:
        return row
    return {key: value for key, value in row.items() if key != JOURNAL_KEY}


def _now() -> float:
    """Return the wall-clock time in seconds since the epoch."""
    return time.time()
