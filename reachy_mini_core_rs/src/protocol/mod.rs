//! Dynamixel Protocol 2.0: CRC, byte stuffing, packets and instructions. Pure, no I/O.

pub mod crc;
pub mod instruction;
pub mod packet;

pub use crc::crc16;
pub use instruction::*;
pub use packet::{
    decode_packet, decode_status, encode_packet, encode_status, Packet, PacketParser, StatusPacket,
    HEADER, STATUS as STATUS_INSTRUCTION,
};
