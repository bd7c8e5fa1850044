//! CRC-16 of Protocol 2.0: polynomial 0x8005, initial value 0, not reflected, no final XOR.

const POLY: u16 = 0x8005;

/// One entry per byte value, built at compile time.
const TABLE: [u16; 256] = build_table();

const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ POLY } else { crc << 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// Continue a CRC over more bytes.
pub fn crc16_update(mut crc: u16, data: &[u8]) -> u16 {
    for &byte in data {
        let index = ((crc >> 8) as u8 ^ byte) as usize;
        crc = (crc << 8) ^ TABLE[index];
    }
    crc
}

/// CRC of data, as sent little-endian at the end of every packet.
pub fn crc16(data: &[u8]) -> u16 {
    crc16_update(0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-by-bit reference, to check the table.
    fn crc16_bitwise(data: &[u8]) -> u16 {
        let mut crc = 0u16;
        for &byte in data {
            crc ^= (byte as u16) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 { (crc << 1) ^ POLY } else { crc << 1 };
            }
        }
        crc
    }

    #[test]
    fn check_value_of_123456789_is_fee8() {
        assert_eq!(crc16(b"123456789"), 0xFEE8);
    }

    #[test]
    fn crc_of_published_packets_matches_their_last_two_bytes() {
        let cases: &[&[u8]] = &[
            &[0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x03, 0x00, 0x01, 0x19, 0x4E],
            &[0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x07, 0x00, 0x55, 0x00, 0x06, 0x04, 0x26, 0x65, 0x5D],
            &[0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x07, 0x00, 0x02, 0x84, 0x00, 0x04, 0x00, 0x1D, 0x15],
            &[0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x04, 0x00, 0x55, 0x00, 0xA1, 0x0C],
        ];
        for packet in cases {
            let n = packet.len();
            let sent = u16::from_le_bytes([packet[n - 2], packet[n - 1]]);
            assert_eq!(crc16(&packet[..n - 2]), sent, "{packet:02X?}");
        }
    }

    #[test]
    fn table_agrees_with_bitwise_reference() {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for end in 0..data.len() {
            assert_eq!(crc16(&data[..end]), crc16_bitwise(&data[..end]));
        }
    }

    #[test]
    fn update_in_pieces_equals_whole() {
        let data = b"FF FF FD 00 reachy mini";
        let split = crc16_update(crc16(&data[..7]), &data[7..]);
        assert_eq!(split, crc16(data));
    }
}
