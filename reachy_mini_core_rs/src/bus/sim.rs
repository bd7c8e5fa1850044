//! A simulated bus: the nine motors of Reachy Mini answering real Protocol 2.0 packets.
//!
//! Motion is first order toward the goal under a velocity limit, current grows with the
//! tracking error, and the motors heat with the square of the current. Every packet costs its
//! wire time at the baud rate, so rates measured on this bus respect the real wire limit.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Transport;
use crate::error::{Error, Result};
use crate::joints::{
    addr, rad_to_ticks, ticks_to_rad, HW_ERROR_OVERHEATING, MODEL_NUMBERS, MOTOR_IDS,
    VELOCITY_UNIT_RAD_S,
};
use crate::kinematics;
use crate::protocol::{self, Packet, PacketParser};
use crate::timing::{sleep_until, wire_time};

/// Time constant of the position response.
const TAU_S: f64 = 0.05;
/// Speed limit when Goal Velocity is 0 (XL330-M288 no-load speed is about 10 rad/s).
const DEFAULT_MAX_SPEED: f64 = 6.0;
/// Heat model: steady-state rise of 45 °C at 1 A, thermal time constant 60 s.
const HEAT_RISE_PER_A2: f64 = 45.0;
const THERMAL_TAU_S: f64 = 60.0;
const AMBIENT_C: f64 = 28.0;
/// Current drawn at rest with torque on, and per radian of tracking error.
const HOLD_CURRENT_MA: f64 = 30.0;
const CURRENT_PER_RAD_MA: f64 = 4000.0;
/// Control-table bytes that a write may touch.
const WRITABLE: &[u16] = &[9, 11, 31, 63, 64, 98, 102, 103, 104, 105, 106, 107, 116, 117, 118, 119];
const TABLE_SIZE: usize = 148;
/// Bus Watchdog value read back after it tripped (-1 as a signed byte).
const WATCHDOG_TRIPPED: u8 = 0xFF;
const FIRMWARE: u8 = 52;
/// Replies completing this close together are handed over in one read.
const RX_BATCH: Duration = Duration::from_micros(500);

/// Internal state of one simulated motor.
#[derive(Debug, Clone, PartialEq)]
pub struct SimMotor {
    pub id: u8,
    pub model: u16,
    pub position: f64,
    pub velocity: f64,
    pub goal: f64,
    pub current_ma: f64,
    pub torque_enabled: bool,
    pub temperature: f64,
    pub voltage: f64,
    pub hardware_error: u8,
    pub shutdown: u8,
    pub watchdog: u8,
    pub goal_current: u16,
    pub goal_velocity: u32,
    pub operating_mode: u8,
    pub return_delay: u8,
    pub temperature_limit: u8,
    pub unresponsive: bool,
    pub corrupt_crc: bool,
    last_instruction: Instant,
}

impl SimMotor {
    fn new(id: u8, model: u16, now: Instant) -> Self {
        SimMotor {
            id,
            model,
            position: 0.0,
            velocity: 0.0,
            goal: 0.0,
            current_ma: 0.0,
            torque_enabled: false,
            temperature: AMBIENT_C,
            voltage: 5.0,
            hardware_error: 0,
            shutdown: crate::joints::SHUTDOWN[0],
            watchdog: 0,
            goal_current: 1750,
            goal_velocity: 0,
            operating_mode: 3,
            return_delay: 0,
            temperature_limit: 70,
            unresponsive: false,
            corrupt_crc: false,
            last_instruction: now,
        }
    }

    fn err_byte(&self, error: u8) -> u8 {
        error | if self.hardware_error != 0 { 0x80 } else { 0 }
    }

    fn trip(&mut self, bits: u8) {
        self.hardware_error |= bits;
        if self.hardware_error & self.shutdown != 0 {
            self.torque_enabled = false;
        }
    }

    fn step(&mut self, dt: f64, now: Instant) {
        if self.watchdog != 0 && self.watchdog != WATCHDOG_TRIPPED && self.torque_enabled {
            let limit = Duration::from_millis(20 * self.watchdog as u64);
            if now.duration_since(self.last_instruction) > limit {
                self.watchdog = WATCHDOG_TRIPPED;
                self.goal = self.position;
            }
        }
        // Integrate in steps of at most 1 ms; after a long idle the motor has long settled.
        let mut left = dt.min(2.0);
        while left > 0.0 {
            let h = left.min(0.001);
            left -= h;
            if self.torque_enabled {
                let max_speed = if self.goal_velocity > 0 {
                    self.goal_velocity as f64 * VELOCITY_UNIT_RAD_S
                } else {
                    DEFAULT_MAX_SPEED
                };
                let error = self.goal - self.position;
                self.velocity = (error / TAU_S).clamp(-max_speed, max_speed);
                self.position += self.velocity * h;
                let magnitude = (HOLD_CURRENT_MA + CURRENT_PER_RAD_MA * error.abs())
                    .min(self.goal_current as f64);
                self.current_ma = if error < 0.0 { -magnitude } else { magnitude };
            } else {
                self.velocity = 0.0;
                self.current_ma = 0.0;
            }
            let amps = self.current_ma / 1000.0;
            let rise = HEAT_RISE_PER_A2 * amps * amps - (self.temperature - AMBIENT_C);
            self.temperature += rise * h / THERMAL_TAU_S;
        }
        if self.temperature >= self.temperature_limit as f64 {
            self.trip(HW_ERROR_OVERHEATING);
        }
    }

    fn table(&self) -> [u8; TABLE_SIZE] {
        let mut t = [0u8; TABLE_SIZE];
        t[0..2].copy_from_slice(&self.model.to_le_bytes());
        t[6] = FIRMWARE;
        t[7] = self.id;
        t[8] = 3;
        t[9] = self.return_delay;
        t[11] = self.operating_mode;
        t[31] = self.temperature_limit;
        t[63] = self.shutdown;
        t[64] = self.torque_enabled as u8;
        t[70] = self.hardware_error;
        t[98] = self.watchdog;
        t[102..104].copy_from_slice(&self.goal_current.to_le_bytes());
        t[104..108].copy_from_slice(&self.goal_velocity.to_le_bytes());
        t[116..120].copy_from_slice(&rad_to_ticks(self.goal).to_le_bytes());
        t[126..128].copy_from_slice(&(self.current_ma.round() as i16).to_le_bytes());
        let vel = (self.velocity / VELOCITY_UNIT_RAD_S).round() as i32;
        t[128..132].copy_from_slice(&vel.to_le_bytes());
        t[132..136].copy_from_slice(&rad_to_ticks(self.position).to_le_bytes());
        t[144..146].copy_from_slice(&((self.voltage * 10.0).round() as u16).to_le_bytes());
        t[146] = self.temperature.round().clamp(0.0, 255.0) as u8;
        t
    }

    fn read(&self, address: u16, length: u16) -> std::result::Result<Vec<u8>, u8> {
        let (a, n) = (address as usize, length as usize);
        if a + n > TABLE_SIZE {
            return Err(7);
        }
        Ok(self.table()[a..a + n].to_vec())
    }

    /// Apply a write; Err holds the Protocol 2.0 error number.
    fn write(&mut self, address: u16, data: &[u8]) -> std::result::Result<(), u8> {
        let touched: Vec<u16> = (address..address.saturating_add(data.len() as u16)).collect();
        if data.is_empty() || touched.iter().any(|a| !WRITABLE.contains(a)) {
            return Err(7);
        }
        if self.torque_enabled && touched.iter().any(|&a| a < addr::TORQUE_ENABLE) {
            return Err(7);
        }
        let mut t = self.table();
        t[address as usize..address as usize + data.len()].copy_from_slice(data);
        let touches =
            |start: u16, size: u16| touched.iter().any(|&a| a >= start && a < start + size);
        let goal_write = touches(addr::GOAL_POSITION, 4)
            || touches(addr::GOAL_VELOCITY, 4)
            || touches(addr::GOAL_CURRENT, 2);
        if goal_write && self.watchdog == WATCHDOG_TRIPPED {
            return Err(4);
        }
        let goal_ticks = i32::from_le_bytes([t[116], t[117], t[118], t[119]]);
        if touches(addr::GOAL_POSITION, 4) && !(0..=4095).contains(&goal_ticks) {
            return Err(6);
        }
        let watchdog = t[98];
        if touches(addr::BUS_WATCHDOG, 1) && watchdog > 127 {
            return Err(4);
        }
        let torque = t[64] != 0;
        if touches(addr::TORQUE_ENABLE, 1) && torque && self.hardware_error & self.shutdown != 0 {
            return Err(1);
        }
        self.return_delay = t[9];
        self.operating_mode = t[11];
        self.temperature_limit = t[31];
        self.shutdown = t[63];
        self.torque_enabled = torque;
        self.watchdog = watchdog;
        self.goal_current = u16::from_le_bytes([t[102], t[103]]);
        self.goal_velocity = u32::from_le_bytes([t[104], t[105], t[106], t[107]]);
        if touches(addr::GOAL_POSITION, 4) {
            self.goal = ticks_to_rad(goal_ticks);
        }
        Ok(())
    }

    fn reboot(&mut self) {
        self.hardware_error = 0;
        self.torque_enabled = false;
        self.watchdog = 0;
        self.goal = self.position;
        self.velocity = 0.0;
        self.current_ma = 0.0;
    }
}

/// Everything behind the SimBus lock.
#[derive(Debug)]
struct SimState {
    motors: Vec<SimMotor>,
    last_step: Instant,
    unplugged: bool,
    reply_delay: Duration,
    /// Fault injection: the next packet handled panics (as a bug in a driver would).
    panic_next: bool,
}

impl SimState {
    fn step(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last_step).as_secs_f64();
        self.last_step = now;
        for motor in &mut self.motors {
            motor.step(dt, now);
        }
    }

    fn motor_mut(&mut self, id: u8) -> Option<&mut SimMotor> {
        self.motors.iter_mut().find(|m| m.id == id)
    }

    fn status(motor: &SimMotor, error: u8, data: &[u8]) -> Vec<u8> {
        let mut packet = protocol::encode_status(motor.id, motor.err_byte(error), data);
        if motor.corrupt_crc {
            corrupt(&mut packet);
        }
        packet
    }

    /// Answer one instruction packet: the replies, in the order they go on the wire.
    fn handle(&mut self, packet: &Packet) -> Vec<Vec<u8>> {
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
        let targets: Vec<u8> = if packet.id == protocol::BROADCAST {
            self.motors.iter().map(|m| m.id).collect()
        } else {
            vec![packet.id]
        };
        let mut replies = Vec::new();
        match packet.instruction {
            protocol::PING => {
                for id in targets {
                    if let Some(m) = self.motor_mut(id).filter(|m| !m.unresponsive) {
                        let [lo, hi] = m.model.to_le_bytes();
                        replies.push(Self::status(m, 0, &[lo, hi, FIRMWARE]));
                    }
                }
            }
            protocol::READ if p.len() == 4 && packet.id != protocol::BROADCAST => {
                let (address, length) =
                    (u16::from_le_bytes([p[0], p[1]]), u16::from_le_bytes([p[2], p[3]]));
                if let Some(m) = self.motor_mut(packet.id).filter(|m| !m.unresponsive) {
                    replies.push(match m.read(address, length) {
                        Ok(data) => Self::status(m, 0, &data),
                        Err(e) => Self::status(m, e, &[]),
                    });
                }
            }
            protocol::WRITE if p.len() > 2 => {
                let address = u16::from_le_bytes([p[0], p[1]]);
                for id in targets {
                    if let Some(m) = self.motor_mut(id).filter(|m| !m.unresponsive) {
                        let result = m.write(address, &p[2..]);
                        if packet.id != protocol::BROADCAST {
                            replies.push(Self::status(m, result.err().unwrap_or(0), &[]));
                        }
                    }
                }
            }
            protocol::REBOOT => {
                for id in targets {
                    if let Some(m) = self.motor_mut(id).filter(|m| !m.unresponsive) {
                        if packet.id != protocol::BROADCAST {
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
                let mut blocks: Vec<(u8, u8, Vec<u8>)> = Vec::new();
                // Index of the first silent motor of a fast sync read, where its chain stops.
                let mut broken_at = None;
                let mut corrupt_any = false;
                for &id in &p[4..] {
                    let Some(m) = self.motor_mut(id) else { continue };
                    if m.unresponsive {
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
            protocol::SYNC_WRITE if p.len() >= 4 => {
                let address = u16::from_le_bytes([p[0], p[1]]);
                let length = u16::from_le_bytes([p[2], p[3]]) as usize;
                for block in p[4..].chunks(length + 1) {
                    if block.len() != length + 1 {
                        break;
                    }
                    if let Some(m) = self.motor_mut(block[0]).filter(|m| !m.unresponsive) {
                        // Sync write has no reply, so a refused write is silently dropped,
                        // as on the real bus.
                        let _ = m.write(address, &block[1..]);
                    }
                }
            }
            _ => {
                if packet.id != protocol::BROADCAST {
                    if let Some(m) = self.motor_mut(packet.id).filter(|m| !m.unresponsive) {
                        replies.push(Self::status(m, 2, &[]));
                    }
                }
            }
        }
        replies
    }
}

fn corrupt(packet: &mut [u8]) {
    if let Some(last) = packet.last_mut() {
        *last ^= 0x5A;
    }
}

/// The shared simulated bus; clones share the same motors.
#[derive(Debug, Clone)]
pub struct SimBus {
    state: Arc<Mutex<SimState>>,
    baudrate: u32,
}

impl SimBus {
    pub fn new(baudrate: u32) -> Self {
        let now = Instant::now();
        // The Stewart motors start where they hold the head at its neutral pose.
        let neutral = kinematics::neutral_angles();
        let motors = MOTOR_IDS
            .iter()
            .zip(MODEL_NUMBERS)
            .enumerate()
            .map(|(k, (&id, model))| {
                let mut motor = SimMotor::new(id, model, now);
                if (1..=6).contains(&k) {
                    motor.position = neutral[k - 1];
                    motor.goal = motor.position;
                }
                motor
            })
            .collect();
        let state = SimState {
            motors,
            last_step: now,
            unplugged: false,
            reply_delay: Duration::ZERO,
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
mod tests {
    use super::*;
    use crate::bus::Bus;
    use crate::joints::HW_ERROR_OVERLOAD;

    fn bus(sim: &SimBus) -> Bus {
        Bus::new(Box::new(SimTransport::new(sim.clone())), Duration::from_millis(20))
    }

    #[test]
    fn motor_heats_under_sustained_load_until_overheating_clears_torque() {
        let now = Instant::now();
        let mut motor = SimMotor::new(11, 1200, now);
        motor.torque_enabled = true;
        // A crawling speed limit keeps a large tracking error, so the current saturates.
        motor.goal_velocity = 1;
        motor.goal = 3.0;
        let mut seconds = 0;
        while motor.torque_enabled && seconds < 600 {
            motor.step(1.0, now);
            seconds += 1;
        }
        assert!(!motor.torque_enabled, "still on at {:.1} °C", motor.temperature);
        assert_eq!(motor.hardware_error & HW_ERROR_OVERHEATING, HW_ERROR_OVERHEATING);
        assert!(seconds > 10, "tripped after {seconds} s");
    }

    #[test]
    fn idle_motor_stays_at_ambient_temperature() {
        let now = Instant::now();
        let mut motor = SimMotor::new(11, 1200, now);
        motor.torque_enabled = true;
        for _ in 0..600 {
            motor.step(1.0, now);
        }
        assert!(motor.temperature < AMBIENT_C + 1.0);
        assert_eq!(motor.hardware_error, 0);
    }

    #[test]
    fn shutdown_error_refuses_torque_until_reboot() {
        let sim = SimBus::new(1_000_000);
        let mut bus = bus(&sim);
        bus.write(12, addr::TORQUE_ENABLE, &[1]).expect("torque on");
        sim.inject_hardware_error(12, HW_ERROR_OVERLOAD).expect("motor 12");
        assert!(!sim.motor(12).expect("motor").torque_enabled);
        assert_eq!(
            bus.write(12, addr::TORQUE_ENABLE, &[1]),
            Err(Error::Status { id: 12, error: 1 })
        );
        bus.reboot(12).expect("reboot");
        bus.write(12, addr::TORQUE_ENABLE, &[1]).expect("torque on after reboot");
    }

    #[test]
    fn status_carries_the_alert_flag_while_a_hardware_error_is_set() {
        let sim = SimBus::new(1_000_000);
        let mut bus = bus(&sim);
        sim.inject_hardware_error(10, crate::joints::HW_ERROR_INPUT_VOLTAGE).expect("motor 10");
        let reads = bus.sync_read(&[10, 11], addr::PRESENT_POSITION, 4).expect("transport ok");
        assert!(matches!(reads[0], Ok((_, true))));
        assert!(matches!(reads[1], Ok((_, false))));
    }

    #[test]
    fn eeprom_writes_are_refused_while_torque_is_on() {
        let sim = SimBus::new(1_000_000);
        let mut bus = bus(&sim);
        bus.write(10, addr::TORQUE_ENABLE, &[1]).expect("torque on");
        assert_eq!(bus.write(10, addr::SHUTDOWN, &[53]), Err(Error::Status { id: 10, error: 7 }));
        assert_eq!(
            bus.write(10, addr::PRESENT_POSITION, &[0; 4]),
            Err(Error::Status { id: 10, error: 7 })
        );
    }

    #[test]
    fn tripped_watchdog_refuses_goals_until_cleared() {
        let sim = SimBus::new(1_000_000);
        let mut bus = bus(&sim);
        bus.write(10, addr::TORQUE_ENABLE, &[1]).expect("torque on");
        bus.write(10, addr::BUS_WATCHDOG, &[1]).expect("arm 20 ms");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(sim.motor(10).expect("motor").watchdog, WATCHDOG_TRIPPED);
        let goal = 2500i32.to_le_bytes();
        assert_eq!(
            bus.write(10, addr::GOAL_POSITION, &goal),
            Err(Error::Status { id: 10, error: 4 })
        );
        bus.write(10, addr::BUS_WATCHDOG, &[0]).expect("clear");
        bus.write(10, addr::GOAL_POSITION, &goal).expect("accepted again");
    }

    #[test]
    fn unresponsive_motor_breaks_a_fast_sync_read_but_not_a_sync_read() {
        let sim = SimBus::new(1_000_000);
        let mut bus = bus(&sim);
        sim.set_unresponsive(14, true).expect("motor 14");
        assert!(matches!(
            bus.fast_sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4),
            Err(Error::Timeout { .. })
        ));
        let reads = bus.sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4).expect("transport ok");
        assert_eq!(reads.iter().filter(|r| r.is_err()).count(), 1);
        assert!(reads[4].is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Whatever arrives on the bus, the motors answer or stay silent; they never panic.
        #[test]
        fn motors_survive_arbitrary_instruction_packets(
            id in proptest::prop_oneof![proptest::prelude::Just(0xFEu8), 10u8..=18, proptest::prelude::any::<u8>()],
            instruction in proptest::prop_oneof![
                proptest::sample::select(vec![0x01u8, 0x02, 0x03, 0x08, 0x82, 0x83, 0x8A]),
                proptest::prelude::any::<u8>(),
            ],
            address in 0u16..200,
            length in 0u16..40,
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            raw in proptest::prelude::any::<bool>(),
        ) {
            let sim = SimBus::new(1_000_000);
            // Half the packets start with a plausible address and length, the rest are noise.
            let mut params = Vec::new();
            if !raw {
                params.extend_from_slice(&address.to_le_bytes());
                params.extend_from_slice(&length.to_le_bytes());
            }
            params.extend_from_slice(&tail);
            let packet = Packet { id, instruction, params };
            for reply in sim.handle(&packet) {
                proptest::prop_assert!(reply.len() >= 4);
            }
        }
    }

    #[test]
    fn every_transaction_takes_at_least_its_wire_time() {
        let sim = SimBus::new(1_000_000);
        let mut bus = bus(&sim);
        let start = Instant::now();
        for _ in 0..20 {
            bus.sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4).expect("transport ok");
        }
        // 23-byte instruction + nine 15-byte replies = 158 bytes = 1.58 ms at 1 Mbaud.
        assert!(start.elapsed() >= Duration::from_micros(20 * 1580));
    }

    #[test]
    fn unplugged_bus_fails_every_transfer_and_reopen() {
        let sim = SimBus::new(1_000_000);
        let mut bus = bus(&sim);
        sim.set_unplugged(true);
        assert!(matches!(bus.ping(10), Err(Error::Io(_))));
        assert!(matches!(bus.reopen(), Err(Error::Io(_))));
        sim.set_unplugged(false);
        bus.reopen().expect("plugged back");
        assert_eq!(bus.ping(10), Ok(1240));
    }
}
