"""Measure the motion layer: loop jitter and CPU with a move running, the commanded jerk of a
min-jerk goto against its analytic value, and the latency from a streamed target sent to the
bridge to its sync write on the bus.

1. Loop at 200 Hz on the simulated bus (in this process), idle for --seconds, then with
   head-and-antenna gotos running back to back for --seconds: jitter p50/p99/max and the
   process's CPU (% of one core) of each phase.
2. A 1 s min-jerk goto of the right antenna by 1 rad: the largest jerk of the commanded
   goals (third divided difference over the ticks' move times) against the analytic largest
   jerk of the min-jerk profile, 60·Δ/d³; and the largest commanded speed against the
   velocity limit.
3. The whole stack (`reachy-mini bringup`) with its hardware node on a pseudo-terminal served
   by a simulated bus in this process: --targets streamed joint targets are POSTed to the
   bridge one at a time, then as many published straight to /reachy_mini/joint_commands;
   each latency runs from just before the target is sent to the moment the simulated motor's
   goal register changes (polled at ~20 kHz), p50/p99/max.

Run: .venv/bin/python benchmarks/motion.py [--seconds 10] [--targets 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bridge_common import percentile
from support import running_stack

import reachy_mini_core_rs as core

RATE_HZ = 200.0
PERIOD = 1.0 / RATE_HZ


def loop_phase(seconds: float, moving: bool) -> tuple[core.LoopStats, float]:
    """Run a fresh loop for seconds, with gotos running or not; return its stats and CPU %."""
    loop = core.ControlLoop(sim=core.SimBus(1_000_000), rate_hz=RATE_HZ)
    loop.start()
    loop.set_torque(True)
    loop.wait_snapshot(-1, 2.0)
    time.sleep(0.5)
    poses = [core.HeadPose(z=0.01, roll=0.2, yaw=0.3), core.HeadPose(z=-0.01, pitch=-0.2)]
    antennas = [(0.8, -0.8), (-0.8, 0.8)]
    cpu0, wall0 = time.process_time(), time.monotonic()
    n = 0
    try:
        while time.monotonic() - wall0 < seconds:
            if moving and loop.running_move() is None:
                loop.goto("", 1.0, head=poses[n % 2], antennas=antennas[n % 2])
                n += 1
            time.sleep(0.01)
        cpu = 100.0 * (time.process_time() - cpu0) / (time.monotonic() - wall0)
        return loop.stats(), cpu
    finally:
        loop.close()


def jerk() -> None:
    """Print the commanded goto's largest jerk and step against their bounds."""
    loop = core.ControlLoop(sim=core.SimBus(1_000_000), rate_hz=RATE_HZ)
    loop.start()
    loop.set_torque(True)
    loop.wait_snapshot(-1, 2.0)
    right = list(core.JOINT_NAMES).index("right_antenna")
    try:
        start = loop.snapshot().goal[right]
        delta, duration = 1.0, 1.0
        move = loop.goto("jerk", duration, antennas=(start + delta, start - delta))
        snaps = []
        last = loop.snapshot().seq
        deadline = time.monotonic() + duration + 0.5
        while time.monotonic() < deadline:
            snap = loop.wait_snapshot(last, 0.2)
            if snap is not None:
                last = snap.seq
                if snap.move_id == move:
                    snaps.append(snap)
    finally:
        loop.close()
    # Each tick evaluates the move at the time it runs (move_time), so derivatives are taken
    # over those times; only runs of consecutive ticks count (a missed one would fake a jerk).
    jerks, steps = [], []
    for run in zip(snaps, snaps[1:], snaps[2:], snaps[3:], strict=False):
        if run[3].seq - run[0].seq != 3:
            continue
        t = [s.move_time for s in run]
        g = [s.goal[right] for s in run]
        v = [(g[i + 1] - g[i]) / (t[i + 1] - t[i]) for i in range(3)]
        tv = [(t[i] + t[i + 1]) / 2 for i in range(3)]
        acc = [(v[i + 1] - v[i]) / (tv[i + 1] - tv[i]) for i in range(2)]
        jerks.append(abs(acc[1] - acc[0]) / ((tv[2] - tv[0]) / 2))
        steps.append(abs(v[0]))
    analytic = 60.0 * delta / duration**3
    print(f"min-jerk goto of {delta} rad in {duration} s, {len(snaps)} ticks seen")
    print(f"  largest commanded jerk   {max(jerks):8.2f} rad/s³ (analytic {analytic:.2f})")
    print(
        f"  largest commanded speed  {max(steps):8.3f} rad/s "
        f"(velocity limit {core.DEFAULT_MAX_VELOCITY} rad/s, analytic peak "
        f"{1.875 * delta / duration:.3f})"
    )


def goal_changes(sim: core.SimBus, motor_id: int, before: int, t0: float) -> float | None:
    """The time the motor's goal register leaves `before`, polled for up to 1 s from t0."""
    while time.perf_counter() - t0 < 1.0:
        if sim.motor(motor_id)["goal"] != before:
            return time.perf_counter()
        time.sleep(0.00005)
    return None


def latency(targets: int) -> None:
    """Print the latency from a streamed target sent to its sync write, over HTTP to the bridge
    and over DDS straight to the hardware node."""
    import httpx
    from sensor_msgs.msg import JointState
    from support import RosClient

    # This process polls without holding the GIL for long; its own ROS thread must not wait.
    sys.setswitchinterval(0.0002)
    sim = core.SimBus(1_000_000)
    pty = core.PtyBus(sim)
    right_id = 17
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_stack(Path(tmp), "--backend", "serial", "--serial-port", pty.path) as stack,
    ):
        client = httpx.Client(
            base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token}"}
        )
        ros = RosClient("motion_benchmark", domain_id=stack.domain_id)
        publisher = ros.node.create_publisher(JointState, "/reachy_mini/joint_commands", 10)
        time.sleep(2.0)

        def send_http(value: float) -> bool:
            reply = client.post("/api/commands/joints", json={"goals": {"right_antenna": value}})
            return reply.status_code == 200

        def send_dds(value: float) -> bool:
            publisher.publish(JointState(name=["right_antenna"], position=[value]))
            return True

        for name, send in (
            ("HTTP to the bridge", send_http),
            ("DDS to the hardware node", send_dds),
        ):
            latencies = []
            value = 0.3
            for i in range(targets + 10):
                value = -value
                time.sleep(0.15)  # the previous target shaped to its end
                before = sim.motor(right_id)["goal"]
                t0 = time.perf_counter()
                ok = send(value)
                changed = goal_changes(sim, right_id, before, t0)
                if not ok or changed is None:
                    print(f"{name}: target {i} did not reach the bus", file=sys.stderr)
                    continue
                if i >= 10:  # the first ones warm the path up
                    latencies.append((changed - t0) * 1e3)
            print(f"streamed target, {name} -> sync write, {len(latencies)} targets")
            print(
                f"  p50 {percentile(latencies, 50):6.2f} ms  p99 {percentile(latencies, 99):6.2f} "
                f"ms  max {max(latencies):6.2f} ms  (2 loop periods: {2 * PERIOD * 1e3:.0f} ms)"
            )
        client.close()
        ros.close()
    pty.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--targets", type=int, default=200)
    args = parser.parse_args()
    print(f"loop at {RATE_HZ:.0f} Hz on the simulated bus, {args.seconds:.0f} s per phase")
    for name, moving in (("idle", False), ("goto running", True)):
        stats, cpu = loop_phase(args.seconds, moving)
        print(
            f"  {name:13s} rate {stats.achieved_rate_hz:6.1f} Hz  jitter p50 "
            f"{stats.jitter_p50_ms:.3f} ms  p99 {stats.jitter_p99_ms:.3f} ms  max "
            f"{stats.jitter_max_ms:.3f} ms  CPU {cpu:5.1f} %"
        )
    jerk()
    latency(args.targets)


if __name__ == "__main__":
    main()
