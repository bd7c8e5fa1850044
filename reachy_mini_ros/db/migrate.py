"""Bring a database to the newest schema with the Alembic migrations shipped in the package."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

# Found next to this file, so that migrations run from an installed package in any directory.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Alembic keeps the running migration in module globals (alembic.context): one at a time per
# process. Between processes, env.py takes a PostgreSQL advisory lock; SQLite locks the file.
_UPGRADE_LOCK = threading.Lock()


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic config for the packaged migrations, without any alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser treats "%" as interpolation; URL-escaped passwords contain it.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """Return the newest revision of the packaged migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """Return the revision the database is at, None before the first migration."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Migrate the database behind engine to the newest revision; a no-op when it is there."""
    with engine.connect() as connection:
        if current_revision(connection) == head_revision():
            return
    with _UPGRADE_LOCK, engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
