//! The simulated motors' side of Protocol 2.0: which motor answers an instruction, and what.

use std::time::{Duration, Instant};

use super::motor::{SimMotor, FIRMWARE};
use crate::protocol::{self, Packet};

/// Instruction Error: the motor does not know the instruction.
const INSTRUCTION_ERROR: u8 = 2;

/// Everything behind the SimBus lock.
#[derive(Debug)]
pub(crate) struct SimState {
    pub(crate) motors: Vec<SimMotor>,
    pub(crate) last_step: Instant,
    pub(crate) unplugged: bool,
    pub(crate) reply_delay: Duration,
    /// Baud Rate code of the bus speed; a motor set to another speed hears only noise.
    pub(crate) bus_code: Option<u8>,
    /// Fault injection: the next packet handled panics (as a bug in a driver would).
    pub(crate) panic_next: bool,
}

impl SimState {
    pub(crate) fn step(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last_step).as_secs_f64();
        self.last_step = now;
        for motor in &mut self.motors {
            motor.step(dt, now);
        }
    }

    pub(crate) fn motor_mut(&mut self, id: u8) -> Option<&mut SimMotor> {
        self.motors.iter_mut().find(|m| m.id == id)
    }

    /// The motor with this id that hears the bus, if any.
    fn listener(&mut self, id: u8) -> Option<&mut SimMotor> {
        let code = self.bus_code;
        self.motors.iter_mut().find(|m| m.id == id && m.listens(code))
    }

    fn status(motor: &SimMotor, error: u8, data: &[u8]) -> Vec<u8> {
        let mut packet = protocol::encode_status(motor.id, motor.err_byte(error), data);
        if motor.corrupt_crc {
            corrupt(&mut packet);
        }
        packet
    }

    /// Answer one instruction packet: the replies, in the order they go on the wire.
    pub(crate) fn handle(&mut self, packet: &Packet) -> Vec<Vec<u8>> {
        if std::mem::take(&mut self.panic_next) {
            panic!("simulated fault: injected panic while handling a packet");
        }
        let now = Instant::now();
        self.step(now);
        // Any instruction packet on the bus resets every motor's watchdog timer.
        for motor in &mut self.motors {
            motor.last_instruction = now;
        }
        let p = &packet.params;
        let broadcast = packet.id == protocol::BROADCAST;
        let targets: Vec<u8> =
            if broadcast { self.motors.iter().map(|m| m.id).collect() } else { vec![packet.id] };
        let mut replies = Vec::new();
        match packet.instruction {
            protocol::PING => {
                for id in targets {
                    if let Some(m) = self.listener(id) {
                        let [lo, hi] = m.model.to_le_bytes();
                        replies.push(Self::status(m, 0, &[lo, hi, FIRMWARE]));
                    }
                }
            }
            protocol::READ if p.len() == 4 && !broadcast => {
                let (address, length) =
                    (u16::from_le_bytes([p[0], p[1]]), u16::from_le_bytes([p[2], p[3]]));
                if let Some(m) = self.listener(packet.id) {
                    replies.push(match m.read(address, length) {
                        Ok(data) => Self::status(m, 0, &data),
                        Err(e) => Self::status(m, e, &[]),
                    });
                }
            }
            protocol::WRITE if p.len() > 2 => {
                let address = u16::from_le_bytes([p[0], p[1]]);
                for id in targets {
                    if let Some(m) = self.listener(id) {
                        m.writes += 1;
                        // The status goes out under the id the motor had when it was asked.
                        let asked = m.clone();
                        let result = m.write(address, &p[2..]);
                        if !broadcast {
                            replies.push(Self::status(&asked, result.err().unwrap_or(0), &[]));
                        }
                    }
                }
            }
            protocol::REBOOT => {
                for id in targets {
                    if let Some(m) = self.listener(id) {
                        if !broadcast {
                            replies.push(Self::status(m, 0, &[]));
                        }
                        m.reboot();
                    }
                }
            }
            protocol::SYNC_READ | protocol::FAST_SYNC_READ if p.len() >= 4 => {
                let (address, length) =
                    (u16::from_le_bytes([p[0], p[1]]), u16::from_le_bytes([p[2], p[3]]));
                let fast = packet.instruction == protocol::FAST_SYNC_READ;
                self.sync_read(address, length, &p[4..], fast, &mut replies);
            }
            protocol::SYNC_WRITE if p.len() >= 4 => {
                let address = u16::from_le_bytes([p[0], p[1]]);
                let length = u16::from_le_bytes([p[2], p[3]]) as usize;
                for block in p[4..].chunks(length + 1) {
                    if block.len() != length + 1 {
                        break;
                    }
                    if let Some(m) = self.listener(block[0]) {
                        // Sync write has no reply, so a refused write (an EEPROM item with
                        // torque on, a goal outside the limits) is silently dropped, as on the
                        // real bus.
                        let _ = m.write(address, &block[1..]);
                    }
                }
            }
            _ => {
                if !broadcast {
                    if let Some(m) = self.listener(packet.id) {
                        replies.push(Self::status(m, INSTRUCTION_ERROR, &[]));
                    }
                }
            }
        }
        replies
    }

    fn sync_read(
        &mut self,
        address: u16,
        length: u16,
        ids: &[u8],
        fast: bool,
        replies: &mut Vec<Vec<u8>>,
    ) {
        let code = self.bus_code;
        let mut blocks: Vec<(u8, u8, Vec<u8>)> = Vec::new();
        // Index of the first silent motor of a fast sync read, where its chain stops.
        let mut broken_at = None;
        let mut corrupt_any = false;
        for &id in ids {
            let Some(m) = self.motor_mut(id) else { continue };
            if !m.listens(code) {
                broken_at.get_or_insert(blocks.len());
                if fast {
                    blocks.push((0, id, vec![0; length as usize]));
                }
                continue;
            }
            let (err, data) = match m.read(address, length) {
                Ok(data) => (m.err_byte(0), data),
                Err(e) => (m.err_byte(e), vec![0; length as usize]),
            };
            if fast {
                corrupt_any |= m.corrupt_crc;
                blocks.push((err, id, data));
            } else {
                let mut reply = protocol::encode_status(id, err, &data);
                if m.corrupt_crc {
                    corrupt(&mut reply);
                }
                replies.push(reply);
            }
        }
        if fast && !blocks.is_empty() {
            let refs: Vec<(u8, u8, &[u8])> =
                blocks.iter().map(|(e, id, d)| (*e, *id, d.as_slice())).collect();
            let mut reply = protocol::encode_fast_sync_reply(&refs);
            if let Some(k) = broken_at {
                // The motors before the silent one answered; the packet never completes.
                reply.truncate(8 + k * (length as usize + 4));
            } else if corrupt_any {
                corrupt(&mut reply);
            }
            replies.push(reply);
        }
    }
}

fn corrupt(packet: &mut [u8]) {
    if let Some(last) = packet.last_mut() {
        *last ^= 0x5A;
    }
}
