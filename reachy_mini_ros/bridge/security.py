"""Decide who may command the robot: the API token, and which origins may open a WebSocket."""

from __future__ import annotations

import hmac
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil

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


def _utf8(text: str) -> bytes:
    """Return text as UTF-8 bytes; a lone surrogate is kept, so no two texts give one value."""
    return text.encode("utf-8", "surrogatepass")


def token_matches(expected: str, authorization: str | None) -> bool:
    """Return True when an Authorization header carries the expected bearer token.

    The values are compared as UTF-8 bytes: hmac.compare_digest refuses str with non-ASCII
    characters, and such a token is simply a wrong one.
    """
    if not authorization:
        return False
    scheme, _, value = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        _utf8(value.strip()), _utf8(expected)
    )


DEFAULT_PORTS = {"http": 80, "https": 443}
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::"})


def _origin_key(origin: str) -> tuple[str, str, int] | None:
    """Return (scheme, host, port) of an http(s) origin, or None when it is not one."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme]


def allowed_origins(config: BridgeConfig) -> frozenset[tuple[str, str, int]]:
    """Return the origins whose pages may open a WebSocket, as (scheme, host, port).

    They are the address the server listens on, over http: api_host, plus localhost,
    127.0.0.1 and ::1 on a loopback bind, plus every address of this machine on a wildcard
    bind (0.0.0.0, ::), which listens on all of them; and cors_origins. A client's Host
    header never adds to them: any page can send one.
    """
    host = config.api_host.lower().strip("[]")
    hosts = {host}
    if config.is_loopback or host in WILDCARD_HOSTS:
        hosts |= {"localhost", "127.0.0.1", "::1"}
    if host in WILDCARD_HOSTS:
        hosts |= {
            address.address.split("%", 1)[0].lower()
            for addresses in psutil.net_if_addrs().values()
            for address in addresses
            if address.family in (socket.AF_INET, socket.AF_INET6)
        }
    keys = {("http", host, config.api_port) for host in hosts}
    for origin in config.cors_origins:
        key = _origin_key(origin)
        if key is not None:
            keys.add(key)
    return frozenset(keys)


def origin_allowed(origin: str | None, config: BridgeConfig) -> bool:
    """Return True for no Origin (not a browser), the server's own origin or an allowed one."""
    if origin is None:
        return True
    if "*" in config.cors_origins:
        return True
    key = _origin_key(origin)
    return key is not None and key in allowed_origins(config)
