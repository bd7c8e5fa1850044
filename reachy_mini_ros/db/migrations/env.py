"""Run the migrations on the connection handed over by reachy_mini_ros.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, text

from reachy_mini_ros.db.models import Base
from reachy_mini_ros.db.url import default_data_dir, resolve_database_url

# Any constant: the key of the PostgreSQL advisory lock that serialises concurrent migrations.
MIGRATION_LOCK_KEY = 0x5EAC1_DB

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    """Migrate through connection in one transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place: let Alembic copy tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two bridges starting at once would both try to create the tables.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


def database_url() -> str:
    """Return sqlalchemy.url if set, else the URL the bridge would use."""
    return config.get_main_option("sqlalchemy.url") or resolve_database_url("", default_data_dir())


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the given connection, or one opened from sqlalchemy.url."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = create_engine(database_url())
    try:
        with engine.connect() as connection:
            run_on(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
