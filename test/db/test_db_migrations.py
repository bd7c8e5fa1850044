"""Migrations create the schema, match the models, and are safe to run at every start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from support import wait_for

from reachy_mini_ros.db import Database
from reachy_mini_ros.db.migrate import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    MigrationError,
    current_revision,
    head_revision,
    upgrade,
)
from reachy_mini_ros.db.models import Base
from reachy_mini_ros.db.session import create_db_engine


def test_head_revision_names_the_newest_migration() -> None:
    assert head_revision() == HEAD_REVISION


def test_migrations_create_the_tables(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"events", "telemetry", "alembic_version"} <= tables
        indexed = {
            column
            for index in inspect(engine).get_indexes("events")
            for column in index["column_names"]
        }
        assert {"time", "level", "source"} <= indexed
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_restart_keeps_rows_and_schema(database_url: str) -> None:
    for run in range(2):
        db = Database(database_url, flush_interval_s=0.05)
        db.start()
        try:
            wait_for(db.check, 30.0, f"the database ({db.last_error})")
            db.record_event(level=0, source="bridge", kind="system", message=f"start {run}")
            assert db.flush(10.0)
            page, total = db.query_events(kind="system")
        finally:
            db.stop()
        assert total == run + 1
        assert page[0].message == f"start {run}"
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    finally:
        engine.dispose()


def test_revision_check_agrees_with_alembic(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            assert current_revision(connection) is None
        upgrade(engine)
        with engine.connect() as connection:
            assert current_revision(connection) == HEAD_REVISION
            assert MigrationContext.configure(connection).get_current_revision() == HEAD_REVISION
    finally:
        engine.dispose()


def test_a_sqlite_database_keeps_alembic_and_postgresql_out_of_the_process(
    tmp_path: Path,
) -> None:
    # Once on a new database (a child process migrates it), once on a migrated one.
    script = (
        "import sys\n"
        "from reachy_mini_ros.db import Database\n"
        "db = Database(sys.argv[1], flush_interval_s=0.05)\n"
        "db.start()\n"
        "db.record_event(level=0, source='bridge', kind='system', message='hello')\n"
        "assert db.flush(30.0), db.last_error\n"
        "total = db.query_events(kind='system')[1]\n"
        "db.stop()\n"
        "heavy = ('alembic', 'mako', 'sqlalchemy.dialects.postgresql')\n"
        "print('result', total, sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    url = f"sqlite:///{tmp_path / 'lean.db'}"
    for run in (1, 2):
        result = subprocess.run(
            [sys.executable, "-c", script, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert f"result {run} []" in result.stdout.splitlines(), result.stdout


def test_in_memory_database_is_migrated_in_place() -> None:
    engine = create_db_engine("sqlite://")
    try:
        upgrade(engine)
        assert {"events", "telemetry"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_failed_migration_says_why_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'future.db'}"
    engine = create_db_engine(url)
    try:
        # A database written by a newer release, at a revision this one does not have.
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
            connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('9999')")
        with pytest.raises(MigrationError, match="9999"):
            upgrade(engine)
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_run_from_any_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    script = (
        "import sys\n"
        "from reachy_mini_ros.db.migrate import upgrade\n"
        "from reachy_mini_ros.db.session import create_db_engine\n"
        "upgrade(create_db_engine(sys.argv[1]))\n"
    )
    empty_dir = tmp_path / "cwd"
    empty_dir.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", script, url],
        cwd=empty_dir,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    engine = create_db_engine(url)
    try:
        assert {"events", "telemetry"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_database_uses_wal_mode(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        engine.dispose()


def test_processes_migrating_one_database_together_all_succeed(pg_url: str) -> None:
    # Each process imports first, then waits for the same instant, so that the migrations
    # really overlap.
    script = (
        "import sys, time\n"
        "from reachy_mini_ros.db.migrate import upgrade\n"
        "from reachy_mini_ros.db.session import create_db_engine\n"
        "engine = create_db_engine(sys.argv[1])\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "upgrade(engine)\n"
    )
    start_at = time.time() + 4.0
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, pg_url, str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    engine = create_db_engine(pg_url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    finally:
        engine.dispose()


def test_alembic_command_line_uses_the_packaged_config(tmp_path: Path) -> None:
    ini = MIGRATIONS_DIR / "alembic.ini"
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    alembic = Path(sys.executable).parent / "alembic"
    env = {**os.environ, "DATABASE_URL": url}
    for args in (["upgrade", "head"], ["check"]):
        result = subprocess.run(
            [str(alembic), "-c", str(ini), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    finally:
        engine.dispose()
