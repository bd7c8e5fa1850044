//! The motors of Reachy Mini, their limits and the control-table addresses the driver uses.
//!
//! Same table as `reachy_mini_ros/joints.py` (from the hardware reference).

use std::f64::consts::PI;

/// URDF joint names, in motor order.
pub const JOINT_NAMES: [&str; 9] = [
    "yaw_body",
    "stewart_1",
    "stewart_2",
    "stewart_3",
    "stewart_4",
    "stewart_5",
    "stewart_6",
    "right_antenna",
    "left_antenna",
];
/// Dynamixel ids, in the same order.
pub const MOTOR_IDS: [u8; 9] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
/// (lower, upper) limits in rad, in the same order.
pub const JOINT_LIMITS: [(f64, f64); 9] = [
    (-2.79253, 2.79253),
    (-0.838, 1.396),
    (-1.396, 1.222),
    (-0.838, 1.396),
    (-1.396, 0.838),
    (-1.222, 1.396),
    (-1.396, 0.838),
    (-PI, PI),
    (-PI, PI),
];
/// Model numbers answered to a ping: XC330-M288, six XL330-M288, two XL330-M077.
pub const MODEL_NUMBERS: [u16; 9] = [1240, 1200, 1200, 1200, 1200, 1200, 1200, 1190, 1190];
pub const COUNT: usize = 9;

/// Control table of the XL330 family (the addresses the driver needs).
pub mod addr {
    pub const RETURN_DELAY_TIME: u16 = 9;
    pub const OPERATING_MODE: u16 = 11;
    pub const TEMPERATURE_LIMIT: u16 = 31;
    pub const SHUTDOWN: u16 = 63;
    pub const TORQUE_ENABLE: u16 = 64;
    pub const HARDWARE_ERROR_STATUS: u16 = 70;
    pub const BUS_WATCHDOG: u16 = 98;
    pub const GOAL_CURRENT: u16 = 102;
    pub const GOAL_VELOCITY: u16 = 104;
    pub const GOAL_POSITION: u16 = 116;
    pub const PRESENT_CURRENT: u16 = 126;
    pub const PRESENT_VELOCITY: u16 = 128;
    pub const PRESENT_POSITION: u16 = 132;
    pub const PRESENT_INPUT_VOLTAGE: u16 = 144;
    pub const PRESENT_TEMPERATURE: u16 = 146;
}

/// Hardware Error Status bits (address 70).
pub const HW_ERROR_INPUT_VOLTAGE: u8 = 1 << 0;
pub const HW_ERROR_OVERHEATING: u8 = 1 << 2;
pub const HW_ERROR_MOTOR_ENCODER: u8 = 1 << 3;
pub const HW_ERROR_ELECTRICAL_SHOCK: u8 = 1 << 4;
pub const HW_ERROR_OVERLOAD: u8 = 1 << 5;
/// Shutdown mask of Reachy Mini: the default 53 without the input-voltage bit.
pub const SHUTDOWN_MASK: u8 = 52;

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
    fn limits_are_ordered_and_inside_the_encoder_range() {
        for (lower, upper) in JOINT_LIMITS {
            assert!(lower < upper && lower >= -PI && upper <= PI);
        }
    }
}
