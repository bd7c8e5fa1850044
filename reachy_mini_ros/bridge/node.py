"""Serve the robot on HTTP and WebSocket: the ROS 2 node behind the dashboard.

rclpy spins in its own thread and writes the latest joint states and diagnostics into the
Bridge; uvicorn serves the FastAPI app in the main thread. Commands go back over DDS to the
hardware node after the joint limits have been checked.
"""

from __future__ import annotations

# First, before rclpy and the messages import numpy: see the module.
import reachy_mini_ros.numpy_on_demand  # noqa: F401  # isort: skip

import asyncio
import contextlib
import math
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rclpy
import uvicorn
from diagnostic_msgs.msg import DiagnosticArray, KeyValue
from diagnostic_msgs.msg import DiagnosticStatus as DiagnosticStatusMsg
from geometry_msgs.msg import PoseStamped
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import (
    ParameterDescriptor,
    ParameterType,
    ParameterValue,
    SetParametersResult,
)
from rcl_interfaces.srv import SetParameters
from rclpy.exceptions import ParameterUninitializedException
from rclpy.executors import Executor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from std_srvs.srv import SetBool, Trigger

from reachy_mini_ros.bridge.app import create_app
from reachy_mini_ros.bridge.config import BridgeConfig
from reachy_mini_ros.bridge.joint_state_cdr import JointStateReader
from reachy_mini_ros.bridge.logs import configure_logging, get_logger
from reachy_mini_ros.bridge.motion import MoveEventError, parse_move_event
from reachy_mini_ros.bridge.outcomes import Outcome, Outcomes, header_stamped, level_of
from reachy_mini_ros.bridge.runtime import Bridge, ServiceUnavailableError
from reachy_mini_ros.bridge.sdk.trust import TrustedNetworkError, parse_networks
from reachy_mini_ros.bridge.security import InsecureBindError, resolve_token
from reachy_mini_ros.bridge.server import BridgeServer, listening_socket
from reachy_mini_ros.bridge.state import DiagnosticStatus
from reachy_mini_ros.db.url import default_data_dir
from reachy_mini_ros.interface import command_results, events, moves, node_help, parent, status
from reachy_mini_ros.interface.executor import make_executor, spin_until_shutdown
from reachy_mini_ros.interface.joints import HEAD_POSE_FRAME
from reachy_mini_ros.interface.rotations import rpy_to_quaternion
from reachy_mini_ros.interface.status import BridgeKey, CommandKey

log = get_logger("reachy_mini.bridge_node")

# Waiting for the torque service longer than this answers 503: the hardware node is not up.
SERVICE_WAIT_S = 2.0
# A WebSocket message may be up to 1 MiB on the wire so that the app can answer an oversized
# one (over 64 KiB) with an error instead of uvicorn closing the connection.
WS_MAX_WIRE_BYTES = 1024 * 1024
SWITCH_INTERVAL_S = 0.001
# The hardware node's standard parameter service, and the one parameter set through it.
HARDWARE_SET_PARAMETERS = f"/{status.HARDWARE_NODE}/set_parameters"
AUTOMATIC_BODY_YAW = "automatic_body_yaw"


# The bridge's parameters and their defaults; the server, the database and the SDK's rules
# are built from them at start.
PARAMETERS: dict[str, Any] = {
    "api_host": "127.0.0.1",
    "api_port": 8000,
    "debug": False,
    "database_url": "",
    "api_token": "",
    "cors_origins": [""],
    "health_check_interval": 30.0,
    "web_dist": "",
    "max_rate_hz": 200.0,
    "sdk_trusted_networks": [""],
    "sdk_mdns": False,
}
READ_AT_START = "Read once, at start: restart the bridge to change it."


class BridgeNode(Node):
    """Subscribe to the robot's state, forward commands and publish the bridge's diagnostics."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(status.BRIDGE_NODE, **kwargs)
        for name, default in PARAMETERS.items():
            # One descriptor each: rclpy writes the parameter's type into it.
            self.declare_parameter(name, default, ParameterDescriptor(description=READ_AT_START))
        # Every one is read once, to build the server: a later change would be ignored.
        self.add_on_set_parameters_callback(self._refuse_parameter_changes)
        self.bridge: Bridge | None = None
        self.node_name = self.get_fully_qualified_name()
        self._joint_pub = self.create_publisher(JointState, "/reachy_mini/joint_commands", 10)
        self._pose_pub = self.create_publisher(PoseStamped, "/reachy_mini/head_pose_command", 10)
        self._diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._goto_pub = self.create_publisher(String, moves.GOTO_TOPIC, 10)
        self._torque: Any = self.create_client(SetBool, "/reachy_mini/enable_torque")
        self._move_services: dict[str, Any] = {
            name: self.create_client(Trigger, name)
            for name in (moves.WAKE_UP_SERVICE, moves.GOTO_SLEEP_SERVICE, moves.STOP_MOVE_SERVICE)
        }
        self._set_parameters: Any = self.create_client(SetParameters, HARDWARE_SET_PARAMETERS)
        # Outcomes awaited by the web side, by (command, stamp): its loop and future.
        self._outcomes = Outcomes()
        # The hardware node's command_deadline_s, as its command path status reports it.
        self._command_deadline_s = command_results.DEFAULT_DEADLINE_S
        self.create_subscription(
            DiagnosticStatusMsg,
            command_results.TOPIC,
            self._on_command_result,
            QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE),
        )
        # What the hardware node did to the robot (a motor flash): kept by the publisher for
        # late subscribers, so a bridge started after the flash still records it.
        self.create_subscription(
            DiagnosticStatusMsg,
            events.TOPIC,
            self._on_robot_event,
            QoSProfile(
                depth=events.HISTORY_DEPTH,
                reliability=ReliabilityPolicy.RELIABLE,
                durability=DurabilityPolicy.TRANSIENT_LOCAL,
            ),
        )
        self._owned_subscriptions: list[Any] = []
        self._joint_read_failing = False
        self.reset_subscriptions()
        # The bridge's own diagnostics, at 1 Hz like diagnostic_updater.
        self.create_timer(1.0, self._publish_diagnostics)

    def _refuse_parameter_changes(self, parameters: list[Any]) -> SetParametersResult:
        for parameter in parameters:
            if parameter.name in PARAMETERS:
                return SetParametersResult(
                    successful=False,
                    reason=f"{parameter.name} is read once, when the bridge starts: restart it "
                    "with the new value",
                )
        return SetParametersResult(successful=True)

    def bridge_config(self) -> BridgeConfig:
        """Return the settings from the node's parameters."""

        def value(name: str) -> Any:
            try:
                return self.get_parameter(name).value
            except ParameterUninitializedException:
                # An empty list in the YAML file (`cors_origins: []`) has no type: not set.
                return None

        origins = [o for o in (value("cors_origins") or []) if o]
        trusted = [n for n in (value("sdk_trusted_networks") or []) if n]
        return BridgeConfig(
            api_host=str(value("api_host")),
            api_port=int(value("api_port")),
            debug=bool(value("debug")),
            database_url=str(value("database_url")),
            api_token=str(value("api_token")),
            cors_origins=origins,
            health_check_interval=float(value("health_check_interval")),
            web_dist=str(value("web_dist")),
            max_rate_hz=float(value("max_rate_hz")),
            data_dir=default_data_dir(),
            sdk_trusted_networks=trusted,
            sdk_mdns=bool(value("sdk_mdns")),
        )

    def reset_subscriptions(self) -> None:
        """(Re)create the subscriptions to /joint_states and /diagnostics."""
        for sub in self._owned_subscriptions:
            self.destroy_subscription(sub)
        # Best effort takes the freshest sample; it matches both reliable and best-effort
        # publishers. 10 messages is 50 ms at 200 Hz.
        sensor_qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)
        # Taken raw: the reader gets the few fields the bridge uses from the bytes, without
        # the Python message rclpy would build for every sample.
        self._joint_reader = JointStateReader()
        self._owned_subscriptions = [
            self.create_subscription(
                JointState, "/joint_states", self._on_joints, sensor_qos, raw=True
            ),
            self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 50),
        ]

    def _on_joints(self, data: bytes) -> None:
        if self.bridge is None:
            return
        try:
            reading = self._joint_reader.read(data)
        except Exception as exc:  # rclpy's deserializer refused it: not a JointState
            if not self._joint_read_failing:
                self.get_logger().error(f"a /joint_states message could not be read: {exc}")
            self._joint_read_failing = True
            return
        self._joint_read_failing = False
        self.bridge.on_joint_state(
            reading.stamp, reading.names, reading.position, reading.velocity, reading.effort
        )

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for s in msg.status:
            if s.name == status.COMMAND_PATH_STATUS:
                self._learn_deadline(s)
        if self.bridge is None:
            return
        now = time.time()
        statuses = [
            DiagnosticStatus(
                name=s.name,
                level=int.from_bytes(s.level, "little")
                if isinstance(s.level, bytes)
                else int(s.level),
                message=s.message,
                hardware_id=s.hardware_id,
                values={kv.key: kv.value for kv in s.values},
                received=now,
            )
            for s in msg.status
            if not s.name.startswith(status.BRIDGE_STATUS_PREFIX)
        ]
        if statuses:
            stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
            self.bridge.on_diagnostics(stamp or now, statuses)

    def _learn_deadline(self, command_path: DiagnosticStatusMsg) -> None:
        """Keep the hardware node's command_deadline_s, with which the commands are stamped."""
        for kv in command_path.values:
            if kv.key == CommandKey.DEADLINE_S:
                with contextlib.suppress(ValueError):
                    value = float(kv.value)
                    if math.isfinite(value) and value > 0.0:
                        self._command_deadline_s = value

    def _on_command_result(self, msg: DiagnosticStatusMsg) -> None:
        """Settle the command that msg answers; follow the moves it reports."""
        if msg.name != moves.MOVE_RESULT:
            self._outcomes.on_result(msg)
            return
        if self.bridge is None:
            return
        try:
            event = parse_move_event(
                level_of(msg), str(msg.message), {kv.key: kv.value for kv in msg.values}
            )
        except MoveEventError as exc:
            log.warning("move_event_invalid", reason=str(exc))
            return
        self.bridge.on_move_event(event)

    def _on_robot_event(self, msg: DiagnosticStatusMsg) -> None:
        if self.bridge is None:
            return
        values = {kv.key: kv.value for kv in msg.values}
        try:
            at = float(values.pop(events.TIME_KEY))
        except (KeyError, ValueError):
            at = time.time()
        level = int.from_bytes(msg.level, "little") if isinstance(msg.level, bytes) else msg.level
        self.bridge.on_robot_event(
            level=int(level),
            source=msg.hardware_id or status.HARDWARE_NODE,
            kind=msg.name,
            message=msg.message,
            details=dict(values),
            at=at,
        )

    def _publish_diagnostics(self) -> None:
        bridge = self.bridge
        if bridge is None:
            return
        msg = DiagnosticArray()
        msg.header.stamp = self.get_clock().now().to_msg()
        healthy = bridge.services.healthy()
        for name, component in bridge.services.status.items():
            ok = healthy.get(name, False)
            level = (
                DiagnosticStatusMsg.OK
                if ok
                else (
                    DiagnosticStatusMsg.ERROR if component.critical else DiagnosticStatusMsg.WARN
                )
            )
            uptime = component.uptime_s
            msg.status.append(
                DiagnosticStatusMsg(
                    level=level,
                    name=status.status_name(status.BRIDGE_NODE, name),
                    message="running" if ok else (component.last_error or component.state),
                    hardware_id=status.HARDWARE_ID,
                    values=[
                        KeyValue(key=BridgeKey.STATE, value=component.state),
                        KeyValue(key=BridgeKey.RESTARTS, value=str(component.restarts)),
                        KeyValue(
                            key=BridgeKey.UPTIME_S,
                            value=f"{uptime:.1f}" if uptime is not None else "",
                        ),
                    ],
                )
            )
        self._diag_pub.publish(msg)

    async def send_joint_goals(self, goals: dict[str, float]) -> tuple[bool, str]:
        """Publish goal positions; return how the hardware node took them.

        Raises ServiceUnavailableError when no hardware node subscribes, TimeoutError when its
        outcome does not come by the command's deadline (outcomes.RESULT_WAIT_S).
        """
        if self._joint_pub.get_subscription_count() == 0:
            raise ServiceUnavailableError("no hardware node subscribes to joint commands")
        msg = JointState()
        msg.name = list(goals)
        msg.position = [float(v) for v in goals.values()]
        outcome = await self._send_awaiting("joints", self._joint_pub, header_stamped(msg))
        return outcome.accepted, outcome.message

    async def send_head_pose(
        self, x: float, y: float, z: float, roll: float, pitch: float, yaw: float
    ) -> tuple[bool, str]:
        """Publish a head pose goal (base frame); return how the hardware node took it.

        Raises ServiceUnavailableError when no hardware node subscribes, TimeoutError when its
        outcome does not come by the command's deadline (outcomes.RESULT_WAIT_S).
        """
        if self._pose_pub.get_subscription_count() == 0:
            raise ServiceUnavailableError("no hardware node subscribes to head pose commands")
        msg = PoseStamped()
        msg.header.frame_id = HEAD_POSE_FRAME
        msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = x, y, z
        q = msg.pose.orientation
        q.x, q.y, q.z, q.w = rpy_to_quaternion(roll, pitch, yaw)
        outcome = await self._send_awaiting("head_pose", self._pose_pub, header_stamped(msg))
        return outcome.accepted, outcome.message

    async def send_goto(self, request: moves.GotoRequest) -> Outcome:
        """Publish a goto with a stamp of its own in its JSON; return how the node took it.

        Raises ServiceUnavailableError when no hardware node subscribes, TimeoutError when its
        outcome does not come by the command's deadline (outcomes.RESULT_WAIT_S).
        """
        if self._goto_pub.get_subscription_count() == 0:
            raise ServiceUnavailableError(f"no hardware node subscribes to {moves.GOTO_TOPIC}")

        def build(key: str, nanoseconds: int) -> String:
            request.stamp = key
            return String(data=moves.goto_text(request))

        return await self._send_awaiting(moves.GOTO_RESULT, self._goto_pub, build)

    async def _send_awaiting(
        self, command: str, publisher: Any, build: Callable[[str, int], Any]
    ) -> Outcome:
        """Stamp a command with a key of its own, publish it and wait for its outcome."""
        return await self._outcomes.publish_and_wait(
            command,
            publisher,
            build,
            now_ns=lambda: self.get_clock().now().nanoseconds,
            deadline_s=self._command_deadline_s,
        )

    async def set_torque(self, enabled: bool) -> tuple[bool, str]:
        """Call /reachy_mini/enable_torque; raise ServiceUnavailableError if it is absent."""
        response = await self._call(
            self._torque, "/reachy_mini/enable_torque", SetBool.Request(data=enabled)
        )
        return bool(response.success), str(response.message)

    async def set_automatic_body_yaw(self, enabled: bool) -> tuple[bool, str]:
        """Set the hardware node's automatic_body_yaw; return whether it took it, and why not.

        Raises ServiceUnavailableError when its parameter service is not offered.
        """
        request = SetParameters.Request(
            parameters=[
                ParameterMsg(
                    name=AUTOMATIC_BODY_YAW,
                    value=ParameterValue(type=ParameterType.PARAMETER_BOOL, bool_value=enabled),
                )
            ]
        )
        response = await self._call(self._set_parameters, HARDWARE_SET_PARAMETERS, request)
        result = response.results[0] if response.results else None
        if result is None:
            return False, "the hardware node answered no result"
        return bool(result.successful), str(result.reason)

    async def call_move_service(self, service: str) -> tuple[bool, str]:
        """Call a move's Trigger service; raise ServiceUnavailableError if it is absent."""
        response = await self._call(self._move_services[service], service, Trigger.Request())
        return bool(response.success), str(response.message)

    async def _call(self, client: Any, service: str, request: Any) -> Any:
        """Call a service once it is offered; return its response.

        Raises ServiceUnavailableError when it is not offered within SERVICE_WAIT_S.
        """
        ready = await asyncio.to_thread(client.wait_for_service, SERVICE_WAIT_S)
        if not ready:
            raise ServiceUnavailableError(
                f"{service} is not available (waited {SERVICE_WAIT_S} s)"
            )
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()

        def done(future: Any) -> None:
            def settle() -> None:
                if answer.done():
                    return
                exc = future.exception()
                if exc is not None:
                    answer.set_exception(exc)
                else:
                    answer.set_result(future.result())

            loop.call_soon_threadsafe(settle)

        client.call_async(request).add_done_callback(done)
        return await answer


def main(args: list[str] | None = None) -> None:
    """Run the bridge until Ctrl-C or SIGTERM."""
    if node_help.wants_help(args):
        node_help.print_help(
            status.BRIDGE_NODE,
            "Serve Reachy Mini's web API, WebSocket and dashboard from the ROS graph.",
        )
        return
    parent.stop_with_parent()
    # The ROS thread and the web thread share the GIL; handing it over every 1 ms instead of
    # 5 ms bounds how long a WebSocket send waits behind a joint state callback.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # uvicorn handles SIGINT/SIGTERM in the main thread; rclpy must not take them.
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    node = BridgeNode()
    config = node.bridge_config()
    log_file = configure_logging(config.data_dir / "logs", debug=config.debug)
    try:
        parse_networks(config.sdk_trusted_networks)
    except TrustedNetworkError as exc:
        log.error("refusing_to_start", reason=str(exc))
        print(f"bridge_node: {exc}", file=sys.stderr)
        node.destroy_node()
        rclpy.try_shutdown()
        sys.exit(2)
    try:
        token = resolve_token(config)
    except InsecureBindError as exc:
        log.error("refusing_to_start", reason=str(exc))
        print(f"bridge_node: {exc}", file=sys.stderr)
        node.destroy_node()
        rclpy.try_shutdown()
        sys.exit(2)
    if token.origin == "generated":
        print(f"bridge_node: generated an API token in {token.path}", flush=True)
    try:
        listener = listening_socket(config.api_host, config.api_port)
    except OSError as exc:
        log.error("cannot_listen", host=config.api_host, port=config.api_port, error=str(exc))
        print(
            f"bridge_node: cannot listen on {config.api_host}:{config.api_port}: {exc}",
            file=sys.stderr,
        )
        node.destroy_node()
        rclpy.try_shutdown()
        sys.exit(1)
    bridge = Bridge(config, token=token, ros=node)
    node.bridge = bridge
    app = create_app(bridge)
    executor = make_executor()
    executor.add_node(node)
    stop_spinning = threading.Event()
    spinner = threading.Thread(
        target=_spin, args=(executor, stop_spinning), name="rclpy", daemon=True
    )
    spinner.start()
    server = BridgeServer(
        uvicorn.Config(
            app,
            host=config.api_host,
            port=config.api_port,
            log_config=None,
            access_log=False,
            ws_max_size=WS_MAX_WIRE_BYTES,
            # Compression would keep a zlib state (up to 300 KB) per client and deflate every
            # frame once per client: small JSON frames are not worth it.
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=5,
            server_header=False,
        ),
        bridge,
    )
    bridge.server = server
    log.info(
        "bridge_starting",
        host=config.api_host,
        port=config.api_port,
        token_source=token.origin,
        token_file=str(token.path) if token.path else None,
        log_file=str(log_file) if log_file else None,
        data_dir=str(Path(config.data_dir)),
    )

    # uvicorn handles SIGINT and SIGTERM itself, then re-raises the signal once it has shut
    # down, while its event loop still runs the app's lifespan. Raising KeyboardInterrupt
    # there cancels the lifespan, which uvicorn logs as an error with a traceback; these
    # handlers only ask the server to exit, so that run() returns and ROS is shut down too. A
    # second signal (a terminal's Ctrl-C reaches the node, and bringup forwards one) is a no-op.
    def interrupted(signum: int, frame: Any) -> None:
        server.should_exit = True

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:
        pass
    finally:
        # The spinner leaves within one spin slice; only then is the executor shut down, so
        # that it never spins an executor being shut down ("already-spinning Executor").
        stop_spinning.set()
        spinner.join(2.0)
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    log.info("bridge_stopped")
    if not server.started:
        sys.exit(1)


def _spin(executor: Executor, stop: threading.Event) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        spin_until_shutdown(executor, done=stop.is_set)


if __name__ == "__main__":
    main()
