"""Print the bridge's OpenAPI schema (the dashboard's typed client is generated from it)."""

from __future__ import annotations

import json
from typing import Any

from reachy_mini_ros.bridge.app import create_app


def openapi_schema() -> dict[str, Any]:
    """Return the OpenAPI schema of the app with default settings."""
    return create_app().openapi()


def render() -> str:
    """Return the schema as the text committed in web/openapi.json."""
    return json.dumps(openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
