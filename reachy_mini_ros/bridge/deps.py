"""Dependencies shared by the routes, as Annotated aliases.

Each is an ``async def``: FastAPI runs a plain ``def`` dependency in its thread pool, a
thread hop per request for a function that only reads an attribute (a quarter of a status
request's time). None of them blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from reachy_mini_ros.bridge.commands import audit_refused
from reachy_mini_ros.bridge.runtime import Bridge
from reachy_mini_ros.bridge.security import token_matches

bearer = HTTPBearer(auto_error=False, description="The API token (REACHY_MINI_TOKEN).")


def bridge_of(connection: HTTPConnection) -> Bridge:
    """Return the process's Bridge, from a request or a WebSocket."""
    bridge: Bridge = connection.app.state.bridge
    return bridge


async def get_bridge(request: Request) -> Bridge:
    """Return the process's Bridge."""
    return bridge_of(request)


BridgeDep = Annotated[Bridge, Depends(get_bridge)]


def check_token(request: Request) -> None:
    """Answer 401 unless the request carries the API token (the attempt is audited)."""
    bridge = bridge_of(request)
    expected = bridge.token.token if bridge.token is not None else None
    if expected is None or not token_matches(expected, request.headers.get("authorization")):
        peer = request.client.host if request.client is not None else None
        audit_refused(bridge, "api", peer, "path", request.url.path)
        raise HTTPException(
            status_code=401,
            detail="a valid 'Authorization: Bearer <token>' header is needed",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Answer 401 unless the request carries the API token; declares the scheme in OpenAPI."""
    check_token(request)


Authorized = Depends(require_token)


class AuthorizedRoute(APIRoute):
    """A route that checks the token before it reads the body.

    FastAPI parses and validates the body before a dependency could refuse the request, which
    would tell a client without the token how its body is wrong (422) instead of 401.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return the route's handler, behind the token check."""
        handler = super().get_route_handler()

        async def authorized(request: Request) -> Response:
            check_token(request)
            return await handler(request)

        return authorized


async def get_database(bridge: BridgeDep) -> Any:
    """Return the database, or answer 503 while it is down."""
    db = bridge.db
    if db is None or not db.healthy:
        reason = (db.last_error if db is not None else None) or "not connected"
        raise HTTPException(status_code=503, detail=f"the database is unavailable: {reason}")
    return db


DatabaseDep = Annotated[Any, Depends(get_database)]
