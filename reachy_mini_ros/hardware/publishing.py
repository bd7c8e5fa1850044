"""Publish the control loop's readings: /joint_states and the head pose, each reading once.

A thread waits on the Rust loop without the GIL and sends each new reading once, so a stale
value is never published as fresh: when the bus is lost, /joint_states stops. The same thread,
awake anyway, runs the node's light per-cycle work (``between_readings``: the move events, a
look for new /diagnostics readers) after each reading or each empty wait, so that none of it
needs a timer of its own waking the executor 50 times a second. The core
serializes each reading's messages (``ReadingEncoder``: the motors read in this cycle, their
effort from the present current, the head pose by forward kinematics); this thread only hands
the bytes to rclpy, so a reading costs a few Python objects, not a few hundred.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.lifecycle import LifecycleNode
from sensor_msgs.msg import JointState

from reachy_mini_ros.hardware import diagnostics
from reachy_mini_ros.interface.joints import (
    HEAD_POSE_FRAME,
    HEAD_POSE_JOINT_NAMES,
    STEWART_JOINT_NAMES,
)

# Torque constants (N·m/A) to estimate effort from the present current: stall torque over
# stall current at 5 V in ROBOTIS' specifications (XL330-M288: 0.52 N·m / 1.47 A,
# XL330-M077: 0.215 N·m / 1.47 A, XC330-M288: 0.93 N·m / 1.8 A).
TORQUE_CONSTANT = {
    "yaw_body": 0.93 / 1.8,
    "right_antenna": 0.215 / 1.47,
    "left_antenna": 0.215 / 1.47,
    **{name: 0.52 / 1.47 for name in STEWART_JOINT_NAMES},
}


def reading_encoder(core: Any) -> Any:
    """Return the core's encoder of this robot's readings (a ``ReadingEncoder``)."""
    return core.ReadingEncoder(
        [TORQUE_CONSTANT[name] for name in core.JOINT_NAMES],
        HEAD_POSE_FRAME,
        list(HEAD_POSE_JOINT_NAMES),
    )


# How long the thread waits for a reading before it runs between_readings anyway (s).
WAIT_S = 0.1


class ReadingPublisher:
    """Publish every new reading of the loop once, from a thread of its own, while active."""

    def __init__(self, node: LifecycleNode, between_readings: Callable[[], None]) -> None:
        self._node = node
        self._between_readings = between_readings
        self._thread: threading.Thread | None = None
        self._publishing = threading.Event()
        self._joint_states_pub: Any = None
        self._head_pose_pub: Any = None
        self._encoder: Any = None  # reachy_mini_core_rs.ReadingEncoder
        self._reported_errors: list[int] | None = None
        self._slack = 0.0  # the least time between two published readings (s)

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
        # A new encoder per start: the head pose is tracked from neutral again.
        self._encoder = reading_encoder(core)
        self._publishing.set()
        self._thread = threading.Thread(
            target=self._run, args=(loop, rate_hz), name="joint_states", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the publishing thread."""
        self._publishing.clear()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None

    def set_rate(self, rate_hz: float) -> None:
        """Publish at most rate_hz from now on (the thread reads it at every reading)."""
        # Skip a reading only when it comes earlier than 90 % of the interval, so that equal
        # rates never drop a cycle to timing noise.
        self._slack = 0.9 / rate_hz

    def _run(self, loop: Any, rate_hz: float) -> None:
        """Publish every new reading once, at most at rate_hz (or what set_rate says)."""
        self.set_rate(rate_hz)
        last_seq = -1
        last_read = 0.0
        failing = False
        logger = self._node.get_logger()
        while self._publishing.is_set():
            snap = loop.wait_snapshot(last_seq, WAIT_S)
            try:
                # None: bus down or loop stopped; publish nothing rather than old values.
                if snap is not None:
                    last_seq = snap.seq
                    if snap.read_time - last_read >= self._slack:
                        last_read = snap.read_time
                        self._publish(snap)
                        self._log_new_hardware_errors(snap)
                self._between_readings()
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

    def _publish(self, snap: Any) -> None:
        joint_state, head_pose = self._encoder.encode(snap)
        self._joint_states_pub.publish(joint_state)
        if head_pose is not None:
            self._head_pose_pub.publish(head_pose)

    def _log_new_hardware_errors(self, snap: Any) -> None:
        """Write one log line when a motor's hardware error appears or clears."""
        errors = snap.hardware_error
        if errors == self._reported_errors:
            return
        previous = self._reported_errors or [0] * len(errors)
        self._reported_errors = errors
        for name, bits, before in zip(snap.names, errors, previous, strict=True):
            if bits == before:
                continue
            logger = self._node.get_logger()
            if bits:
                causes = ", ".join(diagnostics.decode_hardware_error(bits))
                logger.error(f"motor {name}: hardware error ({causes}); torque off until reboot")
            else:
                logger.info(f"motor {name}: hardware error cleared")
