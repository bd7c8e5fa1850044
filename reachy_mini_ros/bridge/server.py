"""Serve the app with uvicorn: the listening socket and a server that says goodbye first."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import uvicorn

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


class BridgeServer(uvicorn.Server):
    """uvicorn's server, closing WebSocket clients with 1001 before it drops connections."""

    def __init__(self, config: uvicorn.Config, bridge: Bridge) -> None:
        super().__init__(config)
        self.bridge = bridge

    async def shutdown(self, sockets: Any = None) -> None:
        """Say goodbye to WebSocket clients, then shut down as usual."""
        with contextlib.suppress(Exception):
            await self.bridge.services.stop_checking()
            await self.bridge.hub.close_all()
        await super().shutdown(sockets)
