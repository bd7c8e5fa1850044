"""Read a serialized sensor_msgs/JointState without building the rclpy message.

The bridge takes /joint_states raw (``create_subscription(..., raw=True)``) and reads the few
fields it uses straight from the CDR bytes: rclpy's typed take builds a JointState, a Header,
a Time and their validated fields in Python for every sample, which at 50 to 200 samples a
second was most of the bridge's ROS thread.

Only classic little-endian CDR (XCDR1, what rmw_fastrtps and rmw_cyclonedds send on these
machines) is read here; any other encapsulation, or bytes that do not parse, go to rclpy's
own deserializer, so a publisher with another wire format is still understood.
"""

from __future__ import annotations

import array
import struct
from typing import NamedTuple

from rclpy.serialization import deserialize_message
from sensor_msgs.msg import JointState

# Encapsulation identifier of CDR little endian (OMG DDS-XTypes 7.6.3.1.2).
_CDR_LE = b"\x00\x01"
_HEADER = 4  # encapsulation id and options; CDR alignment counts from its end
_STAMP_AND_FRAME_LEN = struct.Struct("<iII")
_U32 = struct.Struct("<I")
_NATIVE_LE = array.array("d", [1.0]).tobytes() == struct.pack("<d", 1.0)


class JointReading(NamedTuple):
    """The fields of one JointState the bridge uses."""

    stamp: float  # header.stamp in seconds
    names: tuple[str, ...]
    position: array.array[float] | list[float]
    velocity: array.array[float] | list[float]
    effort: array.array[float] | list[float]


class JointStateReader:
    """Decode serialized JointStates; the names of the last one are kept and reused."""

    def __init__(self) -> None:
        self._names_key: tuple[int, int, bytes] = (0, 0, b"")
        self._names: tuple[str, ...] = ()

    def read(self, data: bytes) -> JointReading:
        """Return the reading in data (rclpy's deserializer raises when it is no JointState)."""
        if _NATIVE_LE and data[:2] == _CDR_LE:
            try:
                return self._read_cdr(data)
            except (struct.error, IndexError, UnicodeDecodeError, ValueError):
                pass
        return _from_message(deserialize_message(data, JointState))

    def _read_cdr(self, data: bytes) -> JointReading:
        sec, nanosec, frame_len = _STAMP_AND_FRAME_LEN.unpack_from(data, _HEADER)
        at = _HEADER + 12 + frame_len  # after header.frame_id (its length counts the NUL)
        at += -(at - _HEADER) % 4
        (count,) = _U32.unpack_from(data, at)
        at += 4
        if count > (len(data) - at) // 5:  # a string takes at least its length and its NUL
            raise ValueError("more names than the message has bytes for")
        names_start = at
        for _ in range(count):
            at += -(at - _HEADER) % 4
            (length,) = _U32.unpack_from(data, at)
            at += 4 + length
        # The same bytes at the same alignment are the same names: decode them once.
        key = (count, names_start % 4, data[names_start:at])
        if key != self._names_key:
            self._names = _decode_names(data, names_start, count)
            self._names_key = key
        position, at = _doubles(data, at)
        velocity, at = _doubles(data, at)
        effort, at = _doubles(data, at)
        return JointReading(sec + nanosec * 1e-9, self._names, position, velocity, effort)


def _decode_names(data: bytes, at: int, count: int) -> tuple[str, ...]:
    names = []
    for _ in range(count):
        at += -(at - _HEADER) % 4
        (length,) = _U32.unpack_from(data, at)
        if length == 0 or data[at + 4 + length - 1] != 0:
            raise ValueError("a CDR string has no terminating NUL")
        names.append(data[at + 4 : at + 3 + length].decode())
        at += 4 + length
    return tuple(names)


def _doubles(data: bytes, at: int) -> tuple[array.array[float], int]:
    at += -(at - _HEADER) % 4
    (count,) = _U32.unpack_from(data, at)
    at += 4
    if count:
        at += -(at - _HEADER) % 8
    end = at + 8 * count
    if end > len(data):
        raise ValueError("a CDR sequence runs past the end of the message")
    return array.array("d", data[at:end]), end


def _from_message(msg: JointState) -> JointReading:
    stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
    return JointReading(stamp, tuple(msg.name), msg.position, msg.velocity, msg.effort)
