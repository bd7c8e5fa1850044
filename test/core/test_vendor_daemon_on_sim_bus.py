"""The vendor's own daemon (reachy_mini 1.13.0) on our simulated bus, as on a real robot.

`reachy-mini sim-bus --link PATH` serves the simulated motors on a pty, and the vendor's daemon
opens PATH as its serial port: it pings every motor, checks its configuration (and flashes a
factory-fresh one), starts its control loop and serves its HTTP API. Both run inside a
loopback-only network namespace, so that nothing the daemon tries leaves the machine; the
HTTP API is queried from inside it too.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support import BIN
from vendor_support import vendor_python

from reachy_mini_ros.interface import robot_table

core = pytest.importorskip("reachy_mini_core_rs")

# Runs in the namespace with the vendor venv's interpreter; prints one JSON document.
DRIVER = r"""
import json, os, subprocess, sys, time, urllib.request

args = json.load(sys.stdin)
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
tmp = args["tmp"]
home = os.path.join(tmp, "home")
os.makedirs(home, exist_ok=True)
env = {"HF_HUB_OFFLINE": "1", "REACHY_MINI_TELEMETRY": "0", "HOME": home,
       "PATH": "/usr/bin:/bin"}
port = str(args["port"])
base = "http://127.0.0.1:" + port

def get(path):
    return json.load(urllib.request.urlopen(base + path, timeout=5))

# A fresh simulated bus and the daemon on it; returns what the daemon's API said.
def attempt(n):
    link = os.path.join(tmp, f"ttyRM{n}")
    sim_path = os.path.join(tmp, f"sim-bus-{n}.log")
    daemon_path = os.path.join(tmp, f"daemon-{n}.log")
    sim_log = open(sim_path, "w")
    sim = subprocess.Popen(
        [args["reachy_mini"], "sim-bus", "--link", link, *args["sim_flags"]],
        stdout=sim_log, stderr=subprocess.STDOUT,
    )
    for _ in range(200):
        if os.path.islink(link):
            break
        time.sleep(0.05)
    daemon_log = open(daemon_path, "w")
    daemon = subprocess.Popen(
        [args["daemon"], "-p", link, "--no-media", "--headless", "--fastapi-host", "127.0.0.1",
         "--fastapi-port", port, "--no-wake-up-on-start", "--no-goto-sleep-on-stop"],
        stdout=daemon_log, stderr=subprocess.STDOUT, env=env,
    )
    result = {"state": None, "full": None}
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and daemon.poll() is None:
        try:
            result["state"] = get("/api/daemon/status")["state"]
        except Exception:
            pass
        if result["state"] == "running":
            # Two control-loop periods (50 Hz) so that the state holds fresh readings.
            time.sleep(0.1)
            result["full"] = get("/api/state/full?with_head_joints=true&use_pose_matrix=true")
            break
        if result["state"] == "error":
            break
        time.sleep(0.25)
    for proc in (daemon, sim):
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    daemon_log.close()
    sim_log.close()
    result["daemon_log"] = open(daemon_path).read()
    result["sim_log"] = open(sim_path).read()
    return result

# The daemon gives its backend 2 s to get ready and goes to its error state if it is not: on
# a loaded machine its own start-up (imports, its first reads) can take longer than that.
# That case alone is tried again, on a fresh bus, and every try is reported.
tries = []
for n in range(3):
    result = attempt(n)
    tries.append(result["state"])
    slow = "Backend is not ready after 2 seconds" in result["daemon_log"]
    if result["state"] != "error" or not slow:
        break
result["tries"] = tries
print(json.dumps(result))
"""

HALF_TICK = math.pi / 4096


def run_daemon_on_sim_bus(tmp_path: Path, *sim_flags: str) -> dict[str, Any]:
    """Run the sim bus and the vendor daemon in a fresh network namespace; return what it saw."""
    if shutil.which("unshare") is None:
        raise RuntimeError("unshare (util-linux) is needed to keep the daemon off the network")
    daemon = vendor_python().parent / "reachy-mini-daemon"
    payload = {
        "tmp": str(tmp_path),
        "reachy_mini": str(BIN / "reachy-mini"),
        "sim_flags": list(sim_flags),
        "daemon": str(daemon),
        # Any port: the namespace has nothing else listening.
        "port": 8000,
    }
    done = subprocess.run(
        ["unshare", "-n", str(vendor_python()), "-c", DRIVER],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def expected_head_joints() -> list[float]:
    """Return [body_yaw, stewart_1..6] where the simulated motors start, as raw ticks read."""
    sim = core.SimBus()
    ids = [m.id for m in robot_table.load().motors][:7]
    return [sim.motor(motor_id)["position"] for motor_id in ids]


def assert_clean_start(result: dict[str, Any]) -> None:
    """Check that the daemon ran, with no refused write and no failed configuration check."""
    log = result["daemon_log"]
    problems = [line for line in log.splitlines() if " - ERROR - " in line or "Error" in line]
    assert result["state"] == "running", (result["tries"], problems[-20:], log[-2000:])
    assert result["sim_log"].splitlines()[0].startswith("/dev/pts/"), result["sim_log"]
    assert "[FAIL]" not in log, log
    assert "Configuration check failed" not in log, log
    # rustypot names a status with error 7 an access error.
    assert re.search(r"access.?error", log, re.IGNORECASE) is None, log


def assert_head_joints_are_the_motors(result: dict[str, Any]) -> None:
    """Check the daemon's head joints against the simulated motors' present positions."""
    joints = result["full"]["head_joints"]
    for got, want in zip(joints, expected_head_joints(), strict=True):
        # The daemon reads whole ticks: within half a tick of the motor's exact position.
        assert got == pytest.approx(want, abs=HALF_TICK + 1e-9)


@pytest.fixture(scope="module")
def flashed_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the daemon on flashed motors, which two tests read."""
    return run_daemon_on_sim_bus(tmp_path_factory.mktemp("flashed"))


@pytest.mark.timeout(180)
def test_vendor_daemon_runs_on_flashed_motors_without_reflashing(
    flashed_run: dict[str, Any],
) -> None:
    result = flashed_run
    assert_clean_start(result)
    log = result["daemon_log"]
    assert log.count("Configuration is correct [OK]") == 9, log
    assert "needs to be reflashed" not in log, log
    assert_head_joints_are_the_motors(result)


@pytest.mark.timeout(180)
def test_vendor_daemon_flashes_factory_fresh_motors_then_runs(tmp_path: Path) -> None:
    result = run_daemon_on_sim_bus(tmp_path, "--factory-fresh")
    assert_clean_start(result)
    log = result["daemon_log"]
    for motor in robot_table.load().motors:
        assert f"[INFO] Motor '{motor.motor}' needs to be reflashed." in log, log
    # Once flashed, the homing offsets put the head joints where flashed motors have them.
    assert_head_joints_are_the_motors(result)


@pytest.mark.timeout(180)
def test_vendor_head_pose_is_our_forward_kinematics(flashed_run: dict[str, Any]) -> None:
    result = flashed_run
    assert_clean_start(result)
    full = result["full"]
    body_yaw, *stewart = full["head_joints"]
    ours = np.array(core.forward_kinematics(stewart, body_yaw=body_yaw).matrix())
    theirs = np.array(full["head_pose"]["m"], dtype=float).reshape(4, 4)
    # The daemon's matrix is not exactly a rotation (its diagonal was seen at 1.00025): its
    # Newton stops at 1e-6 m of rod-length error and keeps that state from tick to tick. Its
    # nearest rotation and its translation are what a real robot's head does.
    u, _, vt = np.linalg.svd(theirs[:3, :3])
    rotation = u @ vt
    cos_angle = (np.trace(ours[:3, :3].T @ rotation) - 1.0) / 2.0
    angle = float(np.arccos(np.clip(cos_angle, -1.0, 1.0)))
    assert angle < 5e-4, f"head orientations differ by {angle:.2e} rad"
    assert np.abs(ours[:3, 3] - theirs[:3, 3]).max() < 5e-5, (ours[:3, 3], theirs[:3, 3])
