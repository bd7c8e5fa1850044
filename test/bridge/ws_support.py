"""Check WebSocket messages against the committed protocol schema, web/ws-schema.json."""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from websockets.sync.client import ClientConnection

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "web" / "ws-schema.json"


@cache
def validator(direction: str) -> Draft202012Validator:
    """Return the validator of one direction: "ServerMessage" or "ClientMessage"."""
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator({"$ref": f"#/$defs/{direction}", "$defs": schema["$defs"]})


def check_server_message(message: Any) -> None:
    """Raise jsonschema.ValidationError unless message is a server message of the schema."""
    validator("ServerMessage").validate(message)


def check_client_message(message: Any) -> None:
    """Raise jsonschema.ValidationError unless message is a client message of the schema."""
    validator("ClientMessage").validate(message)


def receive(ws: ClientConnection, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    """Return the next message of type kind, skipping others; each must fit the schema."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        check_server_message(message)
        if message["type"] == kind:
            return message
