//! One simulated XL330: its control table and a simple physical model.
//!
//! Motion is first order toward the goal under a velocity limit, current grows with the
//! tracking error, and the motor heats with the square of the current. Settings live in a
//! control table with the e-manual's rules: EEPROM items (addresses below 64) accept writes only
//! while torque is off, values outside an item's range get a Data Range Error (4), and a goal
//! outside the position limits a Data Limit Error (6). Present Position is the encoder position
//! plus the Homing Offset (address 20), and Goal Position is in that same frame.

use std::time::{Duration, Instant};

use crate::joints::{
    self, factory, rad_to_ticks, ticks_to_rad, HW_ERROR_OVERHEATING, VELOCITY_UNIT_RAD_S,
};
use crate::registers::{self as reg, Register};

/// Time constant of the position response.
const TAU_S: f64 = 0.05;
/// Speed limit when Goal Velocity is 0 (XL330-M288 no-load speed is about 10 rad/s).
const DEFAULT_MAX_SPEED: f64 = 6.0;
/// Heat model: steady-state rise of 45 °C at 1 A, thermal time constant 60 s.
const HEAT_RISE_PER_A2: f64 = 45.0;
const THERMAL_TAU_S: f64 = 60.0;
pub(crate) const AMBIENT_C: f64 = 28.0;
/// Current drawn at rest with torque on, and per radian of tracking error.
const HOLD_CURRENT_MA: f64 = 30.0;
const CURRENT_PER_RAD_MA: f64 = 4000.0;
/// Addresses 0..148 hold every item up to Present Temperature (146).
pub(crate) const TABLE_SIZE: usize = 148;
/// Bus Watchdog value read back after it tripped (-1 as a signed byte).
pub(crate) const WATCHDOG_TRIPPED: u8 = 0xFF;
pub(crate) const FIRMWARE: u8 = 52;
/// Goal Current of a new XL330 (its Current Limit, 1750 × 1 mA).
const DEFAULT_GOAL_CURRENT: i64 = 1750;
/// Protocol 2.0 error numbers.
pub(crate) const RESULT_FAIL: u8 = 1;
pub(crate) const DATA_RANGE_ERROR: u8 = 4;
pub(crate) const DATA_LIMIT_ERROR: u8 = 6;
pub(crate) const ACCESS_ERROR: u8 = 7;

/// Radians of one encoder tick.
fn tick_rad() -> f64 {
    2.0 * std::f64::consts::PI / 4096.0
}

/// Internal state of one simulated motor.
#[derive(Debug, Clone, PartialEq)]
pub struct SimMotor {
    /// Mirror of the ID register, to find the motor a packet is for.
    pub id: u8,
    pub model: u16,
    /// Present Position in rad (homing offset included).
    pub position: f64,
    pub velocity: f64,
    /// Goal Position in rad, same frame as position.
    pub goal: f64,
    pub current_ma: f64,
    pub torque_enabled: bool,
    pub temperature: f64,
    pub voltage: f64,
    pub hardware_error: u8,
    pub watchdog: u8,
    pub unresponsive: bool,
    pub corrupt_crc: bool,
    /// WRITE instructions addressed to this motor, accepted or refused.
    pub writes: u64,
    /// The stored items: EEPROM and RAM settings (present values are computed on read).
    settings: [u8; TABLE_SIZE],
    pub(crate) last_instruction: Instant,
}

impl SimMotor {
    /// A new XL330 as it leaves the factory (e-manual defaults), given an id and baud rate.
    pub fn factory_fresh(id: u8, model: u16, baud_code: u8, now: Instant) -> Self {
        let mut motor = SimMotor {
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
            watchdog: 0,
            unresponsive: false,
            corrupt_crc: false,
            writes: 0,
            settings: [0; TABLE_SIZE],
            last_instruction: now,
        };
        let defaults: [(Register, i64); 14] = [
            (reg::ID, id as i64),
            (reg::BAUD_RATE, baud_code as i64),
            (reg::RETURN_DELAY_TIME, factory::RETURN_DELAY_TIME as i64),
            (reg::DRIVE_MODE, factory::DRIVE_MODE as i64),
            (reg::OPERATING_MODE, factory::OPERATING_MODE as i64),
            (reg::HOMING_OFFSET, factory::HOMING_OFFSET as i64),
            (reg::TEMPERATURE_LIMIT, factory::TEMPERATURE_LIMIT as i64),
            (reg::MAX_POSITION_LIMIT, factory::MAX_POSITION as i64),
            (reg::MIN_POSITION_LIMIT, factory::MIN_POSITION as i64),
            (reg::SHUTDOWN, factory::SHUTDOWN as i64),
            (reg::POSITION_D_GAIN, factory::POSITION_D_GAIN as i64),
            (reg::POSITION_I_GAIN, factory::POSITION_I_GAIN as i64),
            (reg::POSITION_P_GAIN, factory::POSITION_P_GAIN as i64),
            (reg::GOAL_CURRENT, DEFAULT_GOAL_CURRENT),
        ];
        for (register, value) in defaults {
            motor.store(register, value);
        }
        motor
    }

    /// The motor of robot table index k, flashed as the table says (what a real robot has).
    pub fn flashed(k: usize, baud_code: u8, now: Instant) -> Self {
        let mut motor =
            SimMotor::factory_fresh(joints::MOTOR_IDS[k], joints::MODEL_NUMBERS[k], baud_code, now);
        for (register, value) in joints::configuration(k) {
            motor.store(register, value);
        }
        motor
    }

    /// Put a value in the settings; callers pass values their register holds.
    fn store(&mut self, register: Register, value: i64) {
        let bytes = value.to_le_bytes();
        let span = register.span();
        let n = span.len();
        self.settings[span].copy_from_slice(&bytes[..n]);
    }

    /// Current value of a register, as a read on the bus would return it.
    pub fn register(&self, register: Register) -> i64 {
        register.get(&self.table()).unwrap_or(0)
    }

    /// Move the motor by hand (torque off) to a Present Position in rad.
    pub fn place(&mut self, present: f64) {
        self.position = present;
        self.goal = present;
    }

    pub(crate) fn err_byte(&self, error: u8) -> u8 {
        error | if self.hardware_error != 0 { 0x80 } else { 0 }
    }

    /// Whether the motor hears a bus running at this Baud Rate code (None: a speed outside
    /// the table, which the simulation does not hold against any motor).
    pub(crate) fn listens(&self, bus_code: Option<u8>) -> bool {
        !self.unresponsive
            && bus_code.is_none_or(|code| self.settings[reg::BAUD_RATE.address as usize] == code)
    }

    pub(crate) fn trip(&mut self, bits: u8) {
        self.hardware_error |= bits;
        if self.hardware_error & self.register(reg::SHUTDOWN) as u8 != 0 {
            self.torque_enabled = false;
        }
    }

    pub(crate) fn step(&mut self, dt: f64, now: Instant) {
        if self.watchdog != 0 && self.watchdog != WATCHDOG_TRIPPED && self.torque_enabled {
            let limit = Duration::from_millis(20 * self.watchdog as u64);
            if now.duration_since(self.last_instruction) > limit {
                self.watchdog = WATCHDOG_TRIPPED;
                self.goal = self.position;
            }
        }
        let goal_velocity = self.register(reg::GOAL_VELOCITY);
        let goal_current = self.register(reg::GOAL_CURRENT) as f64;
        // Integrate in steps of at most 1 ms; after a long idle the motor has long settled.
        let mut left = dt.min(2.0);
        while left > 0.0 {
            let h = left.min(0.001);
            left -= h;
            if self.torque_enabled {
                let max_speed = if goal_velocity > 0 {
                    goal_velocity as f64 * VELOCITY_UNIT_RAD_S
                } else {
                    DEFAULT_MAX_SPEED
                };
                let error = self.goal - self.position;
                self.velocity = (error / TAU_S).clamp(-max_speed, max_speed);
                self.position += self.velocity * h;
                let magnitude =
                    (HOLD_CURRENT_MA + CURRENT_PER_RAD_MA * error.abs()).min(goal_current);
                self.current_ma = if error < 0.0 { -magnitude } else { magnitude };
            } else {
                self.velocity = 0.0;
                self.current_ma = 0.0;
            }
            let amps = self.current_ma / 1000.0;
            let rise = HEAT_RISE_PER_A2 * amps * amps - (self.temperature - AMBIENT_C);
            self.temperature += rise * h / THERMAL_TAU_S;
        }
        if self.temperature >= self.register(reg::TEMPERATURE_LIMIT) as f64 {
            self.trip(HW_ERROR_OVERHEATING);
        }
    }

    /// The whole control table as the motor would send it.
    pub(crate) fn table(&self) -> [u8; TABLE_SIZE] {
        let mut t = self.settings;
        let mut put = |register: Register, value: i64| {
            let span = register.span();
            let n = span.len();
            t[span].copy_from_slice(&value.to_le_bytes()[..n]);
        };
        put(reg::MODEL_NUMBER, self.model as i64);
        put(reg::FIRMWARE_VERSION, FIRMWARE as i64);
        put(reg::TORQUE_ENABLE, self.torque_enabled as i64);
        put(reg::HARDWARE_ERROR_STATUS, self.hardware_error as i64);
        put(reg::BUS_WATCHDOG, self.watchdog as i64);
        put(reg::GOAL_POSITION, rad_to_ticks(self.goal) as i64);
        put(reg::PRESENT_CURRENT, self.current_ma.round() as i64);
        put(reg::PRESENT_VELOCITY, (self.velocity / VELOCITY_UNIT_RAD_S).round() as i64);
        put(reg::PRESENT_POSITION, rad_to_ticks(self.position) as i64);
        put(reg::PRESENT_INPUT_VOLTAGE, (self.voltage * 10.0).round() as i64);
        put(reg::PRESENT_TEMPERATURE, self.temperature.round().clamp(0.0, 255.0) as i64);
        t
    }

    pub(crate) fn read(&self, address: u16, length: u16) -> Result<Vec<u8>, u8> {
        let (a, n) = (address as usize, length as usize);
        if a + n > TABLE_SIZE {
            return Err(ACCESS_ERROR);
        }
        Ok(self.table()[a..a + n].to_vec())
    }

    /// Apply a write; Err holds the Protocol 2.0 error number and nothing changes.
    pub(crate) fn write(&mut self, address: u16, data: &[u8]) -> Result<(), u8> {
        let end = address as usize + data.len();
        if data.is_empty() || end > TABLE_SIZE {
            return Err(ACCESS_ERROR);
        }
        // Every byte must belong to a writable item: read-only and reserved ones are refused.
        let mut touched: Vec<Register> = Vec::new();
        for a in address..end as u16 {
            match reg::at(a) {
                Some(r) if r.writable => {
                    if !touched.contains(&r) {
                        touched.push(r);
                    }
                }
                _ => return Err(ACCESS_ERROR),
            }
        }
        if self.torque_enabled && touched.iter().any(|r| r.is_eeprom()) {
            return Err(ACCESS_ERROR);
        }
        let goals = [reg::GOAL_POSITION, reg::GOAL_VELOCITY, reg::GOAL_CURRENT];
        if self.watchdog == WATCHDOG_TRIPPED && touched.iter().any(|r| goals.contains(r)) {
            return Err(DATA_RANGE_ERROR);
        }
        let mut t = self.table();
        t[address as usize..end].copy_from_slice(data);
        let value = |r: Register| r.get(&t).unwrap_or(0);
        for &r in &touched {
            if !(r.min..=r.max).contains(&value(r)) {
                return Err(DATA_RANGE_ERROR);
            }
        }
        let goal_ticks = value(reg::GOAL_POSITION);
        if touched.contains(&reg::GOAL_POSITION) {
            let (min, max) = (value(reg::MIN_POSITION_LIMIT), value(reg::MAX_POSITION_LIMIT));
            if !(min..=max).contains(&goal_ticks) {
                return Err(DATA_LIMIT_ERROR);
            }
        }
        let torque = value(reg::TORQUE_ENABLE) != 0;
        let shutdown = value(reg::SHUTDOWN) as u8;
        if touched.contains(&reg::TORQUE_ENABLE) && torque && self.hardware_error & shutdown != 0 {
            return Err(RESULT_FAIL);
        }
        // Accepted: a new homing offset moves Present and Goal Position by the change, the
        // encoder staying where it is.
        let shift = (value(reg::HOMING_OFFSET) - self.register(reg::HOMING_OFFSET)) as f64;
        self.position += shift * tick_rad();
        self.goal += shift * tick_rad();
        self.settings = t;
        self.id = value(reg::ID) as u8;
        self.torque_enabled = torque;
        if touched.contains(&reg::BUS_WATCHDOG) {
            self.watchdog = value(reg::BUS_WATCHDOG) as u8;
        }
        if touched.contains(&reg::GOAL_POSITION) {
            self.goal = ticks_to_rad(goal_ticks as i32);
        }
        Ok(())
    }

    pub(crate) fn reboot(&mut self) {
        self.hardware_error = 0;
        self.torque_enabled = false;
        self.watchdog = 0;
        self.goal = self.position;
        self.velocity = 0.0;
        self.current_ma = 0.0;
    }
}
