//! The motors of Reachy Mini, their configuration and limits, and the control-table addresses
//! the driver uses.
//!
//! Everything about the robot itself comes from the robot table
//! (`reachy_mini_ros/interface/robot_table.json`), turned into constants by `build.rs`.

use std::f64::consts::PI;

use crate::registers::{self, Register};

/// The generated constants; the ±π joint limits of the antennas are written out as numbers.
#[allow(clippy::approx_constant)]
mod table {
    include!(concat!(env!("OUT_DIR"), "/robot_table.rs"));
}
pub use table::*;

/// Control-table addresses the driver uses, kept for the code that writes raw addresses;
/// sizes and signs are in `crate::registers`.
pub mod addr {
    use crate::registers as r;
    pub const RETURN_DELAY_TIME: u16 = r::RETURN_DELAY_TIME.address;
    pub const OPERATING_MODE: u16 = r::OPERATING_MODE.address;
    pub const TEMPERATURE_LIMIT: u16 = r::TEMPERATURE_LIMIT.address;
    pub const SHUTDOWN: u16 = r::SHUTDOWN.address;
    pub const TORQUE_ENABLE: u16 = r::TORQUE_ENABLE.address;
    pub const HARDWARE_ERROR_STATUS: u16 = r::HARDWARE_ERROR_STATUS.address;
    pub const BUS_WATCHDOG: u16 = r::BUS_WATCHDOG.address;
    pub const GOAL_CURRENT: u16 = r::GOAL_CURRENT.address;
    pub const GOAL_VELOCITY: u16 = r::GOAL_VELOCITY.address;
    pub const GOAL_POSITION: u16 = r::GOAL_POSITION.address;
    pub const PRESENT_CURRENT: u16 = r::PRESENT_CURRENT.address;
    pub const PRESENT_VELOCITY: u16 = r::PRESENT_VELOCITY.address;
    pub const PRESENT_POSITION: u16 = r::PRESENT_POSITION.address;
    pub const PRESENT_INPUT_VOLTAGE: u16 = r::PRESENT_INPUT_VOLTAGE.address;
    pub const PRESENT_TEMPERATURE: u16 = r::PRESENT_TEMPERATURE.address;
}

/// Hardware Error Status bits (address 70).
pub const HW_ERROR_INPUT_VOLTAGE: u8 = 1 << 0;
pub const HW_ERROR_OVERHEATING: u8 = 1 << 2;
pub const HW_ERROR_MOTOR_ENCODER: u8 = 1 << 3;
pub const HW_ERROR_ELECTRICAL_SHOCK: u8 = 1 << 4;
pub const HW_ERROR_OVERLOAD: u8 = 1 << 5;

/// 4096 ticks per revolution, raw 2048 is 0 rad.
pub fn ticks_to_rad(ticks: i32) -> f64 {
    2.0 * PI * ticks as f64 / 4096.0 - PI
}

/// Nearest tick of an angle.
pub fn rad_to_ticks(rad: f64) -> i32 {
    ((rad + PI) * 4096.0 / (2.0 * PI)).round() as i32
}

/// Present Velocity unit: 0.229 rpm.
pub const VELOCITY_UNIT_RAD_S: f64 = 0.229 * 2.0 * PI / 60.0;

/// The configuration the robot table asks of motor k, in the order the vendor's daemon checks
/// it (return delay, operating mode, limits, homing offset, shutdown), then the position gains.
pub fn configuration(k: usize) -> [(Register, i64); 9] {
    [
        (registers::RETURN_DELAY_TIME, RETURN_DELAY_TIME[k] as i64),
        (registers::OPERATING_MODE, OPERATING_MODE[k] as i64),
        (registers::MIN_POSITION_LIMIT, MIN_POSITIONS[k] as i64),
        (registers::MAX_POSITION_LIMIT, MAX_POSITIONS[k] as i64),
        (registers::HOMING_OFFSET, HOMING_OFFSETS[k] as i64),
        (registers::SHUTDOWN, SHUTDOWN[k] as i64),
        (registers::POSITION_D_GAIN, POSITION_D_GAIN[k] as i64),
        (registers::POSITION_I_GAIN, POSITION_I_GAIN[k] as i64),
        (registers::POSITION_P_GAIN, POSITION_P_GAIN[k] as i64),
    ]
}

/// Index of a joint name.
pub fn index_of(name: &str) -> Option<usize> {
    JOINT_NAMES.iter().position(|n| *n == name)
}

/// Index of a motor id.
pub fn index_of_id(id: u8) -> Option<usize> {
    MOTOR_IDS.iter().position(|m| *m == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_2048_is_zero_rad_and_conversion_round_trips() {
        assert_eq!(ticks_to_rad(2048), 0.0);
        for ticks in [0, 1, 1024, 2048, 3000, 4095] {
            assert_eq!(rad_to_ticks(ticks_to_rad(ticks)), ticks);
        }
    }

    #[test]
    fn raw_limits_give_the_documented_joint_limits() {
        // hardware.md: stewart_1 -0.838 .. 1.396 rad from raw 1502 .. 2958.
        assert!(
            (JOINT_LIMITS[1].0 - -0.838).abs() < 1e-3 && (JOINT_LIMITS[1].1 - 1.396).abs() < 1e-3
        );
        assert!((JOINT_LIMITS[0].1 - 160f64.to_radians()).abs() < 1e-12);
    }

    #[test]
    fn limits_are_ordered_and_inside_the_encoder_range() {
        for (lower, upper) in JOINT_LIMITS {
            assert!(lower < upper && lower >= -PI && upper <= PI);
        }
    }
}
