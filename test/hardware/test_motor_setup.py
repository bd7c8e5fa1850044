"""The motor setup at configure: a factory-fresh bus is flashed as the vendor's table says.

The hardware node runs in its own process on the serial backend, its port a pty served by a
SimBus in this process, so that the test can look at the simulated motors' registers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from support import (
    BIN,
    Process,
    RosClient,
    TopicRecorder,
    diagnostic_statuses,
    start_process,
    status_values,
    wait_for,
)
from test_lifecycle import transition
from vendor_support import run_vendor

core = pytest.importorskip("reachy_mini_core_rs")

# The vendor's own configuration file, parsed by the vendor's own parser: the reference.
VENDOR_CONFIG = r"""
import json
from importlib.resources import files
import reachy_mini
from reachy_mini.utils.hardware_config.parser import parse_yaml_config
config = parse_yaml_config(str(files(reachy_mini).joinpath("assets/config/hardware_config.yaml")))
print(json.dumps({name: {"id": m.id, "offset": m.offset, "min": m.angle_limit_min,
    "max": m.angle_limit_max, "return_delay": m.return_delay_time, "shutdown": m.shutdown_error,
    "mode": m.operating_mode, "pid": list(m.pid) if m.pid is not None else None}
    for name, m in config.motors.items()}))
"""


@pytest.fixture(scope="module")
def vendor_config() -> dict[str, Any]:
    """Return the vendor's motor configuration, by motor name."""
    return dict(run_vendor(VENDOR_CONFIG))


@pytest.fixture
def fresh_pty() -> Iterator[Any]:
    """Serve factory-fresh simulated motors on a pty."""
    pty = core.PtyBus(core.SimBus(factory_fresh=True))
    yield pty
    pty.stop()


def start_node(tmp_path: Path, domain: int, port: str, setup: str) -> Process:
    args = [str(BIN / "hardware_node"), "--ros-args", "-p", "autostart:=false"]
    for param in (
        "backend:=serial",
        f"serial_port:={port}",
        f"motor_setup:={setup}",
        "diagnostic_updater.period:=0.25",
    ):
        args += ["-p", param]
    env = {"ROS_DOMAIN_ID": str(domain), "RCUTILS_LOGGING_BUFFERED_STREAM": "0"}
    return start_process("hardware_node", args, tmp_path, env)


def registers(sim: Any, motor_id: int) -> dict[str, Any]:
    """Return the vendor-configured registers of one simulated motor, named as the vendor."""
    m = sim.motor(motor_id)
    return {
        "id": m["id"],
        "offset": m["homing_offset"],
        "min": m["min_position_limit"],
        "max": m["max_position_limit"],
        "return_delay": m["return_delay_time"],
        "shutdown": m["shutdown"],
        "mode": m["operating_mode"],
    }


def test_configure_flashes_a_factory_fresh_bus_then_writes_nothing(
    tmp_path: Path, ros: RosClient, domain: int, fresh_pty: Any, vendor_config: dict[str, Any]
) -> None:
    sim = fresh_pty.sim
    diag = TopicRecorder(ros, DiagnosticArray, "/diagnostics")
    node = start_node(tmp_path, domain, fresh_pty.path, "flash")
    try:
        assert transition(ros, Transition.TRANSITION_CONFIGURE), node.log()[-3000:]
        for name, want in vendor_config.items():
            got = registers(sim, want["id"])
            expected = {k: v for k, v in want.items() if k != "pid"}
            assert got == expected, name
            if want["pid"] is not None:
                p, i, d = want["pid"]
                m = sim.motor(want["id"])
                assert (m["position_p_gain"], m["position_i_gain"], m["position_d_gain"]) == (
                    p,
                    i,
                    d,
                ), name
        assert "motor setup: flashed" in node.log()

        def bus_setup() -> str | None:
            bus = diagnostic_statuses(diag).get("hardware_node: Bus")
            return status_values(bus).get("motor_setup") if bus is not None else None

        summary = wait_for(bus_setup, 15.0, "the motor setup in the Bus diagnostics")
        assert summary.startswith("flashed ") and summary.endswith(" on 9 motors")

        writes = {i: sim.motor(i)["writes"] for i in range(10, 19)}
        assert transition(ros, Transition.TRANSITION_CLEANUP)
        assert transition(ros, Transition.TRANSITION_CONFIGURE), node.log()[-3000:]
        assert {i: sim.motor(i)["writes"] for i in range(10, 19)} == writes
        assert "motor setup: configuration matches" in node.log()
    finally:
        node.stop()


def test_check_refuses_configure_and_names_the_flash_command(
    tmp_path: Path, ros: RosClient, domain: int, fresh_pty: Any
) -> None:
    node = start_node(tmp_path, domain, fresh_pty.path, "check")
    try:
        assert not transition(ros, Transition.TRANSITION_CONFIGURE)
        wait_for(lambda: "configure refused" in node.log(), 5.0, "the refusal")
        log = node.log()
        # stewart_1 leaves the factory with homing offset 0; the table wants +1024.
        assert "motor stewart_1 (id 11) homing_offset (address 20): found 0, expected 1024" in log
        assert "ros2 param set /hardware_node motor_setup flash" in log
        assert all(fresh_pty.sim.motor(i)["writes"] == 0 for i in range(10, 19))
    finally:
        node.stop()


def test_eeprom_write_with_torque_on_gets_an_access_error(fresh_pty: Any) -> None:
    import serial  # pyserial, the client a real tool would use

    # The read returns as soon as the 11-byte status is in; the timeout only bounds a lost
    # reply, with room for the simulated bus's thread to be scheduled late on a busy machine.
    with serial.Serial(fresh_pty.path, 1_000_000, timeout=5.0) as port:

        def ask(packet: bytes) -> Any:
            port.reset_input_buffer()
            port.write(packet)
            return core.decode_status(port.read(11))

        # WRITE (0x03): address (2 bytes, little-endian), then the data.
        torque_on = (64).to_bytes(2, "little") + b"\x01"
        assert ask(core.encode_instruction(10, 0x03, torque_on)).error == 0
        homing = (20).to_bytes(2, "little") + (1024).to_bytes(4, "little")
        assert ask(core.encode_instruction(10, 0x03, homing)).error == 7
    assert fresh_pty.sim.motor(10)["homing_offset"] == 0
