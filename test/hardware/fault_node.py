"""Run the hardware node with one more service, /fault/loop_panic, that makes its loop panic.

A panic of the Rust loop thread cannot be caused from outside the node's process: the loop
drives its own simulated bus. This script runs the real node and adds only that trigger.
"""

from __future__ import annotations

import sys
from typing import Any

import rclpy
from std_srvs.srv import Trigger

from reachy_mini_ros.hardware.node import HardwareNode, spin


def main() -> None:
    """Spin a hardware node that offers /fault/loop_panic."""
    rclpy.init(args=sys.argv)
    node = HardwareNode()

    def panic(request: Any, response: Any) -> Any:
        sim = node._loop.sim if node._loop is not None else None
        if sim is not None:
            sim.inject_panic()
        response.success = sim is not None
        response.message = "panic injected" if sim is not None else "no simulated bus"
        return response

    node.create_service(Trigger, "/fault/loop_panic", panic)
    spin(node)


if __name__ == "__main__":
    main()
