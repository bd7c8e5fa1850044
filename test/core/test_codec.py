"""Check the Protocol 2.0 codec of the core against the published packets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reachy_mini_core_rs as core

# (case, id, instruction, params, bytes) from the hardware reference.
INSTRUCTIONS = [
    ("ping id 1", 1, 0x01, b"", "FF FF FD 00 01 03 00 01 19 4E"),
    (
        "read 132 len 4",
        1,
        0x02,
        bytes([0x84, 0x00, 0x04, 0x00]),
        "FF FF FD 00 01 07 00 02 84 00 04 00 1D 15",
    ),
    (
        "write goal 512",
        1,
        0x03,
        bytes([0x74, 0x00, 0x00, 0x02, 0x00, 0x00]),
        "FF FF FD 00 01 09 00 03 74 00 00 02 00 00 CA 89",
    ),
    (
        "sync read 132 ids 1 2",
        0xFE,
        0x82,
        bytes([0x84, 0x00, 0x04, 0x00, 0x01, 0x02]),
        "FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA",
    ),
]
# (case, bytes, id, error, alert, params)
STATUSES = [
    ("ping reply", "FF FF FD 00 01 07 00 55 00 06 04 26 65 5D", 1, 0, False, bytes([6, 4, 0x26])),
    (
        "read reply",
        "FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0",
        1,
        0,
        False,
        bytes([0xA6, 0, 0, 0]),
    ),
    ("empty reply", "FF FF FD 00 01 04 00 55 00 A1 0C", 1, 0, False, b""),
]


@pytest.mark.parametrize(("case", "motor", "instruction", "params", "expected"), INSTRUCTIONS)
def test_encode_instruction_matches_published_bytes(
    case: str, motor: int, instruction: int, params: bytes, expected: str
) -> None:
    assert core.encode_instruction(motor, instruction, params) == bytes.fromhex(expected), case


@pytest.mark.parametrize(("case", "packet", "motor", "error", "alert", "params"), STATUSES)
def test_decode_status_matches_published_bytes(
    case: str, packet: str, motor: int, error: int, alert: bool, params: bytes
) -> None:
    status = core.decode_status(bytes.fromhex(packet))
    assert (status.id, status.error, status.alert, status.params) == (motor, error, alert, params)


def test_crc16_check_value() -> None:
    assert core.crc16(b"123456789") == 0xFEE8


def test_crc_of_published_packet_equals_its_last_two_bytes() -> None:
    packet = bytes.fromhex("FF FF FD 00 01 03 00 01 19 4E")
    assert core.crc16(packet[:-2]) == int.from_bytes(packet[-2:], "little")


def test_err_byte_splits_into_alert_and_error_number() -> None:
    status = core.decode_status(core.encode_instruction(3, 0x55, bytes([0x84, 9])))
    assert (status.error, status.alert, status.params) == (4, True, bytes([9]))


def test_stuffing_is_added_on_encode_and_removed_on_decode() -> None:
    packet = core.encode_instruction(1, 0x55, bytes([0x00, 0xFF, 0xFF, 0xFD, 0x01]))
    assert bytes([0xFF, 0xFF, 0xFD, 0xFD, 0x01]) in packet
    assert int.from_bytes(packet[5:7], "little") == 9
    assert core.decode_status(packet).params == bytes([0xFF, 0xFF, 0xFD, 0x01])


def test_bad_crc_raises_crc_error() -> None:
    packet = bytearray.fromhex("FF FF FD 00 01 04 00 55 00 A1 0C")
    packet[-1] ^= 0x01
    with pytest.raises(core.CrcError):
        core.decode_status(bytes(packet))


def test_wrong_length_raises_length_error() -> None:
    packet = bytearray.fromhex("FF FF FD 00 01 04 00 55 00 A1 0C")
    packet[5] = 0x06
    with pytest.raises(core.LengthError):
        core.decode_status(bytes(packet))
    with pytest.raises(core.LengthError):
        core.decode_status(bytes(packet[:6]))


def test_bad_header_raises_header_error() -> None:
    with pytest.raises(core.HeaderError):
        core.decode_status(bytes.fromhex("FF FF FF 00 01 04 00 55 00 A1 0C"))


def test_protocol_errors_share_their_base_classes() -> None:
    for error in (core.CrcError, core.LengthError, core.HeaderError):
        assert issubclass(error, core.ProtocolError)
        assert issubclass(error, core.CoreError)
    assert issubclass(core.LimitError, ValueError)
    assert issubclass(core.KinematicsError, ValueError)
    assert issubclass(core.BusError, core.CoreError)


@given(
    motor=st.integers(min_value=0, max_value=0xFD),
    err=st.integers(min_value=0, max_value=0xFF),
    data=st.binary(max_size=64) | st.lists(st.sampled_from([0xFF, 0xFD, 0x00])).map(bytes),
)
def test_status_round_trips_through_encode_and_decode(motor: int, err: int, data: bytes) -> None:
    status = core.decode_status(core.encode_instruction(motor, 0x55, bytes([err]) + data))
    assert status.id == motor
    assert status.error == err & 0x7F
    assert status.alert == bool(err & 0x80)
    assert status.params == data


def test_encode_sync_read_matches_the_published_sync_read() -> None:
    expected = bytes.fromhex("FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA")
    assert core.encode_sync_read(132, 4, [1, 2]) == expected


def test_encode_sync_read_fast_uses_the_fast_instruction() -> None:
    packet = core.encode_sync_read(132, 4, [10, 11], fast=True)
    assert packet[7] == 0x8A
    assert packet[8:][:6] == bytes([0x84, 0, 4, 0, 10, 11])


def test_encode_sync_write_equals_the_packet_built_by_hand() -> None:
    params = bytes([0x74, 0, 4, 0, 10]) + (2048).to_bytes(4, "little")
    params += bytes([11]) + (-1).to_bytes(4, "little", signed=True)
    assert core.encode_sync_write(116, 4, [10, 11], [2048, -1]) == core.encode_instruction(
        0xFE, 0x83, params
    )


def test_encode_sync_write_refuses_mismatched_ids_and_values() -> None:
    with pytest.raises(core.LengthError):
        core.encode_sync_write(116, 4, [10, 11], [2048])
    with pytest.raises(core.LengthError):
        core.encode_sync_write(116, 9, [10], [2048])


def test_decode_sync_read_finds_each_motor_in_a_noisy_stream() -> None:
    reply_10 = core.encode_instruction(10, 0x55, bytes([0]) + (3000).to_bytes(4, "little"))
    reply_12 = core.encode_instruction(
        12, 0x55, bytes([0]) + (-7).to_bytes(4, "little", signed=True)
    )
    corrupt_11 = bytearray(core.encode_instruction(11, 0x55, bytes([0, 1, 0, 0, 0])))
    corrupt_11[-1] ^= 0xFF
    stream = b"\x00\xff" + reply_12 + bytes(corrupt_11) + reply_10
    assert core.decode_sync_read(stream, [10, 11, 12], 4) == [3000, None, -7]
    assert core.decode_sync_read(reply_12, [12], 4, signed=False) == [2**32 - 7]
