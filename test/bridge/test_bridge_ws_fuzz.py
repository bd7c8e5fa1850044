"""Frames made from the protocol's own schema, then broken, against a real bridge.

Each frame is a client message drawn from web/ws-schema.json, the real token put in its
commands, then maybe mutated: a value of another JSON type, deep nesting, an unknown field, a
missing one, a huge or non-ASCII string. Whatever it is, the connection stays open, the reply
is the one docs/websocket.md documents for it, and a frame the schema refuses moves nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from bridge_support import Bridge, FakeHardware
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema.exceptions import ValidationError
from support import RosClient, wait_for
from websockets.sync.client import ClientConnection, connect
from ws_support import SCHEMA_PATH, check_client_message, check_server_message

SCHEMA = json.loads(SCHEMA_PATH.read_text())
DEFS = SCHEMA["$defs"]
MAX_MESSAGE_BYTES = 64 * 1024
# docs/websocket.md: deeper messages get invalid_message (or invalid_json past the parser's
# own limit).
MAX_DEPTH = 16
STREAMS = {"joint_states", "diagnostics", "events", "moves", "stale"}
JSON_INT = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def from_schema(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Return a strategy of the values node (a part of the committed schema) accepts."""
    if "$ref" in node:
        return st.deferred(lambda: from_schema(DEFS[node["$ref"].rsplit("/", 1)[1]]))
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    for key in ("oneOf", "anyOf"):
        if key in node:
            return st.one_of([from_schema(part) for part in node[key]])
    kind = node.get("type")
    if kind == "object":
        props = node.get("properties", {})
        if props:
            required = set(node.get("required", ()))
            objects = st.fixed_dictionaries(
                {k: from_schema(v) for k, v in props.items() if k in required},
                optional={k: from_schema(v) for k, v in props.items() if k not in required},
            )
            return objects.filter(lambda d: len(d) >= node.get("minProperties", 0))
        values = node.get("additionalProperties", {})
        keys = from_schema(node.get("propertyNames", {"type": "string"}))
        return st.dictionaries(keys, from_schema(values if isinstance(values, dict) else {}))
    if kind == "array":
        return st.lists(from_schema(node.get("items", {})), max_size=4)
    if kind == "string":
        return st.text(max_size=12)
    if kind == "integer":
        return JSON_INT
    if kind == "number":
        low = node.get("minimum", node.get("exclusiveMinimum"))
        return st.floats(
            min_value=low,
            max_value=node.get("maximum"),
            exclude_min="exclusiveMinimum" in node,
            allow_nan=False,
            allow_infinity=False,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return json_values()


def json_values() -> st.SearchStrategy[Any]:
    """Return a strategy of any JSON value, small."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        JSON_INT,
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=6,
    )


def nested(depth: int, leaf: Any) -> Any:
    """Return leaf inside depth lists or objects."""
    for i in range(depth):
        leaf = [leaf] if i % 2 else {"k": leaf}
    return leaf


ODD_VALUES = st.one_of(
    json_values(),
    # Past orjson's 254 levels; json.dumps, which sends it, recurses up to Python's limit.
    st.builds(nested, st.integers(min_value=10, max_value=600), st.just(1)),
    st.sampled_from(["é" * 40_000, "x" * 70_000, "\u200b", "ping", "command", "\U0001f916"]),
)


def paths(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every value inside value (the root too)."""
    yield here
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*here, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*here, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """Return value with the value at path replaced by new (None: removed from its parent)."""
    if not path:
        return new
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    head, rest = path[0], path[1:]
    if not rest and new is REMOVE:
        del copy[head]
    else:
        copy[head] = replaced(copy[head], rest, new)
    return copy


REMOVE = object()


@st.composite
def frames(draw: st.DrawFn, token: str) -> Any:
    """Draw a client message of the schema, with the real token, then maybe break it."""
    frame = draw(from_schema(DEFS["ClientMessage"]))
    if frame.get("type") == "command" and draw(st.booleans()):
        frame["token"] = token
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        path = draw(st.sampled_from(list(paths(frame))))
        target: Any = frame
        for step in path:
            target = target[step]
        how = draw(st.sampled_from(["replace", "remove", "add_field"]))
        if how == "add_field" and isinstance(target, dict):
            name = draw(st.sampled_from(["extra", "é", "enabled", "x", "id", "type"]))
            frame = replaced(frame, path, {**target, name: draw(ODD_VALUES)})
        elif how == "remove" and path:
            frame = replaced(frame, path, REMOVE)
        else:
            frame = replaced(frame, path, draw(ODD_VALUES))
    return frame


def depth(value: Any) -> int:
    """Return how deep lists and objects nest in value (no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            stack.extend(
                (c, level + 1) for c in (node.values() if isinstance(node, dict) else node)
            )
    return deepest


def expected_reply(frame: Any, text: str) -> tuple[str, set[str] | None, bool]:
    """Return the documented reply to frame: its type, its error codes, and whether it is valid.

    None as the codes means any: a valid command's outcome is the robot's to tell.
    """
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        return "error", {"message_too_large"}, False
    if not isinstance(frame, dict):
        return "error", {"invalid_message"}, False
    if depth(frame) > MAX_DEPTH:
        return "error", {"invalid_message", "invalid_json"}, False
    kind = frame.get("type")
    try:
        check_client_message(frame)
    except ValidationError:
        if kind == "command":
            return "command_result", None, False
        if kind in ("subscribe", "unsubscribe"):
            return "error", {"invalid_subscription"}, False
        if kind == "ping":
            return "error", {"invalid_message"}, False
        return "error", {"unknown_type"}, False
    reply = {"subscribe": "subscribed", "unsubscribe": "subscribed", "ping": "pong"}
    return reply.get(kind, "command_result"), None, True


class TorqueService:
    """A stand-in /reachy_mini/enable_torque that records its calls."""

    def __init__(self, ros: RosClient) -> None:
        from std_srvs.srv import SetBool

        self.calls: list[bool] = []
        self.lock = threading.Lock()

        def answer(request: Any, response: Any) -> Any:
            with self.lock:
                self.calls.append(bool(request.data))
            response.success = True
            response.message = "torque set"
            return response

        self.ros = ros
        self.service = ros.node.create_service(SetBool, "/reachy_mini/enable_torque", answer)

    def close(self) -> None:
        """Stop serving."""
        self.ros.node.destroy_service(self.service)


@pytest.fixture(scope="module")
def torque(module_ros: RosClient) -> Iterator[TorqueService]:
    """Serve the torque service, so that valid torque commands answer at once."""
    service = TorqueService(module_ros)
    yield service
    service.close()


def moves(hardware: FakeHardware, torque: TorqueService) -> tuple[int, int, int]:
    """Return how many commands reached the stand-in hardware."""
    return len(hardware.joint_goals), len(hardware.head_poses), len(torque.calls)


def answer_of(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """Return the next reply, skipping channel frames; it must be of type kind."""
    while True:
        message = json.loads(ws.recv(timeout=15.0))
        check_server_message(message)
        if message["type"] in STREAMS:
            continue
        assert message["type"] == kind, message
        return message


@pytest.fixture(scope="module")
def ready(bridge: Bridge, hardware: FakeHardware, torque: TorqueService) -> Bridge:
    """Wait until the bridge sees the stand-in's joint command and torque endpoints."""
    wait_for(
        lambda: bridge.post("/api/commands/torque", {"enabled": True}).status_code == 200,
        30.0,
        "the bridge to find the torque service",
    )
    wait_for(
        lambda: (
            bridge.post("/api/commands/joints", {"goals": {"yaw_body": 0.0}}).status_code == 200
        ),
        30.0,
        "the bridge to find the hardware node",
    )
    return bridge


def test_any_frame_gets_its_documented_reply_and_keeps_the_connection(
    ready: Bridge, hardware: FakeHardware, torque: TorqueService
) -> None:
    with connect(ready.ws_url, max_size=None) as ws:
        answer_of(ws, "hello")
        started = time.monotonic()
        run_examples(ws, ready, hardware, torque)
    assert time.monotonic() - started < 120.0


def run_examples(
    ws: ClientConnection, ready: Bridge, hardware: FakeHardware, torque: TorqueService
) -> None:
    """Send the drawn frames on ws, checking each one's answer."""

    @settings(
        max_examples=200,
        deadline=5000,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(frame=frames(ready.token))
    def check(frame: Any) -> None:
        text = json.dumps(frame, ensure_ascii=False)
        kind, codes, valid = expected_reply(frame, text)
        before = moves(hardware, torque)
        ws.send(text)
        reply = answer_of(ws, kind)
        if codes is not None:
            assert reply["error"] in codes, (reply, frame)
        if not valid:
            assert reply.get("ok") is not True, (reply, frame)
        # The connection still answers, and whatever the frame did is done by now.
        ws.send(json.dumps({"type": "ping", "id": "after"}))
        answer_of(ws, "pong")
        if not valid:
            assert moves(hardware, torque) == before, frame
        if kind == "subscribed":
            ws.send(json.dumps({"type": "unsubscribe", "channels": list(STREAMS - {"stale"})}))
            answer_of(ws, "subscribed")

    check()
