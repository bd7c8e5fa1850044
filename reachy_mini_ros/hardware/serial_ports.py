"""Find the serial port of a Reachy Mini by the USB ids of its bus adapter."""

from __future__ import annotations

# The Reachy Mini Lite's USB-serial adapter is a CH340-class device (hardware reference).
REACHY_MINI_USB_IDS: tuple[tuple[int, int], ...] = ((0x1A86, 0x55D3),)


def find_reachy_mini_port() -> str | None:
    """Return the device path of the first port whose USB VID:PID is a Reachy Mini adapter."""
    from serial.tools import list_ports

    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        if (port.vid, port.pid) in REACHY_MINI_USB_IDS:
            return str(port.device)
    return None
