"""Dependencies shared by the routes, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from reachy_mini_ros.bridge.commands import audit_refused
from reachy_mini_ros.bridge.runtime import Bridge
from reachy_mini_ros.bridge.security import token_matches

bearer = HTTPBearer(auto_error=False, description="The API token (REACHY_MINI_TOKEN).")


def get_bridge(request: Request) -> Bridge:
    """Return the process's Bridge."""
    bridge: Bridge = request.app.state.bridge
    return bridge


BridgeDep = Annotated[Bridge, Depends(get_bridge)]


def require_token(
    request: Request,
    bridge: BridgeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Answer 401 unless the request carries the API token (the attempt is audited)."""
    expected = bridge.token.token if bridge.token is not None else None
    if (
        expected is None
        or credentials is None
        or not token_matches(expected, f"Bearer {credentials.credentials}")
    ):
        peer = request.client.host if request.client is not None else None
        audit_refused(bridge, "api", peer, "path", request.url.path)
        raise HTTPException(
            status_code=401,
            detail="a valid 'Authorization: Bearer <token>' header is needed",
            headers={"WWW-Authenticate": "Bearer"},
        )


Authorized = Depends(require_token)


def get_database(bridge: BridgeDep) -> Any:
    """Return the database, or answer 503 while it is down."""
    db = bridge.db
    if db is None or not db.healthy:
        reason = (db.last_error if db is not None else None) or "not connected"
        raise HTTPException(status_code=503, detail=f"the database is unavailable: {reason}")
    return db


DatabaseDep = Annotated[Any, Depends(get_database)]
