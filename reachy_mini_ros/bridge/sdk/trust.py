"""Decide whether a request on the vendor SDK's surface may be served.

The vendor's SDK sends no credentials, so this surface trusts the network instead of a
token, with the same browser guards as the vendor's daemon:

- the peer must be on this machine (loopback), or inside one of the networks the operator
  listed in the bridge parameter ``sdk_trusted_networks``;
- a ``Host`` header must be an IP literal, ``localhost`` or a ``*.local`` mDNS name, so that
  a page reaching the robot through DNS rebinding (under a public name) is refused;
- a browser page may only send from a local origin (loopback, ``localhost``, ``*.local``);
  clients that send no ``Origin`` (the SDK, scripts) are not browsers and pass.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOCAL_NAMES = frozenset({"localhost"})
LOCAL_SUFFIX = ".local"


class TrustedNetworkError(ValueError):
    """An entry of ``sdk_trusted_networks`` is not a CIDR network."""


def parse_networks(networks: Sequence[str]) -> list[IPNetwork]:
    """Return the networks of CIDR strings such as ``192.168.1.0/24``; raise on a bad one.

    A bare address is a network of one host. Host bits must be zero (``10.0.0.1/8`` is
    refused): such an entry is usually a typo for another network than the one it covers.
    """
    parsed: list[IPNetwork] = []
    for entry in networks:
        if not isinstance(entry, str):
            raise TrustedNetworkError(f"sdk_trusted_networks: {entry!r} is not a string")
        text = entry.strip()
        try:
            parsed.append(ipaddress.ip_network(text, strict=True))
        except ValueError as exc:
            raise TrustedNetworkError(
                f"sdk_trusted_networks: {entry!r} is not a CIDR network such as "
                f"'192.168.1.0/24' or 'fd00::/8' ({exc})"
            ) from None
    return parsed


def _ip(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
        return address.ipv4_mapped
    return address


def _hostname(netloc: str) -> str | None:
    """Return the host of ``host[:port]`` or ``[v6]:port``, without port or brackets."""
    try:
        return urlsplit(f"//{netloc}").hostname
    except ValueError:
        return None


def _is_local_name(name: str) -> bool:
    # Case does not matter in DNS; a trailing dot is the fully qualified form of the name.
    name = name.lower().rstrip(".")
    return name in LOCAL_NAMES or (name.endswith(LOCAL_SUFFIX) and name != LOCAL_SUFFIX[1:])


def host_header_allowed(host: str | None) -> bool:
    """Return True for a Host header that is an IP, ``localhost`` or ``*.local`` (port or not).

    A missing or empty Host header is refused.
    """
    if not host:
        return False
    name = _hostname(host.strip())
    if not name:
        return False
    if _ip(name) is not None:
        return True
    return _is_local_name(name)


def origin_allowed(origin: str | None) -> bool:
    """Return True when there is no Origin, or it is a local one.

    Local means ``http``/``https`` with a loopback address, ``localhost`` or a ``*.local``
    name as host. ``null`` (a sandboxed or file page) and every other origin are foreign.
    """
    if origin is None:
        return True
    try:
        parts = urlsplit(origin.strip())
        name = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not name:
        return False
    if _is_local_name(name):
        return True
    address = _ip(name)
    return address is not None and address.is_loopback


def peer_allowed(peer_host: str | None, trusted_networks: Sequence[str]) -> bool:
    """Return True for a loopback peer, or one inside a network of ``trusted_networks``.

    A peer whose address is unknown (``None``, a Unix socket path) is refused.
    """
    if not peer_host:
        return False
    address = _ip(peer_host)
    if address is None:
        return False
    if address.is_loopback:
        return True
    return any(
        address.version == network.version and address in network
        for network in parse_networks(trusted_networks)
    )


def refusal(
    host: str | None,
    origin: str | None,
    peer_host: str | None,
    trusted_networks: Sequence[str],
) -> str | None:
    """Return why a request must be refused, or None when it may be served."""
    if not peer_allowed(peer_host, trusted_networks):
        return (
            f"peer {peer_host or 'of unknown address'} is neither on this machine nor in "
            "the bridge's sdk_trusted_networks"
        )
    if not host_header_allowed(host):
        return "untrusted Host header: it must be an IP address, localhost or a *.local name"
    if not origin_allowed(origin):
        return "cross-origin request refused: the page's Origin is not local"
    return None
