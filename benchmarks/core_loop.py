"""Measure the core's control loop on the simulated bus at 1 Mbaud: rate, jitter, CPU.

For each rate (200 Hz and 400 Hz by default) the loop runs on a fresh SimBus with torque on,
while this process queues a new goal for every joint every 10 ms (as the hardware node does),
and prints the achieved rate, the period jitter (lateness of each cycle start) p50/p99/max
and the read/write durations. Then, at 200 Hz with nothing else running in this process, it
prints the loop's CPU use: process CPU time over wall time, in % of one core (the simulated
bus runs in the loop's thread, so its work is included).

Run: .venv/bin/python benchmarks/core_loop.py [--seconds 10] [--rates 200 400]
"""

from __future__ import annotations

import argparse
import math
import time

import reachy_mini_core_rs as core


def run_rate(rate_hz: float, seconds: float) -> core.LoopStats:
    """Run the loop at rate_hz with goals streaming in; return its statistics."""
    loop = core.ControlLoop(backend="sim", sim=core.SimBus(1_000_000), rate_hz=rate_hz)
    loop.start()
    loop.set_torque(True)
    start = time.monotonic()
    try:
        while (now := time.monotonic()) - start < seconds:
            phase = 2 * math.pi * 0.5 * (now - start)
            loop.set_goals(
                {
                    "yaw_body": 0.3 * math.sin(phase),
                    "right_antenna": 0.5 * math.sin(phase),
                    "left_antenna": -0.5 * math.sin(phase),
                }
            )
            time.sleep(0.01)
        return loop.stats()
    finally:
        loop.close()


def cpu_use(rate_hz: float, seconds: float) -> float:
    """Return the loop's CPU use in % of one core while this process only sleeps."""
    loop = core.ControlLoop(backend="sim", sim=core.SimBus(1_000_000), rate_hz=rate_hz)
    loop.start()
    loop.set_torque(True)
    try:
        time.sleep(1.0)
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        return 100.0 * (time.process_time() - cpu0) / (time.monotonic() - wall0)
    finally:
        loop.close()


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", type=float, nargs="+", default=[200.0, 400.0])
    args = parser.parse_args()

    print("control loop on SimBus at 1 Mbaud, goals queued every 10 ms")
    header = (
        f"{'rate':>6} {'achieved':>9} {'cycles':>7} {'jit p50':>8} {'jit p99':>8} "
        f"{'jit max':>8} {'read p50':>9} {'write p50':>10} {'realtime':>9}  errors"
    )
    print(header)
    for rate in args.rates:
        s = run_rate(rate, args.seconds)
        print(
            f"{rate:>6.0f} {s.achieved_rate_hz:>9.1f} {s.cycles:>7} {s.jitter_p50_ms:>8.3f} "
            f"{s.jitter_p99_ms:>8.3f} {s.jitter_max_ms:>8.3f} {s.read_ms_p50:>9.3f} "
            f"{s.write_ms_p50:>10.3f} {s.realtime!s:>9}  {s.errors or '-'}"
        )
    print("(times in ms; jitter is how late each cycle started)")
    print(f"loop CPU at 200 Hz: {cpu_use(200.0, args.seconds):.2f} % of one core")


if __name__ == "__main__":
    main()
