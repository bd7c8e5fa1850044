//! The loop thread: its supervisor, the fixed-rate schedule and reconnection.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::cycle::run_cycle;
use super::lock;
use super::shared::Shared;
use super::BusState;
use crate::error::Result;
use crate::joints::COUNT;
use crate::timing::{lower_timer_slack, request_realtime, wait_until, SPIN_NORMAL, SPIN_REALTIME};

/// Reconnection backoff: first wait, and cap.
pub(super) const BACKOFF_START: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// State private to the loop thread.
pub(super) struct Cycle {
    pub(super) seq: u64,
    pub(super) extra: usize,
    pub(super) fast_read_after: u64,
    pub(super) backoff: Duration,
    pub(super) next_attempt: Instant,
    /// Consecutive cycles each motor failed to answer.
    pub(super) failures: [u32; COUNT],
    /// Motors left out of the cyclic reads after BENCH_AFTER failures, probed every PROBE_EVERY.
    pub(super) benched: [bool; COUNT],
    pub(super) next_probe: Instant,
}

impl Cycle {
    fn reset_motors(&mut self) {
        self.failures = [0; COUNT];
        self.benched = [false; COUNT];
    }
}

/// SCHED_FIFO priority of the loop thread when the system grants it: above ordinary threads,
/// below the kernel's own interrupt threads (50).
const REALTIME_PRIORITY: i32 = 20;

/// Run the loop and record why it ended: a panic in a cycle is caught here, so that the
/// reason is kept for the caller instead of only reaching stderr.
pub(super) fn supervise(shared: &Shared) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(shared)));
    let reason = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(payload) => Some(format!("loop thread panicked: {}", panic_message(&*payload))),
    };
    *lock(&shared.exit_reason) = reason;
    // Wake the snapshot waiters: no snapshot comes from this thread any more.
    shared.published.notify_all();
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic without a message".to_string()
    }
}

fn run(shared: &Shared) -> Result<()> {
    lower_timer_slack();
    let realtime = request_realtime(REALTIME_PRIORITY);
    lock(&shared.stats).realtime = realtime;
    let spin = if realtime { SPIN_REALTIME } else { SPIN_NORMAL };
    let period = Duration::from_secs_f64(1.0 / shared.config.rate_hz);
    let mut cycle = Cycle {
        seq: lock(&shared.latest).as_ref().map_or(0, |s| s.seq),
        extra: 0,
        fast_read_after: 0,
        backoff: BACKOFF_START,
        next_attempt: Instant::now(),
        failures: [0; COUNT],
        benched: [false; COUNT],
        next_probe: Instant::now(),
    };
    let mut next = Instant::now() + period;
    while !shared.stop.load(Ordering::SeqCst) {
        wait_until(next, spin);
        let start = Instant::now();
        let late = start.saturating_duration_since(next);
        if shared.bus_state() == BusState::Reconnecting {
            reconnect(shared, &mut cycle);
        } else {
            run_cycle(shared, &mut cycle, start, next + period, late)?;
        }
        next += period;
        let now = Instant::now();
        if next < now {
            // Overran by more than a period: skip the lost cycles instead of bursting.
            next = now + period;
        }
    }
    Ok(())
}

fn reconnect(shared: &Shared, cycle: &mut Cycle) {
    if Instant::now() < cycle.next_attempt {
        return;
    }
    let mut guard = lock(&shared.bus);
    let result = match guard.as_mut() {
        Some(bus) => bus.reopen(),
        None => shared.make_bus().map(|bus| {
            *guard = Some(bus);
        }),
    };
    let answered = match (result, guard.as_mut()) {
        (Ok(()), Some(bus)) => shared.initialise(bus),
        _ => Vec::new(),
    };
    let mut stats = lock(&shared.stats);
    if answered.is_empty() {
        stats.error("reconnect", 1);
        cycle.next_attempt = Instant::now() + cycle.backoff;
        cycle.backoff = (cycle.backoff * 2).min(BACKOFF_MAX);
    } else {
        stats.reconnects += 1;
        cycle.backoff = BACKOFF_START;
        cycle.reset_motors();
        shared.set_bus_state(BusState::Connected);
    }
}
