"""Start and stop the real processes of the stack for tests, and talk to them."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
from domains import worker_domains

from reachy_mini_ros.bringup import NODES

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
T = TypeVar("T")


def free_port() -> int:
    """Return a TCP port on loopback that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.05) -> T:
    """Call check until it returns a truthy value; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the thing waited for may not be up yet
            last_error = exc
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what} (last: {last_error})")


@dataclass
class Process:
    """A child process whose output is kept in a log file for the test report."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Return everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        """Return True while the process runs."""
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
        """Send sig, wait for the exit, kill on timeout; return the exit code."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        return int(self.popen.returncode)


def start_process(
    name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None
) -> Process:
    """Start args in its own process group, with stdout and stderr to log_dir/name.log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    out = log_path.open("wb")
    popen = subprocess.Popen(
        args,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        cwd=ROOT,
    )
    out.close()
    return Process(name=name, popen=popen, log_path=log_path)


# The run's domain (set by conftest before this module is imported) and the bridge tests'
# domain next to it, where their stand-in hardware publishes and answers commands.
RUN_DOMAIN_ID = int(os.environ.get("ROS_DOMAIN_ID", "0"))
_DOMAINS = worker_domains()
BRIDGE_DOMAIN_ID = (
    _DOMAINS[(_DOMAINS.index(RUN_DOMAIN_ID) + 1) % len(_DOMAINS)]
    if RUN_DOMAIN_ID in _DOMAINS
    else RUN_DOMAIN_ID % 101 + 1
)
_handed_out: set[int] = set()


def ws_frames_dropped(base_url: str) -> int:
    """Return the bridge's count of joint_states frames lost by WebSocket clients behind."""
    text = httpx.get(base_url + "/metrics", timeout=10.0).text
    prefix = 'reachy_mini_ws_frames_dropped_total{channel="joint_states"} '
    return int(next((x for x in text.splitlines() if x.startswith(prefix)), "0 0").split()[1])


def stalled_websocket(base_url: str) -> socket.socket:
    """Open a WebSocket that subscribes to joint_states at the loop rate, then never reads."""
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.socket()
    # A small receive window fills after a few frames, so the server's sends block.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    # A client may send frames only after the server accepted the handshake (RFC 6455 4.1).
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(1024)
        if not chunk:
            raise ConnectionError("the server closed the connection during the handshake")
        response += chunk
    if not response.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(response.decode(errors="replace"))
    payload = json.dumps({"type": "subscribe", "channels": ["joint_states"], "rate_hz": 200})
    data = payload.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    sock.sendall(bytes([0x81, 0x80 | len(data)]) + mask + masked)
    return sock


def private_domain() -> int:
    """Return a ROS domain id for one test's own nodes, apart from the run's shared stack.

    Tests that start their own hardware node must not see the session's stack, which has a
    node of the same name publishing the same topics, nor the bridge tests' stand-in hardware,
    which publishes joint states and accepts commands on its own domain for a whole module.
    """
    taken = {RUN_DOMAIN_ID, BRIDGE_DOMAIN_ID} | _handed_out
    domain = random.SystemRandom().choice([d for d in _DOMAINS if d not in taken])
    _handed_out.add(domain)
    return domain


@dataclass
class Stack:
    """A running hardware node and bridge, as `reachy-mini bringup` starts them."""

    process: Process
    base_url: str
    ws_url: str
    token: str
    data_dir: Path
    domain_id: int
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET path from the bridge."""
        return httpx.get(self.base_url + path, timeout=5.0, **kwargs)

    def post(self, path: str, json: Any, token: str | None = None) -> httpx.Response:
        """POST json to path, with the stack's token unless another is given."""
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        return httpx.post(self.base_url + path, json=json, headers=headers, timeout=5.0)

    def node_process(self, executable: str) -> psutil.Process:
        """Return the process bringup runs for one of this package's nodes ("bridge_node", ...)."""
        module = next(spec.module for spec in NODES if spec.executable == executable)
        for child in psutil.Process(self.process.popen.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if module in child.cmdline():
                    return child
        raise LookupError(f"bringup runs no {executable} process")


@contextlib.contextmanager
def running_stack(
    tmp: Path, *extra_args: str, env: dict[str, str] | None = None, ready_timeout: float = 60.0
) -> Iterator[Stack]:
    """Run `reachy-mini bringup` on the simulated robot until the bridge sees joint states.

    The stack gets a DDS domain of its own, so that it never meets the nodes that other tests
    start, nor the stand-in publishers of the bridge tests.
    """
    port = free_port()
    domain_id = private_domain()
    token = "test-token-" + os.urandom(8).hex()
    data_dir = tmp / "data"
    args = [
        str(BIN / "reachy-mini"),
        "bringup",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *extra_args,
    ]
    proc_env = {
        "ROS_DOMAIN_ID": str(domain_id),
        "REACHY_MINI_TOKEN": token,
        "REACHY_MINI_DATA_DIR": str(data_dir),
        **(env or {}),
    }
    process = start_process("bringup", args, tmp / "logs", proc_env)
    stack = Stack(
        process=process,
        base_url=f"http://127.0.0.1:{port}",
        ws_url=f"ws://127.0.0.1:{port}/ws",
        token=token,
        data_dir=data_dir,
        domain_id=domain_id,
    )
    try:
        wait_for(
            lambda: stack.get("/api/joints").status_code == 200,
            ready_timeout,
            f"the bridge to serve joint states\n{process.log()[-4000:]}",
        )
        yield stack
    finally:
        process.stop()


class RosClient:
    """An rclpy node in the test process, spun by a background thread."""

    def __init__(
        self, name: str = "reachy_mini_test_client", domain_id: int | None = None
    ) -> None:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        self.domain_id = domain_id
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        with contextlib.suppress(Exception):
            self.executor.spin()

    def close(self) -> None:
        """Stop spinning and shut the context down."""
        self.executor.shutdown()
        self.node.destroy_node()
        self.context.try_shutdown()
        self._thread.join(5)


class TopicRecorder:
    """Keep the messages of one topic with their receipt times, for assertions."""

    def __init__(self, client: RosClient, msg_type: Any, topic: str, depth: int = 50) -> None:
        self.messages: list[tuple[float, Any]] = []
        self._lock = threading.Lock()
        self.subscription = client.node.create_subscription(
            msg_type, topic, self._on_message, depth
        )

    def _on_message(self, msg: Any) -> None:
        with self._lock:
            self.messages.append((time.time(), msg))
            if len(self.messages) > 20_000:
                del self.messages[:10_000]

    def count(self) -> int:
        """Return how many messages arrived so far."""
        with self._lock:
            return len(self.messages)

    def latest(self) -> Any:
        """Return the newest message, or None."""
        with self._lock:
            return self.messages[-1][1] if self.messages else None

    def since(self, t: float) -> list[Any]:
        """Return the messages received after wall-clock time t."""
        with self._lock:
            return [msg for received, msg in self.messages if received > t]

    def wait(self, timeout: float = 20.0, what: str = "a message") -> Any:
        """Wait for the first message and return the newest."""
        return wait_for(self.latest, timeout, what)


def stamp_of(msg: Any) -> float:
    """Return a message's header stamp in seconds since the epoch."""
    return float(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9)


def diagnostic_statuses(recorder: TopicRecorder) -> dict[str, Any]:
    """Return the newest status of each name seen on /diagnostics."""
    statuses: dict[str, Any] = {}
    with recorder._lock:
        for _t, array in recorder.messages:
            for status in array.status:
                statuses[status.name] = status
    return statuses


def status_values(status: Any) -> dict[str, str]:
    """Return the key/values of a DiagnosticStatus as a dict."""
    return {kv.key: kv.value for kv in status.values}


def call_service(
    client: RosClient, srv_type: Any, name: str, request: Any, timeout: float = 15.0
) -> Any:
    """Call a ROS service and return its response.

    wait_for_service only proves that the request path is matched; the response path is
    discovered separately, and a response sent before it is matched is lost. One second of
    settling covers that discovery on a loaded machine.
    """
    service_client: Any = client.node.create_client(srv_type, name)
    try:
        if not service_client.wait_for_service(timeout):
            raise TimeoutError(f"{name} is not offered")
        time.sleep(1.0)
        future = service_client.call_async(request)
        return wait_for(lambda: future.result() if future.done() else None, timeout, name)
    finally:
        client.node.destroy_client(service_client)


def assert_generated_file_is_current(path: Path, *module_args: str, then: str = "") -> None:
    """Fail unless path holds what `python -m <module_args>` prints, naming how to regenerate.

    The committed schema and generated files are what the dashboard builds from; a test that
    regenerates and compares them keeps them equal to the code that produces them.
    """
    printed = subprocess.run(
        [sys.executable, "-m", *module_args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    relative = path.relative_to(ROOT)
    command = f"python -m {' '.join(module_args)} > {relative}" + (
        f", then {then}" if then else ""
    )
    assert printed == path.read_text(), f"{relative} is stale: run `{command}`"
