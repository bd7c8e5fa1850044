"""Bring a database to the newest schema with the Alembic migrations shipped in the package.

The bridge checks the schema revision with one query at every start. Alembic itself (about
8 MB of resident memory once imported, with Mako and every SQLAlchemy dialect) is only loaded
when an upgrade is due, and then in a child process (``python -m reachy_mini_ros.db.migrate``),
so that the long-running bridge never holds it. An in-memory SQLite database exists only in
its own process and is migrated in place.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from reachy_mini_ros.db.session import create_db_engine, is_in_memory

if TYPE_CHECKING:
    from alembic.config import Config

# Found next to this file, so that migrations run from an installed package in any directory.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions; a test checks it against Alembic's head.
HEAD_REVISION = "0002"
VERSION_TABLE = "alembic_version"
# The child process reads the URL from here rather than its command line, which any local
# user can read in the process list, password included.
URL_ENV = "REACHY_MINI_MIGRATE_URL"
# Generous: a migration waits for another process's PostgreSQL advisory lock.
CHILD_TIMEOUT_S = 300.0
# Alembic keeps the running migration in module globals (alembic.context): one at a time per
# process. Between processes, env.py takes a PostgreSQL advisory lock; SQLite locks the file.
_UPGRADE_LOCK = threading.Lock()


class MigrationError(RuntimeError):
    """The migrations could not bring the database to HEAD_REVISION."""


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic config for the packaged migrations, without any alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser treats "%" as interpolation; URL-escaped passwords contain it.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """Return the newest revision of the packaged migrations, as Alembic finds it."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """Return the revision the database is at, None before the first migration."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade(engine: Engine) -> None:
    """Migrate the database behind engine to HEAD_REVISION; a no-op when it is there."""
    with engine.connect() as connection:
        if current_revision(connection) == HEAD_REVISION:
            return
    with _UPGRADE_LOCK:
        if is_in_memory(engine.url):
            upgrade_here(engine)
        else:
            _upgrade_in_child(engine.url.render_as_string(hide_password=False))


def upgrade_here(engine: Engine) -> None:
    """Run Alembic's upgrade to head in this process."""
    from alembic import command

    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _upgrade_in_child(url: str) -> None:
    """Run upgrade_here in a child process; raise MigrationError with its reason if it fails."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", __name__],
            env={**os.environ, URL_ENV: url},
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MigrationError(f"the migration took longer than {CHILD_TIMEOUT_S:.0f} s") from exc
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise MigrationError(f"the migration failed: {reason}")


def main() -> None:
    """Migrate the database named by REACHY_MINI_MIGRATE_URL (run by _upgrade_in_child)."""
    url = os.environ.get(URL_ENV)
    if not url:
        sys.exit(f"{URL_ENV} is not set")
    engine = create_db_engine(url)
    try:
        upgrade_here(engine)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
