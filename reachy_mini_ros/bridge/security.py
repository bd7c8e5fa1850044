"""Decide who may command the robot: the API token, and which origins may open a WebSocket."""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from reachy_mini_ros.bridge.config import BridgeConfig

TOKEN_ENV = "REACHY_MINI_TOKEN"
TOKEN_FILE = "api_token"


class InsecureBindError(RuntimeError):
    """The server was asked to listen beyond this machine without a configured token."""


@dataclass(frozen=True)
class TokenSource:
    """The API token and where it came from (config, env or file)."""

    token: str
    origin: str
    path: Path | None = None


def resolve_token(config: BridgeConfig) -> TokenSource:
    """Return the token: config, else env, else the token file (created 0600 at first start).

    Raise InsecureBindError when the server would listen beyond loopback with only a
    generated token, since nobody configured who may reach it.
    """
    if config.api_token:
        return TokenSource(config.api_token, "config")
    env = os.environ.get(TOKEN_ENV, "")
    if env:
        return TokenSource(env, "env")
    if not config.is_loopback:
        raise InsecureBindError(
            f"refusing to listen on {config.api_host}: set api_token or {TOKEN_ENV} first"
        )
    path = config.data_dir / TOKEN_FILE
    if path.is_file():
        token = path.read_text().strip()
        if token:
            return TokenSource(token, "file", path)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    os.chmod(path, 0o600)
    return TokenSource(token, "generated", path)


def token_matches(expected: str, authorization: str | None) -> bool:
    """Return True when an Authorization header carries the expected bearer token."""
    if not authorization:
        return False
    scheme, _, value = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), expected)


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Return True for no Origin (not a browser), a same-origin page or an allow-listed one."""
    if origin is None:
        return True
    if origin in allowed or "*" in allowed:
        return True
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host
