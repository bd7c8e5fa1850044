"""Structured logs: JSON lines on stdout and in a rotating file of 10 MB × 5."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest
import structlog

from reachy_mini_ros.bridge.logs import configure_logging, get_logger


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def test_log_file_rotates_at_10_mb_keeping_5_files(tmp_path: Path, restore_logging: None) -> None:
    log_file = configure_logging(tmp_path / "logs")
    rotating = [h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler)]
    assert log_file == tmp_path / "logs" / "bridge.log"
    assert len(rotating) == 1
    assert rotating[0].maxBytes == 10 * 1024 * 1024
    assert rotating[0].backupCount == 5


def test_a_full_log_file_rolls_over_keeping_every_line_whole(
    tmp_path: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = configure_logging(tmp_path / "logs")
    assert log_file is not None
    (rotating,) = [h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler)]
    rotating.maxBytes = 4000  # the 10 MB of a real file, scaled down
    log = get_logger("reachy_mini.test")
    for n in range(200):
        log.info("request", n=n, path="/api/daemon/status")
    rotating.flush()
    files = [log_file, *(log_file.with_name(f"bridge.log.{k}") for k in range(1, 6))]
    assert all(f.exists() for f in files)
    assert not log_file.with_name("bridge.log.6").exists()
    lines = [json.loads(line) for f in reversed(files) for line in f.read_text().splitlines()]
    # The newest lines, in order, none cut; a full file ends at most one line past maxBytes.
    numbers = [line["n"] for line in lines]
    assert numbers == list(range(200 - len(numbers), 200))
    longest = max(len(line) for f in files for line in f.read_text().splitlines()) + 1
    assert all(f.stat().st_size < 4000 + longest for f in files)
    capsys.readouterr()


def test_events_are_one_json_line_with_their_fields(
    tmp_path: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = configure_logging(tmp_path / "logs")
    get_logger("reachy_mini.test").info("component_started", component="ros", duration_ms=1.5)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert log_file is not None
    line = log_file.read_text().strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "component_started"
    assert record["component"] == "ros"
    assert record["level"] == "info"
    assert record["timestamp"].endswith("Z")
