//! Hardware core of Reachy Mini: Dynamixel Protocol 2.0, buses, control loop, kinematics.

pub mod bus;
pub mod control_loop;
pub mod error;
pub mod joints;
pub mod kinematics;
pub mod motion;
pub mod motor_setup;
pub mod protocol;
#[cfg(feature = "python")]
mod python;
pub mod registers;
pub mod ros_messages;
pub mod timing;

pub use error::{Error, Result};
