//! The XL330 control table as typed registers: address, size, sign and memory area.
//!
//! Every address the core reads or writes is named here once, so that the simulated motors,
//! the motor setup and the control loop agree on sizes and signs (ROBOTIS e-manual, XL330
//! control table). Addresses below 64 are EEPROM: a motor accepts a write there only while
//! Torque Enable is 0.

use crate::error::{Error, Result};

/// Where a register lives: EEPROM keeps its value across power cycles and is locked while
/// torque is on; RAM is reset at power-up and writable at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Eeprom,
    Ram,
}

/// One item of the control table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Register {
    pub name: &'static str,
    pub address: u16,
    /// Bytes, little-endian: 1, 2 or 4.
    pub size: u16,
    pub signed: bool,
    pub area: Area,
    /// False for items that only the motor writes (model, present values, error status).
    pub writable: bool,
    /// Values a write may carry; anything else gets a Data Range Error (4).
    pub min: i64,
    pub max: i64,
}

impl Register {
    const fn new(name: &'static str, address: u16, size: u16, area: Area) -> Self {
        let max = match size {
            1 => u8::MAX as i64,
            2 => u16::MAX as i64,
            _ => u32::MAX as i64,
        };
        Register { name, address, size, signed: false, area, writable: true, min: 0, max }
    }

    const fn signed(mut self, min: i64, max: i64) -> Self {
        self.signed = true;
        self.min = min;
        self.max = max;
        self
    }

    const fn range(mut self, min: i64, max: i64) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    const fn read_only(mut self) -> Self {
        self.writable = false;
        self
    }

    pub fn is_eeprom(self) -> bool {
        self.area == Area::Eeprom
    }

    /// Byte range of the register in a control table.
    pub fn span(self) -> std::ops::Range<usize> {
        self.address as usize..(self.address + self.size) as usize
    }

    /// Whether a write of `len` bytes from `address` touches this register.
    pub fn overlaps(self, address: u16, len: usize) -> bool {
        let (start, end) = (address as usize, address as usize + len);
        start < self.span().end && self.span().start < end
    }

    /// Little-endian bytes of a value; Error::Limit when the register cannot hold it.
    pub fn encode(self, value: i64) -> Result<Vec<u8>> {
        if value < self.min || value > self.max {
            return Err(Error::Limit(format!(
                "{} (address {}) takes {}..={}, not {value}",
                self.name, self.address, self.min, self.max
            )));
        }
        Ok(value.to_le_bytes()[..self.size as usize].to_vec())
    }

    /// Value of the register from its bytes, sign-extended when the register is signed.
    pub fn decode(self, data: &[u8]) -> Result<i64> {
        if data.len() != self.size as usize {
            return Err(Error::Length(format!(
                "{} is {} bytes, got {}",
                self.name,
                self.size,
                data.len()
            )));
        }
        let mut raw = [0u8; 8];
        raw[..data.len()].copy_from_slice(data);
        let unsigned = u64::from_le_bytes(raw);
        let bits = 8 * self.size as u32;
        Ok(if self.signed && unsigned >> (bits - 1) & 1 == 1 {
            (unsigned as i64) - (1i64 << bits)
        } else {
            unsigned as i64
        })
    }

    /// Value of the register in a block of bytes read from `start`, as one sync read of
    /// several neighbouring registers returns them.
    pub fn in_block(self, start: u16, data: &[u8]) -> Result<i64> {
        let too_short = || {
            Error::Length(format!(
                "a block of {} bytes from address {start} does not hold {}",
                data.len(),
                self.name
            ))
        };
        let offset = self.address.checked_sub(start).ok_or_else(too_short)? as usize;
        let bytes = data.get(offset..offset + self.size as usize).ok_or_else(too_short)?;
        self.decode(bytes)
    }

    /// Value of the register read from a whole control table (starting at address 0).
    pub fn get(self, table: &[u8]) -> Result<i64> {
        let span = self.span();
        let bytes = table
            .get(span)
            .ok_or_else(|| Error::Length(format!("table too short for {}", self.name)))?;
        self.decode(bytes)
    }
}

use Area::{Eeprom, Ram};

pub const MODEL_NUMBER: Register = Register::new("model_number", 0, 2, Eeprom).read_only();
pub const FIRMWARE_VERSION: Register = Register::new("firmware_version", 6, 1, Eeprom).read_only();
pub const ID: Register = Register::new("id", 7, 1, Eeprom).range(0, 252);
/// 0 9600, 1 57600, 2 115200, 3 1M, 4 2M, 5 3M, 6 4M baud.
pub const BAUD_RATE: Register = Register::new("baud_rate", 8, 1, Eeprom).range(0, 6);
/// 2 µs units.
pub const RETURN_DELAY_TIME: Register = Register::new("return_delay_time", 9, 1, Eeprom);
pub const DRIVE_MODE: Register = Register::new("drive_mode", 10, 1, Eeprom);
pub const OPERATING_MODE: Register = Register::new("operating_mode", 11, 1, Eeprom).range(0, 16);
/// Ticks added to the encoder position to give Present Position, ±1044479.
pub const HOMING_OFFSET: Register =
    Register::new("homing_offset", 20, 4, Eeprom).signed(-1_044_479, 1_044_479);
pub const TEMPERATURE_LIMIT: Register =
    Register::new("temperature_limit", 31, 1, Eeprom).range(0, 100);
pub const MAX_POSITION_LIMIT: Register =
    Register::new("max_position_limit", 48, 4, Eeprom).range(0, 4095);
pub const MIN_POSITION_LIMIT: Register =
    Register::new("min_position_limit", 52, 4, Eeprom).range(0, 4095);
pub const SHUTDOWN: Register = Register::new("shutdown", 63, 1, Eeprom);
pub const TORQUE_ENABLE: Register = Register::new("torque_enable", 64, 1, Ram).range(0, 1);
pub const LED: Register = Register::new("led", 65, 1, Ram).range(0, 1);
pub const HARDWARE_ERROR_STATUS: Register =
    Register::new("hardware_error_status", 70, 1, Ram).read_only();
pub const POSITION_D_GAIN: Register = Register::new("position_d_gain", 80, 2, Ram).range(0, 16_383);
pub const POSITION_I_GAIN: Register = Register::new("position_i_gain", 82, 2, Ram).range(0, 16_383);
pub const POSITION_P_GAIN: Register = Register::new("position_p_gain", 84, 2, Ram).range(0, 16_383);
/// 20 ms units, 1..127; 0 clears a trip. A tripped watchdog reads back -1 (0xFF).
pub const BUS_WATCHDOG: Register = Register::new("bus_watchdog", 98, 1, Ram).range(0, 127);
pub const GOAL_CURRENT: Register = Register::new("goal_current", 102, 2, Ram).range(0, 1750);
pub const GOAL_VELOCITY: Register = Register::new("goal_velocity", 104, 4, Ram).range(0, 445);
/// Ticks, in the frame of Present Position (homing offset included).
pub const GOAL_POSITION: Register =
    Register::new("goal_position", 116, 4, Ram).signed(-1_048_575, 1_048_575);
pub const PRESENT_CURRENT: Register = Register::new("present_current", 126, 2, Ram)
    .signed(i16::MIN as i64, i16::MAX as i64)
    .read_only();
/// 0.229 rpm units.
pub const PRESENT_VELOCITY: Register = Register::new("present_velocity", 128, 4, Ram)
    .signed(i32::MIN as i64, i32::MAX as i64)
    .read_only();
pub const PRESENT_POSITION: Register = Register::new("present_position", 132, 4, Ram)
    .signed(i32::MIN as i64, i32::MAX as i64)
    .read_only();
/// 0.1 V units.
pub const PRESENT_INPUT_VOLTAGE: Register =
    Register::new("present_input_voltage", 144, 2, Ram).read_only();
pub const PRESENT_TEMPERATURE: Register =
    Register::new("present_temperature", 146, 1, Ram).read_only();

/// Every register the core knows, in address order.
pub const ALL: [Register; 27] = [
    MODEL_NUMBER,
    FIRMWARE_VERSION,
    ID,
    BAUD_RATE,
    RETURN_DELAY_TIME,
    DRIVE_MODE,
    OPERATING_MODE,
    HOMING_OFFSET,
    TEMPERATURE_LIMIT,
    MAX_POSITION_LIMIT,
    MIN_POSITION_LIMIT,
    SHUTDOWN,
    TORQUE_ENABLE,
    LED,
    HARDWARE_ERROR_STATUS,
    POSITION_D_GAIN,
    POSITION_I_GAIN,
    POSITION_P_GAIN,
    BUS_WATCHDOG,
    GOAL_CURRENT,
    GOAL_VELOCITY,
    GOAL_POSITION,
    PRESENT_CURRENT,
    PRESENT_VELOCITY,
    PRESENT_POSITION,
    PRESENT_INPUT_VOLTAGE,
    PRESENT_TEMPERATURE,
];

/// Address and length of the one read that covers `first` to `last` (`last` at the higher
/// address) and everything in between.
pub const fn block(first: Register, last: Register) -> (u16, u16) {
    (first.address, last.address + last.size - first.address)
}

/// The register that holds a byte address, if any.
pub fn at(address: u16) -> Option<Register> {
    ALL.iter().copied().find(|r| r.overlaps(address, 1))
}

/// Baud Rate register value of a bus speed (e-manual table), if the motor supports it.
pub fn baud_rate_code(baudrate: u32) -> Option<u8> {
    match baudrate {
        9_600 => Some(0),
        57_600 => Some(1),
        115_200 => Some(2),
        1_000_000 => Some(3),
        2_000_000 => Some(4),
        3_000_000 => Some(5),
        4_000_000 => Some(6),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_do_not_overlap_and_eeprom_is_below_64() {
        for pair in ALL.windows(2) {
            assert!(pair[0].span().end <= pair[1].span().start, "{:?}", pair);
        }
        for r in ALL {
            assert_eq!(r.is_eeprom(), r.address < 64, "{}", r.name);
        }
    }

    #[test]
    fn signed_values_round_trip_through_their_bytes() {
        // Homing offset -1024 is FC FF FF FF on the wire (e-manual: 4 bytes, signed).
        let cases: [(Register, i64, &[u8]); 4] = [
            (HOMING_OFFSET, -1024, &[0x00, 0xFC, 0xFF, 0xFF]),
            (HOMING_OFFSET, 1024, &[0x00, 0x04, 0x00, 0x00]),
            (MAX_POSITION_LIMIT, 4095, &[0xFF, 0x0F, 0x00, 0x00]),
            (POSITION_P_GAIN, 400, &[0x90, 0x01]),
        ];
        for (register, value, bytes) in cases {
            assert_eq!(register.encode(value).expect("in range"), bytes);
            assert_eq!(register.decode(bytes), Ok(value));
        }
        assert_eq!(PRESENT_CURRENT.decode(&[0xFF, 0xFF]), Ok(-1));
        assert_eq!(RETURN_DELAY_TIME.decode(&[0xFA]), Ok(250));
    }

    #[test]
    fn out_of_range_values_and_wrong_lengths_are_refused() {
        assert!(matches!(MAX_POSITION_LIMIT.encode(4096), Err(Error::Limit(_))));
        assert!(matches!(HOMING_OFFSET.encode(1_044_480), Err(Error::Limit(_))));
        assert!(matches!(HOMING_OFFSET.decode(&[0; 2]), Err(Error::Length(_))));
    }

    #[test]
    fn registers_decode_from_a_block_read_at_a_lower_address() {
        // A read of Present Current (126, 2 bytes) and Present Velocity (128, 4 bytes): current
        // -5 mA is FB FF, velocity -2 is FE FF FF FF (e-manual: both signed).
        let current_velocity = [0xFB, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF];
        // Torque Enable (64) to Hardware Error Status (70): torque on, error 0x24.
        let torque_error = [0x01, 0, 0, 0, 0, 0, 0x24];
        let cases: [(Register, u16, &[u8], i64); 5] = [
            (PRESENT_CURRENT, 126, &current_velocity, -5),
            (PRESENT_VELOCITY, 126, &current_velocity, -2),
            (TORQUE_ENABLE, 64, &torque_error, 1),
            (HARDWARE_ERROR_STATUS, 64, &torque_error, 0x24),
            (PRESENT_TEMPERATURE, 144, &[0x4A, 0x00, 0x2D], 45),
        ];
        for (register, start, data, value) in cases {
            assert_eq!(register.in_block(start, data), Ok(value), "{}", register.name);
        }
        assert!(matches!(PRESENT_VELOCITY.in_block(126, &[0; 5]), Err(Error::Length(_))));
        assert!(matches!(PRESENT_CURRENT.in_block(128, &[0; 6]), Err(Error::Length(_))));
    }

    #[test]
    fn blocks_span_from_the_first_register_to_the_end_of_the_last() {
        // Addresses and lengths of the e-manual's control table.
        let cases = [
            (PRESENT_CURRENT, PRESENT_VELOCITY, (126, 6)),
            (PRESENT_INPUT_VOLTAGE, PRESENT_TEMPERATURE, (144, 3)),
            (TORQUE_ENABLE, HARDWARE_ERROR_STATUS, (64, 7)),
            (PRESENT_POSITION, PRESENT_POSITION, (132, 4)),
        ];
        for (first, last, span) in cases {
            assert_eq!(block(first, last), span, "{}..{}", first.name, last.name);
        }
    }

    #[test]
    fn every_byte_of_a_register_finds_it() {
        assert_eq!(at(23), Some(HOMING_OFFSET));
        assert_eq!(at(85), Some(POSITION_P_GAIN));
        assert_eq!(at(12), None);
    }
}
