//! Precise waits: sleep until close to a deadline, then spin for the rest.

use std::time::{Duration, Instant};

/// The last stretch before a deadline is spun, because a sleep may wake up late: at normal
/// priority on a busy machine by tens of microseconds (60 µs of spin at 200 Hz costs 1.2 % of
/// a core), with real-time priority and a 1 ns timer slack by much less.
pub const SPIN_NORMAL: Duration = Duration::from_micros(60);
pub const SPIN_REALTIME: Duration = Duration::from_micros(25);

/// Make this thread's sleeps wake up on time (the default timer slack adds up to 50 µs).
pub fn lower_timer_slack() {
    // SAFETY: PR_SET_TIMERSLACK only changes a per-thread scheduling value.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// Ask for real-time (SCHED_FIFO) scheduling of this thread; return whether it was granted.
///
/// A control loop that shares its cores with other work is otherwise woken late whenever the
/// scheduler prefers another task. The thread sleeps most of each period, so it takes little
/// from others; without the privilege (not root, no CAP_SYS_NICE or RLIMIT_RTPRIO) the call
/// fails and the loop runs at normal priority.
pub fn request_realtime(priority: i32) -> bool {
    let param = libc::sched_param { sched_priority: priority };
    // SAFETY: pthread_self is always valid; param is a plain struct read by the call.
    unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) == 0 }
}

/// Wait until deadline: sleep most of it, spin the last `spin`.
pub fn wait_until(deadline: Instant, spin: Duration) {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let left = deadline - now;
        if left > spin {
            std::thread::sleep(left - spin);
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
