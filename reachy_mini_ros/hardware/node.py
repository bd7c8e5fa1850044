"""Drive Reachy Mini's motors from ROS 2: the lifecycle hardware node.

configure opens the bus and checks that every motor answers; activate starts the Rust control
loop and the publishing; deactivate stops motion (and torque, if asked); cleanup and shutdown
release the port. The Rust loop reads the bus at ``control_rate_hz``; a publishing thread waits
on it without the GIL and sends each new reading once, so a stale value is never published as
fresh: when the bus is lost, /joint_states stops.
"""

from __future__ import annotations

# First, before rclpy and the messages import numpy: see the module.
import reachy_mini_ros.numpy_on_demand  # noqa: F401  # isort: skip

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import rclpy
from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool, Trigger

from reachy_mini_ros.hardware import diagnostics, motor_setup
from reachy_mini_ros.hardware.serial_ports import find_reachy_mini_port
from reachy_mini_ros.interface import command_results, events, node_help
from reachy_mini_ros.interface.joints import (
    HEAD_POSE_FRAME,
    HEAD_POSE_JOINT_NAMES,
    JOINTS_BY_NAME,
    MOTOR_JOINTS,
    STEWART_JOINT_NAMES,
    CommandError,
    check_head_pose,
    check_joint_goals,
)
from reachy_mini_ros.interface.rotations import quaternion_to_rpy, rpy_to_quaternion

NODE_NAME = "hardware_node"
# Restarts of a dead control loop: the first 1 s after it died (4 diagnostics periods of
# 0.25 s, so that the failure is seen), then doubling up to 30 s; back to 1 s once a restarted
# loop has run for 60 s.
LOOP_RESTART_FIRST_S = 1.0
LOOP_RESTART_MAX_S = 30.0
LOOP_STABLE_S = 60.0
# How often the node checks that its loop runs: 0.25 s is 50 cycles at 200 Hz.
LOOP_WATCH_PERIOD_S = 0.25
# Torque constants (N·m/A) to estimate effort from the present current: stall torque over
# stall current at 5 V in ROBOTIS' specifications (XL330-M288: 0.52 N·m / 1.47 A,
# XL330-M077: 0.215 N·m / 1.47 A, XC330-M288: 0.93 N·m / 1.8 A).
TORQUE_CONSTANT = {
    "yaw_body": 0.93 / 1.8,
    "right_antenna": 0.215 / 1.47,
    "left_antenna": 0.215 / 1.47,
    **{name: 0.52 / 1.47 for name in STEWART_JOINT_NAMES},
}


@dataclass(frozen=True)
class HardwareConfig:
    """Validated parameters of the node."""

    backend: str
    serial_port: str
    baudrate: int
    control_rate_hz: float
    joint_states_rate_hz: float
    torque_off_on_deactivate: bool
    command_timeout: float
    bus_watchdog_ms: int
    limits: dict[str, tuple[float, float]]
    motor_ids: dict[str, int]
    automatic_body_yaw: bool = False
    motor_setup: str = "flash"
    sim_factory_fresh: bool = False


class ParameterError(ValueError):
    """A parameter value that the node cannot run with; the message names the parameter."""


def validate_config(params: dict[str, Any]) -> HardwareConfig:
    """Check parameter values and return the config; raise ParameterError naming the bad one."""
    backend = params["backend"]
    if backend not in ("sim", "serial"):
        raise ParameterError(f"backend must be 'sim' or 'serial', got '{backend}'")
    baudrate = int(params["baudrate"])
    if baudrate not in (57_600, 115_200, 1_000_000, 2_000_000, 3_000_000, 4_000_000):
        raise ParameterError(f"baudrate {baudrate} is not a Dynamixel baud rate")
    rate = float(params["control_rate_hz"])
    if not 1.0 <= rate <= 1000.0:
        raise ParameterError(f"control_rate_hz must be within [1, 1000], got {rate}")
    js_rate = float(params["joint_states_rate_hz"])
    if not 0.0 < js_rate <= rate:
        raise ParameterError(
            f"joint_states_rate_hz must be within (0, control_rate_hz={rate}], got {js_rate}"
        )
    timeout = float(params["command_timeout"])
    if not timeout > 0.0:
        raise ParameterError(f"command_timeout must be positive, got {timeout}")
    watchdog = int(params["bus_watchdog_ms"])
    if watchdog and not 20 <= watchdog <= 2540:
        raise ParameterError(f"bus_watchdog_ms must be 0 or within [20, 2540], got {watchdog}")
    names = list(params["joint_names"])
    ids = list(params["motor_ids"])
    lower = list(params["joint_lower_limits"])
    upper = list(params["joint_upper_limits"])
    if sorted(names) != sorted(JOINTS_BY_NAME):
        raise ParameterError(f"joint_names must list the nine joints {sorted(JOINTS_BY_NAME)}")
    for key, values in (("motor_ids", ids), ("joint_lower_limits", lower)):
        if len(values) != len(names):
            raise ParameterError(f"{key} must have one value per joint ({len(names)})")
    if len(upper) != len(names):
        raise ParameterError(f"joint_upper_limits must have one value per joint ({len(names)})")
    limits: dict[str, tuple[float, float]] = {}
    motor_ids: dict[str, int] = {}
    for name, motor_id, lo, hi in zip(names, ids, lower, upper, strict=True):
        joint = JOINTS_BY_NAME[name]
        if int(motor_id) != joint.motor_id:
            raise ParameterError(
                f"motor_ids: joint '{name}' is motor {joint.motor_id}, not {motor_id}"
            )
        # 1e-5 rad of slack: the YAML file writes π as 3.14159.
        if not (joint.lower - 1e-5 <= lo < hi <= joint.upper + 1e-5):
            raise ParameterError(
                f"joint_lower_limits/joint_upper_limits: [{lo}, {hi}] for '{name}' must be "
                f"an interval inside [{joint.lower}, {joint.upper}]"
            )
        limits[name] = (max(lo, joint.lower), min(hi, joint.upper))
        motor_ids[name] = int(motor_id)
    setup = str(params.get("motor_setup", "flash"))
    if setup not in motor_setup.MODES:
        raise ParameterError(
            f"motor_setup must be one of {', '.join(motor_setup.MODES)}, got '{setup}'"
        )
    port = str(params["serial_port"])
    if backend == "serial" and not port:
        raise ParameterError("serial_port must be a device path or 'auto'")
    return HardwareConfig(
        backend=backend,
        serial_port=port,
        baudrate=baudrate,
        control_rate_hz=rate,
        joint_states_rate_hz=js_rate,
        torque_off_on_deactivate=bool(params["torque_off_on_deactivate"]),
        command_timeout=timeout,
        bus_watchdog_ms=watchdog,
        limits=limits,
        motor_ids=motor_ids,
        automatic_body_yaw=bool(params.get("automatic_body_yaw", False)),
        motor_setup=setup,
        sim_factory_fresh=bool(params.get("sim_factory_fresh", False)),
    )


class HardwareNode(LifecycleNode):
    """Lifecycle driver of Reachy Mini's motor bus."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NODE_NAME, **kwargs)
        self._declare_parameters()
        self._config: HardwareConfig | None = None
        self._loop: Any = None  # reachy_mini_core_rs.ControlLoop
        self._core: Any = None  # the reachy_mini_core_rs module, imported at configure
        self._publisher_thread: threading.Thread | None = None
        self._publishing = threading.Event()
        self._lifecycle_state = "unconfigured"
        self._commands = diagnostics.CommandStats()
        self._reported_errors: dict[str, int] = {}
        self._diag_cache: tuple[float, diagnostics.DiagnosticsState] | None = None
        self._owned_publishers: list[Any] = []
        self._configure_retry: Any = None
        # Whether the motors should hold torque: on at activate, changed by enable_torque, and
        # restored after a reboot (which leaves a rebooted motor torque-off).
        self._torque_wanted = True
        self._retry_delay = 1.0
        self._joint_states_pub: Any = None
        self._last_pose: Any = None  # reachy_mini_core_rs.HeadPose of the last reading
        self._head_pose_pub: Any = None
        self._loop_watch: Any = None  # timer that restarts a dead loop while active
        self._loop_failure: str | None = None  # why the loop died, until it runs again
        self._last_loop_failure: str | None = None  # kept after a restart, for diagnostics
        self._loop_restarts = 0
        self._restart_delay = LOOP_RESTART_FIRST_S
        self._next_restart = 0.0
        self._loop_started_at = 0.0
        # The command interfaces live as long as the node, so that a command sent while it
        # is unconfigured or inactive gets a refusal saying so rather than no answer.
        commands_qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self._results_pub = self.create_publisher(
            DiagnosticStatus, command_results.TOPIC, commands_qos
        )
        self.create_subscription(
            JointState, "/reachy_mini/joint_commands", self._on_joint_command, commands_qos
        )
        self.create_subscription(
            PoseStamped, "/reachy_mini/head_pose_command", self._on_head_pose, commands_qos
        )
        self.create_service(SetBool, "/reachy_mini/enable_torque", self._on_enable_torque)
        self.create_service(Trigger, "/reachy_mini/reboot_motors", self._on_reboot)
        # The simulated motors outlive a cleanup, as a real robot's do: what a configure
        # flashed is still flashed at the next one.
        self._sim_bus: Any = None
        self._motor_setup_summary = ""
        self._events_pub = self.create_publisher(
            DiagnosticStatus,
            events.TOPIC,
            QoSProfile(
                depth=events.HISTORY_DEPTH,
                reliability=ReliabilityPolicy.RELIABLE,
                durability=DurabilityPolicy.TRANSIENT_LOCAL,
            ),
        )

        self._updater = diagnostics.make_updater(self, period=1.0)
        self._updater.setHardwareID(diagnostics.HARDWARE_ID)
        for index, joint in enumerate(MOTOR_JOINTS):
            self._updater.add(
                f"Motor {joint.name}",
                lambda stat, i=index: diagnostics.motor_task(self._diag_state(), i, stat),
            )
        self._updater.add("Bus", lambda stat: diagnostics.bus_task(self._diag_state(), stat))
        self._updater.add(
            "Rust core", lambda stat: diagnostics.core_task(self._diag_state(), stat)
        )
        self._updater.add(
            "Command path", lambda stat: diagnostics.command_task(self._diag_state(), stat)
        )

    # Parameters -------------------------------------------------------------------------

    def _declare_parameters(self) -> None:
        def declare(name: str, default: Any, description: str) -> None:
            self.declare_parameter(name, default, ParameterDescriptor(description=description))

        declare("backend", "sim", "Motor bus: 'sim' (simulated motors) or 'serial'.")
        declare("serial_port", "auto", "Serial device, or 'auto' to find it by USB VID:PID.")
        declare("baudrate", 1_000_000, "Bus speed in baud.")
        declare("control_rate_hz", 200.0, "Control loop rate.")
        declare("joint_states_rate_hz", 200.0, "/joint_states rate, at most control_rate_hz.")
        declare("autostart", True, "Bring the node to active by itself after start.")
        declare("torque_off_on_deactivate", False, "Disable torque on deactivate.")
        declare("command_timeout", 1.0, "Seconds after which the command path is idle.")
        declare("bus_watchdog_ms", 0, "Motor bus watchdog in ms; 0 disables it.")
        declare(
            "motor_setup",
            "flash",
            "At configure, compare the motors' configuration with the robot table: 'flash' "
            "writes what differs, 'check' refuses to configure, 'skip' does not look.",
        )
        declare(
            "sim_factory_fresh",
            False,
            "backend 'sim' only: start the simulated motors with factory settings.",
        )
        declare("joint_names", [j.name for j in MOTOR_JOINTS], "URDF joint names.")
        declare("motor_ids", [j.motor_id for j in MOTOR_JOINTS], "Dynamixel id of each joint.")
        declare("joint_lower_limits", [j.lower for j in MOTOR_JOINTS], "Lower limits, rad.")
        declare("joint_upper_limits", [j.upper for j in MOTOR_JOINTS], "Upper limits, rad.")
        declare(
            "automatic_body_yaw",
            False,
            "Turn the body with a head pose command to keep the head within 65° of it (the "
            "vendor's automatic body yaw).",
        )

    def _read_parameters(self) -> dict[str, Any]:
        names = [
            "backend",
            "serial_port",
            "baudrate",
            "control_rate_hz",
            "joint_states_rate_hz",
            "torque_off_on_deactivate",
            "command_timeout",
            "bus_watchdog_ms",
            "motor_setup",
            "sim_factory_fresh",
            "joint_names",
            "motor_ids",
            "joint_lower_limits",
            "joint_upper_limits",
            "automatic_body_yaw",
        ]
        return {name: self.get_parameter(name).value for name in names}

    # Lifecycle --------------------------------------------------------------------------

    def autostart(self) -> None:
        """Configure and activate; while either fails, retry with capped backoff."""
        if self._configure_retry is not None:
            self.destroy_timer(self._configure_retry)
            self._configure_retry = None
        step = "configure"
        if self._lifecycle_state == "unconfigured":
            self.trigger_configure()
        if self._lifecycle_state == "inactive":
            step = "activate"
            if self.trigger_activate() == TransitionCallbackReturn.SUCCESS:
                self._retry_delay = 1.0
                return
        if self._lifecycle_state == "active":
            return
        self.get_logger().warning(
            f"autostart: {step} failed; retrying in {self._retry_delay:.0f} s"
        )
        self._configure_retry = self.create_timer(self._retry_delay, self.autostart)
        # 1, 2, 4, 8 then every 10 s: a robot plugged in later is picked up within 10 s.
        self._retry_delay = min(self._retry_delay * 2.0, 10.0)

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Validate parameters, open the bus and check that every motor answers."""
        try:
            config = validate_config(self._read_parameters())
        except (ParameterError, TypeError, ValueError) as exc:
            self.get_logger().error(f"configure refused: invalid parameter: {exc}")
            return TransitionCallbackReturn.FAILURE
        try:
            import reachy_mini_core_rs as core
        except ImportError as exc:
            self.get_logger().error(f"configure failed: Rust core not importable: {exc}")
            return TransitionCallbackReturn.FAILURE
        port = config.serial_port
        if config.backend == "serial" and port == "auto":
            found = find_reachy_mini_port()
            if found is None:
                self.get_logger().error(
                    "configure failed: serial_port is 'auto' and no Reachy Mini adapter "
                    "(USB 1a86:55d3) is plugged in"
                )
                return TransitionCallbackReturn.FAILURE
            port = found
        try:
            if config.backend == "sim" and self._sim_bus is None:
                self._sim_bus = core.SimBus(
                    baudrate=config.baudrate, factory_fresh=config.sim_factory_fresh
                )
            loop = core.ControlLoop(
                backend=config.backend,
                port=port if config.backend == "serial" else None,
                baudrate=config.baudrate,
                rate_hz=config.control_rate_hz,
                sim=self._sim_bus if config.backend == "sim" else None,
                watchdog_ms=config.bus_watchdog_ms,
                limits=config.limits,
            )
            answered = set(loop.open())
        except core.CoreError as exc:
            self.get_logger().error(f"configure failed: cannot open the bus: {exc}")
            return TransitionCallbackReturn.FAILURE
        missing = sorted(set(config.motor_ids.values()) - answered)
        if missing:
            loop.close()
            self.get_logger().error(f"configure failed: motors {missing} do not answer")
            return TransitionCallbackReturn.FAILURE
        if not self._setup_motors(core, loop, config.motor_setup):
            loop.close()
            return TransitionCallbackReturn.FAILURE
        self._core, self._loop, self._config = core, loop, config
        self._create_interfaces()
        self._lifecycle_state = "inactive"
        self.get_logger().info(
            f"configured: backend={config.backend} port={port or '-'} "
            f"rate={config.control_rate_hz:.0f} Hz motors={sorted(answered)}"
        )
        return super().on_configure(state)

    def _setup_motors(self, core: Any, loop: Any, mode: str) -> bool:
        """Check or flash the motors' configuration; return False when configure must stop."""
        try:
            report = loop.setup_motors(mode)
        except core.CoreError as exc:
            self.get_logger().error(f"configure failed: motor setup: {exc}")
            return False
        result = motor_setup.outcome(report)
        # rclpy ties one call site to one severity: one call per level.
        logger = self.get_logger()
        if result.level == "error":
            logger.error(result.message)
        elif result.level == "warning":
            logger.warning(result.message)
        else:
            logger.info(result.message)
        self._motor_setup_summary = result.summary
        self._diag_cache = None
        if result.event:
            self._publish_event(events.MOTOR_SETUP, result.ok, result.message, result.event)
        return result.ok

    def _publish_event(self, kind: str, ok: bool, message: str, values: dict[str, str]) -> None:
        """Publish one event for the bridge's audit log."""
        msg = DiagnosticStatus()
        msg.name = kind
        msg.level = DiagnosticStatus.WARN if ok else DiagnosticStatus.ERROR
        msg.message = message
        msg.hardware_id = self.get_fully_qualified_name()
        msg.values = [
            KeyValue(key=key, value=value)
            for key, value in {**values, events.TIME_KEY: f"{time.time():.6f}"}.items()
        ]
        self._events_pub.publish(msg)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Start the control loop, the publishing and the loop's watch."""
        try:
            self._loop.start()
            self._loop_started_at = time.monotonic()
            if self._torque_wanted:
                self._loop.set_torque(True)
            self._publishing.set()
            self._publisher_thread = threading.Thread(
                target=self._publish_loop, name="joint_states", daemon=True
            )
            self._publisher_thread.start()
        except (self._core.CoreError, RuntimeError) as exc:
            # Release what this transition started: the node stays inactive, with no thread
            # of its own running.
            self._stop_publishing()
            self._loop.stop()
            self.get_logger().error(f"activate failed: {exc}; control loop and publishing stopped")
            return TransitionCallbackReturn.FAILURE
        self._loop_failure = None
        self._restart_delay = LOOP_RESTART_FIRST_S
        self._loop_watch = self.create_timer(LOOP_WATCH_PERIOD_S, self._watch_loop)
        self._lifecycle_state = "active"
        self.get_logger().info("active: publishing /joint_states")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Stop publishing and motion; disable torque if torque_off_on_deactivate."""
        self._stop_watching()
        self._stop_publishing()
        if self._loop is not None:
            if self._config is not None and self._config.torque_off_on_deactivate:
                self._call_core(self._loop.set_torque, False)
            self._loop.stop()
        self._lifecycle_state = "inactive"
        self.get_logger().info("inactive")
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Release the port and the ROS interfaces."""
        self._release()
        self._lifecycle_state = "unconfigured"
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Stop everything and release the port, from any state."""
        self._release()
        self._lifecycle_state = "finalized"
        return super().on_shutdown(state)

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Release everything so that the node can be configured again."""
        self._release()
        self._lifecycle_state = "unconfigured"
        return TransitionCallbackReturn.SUCCESS

    def _release(self) -> None:
        self._stop_watching()
        self._stop_publishing()
        if self._loop is not None:
            self._loop.close()
        for publisher in self._owned_publishers:
            self.destroy_lifecycle_publisher(publisher)
        self._owned_publishers = []
        self._loop = None
        self._joint_states_pub = self._head_pose_pub = None

    def _create_interfaces(self) -> None:
        # Best effort matches sensor data (rclpy's qos_profile_sensor_data keeps 5); depth 10
        # rides out a short stall of a subscriber at 200 Hz.
        self._joint_states_pub = self.create_lifecycle_publisher(JointState, "/joint_states", 10)
        self._head_pose_pub = self.create_lifecycle_publisher(
            PoseStamped, "/reachy_mini/head_pose", 10
        )
        self._owned_publishers = [self._joint_states_pub, self._head_pose_pub]

    # Loop watch ---------------------------------------------------------------------------

    def _stop_watching(self) -> None:
        if self._loop_watch is not None:
            self.destroy_timer(self._loop_watch)
            self._loop_watch = None
        self._loop_failure = None

    def _watch_loop(self) -> None:
        """Restart a control loop that died while active, with capped backoff."""
        loop = self._loop
        if self._lifecycle_state != "active" or loop is None:
            return
        now = time.monotonic()
        if loop.running:
            if now - self._loop_started_at > LOOP_STABLE_S:
                self._restart_delay = LOOP_RESTART_FIRST_S
            return
        if self._loop_failure is None:
            self._loop_failure = loop.exit_reason or "the loop thread ended"
            self._last_loop_failure = self._loop_failure
            self._next_restart = now + self._restart_delay
        if now < self._next_restart:
            return
        self._loop_restarts += 1
        reason, attempt = self._loop_failure, self._loop_restarts
        try:
            loop.start()
        except self._core.CoreError as exc:
            self._restart_delay = min(self._restart_delay * 2.0, LOOP_RESTART_MAX_S)
            self._next_restart = now + self._restart_delay
            self.get_logger().error(
                f"control loop stopped ({reason}); restart {attempt} failed: {exc}; "
                f"next attempt in {self._restart_delay:.0f} s"
            )
            return
        self._loop_started_at = now
        self._loop_failure = None
        self._restart_delay = min(self._restart_delay * 2.0, LOOP_RESTART_MAX_S)
        torque = ""
        if self._torque_wanted:
            ok, error = self._call_core(loop.set_torque, True)
            torque = "" if ok else f"; {error}"
        self.get_logger().error(
            f"control loop stopped ({reason}); restart {attempt} succeeded{torque}"
        )

    # Publishing -------------------------------------------------------------------------

    def _stop_publishing(self) -> None:
        self._publishing.clear()
        if self._publisher_thread is not None:
            self._publisher_thread.join(2.0)
            self._publisher_thread = None

    def _publish_loop(self) -> None:
        """Publish every new reading once, at most at joint_states_rate_hz."""
        assert self._config is not None
        min_interval = 1.0 / self._config.joint_states_rate_hz
        # Skip a reading only when it comes earlier than 90 % of the interval, so that equal
        # rates never drop a cycle to timing noise.
        slack = 0.9 * min_interval
        last_seq = -1
        last_read = 0.0
        loop = self._loop
        failing = False
        while self._publishing.is_set():
            snap = loop.wait_snapshot(last_seq, 0.1)
            if snap is None:
                continue  # bus down or loop stopped: publish nothing rather than old values
            last_seq = snap.seq
            if snap.read_time - last_read < slack:
                continue
            last_read = snap.read_time
            try:
                self._publish_snapshot(snap)
                self._log_new_hardware_errors(snap)
            except Exception as exc:
                if not (self._publishing.is_set() and rclpy.ok(context=self.context)):
                    return  # the node or its context is shutting down under us
                # Skip this reading and go on with the next: one line per run of failures.
                if not failing:
                    self.get_logger().error(f"publishing failed: {exc}; skipping readings")
                failing = True
                continue
            if failing:
                self.get_logger().info("publishing resumed")
                failing = False

    def _publish_snapshot(self, snap: Any) -> None:
        stamp_sec = int(snap.read_time)
        stamp_nsec = int((snap.read_time - stamp_sec) * 1e9)
        msg = JointState()
        msg.header.stamp.sec = stamp_sec
        msg.header.stamp.nanosec = stamp_nsec
        # A motor that did not answer in this cycle keeps an old reading in the snapshot:
        # leave it out rather than stamp its old value with this cycle's time.
        fresh = [t == snap.read_time for t in snap.position_time]
        # Velocity and current are read every few cycles: use them while they are at most
        # 50 ms (10 cycles at 200 Hz) older than the positions, else say "not measured".
        fresh_velocity = snap.read_time - snap.velocity_time <= 0.05
        fresh_current = snap.read_time - snap.current_time <= 0.05
        nan = math.nan
        names: list[str] = []
        positions: list[float] = []
        velocities: list[float] = []
        efforts: list[float] = []
        for i, name in enumerate(snap.names):
            if not fresh[i]:
                continue
            names.append(name)
            positions.append(float(snap.position[i]))
            velocities.append(float(snap.velocity[i]) if fresh_velocity else nan)
            efforts.append(
                float(snap.current[i]) / 1000.0 * TORQUE_CONSTANT[name] if fresh_current else nan
            )
        pose = self._head_pose(snap, fresh)
        if pose is not None:
            names += HEAD_POSE_JOINT_NAMES
            positions += pose.as_tuple()
            velocities += [nan] * 6
            efforts += [nan] * 6
        msg.name = names
        msg.position = positions
        msg.velocity = velocities
        msg.effort = efforts
        self._joint_states_pub.publish(msg)
        if pose is not None:
            head = PoseStamped()
            head.header.stamp = msg.header.stamp
            head.header.frame_id = HEAD_POSE_FRAME
            position = head.pose.position
            position.x, position.y, position.z = pose.x, pose.y, pose.z
            o = head.pose.orientation
            o.x, o.y, o.z, o.w = rpy_to_quaternion(pose.roll, pose.pitch, pose.yaw)
            self._head_pose_pub.publish(head)

    def _head_pose(self, snap: Any, fresh: list[bool]) -> Any:
        """Return the base-frame head pose by forward kinematics, or None without fresh angles."""
        indices = [snap.names.index(n) for n in (*STEWART_JOINT_NAMES, "yaw_body")]
        if not all(fresh[i] for i in indices):
            return None
        angles = [snap.position[i] for i in indices[:6]]
        body_yaw = float(snap.position[indices[6]])
        try:
            # Start from the previous pose: near the workspace edge two poses share the same
            # angles, and tracking keeps the one the head is actually in.
            pose = self._core.forward_kinematics(angles, body_yaw=body_yaw, start=self._last_pose)
        except self._core.KinematicsError:
            self._last_pose = None
            return None
        self._last_pose = pose
        return pose

    def _log_new_hardware_errors(self, snap: Any) -> None:
        """Write one log line when a motor's hardware error appears or clears."""
        for name, bits in zip(snap.names, snap.hardware_error, strict=True):
            previous = self._reported_errors.get(name, 0)
            if bits == previous:
                continue
            self._reported_errors[name] = bits
            if bits:
                causes = ", ".join(diagnostics.decode_hardware_error(bits))
                self.get_logger().error(
                    f"motor {name}: hardware error ({causes}); torque off until reboot"
                )
            else:
                self.get_logger().info(f"motor {name}: hardware error cleared")

    # Commands ---------------------------------------------------------------------------

    def _refuse(self, reason: str) -> None:
        self._commands.refuse(reason)
        self.get_logger().warning(f"command refused: {reason}")

    def _report(self, command: str, stamp: Any, refusal: str | None) -> None:
        """Count the command, log a refusal and publish its outcome for the sender."""
        if refusal is None:
            self._commands.accept()
        else:
            self._refuse(refusal)
        if self._results_pub is None:
            return
        self._results_pub.publish(
            DiagnosticStatus(
                level=DiagnosticStatus.ERROR if refusal else DiagnosticStatus.OK,
                name=command,
                message=refusal or command_results.ACCEPTED,
                hardware_id=diagnostics.HARDWARE_ID,
                values=[
                    KeyValue(
                        key=command_results.STAMP_KEY,
                        value=command_results.stamp_text(stamp.sec, stamp.nanosec),
                    )
                ],
            )
        )

    def _not_ready(self) -> str | None:
        """Return why commands cannot be taken now, or None when the node is driving."""
        if self._lifecycle_state != "active" or self._loop is None:
            return (
                f"hardware node is {self._lifecycle_state}: commands are refused until it "
                "is active"
            )
        if not self._loop.running:
            reason = self._loop_failure or self._loop.exit_reason or "the loop thread ended"
            return (
                f"control loop is not running ({reason}): commands are refused until it restarts"
            )
        return None

    def _on_joint_command(self, msg: JointState) -> None:
        refusal = self._not_ready() or self._apply_joint_command(msg)
        self._report("joints", msg.header.stamp, refusal)

    def _apply_joint_command(self, msg: JointState) -> str | None:
        """Set the goals of msg; return why they were refused, or None."""
        if len(msg.name) != len(msg.position):
            return f"{len(msg.name)} names but {len(msg.position)} positions"
        goals = {str(n): float(p) for n, p in zip(msg.name, msg.position, strict=True)}
        try:
            check_joint_goals(goals)
            self._loop.set_goals(goals)
        except (CommandError, self._core.LimitError) as exc:
            return str(exc)
        return None

    def _on_head_pose(self, msg: PoseStamped) -> None:
        refusal = self._not_ready() or self._apply_head_pose(msg)
        self._report("head_pose", msg.header.stamp, refusal)

    def _apply_head_pose(self, msg: PoseStamped) -> str | None:
        """Move the head to the pose of msg; return why it was refused, or None."""
        p, o = msg.pose.position, msg.pose.orientation
        norm = math.sqrt(o.x * o.x + o.y * o.y + o.z * o.z + o.w * o.w)
        if not math.isfinite(norm) or abs(norm - 1.0) > 1e-3:
            return f"head pose orientation is not a unit quaternion (norm {norm:.4f})"
        roll, pitch, yaw = quaternion_to_rpy(o.x, o.y, o.z, o.w)
        snap = self._loop.snapshot()
        body_yaw = float(snap.position[snap.names.index("yaw_body")]) if snap else 0.0
        try:
            # The pose is in the base frame (msg.header.frame_id is HEAD_POSE_FRAME); the IK
            # takes the body's yaw out of it.
            pose = self._core.HeadPose(p.x, p.y, p.z, roll, pitch, yaw)
            goals: dict[str, float] = {}
            if self._config is not None and self._config.automatic_body_yaw:
                body_yaw = self._core.automatic_body_yaw(pose, body_yaw)
                goals["yaw_body"] = body_yaw
            check_head_pose(p.x, p.y, p.z, roll, pitch, yaw, body_yaw)
            angles = self._core.inverse_kinematics(pose, body_yaw=body_yaw)
            goals.update(zip(STEWART_JOINT_NAMES, angles, strict=True))
            self._loop.set_goals(goals)
        except (CommandError, self._core.KinematicsError, self._core.LimitError) as exc:
            return str(exc)
        return None

    def _call_core(self, fn: Any, *args: Any) -> tuple[bool, str]:
        try:
            fn(*args)
        except self._core.CoreError as exc:
            return False, str(exc)
        return True, ""

    def _on_enable_torque(self, request: Any, response: Any) -> Any:
        refusal = self._not_ready()
        if refusal is not None:
            response.success = False
            response.message = refusal
            self._refuse(f"torque: {refusal}")
            return response
        ok, error = self._call_core(self._loop.set_torque, bool(request.data))
        if ok:
            self._torque_wanted = bool(request.data)
        response.success = ok
        response.message = error or f"torque {'on' if request.data else 'off'}"
        if ok:
            self._commands.accept()
        else:
            self._refuse(f"torque: {error}")
        return response

    def _on_reboot(self, request: Any, response: Any) -> Any:
        if self._loop is None:
            response.success = False
            response.message = (
                f"hardware node is {self._lifecycle_state}: the bus is not open until it is "
                "configured"
            )
            return response
        ok, error = self._call_core(self._loop.reboot, None)
        # Torque comes back only while active: an inactive node does not drive the motors.
        if ok and self._torque_wanted and self._lifecycle_state == "active":
            ok, error = self._call_core(self._loop.set_torque, True)
        response.success = ok
        response.message = error or "motors rebooted"
        if ok:
            self.get_logger().info("motors rebooted")
        else:
            self.get_logger().error(f"reboot failed: {error}")
        return response

    # Diagnostics ------------------------------------------------------------------------

    def _diag_state(self) -> diagnostics.DiagnosticsState:
        """Gather the state once per diagnostics update (every task of one update shares it)."""
        now = time.time()
        if self._diag_cache is not None and now - self._diag_cache[0] < 0.05:
            return self._diag_cache[1]
        loop = self._loop
        config = self._config
        if config is not None:
            backend, rate, timeout = config.backend, config.control_rate_hz, config.command_timeout
        else:  # not configured yet: report what the parameters ask for
            backend = str(self.get_parameter("backend").value)
            rate = float(self.get_parameter("control_rate_hz").value)
            timeout = float(self.get_parameter("command_timeout").value)
        state = diagnostics.DiagnosticsState(
            lifecycle_state=self._lifecycle_state,
            backend=backend,
            core_version=self._core_version(),
            configured_rate_hz=rate,
            snapshot=loop.snapshot() if loop is not None else None,
            stats=loop.stats() if loop is not None else None,
            commands=self._commands,
            command_timeout=timeout,
            loop_running=loop is not None and bool(loop.running),
            loop_exit_reason=self._loop_failure
            or (loop.exit_reason if loop is not None else None)
            or self._last_loop_failure,
            loop_restarts=self._loop_restarts,
            motor_setup=self._motor_setup_summary,
            now=now,
        )
        self._diag_cache = (now, state)
        return state

    def _core_version(self) -> str:
        if self._core is not None:
            return str(self._core.__version__)
        try:
            import reachy_mini_core_rs as core
        except ImportError:
            return "not installed"
        return str(core.__version__)


def main(args: list[str] | None = None) -> None:
    """Run the hardware node until Ctrl-C or an external shutdown."""
    if node_help.wants_help(args):
        node_help.print_help(
            NODE_NAME, "Drive Reachy Mini's motor bus: the lifecycle hardware node."
        )
        return
    rclpy.init(args=args)
    node = HardwareNode()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        if node.get_parameter("autostart").value:
            node.autostart()
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node._release()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
