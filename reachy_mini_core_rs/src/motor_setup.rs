//! Check the motors' configuration against the robot table, and flash what differs.
//!
//! The vendor's daemon does the same at every start (`reflash_motors_if_needed`): a motor fresh
//! from the factory, or one swapped in for repair, has a homing offset of 0, limits 0…4095, a
//! return delay of 250 (500 µs) and shutdown 53; run like that, the head's joint angles are off
//! by ±1024 ticks (±90°) and each reply comes 0.5 ms late. EEPROM items only take a write while
//! torque is off, so a flash turns torque off first and reads every value back.

use crate::bus::Bus;
use crate::error::{Error, Result};
use crate::joints::{configuration, MOTOR_IDS, MOTOR_NAMES};
use crate::registers::{self, Register};

/// What to do with a configuration that differs from the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupMode {
    /// Report the differences; write nothing.
    Check,
    /// Write what differs, torque off, and read it back.
    Flash,
    /// Do not look at the configuration at all.
    Skip,
}

impl SetupMode {
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "check" => Ok(SetupMode::Check),
            "flash" => Ok(SetupMode::Flash),
            "skip" => Ok(SetupMode::Skip),
            other => Err(Error::Limit(format!(
                "motor setup mode must be check, flash or skip, not '{other}'"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SetupMode::Check => "check",
            SetupMode::Flash => "flash",
            SetupMode::Skip => "skip",
        }
    }
}

/// One register of one motor whose value is not the table's.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub id: u8,
    pub motor: &'static str,
    pub register: Register,
    pub found: i64,
    pub expected: i64,
}

/// A flash write that did not take: the value read afterwards, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub difference: Difference,
    pub reason: String,
}

/// What a setup found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct SetupReport {
    pub mode: SetupMode,
    /// Registers that differed from the table before anything was written.
    pub differences: Vec<Difference>,
    /// Registers written and read back equal to the table (flash only).
    pub written: Vec<Difference>,
    /// Registers still different after the flash.
    pub failed: Vec<Failure>,
}

impl SetupReport {
    /// True when every motor now runs with the table's configuration (or the check was skipped).
    pub fn ok(&self) -> bool {
        match self.mode {
            SetupMode::Skip => true,
            SetupMode::Check => self.differences.is_empty(),
            SetupMode::Flash => self.failed.is_empty(),
        }
    }
}

/// Tries of one register read or write: a reply lost or garbled once (a noisy bus, a busy
/// machine) costs a retry, not the configure. Register writes are idempotent.
const TRIES: usize = 3;

fn transient(e: &Error) -> bool {
    matches!(
        e,
        Error::Timeout { .. }
            | Error::Checksum { .. }
            | Error::Length(_)
            | Error::Header
            | Error::IncorrectId { .. }
            | Error::Malformed(_)
    )
}

fn retried<T>(mut call: impl FnMut() -> Result<T>) -> Result<T> {
    let mut outcome = call();
    for _ in 1..TRIES {
        match &outcome {
            Err(e) if transient(e) => outcome = call(),
            _ => break,
        }
    }
    outcome
}

/// Registers of motor k that differ from the table.
pub fn differences(bus: &mut Bus, k: usize) -> Result<Vec<Difference>> {
    let id = MOTOR_IDS[k];
    let mut found = Vec::new();
    for (register, expected) in configuration(k) {
        let value = retried(|| bus.read_register(id, register))?;
        if value != expected {
            found.push(Difference { id, motor: MOTOR_NAMES[k], register, found: value, expected });
        }
    }
    Ok(found)
}

/// Compare every motor with the table and, in flash mode, write what differs.
///
/// Err only when the bus itself fails (no reply, I/O); a refused write (an Access Error, a
/// value out of range) is reported in `failed` with the motor's error.
pub fn setup(bus: &mut Bus, mode: SetupMode) -> Result<SetupReport> {
    let mut report =
        SetupReport { mode, differences: Vec::new(), written: Vec::new(), failed: Vec::new() };
    if mode == SetupMode::Skip {
        return Ok(report);
    }
    for k in 0..MOTOR_IDS.len() {
        let found = differences(bus, k)?;
        report.differences.extend(found.iter().cloned());
        if mode == SetupMode::Flash && !found.is_empty() {
            flash(bus, &found, &mut report)?;
        }
    }
    Ok(report)
}

fn refused(e: &Error) -> bool {
    matches!(e, Error::Status { .. } | Error::Limit(_))
}

/// Write the differing registers of one motor with torque off, then read each one back.
fn flash(bus: &mut Bus, found: &[Difference], report: &mut SetupReport) -> Result<()> {
    let Some(id) = found.first().map(|d| d.id) else { return Ok(()) };
    if let Err(e) = retried(|| bus.write_register(id, registers::TORQUE_ENABLE, 0)) {
        if !refused(&e) {
            return Err(e);
        }
        let reason = format!("torque could not be turned off: {e}");
        report.failed.extend(
            found.iter().map(|d| Failure { difference: d.clone(), reason: reason.clone() }),
        );
        return Ok(());
    }
    for difference in found {
        let register = difference.register;
        let reason = match retried(|| bus.write_register(id, register, difference.expected)) {
            Ok(()) => None,
            Err(e) if refused(&e) => Some(e.to_string()),
            Err(e) => return Err(e),
        };
        let now = retried(|| bus.read_register(id, register))?;
        let after = Difference { found: now, ..difference.clone() };
        match reason {
            None if now == difference.expected => report.written.push(difference.clone()),
            None => report.failed.push(Failure {
                difference: after,
                reason: "the motor accepted the write but reads back another value".into(),
            }),
            Some(reason) => report.failed.push(Failure { difference: after, reason }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::bus::sim::{SimBus, SimTransport};
    use crate::joints::{factory, HOMING_OFFSETS, MAX_POSITIONS, MIN_POSITIONS};

    fn bus(sim: &SimBus) -> Bus {
        Bus::new(Box::new(SimTransport::new(sim.clone())), Duration::from_millis(20))
    }

    #[test]
    fn flash_writes_a_factory_fresh_motor_set_to_the_table_then_nothing() {
        let sim = SimBus::factory_fresh(1_000_000);
        let mut bus = bus(&sim);
        let report = setup(&mut bus, SetupMode::Flash).expect("bus answers");
        assert!(report.ok(), "{:?}", report.failed);
        assert_eq!(report.written, report.differences);
        // Stewart 1 (id 11) leaves the factory at offset 0, limits 0…4095, return delay 250.
        let stewart_1: Vec<(&str, i64, i64)> = report
            .written
            .iter()
            .filter(|d| d.id == 11)
            .map(|d| (d.register.name, d.found, d.expected))
            .collect();
        assert_eq!(
            stewart_1,
            [
                ("return_delay_time", factory::RETURN_DELAY_TIME as i64, 0),
                ("min_position_limit", 0, MIN_POSITIONS[1] as i64),
                ("max_position_limit", 4095, MAX_POSITIONS[1] as i64),
                ("homing_offset", 0, HOMING_OFFSETS[1] as i64),
                ("shutdown", 53, 52),
                ("position_p_gain", 400, 300),
            ]
        );
        for (k, id) in MOTOR_IDS.iter().enumerate() {
            assert_eq!(differences(&mut bus, k), Ok(vec![]), "motor {id}");
        }
        let writes: Vec<u64> =
            MOTOR_IDS.iter().map(|&id| sim.motor(id).expect("motor").writes).collect();
        let again = setup(&mut bus, SetupMode::Flash).expect("bus answers");
        assert!(again.differences.is_empty() && again.written.is_empty());
        let after: Vec<u64> =
            MOTOR_IDS.iter().map(|&id| sim.motor(id).expect("motor").writes).collect();
        assert_eq!(writes, after, "a matching configuration is not written again");
    }

    #[test]
    fn check_reports_differences_and_writes_nothing() {
        let sim = SimBus::factory_fresh(1_000_000);
        let mut bus = bus(&sim);
        let report = setup(&mut bus, SetupMode::Check).expect("bus answers");
        assert!(!report.ok());
        assert!(report.written.is_empty());
        assert!(MOTOR_IDS.iter().all(|&id| sim.motor(id).expect("motor").writes == 0));
        let flashed = setup(&mut super::tests::bus(&SimBus::new(1_000_000)), SetupMode::Check);
        assert!(flashed.is_ok_and(|r| r.ok() && r.differences.is_empty()));
    }

    #[test]
    fn skip_reads_nothing() {
        let sim = SimBus::factory_fresh(1_000_000);
        let report = setup(&mut bus(&sim), SetupMode::Skip).expect("nothing to fail");
        assert!(report.ok() && report.differences.is_empty());
    }

    #[test]
    fn modes_parse_from_their_names_only() {
        for mode in [SetupMode::Check, SetupMode::Flash, SetupMode::Skip] {
            assert_eq!(SetupMode::parse(mode.as_str()), Ok(mode));
        }
        assert!(SetupMode::parse("Flash").is_err());
    }
}
