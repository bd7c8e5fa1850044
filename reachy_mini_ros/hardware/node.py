"""Drive Reachy Mini's motors from ROS 2: the lifecycle hardware node.

configure opens the bus and checks that every motor answers; activate starts the Rust control
loop and the publishing; deactivate stops motion (and torque, if asked); cleanup and shutdown
release the port. The Rust loop reads the bus at ``control_rate_hz``; the parameters, the
publishing, the commands, the loop's watch and the diagnostic tasks live in modules of their
own, next to this one.
"""

from __future__ import annotations

# First, before rclpy and the messages import numpy: see the module.
import reachy_mini_ros.numpy_on_demand  # noqa: F401  # isort: skip

import sys
import time
from dataclasses import replace
from typing import Any

import rclpy
from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool, Trigger

from reachy_mini_ros.hardware import bus, commands, diagnostics, motor_setup, moves, updater
from reachy_mini_ros.hardware.loop_watch import LOOP_WATCH_PERIOD_S, LoopWatch
from reachy_mini_ros.hardware.parameters import (
    AT_START,
    LIVE,
    VALIDATED,
    HardwareConfig,
    ParameterError,
    change_refusal,
    declare_parameters,
    read_parameters,
    validate_config,
)
from reachy_mini_ros.hardware.publishing import ReadingPublisher
from reachy_mini_ros.interface import command_results, events, node_help, parent, status
from reachy_mini_ros.interface.executor import make_executor, spin_until_shutdown
from reachy_mini_ros.interface.joints import MOTOR_JOINTS

NODE_NAME = status.HARDWARE_NODE
AUTOMATIC_BODY_YAW = "automatic_body_yaw"
SWITCH_INTERVAL_S = 0.001
# How long the process stays after the shutdown transition, for its reply to be delivered (s).
FINALIZED_LINGER_S = 0.2
# How often the node looks for new /diagnostics readers, to send them the statuses at once
# (from the publishing thread, so only while active).
READER_CHECK_PERIOD_S = 0.1


class HardwareNode(LifecycleNode):
    """Lifecycle driver of Reachy Mini's motor bus."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NODE_NAME, **kwargs)
        declare_parameters(self)
        # Parameters set at run time are applied or refused (_on_set_parameters). An app SDK
        # turns automatic_body_yaw on or off as it connects: the head pose path reads this
        # copy, the loop gets one too.
        self._automatic_body_yaw = bool(self.get_parameter(AUTOMATIC_BODY_YAW).value)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._config: HardwareConfig | None = None
        self._loop: Any = None  # reachy_mini_core_rs.ControlLoop
        self._core: Any = None  # the reachy_mini_core_rs module, imported at configure
        self._readings = ReadingPublisher(self, self._between_readings)
        self._lifecycle_state = "unconfigured"
        self._commands = diagnostics.CommandStats()
        self._diag_cache: tuple[float, diagnostics.DiagnosticsState] | None = None
        self._configure_retry: Any = None
        # Whether the motors should hold torque: on at activate, changed by enable_torque, and
        # restored after a reboot (which leaves a rebooted motor torque-off).
        self._torque_wanted = True
        self._retry_delay = 1.0
        self._watch = LoopWatch()
        self._watch_timer: Any = None  # timer that restarts a dead loop while active
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
        self._moves = moves.MoveInterfaces(
            self,
            not_ready=self._not_ready,
            expired=self._expired,
            report=self._report,
            publish=self._results_pub.publish,
            on_move_end=self._on_move_end,
        )
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

        self._updater = updater.make_updater(self, period=1.0)
        self._updater.setHardwareID(status.HARDWARE_ID)
        for index, joint in enumerate(MOTOR_JOINTS):
            self._updater.add(
                f"{status.MOTOR_TASK_PREFIX}{joint.name}",
                lambda stat, i=index: diagnostics.motor_task(self._diag_state(), i, stat),
            )
        self._updater.add(
            status.BUS_TASK, lambda stat: diagnostics.bus_task(self._diag_state(), stat)
        )
        self._updater.add(
            status.RUST_CORE_TASK, lambda stat: diagnostics.core_task(self._diag_state(), stat)
        )
        self._updater.add(
            status.COMMAND_PATH_TASK,
            lambda stat: diagnostics.command_task(self._diag_state(), stat),
        )
        # A reader that just appeared (the bridge starting or restarted, an aggregator, rqt)
        # gets the statuses now rather than at the updater's next period, up to a second
        # later: the bridge counts as healthy only once it has seen them.
        self._diagnostics_readers = 0
        self._next_reader_check = 0.0

    def _between_readings(self) -> None:
        """The publishing thread's work after each cycle: move events, new readers."""
        self._moves.publish_events()
        now = time.monotonic()
        if now >= self._next_reader_check:
            self._next_reader_check = now + READER_CHECK_PERIOD_S
            self._greet_new_diagnostics_readers()

    def _greet_new_diagnostics_readers(self) -> None:
        readers = self.count_subscribers("/diagnostics")
        if readers > self._diagnostics_readers:
            self._updater.force_update()
        self._diagnostics_readers = readers

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
            config = validate_config(read_parameters(self))
        except (ParameterError, TypeError, ValueError) as exc:
            self.get_logger().error(f"configure refused: invalid parameter: {exc}")
            return TransitionCallbackReturn.FAILURE
        try:
            import reachy_mini_core_rs as core
        except ImportError as exc:
            self.get_logger().error(f"configure failed: Rust core not importable: {exc}")
            return TransitionCallbackReturn.FAILURE
        try:
            port = bus.find_port(config)
            if config.backend == "sim" and self._sim_bus is None:
                self._sim_bus = bus.simulated_bus(core, config)
            loop, answered = bus.open_loop(core, config, port, self._sim_bus)
        except bus.BusError as exc:
            self.get_logger().error(str(exc))
            return TransitionCallbackReturn.FAILURE
        if not self._setup_motors(core, loop, config.motor_setup):
            loop.close()
            return TransitionCallbackReturn.FAILURE
        self._core, self._loop, self._config = core, loop, config
        self._readings.create_publishers()
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
            self._watch.started_at = time.monotonic()
            if self._torque_wanted:
                self._loop.set_torque(True)
            assert self._config is not None
            # Every reader present gets the active statuses at the thread's first look.
            self._diagnostics_readers = 0
            self._readings.start(self._loop, self._core, self._config.joint_states_rate_hz)
        except (self._core.CoreError, RuntimeError) as exc:
            # Release what this transition started: the node stays inactive, with no thread
            # of its own running.
            self._readings.stop()
            self._loop.stop()
            self.get_logger().error(f"activate failed: {exc}; control loop and publishing stopped")
            return TransitionCallbackReturn.FAILURE
        self._watch.activated()
        self._watch_timer = self.create_timer(LOOP_WATCH_PERIOD_S, self._watch_loop)
        self._lifecycle_state = "active"
        self.get_logger().info("active: publishing /joint_states")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Stop publishing and motion; disable torque if torque_off_on_deactivate."""
        self._stop_watching()
        self._readings.stop()
        if self._loop is not None:
            if self._config is not None and self._config.torque_off_on_deactivate:
                commands.call_core(self._core, self._loop.set_torque, False)
            self._loop.stop()
        # The moves the stop ended are reported now: the thread that reports them is gone.
        self._moves.publish_events()
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
        self.get_logger().info("finalized: the process exits")
        return super().on_shutdown(state)

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Release everything so that the node can be configured again."""
        self._release()
        self._lifecycle_state = "unconfigured"
        return TransitionCallbackReturn.SUCCESS

    def _release(self) -> None:
        self._stop_watching()
        self._readings.stop()
        if self._loop is not None:
            self._loop.close()
        self._readings.destroy_publishers()
        # The moves the close ended are reported before the loop goes.
        self._moves.publish_events()
        self._loop = None

    # Loop watch ---------------------------------------------------------------------------

    def _stop_watching(self) -> None:
        if self._watch_timer is not None:
            self.destroy_timer(self._watch_timer)
            self._watch_timer = None
        self._watch.failure = None

    def _watch_loop(self) -> None:
        """Restart a control loop that died while active, with capped backoff."""
        loop = self._loop
        if self._lifecycle_state != "active" or loop is None:
            return
        self._watch.check(loop, self._core.CoreError, self._restore_torque, self.get_logger())

    def _restore_torque(self) -> str | None:
        """Turn torque back on if the motors should hold it; return why that failed."""
        if not self._torque_wanted:
            return None
        ok, error = commands.call_core(self._core, self._loop.set_torque, True)
        return None if ok else error

    # Commands ---------------------------------------------------------------------------

    def _refuse(self, reason: str) -> None:
        self._commands.refuse(reason)
        self.get_logger().warning(f"command refused: {reason}")

    def _report(
        self, command: str, stamp: Any, refusal: str | None, values: dict[str, str] | None = None
    ) -> None:
        """Count the command, log a refusal and publish its outcome for the sender."""
        if refusal is None:
            self._commands.accept()
        else:
            self._refuse(refusal)
        if self._results_pub is None:
            return
        self._results_pub.publish(commands.result_message(command, stamp, refusal, values))

    def _on_move_end(self, event: dict[str, Any]) -> None:
        """A completed sleep leaves the motors limp: they stay so until torque is asked for."""
        if event["kind"] == "goto_sleep" and event["event"] == "completed":
            self._torque_wanted = False
        self.get_logger().info(
            f"move {event['id']} ({event['kind']}) {event['event']}"
            + (f": {event['reason']}" if event["reason"] else "")
        )

    def finalized(self) -> bool:
        """Return True once the lifecycle shutdown transition has run: the process ends."""
        return self._lifecycle_state == "finalized"

    def _not_ready(self) -> str | None:
        """Return why commands cannot be taken now, or None when the node is driving."""
        return commands.not_ready(self._lifecycle_state, self._loop, self._watch.failure)

    def _deadline_s(self) -> float:
        """Return command_deadline_s: the validated value once configured, else the parameter."""
        if self._config is not None:
            return self._config.command_deadline_s
        return float(self.get_parameter("command_deadline_s").value)

    def _expired(self, stamp: Any) -> str | None:
        """Return why a command stamped `stamp` is past its deadline, or None."""
        return commands.expired(stamp, self.get_clock().now().nanoseconds, self._deadline_s())

    def _on_joint_command(self, msg: JointState) -> None:
        # The deadline is checked last before the goals are set: a command that waited in the
        # subscription's queue behind a stalled node is dropped, not carried out late.
        refusal = (
            self._not_ready()
            or self._expired(msg.header.stamp)
            or commands.apply_joint_command(self._loop, self._core, msg)
        )
        self._report("joints", msg.header.stamp, refusal)

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        """Apply a change of the LIVE parameters at once; refuse the others unless they may
        change now (parameters.change_refusal), and any value configure would refuse."""
        ours = [p for p in parameters if p.name in VALIDATED or p.name in AT_START]
        for parameter in ours:
            refusal = change_refusal(parameter.name, self._lifecycle_state)
            if refusal is not None:
                return SetParametersResult(successful=False, reason=refusal)
        if not ours:
            return SetParametersResult(successful=True)
        values = read_parameters(self)
        values.update({p.name: p.value for p in ours if p.name in VALIDATED})
        try:
            config = validate_config(values)
        except (ParameterError, TypeError, ValueError) as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        for parameter in ours:
            if parameter.name == AUTOMATIC_BODY_YAW:
                refusal = self._set_automatic_body_yaw(parameter)
                if refusal is not None:
                    return SetParametersResult(successful=False, reason=refusal)
        if self._config is not None:
            self._config = replace(self._config, **{name: getattr(config, name) for name in LIVE})
            self._readings.set_rate(config.joint_states_rate_hz)
        for parameter in ours:
            self.get_logger().info(f"{parameter.name} set to {parameter.value}")
        return SetParametersResult(successful=True)

    def _set_automatic_body_yaw(self, parameter: Parameter) -> str | None:
        """Hand automatic_body_yaw to the running loop; return why not, or None."""
        if parameter.type_ != Parameter.Type.BOOL:
            return f"{AUTOMATIC_BODY_YAW} must be a boolean"
        enabled = bool(parameter.value)
        loop = self._loop
        if loop is not None:
            ok, error = commands.call_core(self._core, loop.set_automatic_body_yaw, enabled)
            if not ok:
                return error or "the loop refused it"
        self._automatic_body_yaw = enabled
        return None

    def _on_head_pose(self, msg: PoseStamped) -> None:
        automatic = self._automatic_body_yaw
        refusal = (
            self._not_ready()
            or self._expired(msg.header.stamp)
            or commands.apply_head_pose(self._loop, self._core, msg, automatic_body_yaw=automatic)
        )
        self._report("head_pose", msg.header.stamp, refusal)

    def _on_enable_torque(self, request: Any, response: Any) -> Any:
        refusal = self._not_ready()
        if refusal is not None:
            response.success = False
            response.message = refusal
            self._refuse(f"torque: {refusal}")
            return response
        ok, error = commands.call_core(self._core, self._loop.set_torque, bool(request.data))
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
        ok, error = commands.call_core(self._core, self._loop.reboot, None)
        # Torque comes back only while active: an inactive node does not drive the motors.
        if ok and self._torque_wanted and self._lifecycle_state == "active":
            ok, error = commands.call_core(self._core, self._loop.set_torque, True)
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
            command_deadline_s=self._deadline_s(),
            loop_running=loop is not None and bool(loop.running),
            loop_exit_reason=self._watch.failure
            or (loop.exit_reason if loop is not None else None)
            or self._watch.last_failure,
            loop_restarts=self._watch.restarts,
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
    parent.stop_with_parent()
    # The publishing thread and the executor share the GIL; handing it over every 1 ms instead
    # of 5 ms bounds how long a command callback waits behind a joint state being built.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    rclpy.init(args=args)
    spin(HardwareNode())


def spin(node: HardwareNode) -> None:
    """Autostart the node if asked, spin it until it is shut down (Ctrl-C, rclpy shutdown or
    the lifecycle shutdown transition), then release it and rclpy: main returns, status 0."""
    executor = make_executor()
    executor.add_node(node)
    try:
        if node.get_parameter("autostart").value:
            node.autostart()
        spin_until_shutdown(executor, node.context, done=node.finalized)
        if node.finalized():
            # The change_state reply has been written; let DDS deliver it before the node goes.
            time.sleep(FINALIZED_LINGER_S)
    except KeyboardInterrupt:
        pass
    finally:
        node._release()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
