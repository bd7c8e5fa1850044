//! Instruction packets and the parsing of their replies.

use super::crc::crc16;
use super::packet::{encode_packet, unstuff, StatusPacket, HEADER, STATUS};
use crate::error::{Error, Result};

pub const PING: u8 = 0x01;
pub const READ: u8 = 0x02;
pub const WRITE: u8 = 0x03;
pub const REBOOT: u8 = 0x08;
pub const SYNC_READ: u8 = 0x82;
pub const SYNC_WRITE: u8 = 0x83;
pub const FAST_SYNC_READ: u8 = 0x8A;
pub const BROADCAST: u8 = 0xFE;

/// Ping one motor (or every motor with BROADCAST).
pub fn ping(id: u8) -> Vec<u8> {
    encode_packet(id, PING, &[])
}

/// Read `length` bytes from `address` of one motor.
pub fn read(id: u8, address: u16, length: u16) -> Vec<u8> {
    let [a0, a1] = address.to_le_bytes();
    let [l0, l1] = length.to_le_bytes();
    encode_packet(id, READ, &[a0, a1, l0, l1])
}

/// Write data at `address` of one motor.
pub fn write(id: u8, address: u16, data: &[u8]) -> Vec<u8> {
    let mut params = Vec::with_capacity(data.len() + 2);
    params.extend_from_slice(&address.to_le_bytes());
    params.extend_from_slice(data);
    encode_packet(id, WRITE, &params)
}

/// Reboot one motor.
pub fn reboot(id: u8) -> Vec<u8> {
    encode_packet(id, REBOOT, &[])
}

fn sync_read_params(address: u16, length: u16, ids: &[u8]) -> Vec<u8> {
    let mut params = Vec::with_capacity(ids.len() + 4);
    params.extend_from_slice(&address.to_le_bytes());
    params.extend_from_slice(&length.to_le_bytes());
    params.extend_from_slice(ids);
    params
}

/// Read the same `length` bytes at `address` from several motors; each answers in turn.
pub fn sync_read(address: u16, length: u16, ids: &[u8]) -> Vec<u8> {
    encode_packet(BROADCAST, SYNC_READ, &sync_read_params(address, length, ids))
}

/// Like sync read, but the motors answer together in one status packet from BROADCAST.
pub fn fast_sync_read(address: u16, length: u16, ids: &[u8]) -> Vec<u8> {
    encode_packet(BROADCAST, FAST_SYNC_READ, &sync_read_params(address, length, ids))
}

/// Write `length` bytes at `address` of several motors: (id, data) pairs, data of `length`.
pub fn sync_write(address: u16, length: u16, blocks: &[(u8, &[u8])]) -> Result<Vec<u8>> {
    let mut params = Vec::with_capacity(4 + blocks.len() * (1 + length as usize));
    params.extend_from_slice(&address.to_le_bytes());
    params.extend_from_slice(&length.to_le_bytes());
    for (id, data) in blocks {
        if data.len() != length as usize {
            return Err(Error::Length(format!(
                "sync write block for motor {id} has {} bytes, expected {length}",
                data.len()
            )));
        }
        params.push(*id);
        params.extend_from_slice(data);
    }
    Ok(encode_packet(BROADCAST, SYNC_WRITE, &params))
}

/// One motor's part of a fast sync read reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FastBlock {
    pub id: u8,
    pub error: u8,
    pub alert: bool,
    pub data: Vec<u8>,
}

/// Split the single status packet of a fast sync read into one block per motor.
///
/// The payload after INST is `[ERR ID DATA CRC16]` per motor, except that the last motor's
/// CRC is the packet's own CRC (already checked by the decoder).
pub fn parse_fast_sync_read(status: &StatusPacket, length: usize) -> Result<Vec<FastBlock>> {
    if status.id != BROADCAST {
        return Err(Error::IncorrectId { expected: BROADCAST, got: status.id });
    }
    // Rebuild the payload with the first ERR byte that the status decoder split off.
    let err0 = status.error | if status.alert { 0x80 } else { 0 };
    let mut payload = Vec::with_capacity(status.params.len() + 1);
    payload.push(err0);
    payload.extend_from_slice(&status.params);
    let block = length + 4;
    if payload.len() + 2 < block || (payload.len() + 2) % block != 0 {
        return Err(Error::Length(format!(
            "fast sync read payload of {} bytes is not a whole number of {length}-byte blocks",
            payload.len()
        )));
    }
    let count = (payload.len() + 2) / block;
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let b = &payload[k * block..k * block + length + 2];
        out.push(FastBlock {
            id: b[1],
            error: b[0] & 0x7F,
            alert: b[0] & 0x80 != 0,
            data: b[2..].to_vec(),
        });
    }
    Ok(out)
}

/// Build the reply of a fast sync read: (err, id, data) per motor, answered from BROADCAST.
///
/// Each intermediate block carries the CRC of the packet bytes before it, as the motors chain
/// their answers on the wire.
pub fn encode_fast_sync_reply(blocks: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let mut params = Vec::new();
    for (k, (err, id, data)) in blocks.iter().enumerate() {
        params.push(*err);
        params.push(*id);
        params.extend_from_slice(data);
        if k + 1 < blocks.len() {
            // Block CRC over the unstuffed payload so far; receivers rely on the packet CRC.
            let crc = crc16(&params);
            params.extend_from_slice(&crc.to_le_bytes());
        }
    }
    encode_packet(BROADCAST, super::packet::STATUS, &params)
}

/// Read a little-endian signed 32-bit value.
pub fn le_i32(data: &[u8]) -> Option<i32> {
    Some(i32::from_le_bytes(data.get(..4)?.try_into().ok()?))
}

/// Read a little-endian signed 16-bit value.
pub fn le_i16(data: &[u8]) -> Option<i16> {
    Some(i16::from_le_bytes(data.get(..2)?.try_into().ok()?))
}

/// Read a little-endian unsigned 16-bit value.
pub fn le_u16(data: &[u8]) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(..2)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::super::packet::decode_status;
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace().map(|b| u8::from_str_radix(b, 16).expect("hex byte")).collect()
    }

    #[test]
    fn published_instruction_packets_encode_byte_exact() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("FF FF FD 00 01 03 00 01 19 4E", ping(1)),
            ("FF FF FD 00 01 07 00 02 84 00 04 00 1D 15", read(1, 132, 4)),
            (
                "FF FF FD 00 01 09 00 03 74 00 00 02 00 00 CA 89",
                write(1, 116, &512u32.to_le_bytes()),
            ),
            ("FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA", sync_read(132, 4, &[1, 2])),
        ];
        for (expected, built) in cases {
            assert_eq!(built, hex(expected), "{expected}");
        }
    }

    #[test]
    fn other_instructions_have_the_documented_layout() {
        // (packet, id, instruction, params)
        let cases: Vec<(Vec<u8>, u8, u8, Vec<u8>)> = vec![
            (reboot(2), 2, REBOOT, vec![]),
            (ping(BROADCAST), BROADCAST, PING, vec![]),
            (
                fast_sync_read(132, 4, &[10, 11]),
                BROADCAST,
                FAST_SYNC_READ,
                vec![0x84, 0, 4, 0, 10, 11],
            ),
            (
                sync_write(116, 4, &[(1, &[0, 2, 0, 0]), (2, &[0, 1, 0, 0])])
                    .expect("valid blocks"),
                BROADCAST,
                SYNC_WRITE,
                vec![0x74, 0, 4, 0, 1, 0, 2, 0, 0, 2, 0, 1, 0, 0],
            ),
        ];
        for (packet, id, instruction, params) in cases {
            let decoded = super::super::packet::decode_packet(&packet).expect("valid");
            assert_eq!(
                (decoded.id, decoded.instruction, decoded.params),
                (id, instruction, params)
            );
        }
    }

    #[test]
    fn sync_write_rejects_a_block_of_the_wrong_size() {
        assert!(matches!(sync_write(116, 4, &[(1, &[0, 2, 0])]), Err(Error::Length(_))));
    }

    #[test]
    fn fast_sync_read_reply_splits_into_blocks() {
        let reply = encode_fast_sync_reply(&[
            (0, 10, &[1, 0, 0, 0]),
            (0x80, 11, &[0xFF, 0xFF, 0xFD, 0x00]),
            (0, 12, &[3, 0, 0, 0]),
        ]);
        let status = decode_status(&reply).expect("valid");
        let blocks = parse_fast_sync_read(&status, 4).expect("whole blocks");
        let ids: Vec<u8> = blocks.iter().map(|b| b.id).collect();
        assert_eq!(ids, [10, 11, 12]);
        assert!(blocks[1].alert && !blocks[0].alert);
        assert_eq!(blocks[1].data, [0xFF, 0xFF, 0xFD, 0x00]);
        assert_eq!(le_i32(&blocks[2].data), Some(3));
    }

    #[test]
    fn fast_sync_read_reply_of_wrong_size_is_a_length_error() {
        let reply = encode_fast_sync_reply(&[(0, 10, &[1, 0, 0, 0]), (0, 11, &[2, 0, 0, 0])]);
        let status = decode_status(&reply).expect("valid");
        assert!(matches!(parse_fast_sync_read(&status, 2), Err(Error::Length(_))));
    }
}

/// Values of several motors found in a stream of sync read replies, in the order of `ids`
/// (None for a motor whose reply is missing, corrupt, or carries an error). Values are
/// little-endian, sign-extended when `signed`.
///
/// This is the hot path of a cycle, so it scans the stream in place instead of going through
/// `PacketParser`: same framing and CRC checks, no copies unless a reply is stuffed.
pub fn decode_sync_read_values(
    stream: &[u8],
    ids: &[u8],
    length: usize,
    signed: bool,
) -> Vec<Option<i64>> {
    let mut values = vec![None; ids.len()];
    let mut i = 0;
    // Shortest status packet: header, id, LEN, INST, ERR, CRC.
    while i + 11 <= stream.len() {
        if stream[i..i + 4] != HEADER {
            i += 1;
            continue;
        }
        let len = u16::from_le_bytes([stream[i + 5], stream[i + 6]]) as usize;
        let end = i + 7 + len;
        if len < 4 || end > stream.len() {
            i += 1;
            continue;
        }
        let packet = &stream[i..end];
        let crc = u16::from_le_bytes([packet[len + 5], packet[len + 6]]);
        if crc16(&packet[..len + 5]) != crc {
            i += 1;
            continue;
        }
        i = end;
        let (id, inst, err) = (packet[4], packet[7], packet[8]);
        let Some(k) = ids.iter().position(|&m| m == id) else { continue };
        if inst != STATUS || err & 0x7F != 0 {
            continue;
        }
        let body = &packet[7..len + 5];
        let stuffed = body.windows(3).any(|w| w == [0xFF, 0xFF, 0xFD]);
        let data = if stuffed { unstuff(body)[2..].to_vec() } else { body[2..].to_vec() };
        if data.len() == length && length <= 8 {
            values[k] = Some(le_value(&data, signed));
        }
    }
    values
}

/// Little-endian integer of up to 8 bytes.
pub fn le_value(bytes: &[u8], signed: bool) -> i64 {
    let mut raw = [0u8; 8];
    raw[..bytes.len()].copy_from_slice(bytes);
    let value = u64::from_le_bytes(raw);
    let bits = 8 * bytes.len() as u32;
    if signed && bits > 0 && bits < 64 && value >> (bits - 1) & 1 == 1 {
        (value | (!0u64 << bits)) as i64
    } else {
        value as i64
    }
}

#[cfg(test)]
mod stream_tests {
    use super::super::packet::{decode_status, encode_status};
    use super::*;

    #[test]
    fn sync_read_values_are_found_by_id_and_sign_extended() {
        let mut stream = encode_status(11, 0, &(-5i32).to_le_bytes());
        stream.extend(encode_status(10, 0, &2048i32.to_le_bytes()));
        let mut corrupt = encode_status(12, 0, &7i32.to_le_bytes());
        corrupt[9] ^= 1;
        stream.extend(corrupt);
        stream.extend(encode_status(13, 4, &[0, 0, 0, 0]));
        let values = decode_sync_read_values(&stream, &[10, 11, 12, 13, 14], 4, true);
        assert_eq!(values, [Some(2048), Some(-5), None, None, None]);
    }

    /// The straightforward decoder the in-place scan must agree with: at each offset, try the
    /// general status decoder on the packet its LEN announces.
    fn reference(stream: &[u8], ids: &[u8], length: usize) -> Vec<Option<i64>> {
        let mut values = vec![None; ids.len()];
        let mut i = 0;
        while i + 7 <= stream.len() {
            let end = i + 7 + u16::from_le_bytes([stream[i + 5], stream[i + 6]]) as usize;
            let Some(Ok(status)) = stream.get(i..end).map(decode_status) else {
                i += 1;
                continue;
            };
            i = end;
            let Some(k) = ids.iter().position(|&id| id == status.id) else { continue };
            if status.error == 0 && status.params.len() == length {
                values[k] = Some(le_value(&status.params, true));
            }
        }
        values
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        #[test]
        fn in_place_scan_agrees_with_the_packet_parser(
            replies in proptest::collection::vec(
                (10u8..=18, 0u8..3, proptest::collection::vec(
                    proptest::prop_oneof![
                        proptest::prelude::Just(0xFFu8),
                        proptest::prelude::Just(0xFD),
                        proptest::prelude::any::<u8>()
                    ],
                    4,
                )),
                0..12,
            ),
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8),
            corrupt in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut stream = noise.clone();
            for (id, err, data) in &replies {
                stream.extend(encode_status(*id, *err, data));
            }
            if !replies.is_empty() && stream.len() > noise.len() {
                let at = noise.len() + corrupt.index(stream.len() - noise.len());
                stream[at] ^= 0x10;
            }
            let ids: Vec<u8> = (10..=18).collect();
            proptest::prop_assert_eq!(
                decode_sync_read_values(&stream, &ids, 4, true),
                reference(&stream, &ids, 4)
            );
        }
    }

    #[test]
    fn le_value_table() {
        let cases: &[(&[u8], bool, i64)] = &[
            (&[0xFF], false, 255),
            (&[0xFF], true, -1),
            (&[0x00, 0x80], true, -32768),
            (&[0x00, 0x08, 0, 0], true, 2048),
            (&[], true, 0),
        ];
        for &(bytes, signed, want) in cases {
            assert_eq!(le_value(bytes, signed), want, "{bytes:02X?}");
        }
    }
}
