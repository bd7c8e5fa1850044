//! Transports (serial port, simulated bus, pseudo-terminal) and the transactions on top.

pub mod pty;
pub mod serial;
pub mod sim;

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::protocol::{self, FastBlock, PacketParser, StatusPacket, STATUS_INSTRUCTION};
use crate::registers::Register;
use crate::timing::wire_time;

/// A half-duplex byte pipe to the motors.
pub trait Transport: Send {
    /// Discard stray input, then send the bytes.
    fn send(&mut self, bytes: &[u8]) -> Result<()>;
    /// Read what arrives, waiting at most until deadline; Ok(0) when nothing came.
    fn recv(&mut self, buf: &mut [u8], deadline: Instant) -> Result<usize>;
    /// Close and open the port again (after an I/O error).
    fn reopen(&mut self) -> Result<()>;
    /// Bits per second on the wire.
    fn baudrate(&self) -> u32;
}

/// Result of one motor in a sync read: its data and alert flag, or why it is missing.
pub type MotorRead = Result<(Vec<u8>, bool)>;

/// Protocol transactions over a transport.
pub struct Bus {
    transport: Box<dyn Transport>,
    parser: PacketParser,
    timeout: Duration,
    /// Corrupt packets seen since the last call to `take_checksum_errors`.
    checksum_errors: u64,
}

impl Bus {
    pub fn new(transport: Box<dyn Transport>, timeout: Duration) -> Self {
        Bus { transport, parser: PacketParser::new(), timeout, checksum_errors: 0 }
    }

    pub fn baudrate(&self) -> u32 {
        self.transport.baudrate()
    }

    /// Wire time of n bytes.
    pub fn wire_time(&self, bytes: usize) -> Duration {
        wire_time(bytes, self.transport.baudrate())
    }

    pub fn reopen(&mut self) -> Result<()> {
        self.parser.clear();
        self.transport.reopen()
    }

    /// Number of corrupt packets dropped since the last call.
    pub fn take_checksum_errors(&mut self) -> u64 {
        std::mem::take(&mut self.checksum_errors)
    }

    fn send(&mut self, packet: &[u8]) -> Result<()> {
        self.parser.clear();
        self.transport.send(packet)
    }

    /// Next status packet, or Timeout at deadline. Corrupt packets are counted and skipped.
    fn recv_status(&mut self, deadline: Instant, id: u8) -> Result<StatusPacket> {
        let mut buf = [0u8; 512];
        loop {
            while let Some(result) = self.parser.next_packet() {
                match result {
                    Ok(packet) if packet.instruction == STATUS_INSTRUCTION => {
                        return packet.into_status();
                    }
                    // Our own instruction echoed by an adapter that loops TX back to RX.
                    Ok(_) => {}
                    Err(Error::Checksum { .. }) => self.checksum_errors += 1,
                    Err(_) => {}
                }
            }
            let n = self.transport.recv(&mut buf, deadline)?;
            if n == 0 {
                return Err(Error::Timeout { id });
            }
            self.parser.feed(&buf[..n]);
        }
    }

    fn deadline(&self, reply_bytes: usize) -> Instant {
        Instant::now() + self.wire_time(reply_bytes) + self.timeout
    }

    /// Send one instruction to one motor and wait for its status.
    fn transact(&mut self, id: u8, packet: &[u8], reply_params: usize) -> Result<StatusPacket> {
        self.send(packet)?;
        let deadline = self.deadline(11 + reply_params);
        let status = self.recv_status(deadline, id)?;
        if status.id != id {
            return Err(Error::IncorrectId { expected: id, got: status.id });
        }
        if status.error != 0 {
            return Err(Error::Status { id, error: status.error });
        }
        Ok(status)
    }

    /// Ping one motor; return its model number.
    pub fn ping(&mut self, id: u8) -> Result<u16> {
        let status = self.transact(id, &protocol::ping(id), 3)?;
        protocol::le_u16(&status.params).ok_or_else(|| Error::Length("short ping reply".into()))
    }

    /// Read bytes from one motor.
    pub fn read(&mut self, id: u8, address: u16, length: u16) -> Result<Vec<u8>> {
        let status = self.transact(id, &protocol::read(id, address, length), length as usize)?;
        if status.params.len() != length as usize {
            return Err(Error::Length(format!(
                "read of {length} bytes answered with {}",
                status.params.len()
            )));
        }
        Ok(status.params)
    }

    /// Write bytes to one motor and wait for its acknowledgement.
    pub fn write(&mut self, id: u8, address: u16, data: &[u8]) -> Result<()> {
        self.transact(id, &protocol::write(id, address, data), 0).map(|_| ())
    }

    /// Read one register of one motor and decode it with its size and sign.
    pub fn read_register(&mut self, id: u8, register: Register) -> Result<i64> {
        let data = self.read(id, register.address, register.size)?;
        register.decode(&data)
    }

    /// Write one register of one motor; a value the register cannot hold never goes out.
    pub fn write_register(&mut self, id: u8, register: Register, value: i64) -> Result<()> {
        let data = register.encode(value)?;
        self.write(id, register.address, &data)
    }

    /// Reboot one motor.
    pub fn reboot(&mut self, id: u8) -> Result<()> {
        self.transact(id, &protocol::reboot(id), 0).map(|_| ())
    }

    /// Sync read: one result per id, in order. Err only when the transport itself failed.
    pub fn sync_read(&mut self, ids: &[u8], address: u16, length: u16) -> Result<Vec<MotorRead>> {
        self.send(&protocol::sync_read(address, length, ids))?;
        let deadline = self.deadline(ids.len() * (11 + length as usize));
        let mut results: Vec<MotorRead> =
            ids.iter().map(|&id| Err(Error::Timeout { id })).collect();
        let mut missing = ids.len();
        while missing > 0 {
            let status = match self.recv_status(deadline, 0xFF) {
                Ok(status) => status,
                Err(Error::Timeout { .. }) => break,
                Err(Error::Io(msg)) => return Err(Error::Io(msg)),
                Err(_) => continue,
            };
            let Some(k) = ids.iter().position(|&id| id == status.id) else { continue };
            if results[k].is_ok() {
                continue;
            }
            results[k] = if status.error != 0 {
                Err(Error::Status { id: status.id, error: status.error })
            } else if status.params.len() != length as usize {
                Err(Error::Length(format!(
                    "motor {} sent {} bytes",
                    status.id,
                    status.params.len()
                )))
            } else {
                Ok((status.params, status.alert))
            };
            missing -= 1;
        }
        Ok(results)
    }

    /// Fast sync read: every motor answers in one packet; any fault fails the whole read.
    pub fn fast_sync_read(
        &mut self,
        ids: &[u8],
        address: u16,
        length: u16,
    ) -> Result<Vec<FastBlock>> {
        self.send(&protocol::fast_sync_read(address, length, ids))?;
        let deadline = self.deadline(10 + ids.len() * (4 + length as usize));
        let status = self.recv_status(deadline, protocol::BROADCAST)?;
        let blocks = protocol::parse_fast_sync_read(&status, length as usize)?;
        if blocks.len() != ids.len() || blocks.iter().zip(ids).any(|(b, &id)| b.id != id) {
            return Err(Error::Malformed(
                "fast sync read reply does not list the ids asked".into(),
            ));
        }
        Ok(blocks)
    }

    /// Sync write (no reply).
    pub fn sync_write(&mut self, address: u16, length: u16, blocks: &[(u8, &[u8])]) -> Result<()> {
        let packet = protocol::sync_write(address, length, blocks)?;
        self.send(&packet)
    }
}
