"""Measure /joint_states from the hardware node: rate, delivery, latency and node CPU.

Starts ``hardware_node`` on the simulated bus in its own process, subscribes from this
process over DDS (on a private domain, localhost only), and prints:
- the achieved /joint_states rate and the share of loop cycles delivered;
- the latency from the loop's read time (the message stamp) to this subscriber, p50/p99/max;
- the node's CPU use, in % of one core.

Run: .venv/bin/python benchmarks/hardware_joint_states.py [--seconds 20] [--rate 200]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

os.environ["ROS_DOMAIN_ID"] = str(random.SystemRandom().randint(1, 101))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")

import psutil
import rclpy
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import JointState


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100.0 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()

    exe = Path(sys.executable).parent / "hardware_node"
    node_proc = subprocess.Popen(
        [
            str(exe),
            "--ros-args",
            "-p",
            f"control_rate_hz:={args.rate}",
            "-p",
            f"joint_states_rate_hz:={args.rate}",
            "--log-level",
            "warn",
        ]
    )
    rclpy.init()
    node = rclpy.create_node("joint_states_benchmark")
    stamps: list[float] = []
    latencies: list[float] = []
    recording = False

    def on_msg(msg: JointState) -> None:
        received = time.time()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if recording:
            stamps.append(stamp)
            latencies.append(received - stamp)

    node.create_subscription(JointState, "/joint_states", on_msg, 100)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        deadline = time.monotonic() + 60.0
        got_first = []
        first = node.create_subscription(JointState, "/joint_states", got_first.append, 1)
        while not got_first and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
        node.destroy_subscription(first)
        if not got_first:
            raise SystemExit("no /joint_states within 60 s")
        end_warmup = time.monotonic() + args.warmup
        while time.monotonic() < end_warmup:
            executor.spin_once(timeout_sec=0.05)

        proc = psutil.Process(node_proc.pid)
        cpu_start = proc.cpu_times()
        wall_start = time.monotonic()
        recording = True
        end = wall_start + args.seconds
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
        recording = False
        wall = time.monotonic() - wall_start
        cpu_end = proc.cpu_times()
    finally:
        node_proc.terminate()
        node_proc.wait(10)
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()

    cpu = (cpu_end.user + cpu_end.system - cpu_start.user - cpu_start.system) / wall
    unique = sorted(set(stamps))
    span = unique[-1] - unique[0] if len(unique) > 1 else 0.0
    expected = span * args.rate + 1
    lat_ms = [1000.0 * x for x in latencies]
    print(f"/joint_states benchmark: {args.seconds:.0f} s at {args.rate:.0f} Hz configured")
    print(f"  messages received      {len(stamps)} ({len(unique)} distinct readings)")
    print(f"  achieved rate          {len(unique) / span if span else 0.0:.1f} Hz")
    print(f"  cycles delivered       {100.0 * len(unique) / expected:.2f} %")
    print(
        f"  latency read->sub      p50 {percentile(lat_ms, 50):.3f} ms  "
        f"p99 {percentile(lat_ms, 99):.3f} ms  max {max(lat_ms):.3f} ms"
    )
    print(f"  node CPU               {100.0 * cpu:.1f} % of one core")


if __name__ == "__main__":
    main()
