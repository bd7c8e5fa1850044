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
from support import Process, RosClient, free_port, start_process, wait_for

from reachy_mini_ros.interface import command_results

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
# per run, in 1..101), apart from the session's simulated robot (`stack`): its real joint
# states and diagnostics would otherwise mix with the stand-in's.
BRIDGE_DOMAIN_ID = str(int(os.environ.get("ROS_DOMAIN_ID", "0")) % 101 + 1)


@contextlib.contextmanager
def bridge_domain() -> Iterator[None]:
    """Create ROS contexts and nodes on the bridge tests' domain inside this block."""
    previous = os.environ.get("ROS_DOMAIN_ID")
    os.environ["ROS_DOMAIN_ID"] = BRIDGE_DOMAIN_ID
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
        "ROS_DOMAIN_ID": BRIDGE_DOMAIN_ID,
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
