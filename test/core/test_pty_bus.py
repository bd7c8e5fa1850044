"""Run the control loop over the real serial transport against motors served on a pty."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from core_support import WAIT_S, wait_for
from support import BIN, Process, start_process
from support import wait_for as wait_for_value

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


def test_serial_loop_reconnects_when_every_motor_on_a_present_port_falls_silent(
    pty: core.PtyBus,
) -> None:
    # The port stays open and writable; only the replies stop, as with the motors' power cut.
    control = core.ControlLoop(backend="serial", port=pty.path, timeout_s=0.02, max_retries=1)
    try:
        control.start()
        first = control.wait_snapshot(0, WAIT_S)
        assert first is not None
        pty.sim.set_unplugged(True)
        assert wait_for(lambda: control.stats().bus_state == "reconnecting")
        assert control.stats().errors.get("io", 0) == 0, "the port itself never failed"
        pty.sim.set_unplugged(False)
        assert wait_for(lambda: control.stats().bus_state == "connected")
        assert control.stats().reconnects >= 1
    finally:
        control.close()


def serve_sim_bus(tmp_path: Path, name: str, *args: str) -> tuple[Process, str]:
    """Run `reachy-mini sim-bus` in its own process; return it and the pty it serves."""
    process = start_process(name, [str(BIN / "reachy-mini"), "sim-bus", *args], tmp_path)
    first_line = wait_for_value(
        lambda: process.log().split("\n", 1)[0] if "\n" in process.log() else None,
        WAIT_S,
        f"the pty path from {name}",
    )
    assert first_line.startswith("/dev/"), process.log()
    return process, first_line


def test_serial_loop_reopens_a_port_that_went_away_once_it_is_back_under_a_new_device(
    tmp_path: Path,
) -> None:
    # The loop opens a fixed link, as a configuration names /dev/serial/by-id/...; udev
    # removes it with the device when the adapter is unplugged and points it at the new
    # device node when the adapter comes back.
    link = tmp_path / "ttyRM"
    gone, gone_path = serve_sim_bus(tmp_path, "sim-bus-unplugged", "--link", str(link))
    back: Process | None = None
    control = core.ControlLoop(backend="serial", port=str(link), timeout_s=0.02, max_retries=1)
    try:
        assert control.open() == list(core.MOTOR_IDS)
        control.start()
        assert control.wait_snapshot(0, WAIT_S) is not None
        # The replacement is served before the loss, so that it cannot take the old pty's
        # number: the loop must follow the link to another device, not find the old one.
        back, back_path = serve_sim_bus(tmp_path, "sim-bus-replugged")
        assert back_path != gone_path

        assert gone.stop(signal.SIGTERM) == 0, gone.log()
        assert not os.path.exists(gone_path) and not os.path.lexists(link), "the port is gone"
        assert wait_for(lambda: control.stats().bus_state == "reconnecting")
        assert control.stats().errors.get("io", 0) >= 1, control.stats().errors
        # Opening a port that is not there fails, and the loop keeps trying.
        assert wait_for(lambda: control.stats().errors.get("reconnect", 0) >= 2)
        frozen = control.snapshot()
        assert frozen is not None
        assert control.wait_snapshot(frozen.seq, 0.5) is None, "no snapshot without a port"
        assert control.stats().reconnects == 0

        link.symlink_to(back_path)
        relinked = time.time()
        # Reconnection backs off to 2 s between attempts; WAIT_S covers a loaded machine.
        assert wait_for(lambda: control.stats().bus_state == "connected")
        assert control.stats().reconnects >= 1
        fresh = control.wait_snapshot(frozen.seq, WAIT_S)
        assert fresh is not None and fresh.seq > frozen.seq
        assert all(t > relinked for t in fresh.position_time), fresh.position_time

        # Goals reach the motors of the new device, and their motion comes back in snapshots.
        control.set_torque(True)
        control.set_goals({"right_antenna": 0.8})

        def tracked() -> bool:
            snap = control.snapshot()
            return snap is not None and abs(snap.position[7] - 0.8) < 0.01

        assert wait_for(tracked)
    finally:
        control.close()
        gone.stop()
        if back is not None:
            back.stop()


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
