"""Measure the bridge's HTTP latency: /api/health and /system/status, keep-alive.

Runs `reachy-mini bringup` on the simulated robot (200 Hz /joint_states flowing into the
bridge), then times requests on one keep-alive connection from this process (a second
process, as a browser or monitoring agent would be). Prints p50/p99 per endpoint and the
bridge's CPU and RSS, idle and under the request load.

Targets: /api/health p50 ≤ 1 ms, p99 ≤ 2.5 ms; bridge RSS ≤ 120 MB.

Run: .venv/bin/python benchmarks/bridge_http.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import http.client
import time

from bridge_common import Usage, percentile, stack


def time_requests(port: int, path: str, count: int) -> list[float]:
    """Return the round-trip time in ms of count GETs of path on one connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples: list[float] = []
    for i in range(count + count // 10):
        began = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - began) * 1e3
        if response.status >= 500 and path != "/api/health":
            raise RuntimeError(f"{path} answered {response.status}")
        if i >= count // 10:  # the first tenth warms up
            samples.append(elapsed)
    connection.close()
    return samples


def main() -> None:
    """Run the benchmark and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    with stack() as running:
        port = int(running.base_url.rsplit(":", 1)[1])
        bridge = running.node_process("bridge_node")
        time.sleep(2.0)
        with Usage(bridge) as idle:
            time.sleep(5.0)
        print(f"idle (200 Hz joint states, no client): {idle.line()}")
        for path in ("/api/health", "/system/status"):
            with Usage(bridge) as usage:
                samples = time_requests(port, path, args.requests)
            print(
                f"GET {path:15s} n={len(samples)} p50 {percentile(samples, 50):.3f} ms "
                f"p99 {percentile(samples, 99):.3f} ms max {max(samples):.3f} ms; "
                f"{usage.line()}"
            )


if __name__ == "__main__":
    main()
