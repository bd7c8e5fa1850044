"""Check WebSocket messages against the committed protocol schema, web/ws-schema.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

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
