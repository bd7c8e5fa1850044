//! A simulated bus: the nine motors of Reachy Mini answering real Protocol 2.0 packets.
//!
//! `motor` models one XL330 (control table and physics), `dispatch` decides which motor answers
//! an instruction and what, and the transport below puts every packet on a virtual wire at the
//! baud rate, so rates measured on this bus respect the real wire limit.

mod dispatch;
mod motor;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Transport;
use crate::error::{Error, Result};
use crate::joints::{HOMING_OFFSETS, MOTOR_IDS};
use crate::kinematics;
use crate::protocol::{Packet, PacketParser};
use crate::registers;
use crate::timing::{sleep_until, wire_time};
use dispatch::SimState;
pub use motor::SimMotor;

/// Replies completing this close together are handed over in one read.
const RX_BATCH: Duration = Duration::from_micros(500);

/// The shared simulated bus; clones share the same motors.
#[derive(Debug, Clone)]
pub struct SimBus {
    state: Arc<Mutex<SimState>>,
    baudrate: u32,
}

impl SimBus {
    /// Nine motors flashed as the robot table says, holding the head at its neutral pose.
    pub fn new(baudrate: u32) -> Self {
        Self::with_motors(baudrate, false)
    }

    /// Nine motors with the e-manual's factory settings except their id and baud rate, as
    /// they are before the motor setup flashes them, in the same physical positions as `new`.
    pub fn factory_fresh(baudrate: u32) -> Self {
        Self::with_motors(baudrate, true)
    }

    fn with_motors(baudrate: u32, factory_fresh: bool) -> Self {
        let now = Instant::now();
        let bus_code = registers::baud_rate_code(baudrate);
        // Motors set for an unlisted speed keep 1 Mbaud's code; the bus hears them anyway.
        let code = bus_code.unwrap_or(3);
        // The Stewart motors start where they hold the head at its neutral pose, the body and
        // antennas at 0 rad; those are positions of a flashed motor, homing offset included.
        let neutral = kinematics::neutral_angles();
        let motors = (0..MOTOR_IDS.len())
            .map(|k| {
                let mut motor = if factory_fresh {
                    SimMotor::factory_fresh(
                        MOTOR_IDS[k],
                        crate::joints::MODEL_NUMBERS[k],
                        code,
                        now,
                    )
                } else {
                    SimMotor::flashed(k, code, now)
                };
                let flashed = if (1..=6).contains(&k) { neutral[k - 1] } else { 0.0 };
                // Same encoder position without the table's offset: present = encoder + offset.
                let offset = if factory_fresh { HOMING_OFFSETS[k] } else { 0 };
                motor.place(flashed - offset as f64 * 2.0 * std::f64::consts::PI / 4096.0);
                motor
            })
            .collect();
        let state = SimState {
            motors,
            last_step: now,
            unplugged: false,
            reply_delay: Duration::ZERO,
            bus_code,
            panic_next: false,
        };
        SimBus { state: Arc::new(Mutex::new(state)), baudrate: baudrate.max(1) }
    }

    pub fn baudrate(&self) -> u32 {
        self.baudrate
    }

    /// A poisoned lock only means a panic elsewhere; the motor state is still consistent.
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with_motor<T>(&self, id: u8, f: impl FnOnce(&mut SimMotor) -> T) -> Result<T> {
        let mut state = self.lock();
        state.step(Instant::now());
        state
            .motor_mut(id)
            .map(f)
            .ok_or_else(|| Error::Limit(format!("no simulated motor with id {id}")))
    }

    pub fn set_unresponsive(&self, id: u8, unresponsive: bool) -> Result<()> {
        self.with_motor(id, |m| m.unresponsive = unresponsive)
    }

    pub fn set_crc_corruption(&self, id: Option<u8>, corrupt: bool) -> Result<()> {
        match id {
            Some(id) => self.with_motor(id, |m| m.corrupt_crc = corrupt),
            None => {
                self.lock().motors.iter_mut().for_each(|m| m.corrupt_crc = corrupt);
                Ok(())
            }
        }
    }

    pub fn inject_hardware_error(&self, id: u8, bits: u8) -> Result<()> {
        self.with_motor(id, |m| m.trip(bits))
    }

    pub fn set_unplugged(&self, unplugged: bool) {
        self.lock().unplugged = unplugged;
    }

    pub fn unplugged(&self) -> bool {
        self.lock().unplugged
    }

    pub fn set_reply_delay(&self, delay: Duration) {
        self.lock().reply_delay = delay;
    }

    pub fn reply_delay(&self) -> Duration {
        self.lock().reply_delay
    }

    /// Make the handling of the next packet panic, in whichever thread sends it.
    pub fn inject_panic(&self) {
        self.lock().panic_next = true;
    }

    /// Copy of one motor's state, brought up to now.
    pub fn motor(&self, id: u8) -> Result<SimMotor> {
        self.with_motor(id, |m| m.clone())
    }

    /// Answer one instruction packet (already on the wire).
    pub fn handle(&self, packet: &Packet) -> Vec<Vec<u8>> {
        self.lock().handle(packet)
    }
}

/// The simulated bus seen through the transport trait, with wire timing.
pub struct SimTransport {
    sim: SimBus,
    parser: PacketParser,
    /// Replies not yet read: the time their last byte is on the wire, and the bytes.
    rx: VecDeque<(Instant, Vec<u8>)>,
    /// When the wire is free again: an instruction starts after the previous packets.
    busy_until: Instant,
}

impl SimTransport {
    pub fn new(sim: SimBus) -> Self {
        SimTransport {
            sim,
            parser: PacketParser::new(),
            rx: VecDeque::new(),
            busy_until: Instant::now(),
        }
    }

    fn check_plugged(&self) -> Result<()> {
        if self.sim.unplugged() {
            return Err(Error::Io("simulated port disconnected".into()));
        }
        Ok(())
    }
}

impl Transport for SimTransport {
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.check_plugged()?;
        self.rx.clear();
        let baud = self.sim.baudrate();
        // The instruction goes on the wire once it is free; send returns at once (like a
        // write into the UART's buffer) and the replies carry the times they complete, so
        // every transaction still costs its wire time without waking the caller twice.
        let tx_end = self.busy_until.max(Instant::now()) + wire_time(bytes.len(), baud);
        self.busy_until = tx_end;
        self.parser.feed(bytes);
        let mut t = tx_end + self.sim.reply_delay();
        while let Some(result) = self.parser.next_packet() {
            // A corrupt instruction is ignored by the motors, as on the real bus.
            let Ok(packet) = result else { continue };
            for reply in self.sim.handle(&packet) {
                t += wire_time(reply.len(), baud);
                self.rx.push_back((t, reply));
                self.busy_until = t;
            }
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], deadline: Instant) -> Result<usize> {
        self.check_plugged()?;
        let Some(&(first, _)) = self.rx.front() else {
            sleep_until(deadline);
            self.check_plugged()?;
            return Ok(0);
        };
        if first > deadline {
            sleep_until(deadline);
            return Ok(0);
        }
        // Hand over the replies that complete within RX_BATCH of the first one together, as a
        // USB adapter's latency timer does: bytes may come a little late, never early, and the
        // loop thread wakes up once per batch instead of once per reply.
        let until = self
            .rx
            .iter()
            .map(|(ready, _)| *ready)
            .take_while(|ready| *ready <= first + RX_BATCH && *ready <= deadline)
            .last()
            .unwrap_or(first);
        sleep_until(until);
        let mut n = 0;
        while let Some((ready, mut bytes)) = self.rx.pop_front() {
            if ready > until || n == buf.len() {
                self.rx.push_front((ready, bytes));
                break;
            }
            let take = bytes.len().min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&bytes[..take]);
            n += take;
            if take < bytes.len() {
                bytes.drain(..take);
                self.rx.push_front((ready, bytes));
                break;
            }
        }
        Ok(n)
    }

    fn reopen(&mut self) -> Result<()> {
        self.rx.clear();
        self.parser.clear();
        self.check_plugged()
    }

    fn baudrate(&self) -> u32 {
        self.sim.baudrate()
    }
}

#[cfg(test)]
mod tests;
