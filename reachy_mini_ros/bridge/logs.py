"""Configure structured JSON logs: one line per event to stdout and to a rotating file."""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

import structlog

# 10 MB × 5 files keeps a few days of request lines at dashboard polling rates.
LOG_FILE_MAX_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5
LOG_FILE_NAME = "bridge.log"


class SizeRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler that rolls over on the file's size alone.

    The standard one formats every record twice (once only to measure it) and stats the path
    for every record: a third of the cost of a request's log line. This one rolls over before
    a record once the file has reached maxBytes, so a file ends at most one line past it.
    """

    def __init__(self, filename: Path, max_bytes: int, backup_count: int) -> None:
        super().__init__(filename, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
        # Checked once: a path that is not a regular file (such as /dev/null) never rotates.
        self._regular = not os.path.exists(filename) or os.path.isfile(filename)

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802 - stdlib name
        """Return whether the file has reached maxBytes."""
        if self.stream is None:
            self.stream = self._open()
        return self._regular and self.maxBytes > 0 and self.stream.tell() >= self.maxBytes


def configure_logging(log_dir: Path | None, *, debug: bool = False) -> Path | None:
    """Send structlog and stdlib records as JSON lines to stdout and log_dir; return the file."""
    level = logging.DEBUG if debug else logging.INFO
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(formatter)
    root.addHandler(stream)
    log_file: Path | None = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / LOG_FILE_NAME
        rotating = SizeRotatingFileHandler(log_file, LOG_FILE_MAX_BYTES, LOG_FILE_BACKUPS)
        rotating.setFormatter(formatter)
        root.addHandler(rotating)
    root.setLevel(level)
    # No line shows the process, thread or multiprocessing names: not looking them up for
    # every record spares a getpid() system call and two lookups per request line.
    logging.logProcesses = False
    logging.logThreads = False
    logging.logMultiprocessing = False
    # uvicorn's own access log would duplicate the bridge's request line.
    logging.getLogger("uvicorn.access").disabled = True
    # Alembic announces every plugin at INFO on each start.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return log_file


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger bound to name."""
    return structlog.stdlib.get_logger(name)
