"""`serial_port: auto` finds the Reachy Mini adapter by its USB ids among the ports listed.

The ports are pyserial's own ListPortInfo records, as `comports()` returns them, filled with
the ids that the kernel reports for each adapter.
"""

from __future__ import annotations

import dataclasses

import pytest
from serial.tools.list_ports_common import ListPortInfo
from test_parameters import shipped_params

from reachy_mini_ros.hardware.bus import BusError, find_port
from reachy_mini_ros.hardware.parameters import validate_config
from reachy_mini_ros.hardware.serial_ports import find_reachy_mini_port


def port(device: str, vid: int | None = None, pid: int | None = None) -> ListPortInfo:
    """Return the record comports() gives for a device with these USB ids (None: not USB)."""
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid = vid, pid
    return info


# What a desk machine lists besides the robot: a built-in UART (no USB ids), an FTDI cable,
# and a CH340 of the same vendor with another product id (an Arduino clone).
OTHERS = [
    port("/dev/ttyS0"),
    port("/dev/ttyUSB0", 0x0403, 0x6001),
    port("/dev/ttyUSB1", 0x1A86, 0x7523),
]


def test_reachy_mini_adapter_is_found_among_other_ports() -> None:
    ports = [*OTHERS[:2], port("/dev/ttyACM3", 0x1A86, 0x55D3), OTHERS[2]]
    assert find_reachy_mini_port(ports) == "/dev/ttyACM3"


def test_no_adapter_among_the_ports_finds_nothing() -> None:
    assert find_reachy_mini_port(OTHERS) is None
    assert find_reachy_mini_port([]) is None


@pytest.mark.parametrize("reverse", [False, True], ids=["listed-in-order", "listed-reversed"])
def test_two_adapters_give_the_first_device_path_whatever_the_listing_order(
    reverse: bool,
) -> None:
    adapters = [port("/dev/ttyACM0", 0x1A86, 0x55D3), port("/dev/ttyACM1", 0x1A86, 0x55D3)]
    ports = [*OTHERS, *(reversed(adapters) if reverse else adapters)]
    assert find_reachy_mini_port(ports) == "/dev/ttyACM0"


def test_auto_port_without_an_adapter_is_refused_naming_the_usb_ids() -> None:
    config = dataclasses.replace(
        validate_config(shipped_params()), backend="serial", serial_port="auto"
    )
    with pytest.raises(BusError) as refused:
        find_port(config, OTHERS)
    assert str(refused.value) == (
        "configure failed: serial_port is 'auto' and no Reachy Mini adapter "
        "(USB 1a86:55d3) is plugged in"
    )


def test_auto_port_opens_the_adapter_found() -> None:
    config = dataclasses.replace(
        validate_config(shipped_params()), backend="serial", serial_port="auto"
    )
    assert find_port(config, [*OTHERS, port("/dev/ttyACM2", 0x1A86, 0x55D3)]) == "/dev/ttyACM2"


def test_a_named_port_is_opened_as_given_without_discovery() -> None:
    config = dataclasses.replace(
        validate_config(shipped_params()), backend="serial", serial_port="/dev/ttyUSB1"
    )
    assert find_port(config, [port("/dev/ttyACM0", 0x1A86, 0x55D3)]) == "/dev/ttyUSB1"
