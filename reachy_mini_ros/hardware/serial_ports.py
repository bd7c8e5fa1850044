"""Find the serial port of a Reachy Mini by the USB ids of its bus adapter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

# The Reachy Mini Lite's USB-serial adapter is a CH340-class device (hardware reference).
REACHY_MINI_USB_IDS: tuple[tuple[int, int], ...] = ((0x1A86, 0x55D3),)


class PortInfo(Protocol):
    """What discovery reads of a port: pyserial's ``ListPortInfo`` has these attributes."""

    device: str
    vid: int | None
    pid: int | None


def find_reachy_mini_port(ports: Iterable[PortInfo] | None = None) -> str | None:
    """Return the device path of a port whose USB VID:PID is a Reachy Mini adapter, or None.

    ports defaults to the ports plugged in now (``serial.tools.list_ports.comports()``). With
    several adapters plugged in, the device path first in string order wins
    (``/dev/ttyACM0`` before ``/dev/ttyACM1``), whatever order the system lists them in, so
    that the same set of adapters always gives the same port.
    """
    if ports is None:
        from serial.tools import list_ports

        ports = list_ports.comports()
    for port in sorted(ports, key=lambda p: p.device):
        if (port.vid, port.pid) in REACHY_MINI_USB_IDS:
            return str(port.device)
    return None
