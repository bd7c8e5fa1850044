"""Raw sockets against a real bridge: oversized headers and requests that never complete."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from bridge_support import running_bridge

from reachy_mini_ros.bridge.server import MAX_HEADER_BYTES, REQUEST_TIMEOUT_S

# Margin for a loaded 2-core machine over the server's deadline.
SLACK_S = 10.0


def _connect(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT_S + SLACK_S)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Read until the server closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_headers_over_the_cap_are_answered_431(tmp_path: Path) -> None:
    with running_bridge(tmp_path) as bridge:
        sock = _connect(bridge.base_url)
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: bridge\r\nX-Filler: ")
        # Four times the cap, never ending; then stop sending and listen, since a peer that
        # keeps writing into a closed connection gets a reset instead of the answer.
        for _ in range(4):
            sock.sendall(b"a" * MAX_HEADER_BYTES)
        answer = _read_all(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        # A request just under the cap is served.
        sock = _connect(bridge.base_url)
        filler = b"a" * (MAX_HEADER_BYTES - 200)
        sock.sendall(
            b"GET /api/health HTTP/1.1\r\nHost: bridge\r\nConnection: close\r\nX-Filler: "
            + filler
            + b"\r\n\r\n"
        )
        # (503: no hardware node in this test, but the request was served.)
        assert _read_all(sock).split(b"\r\n")[0] in (
            b"HTTP/1.1 200 OK",
            b"HTTP/1.1 503 Service Unavailable",
        )
        sock.close()


def test_requests_that_never_complete_are_closed(tmp_path: Path) -> None:
    with running_bridge(tmp_path) as bridge:
        partial_head = _connect(bridge.base_url)
        partial_head.sendall(b"GET /api/health HTTP/1.1\r\nHost: bridge\r\nX-Slow: ")
        partial_body = _connect(bridge.base_url)
        # With the token: a request without one is answered 401 before its body is read.
        partial_body.sendall(
            b"POST /api/commands/joints HTTP/1.1\r\nHost: bridge\r\n"
            + f"Authorization: Bearer {bridge.token}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        silent = _connect(bridge.base_url)
        started = time.monotonic()
        answers = [_read_all(sock) for sock in (partial_head, partial_body, silent)]
        elapsed = time.monotonic() - started
        for sock in (partial_head, partial_body, silent):
            sock.close()
        assert elapsed < REQUEST_TIMEOUT_S + SLACK_S
        for answer in answers:
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        # Complete requests on one kept-alive connection are served one after the other.
        sock = _connect(bridge.base_url)
        for _ in range(2):
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: bridge\r\n\r\n")
            assert _read_response(sock).startswith(b"HTTP/1.1 ")
        sock.close()


def _read_response(sock: socket.socket) -> bytes:
    """Read one whole response: its head, then Content-Length bytes of body.

    The head and the body may come in separate TCP segments, so one recv is not one response.
    """
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
