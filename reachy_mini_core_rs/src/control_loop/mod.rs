//! The fixed-rate control loop: read positions, publish a snapshot, write pending goals.
//!
//! One thread owns the cycle. Every cycle sync-reads the present positions, reads one more
//! block of telemetry when the cycle has time left for it (current and velocity; voltage and
//! temperature; torque and hardware error, in turn), publishes an immutable snapshot, and
//! sync-writes the goals of this tick of the motion layer (a move's, or the streamed targets'
//! shaped). Nothing in the cycle waits on Python.
//!
//! Lock order. A function that holds several of these locks takes them in this order, and
//! never takes an earlier one while it holds a later one:
//!
//! 1. `ControlLoop::thread`: the loop thread's handle (start, stop, motor setup);
//! 2. `Shared::bus`: the open port, for the I/O of one cycle or one call;
//! 3. `Shared::work`: the working reading that snapshots are copied from;
//! 4. `Shared::stats`: the statistics;
//! 5. `Shared::motion`: the moves and streamed targets the next ticks write;
//! 6. `Shared::latest`: the published snapshot, with its `published` condition variable;
//! 7. `Shared::exit_reason`: why the last loop thread ended.
//!
//! A cycle holds bus, work and stats (in that order) from its first phase to its last, and
//! takes motion and latest briefly inside them; `initialise` takes work, stats then motion
//! under the bus its caller holds; `set_torque` takes bus, work, then motion.

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
