"""Measure /ws/sdk: frame rate and latency per client, and the bridge's CPU while it serves them.

Runs the stack on the simulated robot and connects 1, then 10 raw WebSocket clients to
/ws/sdk, as the app SDK does. Latency is from the loop's read time of a joint state (its
/joint_states header stamp, which every state frame of /ws/sdk carries as `stamp`) to the
client's receipt of the `joint_positions` frame: DDS to the bridge, the bridge, and the
WebSocket to the client, on one machine. Targets: joint_positions at the loop rate (200 Hz)
to each of 10 clients at 95 % or more of it, and latency p99 ≤ 5 ms.

    .venv/bin/python benchmarks/sdk_ws.py [--seconds 10] [--clients 1 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field

import orjson
import websockets
from bridge_common import Usage, percentile, stack

LOOP_RATE_HZ = 200.0
WARMUP_S = 2.0
PREFIX = b'{"type":"joint_positions"'


@dataclass
class Client:
    """What one client received over the measured span."""

    frames: int = 0
    poses: int = 0
    latencies_ms: list[float] = field(default_factory=list)


async def run_client(url: str, seconds: float, measuring: asyncio.Event, done: Client) -> None:
    async with websockets.connect(url, compression=None, max_size=2**20) as ws:
        end: float | None = None
        while True:
            raw = await ws.recv(decode=False)
            now = time.time()
            if not measuring.is_set():
                continue
            if end is None:
                end = time.monotonic() + seconds
            if time.monotonic() >= end:
                return
            if raw.startswith(PREFIX):
                done.frames += 1
                done.latencies_ms.append((now - orjson.loads(raw)["stamp"]) * 1000.0)
            elif raw.startswith(b'{"type":"head_pose"'):
                done.poses += 1


async def measure(url: str, count: int, seconds: float) -> list[Client]:
    measuring = asyncio.Event()
    clients = [Client() for _ in range(count)]
    tasks = [asyncio.create_task(run_client(url, seconds, measuring, c)) for c in clients]
    await asyncio.sleep(WARMUP_S)
    measuring.set()
    await asyncio.gather(*tasks)
    return clients


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    with stack() as running:
        url = running.base_url.replace("http://", "ws://") + "/ws/sdk"
        bridge = running.node_process("bridge_node")
        time.sleep(2.0)
        with Usage(bridge) as idle:
            time.sleep(3.0)
        print(f"idle: {idle.line()}")
        for count in args.clients:
            with Usage(bridge) as usage:
                clients = asyncio.run(measure(url, count, args.seconds))
            rates = [c.frames / args.seconds for c in clients]
            pose_rates = [c.poses / args.seconds for c in clients]
            latencies = [v for c in clients for v in c.latencies_ms]
            worst = min(rates)
            print(
                f"{count:2d} client(s): joint_positions min {worst:6.1f} Hz "
                f"({100 * worst / LOOP_RATE_HZ:5.1f} % of {LOOP_RATE_HZ:g}), "
                f"mean {sum(rates) / len(rates):6.1f} Hz; head_pose min {min(pose_rates):6.1f} Hz"
            )
            print(
                "            latency loop read → client: "
                f"p50 {percentile(latencies, 50):5.2f} ms, "
                f"p99 {percentile(latencies, 99):5.2f} ms, max {max(latencies):6.2f} ms "
                f"({len(latencies)} frames)"
            )
            print(f"            {usage.line()}")


if __name__ == "__main__":
    main()
