"""Publish a joint goal on /reachy_mini/joint_commands, as any ROS 2 node would.

Usage: publish_goal.py JOINT RAD [JOINT RAD ...]

The goal is sent several times over about two seconds, once the hardware node subscribes, so
that a sample lost while discovery settles does not lose the command.
"""

from __future__ import annotations

import sys
import time

import rclpy
from sensor_msgs.msg import JointState

TOPIC = "/reachy_mini/joint_commands"
# DDS discovery between fresh processes takes up to a few seconds on a loaded machine.
DISCOVERY_TIMEOUT_S = 20.0
REPEATS = 10
PERIOD_S = 0.2


def main(argv: list[str]) -> int:
    """Publish the goals given as JOINT RAD pairs; return the exit code."""
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    names = argv[0::2]
    positions = [float(v) for v in argv[1::2]]
    rclpy.init()
    node = rclpy.create_node("reachy_mini_goal_publisher")
    try:
        publisher = node.create_publisher(JointState, TOPIC, 10)
        deadline = time.monotonic() + DISCOVERY_TIMEOUT_S
        while publisher.get_subscription_count() == 0:
            if time.monotonic() > deadline:
                print(f"no subscriber on {TOPIC} after {DISCOVERY_TIMEOUT_S} s", file=sys.stderr)
                return 1
            rclpy.spin_once(node, timeout_sec=0.1)
        for _ in range(REPEATS):
            msg = JointState()
            msg.header.stamp = node.get_clock().now().to_msg()
            msg.name = names
            msg.position = positions
            publisher.publish(msg)
            rclpy.spin_once(node, timeout_sec=PERIOD_S)
        return 0
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
