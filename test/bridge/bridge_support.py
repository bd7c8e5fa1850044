"""Run a bridge_node process and a stand-in hardware publisher for the bridge tests."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from support import BRIDGE_DOMAIN_ID, Process, RosClient, free_port, start_process, wait_for

from reachy_mini_ros.interface import command_results, moves

MOTOR_JOINTS = [
    "yaw_body",
    *(f"stewart_{i}" for i in range(1, 7)),
    "right_antenna",
    "left_antenna",
]
HEAD_JOINTS = ["head_x", "head_y", "head_z", "head_roll", "head_pitch", "head_yaw"]
# A version no build of the core has: what the bridge reports as the core's version can then
# only be what the stand-in published, never a constant of the bridge's own. The real node's
# version is checked in the stack tests.
STAND_IN_CORE_VERSION = "0.0.0+stand-in"

# The bridges under test and their stand-in hardware talk on a domain of their own (still one
# per run, in 1..101, see support.BRIDGE_DOMAIN_ID), apart from the session's simulated robot
# (`stack`) and every other stack: their real joint states and diagnostics would otherwise mix
# with the stand-in's.


@contextlib.contextmanager
def bridge_domain() -> Iterator[None]:
    """Create ROS contexts and nodes on the bridge tests' domain inside this block."""
    previous = os.environ.get("ROS_DOMAIN_ID")
    os.environ["ROS_DOMAIN_ID"] = str(BRIDGE_DOMAIN_ID)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["ROS_DOMAIN_ID"]
        else:
            os.environ["ROS_DOMAIN_ID"] = previous


@dataclass
class Bridge:
    """A running bridge_node process."""

    process: Process
    base_url: str
    ws_url: str
    token: str
    data_dir: Path

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET path."""
        return httpx.get(self.base_url + path, timeout=10.0, **kwargs)

    def post(self, path: str, json: Any, token: str | None = None) -> httpx.Response:
        """POST json to path with the bridge's token unless another is given."""
        value = token if token is not None else self.token
        headers = {"Authorization": f"Bearer {value}"} if value else {}
        return httpx.post(self.base_url + path, json=json, headers=headers, timeout=10.0)


def bridge_env(data_dir: Path, token: str | None, **extra: str) -> dict[str, str]:
    """Return the environment of a bridge process."""
    env = {
        "ROS_DOMAIN_ID": str(BRIDGE_DOMAIN_ID),
        "REACHY_MINI_DATA_DIR": str(data_dir),
        "AMENT_PREFIX_PATH": os.environ.get("AMENT_PREFIX_PATH", sys.prefix),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    if token is not None:
        env["REACHY_MINI_TOKEN"] = token
    return env


def bridge_command(port: int, *params: str) -> list[str]:
    """Return the command line of a bridge_node on port, with extra `name:=value` params."""
    args = [sys.executable, "-m", "reachy_mini_ros.bridge.node", "--ros-args"]
    for param in (f"api_port:={port}", *params):
        args += ["-p", param]
    return args


INDEX_HTML = '<!doctype html><html><body><div id="root"></div></body></html>\n'


def make_web_dist(path: Path) -> Path:
    """Write a minimal built dashboard (index.html and one asset) into path."""
    (path / "assets").mkdir(parents=True, exist_ok=True)
    (path / "index.html").write_text(INDEX_HTML)
    (path / "assets" / "app.js").write_text("console.log('reachy mini');\n")
    return path


@contextlib.contextmanager
def running_bridge(
    tmp: Path,
    *params: str,
    env: dict[str, str] | None = None,
    token: str | None = "bridge-test-token",
    name: str = "bridge",
) -> Iterator[Bridge]:
    """Start bridge_node and wait until it answers /api/health."""
    port = free_port()
    data_dir = tmp / "data"
    if not any(p.startswith("web_dist:=") for p in params):
        params = (*params, f"web_dist:={make_web_dist(tmp / 'web')}")
    process = start_process(
        name,
        bridge_command(port, *params),
        tmp / "logs",
        bridge_env(data_dir, token, **(env or {})),
    )
    base = f"http://127.0.0.1:{port}"
    bridge = Bridge(process, base, f"ws://127.0.0.1:{port}/ws", token or "", data_dir)
    try:
        wait_for(
            lambda: process.alive() and httpx.get(base + "/api/health", timeout=2.0),
            60.0,
            f"the bridge to answer\n{process.log()[-3000:]}",
        )
        yield bridge
    finally:
        process.stop()


class FakeHardware:
    """Publish /joint_states and /diagnostics like the hardware node, from the test process.

    It also takes joint and head pose commands as the hardware node does: each is kept in
    joint_goals or head_poses and answered on /reachy_mini/command_results, accepted unless
    joint_refusal or head_pose_refusal is set, and not answered while `silent`.

    Gotos on /reachy_mini/goto are read with the contract's parse_goto, kept in `gotos` and
    answered like the hardware node does (interface/moves.py): refused with goto_refusal when
    it is set, else accepted with their move id, followed by the move's `started` event and,
    `duration` later, its `completed` one, unless another move or stop_move() ended it first.
    """

    def __init__(self, ros: RosClient, rate_hz: float = 100.0) -> None:
        from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
        from geometry_msgs.msg import PoseStamped
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import JointState

        self.ros = ros
        self.rate_hz = rate_hz
        self.joint_pub = ros.node.create_publisher(JointState, "/joint_states", 10)
        self.diag_pub = ros.node.create_publisher(DiagnosticArray, "/diagnostics", 10)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.result_pub = ros.node.create_publisher(
            DiagnosticStatus, command_results.TOPIC, reliable
        )
        self.head_poses: list[Any] = []
        self.head_pose_refusal: str | None = None
        self.joint_goals: list[Any] = []
        self.joint_refusal: str | None = None
        self.silent = False
        self._reliable = reliable
        ros.node.create_subscription(
            PoseStamped, "/reachy_mini/head_pose_command", self._on_head_pose, reliable
        )
        self._joint_sub: Any = None
        self.take_joint_commands(True)
        self.gotos: list[moves.GotoRequest] = []
        self.goto_texts: list[str] = []
        self.goto_refusal: str | None = None
        self._goto_sub: Any = None
        self.take_gotos(True)
        # The move that runs: (id, kind, duration, timer that completes it).
        self._move: tuple[str, str, float, threading.Timer] | None = None
        self._move_lock = threading.Lock()
        self.motor_level = 0
        self.publish_diagnostics = True
        # False stops /joint_states, as a stalled hardware node does.
        self.publish_joint_states = True
        self.published = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _joint_state(self, t: float) -> Any:
        from sensor_msgs.msg import JointState

        msg = JointState()
        msg.header.stamp.sec = int(t)
        msg.header.stamp.nanosec = int((t % 1.0) * 1e9)
        msg.name = MOTOR_JOINTS + HEAD_JOINTS
        msg.position = [0.1 * math.sin(t + i) for i in range(len(msg.name))]
        msg.velocity = [0.0] * len(msg.name)
        msg.effort = [0.0] * len(msg.name)
        return msg

    def _diagnostics(self) -> Any:
        from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

        msg = DiagnosticArray()
        msg.header.stamp = self.ros.node.get_clock().now().to_msg()
        core = DiagnosticStatus(
            level=DiagnosticStatus.OK,
            name="hardware_node: Rust core",
            message="loop running",
            hardware_id="reachy_mini",
            values=[
                KeyValue(key="version", value=STAND_IN_CORE_VERSION),
                KeyValue(key="backend", value="sim"),
                KeyValue(key="loop_running", value="true"),
            ],
        )
        motor = DiagnosticStatus(
            level=bytes([self.motor_level]),
            name="hardware_node: Motor right_antenna",
            message="ok" if self.motor_level == 0 else "overheating",
            hardware_id="reachy_mini",
            values=[KeyValue(key="temperature", value="41")],
        )
        msg.status = [core, motor]
        return msg

    def take_joint_commands(self, take: bool) -> None:
        """Subscribe to joint commands, or stop, as a hardware node appearing or leaving."""
        from sensor_msgs.msg import JointState

        if take and self._joint_sub is None:
            self._joint_sub = self.ros.node.create_subscription(
                JointState, "/reachy_mini/joint_commands", self._on_joints, self._reliable
            )
        elif not take and self._joint_sub is not None:
            self.ros.node.destroy_subscription(self._joint_sub)
            self._joint_sub = None

    def take_gotos(self, take: bool) -> None:
        """Subscribe to gotos, or stop."""
        from std_msgs.msg import String

        if take and self._goto_sub is None:
            self._goto_sub = self.ros.node.create_subscription(
                String, moves.GOTO_TOPIC, self._on_goto, self._reliable
            )
        elif not take and self._goto_sub is not None:
            self.ros.node.destroy_subscription(self._goto_sub)
            self._goto_sub = None

    def _on_goto(self, msg: Any) -> None:
        from diagnostic_msgs.msg import DiagnosticStatus

        self.goto_texts.append(msg.data)
        request = moves.parse_goto(msg.data)
        self.gotos.append(request)
        if self.silent:
            return
        refusal = self.goto_refusal
        self.publish_result(
            moves.GOTO_RESULT,
            DiagnosticStatus.ERROR if refusal else DiagnosticStatus.OK,
            refusal or command_results.ACCEPTED,
            {command_results.STAMP_KEY: request.stamp, moves.MOVE_ID_KEY: request.move_id},
        )
        if refusal is None:
            self.start_move(request.move_id, "goto", request.duration)

    def start_move(self, move_id: str, kind: str, duration: float) -> None:
        """Start a move: cancel the one running, announce this one, complete it in duration s."""
        timer = threading.Timer(duration, self._complete, args=(move_id,))
        with self._move_lock:
            previous, self._move = self._move, (move_id, kind, duration, timer)
        if previous is not None:
            previous[3].cancel()
            self.move_event(previous[0], previous[1], moves.CANCELLED, previous[2], "replaced")
        self.move_event(move_id, kind, moves.STARTED, duration)
        timer.start()

    def _complete(self, move_id: str) -> None:
        with self._move_lock:
            if self._move is None or self._move[0] != move_id:
                return
            _, kind, duration, _ = self._move
            self._move = None
        self.move_event(move_id, kind, moves.COMPLETED, duration)

    def stop_move(self) -> str | None:
        """Cancel the running move; return its id, or None when none ran."""
        with self._move_lock:
            move, self._move = self._move, None
        if move is None:
            return None
        move[3].cancel()
        self.move_event(move[0], move[1], moves.CANCELLED, move[2], "stopped")
        return move[0]

    def running_move(self) -> str | None:
        """Return the id of the running move, or None."""
        with self._move_lock:
            return self._move[0] if self._move is not None else None

    def move_event(
        self, move_id: str, kind: str, event: str, duration: float, reason: str = ""
    ) -> None:
        """Publish a move event as the hardware node does."""
        from diagnostic_msgs.msg import DiagnosticStatus

        level = {moves.CANCELLED: DiagnosticStatus.WARN, moves.FAILED: DiagnosticStatus.ERROR}
        values = {
            moves.MOVE_ID_KEY: move_id,
            moves.KIND_KEY: kind,
            moves.EVENT_KEY: event,
            moves.DURATION_KEY: f"{duration:.3f}",
            moves.TIME_KEY: f"{time.time():.6f}",
        }
        self.publish_result(
            moves.MOVE_RESULT, level.get(event, DiagnosticStatus.OK), reason, values
        )

    def publish_result(self, name: str, level: Any, message: str, values: dict[str, str]) -> None:
        """Publish one command result with the given values."""
        from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

        self.result_pub.publish(
            DiagnosticStatus(
                level=level,
                name=name,
                message=message,
                hardware_id="reachy_mini",
                values=[KeyValue(key=k, value=v) for k, v in values.items()],
            )
        )

    def _on_joints(self, msg: Any) -> None:
        self.joint_goals.append(msg)
        self._answer("joints", msg, self.joint_refusal)

    def _on_head_pose(self, msg: Any) -> None:
        self.head_poses.append(msg)
        self._answer("head_pose", msg, self.head_pose_refusal)

    def _answer(self, command: str, msg: Any, refusal: str | None) -> None:
        from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

        if self.silent:
            return
        stamp = command_results.stamp_text(msg.header.stamp.sec, msg.header.stamp.nanosec)
        self.result_pub.publish(
            DiagnosticStatus(
                level=DiagnosticStatus.ERROR if refusal else DiagnosticStatus.OK,
                name=command,
                message=refusal or command_results.ACCEPTED,
                hardware_id="reachy_mini",
                values=[KeyValue(key=command_results.STAMP_KEY, value=stamp)],
            )
        )

    def _run(self) -> None:
        period = 1.0 / self.rate_hz
        next_diag = 0.0
        while not self._stop.is_set():
            now = time.time()
            with contextlib.suppress(Exception):
                if self.publish_joint_states:
                    self.joint_pub.publish(self._joint_state(now))
                    self.published += 1
                if self.publish_diagnostics and now >= next_diag:
                    self.diag_pub.publish(self._diagnostics())
                    next_diag = now + 1.0
            time.sleep(period)

    def close(self) -> None:
        """Stop publishing."""
        with self._move_lock:
            if self._move is not None:
                self._move[3].cancel()
        self._stop.set()
        self._thread.join(2.0)


def wait_for_hardware_node(bridge: Bridge) -> None:
    """Wait until the bridge sees the stand-in hardware node's joint command subscription."""
    wait_for(
        lambda: (
            bridge.post("/api/commands/joints", {"goals": {"yaw_body": 0.0}}).status_code != 503
        ),
        30.0,
        "the bridge to find the hardware node",
    )
