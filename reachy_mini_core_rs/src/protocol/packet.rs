//! Packet framing: header, length, byte stuffing, CRC; and a streaming parser.

use super::crc::crc16;
use crate::error::{Error, Result};

/// Every packet starts with these four bytes.
pub const HEADER: [u8; 4] = [0xFF, 0xFF, 0xFD, 0x00];
/// Instruction code of status packets.
pub const STATUS: u8 = 0x55;
/// Bytes before INST: header, ID, LEN_L, LEN_H.
const PREFIX: usize = 7;
/// Largest LEN the parser accepts; the longest packet of this robot is far below it, so a
/// larger value means a corrupt length field rather than a packet to wait for.
pub const MAX_LEN: usize = 1024;

/// A decoded packet of any kind (instruction or status), parameters unstuffed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub id: u8,
    pub instruction: u8,
    /// Everything between INST and the CRC, with stuffing removed (for status packets this
    /// starts with the ERR byte).
    pub params: Vec<u8>,
}

/// A decoded status packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPacket {
    pub id: u8,
    /// Error number, bits 0-6 of ERR.
    pub error: u8,
    /// Alert flag, bit 7 of ERR.
    pub alert: bool,
    /// Parameters after ERR, unstuffed.
    pub params: Vec<u8>,
}

/// Insert an FD after every FF FF FD in body (INST and parameters).
pub fn stuff(body: &[u8], out: &mut Vec<u8>) {
    for (i, &byte) in body.iter().enumerate() {
        out.push(byte);
        if byte == 0xFD && i >= 2 && body[i - 1] == 0xFF && body[i - 2] == 0xFF {
            out.push(0xFD);
        }
    }
}

/// Remove the FD that follows every FF FF FD in body.
pub fn unstuff(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for (i, &byte) in body.iter().enumerate() {
        let stuffed = byte == 0xFD
            && i >= 3
            && body[i - 1] == 0xFD
            && body[i - 2] == 0xFF
            && body[i - 3] == 0xFF;
        if !stuffed {
            out.push(byte);
        }
    }
    out
}

/// Build a complete packet: header, id, length, stuffed instruction and parameters, CRC.
pub fn encode_packet(id: u8, instruction: u8, params: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREFIX + params.len() + params.len() / 8 + 3);
    out.extend_from_slice(&HEADER);
    out.push(id);
    out.extend_from_slice(&[0, 0]);
    let mut body = Vec::with_capacity(params.len() + 1);
    body.push(instruction);
    body.extend_from_slice(params);
    stuff(&body, &mut out);
    let len = (out.len() - PREFIX + 2) as u16;
    out[5..7].copy_from_slice(&len.to_le_bytes());
    let crc = crc16(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Build a status packet: ERR byte then data.
pub fn encode_status(id: u8, err: u8, data: &[u8]) -> Vec<u8> {
    let mut params = Vec::with_capacity(data.len() + 1);
    params.push(err);
    params.extend_from_slice(data);
    encode_packet(id, STATUS, &params)
}

/// Decode exactly one packet (no bytes before or after it).
pub fn decode_packet(packet: &[u8]) -> Result<Packet> {
    // A short packet is a length problem as long as what there is could start a header.
    let header_len = packet.len().min(4);
    if packet[..header_len] != HEADER[..header_len] {
        return Err(Error::Header);
    }
    if packet.len() < PREFIX + 3 {
        return Err(Error::Length(format!("{} bytes is shorter than any packet", packet.len())));
    }
    let len = u16::from_le_bytes([packet[5], packet[6]]) as usize;
    if len < 3 || PREFIX + len != packet.len() {
        return Err(Error::Length(format!(
            "LEN {len} does not match a packet of {} bytes",
            packet.len()
        )));
    }
    let n = packet.len();
    let got = u16::from_le_bytes([packet[n - 2], packet[n - 1]]);
    let expected = crc16(&packet[..n - 2]);
    if got != expected {
        return Err(Error::Checksum { expected, got });
    }
    // Stuffing was added over INST and the parameters together, so remove it the same way.
    let body = unstuff(&packet[PREFIX..n - 2]);
    let Some((&instruction, params)) = body.split_first() else {
        return Err(Error::Length("packet without an instruction byte".into()));
    };
    Ok(Packet { id: packet[4], instruction, params: params.to_vec() })
}

impl Packet {
    /// View this packet as a status packet.
    pub fn into_status(self) -> Result<StatusPacket> {
        if self.instruction != STATUS {
            return Err(Error::Malformed(format!(
                "instruction 0x{:02X} where a status packet (0x55) was expected",
                self.instruction
            )));
        }
        let Some((&err, data)) = self.params.split_first() else {
            return Err(Error::Length("status packet without an ERR byte".into()));
        };
        Ok(StatusPacket {
            id: self.id,
            error: err & 0x7F,
            alert: err & 0x80 != 0,
            params: data.to_vec(),
        })
    }
}

/// Decode exactly one status packet.
pub fn decode_status(packet: &[u8]) -> Result<StatusPacket> {
    decode_packet(packet)?.into_status()
}

/// Reassemble packets from a byte stream that may hold garbage, partial packets and corrupt
/// bytes. It never panics and never grows without bound.
#[derive(Debug, Default)]
pub struct PacketParser {
    buf: Vec<u8>,
}

impl PacketParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Append received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Drop everything buffered.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Number of bytes waiting.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Return the next packet, an error for a corrupt one (after skipping past its first byte,
    /// so that a header inside it can still be found), or None when more bytes are needed.
    pub fn next_packet(&mut self) -> Option<Result<Packet>> {
        let start = match self.buf.windows(4).position(|w| w == HEADER) {
            Some(start) => start,
            None => {
                // Keep a tail that may be the beginning of a header.
                let keep = (1..=3.min(self.buf.len()))
                    .rev()
                    .find(|&k| HEADER.starts_with(&self.buf[self.buf.len() - k..]))
                    .unwrap_or(0);
                let drop = self.buf.len() - keep;
                self.buf.drain(..drop);
                return None;
            }
        };
        self.buf.drain(..start);
        if self.buf.len() < PREFIX {
            return None;
        }
        let len = u16::from_le_bytes([self.buf[5], self.buf[6]]) as usize;
        if !(3..=MAX_LEN).contains(&len) {
            self.buf.drain(..1);
            return Some(Err(Error::Length(format!("LEN {len} is out of range"))));
        }
        if self.buf.len() < PREFIX + len {
            return None;
        }
        let result = decode_packet(&self.buf[..PREFIX + len]);
        let consumed = if result.is_ok() { PREFIX + len } else { 1 };
        self.buf.drain(..consumed);
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace().map(|b| u8::from_str_radix(b, 16).expect("hex byte")).collect()
    }

    #[test]
    fn published_status_packets_decode_byte_exact() {
        // (bytes, id, error, alert, params)
        let cases: &[(&str, u8, u8, bool, &[u8])] = &[
            ("FF FF FD 00 01 07 00 55 00 06 04 26 65 5D", 1, 0, false, &[0x06, 0x04, 0x26]),
            ("FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0", 1, 0, false, &[0xA6, 0, 0, 0]),
            ("FF FF FD 00 01 04 00 55 00 A1 0C", 1, 0, false, &[]),
        ];
        for (bytes, id, error, alert, params) in cases {
            let status = decode_status(&hex(bytes)).expect(bytes);
            assert_eq!(status.id, *id);
            assert_eq!(status.error, *error);
            assert_eq!(status.alert, *alert);
            assert_eq!(status.params, *params);
        }
    }

    #[test]
    fn status_encoding_reproduces_published_replies() {
        let cases: &[(&str, u8, &[u8])] = &[
            ("FF FF FD 00 01 07 00 55 00 06 04 26 65 5D", 1, &[0x06, 0x04, 0x26]),
            ("FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0", 1, &[0xA6, 0, 0, 0]),
            ("FF FF FD 00 01 04 00 55 00 A1 0C", 1, &[]),
        ];
        for (bytes, id, data) in cases {
            assert_eq!(encode_status(*id, 0, data), hex(bytes), "{bytes}");
        }
    }

    #[test]
    fn err_byte_splits_into_error_number_and_alert() {
        let cases: &[(u8, u8, bool)] =
            &[(0x00, 0, false), (0x80, 0, true), (0x04, 4, false), (0x87, 7, true)];
        for &(err, error, alert) in cases {
            let status = decode_status(&encode_status(3, err, &[1, 2])).expect("valid");
            assert_eq!((status.error, status.alert), (error, alert), "ERR 0x{err:02X}");
        }
    }

    #[test]
    fn stuffing_table() {
        // (body before stuffing, body after)
        let cases: &[(&[u8], &[u8])] = &[
            (&[0x03, 0xFF, 0xFF, 0xFD], &[0x03, 0xFF, 0xFF, 0xFD, 0xFD]),
            (&[0xFF, 0xFF, 0xFD, 0xFD], &[0xFF, 0xFF, 0xFD, 0xFD, 0xFD]),
            (&[0xFF, 0xFF, 0xFF, 0xFD, 0x00], &[0xFF, 0xFF, 0xFF, 0xFD, 0xFD, 0x00]),
            (&[0xFF, 0xFD, 0xFF, 0xFF], &[0xFF, 0xFD, 0xFF, 0xFF]),
            (
                &[0xFF, 0xFF, 0xFD, 0xFF, 0xFF, 0xFD],
                &[0xFF, 0xFF, 0xFD, 0xFD, 0xFF, 0xFF, 0xFD, 0xFD],
            ),
        ];
        for (plain, stuffed) in cases {
            let mut out = Vec::new();
            stuff(plain, &mut out);
            assert_eq!(&out, stuffed, "stuff {plain:02X?}");
            assert_eq!(&unstuff(stuffed), plain, "unstuff {stuffed:02X?}");
        }
    }

    #[test]
    fn stuffing_that_spans_inst_and_params_round_trips() {
        // INST 0xFF followed by FF FD: the FF FF FD straddles the instruction byte.
        let packet = encode_packet(0, 0xFF, &[0xFF, 0xFD]);
        assert_eq!(&packet[7..11], &[0xFF, 0xFF, 0xFD, 0xFD]);
        let decoded = decode_packet(&packet).expect("valid");
        assert_eq!((decoded.instruction, decoded.params), (0xFF, vec![0xFF, 0xFD]));
    }

    #[test]
    fn stuffed_packet_length_counts_the_extra_byte() {
        let packet = encode_packet(1, 0x03, &[0x74, 0x00, 0xFF, 0xFF, 0xFD, 0x00]);
        // 4 header + id + 2 len + inst + 6 params + 1 stuffing + 2 crc
        assert_eq!(packet.len(), 17);
        assert_eq!(u16::from_le_bytes([packet[5], packet[6]]), 10);
        let decoded = decode_packet(&packet).expect("valid");
        assert_eq!(decoded.params, [0x74, 0x00, 0xFF, 0xFF, 0xFD, 0x00]);
    }

    #[test]
    fn decode_rejects_bad_packets_with_the_right_error() {
        let good = hex("FF FF FD 00 01 04 00 55 00 A1 0C");
        let mut bad_crc = good.clone();
        bad_crc[10] ^= 0x01;
        let mut bad_header = good.clone();
        bad_header[2] = 0xFE;
        let mut bad_len = good.clone();
        bad_len[5] = 0x05;
        assert!(matches!(decode_status(&bad_crc), Err(Error::Checksum { .. })));
        assert!(matches!(decode_status(&bad_header), Err(Error::Header)));
        assert!(matches!(decode_status(&bad_len), Err(Error::Length(_))));
        assert!(matches!(decode_status(&good[..9]), Err(Error::Length(_))));
        assert!(matches!(decode_status(&[]), Err(Error::Length(_))));
        assert!(matches!(decode_status(&[0x00]), Err(Error::Header)));
        assert!(matches!(
            decode_status(&hex("FF FF FD 00 01 03 00 01 19 4E")),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn parser_finds_packets_after_garbage_and_across_partial_reads() {
        let ping_reply = hex("FF FF FD 00 01 07 00 55 00 06 04 26 65 5D");
        let mut stream = vec![0x00, 0xFF, 0xFF, 0x13, 0xFD];
        stream.extend_from_slice(&ping_reply);
        stream.extend_from_slice(&[0xFF, 0xFF]);
        stream.extend_from_slice(&ping_reply);
        let mut parser = PacketParser::new();
        let mut found = Vec::new();
        for chunk in stream.chunks(3) {
            parser.feed(chunk);
            while let Some(result) = parser.next_packet() {
                found.push(result.expect("no corrupt packet in this stream"));
            }
        }
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|p| p.id == 1 && p.instruction == STATUS));
    }

    #[test]
    fn parser_reports_a_corrupt_packet_then_resynchronises() {
        let mut corrupt = encode_status(5, 0, &[1, 2, 3]);
        corrupt[9] ^= 0xFF;
        let good = encode_status(6, 0, &[4]);
        let mut parser = PacketParser::new();
        parser.feed(&corrupt);
        parser.feed(&good);
        assert!(matches!(parser.next_packet(), Some(Err(Error::Checksum { .. }))));
        let next = parser.next_packet().expect("a packet").expect("valid");
        assert_eq!(next.id, 6);
        assert!(parser.next_packet().is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn encode_then_decode_round_trips(
            id in 0u8..=0xFE,
            instruction in any::<u8>(),
            params in prop::collection::vec(prop_oneof![Just(0xFFu8), Just(0xFD), any::<u8>()], 0..200),
        ) {
            let packet = encode_packet(id, instruction, &params);
            let decoded = decode_packet(&packet).expect("own packets decode");
            prop_assert_eq!(decoded, Packet { id, instruction, params });
        }

        #[test]
        fn stuffed_bytes_never_hold_a_header(
            params in prop::collection::vec(prop_oneof![Just(0xFFu8), Just(0xFD), Just(0x00)], 0..100),
        ) {
            let packet = encode_packet(1, 0x03, &params);
            let body = &packet[7..packet.len() - 2];
            prop_assert!(!body.windows(4).any(|w| w == [0xFF, 0xFF, 0xFD, 0x00]));
        }

        #[test]
        fn parser_survives_random_bytes_and_finds_embedded_packets(
            noise in prop::collection::vec(any::<u8>(), 0..300),
            cut in 1usize..40,
            data in prop::collection::vec(any::<u8>(), 0..20),
        ) {
            let packet = encode_status(7, 0, &data);
            let mut stream = noise.clone();
            // Garbage may end in a header prefix that swallows the packet's first bytes; a
            // zero byte cannot be part of any header prefix, so it makes the boundary clean.
            stream.push(0x00);
            stream.extend_from_slice(&packet);
            let mut parser = PacketParser::new();
            let mut found = false;
            for chunk in stream.chunks(cut) {
                parser.feed(chunk);
                while let Some(result) = parser.next_packet() {
                    if let Ok(p) = result {
                        if p.id == 7 && p.params.get(1..) == Some(&data[..]) {
                            found = true;
                        }
                    }
                }
                prop_assert!(parser.buffered() <= stream.len());
            }
            prop_assert!(found);
        }

    }

    proptest! {
        // The fuzz target: bounded so that it runs in seconds inside `cargo test`.
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn parser_never_panics_on_random_bytes(
            bytes in prop::collection::vec(prop_oneof![Just(0xFFu8), Just(0xFD), Just(0x00), any::<u8>()], 0..1500),
            cut in 1usize..64,
        ) {
            let mut parser = PacketParser::new();
            for chunk in bytes.chunks(cut) {
                parser.feed(chunk);
                while parser.next_packet().is_some() {}
            }
            prop_assert!(parser.buffered() < MAX_LEN + 7 + 64);
        }
    }
}
