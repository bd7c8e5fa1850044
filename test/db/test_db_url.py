"""Choice of the database URL, and keeping passwords out of what is printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from reachy_mini_ros.db import default_data_dir, redact_url, resolve_database_url


def test_default_url_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "yet" / "there"
    url = resolve_database_url("", data_dir)
    assert url == f"sqlite:///{data_dir / 'reachy_mini.db'}"
    assert data_dir.is_dir()


def test_config_url_wins_over_the_default(tmp_path: Path) -> None:
    url = resolve_database_url("sqlite:////var/lib/robot/events.db", tmp_path)
    assert url == "sqlite:////var/lib/robot/events.db"


def test_environment_url_wins_over_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://robot@db.local/reachy")
    url = resolve_database_url("sqlite:////var/lib/robot/events.db", tmp_path)
    assert url == "postgresql+psycopg://robot@db.local/reachy"


def test_plain_postgresql_url_uses_psycopg(tmp_path: Path) -> None:
    url = resolve_database_url("postgresql://robot:pw@db.local:5433/reachy", tmp_path)
    assert url == "postgresql+psycopg://robot:pw@db.local:5433/reachy"


def test_data_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REACHY_MINI_DATA_DIR", str(tmp_path / "robot-data"))
    assert default_data_dir() == tmp_path / "robot-data"


def test_data_dir_defaults_to_the_users_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REACHY_MINI_DATA_DIR", raising=False)
    assert default_data_dir().name == "reachy_mini"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://robot:s3cr3t-pw@db.local:5432/reachy",
        "postgresql+psycopg://robot:s3cr3t-pw@db.local/reachy?sslmode=require",
        "postgresql://robot@db.local/reachy?password=s3cr3t-pw",
    ],
)
def test_redact_url_hides_the_password(url: str) -> None:
    redacted = redact_url(url)
    assert "s3cr3t-pw" not in redacted
    assert "***" in redacted
    assert "robot" in redacted and "db.local" in redacted


def test_redact_url_keeps_a_url_without_password() -> None:
    assert redact_url("sqlite:////tmp/reachy_mini.db") == "sqlite:////tmp/reachy_mini.db"
