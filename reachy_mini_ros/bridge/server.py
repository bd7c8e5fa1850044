"""Serve the app with uvicorn: the listening socket and a server that says goodbye first."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reachy_mini_ros.bridge.runtime import Bridge

# Kernel send buffer of every connection (Linux doubles it): a stalled WebSocket client holds
# at most this much plus uvicorn's 64 KiB before its sender blocks and it starts losing frames,
# instead of the several MiB that autotuning grants. 128 KiB is 2 s of one 60 Hz stream.
SEND_BUFFER_BYTES = 128 * 1024


def listening_socket(host: str, port: int) -> socket.socket:
    """Bind host:port; accepted connections inherit its bounded send buffer."""
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


# The request line and headers of one request; the bridge's own requests send under 2 KiB,
# browsers with cookies under 8 KiB. httptools has no limit of its own: without this a client
# could make it buffer a 32 MiB header.
MAX_HEADER_BYTES = 16 * 1024
# A request's headers and body must arrive within this from its first byte (or from the
# connection, or from the previous response): a command body is at most 64 KiB, well under a
# second even on a slow Wi-Fi link. uvicorn's timeout_keep_alive only covers the idle time
# after a response, not a request that starts and never ends, nor a connection that never
# sends anything.
REQUEST_TIMEOUT_S = 10.0


def _plain_response(status: int, reason: str, text: str) -> bytes:
    """Return a complete HTTP/1.1 response that closes the connection."""
    body = text.encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap on header size and a deadline per request.

    Headers over MAX_HEADER_BYTES are answered 431; a request (or a connection that says
    nothing) not complete within REQUEST_TIMEOUT_S is answered 408 and closed.
    """

    max_header_bytes = MAX_HEADER_BYTES
    request_timeout_s = REQUEST_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bytes received since the current request's head began; None once its headers are in.
        self._head_bytes: int | None = 0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the first request's deadline with the connection."""
        super().connection_made(transport)
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        self._disarm_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser; refuse a head that grows past the cap before it ends."""
        if self._head_bytes is not None:
            self._head_bytes += len(data)
            if self._deadline is None:
                self._arm_deadline()
        super().data_received(data)
        # Counted per chunk: a chunk that also ends the head (and starts a body) is not held
        # against it, since the head is complete by then.
        if (
            self._head_bytes is not None
            and self._head_bytes > self.max_header_bytes
            and self.transport.get_protocol() is self
            and not self.transport.is_closing()
        ):
            self._refuse(431, "Request Header Fields Too Large", "request headers too large")

    def handle_websocket_upgrade(self) -> None:
        """Hand the connection to the WebSocket protocol, which has its own ping timeouts."""
        self._disarm_deadline()
        super().handle_websocket_upgrade()

    def on_message_begin(self) -> None:
        """Count a new request's head from its first byte."""
        super().on_message_begin()
        if self._head_bytes is None:
            self._head_bytes = 0
        if self._deadline is None:
            self._arm_deadline()

    def on_headers_complete(self) -> None:
        """Stop counting head bytes; the body still has to come before the deadline."""
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """End the request's deadline: what follows is the application's time."""
        self._disarm_deadline()
        self._head_bytes = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """Start the next request's deadline, which uvicorn's keep-alive timeout may beat."""
        super().on_response_complete()
        if not self.transport.is_closing() and self._deadline is None:
            self._arm_deadline()

    def _arm_deadline(self) -> None:
        self._disarm_deadline()
        self._deadline = self.loop.call_later(self.request_timeout_s, self._timed_out)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        """Answer 408 and close, unless the connection became a WebSocket meanwhile."""
        self._deadline = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and cycle.response_started:
            # The application answers a request whose body never ended: just hang up.
            self.transport.close()
            return
        self._refuse(408, "Request Timeout", "request not complete in time")

    def _refuse(self, status: int, reason: str, text: str) -> None:
        self._disarm_deadline()
        self.logger.warning("%s: %s", reason, self.client)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # The application must not write after this response.
            cycle.response_complete = True
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.write(_plain_response(status, reason, text))
        self.transport.close()


class BridgeServer(uvicorn.Server):
    """uvicorn's server, closing WebSocket clients with 1001 before it drops connections.

    Its HTTP protocol caps header size and bounds the time a request may take to arrive.
    """

    def __init__(self, config: uvicorn.Config, bridge: Bridge) -> None:
        config.http = BoundedHttpProtocol
        super().__init__(config)
        self.bridge = bridge

    async def shutdown(self, sockets: Any = None) -> None:
        """Say goodbye to WebSocket clients, then shut down as usual."""
        with contextlib.suppress(Exception):
            await self.bridge.services.stop_checking()
            await self.bridge.hub.close_all()
            for hook in self.bridge.shutdown_hooks:
                await hook()
        await super().shutdown(sockets)
