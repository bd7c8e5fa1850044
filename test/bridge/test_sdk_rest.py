"""The vendor daemon's REST routes and WebSockets, served by the bridge on the real stack.

The calls are those an app of the vendor's SDK makes, with httpx and no token; each reply is
validated against the vendor's own pydantic models, in the vendor's venv (a child process).
The robot is the simulated bus behind a real hardware node, over real DDS.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import Stack, running_stack, wait_for
from vendor_support import run_vendor
from websockets.sync.client import ClientConnection, connect

VALIDATE = """
import json, sys
from pydantic import TypeAdapter
from reachy_mini.io.protocol import DaemonStatus
from reachy_mini.daemon.app.models import FullState, AnyPose
from reachy_mini.daemon.app.routers.motors import MotorStatus
from reachy_mini.daemon.app.routers.move import MoveUUID
models = {
    "DaemonStatus": DaemonStatus, "FullState": FullState, "AnyPose": AnyPose,
    "MotorStatus": MotorStatus, "MoveUUID": MoveUUID, "float": float,
    "antennas": tuple[float, float], "status": dict[str, str], "running": list[MoveUUID],
}
out = []
for name, value in json.load(sys.stdin):
    parsed = TypeAdapter(models[name]).validate_python(value, strict=False)
    out.append(json.loads(TypeAdapter(models[name]).dump_json(parsed)))
print(json.dumps(out))
"""


def vendor_validate(*replies: tuple[str, Any]) -> list[Any]:
    """Validate each (model name, JSON value) with the vendor's models; return them parsed."""
    result: list[Any] = run_vendor(VALIDATE, [list(r) for r in replies], timeout=120.0)
    return result


@pytest.fixture(scope="module")
def sdk_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack for the module: the vendor routes move the robot."""
    with running_stack(tmp_path_factory.mktemp("sdk_rest")) as stack:
        yield stack


@pytest.fixture(scope="module")
def app(sdk_stack: Stack) -> Iterator[httpx.Client]:
    """An HTTP client as an app makes it: no token, the robot's address and port."""
    with httpx.Client(base_url=sdk_stack.base_url, timeout=10.0) as client:
        wait_for(
            lambda: client.get("/api/daemon/status").json()["backend_status"]["ready"],
            30.0,
            "the backend to be ready",
        )
        yield client


def joints(stack: Stack) -> dict[str, float]:
    return {j["name"]: j["position"] for j in stack.get("/api/joints").json()["joints"]}


def no_move_running(client: httpx.Client) -> None:
    for move in client.get("/api/move/running").json():
        client.post("/api/move/stop", json=move)
    wait_for(lambda: client.get("/api/move/running").json() == [], 10.0, "no move running")


def test_the_read_routes_answer_in_the_vendors_shapes(app: httpx.Client) -> None:
    status = app.get("/api/daemon/status")
    full = app.get("/api/state/full")
    full_matrix = app.get(
        "/api/state/full",
        params={"with_head_joints": "true", "use_pose_matrix": "true", "with_body_yaw": "false"},
    )
    pose = app.get("/api/state/present_head_pose")
    yaw = app.get("/api/state/present_body_yaw")
    antennas = app.get("/api/state/present_antenna_joint_positions")
    motors = app.get("/api/motors/status")
    for reply in (status, full, full_matrix, pose, yaw, antennas, motors):
        assert reply.status_code == 200, (reply.request.url, reply.text)
    parsed = vendor_validate(
        ("DaemonStatus", status.json()),
        ("FullState", full.json()),
        ("FullState", full_matrix.json()),
        ("AnyPose", pose.json()),
        ("float", yaw.json()),
        ("antennas", antennas.json()),
        ("MotorStatus", motors.json()),
    )
    daemon, state, state_matrix = parsed[0], parsed[1], parsed[2]
    assert daemon["state"] == "running" and daemon["no_media"] is True
    assert daemon["backend_status"]["ready"] is True
    assert set(state["head_pose"]) == {"x", "y", "z", "roll", "pitch", "yaw"}
    assert state["head_joints"] is None and state["body_yaw"] is not None
    assert len(state["antennas_position"]) == 2 and state["timestamp"]
    assert len(state_matrix["head_pose"]["m"]) == 16 and len(state_matrix["head_joints"]) == 7
    assert state_matrix["body_yaw"] is None
    assert parsed[6]["mode"] in ("enabled", "disabled")


def test_media_release_succeeds_and_kinematics_are_described(app: httpx.Client) -> None:
    assert app.post("/api/media/release").json() == {"status": "ok"}
    info = app.get("/api/kinematics/info").json()
    assert set(info["info"]) == {"engine", "collision check"}
    urdf = app.get("/api/kinematics/urdf").json()["urdf"]
    assert urdf.lstrip().startswith("<?xml") and "yaw_body" in urdf


def test_set_mode_turns_torque_off_and_on_and_refuses_gravity_compensation(
    app: httpx.Client,
) -> None:
    replies = []
    for mode in ("disabled", "enabled"):
        reply = app.post(f"/api/motors/set_mode/{mode}")
        assert reply.status_code == 200, reply.text
        replies.append(("status", reply.json()))
        wait_for(
            lambda m=mode: app.get("/api/motors/status").json()["mode"] == m,  # type: ignore[misc]
            10.0,
            f"the motors {mode}",
        )
        replies.append(("MotorStatus", app.get("/api/motors/status").json()))
    vendor_validate(*replies)
    assert replies[0][1] == {"status": "motors changed to disabled mode"}
    refused = app.post("/api/motors/set_mode/gravity_compensation")
    assert refused.status_code == 409
    assert "position-controlled" in refused.json()["detail"]
    assert app.get("/api/motors/status").json()["mode"] == "enabled"
    assert app.post("/api/motors/set_mode/limp").status_code == 422


def test_a_goto_as_apps_send_it_reaches_the_joints(sdk_stack: Stack, app: httpx.Client) -> None:
    no_move_running(app)
    assert app.post("/api/motors/set_mode/enabled").status_code == 200
    body = {
        "head_pose": {"x": 0.0, "y": 0.0, "z": 0.01, "roll": 0.0, "pitch": 0.0, "yaw": 0.1},
        "antennas": [0.3, -0.3],
        "duration": 0.6,
    }
    reply = app.post("/api/move/goto", json=body)
    assert reply.status_code == 200, reply.text
    (move,) = vendor_validate(("MoveUUID", reply.json()))
    uuid.UUID(move["uuid"])
    wait_for(
        lambda: (
            abs((j := joints(sdk_stack))["right_antenna"] - 0.3) < 0.03
            and abs(j["left_antenna"] + 0.3) < 0.03
            and abs(j["head_z"] - 0.01) < 0.002
            and abs(j["head_yaw"] - 0.1) < 0.01
        ),
        10.0,
        "the goto's target on /joint_states",
    )
    pose = app.get("/api/state/present_head_pose").json()
    assert pose["z"] == pytest.approx(0.01, abs=0.002)
    assert pose["yaw"] == pytest.approx(0.1, abs=0.01)
    matrix = {"m": [1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]}
    reply = app.post("/api/move/goto", json={"head_pose": matrix, "duration": 0.5})
    assert reply.status_code == 200, reply.text
    wait_for(lambda: abs(joints(sdk_stack)["head_z"]) < 0.002, 10.0, "the neutral head")


def test_bad_gotos_are_refused_and_nothing_moves(sdk_stack: Stack, app: httpx.Client) -> None:
    no_move_running(app)
    before = joints(sdk_stack)["right_antenna"]
    for body in (
        {"antennas": [0.3, -0.3]},  # no duration
        {"antennas": [0.3, -0.3], "duration": -1},
        {"antennas": [0.3, -0.3], "duration": 1, "interpolation": "teleport"},
        {"antennas": [0.3], "duration": 1},
        {"antennas": [0.3, -0.3], "duration": 1, "speed": 2},
        {"head_pose": {"m": [2.0] * 16}, "duration": 1},
        {"duration": 1},
    ):
        reply = app.post("/api/move/goto", json=body)
        assert reply.status_code == 422, (body, reply.text)
    far = app.post("/api/move/goto", json={"antennas": [9.0, 0.0], "duration": 1})
    assert far.status_code == 400 and "detail" in far.json()
    time.sleep(0.3)
    assert joints(sdk_stack)["right_antenna"] == pytest.approx(before, abs=0.01)
    assert app.get("/api/move/running").json() == []


def test_set_target_is_followed_and_ignored_while_a_move_runs(
    sdk_stack: Stack, app: httpx.Client
) -> None:
    no_move_running(app)
    target = {"target_antennas": [0.2, -0.2], "target_body_yaw": 0.0}
    assert app.post("/api/move/set_target", json=target).json() == {"status": "ok"}
    wait_for(lambda: abs(joints(sdk_stack)["right_antenna"] - 0.2) < 0.03, 10.0, "the target")
    # Long enough to still run when the target comes; it is stopped below.
    move = app.post("/api/move/goto", json={"antennas": [-0.2, 0.2], "duration": 6.0}).json()
    running = wait_for(
        lambda: (r := app.get("/api/move/running").json()) and r, 5.0, "the move running"
    )
    # The target right away: validating with the vendor's models first (a process of its
    # own, seconds on a loaded machine) let a short move end before the target came.
    ignored = app.post("/api/move/set_target", json={"target_antennas": [0.5, 0.5]})
    assert running == [{"uuid": move["uuid"]}]
    assert ignored.json() == {"status": "ignored", "reason": "move_running"}
    vendor_validate(("running", running))
    stopped = app.post("/api/move/stop", json=move)
    assert stopped.status_code == 200, stopped.text
    wait_for(lambda: app.get("/api/move/running").json() == [], 5.0, "the move stopped")
    assert app.post("/api/move/stop", json=move).status_code == 404


def updates(ws: ClientConnection, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        got.append(json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01))))
    return got


def test_move_updates_tell_each_moves_start_and_end(sdk_stack: Stack, app: httpx.Client) -> None:
    no_move_running(app)
    ws_url = sdk_stack.base_url.replace("http", "ws")
    with connect(f"{ws_url}/api/move/ws/updates") as ws:
        time.sleep(0.2)
        first = app.post("/api/move/goto", json={"antennas": [0.1, -0.1], "duration": 0.4})
        first_id = first.json()["uuid"]
        assert updates(ws, 2) == [
            {"type": "move_started", "uuid": first_id, "details": ""},
            {"type": "move_completed", "uuid": first_id, "details": ""},
        ]
        second = app.post("/api/move/goto", json={"antennas": [0.4, -0.4], "duration": 3.0})
        second_id = second.json()["uuid"]
        assert updates(ws, 1) == [{"type": "move_started", "uuid": second_id, "details": ""}]
        app.post("/api/move/stop", json={"uuid": second_id})
        (cancelled,) = updates(ws, 1)
        assert (cancelled["type"], cancelled["uuid"]) == ("move_cancelled", second_id)


def test_state_ws_streams_full_states_at_the_frequency_asked(
    sdk_stack: Stack, app: httpx.Client
) -> None:
    ws_url = sdk_stack.base_url.replace("http", "ws")
    url = f"{ws_url}/api/state/ws/full?frequency=20&with_head_joints=true&use_pose_matrix=true"
    with connect(url) as ws:
        start = time.monotonic()
        frames = [json.loads(ws.recv(timeout=5)) for _ in range(10)]
        elapsed = time.monotonic() - start
    assert 0.3 < elapsed < 1.5, elapsed
    parsed = vendor_validate(*(("FullState", f) for f in frames[:3]))
    assert len(parsed[0]["head_pose"]["m"]) == 16 and len(parsed[0]["head_joints"]) == 7
    with pytest.raises(Exception), connect(f"{ws_url}/api/state/ws/full?frequency=0") as ws:  # noqa: B017
        ws.recv(timeout=5)


def test_a_foreign_host_or_origin_is_refused_and_nothing_moves(
    sdk_stack: Stack, app: httpx.Client
) -> None:
    no_move_running(app)
    before = joints(sdk_stack)["right_antenna"]
    goto = {"antennas": [before + 0.3, 0.0], "duration": 0.3}
    rebound = app.post("/api/move/goto", json=goto, headers={"Host": "evil.example.com"})
    assert rebound.status_code == 400 and "Host" in rebound.json()["detail"]
    forged = app.post("/api/move/goto", json=goto, headers={"Origin": "https://evil.example.com"})
    assert forged.status_code == 403 and "Origin" in forged.json()["detail"]
    # Refused before the body is read: a malformed body gets the same answer.
    assert (
        app.post("/api/move/goto", content=b"{", headers={"Host": "a.example"}).status_code == 400
    )
    assert app.get("/api/state/full", headers={"Host": "evil.example.com"}).status_code == 400
    time.sleep(0.5)
    assert joints(sdk_stack)["right_antenna"] == pytest.approx(before, abs=0.01)
    local = app.get("/api/daemon/status", headers={"Host": "reachy-mini.local:8000"})
    assert local.status_code == 200
    ws_url = sdk_stack.base_url.replace("http", "ws")
    with pytest.raises(Exception, match="403"):
        connect(f"{ws_url}/api/move/ws/updates", origin="https://evil.example.com")  # type: ignore[arg-type]
    with connect(f"{ws_url}/api/move/ws/updates", origin="http://localhost:5173"):  # type: ignore[arg-type]
        pass


def test_vendor_paths_do_not_take_over_the_bridges_own(app: httpx.Client) -> None:
    # /api/telemetry is the bridge's joint history (the vendor's is its usage reporting).
    reply = app.get("/api/telemetry")
    assert reply.status_code in (200, 503)
    if reply.status_code == 200:
        assert "joints" in reply.json()


def test_the_trusted_networks_parameter_is_checked_at_start(tmp_path: Path) -> None:
    from support import BIN, private_domain, start_process

    process = start_process(
        "bridge",
        [
            str(BIN / "bridge_node"),
            "--ros-args",
            "-p",
            "api_port:=0",
            "-p",
            "sdk_trusted_networks:=['192.168.1.0/33']",
        ],
        tmp_path / "logs",
        {
            "REACHY_MINI_DATA_DIR": str(tmp_path / "data"),
            "REACHY_MINI_TOKEN": "t" * 32,
            "ROS_DOMAIN_ID": str(private_domain()),
        },
    )
    wait_for(lambda: not process.alive(), 30.0, "the bridge to refuse to start")
    assert process.popen.returncode == 2
    assert "sdk_trusted_networks: '192.168.1.0/33' is not a CIDR network" in process.log()
