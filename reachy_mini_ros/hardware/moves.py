"""Take moves from ROS and report them: gotos, trajectories, wake up, sleep and stop.

The Rust loop plans, checks and runs every move (see interface/moves.py for the contract);
this module turns the messages into its calls, answers each request on
``/reachy_mini/command_results`` and publishes every move's start and end there, read from
the loop's move events by the publishing thread after each loop cycle (``publish_events``),
and by the node once more when it stops the loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, MultiDOFJointTrajectory

from reachy_mini_ros.interface import moves, status
from reachy_mini_ros.interface.joints import HEAD_POSE_FRAME
from reachy_mini_ros.interface.rotations import quaternion_to_rpy

_LEVELS = {
    moves.STARTED: DiagnosticStatus.OK,
    moves.COMPLETED: DiagnosticStatus.OK,
    moves.CANCELLED: DiagnosticStatus.WARN,
    moves.FAILED: DiagnosticStatus.ERROR,
}


class _Stamp:
    """A header stamp read from the text form the goto carries ("sec.nanosec")."""

    def __init__(self, text: str) -> None:
        sec, _, nanosec = text.partition(".")
        self.sec = int(sec) if sec.isdigit() else 0
        self.nanosec = int(nanosec) if nanosec.isdigit() and len(nanosec) == 9 else 0


def _seconds(duration: Any) -> float:
    return float(duration.sec) + float(duration.nanosec) * 1e-9


def joint_points(msg: JointTrajectory) -> list[tuple[float, list[float], Any, Any]]:
    """The points of a JointTrajectory as the loop takes them; empty arrays mean not given."""
    return [
        (
            _seconds(p.time_from_start),
            [float(v) for v in p.positions],
            [float(v) for v in p.velocities] or None,
            [float(v) for v in p.accelerations] or None,
        )
        for p in msg.points
    ]


def head_points(core: Any, msg: MultiDOFJointTrajectory) -> list[tuple[float, Any]]:
    """The head poses of a MultiDOFJointTrajectory; raise ValueError when it is not one."""
    if msg.header.frame_id not in ("", HEAD_POSE_FRAME):
        raise ValueError(
            f"head trajectory frame '{msg.header.frame_id}' is not '{HEAD_POSE_FRAME}'"
        )
    if list(msg.joint_names) != [moves.HEAD_JOINT]:
        raise ValueError(
            f"a head trajectory has the one joint '{moves.HEAD_JOINT}', not "
            f"{list(msg.joint_names)}"
        )
    points = []
    for i, point in enumerate(msg.points):
        if len(point.transforms) != 1:
            raise ValueError(f"point {i}: one transform (the head's) is needed")
        t, q = point.transforms[0].translation, point.transforms[0].rotation
        norm = math.sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w)
        if not math.isfinite(norm) or abs(norm - 1.0) > 1e-3:
            raise ValueError(f"point {i}: rotation is not a unit quaternion (norm {norm:.4f})")
        roll, pitch, yaw = quaternion_to_rpy(q.x, q.y, q.z, q.w)
        pose = core.HeadPose(t.x, t.y, t.z, roll, pitch, yaw)
        points.append((_seconds(point.time_from_start), pose))
    return points


class MoveInterfaces:
    """The move topics, services and the event pump of one hardware node."""

    def __init__(
        self,
        node: Any,
        not_ready: Callable[[], str | None],
        expired: Callable[[Any], str | None],
        report: Callable[[str, Any, str | None, dict[str, str]], None],
        publish: Callable[[DiagnosticStatus], None],
        on_move_end: Callable[[dict[str, Any]], None],
    ) -> None:
        self._node = node
        self._not_ready = not_ready
        self._expired = expired
        self._report = report
        self._publish = publish
        self._on_move_end = on_move_end
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        node.create_subscription(String, moves.GOTO_TOPIC, self._on_goto, qos)
        node.create_subscription(
            JointTrajectory, moves.JOINT_TRAJECTORY_TOPIC, self._on_joint_trajectory, qos
        )
        node.create_subscription(
            MultiDOFJointTrajectory, moves.HEAD_TRAJECTORY_TOPIC, self._on_head_trajectory, qos
        )
        node.create_service(Trigger, moves.WAKE_UP_SERVICE, self._on_wake_up)
        node.create_service(Trigger, moves.GOTO_SLEEP_SERVICE, self._on_goto_sleep)
        node.create_service(Trigger, moves.STOP_MOVE_SERVICE, self._on_stop_move)

    @property
    def _loop(self) -> Any:
        return self._node._loop

    @property
    def _core(self) -> Any:
        return self._node._core

    def _run(self, start: Callable[[], str]) -> tuple[str | None, str]:
        """Start a move; return (refusal or None, move id)."""
        refusal = self._not_ready()
        if refusal is not None:
            return refusal, ""
        try:
            return None, start()
        except (self._core.CoreError, ValueError, TypeError) as exc:
            return str(exc), ""

    def _answer(self, command: str, stamp: Any, refusal: str | None, move_id: str) -> None:
        self._report(command, stamp, refusal, {moves.MOVE_ID_KEY: move_id})

    # Topics -------------------------------------------------------------------------------

    def _on_goto(self, msg: String) -> None:
        try:
            request = moves.parse_goto(msg.data)
        except moves.GotoError as exc:
            self._answer(moves.GOTO_RESULT, _Stamp(""), str(exc), "")
            return
        stamp = _Stamp(request.stamp)
        late = self._expired(stamp) if self._not_ready() is None else None
        if late is not None:
            self._answer(moves.GOTO_RESULT, stamp, late, request.move_id)
            return

        def start() -> str:
            head = self._core.HeadPose(**request.head) if request.head is not None else None
            return str(
                self._loop.goto(
                    request.move_id,
                    request.duration,
                    interpolation=request.interpolation,
                    head=head,
                    body_yaw=request.body_yaw,
                    antennas=request.antennas,
                    joints=request.joints or None,
                )
            )

        refusal, move_id = self._run(start)
        self._answer(moves.GOTO_RESULT, stamp, refusal, move_id or request.move_id)

    def _on_joint_trajectory(self, msg: JointTrajectory) -> None:
        late = self._expired(msg.header.stamp) if self._not_ready() is None else None
        if late is not None:
            self._answer(moves.JOINT_TRAJECTORY_RESULT, msg.header.stamp, late, "")
            return
        refusal, move_id = self._run(
            lambda: str(self._loop.joint_trajectory("", list(msg.joint_names), joint_points(msg)))
        )
        self._answer(moves.JOINT_TRAJECTORY_RESULT, msg.header.stamp, refusal, move_id)

    def _on_head_trajectory(self, msg: MultiDOFJointTrajectory) -> None:
        late = self._expired(msg.header.stamp) if self._not_ready() is None else None
        if late is not None:
            self._answer(moves.HEAD_TRAJECTORY_RESULT, msg.header.stamp, late, "")
            return
        refusal, move_id = self._run(
            lambda: str(self._loop.head_trajectory("", head_points(self._core, msg)))
        )
        self._answer(moves.HEAD_TRAJECTORY_RESULT, msg.header.stamp, refusal, move_id)

    # Services -----------------------------------------------------------------------------

    def _trigger(self, name: str, start: Callable[[], str], response: Any) -> Any:
        refusal, move_id = self._run(start)
        response.success = refusal is None
        response.message = refusal or move_id
        self._answer(name, _Stamp(""), refusal, move_id)
        return response

    def _on_wake_up(self, request: Any, response: Any) -> Any:
        return self._trigger("wake_up", lambda: str(self._loop.wake_up("")), response)

    def _on_goto_sleep(self, request: Any, response: Any) -> Any:
        return self._trigger("goto_sleep", lambda: str(self._loop.goto_sleep("")), response)

    def _on_stop_move(self, request: Any, response: Any) -> Any:
        refusal = self._not_ready()
        if refusal is not None:
            response.success = False
            response.message = refusal
            return response
        stopped = self._loop.stop_move()
        response.success = True
        response.message = stopped or "no move was running"
        return response

    # Events -------------------------------------------------------------------------------

    def publish_events(self) -> None:
        """Publish the loop's move events since the last call.

        The publishing thread calls it after every cycle while the node is active; the node
        calls it after stopping that thread and the loop, for the moves the stop ended.
        """
        loop = self._loop
        if loop is None:
            return
        for event in loop.take_move_events():
            self._publish(event_message(event))
            if event["event"] in moves.ENDS:
                self._on_move_end(event)


def event_message(event: dict[str, Any]) -> DiagnosticStatus:
    """One move event as a command result named ``move``."""
    return DiagnosticStatus(
        level=_LEVELS[event["event"]],
        name=moves.MOVE_RESULT,
        message=event["reason"] or event["event"],
        hardware_id=status.HARDWARE_ID,
        values=[
            KeyValue(key=moves.MOVE_ID_KEY, value=event["id"]),
            KeyValue(key=moves.KIND_KEY, value=event["kind"]),
            KeyValue(key=moves.EVENT_KEY, value=event["event"]),
            KeyValue(key=moves.DURATION_KEY, value=f"{event['duration']:.6f}"),
            KeyValue(key=moves.TIME_KEY, value=f"{event['time']:.6f}"),
        ],
    )
