"""Start Reachy Mini's stack without a ROS install: ``reachy-mini bringup``.

It starts the nodes that ``reachy_mini_ros.bringup.NODES`` lists and that run from the PyPI
wheels (hardware node, bridge), with the same parameter file as the launch file, restarts any
of them that dies, with capped backoff and without touching the others, and stops everything
in reverse order on Ctrl-C or SIGTERM, or when one node fails too often within a window.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reachy_mini_ros.bringup import LAUNCH_DEFAULTS, NODES, NodeSpec
from reachy_mini_ros.interface.share import PACKAGE, default_params_file

# Restart delays of a crashed node: 0.5 s doubling up to 8 s, so a node that keeps crashing
# does not spin the machine, and one crash costs half a second of data.
RESPAWN_FIRST_DELAY = 0.5
RESPAWN_MAX_DELAY = 8.0
# A node that ran this long is healthy again: its next crash restarts after the first delay.
RESPAWN_RESET_AFTER_S = 30.0
# Bringup gives up when one node exits this many times within this many seconds: with the
# backoff above, 5 exits take at least 0.5+1+2+4 = 7.5 s, so 5 within 60 s is a node that
# cannot stay up, not a crash now and then.
MAX_FAILURES = 5
FAILURE_WINDOW_S = 60.0
STOP_TIMEOUT = 10.0


def _die_with_parent() -> None:
    """Have Linux send this child SIGTERM when bringup dies, even by SIGKILL.

    Each node has a process group of its own (see Child.start), so nothing else would stop it
    when bringup is killed or its terminal closes: the nodes would run on as orphans, the
    bridge holding its port and the hardware node the serial bus.
    """
    pr_set_pdeathsig = 1  # <linux/prctl.h>
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # bringup died between the fork and the prctl
        os._exit(1)


@dataclass
class Child:
    """A node process and how to start it again."""

    spec: NodeSpec
    args: list[str]
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_delay: float = RESPAWN_FIRST_DELAY
    started_at: float = field(default=0.0)
    # When the dead process is to be started again (monotonic), or None while it runs.
    restart_at: float | None = None
    # Monotonic times of its recent exits, for the failure window.
    failures: list[float] = field(default_factory=list)
    # Whether it exited on purpose (status 0): it stays stopped.
    stopped: bool = False

    def start(self, env: dict[str, str]) -> None:
        """Start the process."""
        # A process group of its own: a terminal's Ctrl-C reaches bringup only, which passes
        # exactly one SIGINT on (stop_all). Both getting it would make a second SIGINT, which
        # uvicorn takes as "force exit" and skips the app's shutdown, logging an error.
        self.popen = subprocess.Popen(
            self.args, env=env, process_group=0, preexec_fn=_die_with_parent
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    def failed_too_often(self, now: float, max_failures: int, window_s: float) -> bool:
        """Record an exit at now; return whether max_failures happened within window_s."""
        self.failures = [t for t in self.failures if now - t <= window_s] + [now]
        return len(self.failures) >= max_failures


def supervise(
    children: list[Child], env: dict[str, str], now: float, max_failures: int, window_s: float
) -> int | None:
    """Restart the children that died, once their backoff is over; never touch the others.

    A child that exits with status 0 was stopped on purpose (the hardware node after its
    lifecycle shutdown transition, a node sent SIGTERM or SIGINT itself): it is not restarted,
    and the others run on. Return an exit code when one of them failed max_failures times
    within window_s (or, not respawned, exited at all), 0 once every child has stopped on
    purpose, None while the stack runs.
    """
    if all(child.stopped for child in children):
        return 0
    for child in children:
        assert child.popen is not None
        if child.stopped:
            continue
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                child.start(env)
            continue
        code = child.popen.poll()
        if code is None:
            if now - child.started_at > RESPAWN_RESET_AFTER_S:
                child.next_delay = RESPAWN_FIRST_DELAY  # ran long enough: forget crashes
            continue
        name = child.spec.name
        if code == 0 and child.spec.respawn:
            print(f"reachy-mini: {name} stopped (exit status 0); not restarting it", flush=True)
            child.stopped = True
            continue
        if not child.spec.respawn:
            print(f"reachy-mini: {name} exited with {code}", file=sys.stderr, flush=True)
            return code or 1
        if child.failed_too_often(now, max_failures, window_s):
            print(
                f"reachy-mini: error: {name} exited {len(child.failures)} times within "
                f"{window_s:g} s (last exit code {code}); stopping",
                file=sys.stderr,
                flush=True,
            )
            return code or 1
        print(
            f"reachy-mini: {name} exited with {code}; restarting in {child.next_delay:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        child.restart_at = now + child.next_delay
        child.next_delay = min(child.next_delay * 2.0, RESPAWN_MAX_DELAY)
    return None


def node_args(spec: NodeSpec, params_file: Path, overrides: dict[str, str]) -> list[str]:
    """Return the command line of one of this package's nodes."""
    if spec.module is None:
        raise ValueError(f"{spec.executable} is not a node of this package")
    args = [sys.executable, "-m", spec.module, "--ros-args"]
    args += ["-r", f"__node:={spec.name}"]
    if spec.uses_params_file:
        args += ["--params-file", str(params_file)]
    for key, value in {**spec.extra_parameters, **overrides}.items():
        args += ["-p", f"{key}:={value}"]
    return args


def child_env() -> dict[str, str]:
    """Return the environment of the nodes: the ROS wheels of this interpreter, Fast DDS."""
    env = dict(os.environ)
    env.setdefault("AMENT_PREFIX_PATH", sys.prefix)
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def http_status(host: str, port: int, path: str, timeout: float = 1.0) -> int:
    """Return the status code of GET path, over a plain socket.

    urllib would do it in one call, but importing it (http.client, email, ssl) costs this
    process, which stays up as long as the stack, 8 MB of memory.
    """
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        head = b""
        while b"\r\n" not in head and len(head) < 1024:
            chunk = conn.recv(1024)
            if not chunk:
                break
            head += chunk
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise OSError(f"not an HTTP reply: {head[:64]!r}")
    return int(parts[1])


def wait_for_bridge(
    host: str,
    port: int,
    children: list[Child],
    stopping: Callable[[], bool],
    timeout: float = 60.0,
) -> bool:
    """Wait until the bridge answers /api/health (any status), a child exits or a stop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping():
        if any(c.popen is not None and c.popen.poll() is not None for c in children):
            return False
        try:
            http_status(host, port, "/api/health")  # 503 while the robot link comes up: it answers
            return True
        except OSError:
            time.sleep(0.05)
    return False


def stop_all(children: list[Child]) -> None:
    """Interrupt the nodes in reverse start order and wait for them, killing on timeout."""
    for child in reversed(children):
        if child.popen is not None and child.popen.poll() is None:
            child.popen.send_signal(signal.SIGINT)
            try:
                child.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.popen.kill()
                child.popen.wait()


def bringup(args: argparse.Namespace) -> int:
    """Run the stack until interrupted; return the exit code."""
    params_file = Path(args.params_file) if args.params_file else default_params_file()
    if not params_file.is_file():
        print(f"reachy-mini: parameter file {params_file} not found", file=sys.stderr)
        return 2
    # The same launch arguments as bringup.launch.py, with the same defaults.
    arguments = {
        "backend": args.backend,
        "serial_port": args.serial_port,
        "bridge_host": args.host,
        "bridge_port": str(args.port),
    }
    children = [
        Child(
            spec,
            node_args(
                spec,
                params_file,
                {param: arguments[arg] for param, arg in spec.argument_parameters.items()},
            ),
        )
        for spec in NODES
        if spec.package == PACKAGE and not (spec.enabled_by == "use_bridge" and args.no_bridge)
    ]
    env = child_env()
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # A closed terminal: stop the nodes as for Ctrl-C, which no longer reaches them directly.
    signal.signal(signal.SIGHUP, on_signal)
    for child in children:
        child.start(env)
    url = f"http://{args.host}:{args.port}"
    if not args.no_bridge:
        if wait_for_bridge(args.host, args.port, children, lambda: stopping):
            print(f"Reachy Mini dashboard: {url}/", flush=True)
        elif not stopping:
            print("reachy-mini: the bridge did not come up; see the log above", file=sys.stderr)
    exit_code = 0
    while not stopping:
        time.sleep(0.1)
        code = supervise(children, env, time.monotonic(), args.max_failures, args.failure_window)
        if code is not None:
            exit_code = code
            break
    stop_all(children)
    return exit_code


def sim_bus(args: argparse.Namespace) -> int:
    """Serve the simulated motors on a pseudo-terminal until interrupted.

    The first line printed is the pty's path, for scripts; ``--link`` also keeps a symlink to
    it, so that a configuration file can name a fixed port.
    """
    import reachy_mini_core_rs as core

    sim = core.SimBus(baudrate=args.baudrate, factory_fresh=args.factory_fresh)
    pty = core.PtyBus(sim)
    link = Path(args.link) if args.link else None
    try:
        if link is not None:
            link.unlink(missing_ok=True)
            link.symlink_to(pty.path)
        print(pty.path, flush=True)
        state = "factory-fresh" if args.factory_fresh else "flashed"
        print(f"simulated Reachy Mini bus ({state} motors), Ctrl-C to stop", flush=True)
        stop = False

        def on_signal(_signum: int, _frame: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, on_signal)
        while not stop:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        pty.stop()
        if link is not None and link.is_symlink():
            link.unlink()
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="reachy-mini", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("bringup", help="start the hardware node and the bridge")
    up.add_argument("--params-file", help="parameter file (default: config/reachy_mini.yaml)")
    up.add_argument(
        "--backend",
        choices=("sim", "serial"),
        default=LAUNCH_DEFAULTS["backend"],
        help="motor bus backend",
    )
    up.add_argument(
        "--serial-port", default=LAUNCH_DEFAULTS["serial_port"], help="serial device, or 'auto'"
    )
    up.add_argument("--host", default=LAUNCH_DEFAULTS["bridge_host"], help="bridge address")
    up.add_argument(
        "--port", type=int, default=int(LAUNCH_DEFAULTS["bridge_port"]), help="bridge port"
    )
    up.add_argument("--no-bridge", action="store_true", help="start the hardware node only")
    up.add_argument(
        "--max-failures",
        type=int,
        default=MAX_FAILURES,
        help="stop when one node exits this many times within --failure-window "
        f"(default {MAX_FAILURES})",
    )
    up.add_argument(
        "--failure-window",
        type=float,
        default=FAILURE_WINDOW_S,
        help=f"seconds of the failure window (default {FAILURE_WINDOW_S:g})",
    )
    up.set_defaults(func=bringup)
    sim = sub.add_parser("sim-bus", help="serve the simulated motors on a pseudo-terminal")
    sim.add_argument("--link", help="keep a symlink to the pty at this path")
    sim.add_argument(
        "--factory-fresh",
        action="store_true",
        help="start the motors with factory settings, as before the motor setup flashes them",
    )
    sim.add_argument("--baudrate", type=int, default=1_000_000, help="bus speed in baud")
    sim.set_defaults(func=sim_bus)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run a reachy-mini command."""
    args = parse_args(argv)
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()
