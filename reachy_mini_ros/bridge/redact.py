"""Hide secrets before a setting is shown."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """Return url with any password replaced by ***."""
    try:
        from reachy_mini_ros.db import redact_url as db_redact

        return str(db_redact(url))
    except ImportError:
        pass
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
