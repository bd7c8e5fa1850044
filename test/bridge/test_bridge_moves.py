"""Moves over HTTP and WebSocket: gotos, the move services, running moves and the audit log.

The bridge runs as a process and meets a stand-in hardware node over DDS, which answers the
motion layer's contract (interface/moves.py) as the hardware node does; the stack tests run
the same commands against the real hardware node.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from bridge_support import Bridge, FakeHardware
from support import RosClient, wait_for
from websockets.sync.client import ClientConnection, connect
from ws_support import check_server_message, receive

from reachy_mini_ros.bridge.motion import END_GRACE_S
from reachy_mini_ros.interface import command_results, moves

NEUTRAL_HEAD = {"x": 0.0, "y": 0.0, "z": 0.0, "roll": 0.0, "pitch": 0.0, "yaw": 0.0}
# The stand-in's wake up and sleep take this long.
SERVICE_MOVE_S = 0.6


@dataclass
class MoveServices:
    """The stand-in's Trigger services: their calls, and a refusal to answer with."""

    calls: list[str] = field(default_factory=list)
    refusal: str | None = None
    torque: list[bool] = field(default_factory=list)


@pytest.fixture(scope="module")
def offered_services(module_ros: RosClient, hardware: FakeHardware) -> Iterator[MoveServices]:
    """Offer wake_up, goto_sleep, stop_move and enable_torque as the hardware node does."""
    from std_srvs.srv import SetBool, Trigger

    state = MoveServices()

    def trigger(name: str, kind: str | None) -> Any:
        def handle(request: Any, response: Any) -> Any:
            state.calls.append(name)
            if state.refusal is not None:
                response.success, response.message = False, state.refusal
            elif kind is None:
                stopped = hardware.stop_move()
                response.success = True
                response.message = stopped if stopped is not None else "no move was running"
            else:
                move_id = f"{kind}-{uuid.uuid4().hex[:8]}"
                hardware.start_move(move_id, kind, SERVICE_MOVE_S)
                response.success, response.message = True, move_id
            return response

        return handle

    def torque(request: Any, response: Any) -> Any:
        state.torque.append(bool(request.data))
        response.success = True
        response.message = "torque on" if request.data else "torque off"
        return response

    node = module_ros.node
    offered = [
        node.create_service(Trigger, moves.WAKE_UP_SERVICE, trigger("wake_up", "wake_up")),
        node.create_service(
            Trigger, moves.GOTO_SLEEP_SERVICE, trigger("goto_sleep", "goto_sleep")
        ),
        node.create_service(Trigger, moves.STOP_MOVE_SERVICE, trigger("stop", None)),
        node.create_service(SetBool, "/reachy_mini/enable_torque", torque),
    ]
    # A service's request path is matched before its response path (see
    # support.call_service): a reply sent in between would be lost.
    time.sleep(1.0)
    yield state
    for service in offered:
        node.destroy_service(service)


@pytest.fixture
def services(offered_services: MoveServices) -> MoveServices:
    """The stand-in's services, with their calls forgotten and no refusal set."""
    offered_services.calls.clear()
    offered_services.torque.clear()
    offered_services.refusal = None
    return offered_services


def post_until_found(bridge: Bridge, path: str, body: Any) -> httpx.Response:
    """POST once the bridge has discovered the stand-in (503 until then)."""
    response: httpx.Response = wait_for(
        lambda: (r := bridge.post(path, body)).status_code != 503 and r,
        30.0,
        f"the bridge to find the stand-in for {path}",
        every=0.2,
    )
    return response


def subscribe_moves(ws: ClientConnection) -> None:
    ws.send(json.dumps({"type": "subscribe", "channels": ["moves"]}))
    assert receive(ws, "subscribed")["channels"] == {"moves": 30.0}


def move_frames(
    ws: ClientConnection, move_id: str, count: int, timeout: float = 10.0
) -> list[Any]:
    """Return the next `count` moves frames about move_id, skipping other moves'."""
    frames: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(frames) < count:
        data = receive(ws, "moves", timeout=max(0.01, deadline - time.monotonic()))["data"]
        if data["move_id"] == move_id:
            frames.append(data)
    return frames


def events(bridge: Bridge, kind: str) -> list[dict[str, Any]]:
    """Return the newest audit events of a kind."""
    items: list[dict[str, Any]] = bridge.get(
        "/api/events", params={"kind": kind, "limit": 200}
    ).json()["items"]
    return items


def running_ids(bridge: Bridge) -> list[str]:
    return [move["move_id"] for move in bridge.get("/api/moves/running").json()]


# -- services absent: first, before any test offers them ---------------------------------


@pytest.mark.parametrize("command", ["stop", "wake_up", "goto_sleep"])
def test_move_services_answer_503_when_the_hardware_node_offers_none(
    bridge: Bridge, command: str
) -> None:
    response = bridge.post(f"/api/commands/{command}", None)
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "service_unavailable"
    service = {"stop": moves.STOP_MOVE_SERVICE}.get(command, f"/reachy_mini/{command}")
    assert service in response.json()["message"]


# -- goto -----------------------------------------------------------------------------------


def test_goto_answers_its_move_id_and_the_moves_channel_shows_it_start_then_complete(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    head = {**NEUTRAL_HEAD, "z": 0.01, "yaw": 0.2}
    body = {"head": head, "antennas": [0.3, -0.3], "duration": 0.8, "interpolation": "cartoon"}
    with connect(bridge.ws_url) as ws:
        subscribe_moves(ws)
        response = post_until_found(bridge, "/api/commands/goto", body)
        assert response.status_code == 200, response.text
        answer = response.json()
        move_id = answer["move_id"]
        assert uuid.UUID(move_id)
        assert answer == {
            "ok": True,
            "command": "goto",
            "move_id": move_id,
            "message": "goto of 0.8 s started",
        }
        wait_for(lambda: move_id in running_ids(bridge), 5.0, "the goto among the running moves")
        started, completed = move_frames(ws, move_id, 2)
    sent = hardware.gotos[-1]
    assert sent.move_id == move_id
    assert (sent.duration, sent.interpolation, sent.body_yaw, sent.joints) == (
        0.8,
        "cartoon",
        None,
        {},
    )
    assert sent.head == pytest.approx(head)
    assert sent.antennas == (0.3, -0.3)
    # The stamp has the text form of a header stamp's key, and expires when the bridge stops
    # waiting (the stand-in reports no command_deadline_s: the default, 1 s).
    sec, nanosec = sent.stamp.split(".")
    assert sent.stamp == command_results.stamp_text(int(sec), int(nanosec))
    assert abs(float(sent.stamp) - time.time()) < 2.0
    assert started == {
        "move_id": move_id,
        "kind": "goto",
        "event": "started",
        "reason": "",
        "duration": 0.8,
        "time": pytest.approx(time.time(), abs=10.0),
    }
    assert completed["event"] == "completed"
    assert completed["time"] - started["time"] == pytest.approx(0.8, abs=0.3)
    assert move_id not in running_ids(bridge)


def test_running_moves_tell_their_kind_start_duration_and_elapsed_time(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    move_id = post_until_found(
        bridge, "/api/commands/goto", {"body_yaw": 0.1, "duration": 3.0}
    ).json()["move_id"]
    time.sleep(1.0)
    (move,) = bridge.get("/api/moves/running").json()
    assert move["move_id"] == move_id
    assert (move["kind"], move["duration"]) == ("goto", 3.0)
    assert move["started"] == pytest.approx(time.time() - 1.0, abs=0.5)
    assert move["elapsed"] == pytest.approx(1.0, abs=0.5)
    wait_for(lambda: move_id not in running_ids(bridge), 10.0, "the goto to complete")


def test_goto_the_hardware_node_refuses_answers_400_with_its_reason_and_nothing_runs(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    reason = "at t=0.350 s of 1.000 s: head pose is out of reach of motor stewart_2"
    body = {"head": {**NEUTRAL_HEAD, "z": 0.028}, "duration": 1.0}
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    wait_for(lambda: not running_ids(bridge), 10.0, "no move running")
    hardware.goto_refusal = reason
    try:
        response = post_until_found(bridge, "/api/commands/goto", body)
    finally:
        hardware.goto_refusal = None
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "refused"
    assert response.json()["message"] == f"the hardware node refused the goto: {reason}"
    assert running_ids(bridge) == []

    def audited() -> Any:
        return [
            e
            for e in events(bridge, "command")
            if e["details"].get("command") == "goto" and e["details"]["error"] == "refused"
        ]

    (event, *_) = wait_for(audited, 10.0, "the refused goto in the audit log")
    assert event["details"]["move_id"] == hardware.gotos[-1].move_id
    assert event["details"]["args"]["head"]["z"] == 0.028
    assert reason in event["message"]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"antennas": [0.0, 4.0], "duration": 1.0}, "left_antenna"),
        ({"body_yaw": 3.0, "duration": 1.0}, "yaw_body"),
        ({"joints": {"stewart_1": 2.5}, "duration": 1.0}, "stewart_1"),
        ({"joints": {"elbow": 0.0}, "duration": 1.0}, "unknown joint"),
        ({"head": {**NEUTRAL_HEAD, "pitch": 1.0}, "duration": 1.0}, "pitch"),
        # 80° from a body that the goto turns to -0.5 rad: 109° relative to the body.
        ({"head": {**NEUTRAL_HEAD, "yaw": 1.4}, "body_yaw": -0.5, "duration": 1.0}, "body"),
    ],
)
def test_goto_out_of_the_documented_limits_is_refused_and_not_published(
    bridge: Bridge, hardware: FakeHardware, body: dict[str, Any], said: str
) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    before = len(hardware.goto_texts)
    response = bridge.post("/api/commands/goto", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "out_of_limits"
    assert said in response.json()["message"]
    time.sleep(0.5)
    assert len(hardware.goto_texts) == before


@pytest.mark.parametrize(
    "body",
    [
        {"antennas": [0.1, 0.1]},
        {"antennas": [0.1, 0.1], "duration": 0},
        {"antennas": [0.1, 0.1], "duration": 60.5},
        {"antennas": [0.1, 0.1], "duration": "1"},
        {"antennas": [0.1, 0.1], "duration": True},
        {"antennas": [0.1], "duration": 1.0},
        {"antennas": [0.1, 0.1, 0.1], "duration": 1.0},
        {"antennas": [0.1, "0.1"], "duration": 1.0},
        {"head": {"z": 0.01}, "duration": 1.0},
        {"duration": 1.0},
        {"joints": {}, "duration": 1.0},
        {"body_yaw": 0.1, "duration": 1.0, "interpolation": "cubic"},
        {"body_yaw": 0.1, "duration": 1.0, "speed": 2},
        {"body_yaw": 0.1, "duration": 1.0, "move_id": "mine"},
    ],
)
def test_malformed_goto_is_422_and_not_published(
    bridge: Bridge, hardware: FakeHardware, body: dict[str, Any]
) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    before = len(hardware.goto_texts)
    response = bridge.post("/api/commands/goto", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    time.sleep(0.3)
    assert len(hardware.goto_texts) == before


def test_goto_without_a_target_says_what_is_missing(bridge: Bridge) -> None:
    response = bridge.post("/api/commands/goto", {"duration": 1.0, "head": None})
    assert response.status_code == 422
    assert response.json()["message"] == (
        "body: a goto needs a target: head, antennas, body_yaw or joints"
    )


def test_goto_answers_504_when_the_hardware_node_stays_silent(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    hardware.silent = True
    try:
        response = bridge.post("/api/commands/goto", {"body_yaw": 0.1, "duration": 1.0})
    finally:
        hardware.silent = False
    assert response.status_code == 504, response.text
    assert response.json()["error"] == "timeout"
    assert response.json()["message"] == "the hardware node did not answer the goto in time"


def test_goto_answers_503_without_a_hardware_node(bridge: Bridge, hardware: FakeHardware) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    hardware.take_gotos(False)
    try:
        response = wait_for(
            lambda: (
                (
                    r := bridge.post("/api/commands/goto", {"body_yaw": 0.0, "duration": 1.0})
                ).status_code
                == 503
                and r
            ),
            30.0,
            "the bridge to see the hardware node gone",
        )
    finally:
        hardware.take_gotos(True)
    assert response.json()["error"] == "service_unavailable"
    assert response.json()["message"] == "no hardware node subscribes to /reachy_mini/goto"


def test_move_commands_need_the_token(bridge: Bridge) -> None:
    for path, body in (
        ("/api/commands/goto", {"body_yaw": 0.0, "duration": 1.0}),
        ("/api/commands/stop", None),
        ("/api/commands/wake_up", None),
        ("/api/commands/goto_sleep", None),
        ("/api/commands/motor_mode", {"mode": "disabled"}),
    ):
        for token in ("", "wrong"):
            response = bridge.post(path, body, token=token)
            assert response.status_code == 401, (path, response.text)
            assert response.json()["error"] == "unauthorized"


# -- stop, wake_up, goto_sleep ---------------------------------------------------------------


def test_stop_cancels_the_running_goto(
    bridge: Bridge, hardware: FakeHardware, services: MoveServices
) -> None:
    with connect(bridge.ws_url) as ws:
        subscribe_moves(ws)
        move_id = post_until_found(
            bridge, "/api/commands/goto", {"body_yaw": 0.2, "duration": 10.0}
        ).json()["move_id"]
        assert move_frames(ws, move_id, 1)[0]["event"] == "started"
        response = post_until_found(bridge, "/api/commands/stop", None)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "ok": True,
            "command": "stop",
            "move_id": move_id,
            "message": f"stopped move {move_id}",
        }
        (cancelled,) = move_frames(ws, move_id, 1)
    assert (cancelled["event"], cancelled["reason"]) == ("cancelled", "stopped")
    assert move_id not in running_ids(bridge)

    def audited() -> Any:
        return [e for e in events(bridge, "move") if e["details"]["move_id"] == move_id]

    (end,) = wait_for(audited, 10.0, "the cancelled move in the audit log")
    assert end["level"] == 1
    assert end["details"]["event"] == "cancelled"
    assert end["details"]["reason"] == "stopped"
    assert end["message"] == "goto cancelled: stopped"
    assert end["source"] == "hardware_node"


def test_stop_without_a_running_move_says_so(
    bridge: Bridge, hardware: FakeHardware, services: MoveServices
) -> None:
    wait_for(lambda: hardware.running_move() is None, 15.0, "no move running")
    response = post_until_found(bridge, "/api/commands/stop", {})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ok": True,
        "command": "stop",
        "move_id": None,
        "message": "no move was running",
    }


@pytest.mark.parametrize("command", ["wake_up", "goto_sleep"])
def test_wake_up_and_goto_sleep_answer_the_move_they_started(
    bridge: Bridge, hardware: FakeHardware, services: MoveServices, command: str
) -> None:
    with connect(bridge.ws_url) as ws:
        subscribe_moves(ws)
        response = post_until_found(bridge, f"/api/commands/{command}", None)
        assert response.status_code == 200, response.text
        move_id = response.json()["move_id"]
        assert move_id.startswith(f"{command}-")
        assert response.json() == {
            "ok": True,
            "command": command,
            "move_id": move_id,
            "message": f"{command} started",
        }
        started, completed = move_frames(ws, move_id, 2)
    assert (started["kind"], started["event"]) == (command, "started")
    assert (completed["kind"], completed["event"]) == (command, "completed")

    def audited() -> Any:
        command_events = [
            e
            for e in events(bridge, "command")
            if e["details"].get("command") == command and e["details"].get("move_id") == move_id
        ]
        ends = [e for e in events(bridge, "move") if e["details"]["move_id"] == move_id]
        return command_events and ends and (command_events[0], ends[0])

    accepted, end = wait_for(audited, 10.0, f"the {command} and its end in the audit log")
    assert accepted["details"]["accepted"] is True
    assert (end["level"], end["details"]["event"]) == (0, "completed")


@pytest.mark.parametrize("command", ["stop", "wake_up", "goto_sleep"])
def test_move_service_refusal_answers_409_with_the_reason(
    bridge: Bridge, services: MoveServices, command: str
) -> None:
    services.refusal = "hardware node is inactive: commands are refused until it is active"
    response = post_until_found(bridge, f"/api/commands/{command}", None)
    assert response.status_code == 409, response.text
    assert response.json() == {
        "error": "refused",
        "message": services.refusal,
        "timestamp": pytest.approx(time.time(), abs=10.0),
    }


@pytest.mark.parametrize(
    "body", [{"now": True}, [], {"": None}, "stop", 0], ids=["field", "list", "empty", "str", "0"]
)
def test_move_services_take_no_arguments(
    bridge: Bridge, services: MoveServices, body: Any
) -> None:
    for command in ("stop", "wake_up", "goto_sleep"):
        response = bridge.post(f"/api/commands/{command}", body)
        assert response.status_code == 422, response.text
    time.sleep(0.3)
    assert services.calls == []


# -- motor modes ------------------------------------------------------------------------------


def test_motor_modes_enabled_and_disabled_turn_torque_on_and_off(
    bridge: Bridge, services: MoveServices
) -> None:
    response = post_until_found(bridge, "/api/commands/motor_mode", {"mode": "disabled"})
    assert response.json() == {"ok": True, "command": "motor_mode", "message": "torque off"}
    response = bridge.post("/api/commands/motor_mode", {"mode": "enabled"})
    assert response.json() == {"ok": True, "command": "motor_mode", "message": "torque on"}
    assert services.torque[-2:] == [False, True]


def test_gravity_compensation_is_refused_409_with_why_and_changes_nothing(
    bridge: Bridge, services: MoveServices
) -> None:
    response = bridge.post("/api/commands/motor_mode", {"mode": "gravity_compensation"})
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "refused"
    assert "XL330" in response.json()["message"]
    assert "dynamic model" in response.json()["message"]
    time.sleep(0.3)
    assert services.torque == []

    def audited() -> Any:
        return [
            e
            for e in events(bridge, "command")
            if e["details"].get("command") == "motor_mode"
            and e["details"]["args"] == {"mode": "gravity_compensation"}
        ]

    (event,) = wait_for(audited, 10.0, "the refused motor mode in the audit log")
    assert (event["level"], event["details"]["error"]) == (1, "refused")


# -- streamed targets during a move -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/commands/joints", {"goals": {"right_antenna": 0.2}}),
        ("/api/commands/head_pose", {**NEUTRAL_HEAD, "z": 0.005}),
    ],
)
def test_streamed_target_refused_while_a_move_runs_answers_409_move_running(
    bridge: Bridge, hardware: FakeHardware, path: str, body: dict[str, Any]
) -> None:
    reason = "move_running: goto 'abc' runs until it ends or is stopped"
    hardware.joint_refusal = hardware.head_pose_refusal = reason
    try:
        response = post_until_found(bridge, path, body)
    finally:
        hardware.joint_refusal = hardware.head_pose_refusal = None
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "move_running"
    assert response.json()["message"].endswith(f": {reason}")


# -- WebSocket ---------------------------------------------------------------------------------


class Session:
    """A WebSocket whose moves frames are kept while a command waits for its result."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.moves: list[dict[str, Any]] = []

    def command(self, token: str, name: str, args: Any = None) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "command", "id": name, "token": token, "command": name}
        if args is not None:
            message["args"] = args
        self.ws.send(json.dumps(message))
        while True:
            reply = self._next()
            if reply["type"] == "command_result" and reply["id"] == name:
                return reply

    def move_frames(self, move_id: str, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 10.0
        while len([m for m in self.moves if m["move_id"] == move_id]) < count:
            assert time.monotonic() < deadline, f"no {count} moves frames of {move_id}"
            self._next(timeout=max(0.01, deadline - time.monotonic()))
        return [m for m in self.moves if m["move_id"] == move_id][:count]

    def _next(self, timeout: float = 10.0) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        check_server_message(message)
        if message["type"] == "moves":
            self.moves.append(message["data"])
        return message


def test_ws_move_commands_answer_as_http_with_the_move_id(
    bridge: Bridge, hardware: FakeHardware, services: MoveServices
) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    token = bridge.token
    with connect(bridge.ws_url) as ws:
        subscribe_moves(ws)
        session = Session(ws)
        goto = session.command(token, "goto", {"antennas": [0.5, 0.5], "duration": 5.0})
        assert (goto["ok"], goto["error"]) == (True, None), goto
        assert goto["move_id"] == hardware.gotos[-1].move_id
        assert goto["message"] == "goto of 5 s started"
        stop = session.command(token, "stop")
        assert (stop["ok"], stop["move_id"]) == (True, goto["move_id"])
        started, cancelled = session.move_frames(goto["move_id"], 2)
        assert (started["event"], cancelled["event"]) == ("started", "cancelled")
        wake = session.command(token, "wake_up", {})
        assert wake["ok"] is True and wake["move_id"].startswith("wake_up-")
        assert session.move_frames(wake["move_id"], 2)[1]["event"] == "completed"
        mode = session.command(token, "motor_mode", {"mode": "gravity_compensation"})
        assert (mode["ok"], mode["error"], mode["move_id"]) == (False, "refused", None)
        torque = session.command(token, "motor_mode", {"mode": "enabled"})
        assert (torque["ok"], torque["move_id"]) == (True, None)
        bad = session.command(token, "goto", {"antennas": [0.5, 0.5], "duration": -1})
        assert (bad["error"], bad["message"]) == (
            "validation_error",
            "args.duration: Input should be greater than 0",
        )
        extra = session.command(token, "stop", {"now": True})
        assert extra["error"] == "validation_error"
        refused = session.command("wrong", "goto", {"antennas": [0.5, 0.5], "duration": 1})
        assert refused["error"] == "unauthorized"


def test_ws_streamed_target_during_a_move_gets_move_running(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    hardware.joint_refusal = "move_running: goto 'abc' runs until it ends or is stopped"
    try:
        with connect(bridge.ws_url) as ws:
            reply = Session(ws).command(bridge.token, "joints", {"goals": {"left_antenna": 0.1}})
    finally:
        hardware.joint_refusal = None
    assert (reply["ok"], reply["error"]) == (False, "move_running")


# -- moves of any sender ------------------------------------------------------------------------


def test_moves_started_by_other_ros_nodes_are_followed_and_audited(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    with connect(bridge.ws_url) as ws:
        subscribe_moves(ws)
        hardware.start_move("trajectory-1", "joint_trajectory", 10.0)
        assert move_frames(ws, "trajectory-1", 1)[0]["kind"] == "joint_trajectory"
        assert "trajectory-1" in running_ids(bridge)
        hardware.move_event(
            "trajectory-1", "joint_trajectory", "failed", 10.0, "motor stewart_3 stopped"
        )
        (failed,) = move_frames(ws, "trajectory-1", 1)
    assert (failed["event"], failed["reason"]) == ("failed", "motor stewart_3 stopped")
    assert "trajectory-1" not in running_ids(bridge)

    def audited() -> Any:
        return [e for e in events(bridge, "move") if e["details"]["move_id"] == "trajectory-1"]

    (end,) = wait_for(audited, 10.0, "the failed trajectory in the audit log")
    assert end["level"] == 2
    assert end["message"] == "joint_trajectory failed: motor stewart_3 stopped"


@pytest.mark.parametrize(
    "values",
    [
        {"kind": "dance"},
        {"event": "paused"},
        {"move_id": ""},
        {"duration": "long"},
        {"time": "nan"},
        {"duration": None},
    ],
    ids=["kind", "event", "id", "duration", "time", "no-duration"],
)
def test_a_move_event_outside_the_contract_is_ignored(
    bridge: Bridge, hardware: FakeHardware, values: dict[str, str | None]
) -> None:
    from diagnostic_msgs.msg import DiagnosticStatus

    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    good = {
        moves.MOVE_ID_KEY: "odd-1",
        moves.KIND_KEY: "goto",
        moves.EVENT_KEY: "started",
        moves.DURATION_KEY: "1.0",
        moves.TIME_KEY: f"{time.time():.3f}",
    }
    odd = {k: v for k, v in {**good, **values}.items() if v is not None}
    with connect(bridge.ws_url) as ws:
        subscribe_moves(ws)
        hardware.publish_result(moves.MOVE_RESULT, DiagnosticStatus.OK, "", odd)
        # A good event after it comes through, alone: the odd one was dropped.
        hardware.move_event("after-odd", "goto", "started", 0.2)
        data = receive(ws, "moves")["data"]
        assert data["move_id"] == "after-odd"
        hardware.move_event("after-odd", "goto", "completed", 0.2)
    assert "odd-1" not in running_ids(bridge)


def test_a_move_whose_end_never_comes_leaves_the_running_moves_after_its_duration(
    bridge: Bridge, hardware: FakeHardware
) -> None:
    post_until_found(bridge, "/api/commands/goto", {"body_yaw": 0.0, "duration": 0.1})
    hardware.move_event("orphan-1", "goto", "started", 0.5)
    wait_for(lambda: "orphan-1" in running_ids(bridge), 10.0, "the orphan move running")
    time.sleep(0.5 + END_GRACE_S + 0.5)
    assert "orphan-1" not in running_ids(bridge)
