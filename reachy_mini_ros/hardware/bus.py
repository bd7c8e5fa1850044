"""Open the motor bus at configure: find the port, create the control loop, check the motors.

Each step raises :class:`BusError` with the line that the node logs when configure fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reachy_mini_ros.hardware.parameters import HardwareConfig
from reachy_mini_ros.hardware.serial_ports import PortInfo, find_reachy_mini_port


class BusError(RuntimeError):
    """Why the bus could not be opened; the message is the node's log line."""


def find_port(config: HardwareConfig, ports: Iterable[PortInfo] | None = None) -> str:
    """Return the port to open: the configured one, or the adapter found by its USB ids.

    ports is what discovery looks through, the ports plugged in now by default.
    """
    port = config.serial_port
    if config.backend == "serial" and port == "auto":
        found = find_reachy_mini_port(ports)
        if found is None:
            raise BusError(
                "configure failed: serial_port is 'auto' and no Reachy Mini adapter "
                "(USB 1a86:55d3) is plugged in"
            )
        port = found
    return port


def simulated_bus(core: Any, config: HardwareConfig) -> Any:
    """Create the simulated motors of backend 'sim'."""
    try:
        return core.SimBus(baudrate=config.baudrate, factory_fresh=config.sim_factory_fresh)
    except core.CoreError as exc:
        raise BusError(f"configure failed: cannot open the bus: {exc}") from exc


def open_loop(core: Any, config: HardwareConfig, port: str, sim_bus: Any) -> tuple[Any, set[int]]:
    """Create the control loop, open the bus and check that every motor answers.

    Return the loop and the ids that answered.
    """
    try:
        loop = core.ControlLoop(
            backend=config.backend,
            port=port if config.backend == "serial" else None,
            baudrate=config.baudrate,
            rate_hz=config.control_rate_hz,
            sim=sim_bus if config.backend == "sim" else None,
            watchdog_ms=config.bus_watchdog_ms,
            limits=config.limits,
            max_velocity=config.max_velocity,
            max_acceleration=config.max_acceleration,
            automatic_body_yaw=config.automatic_body_yaw,
        )
        answered = set(loop.open())
    except core.CoreError as exc:
        raise BusError(f"configure failed: cannot open the bus: {exc}") from exc
    missing = sorted(set(config.motor_ids.values()) - answered)
    if missing:
        loop.close()
        raise BusError(f"configure failed: motors {missing} do not answer")
    return loop, answered
