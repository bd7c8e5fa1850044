"""Pure ASGI middleware: request id, body size limit, request log line and metrics."""

from __future__ import annotations

import random
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reachy_mini_ros.bridge.config import MAX_MESSAGE_BYTES
from reachy_mini_ros.bridge.errors import error_body
from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.bridge.metrics import Metrics

log = get_logger("reachy_mini.bridge.http")
REQUEST_ID_HEADER = b"x-request-id"
# Request ids only tell requests apart: 128 random bits in uuid4's hex form, from a generator
# seeded once from the OS rather than a getrandom call per request.
_ids = random.Random()


def new_request_id() -> str:
    """Return a fresh request id (32 hex digits)."""
    return f"{_ids.getrandbits(128):032x}"


class RequestMiddleware:
    """Tag, size-check, time, count and log every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body: int = MAX_MESSAGE_BYTES) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        request_id = ""
        length = -1
        for key, value in scope["headers"]:
            if key == REQUEST_ID_HEADER:
                request_id = value.decode("latin-1")[:128]
            elif key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
        if not request_id:
            request_id = new_request_id()
        status = 500
        started = False
        refused = False
        rid = request_id.encode("latin-1")

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if refused:
                return  # the 413 answer was sent; the app's own answer is dropped
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, rid)]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body and not started:
                    # A chunked body without Content-Length grew past the limit: answer 413
                    # now and tell the app the client left, so that it stops reading.
                    await self._too_large(send_wrapper)
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        try:
            if length > self.max_body:
                await self._too_large(send_wrapper)
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            duration = time.perf_counter() - began
            route: Any = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.observe_request(method, path, status, duration)
            log.info(
                "request",
                method=method,
                path=scope["path"],
                status=status,
                duration_ms=round(duration * 1e3, 3),
                request_id=request_id,
            )

    async def _too_large(self, send: Send) -> None:
        body = orjson.dumps(
            error_body("payload_too_large", f"the body is over {self.max_body} bytes")
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
