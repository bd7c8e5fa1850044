"""The vendor's own SDK (PyPI reachy_mini 1.13.0, in .venv-vendor) against our whole stack.

Each test runs an app in the vendor's venv, as a child process, that connects with
`ReachyMini(host, port, connection_mode="network", media_backend="no_media")` to the bridge's
/ws/sdk; the stack runs on the simulated bus, and the test watches /joint_states and
/diagnostics over DDS to see what the robot did.

Tolerances: the simulated motor follows its goal with a first-order lag (a few ms of time
constant), so a position read at the end of a move is within a few mrad of its goal; the
checks allow 0.01 rad on a joint and 1 mm on the head's translation.
"""

from __future__ import annotations

import base64
import json
import math
import os
import socket
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import JointState
from support import (
    RosClient,
    Stack,
    TopicRecorder,
    diagnostic_statuses,
    running_stack,
    stamp_of,
    status_values,
    wait_for,
)
from vendor_support import VENDOR_VERSION, vendor_python

from reachy_mini_ros import __version__
from reachy_mini_ros.bridge.sdk.shapes import pose_matrix
from reachy_mini_ros.interface.joints import HEAD_POSE_JOINT_NAMES, MOTOR_JOINT_NAMES
from reachy_mini_ros.interface.status import MOTOR_STATUS_PREFIX, MotorKey

JOINT_TOLERANCE = 0.01  # rad
TRANSLATION_TOLERANCE = 0.001  # m
LOOP_PERIOD_S = 1 / 200
HEAD_JOINTS = ["yaw_body"] + [f"stewart_{i}" for i in range(1, 7)]

# What every app script starts with: connect, recording the warnings and log records above
# INFO that the SDK gives while it does.
PRELUDE = """
import json, logging, sys, time, warnings
import numpy as np
payload = json.load(sys.stdin)
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(f"{record.name}: {record.getMessage()}")
logging.getLogger().addHandler(Keep(level=logging.WARNING))
warnings.simplefilter("always")
from reachy_mini import ReachyMini
with warnings.catch_warnings(record=True) as caught:
    mini = ReachyMini(host="127.0.0.1", port=payload["port"], connection_mode="network",
                      media_backend="no_media")
connect_warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
out = {"warnings": connect_warnings, "records": records}
def pose(x=0.0, y=0.0, z=0.0, roll=0.0, pitch=0.0, yaw=0.0):
    cr, sr, cp, sp, cy, sy = (f(a) for a in (roll, pitch, yaw) for f in (np.cos, np.sin))
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    m = np.eye(4)
    m[:3, :3] = rz @ ry @ rx
    m[:3, 3] = [x, y, z]
    return m
"""
EPILOGUE = """
print(json.dumps(out))
"""


def run_app(stack: Stack, body: str, timeout: float = 60.0, **payload: Any) -> dict[str, Any]:
    """Run an SDK app (PRELUDE, body, EPILOGUE) in the vendor venv; return its `out`."""
    script = PRELUDE + textwrap.dedent(body) + EPILOGUE
    port = int(stack.base_url.rsplit(":", 1)[1])
    result = subprocess.run(
        [str(vendor_python()), "-c", script],
        input=json.dumps({"port": port, **payload}),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"HF_HUB_OFFLINE": "1", "REACHY_MINI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"SDK app failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def sdk_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("sdk_stack")) as stack:
        yield stack


@pytest.fixture(scope="module")
def dds(sdk_stack: Stack) -> Iterator[RosClient]:
    client = RosClient("sdk_test", domain_id=sdk_stack.domain_id)
    yield client
    client.close()


@pytest.fixture(scope="module")
def joint_states(dds: RosClient) -> TopicRecorder:
    recorder = TopicRecorder(dds, JointState, "/joint_states", depth=400)
    recorder.wait(30.0, "/joint_states")
    return recorder


@pytest.fixture(scope="module")
def diagnostics(dds: RosClient) -> TopicRecorder:
    recorder = TopicRecorder(dds, DiagnosticArray, "/diagnostics", depth=100)
    recorder.wait(30.0, "/diagnostics")
    return recorder


def positions(msg: Any) -> dict[str, float]:
    return dict(zip(msg.name, msg.position, strict=True))


def settled(recorder: TopicRecorder) -> dict[str, float]:
    def still() -> dict[str, float] | None:
        before = positions(recorder.latest())
        time.sleep(0.2)
        after = positions(recorder.latest())
        moving = any(abs(before[k] - after.get(k, math.inf)) > 1e-5 for k in before)
        return None if moving else after

    return wait_for(still, 15.0, "the motors to stand still")


def torques(diagnostics: TopicRecorder) -> set[str]:
    statuses = diagnostic_statuses(diagnostics)
    return {
        status_values(statuses[f"{MOTOR_STATUS_PREFIX}{name}"])[MotorKey.TORQUE]
        for name in MOTOR_JOINT_NAMES
    }


def sdk_metric(stack: Stack, command: str, outcome: str) -> int:
    text = httpx.get(stack.base_url + "/metrics", timeout=10.0).text
    prefix = f'reachy_mini_sdk_commands_total{{command="{command}",outcome="{outcome}"}} '
    line = next((x for x in text.splitlines() if x.startswith(prefix)), None)
    return int(line.split()[1]) if line else 0


def test_the_sdk_connects_and_reads_our_joint_states_and_head_pose(
    sdk_stack: Stack, joint_states: TopicRecorder
) -> None:
    still = settled(joint_states)
    out = run_app(
        sdk_stack,
        """
        head, antennas = mini.get_current_joint_positions()
        out.update(head=head, antennas=antennas, pose=mini.get_current_head_pose().tolist())
        status = mini.client.get_status()
        out["status"] = json.loads(status.model_dump_json())
        out["records"] = records
        """,
    )
    # The only warning is the one that says our version is not the SDK's.
    assert out["records"] == []
    assert len(out["warnings"]) == 1, out["warnings"]
    assert out["warnings"][0].startswith("RuntimeWarning: Reachy Mini SDK and daemon versions")
    assert f"SDK={VENDOR_VERSION}, daemon={__version__}" in out["warnings"][0]

    now = positions(joint_states.latest())
    for name, value in zip(HEAD_JOINTS, out["head"], strict=True):
        assert value == pytest.approx(now[name], abs=1e-5), name
    assert out["antennas"] == pytest.approx([now["right_antenna"], now["left_antenna"]], abs=1e-5)
    expected = pose_matrix(*(still[name] for name in HEAD_POSE_JOINT_NAMES))
    for row, want in zip(out["pose"], expected, strict=True):
        assert row == pytest.approx(want, abs=1e-5)

    status = out["status"]
    assert status["state"] == "running"
    assert status["version"] == __version__
    assert status["simulation_enabled"] is True and status["no_media"] is True
    backend = status["backend_status"]
    assert backend["ready"] is True and backend["motor_control_mode"] == "enabled"
    assert backend["last_alive"] == pytest.approx(time.time(), abs=5.0)
    # Our loop's achieved rate: 200 Hz on a quiet machine (126 has been seen on a loaded one),
    # above the 50 Hz of the vendor's own loop either way.
    assert 50.0 < backend["control_loop_stats"]["mean_control_loop_frequency"] <= 201.0


def at_or_after(recorder: TopicRecorder, t: float) -> dict[str, float]:
    """Return the first joint state read by the loop at time t or later."""

    def first() -> dict[str, float] | None:
        with recorder._lock:
            msgs = [m for _, m in recorder.messages]
        after = [m for m in msgs if stamp_of(m) >= t and len(m.name) > len(MOTOR_JOINT_NAMES)]
        return positions(after[0]) if after else None

    return wait_for(first, 10.0, f"a joint state stamped after {t}")


def test_goto_target_arrives_within_its_duration_plus_one_loop_period(
    sdk_stack: Stack, joint_states: TopicRecorder
) -> None:
    settled(joint_states)
    out = run_app(
        sdk_stack,
        """
        out["sent"] = time.time()
        mini.goto_target(pose(z=0.01, roll=0.15), antennas=[0.4, -0.5], body_yaw=0.3,
                         duration=1.0, method="minjerk")
        out["returned"] = time.time()
        """,
    )
    assert out["records"] == []
    # goto_target blocks until the task's end arrives.
    assert 1.0 <= out["returned"] - out["sent"] < 2.0
    end = at_or_after(joint_states, out["sent"] + 1.0 + LOOP_PERIOD_S)
    assert end["right_antenna"] == pytest.approx(0.4, abs=JOINT_TOLERANCE)
    assert end["left_antenna"] == pytest.approx(-0.5, abs=JOINT_TOLERANCE)
    assert end["yaw_body"] == pytest.approx(0.3, abs=JOINT_TOLERANCE)
    assert end["head_z"] == pytest.approx(0.01, abs=TRANSLATION_TOLERANCE)
    assert end["head_roll"] == pytest.approx(0.15, abs=JOINT_TOLERANCE)
    assert end["head_yaw"] == pytest.approx(0.0, abs=JOINT_TOLERANCE)


def test_play_move_at_100_hz_is_followed(sdk_stack: Stack, joint_states: TopicRecorder) -> None:
    settled(joint_states)
    out = run_app(
        sdk_stack,
        """
        from reachy_mini.motion.move import Move
        class Wave(Move):
            duration = 2.0
            def evaluate(self, t):
                a = 0.3 * np.sin(2 * np.pi * 0.5 * t)
                return pose(z=0.005 * np.sin(2 * np.pi * 0.5 * t)), np.array([a, -a]), 0.0
        out["start"] = time.time()
        mini.play_move(Wave(), play_frequency=100)
        out["end"] = time.time()
        """,
    )
    assert out["records"] == []
    start = out["start"]
    with joint_states._lock:
        samples = [
            (stamp_of(m) - start, positions(m))
            for _, m in joint_states.messages
            if start + 0.3 <= stamp_of(m) <= start + 1.9 and len(m.name) > 9
        ]
    # 1.6 s at 200 Hz is 320; a loaded machine delivers fewer (191 seen), and 120 are plenty
    # to fit a 0.5 Hz sine.
    assert len(samples) > 120, len(samples)

    def error(lag: float) -> float:
        return max(
            abs(p["right_antenna"] - 0.3 * math.sin(2 * math.pi * 0.5 * (t - lag)))
            for t, p in samples
        )

    # The stream is followed with the lag of the simulated motor (its time constant, 50 ms:
    # a first-order response lags a slow sine by about that much), the transport and the
    # shaping, and nothing else. A loaded machine has given 0.0202 rad at 88 ms, from targets
    # sent in bunches by a starved app. A missed stream is off by the whole 0.3 rad, a wrong
    # sign by 0.6, and a stream replayed late by more than its bound.
    best = min((error(lag / 1000), lag) for lag in range(0, 201, 2))
    assert best[0] < 0.03, best
    assert best[1] <= 120, best


def test_disable_and_enable_motors_change_the_torque_of_the_diagnostics(
    sdk_stack: Stack, diagnostics: TopicRecorder, joint_states: TopicRecorder
) -> None:
    settled(joint_states)
    run_app(sdk_stack, "mini.disable_motors()\ntime.sleep(0.3)\n")
    wait_for(lambda: torques(diagnostics) == {"off"}, 10.0, "every motor's torque off")
    out = run_app(
        sdk_stack,
        """
        deadline = time.time() + 10
        while mini.client.get_status().backend_status.motor_control_mode.value != "disabled":
            assert time.time() < deadline
        out["before"] = "disabled"
        mini.enable_motors()
        deadline = time.time() + 10
        while mini.client.get_status().backend_status.motor_control_mode.value != "enabled":
            assert time.time() < deadline
        out["after"] = "enabled"
        """,
    )
    assert (out["before"], out["after"]) == ("disabled", "enabled")
    assert torques(diagnostics) == {"on"}


def test_a_subset_of_motors_is_refused_and_changes_nothing(
    sdk_stack: Stack, diagnostics: TopicRecorder
) -> None:
    before = sdk_metric(sdk_stack, "set_torque", "refused")
    run_app(sdk_stack, "mini.disable_motors(ids=['right_antenna'])\ntime.sleep(0.5)\n")
    wait_for(
        lambda: sdk_metric(sdk_stack, "set_torque", "refused") == before + 1, 5.0, "the refusal"
    )
    time.sleep(1.5)  # a diagnostics period
    assert torques(diagnostics) == {"on"}


def test_the_sdks_goto_sleep_and_wake_up_run(
    sdk_stack: Stack, joint_states: TopicRecorder
) -> None:
    # The SDK's goto_sleep() is a goto to its sleep pose, whose head is 44 mm below neutral,
    # inside the ±50 mm head envelope; its wake_up() a goto back and the roll.
    settled(joint_states)
    out = run_app(
        sdk_stack,
        """
        mini.goto_target(pose(z=0.01), antennas=[0.5, -0.5], duration=0.5)
        mini.goto_sleep()
        time.sleep(0.5)
        out["asleep"] = mini.get_current_head_pose().tolist()
        mini.wake_up()
        """,
        timeout=90,
    )
    assert out["asleep"][2][3] == pytest.approx(-0.044, abs=2e-3), out["asleep"]
    awake = settled(joint_states)
    assert awake["right_antenna"] == pytest.approx(-0.1745, abs=JOINT_TOLERANCE)
    assert awake["left_antenna"] == pytest.approx(0.1745, abs=JOINT_TOLERANCE)
    for name in ("head_x", "head_y", "head_z"):
        assert awake[name] == pytest.approx(0.0, abs=TRANSLATION_TOLERANCE)
    for name in ("head_roll", "head_pitch", "head_yaw"):
        assert awake[name] == pytest.approx(0.0, abs=JOINT_TOLERANCE)


def test_the_wire_sleep_and_wake_up_run_our_moves(
    sdk_stack: Stack, joint_states: TopicRecorder, diagnostics: TopicRecorder
) -> None:
    settled(joint_states)
    run_app(
        sdk_stack,
        """
        from reachy_mini.io.protocol import GotoSleepCmd
        mini.client.send_command(GotoSleepCmd())
        time.sleep(0.5)
        """,
    )
    # Our sleep ends with the motors limp.
    wait_for(lambda: torques(diagnostics) == {"off"}, 20.0, "the sleep to end torque off")
    run_app(
        sdk_stack,
        """
        from reachy_mini.io.protocol import WakeUpCmd
        mini.enable_motors()
        deadline = time.time() + 10
        while mini.client.get_status().backend_status.motor_control_mode.value != "enabled":
            assert time.time() < deadline
        mini.client.send_command(WakeUpCmd())
        time.sleep(0.5)
        """,
    )
    time.sleep(1.0)
    awake = settled(joint_states)
    assert awake["right_antenna"] == pytest.approx(-0.1745, abs=JOINT_TOLERANCE)
    assert awake["head_z"] == pytest.approx(0.0, abs=TRANSLATION_TOLERANCE)


def test_recording_returns_the_records(sdk_stack: Stack) -> None:
    out = run_app(
        sdk_stack,
        """
        mini.start_recording()
        for i in range(20):
            mini.set_target(antennas=[0.01 * i, -0.01 * i])
            time.sleep(0.01)
        data = mini.stop_recording()
        out["data"] = data
        """,
    )
    assert out["records"] == []
    data = out["data"]
    assert len(data) == 20
    assert [r["antennas"] for r in data] == [
        pytest.approx([0.01 * i, -0.01 * i]) for i in range(20)
    ]
    assert all({"time", "body_yaw"} <= set(r) for r in data)


def test_a_refused_target_moves_nothing_and_is_counted(
    sdk_stack: Stack, joint_states: TopicRecorder
) -> None:
    before = settled(joint_states)
    refused = sdk_metric(sdk_stack, "set_target", "out_of_limits")
    out = run_app(
        sdk_stack,
        """
        mini.set_target_head_pose(pose(z=0.2))  # far out of reach
        time.sleep(0.3)
        try:
            mini.goto_target(pose(z=0.1), duration=0.5)  # the rods do not reach
            out["goto"] = None
        except Exception as exc:
            out["goto"] = str(exc)
        """,
    )
    # A task the robot refuses ends with its reason, which the SDK raises.
    assert out["goto"] and "Task failed with error" in out["goto"]
    time.sleep(0.3)
    after = positions(joint_states.latest())
    for name in MOTOR_JOINT_NAMES:
        assert after[name] == pytest.approx(before[name], abs=1e-3), name
    assert sdk_metric(sdk_stack, "set_target", "out_of_limits") == refused + 1
    events = sdk_stack.get("/api/events", params={"limit": 50}).json()
    items = events["items"] if isinstance(events, dict) else events
    assert any(e["source"] == "sdk" and e["details"].get("command") == "set_target" for e in items)


def handshake(stack: Stack, host_header: str | None = None) -> tuple[socket.socket, bytes]:
    """Open /ws/sdk with a tiny receive window; return the socket and the server's answer."""
    host, port = stack.base_url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/sdk HTTP/1.1\r\nHost: {host_header or f'{host}:{port}'}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(1)
        if not chunk:
            break
        response += chunk
    return sock, response


def stalled_sdk_socket(stack: Stack) -> socket.socket:
    """Open /ws/sdk and never read from it."""
    sock, response = handshake(stack)
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


COUNT_FRAMES = """
counts = {"joint_positions": 0, "head_pose": 0}
dispatch = mini.client._dispatch
def counting(msg):
    if msg.type in counts:
        counts[msg.type] += 1
    dispatch(msg)
mini.client._dispatch = counting
time.sleep(1.0)
for key in counts:
    counts[key] = 0
out["start"] = time.time()
time.sleep(payload["seconds"])
out["end"] = time.time()
out["counts"] = dict(counts)
"""


def test_two_sdk_clients_and_a_stalled_one_leave_the_others_at_rate(
    sdk_stack: Stack, joint_states: TopicRecorder
) -> None:
    stalled = stalled_sdk_socket(sdk_stack)
    try:
        time.sleep(1.0)
        results: list[dict[str, Any]] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(run_app(sdk_stack, COUNT_FRAMES, seconds=4.0))
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(results) == 2
        for out in results:
            with joint_states._lock:
                published = sum(
                    1
                    for received, _ in joint_states.messages
                    if out["start"] <= received <= out["end"]
                )
            for kind, count in out["counts"].items():
                assert count >= 0.9 * published, (kind, count, published)
    finally:
        stalled.close()


def test_an_untrusted_origin_or_host_is_refused_at_the_handshake(sdk_stack: Stack) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    url = sdk_stack.base_url.replace("http://", "ws://") + "/ws/sdk"
    with pytest.raises(InvalidStatus):
        connect(url, origin="http://evil.example", open_timeout=5)  # type: ignore[arg-type]
    sock, response = handshake(sdk_stack, host_header="robot.example.com")
    sock.close()
    assert response.startswith(b"HTTP/1.1 403"), response
    with connect(url, open_timeout=5) as ws:
        kinds = {json.loads(ws.recv(timeout=5))["type"] for _ in range(5)}
        assert kinds <= {"daemon_status", "joint_positions", "head_pose"}


@pytest.fixture(autouse=True)
def _bridge_alive(sdk_stack: Stack) -> Iterator[None]:
    yield
    assert sdk_stack.process.alive(), sdk_stack.process.log()[-3000:]


def test_bad_frames_are_skipped_counted_and_logged_once_per_kind(
    sdk_stack: Stack, joint_states: TopicRecorder
) -> None:
    from websockets.sync.client import connect

    before = settled(joint_states)
    kinds = {
        ("invalid_json", "skipped"): "not json {",
        ("play_sound", "unsupported"): json.dumps({"type": "play_sound", "file": "x.wav"}),
        ("set_antennas", "malformed"): json.dumps({"type": "set_antennas", "antennas": "up"}),
        ("set_target", "validation_error"): json.dumps({"type": "set_target", "head": [0.0] * 15}),
    }
    counts = {key: sdk_metric(sdk_stack, *key) for key in kinds}
    url = sdk_stack.base_url.replace("http://", "ws://") + "/ws/sdk"
    with connect(url, open_timeout=5) as ws:
        for frame in kinds.values():
            for _ in range(5):
                ws.send(frame)
        wait_for(
            lambda: all(sdk_metric(sdk_stack, *key) == counts[key] + 5 for key in kinds),
            5.0,
            "every bad frame counted",
        )
        # The connection is still served.
        seen = {json.loads(ws.recv(timeout=5))["type"] for _ in range(10)}
        assert "joint_positions" in seen
    after = positions(joint_states.latest())
    for name in MOTOR_JOINT_NAMES:
        assert after[name] == pytest.approx(before[name], abs=1e-3), name
    log_text = "".join(p.read_text() for p in (sdk_stack.data_dir / "logs").glob("*.log*"))
    lines = [json.loads(x) for x in log_text.splitlines() if x.startswith("{")]
    skipped = [x for x in lines if x.get("event") == "sdk_message_skipped"]
    assert sum(1 for x in skipped if x.get("kind") == "invalid_json") == 1
    assert sum(1 for x in skipped if x.get("kind") == "type:play_sound") == 1
    assert sum(1 for x in skipped if x.get("kind") == "malformed:set_antennas") == 1
    refused = [
        x
        for x in lines
        if x.get("event") == "sdk_command_refused" and x.get("error") == "validation_error"
    ]
    assert len(refused) == 1, refused
    assert "16 numbers" in refused[0]["reason"]
