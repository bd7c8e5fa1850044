//! The fixed-rate control loop: read positions, publish a snapshot, write pending goals.
//!
//! One thread owns the cycle. Every cycle sync-reads the present positions, reads one more
//! block of telemetry when the cycle has time left for it (current and velocity; voltage and
//! temperature; torque and hardware error, in turn), publishes an immutable snapshot, and
//! sync-writes the goals queued since the previous cycle. Nothing in the cycle waits on Python.

mod config;
mod cycle;
mod handle;
mod shared;
mod snapshot;
#[cfg(test)]
mod tests;
mod thread;

use std::sync::{Mutex, MutexGuard};

pub use config::{Backend, LoopConfig};
pub use handle::ControlLoop;
pub use snapshot::{BusState, LoopStats, Snapshot};

/// Lock a mutex, recovering the data if a thread panicked while holding it: every value
/// behind these locks is valid at every step, so the robot keeps being driven.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
