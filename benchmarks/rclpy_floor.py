"""The least two rclpy processes cost for what our stack does: one stream of joint states.

What any stack of two rclpy nodes over DDS spends before doing anything of its own: a node
that publishes a serialized sensor_msgs/JointState (9 joints, as the hardware node sends) at
a rate from a thread, and a node that takes it raw and drops it, each spun by rclpy's
EventsExecutor on Fast DDS, in two processes (our layout) and as two nodes of one process.
It prints their CPU (percent of one core) and RSS, to set beside ``benchmarks/vs_vendor.py``.
Each layout runs alone in a loopback-only network namespace (``unshare -n``, needs root).

    .venv/bin/python benchmarks/rclpy_floor.py [--seconds 20] [--rates 50 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTLE_S = 5.0
JOINTS = [
    "yaw_body",
    "stewart_1",
    "stewart_2",
    "stewart_3",
    "stewart_4",
    "stewart_5",
    "stewart_6",
    "right_antenna",
    "left_antenna",
]


def run_nodes(roles: list[str], rate_hz: float) -> None:
    """Run the given nodes ("publisher", "subscriber") in this process until killed."""
    import rclpy
    from rclpy.experimental import EventsExecutor
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import JointState

    rclpy.init()
    executor = EventsExecutor()
    qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)
    publisher = None
    for role in roles:
        node = rclpy.create_node(f"floor_{role}")
        if role == "publisher":
            publisher = node.create_publisher(JointState, "/joint_states", 10)
        else:
            node.create_subscription(JointState, "/joint_states", lambda _: None, qos, raw=True)
        executor.add_node(node)

    def publish() -> None:
        msg = JointState(name=JOINTS, position=[0.0] * 9, velocity=[0.0] * 9, effort=[0.0] * 9)
        data = serialize_message(msg)
        period = 1.0 / rate_hz
        due = time.monotonic()
        while True:
            due += period
            time.sleep(max(0.0, due - time.monotonic()))
            assert publisher is not None
            publisher.publish(data)

    if publisher is not None:
        threading.Thread(target=publish, daemon=True).start()
    while True:
        executor.spin_once(timeout_sec=0.5)


def measure_inside(layout: str, rate_hz: float, seconds: float) -> dict[str, float]:
    """Start the layout's processes in this namespace; return their CPU percent and RSS MB."""
    import psutil

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    env = {
        **os.environ,
        "ROS_DOMAIN_ID": "42",
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp",
        "AMENT_PREFIX_PATH": str(ROOT / ".venv"),
    }
    groups = (
        [["publisher", "subscriber"]]
        if layout == "one process"
        else [["publisher"], ["subscriber"]]
    )
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--node", ",".join(roles), "--rate", str(rate_hz)], env=env
        )
        for roles in groups
    ]
    try:
        time.sleep(SETTLE_S)
        watched = [psutil.Process(p.pid) for p in procs]
        before = [sum(w.cpu_times()[:2]) for w in watched]
        began = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - began
        after = [sum(w.cpu_times()[:2]) for w in watched]
        rss = sum(w.memory_info().rss for w in watched) / 2**20
        cpu = 100.0 * sum(a - b for a, b in zip(after, before, strict=True)) / elapsed
        return {"cpu": cpu, "rss": rss}
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per measure")
    parser.add_argument("--rates", type=float, nargs="+", default=[50.0, 200.0])
    args = parser.parse_args()
    if args.node:
        run_nodes(args.node.split(","), args.rate)
        return
    if args.inside:
        spec = json.loads(args.inside)
        print(json.dumps(measure_inside(spec["layout"], spec["rate"], spec["seconds"])))
        return
    if os.geteuid() != 0:
        sys.exit("rclpy_floor: unshare -n needs root")
    print("| layout | rate | CPU, all processes | RSS, all processes |")
    print("|---|---|---|---|")
    for layout in ("two processes", "one process"):
        for rate in args.rates:
            spec = json.dumps({"layout": layout, "rate": rate, "seconds": args.seconds})
            out = subprocess.run(
                ["unshare", "-n", sys.executable, __file__, "--inside", spec],
                capture_output=True,
                text=True,
                check=True,
            )
            numbers = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {layout} | {rate:g} Hz | {numbers['cpu']:.1f} % | {numbers['rss']:.0f} MB |")


if __name__ == "__main__":
    main()
