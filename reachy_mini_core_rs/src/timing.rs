//! Precise waits: sleep until close to a deadline, then spin for the rest.

use std::time::{Duration, Instant};

/// The last stretch before a deadline is spun: a sleep may wake up this late on Linux even
/// with the timer slack lowered, and 100 µs at 200 Hz costs 2 % of a core.
const SPIN: Duration = Duration::from_micros(100);

/// Make this thread's sleeps wake up on time (the default timer slack adds up to 50 µs).
pub fn lower_timer_slack() {
    // SAFETY: PR_SET_TIMERSLACK only changes a per-thread scheduling value.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// Wait until deadline: sleep most of it, spin the end.
pub fn wait_until(deadline: Instant) {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let left = deadline - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Sleep until deadline without spinning (good enough where only a lower bound matters).
pub fn sleep_until(deadline: Instant) {
    let now = Instant::now();
    if deadline > now {
        std::thread::sleep(deadline - now);
    }
}

/// Wire time of `bytes` bytes at `baudrate` (10 bits per byte: start, 8 data, stop).
pub fn wire_time(bytes: usize, baudrate: u32) -> Duration {
    Duration::from_nanos((bytes as u64) * 10 * 1_000_000_000 / baudrate.max(1) as u64)
}
