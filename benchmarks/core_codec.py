"""Compare the core's Protocol 2.0 codec with ROBOTIS's Python Dynamixel SDK.

Both sides do the work of one control cycle on nine motors, from Python:
- sync read: build the Sync Read instruction (address 132, 4 bytes, ids 10..18), then decode
  the nine status replies (as they arrive on the wire, back to back) into nine positions;
- sync write: build the Sync Write instruction of nine goal positions.

The core is timed two ways: with its cycle functions (``encode_sync_read``, ``decode_sync_read``,
``encode_sync_write``: one call per cycle, as a driver uses them), and packet by packet
(``encode_instruction`` and ``decode_status`` per reply, with the parameter packing done in
Python), which shows the cost of crossing into Python nine times. The SDK
(``dynamixel-sdk`` from PyPI, Protocol2PacketHandler) is driven through its own packet code
(``syncReadTx``, ``rxPacket``, ``syncWriteTxOnly``) over an in-memory port that records what
is written and replays prepared replies, so that no serial port is needed and no time is spent
waiting on a wire. Both sides check that they produce the same bytes before timing.

Install the SDK for this benchmark only: ``.venv/bin/pip install dynamixel-sdk``.
Run: .venv/bin/python benchmarks/core_codec.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import struct
import time
from collections.abc import Callable

import reachy_mini_core_rs as core

IDS = list(core.MOTOR_IDS)
ADDRESS, LENGTH = 132, 4
GOAL_ADDRESS = 116
GOALS = [2048 + 37 * k for k in range(len(IDS))]
REPLIES = [
    core.encode_instruction(motor, 0x55, bytes([0]) + struct.pack("<i", 2000 + k))
    for k, motor in enumerate(IDS)
]


class MemoryPort:
    """The part of the SDK's PortHandler that its packet code uses, in memory."""

    def __init__(self) -> None:
        self.is_using = False
        self.written = b""
        self.rx = bytearray()

    def clearPort(self) -> None:  # noqa: N802 - the SDK's method name
        """Drop nothing: there is no stray input in memory."""

    def writePort(self, packet: list[int]) -> int:  # noqa: N802
        """Record the packet."""
        self.written = bytes(packet)
        return len(packet)

    def readPort(self, length: int) -> list[int]:  # noqa: N802
        """Replay prepared reply bytes."""
        chunk = self.rx[:length]
        del self.rx[:length]
        return list(chunk)

    def setPacketTimeout(self, packet_length: int) -> None:  # noqa: N802
        """Accept the timeout the SDK computes; nothing times out in memory."""

    def isPacketTimeout(self) -> bool:  # noqa: N802
        """Time out only when every prepared byte was read."""
        return not self.rx


STREAM = b"".join(REPLIES)


def core_cycle_sync_read() -> list[int | None]:
    """Build the sync read and decode the reply stream with the core's cycle functions."""
    core.encode_sync_read(ADDRESS, LENGTH, IDS)
    return core.decode_sync_read(STREAM, IDS, LENGTH)


def core_cycle_sync_write() -> bytes:
    """Build the sync write of nine goals with the core's cycle function."""
    return core.encode_sync_write(GOAL_ADDRESS, 4, IDS, GOALS)


def core_sync_read() -> list[int]:
    """Build the sync read and decode the nine replies packet by packet with the core."""
    core.encode_instruction(0xFE, 0x82, struct.pack("<HH", ADDRESS, LENGTH) + bytes(IDS))
    return [int.from_bytes(core.decode_status(r).params, "little", signed=True) for r in REPLIES]


def core_sync_write() -> bytes:
    """Build the sync write of nine goals with the core."""
    params = bytearray(struct.pack("<HH", GOAL_ADDRESS, 4))
    for motor, goal in zip(IDS, GOALS, strict=True):
        params += struct.pack("<Bi", motor, goal)
    return core.encode_instruction(0xFE, 0x83, bytes(params))


def sdk_functions() -> tuple[Callable[[], list[int]], Callable[[], bytes], MemoryPort]:
    """Return the SDK's sync read and sync write cycles over a memory port."""
    from dynamixel_sdk import Protocol2PacketHandler
    from dynamixel_sdk.robotis_def import DXL_MAKEDWORD, DXL_MAKEWORD

    handler = Protocol2PacketHandler()
    port = MemoryPort()
    all_replies = b"".join(REPLIES)

    def sdk_sync_read() -> list[int]:
        handler.syncReadTx(port, ADDRESS, LENGTH, IDS, len(IDS), False)
        port.is_using = False
        port.rx[:] = all_replies
        positions = []
        for _ in IDS:
            packet, result = handler.rxPacket(port, False)
            assert result == 0
            raw = DXL_MAKEDWORD(DXL_MAKEWORD(packet[9], packet[10]), DXL_MAKEWORD(*packet[11:13]))
            positions.append(struct.unpack("<i", struct.pack("<I", raw))[0])
        return positions

    def sdk_sync_write() -> bytes:
        param: list[int] = []
        for motor, goal in zip(IDS, GOALS, strict=True):
            param += [motor, *struct.pack("<i", goal)]
        handler.syncWriteTxOnly(port, GOAL_ADDRESS, 4, param, len(param))
        port.is_using = False
        return port.written

    return sdk_sync_read, sdk_sync_write, port


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Return calls per second of fn over about `seconds`."""
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(100):
            fn()
        calls += 100
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)


def main() -> None:
    """Time both codecs and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    sdk_read, sdk_write, port = sdk_functions()
    expected = [2000 + k for k in range(len(IDS))]
    assert core_sync_read() == expected and sdk_read() == expected
    assert core_cycle_sync_read() == expected
    sdk_read()
    sync_read_packet = core.encode_instruction(
        0xFE, 0x82, struct.pack("<HH", ADDRESS, LENGTH) + bytes(IDS)
    )
    assert port.written == sync_read_packet
    assert sdk_write() == core_sync_write() == core_cycle_sync_write()
    assert core.encode_sync_read(ADDRESS, LENGTH, IDS) == sync_read_packet

    print("codec, nine motors, Python API, one cycle per call")
    print(f"{'case':<32}{'core (calls/s)':>16}{'SDK (calls/s)':>16}{'speed-up':>10}")
    for name, ours, theirs in (
        ("sync read, cycle functions", core_cycle_sync_read, sdk_read),
        ("sync write, cycle function", core_cycle_sync_write, sdk_write),
        ("sync read, packet by packet", core_sync_read, sdk_read),
        ("sync write, packet by packet", core_sync_write, sdk_write),
    ):
        a, b = rate(ours, args.seconds), rate(theirs, args.seconds)
        print(f"{name:<32}{a:>16,.0f}{b:>16,.0f}{a / b:>9.1f}x")


if __name__ == "__main__":
    main()
