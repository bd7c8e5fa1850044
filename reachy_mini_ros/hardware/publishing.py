"""Publish the control loop's readings: /joint_states and the head pose, each reading once.

A thread waits on the Rust loop without the GIL and sends each new reading once, so a stale
value is never published as fresh: when the bus is lost, /joint_states stops.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.lifecycle import LifecycleNode
from sensor_msgs.msg import JointState

from reachy_mini_ros.hardware import diagnostics
from reachy_mini_ros.interface.joints import (
    HEAD_POSE_FRAME,
    HEAD_POSE_JOINT_NAMES,
    MOTOR_JOINT_NAMES,
    STEWART_JOINT_NAMES,
)
from reachy_mini_ros.interface.rotations import rpy_to_quaternion

# Torque constants (N·m/A) to estimate effort from the present current: stall torque over
# stall current at 5 V in ROBOTIS' specifications (XL330-M288: 0.52 N·m / 1.47 A,
# XL330-M077: 0.215 N·m / 1.47 A, XC330-M288: 0.93 N·m / 1.8 A).
# Where the six Stewart motors and the body sit in a snapshot: the core orders its motors as
# the robot table does (test/interface/test_robot_table.py pins that), so this is fixed.
POSE_JOINT_INDICES = tuple(MOTOR_JOINT_NAMES.index(n) for n in (*STEWART_JOINT_NAMES, "yaw_body"))
TORQUE_CONSTANT = {
    "yaw_body": 0.93 / 1.8,
    "right_antenna": 0.215 / 1.47,
    "left_antenna": 0.215 / 1.47,
    **{name: 0.52 / 1.47 for name in STEWART_JOINT_NAMES},
}


def joint_state_message(snap: Any, fresh: list[bool], pose: Any) -> JointState:
    """Return the /joint_states message of one reading, with the head pose joints if known."""
    stamp_sec = int(snap.read_time)
    stamp_nsec = int((snap.read_time - stamp_sec) * 1e9)
    msg = JointState()
    msg.header.stamp.sec = stamp_sec
    msg.header.stamp.nanosec = stamp_nsec
    # Velocity and current are read every few cycles: use them while they are at most
    # 50 ms (10 cycles at 200 Hz) older than the positions, else say "not measured".
    fresh_velocity = snap.read_time - snap.velocity_time <= 0.05
    fresh_current = snap.read_time - snap.current_time <= 0.05
    nan = math.nan
    names: list[str] = []
    positions: list[float] = []
    velocities: list[float] = []
    efforts: list[float] = []
    # Each attribute of a snapshot builds a new list: read each once, not once per joint.
    position, velocity, current = snap.position, snap.velocity, snap.current
    for i, name in enumerate(snap.names):
        if not fresh[i]:
            continue
        names.append(name)
        positions.append(float(position[i]))
        velocities.append(float(velocity[i]) if fresh_velocity else nan)
        efforts.append(
            float(current[i]) / 1000.0 * TORQUE_CONSTANT[name] if fresh_current else nan
        )
    if pose is not None:
        names += HEAD_POSE_JOINT_NAMES
        positions += pose.as_tuple()
        velocities += [nan] * 6
        efforts += [nan] * 6
    msg.name = names
    msg.position = positions
    msg.velocity = velocities
    msg.effort = efforts
    return msg


def head_pose_message(stamp: Any, pose: Any) -> PoseStamped:
    """Return the head pose message of a reading's pose, in the base frame."""
    head = PoseStamped()
    head.header.stamp = stamp
    head.header.frame_id = HEAD_POSE_FRAME
    position = head.pose.position
    position.x, position.y, position.z = pose.x, pose.y, pose.z
    o = head.pose.orientation
    o.x, o.y, o.z, o.w = rpy_to_quaternion(pose.roll, pose.pitch, pose.yaw)
    return head


class ReadingPublisher:
    """Publish every new reading of the loop once, from a thread of its own, while active."""

    def __init__(self, node: LifecycleNode) -> None:
        self._node = node
        self._thread: threading.Thread | None = None
        self._publishing = threading.Event()
        self._joint_states_pub: Any = None
        self._head_pose_pub: Any = None
        self._last_pose: Any = None  # reachy_mini_core_rs.HeadPose of the last reading
        self._reported_errors: dict[str, int] = {}

    def create_publishers(self) -> None:
        """Create the lifecycle publishers (at configure)."""
        # Best effort matches sensor data (rclpy's qos_profile_sensor_data keeps 5); depth 10
        # rides out a short stall of a subscriber at 200 Hz.
        node = self._node
        self._joint_states_pub = node.create_lifecycle_publisher(JointState, "/joint_states", 10)
        self._head_pose_pub = node.create_lifecycle_publisher(
            PoseStamped, "/reachy_mini/head_pose", 10
        )

    def destroy_publishers(self) -> None:
        """Destroy the lifecycle publishers (at cleanup and shutdown)."""
        for publisher in (self._joint_states_pub, self._head_pose_pub):
            if publisher is not None:
                self._node.destroy_lifecycle_publisher(publisher)
        self._joint_states_pub = self._head_pose_pub = None

    def start(self, loop: Any, core: Any, rate_hz: float) -> None:
        """Start the publishing thread on loop's readings, at most rate_hz."""
        self._publishing.set()
        self._thread = threading.Thread(
            target=self._run, args=(loop, core, rate_hz), name="joint_states", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the publishing thread."""
        self._publishing.clear()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None

    def _run(self, loop: Any, core: Any, rate_hz: float) -> None:
        """Publish every new reading once, at most at rate_hz."""
        min_interval = 1.0 / rate_hz
        # Skip a reading only when it comes earlier than 90 % of the interval, so that equal
        # rates never drop a cycle to timing noise.
        slack = 0.9 * min_interval
        last_seq = -1
        last_read = 0.0
        failing = False
        logger = self._node.get_logger()
        while self._publishing.is_set():
            snap = loop.wait_snapshot(last_seq, 0.1)
            if snap is None:
                continue  # bus down or loop stopped: publish nothing rather than old values
            last_seq = snap.seq
            if snap.read_time - last_read < slack:
                continue
            last_read = snap.read_time
            try:
                self._publish(core, snap)
                self._log_new_hardware_errors(snap)
            except Exception as exc:
                if not (self._publishing.is_set() and rclpy.ok(context=self._node.context)):
                    return  # the node or its context is shutting down under us
                # Skip this reading and go on with the next: one line per run of failures.
                if not failing:
                    logger.error(f"publishing failed: {exc}; skipping readings")
                failing = True
                continue
            if failing:
                logger.info("publishing resumed")
                failing = False

    def _publish(self, core: Any, snap: Any) -> None:
        # A motor that did not answer in this cycle keeps an old reading in the snapshot:
        # leave it out rather than stamp its old value with this cycle's time.
        fresh = [t == snap.read_time for t in snap.position_time]
        pose = self._head_pose(core, snap, fresh)
        msg = joint_state_message(snap, fresh, pose)
        self._joint_states_pub.publish(msg)
        if pose is not None:
            self._head_pose_pub.publish(head_pose_message(msg.header.stamp, pose))

    def _head_pose(self, core: Any, snap: Any, fresh: list[bool]) -> Any:
        """Return the base-frame head pose by forward kinematics, or None without fresh angles."""
        if not all(fresh[i] for i in POSE_JOINT_INDICES):
            return None
        position = snap.position
        angles = [position[i] for i in POSE_JOINT_INDICES[:6]]
        body_yaw = float(position[POSE_JOINT_INDICES[6]])
        try:
            # Start from the previous pose: near the workspace edge two poses share the same
            # angles, and tracking keeps the one the head is actually in.
            pose = core.forward_kinematics(angles, body_yaw=body_yaw, start=self._last_pose)
        except core.KinematicsError:
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
            logger = self._node.get_logger()
            if bits:
                causes = ", ".join(diagnostics.decode_hardware_error(bits))
                logger.error(f"motor {name}: hardware error ({causes}); torque off until reboot")
            else:
                logger.info(f"motor {name}: hardware error cleared")
