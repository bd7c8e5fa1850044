"""Print the JSON Schema of the WebSocket protocol (the dashboard's WS types come from it)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from pydantic_core import core_schema

from reachy_mini_ros.bridge.ws_messages import PROTOCOL_VERSION, ClientMessage, ServerMessage

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REF = "#/$defs/{model}"


class _WithoutFieldTitles(GenerateJsonSchema):
    """Title only the models and named types: generated code names a type after each title."""

    def field_title_should_be_set(self, schema: core_schema.CoreSchema) -> bool:
        return False


def _without_discriminators(node: Any) -> Any:
    """Return node without pydantic's `discriminator` (an OpenAPI keyword, not JSON Schema)."""
    if isinstance(node, dict):
        return {k: _without_discriminators(v) for k, v in node.items() if k != "discriminator"}
    if isinstance(node, list):
        return [_without_discriminators(v) for v in node]
    return node


def ws_schema() -> dict[str, Any]:
    """Return one schema with a oneOf per direction: $defs ServerMessage and ClientMessage.

    Server messages are described as sent (every field present, defaults included); client
    messages as accepted (fields with a default may be left out).
    """
    directions: dict[str, tuple[Any, JsonSchemaMode, str]] = {
        "ServerMessage": (ServerMessage, "serialization", "A message the server sends."),
        "ClientMessage": (ClientMessage, "validation", "A message a client sends."),
    }
    defs: dict[str, Any] = {}
    for title, (message, mode, description) in directions.items():
        part = _without_discriminators(
            TypeAdapter(message).json_schema(
                mode=mode, ref_template=REF, schema_generator=_WithoutFieldTitles
            )
        )
        for name, definition in part.pop("$defs", {}).items():
            if defs.setdefault(name, definition) != definition:
                raise ValueError(f"two different definitions are named {name}")
        defs[title] = {"title": title, "description": description, **part}
    return {
        "$schema": DRAFT,
        "title": "WsMessage",
        "description": (
            f"Messages of the Reachy Mini WebSocket protocol (/ws), version {PROTOCOL_VERSION}: "
            "see docs/websocket.md."
        ),
        "oneOf": [{"$ref": REF.format(model=title)} for title in directions],
        "$defs": defs,
    }


def render() -> str:
    """Return the schema as the text committed in web/ws-schema.json."""
    return json.dumps(ws_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
