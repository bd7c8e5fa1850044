"""Choose the database URL and make it safe to print."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url

DATABASE_URL_ENV = "DATABASE_URL"
DATA_DIR_ENV = "REACHY_MINI_DATA_DIR"
DATABASE_FILE = "reachy_mini.db"
APP_NAME = "reachy_mini"


def default_data_dir() -> Path:
    """Return the data dir: REACHY_MINI_DATA_DIR, or the user's data dir for reachy_mini."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


def resolve_database_url(config_url: str, data_dir: Path) -> str:
    """Return DATABASE_URL, else config_url, else a SQLite file in data_dir (created)."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip() or config_url.strip()
    if url:
        return normalize_url(url)
    data_dir = Path(data_dir).expanduser()
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / DATABASE_FILE}"


def normalize_url(url: str) -> str:
    """Map a plain PostgreSQL URL to the psycopg 3 driver; leave the others as they are."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def redact_url(url: str) -> str:
    """Return url with its password replaced by ``***``."""
    try:
        parsed: URL = make_url(url)
    except Exception:
        # Not a URL SQLAlchemy understands: hide everything between "//" and "@".
        scheme, sep, rest = url.partition("://")
        if sep and "@" in rest:
            rest = "***@" + rest.rsplit("@", 1)[1]
        return scheme + sep + rest
    # libpq also takes the password as a query parameter.
    if "password" in parsed.query:
        parsed = parsed.update_query_dict({"password": "***"})
    rendered = parsed.render_as_string(hide_password=True)
    return rendered.replace("password=%2A%2A%2A", "password=***")
