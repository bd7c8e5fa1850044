//! Where the motors are and how the loop drives them.

use std::time::Duration;

use crate::bus::sim::SimBus;
use crate::error::{Error, Result};
use crate::joints::{COUNT, JOINT_LIMITS};
use crate::motion::{DEFAULT_MAX_ACCELERATION, DEFAULT_MAX_VELOCITY};

/// Where the motors are.
#[derive(Debug, Clone)]
pub enum Backend {
    Sim(SimBus),
    Serial { port: String, baudrate: u32 },
}

/// Settings of a loop.
#[derive(Debug, Clone)]
pub struct LoopConfig {
    pub rate_hz: f64,
    pub timeout: Duration,
    pub max_retries: u32,
    pub watchdog_ms: u32,
    pub limits: [(f64, f64); COUNT],
    /// Per joint: the motion layer's velocity (rad/s) and acceleration (rad/s²) limits.
    pub max_velocity: [f64; COUNT],
    pub max_acceleration: [f64; COUNT],
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            rate_hz: 200.0,
            timeout: Duration::from_millis(20),
            max_retries: 3,
            watchdog_ms: 0,
            limits: JOINT_LIMITS,
            max_velocity: [DEFAULT_MAX_VELOCITY; COUNT],
            max_acceleration: [DEFAULT_MAX_ACCELERATION; COUNT],
        }
    }
}

impl LoopConfig {
    /// Set a velocity or acceleration limit of some joints (all when the name is "*").
    pub fn set_motion_limit(&mut self, velocity: bool, name: &str, value: f64) -> Result<()> {
        let what = if velocity { "velocity" } else { "acceleration" };
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::Limit(format!("{what} limit of '{name}' must be positive")));
        }
        let table = if velocity { &mut self.max_velocity } else { &mut self.max_acceleration };
        if name == "*" {
            *table = [value; COUNT];
            return Ok(());
        }
        let k = crate::joints::index_of(name)
            .ok_or_else(|| Error::Limit(format!("unknown joint '{name}' in {what} limits")))?;
        table[k] = value;
        Ok(())
    }

    /// Narrow the limits of some joints; they cannot be widened beyond the joint table.
    pub fn narrow_limits(&mut self, limits: &[(String, (f64, f64))]) -> Result<()> {
        for (name, (lower, upper)) in limits {
            let k = crate::joints::index_of(name)
                .ok_or_else(|| Error::Limit(format!("unknown joint '{name}' in limits")))?;
            if !(lower.is_finite() && upper.is_finite()) || lower > upper {
                return Err(Error::Limit(format!("limits of '{name}' must be finite and ordered")));
            }
            let (table_lower, table_upper) = JOINT_LIMITS[k];
            self.limits[k] = (lower.max(table_lower), upper.min(table_upper));
            if self.limits[k].0 > self.limits[k].1 {
                return Err(Error::Limit(format!(
                    "limits of '{name}' are outside the joint table"
                )));
            }
        }
        Ok(())
    }
}
