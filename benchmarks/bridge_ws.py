"""Measure WebSocket delivery: latency from the hardware loop to the client, and rates.

Runs `reachy-mini bringup` on the simulated robot (200 Hz /joint_states), then connects 1, 10
and 50 clients subscribed to joint_states at 60 Hz, and 50 clients plus one stalled client
(it subscribes at the loop rate, then never reads). For each run it prints:
- latency: client receipt time minus `data.stamp` (when the hardware loop read the motors),
  p50/p99 over every frame of every client;
- per-client received rate: min and median, as a share of the asked 60 Hz;
- the bridge's CPU and RSS during the run.
The stalled runs start once the stalled client loses frames (its socket buffers are full,
which takes a few seconds at 200 Hz) and last 5 s, inside the 10 s after which the bridge
drops such a client; they alternate with runs without it and the change in the other
clients' rates is printed. Last, rounds of 50 clients that connect, read for 2 s and leave
show whether memory comes back: the bridge's RSS after the first and the last round.

Targets: 50 clients each ≥ 95 % of 60 Hz with p99 ≤ 15 ms; a stalled client changes no other
client's rate by more than 5 %; bridge RSS ≤ 120 MB.

Run: .venv/bin/python benchmarks/bridge_ws.py [--seconds 10] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass

import orjson
import websockets
from bridge_common import Usage, percentile, stack
from support import stalled_websocket, ws_frames_dropped

RATE_HZ = 60.0
# Connecting 50 clients (1 s), warming up (2 s) and measuring must fit in the 10 s for which
# the bridge keeps a stalled client.
STALLED_RUN_S = 5.0


@dataclass
class Run:
    """What the clients of one run received."""

    rates: list[float]
    latencies_ms: list[float]


async def client(url: str, seconds: float, warmup: float, start: asyncio.Event) -> Run:
    """Subscribe at RATE_HZ and read all along; count frames and their latency for seconds."""
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channels": {"joint_states": RATE_HZ}}))
        latencies: list[float] = []
        count = 0
        began = end = float("inf")
        while time.monotonic() < end:
            try:
                raw = await asyncio.wait_for(ws.recv(), 5.0)
            except TimeoutError:
                break
            received = time.time()
            if start.is_set() and began == float("inf"):
                # Every client is connected: measure after the warm-up.
                began = time.monotonic() + warmup
                end = began + seconds
            if time.monotonic() < began:
                continue
            message = orjson.loads(raw)
            if message["type"] != "joint_states":
                continue
            count += 1
            latencies.append((received - message["data"]["stamp"]) * 1e3)
        return Run([count / seconds], latencies)


def wait_until_stalled(base_url: str, timeout: float = 120.0) -> float:
    """Wait until the bridge drops frames for a client that is behind; return when."""
    before = ws_frames_dropped(base_url)
    deadline = time.monotonic() + timeout
    while ws_frames_dropped(base_url) < before + 20:
        if time.monotonic() > deadline:
            raise TimeoutError("the stalled client never fell behind")
        time.sleep(0.1)
    return time.monotonic()


async def run_clients(url: str, count: int, seconds: float) -> Run:
    """Run count clients at once and merge what they received."""
    start = asyncio.Event()
    tasks = [asyncio.create_task(client(url, seconds, 2.0, start)) for _ in range(count)]
    await asyncio.sleep(1.0 + 0.02 * count)  # every client connected and subscribed
    start.set()
    runs = await asyncio.gather(*tasks)
    return Run(
        [r for run in runs for r in run.rates], [x for run in runs for x in run.latencies_ms]
    )


def report(label: str, run: Run, usage: Usage) -> tuple[float, float]:
    """Print one run's numbers; return the min and median per-client rate."""
    median = statistics.median(run.rates)
    print(
        f"{label:22s} rate min {min(run.rates):5.1f} Hz ({100 * min(run.rates) / RATE_HZ:5.1f} %) "
        f"median {median:5.1f} Hz; latency p50 {percentile(run.latencies_ms, 50):5.2f} ms "
        f"p99 {percentile(run.latencies_ms, 99):6.2f} ms; {usage.line()}"
    )
    return min(run.rates), median


def main() -> None:
    """Run the benchmark and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--rounds", type=int, default=10, help="rounds of 50 clients coming and going"
    )
    args = parser.parse_args()
    with stack() as running:
        bridge = running.node_process("bridge_node")
        time.sleep(2.0)
        with Usage(bridge) as idle:
            time.sleep(5.0)
        print(f"{'idle (no client)':22s} {idle.line()}")
        rates: dict[int, tuple[float, float]] = {}
        for count in (1, 10, 50):
            with Usage(bridge) as usage:
                run = asyncio.run(run_clients(running.ws_url, count, args.seconds))
            rates[count] = report(f"{count} client(s) at 60 Hz", run, usage)
        # Alternate runs with and without the stalled client, so that load from elsewhere on
        # the machine weighs on both alike.
        with_stalled: list[tuple[float, float]] = []
        with Usage(bridge) as usage:
            run = asyncio.run(run_clients(running.ws_url, 50, STALLED_RUN_S))
        without: list[tuple[float, float]] = [report("50 clients, short run", run, usage)]
        for round_ in range(2):
            stalled = stalled_websocket(running.base_url)
            try:
                # Measure while it is stalled: from when it starts losing frames (its buffers
                # are full) until the bridge drops it, 10 s later.
                stalled_since = wait_until_stalled(running.base_url)
                with Usage(bridge) as usage:
                    run = asyncio.run(run_clients(running.ws_url, 50, STALLED_RUN_S))
                if time.monotonic() - stalled_since > 10.0:
                    print("(the stalled client was dropped before the end of this run)")
                with_stalled.append(report(f"50 + 1 stalled (#{round_ + 1})", run, usage))
            finally:
                stalled.close()
            if round_ == 0:
                with Usage(bridge) as usage:
                    run = asyncio.run(run_clients(running.ws_url, 50, STALLED_RUN_S))
                without.append(report("50 clients, short run", run, usage))
        base_low = statistics.median(r[0] for r in without)
        base_median = statistics.median(r[1] for r in without)
        low = statistics.median(r[0] for r in with_stalled)
        median = statistics.median(r[1] for r in with_stalled)
        print(
            "with a stalled client, the others' rates changed by "
            f"{100 * (median - base_median) / base_median:+.1f} % (median client), "
            f"{100 * (low - base_low) / base_low:+.1f} % (slowest client)"
        )
        rss_mb = []
        for _ in range(args.rounds):
            asyncio.run(run_clients(running.ws_url, 50, 2.0))
            rss_mb.append(bridge.memory_info().rss / (1024 * 1024))
        print(
            f"{args.rounds} rounds of 50 clients coming and going: bridge rss "
            f"{rss_mb[0]:.1f} MB after the first, {rss_mb[-1]:.1f} MB after the last "
            f"(max {max(rss_mb):.1f} MB)"
        )


if __name__ == "__main__":
    main()
