"""Run the control loop over the real serial transport against motors served on a pty."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from core_support import WAIT_S, wait_for

import reachy_mini_core_rs as core

CRATE = Path(__file__).resolve().parents[2] / "reachy_mini_core_rs"


@pytest.fixture
def pty() -> Iterator[core.PtyBus]:
    """Serve a fresh simulated bus on a pty."""
    bus = core.PtyBus(core.SimBus())
    yield bus
    bus.stop()


def test_pty_path_is_a_terminal_device(pty: core.PtyBus) -> None:
    assert pty.path.startswith("/dev/")
    fd = os.open(pty.path, os.O_RDWR | os.O_NOCTTY)
    try:
        assert os.isatty(fd)
    finally:
        os.close(fd)


def test_serial_loop_reads_and_moves_the_motors_on_the_pty(pty: core.PtyBus) -> None:
    control = core.ControlLoop(backend="serial", port=pty.path, timeout_s=0.05)
    try:
        assert control.open() == list(core.MOTOR_IDS)
        control.start()
        control.set_torque(True)
        assert pty.sim.motor(10)["torque_enabled"]
        control.set_goals({"yaw_body": -0.5, "right_antenna": 0.8})
        assert wait_for(lambda: abs(pty.sim.motor(10)["position"] + 0.5) < 0.01)

        def read_back() -> bool:
            snap = control.snapshot()
            return snap is not None and abs(snap.position[7] - 0.8) < 0.01

        assert wait_for(read_back)
        snap = control.snapshot()
        assert snap is not None and snap.bus_state == "connected"
        assert snap.comm_errors == [0] * 9
    finally:
        control.close()


def test_pty_sim_is_the_one_given(pty: core.PtyBus) -> None:
    sim = core.SimBus()
    served = core.PtyBus(sim)
    try:
        sim.set_unresponsive(11, True)
        assert served.sim.motor(11)["unresponsive"]
    finally:
        served.stop()


def test_unplugging_the_served_bus_makes_the_serial_loop_reconnect(pty: core.PtyBus) -> None:
    control = core.ControlLoop(backend="serial", port=pty.path, timeout_s=0.02, max_retries=1)
    try:
        control.start()
        first = control.wait_snapshot(0, WAIT_S)
        assert first is not None
        pty.sim.set_unplugged(True)
        assert wait_for(lambda: control.stats().bus_state == "reconnecting")
        pty.sim.set_unplugged(False)
        assert wait_for(lambda: control.stats().bus_state == "connected")
        assert control.stats().reconnects >= 1
    finally:
        control.close()


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo builds the binary")
def test_sim_bus_binary_serves_the_motors_on_a_linked_pty(tmp_path: Path) -> None:
    link = tmp_path / "ttyREACHY"
    build = subprocess.run(
        ["cargo", "build", "--quiet", "--bin", "reachy-mini-sim-bus"],
        cwd=CRATE,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stderr
    target = Path(os.environ.get("CARGO_TARGET_DIR", CRATE / "target"))
    binary = target / "debug" / "reachy-mini-sim-bus"
    process = subprocess.Popen(
        [str(binary), "--link", str(link)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        path = process.stdout.readline().strip()
        assert path.startswith("/dev/")
        assert os.path.realpath(link) == path
        control = core.ControlLoop(backend="serial", port=str(link))
        try:
            assert control.open() == list(core.MOTOR_IDS)
        finally:
            control.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
