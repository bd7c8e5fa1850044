"""Measure our stack and the vendor's daemon side by side: CPU, memory, status route, start.

Each stack runs alone in a loopback-only network namespace of its own (``unshare -n``), one
after the other, on the same port, measured by the same client code:

- the vendor's daemon (PyPI ``reachy_mini`` 1.13.0 in ``.venv-vendor``), ``--mockup-sim
  --no-media --headless``: its loop runs at 50 Hz;
- ``reachy-mini bringup`` on the simulated bus, at 50 Hz and at our default rate (200 Hz).

Each stack is started twice with the same empty home: the first start (where ours creates
and migrates its database) is timed and stopped, the second is timed and measured, 10 s
after it is ready. For each it prints: start to ready (``GET /api/daemon/status`` says
running and ready; ours also to ``/api/health`` saying healthy), CPU of all its processes
(percent of one core) idle,
with one client of ``/api/state/ws/full?frequency=50``, with 1 and with 10 ``/ws/sdk``
clients, the RSS of all its processes (and their PSS, which counts a shared page once), and
``GET /api/daemon/status`` over one keep-alive connection, p50 / p99. Then the ratios of ours
to the vendor's at 50 Hz.

    .venv/bin/python benchmarks/vs_vendor.py [--seconds 10] [--requests 2000] [--only ours]

Needs root (``unshare -n``) and ``make build`` plus the vendor venv (``make .stamps/vendor-venv``).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge_common import percentile

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / ".venv" / "bin" / "reachy-mini"
VENDOR = ROOT / ".venv-vendor" / "bin" / "reachy-mini-daemon"
PORT = 8000
SETTLE_S = 10.0
READY_TIMEOUT_S = 60.0
STREAM_RATE_HZ = 50


# --- what runs inside a namespace ------------------------------------------------------------


def tree_cpu_seconds(root: Any) -> dict[int, float]:
    """Return {pid: user+system seconds} of root and all its descendants."""
    import psutil

    out: dict[int, float] = {}
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        out[proc.pid] = times.user + times.system
    return out


def tree_memory(root: Any) -> tuple[float, float, list[tuple[str, float]]]:
    """Return (RSS MB, PSS MB, [(process, RSS MB)]) summed over root and its descendants."""
    import psutil

    rss = pss = 0.0
    each = []
    for proc in [root, *root.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
            name = " ".join(proc.cmdline()[1:4])[:60]
        except psutil.Error:
            continue
        rss += info.rss / 2**20
        pss += info.pss / 2**20
        each.append((name, info.rss / 2**20))
    return rss, pss, each


def cpu_percent_during(root: Any, seconds: float, work: Callable[[], Any] | None = None) -> Any:
    """Return (CPU percent of one core of root's tree over seconds, work's result)."""
    start = tree_cpu_seconds(root)
    began = time.monotonic()
    result = work() if work is not None else time.sleep(seconds)
    elapsed = time.monotonic() - began
    end = tree_cpu_seconds(root)
    used = sum(end[pid] - start.get(pid, 0.0) for pid in end)
    return 100.0 * used / elapsed, result


def http_get(path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET path on the stack's port; return (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def wait_ready(proc: subprocess.Popen[bytes], ours: bool) -> dict[str, float | None]:
    """Wait for the daemon status to say running and ready (and, for ours, for /api/health to
    answer 200); return each time from start, None for what did not come in time."""
    began = time.monotonic()
    times: dict[str, float | None] = {"ready_s": None, "healthy_s": None}
    # The vendor has no /api/health.
    awaited = ("ready_s", "healthy_s") if ours else ("ready_s",)
    deadline = began + READY_TIMEOUT_S
    while (
        any(times[key] is None for key in awaited)
        and time.monotonic() < deadline
        and proc.poll() is None
    ):
        try:
            if ours and times["healthy_s"] is None:
                status, body = http_get("/api/health")
                if status == 200 and json.loads(body).get("status") == "healthy":
                    times["healthy_s"] = time.monotonic() - began
            if times["ready_s"] is None:
                status, body = http_get("/api/daemon/status")
                doc = json.loads(body) if status == 200 else {}
                backend = doc.get("backend_status") or {}
                # The vendor's mockup backend has no "ready": running is ready there.
                if doc.get("state") == "running" and backend.get("ready", True):
                    times["ready_s"] = time.monotonic() - began
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    return times


def status_latencies(path: str, count: int) -> tuple[float, float]:
    """GET path count times over one keep-alive connection; return (p50, p99) in ms."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    times = []
    try:
        for _ in range(count):
            began = time.perf_counter()
            conn.request("GET", path)
            reply = conn.getresponse()
            reply.read()
            times.append((time.perf_counter() - began) * 1000.0)
            if reply.status != 200:
                raise RuntimeError(f"{path} answered {reply.status}")
    finally:
        conn.close()
    return percentile(times, 50), percentile(times, 99)


async def _read_frames(url: str, seconds: float, prefix: bytes | None) -> int:
    """Read frames from a WebSocket for seconds; return how many started with prefix."""
    import websockets

    headers = {"Origin": f"http://127.0.0.1:{PORT}"}
    async with websockets.connect(
        url, compression=None, max_size=2**22, additional_headers=headers
    ) as ws:
        count = 0
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return count
            try:
                raw = await asyncio.wait_for(ws.recv(decode=False), left)
            except TimeoutError:
                return count
            if prefix is None or prefix in raw[:64]:
                count += 1


def ws_clients(path: str, clients: int, seconds: float, prefix: bytes | None) -> list[int]:
    """Run clients WebSocket readers of path for seconds; return each one's frame count."""

    async def run() -> list[int]:
        url = f"ws://127.0.0.1:{PORT}{path}"
        return list(
            await asyncio.gather(*(_read_frames(url, seconds, prefix) for _ in range(clients)))
        )

    return asyncio.run(run())


def measure_inside(spec: dict[str, Any]) -> dict[str, Any]:
    """Start one stack in this (fresh) namespace, measure it, stop it; return the numbers."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    seconds = float(spec["seconds"])
    home = Path(spec["tmp"]) / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "REACHY_MINI_TELEMETRY": "0",
        "ROS_DOMAIN_ID": "42",
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp",
        "AMENT_PREFIX_PATH": str(ROOT / ".venv"),
    }
    # A first start on an empty home: ours creates and migrates its database then. It is
    # timed and stopped; the stack is then measured from a second start, as an installed
    # robot starts every day.
    out: dict[str, Any] = {"name": spec["name"]}
    first = start(spec, env, "first")
    try:
        times = wait_ready(first[0], spec["ours"])
        out["first_ready_s"], out["first_healthy_s"] = times["ready_s"], times["healthy_s"]
        if times["ready_s"] is None:
            raise RuntimeError(f"{spec['name']} never got ready; its log ends:\n{tail(first)}")
    finally:
        stop(first)
    second = start(spec, env, "second")
    proc, root = second[0], second[1]
    try:
        out.update(wait_ready(proc, spec["ours"]))
        if out["ready_s"] is None:
            raise RuntimeError(f"{spec['name']} never got ready; its log ends:\n{tail(second)}")
        time.sleep(SETTLE_S)
        out["idle_cpu"], _ = cpu_percent_during(root, seconds)
        out["rss_mb"], out["pss_mb"], out["processes"] = tree_memory(root)
        stream_path = f"/api/state/ws/full?frequency={STREAM_RATE_HZ}"
        out["stream_cpu"], frames = cpu_percent_during(
            root, seconds, lambda: ws_clients(stream_path, 1, seconds, None)
        )
        out["stream_rate_hz"] = frames[0] / seconds
        for clients in (1, 10):
            cpu, counts = cpu_percent_during(
                root, seconds, lambda c=clients: ws_clients("/ws/sdk", c, seconds, b"joint_pos")
            )
            out[f"sdk{clients}_cpu"] = cpu
            out[f"sdk{clients}_min_hz"] = min(counts) / seconds
        time.sleep(1.0)
        out["status_p50"], out["status_p99"] = status_latencies(
            "/api/daemon/status", int(spec["requests"])
        )
        if spec["ours"]:
            out["system_status_p50"], out["system_status_p99"] = status_latencies(
                "/system/status", int(spec["requests"])
            )
    finally:
        stop(second)
    return out


Started = tuple[subprocess.Popen[bytes], Any, Any]


def start(spec: dict[str, Any], env: dict[str, str], name: str) -> Started:
    """Start spec's command with its output in a log file of its own."""
    import psutil

    log = open(Path(spec["tmp"]) / f"stack-{name}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(spec["command"], stdout=log, stderr=subprocess.STDOUT, env=env)
    return proc, psutil.Process(proc.pid), log


def tail(started: Started) -> str:
    """Return the end of a started stack's log."""
    log = started[2]
    log.flush()
    return Path(log.name).read_text(errors="replace")[-3000:]


def stop(started: Started) -> None:
    """Stop a started stack as a service manager does: SIGTERM, then SIGKILL after 20 s."""
    proc, root, log = started
    children = root.children(recursive=True)
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        for child in children:
            child.kill()
        proc.kill()
        proc.wait()
    log.close()


# --- the outer driver ------------------------------------------------------------------------


def params_file_at(rate_hz: float, directory: Path) -> Path:
    """Write a copy of the package's parameter file with the loop and stream rates at rate_hz."""
    import yaml

    params = yaml.safe_load((ROOT / "config" / "reachy_mini.yaml").read_text())
    hardware = params["hardware_node"]["ros__parameters"]
    hardware["control_rate_hz"] = rate_hz
    hardware["joint_states_rate_hz"] = rate_hz
    params["bridge_node"]["ros__parameters"]["max_rate_hz"] = rate_hz
    path = directory / f"reachy_mini_{rate_hz:g}hz.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def run_in_namespace(spec: dict[str, Any]) -> dict[str, Any]:
    """Run measure_inside(spec) in a new network namespace; return its result."""
    done = subprocess.run(
        ["unshare", "-n", sys.executable, __file__, "--inside"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{spec['name']}: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    """Format a measured value, or a dash."""
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def ratio(ours: float | None, theirs: float | None) -> str:
    """Format ours / theirs."""
    if ours is None or theirs is None or theirs == 0:
        return ""
    return f" ({ours / theirs:.2f}×)"


def print_table(results: list[dict[str, Any]]) -> None:
    """Print one row per measure, one column per stack, ratios to the vendor's column."""
    vendor = next((r for r in results if r["name"].startswith("vendor")), None)

    def row(label: str, key: str, unit: str = "", digits: int = 1) -> None:
        cells = []
        for r in results:
            cell = fmt(r.get(key), unit, digits)
            if vendor is not None and r is not vendor:
                cell += ratio(r.get(key), vendor.get(key))
            cells.append(cell)
        print(f"| {label} | " + " | ".join(cells) + " |")

    print("| | " + " | ".join(r["name"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    row("idle CPU, all processes", "idle_cpu", " %")
    row(f"CPU with one {STREAM_RATE_HZ} Hz stream client", "stream_cpu", " %")
    row("CPU with one /ws/sdk client", "sdk1_cpu", " %")
    row("CPU with 10 /ws/sdk clients", "sdk10_cpu", " %")
    row("RSS, all processes", "rss_mb", " MB", 0)
    row("PSS, all processes", "pss_mb", " MB", 0)
    row("status route p50 (/api/daemon/status)", "status_p50", " ms", 2)
    row("status route p99 (/api/daemon/status)", "status_p99", " ms", 2)
    row("/system/status p50", "system_status_p50", " ms", 2)
    row("/system/status p99", "system_status_p99", " ms", 2)
    row("start to ready (daemon status running)", "ready_s", " s", 2)
    row("start to healthy (/api/health: healthy)", "healthy_s", " s", 2)
    row("first start to ready (empty home)", "first_ready_s", " s", 2)
    row("first start to healthy (empty home, migrates)", "first_healthy_s", " s", 2)
    row("stream client frames/s", "stream_rate_hz", "", 1)
    row("/ws/sdk joint_positions/s, 1 client", "sdk1_min_hz", "", 1)
    row("/ws/sdk joint_positions/s, worst of 10", "sdk10_min_hz", "", 1)
    for r in results:
        parts = ", ".join(f"{name} {mb:.0f} MB" for name, mb in r["processes"])
        print(f"  {r['name']}: {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per measure")
    parser.add_argument("--requests", type=int, default=2000, help="status requests")
    parser.add_argument(
        "--only", choices=("ours", "vendor"), help="measure one stack (no ratios without both)"
    )
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[50.0, 200.0], help="our loop rates"
    )
    args = parser.parse_args()
    if args.inside:
        print(json.dumps(measure_inside(json.load(sys.stdin))))
        return
    if os.geteuid() != 0:
        sys.exit("vs_vendor: unshare -n needs root")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        common = {"seconds": args.seconds, "requests": args.requests}
        if args.only != "ours":
            if not VENDOR.exists():
                sys.exit(f"vs_vendor: {VENDOR} is missing: make .stamps/vendor-venv")
            scratch = Path(tmp) / "vendor"
            scratch.mkdir()
            results.append(
                run_in_namespace(
                    {
                        **common,
                        "name": "vendor, 50 Hz",
                        "ours": False,
                        "tmp": str(scratch),
                        "command": [
                            str(VENDOR),
                            "--mockup-sim",
                            "--no-media",
                            "--headless",
                            "--fastapi-host",
                            "127.0.0.1",
                            "--fastapi-port",
                            str(PORT),
                            "--no-wake-up-on-start",
                            "--no-goto-sleep-on-stop",
                        ],
                    }
                )
            )
            print(f"measured {results[-1]['name']}", file=sys.stderr, flush=True)
        if args.only != "vendor":
            for rate in args.rates:
                scratch = Path(tmp) / f"ours{rate:g}"
                scratch.mkdir()
                params = params_file_at(rate, scratch)
                results.append(
                    run_in_namespace(
                        {
                            **common,
                            "name": f"ours, {rate:g} Hz",
                            "ours": True,
                            "tmp": str(scratch),
                            "command": [
                                str(OURS),
                                "bringup",
                                "--params-file",
                                str(params),
                                "--host",
                                "127.0.0.1",
                                "--port",
                                str(PORT),
                            ],
                        }
                    )
                )
                print(f"measured {results[-1]['name']}", file=sys.stderr, flush=True)
    print_table(results)


if __name__ == "__main__":
    main()
