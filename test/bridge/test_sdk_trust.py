"""The trust rule of the vendor SDK's surface, function by function (bridge/sdk/trust.py).

The same rule is exercised over HTTP in test_sdk_rest.py (Host and Origin); a peer outside
loopback cannot be produced on a test machine's loopback, so the peer rule is tested here.
"""

from __future__ import annotations

import pytest

from reachy_mini_ros.bridge.sdk.trust import (
    TrustedNetworkError,
    host_header_allowed,
    origin_allowed,
    parse_networks,
    peer_allowed,
    refusal,
)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1:8000",
        "192.168.1.20:8000",
        "[::1]:8000",
        "[fe80::1]",
        "localhost",
        "LOCALHOST:8000",
        "reachy-mini.local",
        "reachy-mini.local.:8000",
        "Reachy-Mini.LOCAL",
    ],
)
def test_local_host_headers_are_allowed(host: str) -> None:
    assert host_header_allowed(host)


@pytest.mark.parametrize(
    "host",
    [
        None,
        "",
        "evil.example.com",
        "evil.example.com:8000",
        "localhost.evil.com",
        "reachy-mini.local.evil.com",
        "local",
        "127.0.0.1.nip.io",
        "[not-an-ip]:80",
    ],
)
def test_other_host_headers_are_refused(host: str | None) -> None:
    assert not host_header_allowed(host)


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "http://localhost:5173",
        "http://127.0.0.1:8000",
        "https://127.3.4.5",
        "http://[::1]:8000",
        "http://reachy-mini.local:8000",
    ],
)
def test_no_origin_or_a_local_one_is_allowed(origin: str | None) -> None:
    assert origin_allowed(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "http://localhost.evil.com",
        "http://10.0.0.5",
        "null",
        "",
        "file://",
        "ftp://localhost",
        "http://[bad",
    ],
)
def test_foreign_origins_are_refused(origin: str) -> None:
    assert not origin_allowed(origin)


def test_loopback_peers_are_allowed_without_any_trusted_network() -> None:
    for peer in ("127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"):
        assert peer_allowed(peer, [])


def test_other_peers_are_allowed_only_inside_a_trusted_network() -> None:
    networks = ["192.168.1.0/24", "fd00::/8"]
    assert not peer_allowed("192.168.1.20", [])
    assert peer_allowed("192.168.1.20", networks)
    assert peer_allowed("::ffff:192.168.1.20", networks)
    assert peer_allowed("fd12::5", networks)
    assert not peer_allowed("192.168.2.20", networks)
    assert not peer_allowed("10.0.0.1", networks)
    assert not peer_allowed("fe80::1", networks)
    assert peer_allowed("10.1.2.3", ["10.1.2.3"])  # a bare address is one host


def test_unknown_peers_are_refused() -> None:
    for peer in (None, "", "/run/bridge.sock", "testclient"):
        assert not peer_allowed(peer, ["0.0.0.0/0"])


def test_bad_trusted_networks_are_refused_with_the_entry_named() -> None:
    for entry in ("192.168.1.0/33", "10.0.0.1/8", "lan", "192.168.1.0/24x", ""):
        with pytest.raises(TrustedNetworkError, match="sdk_trusted_networks") as info:
            parse_networks(["127.0.0.0/8", entry])
        assert repr(entry) in str(info.value)
    assert [str(n) for n in parse_networks(["192.168.1.0/24", "fd00::/8"])] == [
        "192.168.1.0/24",
        "fd00::/8",
    ]


def test_refusal_names_the_first_rule_that_fails() -> None:
    assert refusal("127.0.0.1:8000", None, "127.0.0.1", []) is None
    assert refusal("reachy-mini.local", "http://reachy-mini.local", "192.168.1.9",
                   ["192.168.1.0/24"]) is None  # fmt: skip
    peer = refusal("127.0.0.1:8000", None, "192.168.1.9", [])
    assert peer is not None and "sdk_trusted_networks" in peer
    host = refusal("evil.example.com", None, "127.0.0.1", [])
    assert host is not None and "Host" in host
    origin = refusal("127.0.0.1:8000", "https://evil.example.com", "127.0.0.1", [])
    assert origin is not None and "Origin" in origin
