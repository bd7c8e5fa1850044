//! The fixed-rate control loop: read positions, publish a snapshot, write pending goals.
//!
//! One thread owns the cycle. Every cycle sync-reads the present positions, reads one more
//! block of telemetry when the cycle has time left for it (current and velocity; voltage and
//! temperature; torque and hardware error, in turn), publishes an immutable snapshot, and
//! sync-writes the goals queued since the previous cycle. Nothing in the cycle waits on Python.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::bus::serial::SerialTransport;
use crate::bus::sim::{SimBus, SimTransport};
use crate::bus::{Bus, MotorRead, Transport};
use crate::error::{Error, Result};
use crate::joints::{
    addr, rad_to_ticks, ticks_to_rad, COUNT, JOINT_LIMITS, JOINT_NAMES, MOTOR_IDS,
    VELOCITY_UNIT_RAD_S,
};
use crate::motor_setup::{self, SetupMode, SetupReport};
use crate::protocol::{le_i16, le_i32, le_u16};
use crate::timing::{lower_timer_slack, request_realtime, wait_until, SPIN_NORMAL, SPIN_REALTIME};

/// Samples kept for the percentiles: 10 s at 200 Hz.
const WINDOW: usize = 2000;
/// Reconnection backoff: first wait, and cap.
const BACKOFF_START: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// After a failed fast sync read, use plain sync reads for this many cycles (1 s at 200 Hz)
/// so that a silent motor costs one timeout per cycle, not two.
const FAST_READ_COOLDOWN: u64 = 200;
/// A motor that misses this many cycles in a row is left out of the cyclic reads, so that its
/// timeout does not slow the loop down for the others (3 cycles is 15 ms at 200 Hz)...
const BENCH_AFTER: u32 = 3;
/// ...and pinged this often until it answers again.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// Margin kept free at the end of a cycle when deciding whether extra telemetry fits.
const CYCLE_MARGIN: Duration = Duration::from_micros(300);

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
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            rate_hz: 200.0,
            timeout: Duration::from_millis(20),
            max_retries: 3,
            watchdog_ms: 0,
            limits: JOINT_LIMITS,
        }
    }
}

impl LoopConfig {
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

/// State of the bus as the loop sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BusState {
    Connected = 0,
    Reconnecting = 1,
    Closed = 2,
}

impl BusState {
    pub fn as_str(self) -> &'static str {
        match self {
            BusState::Connected => "connected",
            BusState::Reconnecting => "reconnecting",
            BusState::Closed => "closed",
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            0 => BusState::Connected,
            1 => BusState::Reconnecting,
            _ => BusState::Closed,
        }
    }
}

/// One immutable reading of the robot.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub seq: u64,
    pub read_time: f64,
    pub position: [f64; COUNT],
    /// Per motor: wall-clock time its position was last read; a motor that stopped answering
    /// keeps an old time here while the others advance.
    pub position_time: [f64; COUNT],
    pub velocity: [f64; COUNT],
    pub velocity_time: f64,
    pub current: [f64; COUNT],
    pub current_time: f64,
    pub goal: [f64; COUNT],
    pub temperature: [f64; COUNT],
    pub voltage: [f64; COUNT],
    pub hardware_error: [u8; COUNT],
    pub torque_enabled: [bool; COUNT],
    pub status_time: f64,
    pub comm_errors: [u64; COUNT],
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            seq: 0,
            read_time: 0.0,
            position: [0.0; COUNT],
            position_time: [0.0; COUNT],
            velocity: [0.0; COUNT],
            velocity_time: 0.0,
            current: [0.0; COUNT],
            current_time: 0.0,
            goal: [0.0; COUNT],
            temperature: [0.0; COUNT],
            voltage: [0.0; COUNT],
            hardware_error: [0; COUNT],
            torque_enabled: [false; COUNT],
            status_time: 0.0,
            comm_errors: [0; COUNT],
        }
    }
}

/// Statistics since the loop started.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopStats {
    pub configured_rate_hz: f64,
    pub achieved_rate_hz: f64,
    pub cycles: u64,
    pub jitter_p50_ms: f64,
    pub jitter_p99_ms: f64,
    pub jitter_max_ms: f64,
    pub read_ms_p50: f64,
    pub write_ms_p50: f64,
    pub errors: BTreeMap<String, u64>,
    pub bus_state: BusState,
    pub reconnects: u64,
    /// Whether the loop thread runs with real-time (SCHED_FIFO) priority.
    pub realtime: bool,
}

#[derive(Debug, Default)]
struct StatsAcc {
    cycles: u64,
    jitter_ms: VecDeque<f64>,
    jitter_max_ms: f64,
    read_ms: VecDeque<f64>,
    write_ms: VecDeque<f64>,
    recent_starts: VecDeque<Instant>,
    errors: BTreeMap<String, u64>,
    reconnects: u64,
    realtime: bool,
}

impl StatsAcc {
    fn push(window: &mut VecDeque<f64>, value: f64) {
        if window.len() == WINDOW {
            window.pop_front();
        }
        window.push_back(value);
    }

    fn error(&mut self, kind: &str, n: u64) {
        if n > 0 {
            *self.errors.entry(kind.to_string()).or_insert(0) += n;
        }
    }
}

fn percentile(window: &VecDeque<f64>, q: f64) -> f64 {
    if window.is_empty() {
        return 0.0;
    }
    let mut sorted: Vec<f64> = window.iter().copied().collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn wall_time() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// What both the loop thread and the callers share.
struct Shared {
    config: LoopConfig,
    backend: Backend,
    /// The open bus; held by the loop for the I/O of one cycle at a time.
    bus: Mutex<Option<Bus>>,
    /// The working reading that snapshots are copied from.
    work: Mutex<Snapshot>,
    latest: Mutex<Option<Arc<Snapshot>>>,
    published: Condvar,
    pending: Mutex<[Option<f64>; COUNT]>,
    stats: Mutex<StatsAcc>,
    bus_state: AtomicU8,
    stop: AtomicBool,
    /// Why the last loop thread ended without being asked to: its error or panic message.
    exit_reason: Mutex<Option<String>>,
}

/// Lock a mutex, recovering the data if a thread panicked while holding it: every value
/// behind these locks is valid at every step, so the robot keeps being driven.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn bus_state(&self) -> BusState {
        BusState::from_u8(self.bus_state.load(Ordering::SeqCst))
    }

    fn set_bus_state(&self, state: BusState) {
        self.bus_state.store(state as u8, Ordering::SeqCst);
    }

    fn make_bus(&self) -> Result<Bus> {
        let transport: Box<dyn Transport> = match &self.backend {
            Backend::Sim(sim) => Box::new(SimTransport::new(sim.clone())),
            Backend::Serial { port, baudrate } => Box::new(SerialTransport::open(port, *baudrate)?),
        };
        Ok(Bus::new(transport, self.config.timeout))
    }

    /// Ping every motor, then read goals and torque and arm the watchdog of those that answer.
    fn initialise(&self, bus: &mut Bus) -> Vec<u8> {
        let answered: Vec<u8> =
            MOTOR_IDS.iter().copied().filter(|&id| bus.ping(id).is_ok()).collect();
        let mut work = lock(&self.work);
        let mut stats = lock(&self.stats);
        for (k, &id) in MOTOR_IDS.iter().enumerate() {
            if !answered.contains(&id) {
                continue;
            }
            match bus.read(id, addr::GOAL_POSITION, 4).map(|d| le_i32(&d)) {
                Ok(Some(ticks)) => work.goal[k] = ticks_to_rad(ticks),
                Ok(None) => {}
                Err(e) => stats.error(e.kind(), 1),
            }
            match bus.read(id, addr::TORQUE_ENABLE, 1) {
                Ok(d) => work.torque_enabled[k] = d.first().copied().unwrap_or(0) != 0,
                Err(e) => stats.error(e.kind(), 1),
            }
            if self.config.watchdog_ms > 0 {
                // 20 ms units, 1..127; writing 0 first clears a trip left from a previous run.
                let units = self.config.watchdog_ms.div_ceil(20).clamp(1, 127) as u8;
                for value in [0, units] {
                    if let Err(e) = bus.write(id, addr::BUS_WATCHDOG, &[value]) {
                        stats.error(e.kind(), 1);
                    }
                }
            }
        }
        answered
    }
}

/// The control loop and its thread.
pub struct ControlLoop {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl ControlLoop {
    pub fn new(backend: Backend, config: LoopConfig) -> Result<Self> {
        if !(config.rate_hz.is_finite() && config.rate_hz > 0.0 && config.rate_hz <= 2000.0) {
            return Err(Error::Limit(format!("rate_hz {} must be in (0, 2000]", config.rate_hz)));
        }
        let shared = Shared {
            config,
            backend,
            bus: Mutex::new(None),
            work: Mutex::new(Snapshot::default()),
            latest: Mutex::new(None),
            published: Condvar::new(),
            pending: Mutex::new([None; COUNT]),
            stats: Mutex::new(StatsAcc::default()),
            bus_state: AtomicU8::new(BusState::Closed as u8),
            stop: AtomicBool::new(false),
            exit_reason: Mutex::new(None),
        };
        Ok(ControlLoop { shared: Arc::new(shared), thread: Mutex::new(None) })
    }

    pub fn config(&self) -> &LoopConfig {
        &self.shared.config
    }

    pub fn backend(&self) -> &Backend {
        &self.shared.backend
    }

    /// Open the bus (if needed) and ping every motor; return the ids that answered.
    pub fn open(&self) -> Result<Vec<u8>> {
        let mut guard = lock(&self.shared.bus);
        if guard.is_none() {
            *guard = Some(self.shared.make_bus()?);
        }
        let bus = guard.as_mut().ok_or_else(|| Error::Io("bus is closed".into()))?;
        let answered = self.shared.initialise(bus);
        if self.shared.bus_state() == BusState::Closed {
            self.shared.set_bus_state(BusState::Connected);
        }
        Ok(answered)
    }

    /// Check (and in flash mode write) the motors' configuration against the robot table.
    ///
    /// Only while the loop thread is stopped: EEPROM writes need torque off, and the cycle must
    /// not drive the motors meanwhile. The goals and torque are read again afterwards, since a
    /// new homing offset moves Present and Goal Position.
    pub fn setup_motors(&self, mode: SetupMode) -> Result<SetupReport> {
        let thread = lock(&self.thread);
        if thread.as_ref().is_some_and(|t| !t.is_finished()) {
            return Err(Error::Limit("motor setup needs the control loop stopped".into()));
        }
        let mut guard = lock(&self.shared.bus);
        let bus = guard.as_mut().ok_or_else(|| Error::Io("bus is closed".into()))?;
        let report = motor_setup::setup(bus, mode)?;
        if !report.written.is_empty() {
            self.shared.initialise(bus);
        }
        Ok(report)
    }

    /// Start the loop thread, opening (or re-initialising) the bus first.
    pub fn start(&self) -> Result<()> {
        let mut thread = lock(&self.thread);
        if thread.as_ref().is_some_and(|t| !t.is_finished()) {
            return Ok(());
        }
        if let Some(ended) = thread.take() {
            // Its exit reason is already recorded; joining only reaps the thread.
            let _ = ended.join();
        }
        // Ping and initialise every time: a bus watchdog that tripped while the loop was
        // stopped is cleared and armed again here.
        self.open()?;
        self.shared.stop.store(false, Ordering::SeqCst);
        *lock(&self.shared.exit_reason) = None;
        let shared = Arc::clone(&self.shared);
        let handle = std::thread::Builder::new()
            .name("reachy-mini-loop".into())
            .spawn(move || supervise(&shared))
            .map_err(|e| Error::Io(format!("cannot start the loop thread: {e}")))?;
        *thread = Some(handle);
        Ok(())
    }

    /// Stop the loop thread and wait for it.
    pub fn stop(&self) {
        let mut thread = lock(&self.thread);
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = thread.take() {
            // A panic in the loop thread already stopped it; nothing more to undo here.
            let _ = handle.join();
        }
    }

    /// Stop the loop and release the port.
    pub fn close(&self) {
        self.stop();
        *lock(&self.shared.bus) = None;
        self.shared.set_bus_state(BusState::Closed);
        self.shared.published.notify_all();
    }

    pub fn running(&self) -> bool {
        lock(&self.thread).as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Why the loop thread ended on its own (an error, or the message of a panic); None
    /// while it runs, after a requested stop, and before the first start.
    pub fn exit_reason(&self) -> Option<String> {
        lock(&self.shared.exit_reason).clone()
    }

    pub fn bus_state(&self) -> BusState {
        self.shared.bus_state()
    }

    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        lock(&self.shared.latest).clone()
    }

    /// Wait for a snapshot newer than after_seq; None on timeout.
    pub fn wait_snapshot(&self, after_seq: u64, timeout: Duration) -> Option<Arc<Snapshot>> {
        let deadline = Instant::now() + timeout;
        let mut latest = lock(&self.shared.latest);
        loop {
            if let Some(snapshot) = latest.as_ref().filter(|s| s.seq > after_seq) {
                return Some(Arc::clone(snapshot));
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            latest = self
                .shared
                .published
                .wait_timeout(latest, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Check every goal, then queue them all for the next write; nothing is queued on error.
    pub fn set_goals(&self, goals: &[(String, f64)]) -> Result<()> {
        let mut checked = Vec::with_capacity(goals.len());
        for (name, value) in goals {
            let k = crate::joints::index_of(name)
                .ok_or_else(|| Error::Limit(format!("unknown joint '{name}'")))?;
            if !value.is_finite() {
                return Err(Error::Limit(format!("goal for '{name}' is not a finite number")));
            }
            let (lower, upper) = self.shared.config.limits[k];
            if *value < lower || *value > upper {
                return Err(Error::Limit(format!(
                    "goal {value:.4} rad for '{name}' is outside [{lower:.4}, {upper:.4}]"
                )));
            }
            checked.push((k, *value));
        }
        let mut pending = lock(&self.shared.pending);
        for (k, value) in checked {
            pending[k] = Some(value);
        }
        Ok(())
    }

    /// Enable or disable torque on every motor.
    ///
    /// Enabling never moves a motor: in the same bus transaction sequence each motor's present
    /// position is read, written to its goal register (acknowledged) and only then is its
    /// torque enabled. Queued goals are dropped. A motor whose position cannot be read, or
    /// whose goal write is not acknowledged, is left as it was (torque off when it was off),
    /// and the call returns `Error::TorqueLeftOff` naming it.
    pub fn set_torque(&self, enabled: bool) -> Result<()> {
        let mut guard = lock(&self.shared.bus);
        let bus = guard.as_mut().ok_or_else(|| Error::Io("bus is closed".into()))?;
        let mut work = lock(&self.shared.work);
        if !enabled {
            let mut first_error = None;
            for (k, &id) in MOTOR_IDS.iter().enumerate() {
                match bus.write(id, addr::TORQUE_ENABLE, &[0]) {
                    Ok(()) => work.torque_enabled[k] = false,
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            return first_error.map_or(Ok(()), Err);
        }
        // A goal queued before now must not be written after the hold: drop them all.
        *lock(&self.shared.pending) = [None; COUNT];
        let held = hold_present_positions(bus, self.shared.config.max_retries);
        let mut left_off = Vec::new();
        for (k, &id) in MOTOR_IDS.iter().enumerate() {
            let ticks = match &held[k] {
                Ok(ticks) => *ticks,
                Err(reason) => {
                    left_off.push(format!("{} (id {id}): {reason}", JOINT_NAMES[k]));
                    continue;
                }
            };
            work.goal[k] = ticks_to_rad(ticks);
            match bus.write(id, addr::TORQUE_ENABLE, &[1]) {
                Ok(()) => work.torque_enabled[k] = true,
                Err(e) => left_off.push(format!(
                    "{} (id {id}): torque enable not acknowledged: {e}",
                    JOINT_NAMES[k]
                )),
            }
        }
        if left_off.is_empty() {
            Ok(())
        } else {
            Err(Error::TorqueLeftOff(format!("torque left off on {}", left_off.join("; "))))
        }
    }

    /// Reboot motors (all when ids is empty) to clear hardware errors.
    pub fn reboot(&self, ids: &[u8]) -> Result<()> {
        let ids: Vec<u8> = if ids.is_empty() { MOTOR_IDS.to_vec() } else { ids.to_vec() };
        if let Some(bad) = ids.iter().find(|id| !MOTOR_IDS.contains(id)) {
            return Err(Error::Limit(format!("no motor with id {bad}")));
        }
        let mut guard = lock(&self.shared.bus);
        let bus = guard.as_mut().ok_or_else(|| Error::Io("bus is closed".into()))?;
        let mut first_error = None;
        let mut work = lock(&self.shared.work);
        for &id in &ids {
            match bus.reboot(id) {
                Ok(()) => {
                    if let Some(k) = crate::joints::index_of_id(id) {
                        work.torque_enabled[k] = false;
                        work.hardware_error[k] = 0;
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    pub fn stats(&self) -> LoopStats {
        let stats = lock(&self.shared.stats);
        let now = Instant::now();
        let achieved = stats
            .recent_starts
            .iter()
            .filter(|t| now.duration_since(**t) <= Duration::from_secs(1))
            .count() as f64;
        LoopStats {
            configured_rate_hz: self.shared.config.rate_hz,
            achieved_rate_hz: achieved,
            cycles: stats.cycles,
            jitter_p50_ms: percentile(&stats.jitter_ms, 0.50),
            jitter_p99_ms: percentile(&stats.jitter_ms, 0.99),
            jitter_max_ms: stats.jitter_max_ms,
            read_ms_p50: percentile(&stats.read_ms, 0.50),
            write_ms_p50: percentile(&stats.write_ms, 0.50),
            errors: stats.errors.clone(),
            bus_state: self.shared.bus_state(),
            reconnects: stats.reconnects,
            realtime: stats.realtime,
        }
    }
}

/// Read each motor's present position and write it to its goal register, with retries.
///
/// Per motor: the raw ticks now in its goal register, or why they could not be put there.
/// The ticks are copied as read, even outside the limits: holding where the motor is cannot
/// move it, where clamping to the limits would.
fn hold_present_positions(
    bus: &mut Bus,
    max_retries: u32,
) -> Vec<std::result::Result<i32, String>> {
    let mut held: Vec<std::result::Result<i32, String>> =
        MOTOR_IDS.iter().map(|_| Err("present position unreadable".to_string())).collect();
    // One sync read for all nine, then single reads for the motors it missed: a corrupt
    // reply costs one retry, not the motor's torque.
    let first = bus.sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4);
    for (k, &id) in MOTOR_IDS.iter().enumerate() {
        let mut read = match &first {
            Ok(reads) => reads.get(k).cloned().unwrap_or(Err(Error::Timeout { id })),
            Err(e) => Err(e.clone()),
        }
        .and_then(|(data, _)| {
            le_i32(&data).ok_or_else(|| Error::Length("short position reply".into()))
        });
        for _retry in 0..max_retries {
            if read.is_ok() {
                break;
            }
            read = bus.read(id, addr::PRESENT_POSITION, 4).and_then(|data| {
                le_i32(&data).ok_or_else(|| Error::Length("short position reply".into()))
            });
        }
        held[k] = match read {
            Err(e) => Err(format!("present position unreadable: {e}")),
            Ok(ticks) => match bus.write(id, addr::GOAL_POSITION, &ticks.to_le_bytes()) {
                Ok(()) => Ok(ticks),
                Err(e) => Err(format!("goal = present position not acknowledged: {e}")),
            },
        };
    }
    held
}

impl Drop for ControlLoop {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Telemetry blocks read in turn, one per cycle when time allows.
#[derive(Debug, Clone, Copy)]
enum Extra {
    CurrentVelocity,
    VoltageTemperature,
    TorqueError,
}

impl Extra {
    const ORDER: [Extra; 3] =
        [Extra::CurrentVelocity, Extra::VoltageTemperature, Extra::TorqueError];
    /// Position of TorqueError in ORDER.
    const TORQUE_ERROR_INDEX: usize = 2;

    fn span(self) -> (u16, u16) {
        match self {
            Extra::CurrentVelocity => (addr::PRESENT_CURRENT, 6),
            Extra::VoltageTemperature => (addr::PRESENT_INPUT_VOLTAGE, 3),
            Extra::TorqueError => (addr::TORQUE_ENABLE, 7),
        }
    }
}

/// State private to the loop thread.
struct Cycle {
    seq: u64,
    extra: usize,
    fast_read_after: u64,
    backoff: Duration,
    next_attempt: Instant,
    /// Consecutive cycles each motor failed to answer.
    failures: [u32; COUNT],
    /// Motors left out of the cyclic reads after BENCH_AFTER failures, probed every PROBE_EVERY.
    benched: [bool; COUNT],
    next_probe: Instant,
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
fn supervise(shared: &Shared) {
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

/// Positions of every motor, with retries; None when the bus is down.
fn read_positions(
    shared: &Shared,
    bus: &mut Bus,
    cycle: &mut Cycle,
    stats: &mut StatsAcc,
    ids: &[u8],
) -> Option<Vec<MotorRead>> {
    if ids.is_empty() {
        return None;
    }
    for _attempt in 0..=shared.config.max_retries {
        if cycle.seq >= cycle.fast_read_after {
            match bus.fast_sync_read(ids, addr::PRESENT_POSITION, 4) {
                Ok(blocks) => {
                    return Some(
                        blocks
                            .into_iter()
                            .map(|b| {
                                if b.error != 0 {
                                    Err(Error::Status { id: b.id, error: b.error })
                                } else {
                                    Ok((b.data, b.alert))
                                }
                            })
                            .collect(),
                    )
                }
                Err(Error::Io(_)) => {
                    stats.error("io", 1);
                    return None;
                }
                Err(e) => {
                    stats.error(e.kind(), 1);
                    cycle.fast_read_after = cycle.seq + FAST_READ_COOLDOWN;
                }
            }
        }
        match bus.sync_read(ids, addr::PRESENT_POSITION, 4) {
            Ok(reads) if reads.iter().any(|r| r.is_ok()) => return Some(reads),
            Ok(reads) => {
                for read in &reads {
                    if let Err(e) = read {
                        stats.error(e.kind(), 1);
                    }
                }
            }
            Err(e) => {
                stats.error(e.kind(), 1);
                if matches!(e, Error::Io(_)) {
                    return None;
                }
            }
        }
    }
    None
}

fn run_cycle(
    shared: &Shared,
    cycle: &mut Cycle,
    start: Instant,
    cycle_end: Instant,
    late: Duration,
) -> Result<()> {
    let mut guard = lock(&shared.bus);
    let Some(bus) = guard.as_mut() else {
        // The port was released under the running loop: nothing is left to drive.
        shared.set_bus_state(BusState::Closed);
        return Err(Error::Io("the bus was closed while the loop ran".into()));
    };
    let mut stats = lock(&shared.stats);
    stats.cycles += 1;
    let late_ms = late.as_secs_f64() * 1e3;
    StatsAcc::push(&mut stats.jitter_ms, late_ms);
    stats.jitter_max_ms = stats.jitter_max_ms.max(late_ms);
    if stats.recent_starts.len() >= 4096 {
        stats.recent_starts.pop_front();
    }
    stats.recent_starts.push_back(start);
    while stats
        .recent_starts
        .front()
        .is_some_and(|t| start.duration_since(*t) > Duration::from_secs(1))
    {
        stats.recent_starts.pop_front();
    }

    let read_start = Instant::now();
    let active: Vec<usize> = (0..COUNT).filter(|&k| !cycle.benched[k]).collect();
    let ids: Vec<u8> = active.iter().map(|&k| MOTOR_IDS[k]).collect();
    let reads = read_positions(shared, bus, cycle, &mut stats, &ids);
    let read_time = wall_time();
    StatsAcc::push(&mut stats.read_ms, read_start.elapsed().as_secs_f64() * 1e3);
    let checksum_errors = bus.take_checksum_errors();
    stats.error("checksum", checksum_errors);
    let Some(reads) = reads else {
        // Bus down: publish nothing, so that no stale value looks fresh.
        shared.set_bus_state(BusState::Reconnecting);
        cycle.backoff = BACKOFF_START;
        cycle.next_attempt = Instant::now();
        return Ok(());
    };

    let mut work = lock(&shared.work);
    for (&k, read) in active.iter().zip(&reads) {
        match read {
            Ok((data, alert)) => {
                cycle.failures[k] = 0;
                if let Some(ticks) = le_i32(data) {
                    work.position[k] = ticks_to_rad(ticks);
                    work.position_time[k] = read_time;
                }
                if !alert {
                    work.hardware_error[k] = 0;
                } else if work.hardware_error[k] == 0 {
                    // Alert without a known cause yet: read it next (Hardware Error Status).
                    cycle.extra = Extra::TORQUE_ERROR_INDEX;
                }
            }
            Err(e) => {
                work.comm_errors[k] += 1;
                stats.error(e.kind(), 1);
                cycle.failures[k] += 1;
                if cycle.failures[k] >= BENCH_AFTER {
                    cycle.benched[k] = true;
                    cycle.next_probe = Instant::now() + PROBE_EVERY;
                }
            }
        }
    }
    work.read_time = read_time;

    // Ping the motors left out; one that answers joins the cyclic reads again.
    if cycle.benched.iter().any(|b| *b) && Instant::now() >= cycle.next_probe {
        cycle.next_probe = Instant::now() + PROBE_EVERY;
        let benched: Vec<usize> = (0..COUNT).filter(|&k| cycle.benched[k]).collect();
        for k in benched {
            match bus.ping(MOTOR_IDS[k]) {
                Ok(_) => {
                    cycle.benched[k] = false;
                    cycle.failures[k] = 0;
                }
                Err(e) => {
                    work.comm_errors[k] += 1;
                    stats.error(e.kind(), 1);
                }
            }
        }
    }

    // Publish the positions now, before the slower telemetry read and the goal write: a
    // subscriber gets them 1.5 to 2 ms sooner at 1 Mbaud, and what this cycle reads or writes
    // next shows in the next snapshot.
    cycle.seq += 1;
    work.seq = cycle.seq;
    *lock(&shared.latest) = Some(Arc::new(work.clone()));
    shared.published.notify_all();

    // Extra telemetry when it fits in what is left of the cycle.
    let extra = Extra::ORDER[cycle.extra % Extra::ORDER.len()];
    let (address, length) = extra.span();
    let cost = bus.wire_time(14 + ids.len() * (12 + length as usize)) * 5 / 4
        + bus.wire_time(14 + 5 * MOTOR_IDS.len());
    if Instant::now() + cost + CYCLE_MARGIN < cycle_end {
        cycle.extra = (cycle.extra + 1) % Extra::ORDER.len();
        match bus.sync_read(&ids, address, length) {
            Ok(reads) => {
                let now = wall_time();
                for (&k, read) in active.iter().zip(&reads) {
                    let data = match read {
                        Ok((data, _)) => data,
                        Err(e) => {
                            work.comm_errors[k] += 1;
                            stats.error(e.kind(), 1);
                            continue;
                        }
                    };
                    match extra {
                        Extra::CurrentVelocity => {
                            work.current[k] = le_i16(data).unwrap_or(0) as f64;
                            work.velocity[k] =
                                le_i32(&data[2..]).unwrap_or(0) as f64 * VELOCITY_UNIT_RAD_S;
                        }
                        Extra::VoltageTemperature => {
                            work.voltage[k] = le_u16(data).unwrap_or(0) as f64 / 10.0;
                            work.temperature[k] = data.get(2).copied().unwrap_or(0) as f64;
                        }
                        Extra::TorqueError => {
                            work.torque_enabled[k] = data.first().is_some_and(|&t| t != 0);
                            work.hardware_error[k] = data.get(6).copied().unwrap_or(0);
                        }
                    }
                }
                match extra {
                    Extra::CurrentVelocity => {
                        work.current_time = now;
                        work.velocity_time = now;
                    }
                    _ => work.status_time = now,
                }
            }
            Err(e) => stats.error(e.kind(), 1),
        }
        stats.error("checksum", bus.take_checksum_errors());
    }

    // Goals queued since the last cycle.
    let goals = std::mem::replace(&mut *lock(&shared.pending), [None; COUNT]);
    if goals.iter().any(|g| g.is_some()) {
        let write_start = Instant::now();
        let blocks: Vec<(u8, [u8; 4])> = goals
            .iter()
            .enumerate()
            .filter_map(|(k, g)| g.map(|g| (MOTOR_IDS[k], rad_to_ticks(g).to_le_bytes())))
            .collect();
        let refs: Vec<(u8, &[u8])> = blocks.iter().map(|(id, d)| (*id, d.as_slice())).collect();
        match bus.sync_write(addr::GOAL_POSITION, 4, &refs) {
            Ok(()) => {
                for (k, g) in goals.iter().enumerate() {
                    if let Some(g) = g {
                        work.goal[k] = *g;
                    }
                }
            }
            Err(e) => {
                stats.error(e.kind(), 1);
                // Keep the goals for the next cycle unless newer ones were queued meanwhile.
                let mut pending = lock(&shared.pending);
                for (k, g) in goals.iter().enumerate() {
                    if pending[k].is_none() {
                        pending[k] = *g;
                    }
                }
            }
        }
        StatsAcc::push(&mut stats.write_ms, write_start.elapsed().as_secs_f64() * 1e3);
    }
    drop(guard);
    drop(work);
    drop(stats);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::sim::SimMotor;

    fn sim_loop(rate_hz: f64) -> (SimBus, ControlLoop) {
        let sim = SimBus::new(1_000_000);
        let config = LoopConfig { rate_hz, ..LoopConfig::default() };
        let control = ControlLoop::new(Backend::Sim(sim.clone()), config).expect("valid config");
        (sim, control)
    }

    #[test]
    fn torque_error_index_points_at_the_torque_and_error_read() {
        assert!(matches!(Extra::ORDER[Extra::TORQUE_ERROR_INDEX], Extra::TorqueError));
    }

    #[test]
    fn open_finds_all_nine_motors() {
        let (_sim, control) = sim_loop(200.0);
        assert_eq!(control.open().expect("sim opens"), MOTOR_IDS.to_vec());
    }

    #[test]
    fn loop_moves_motors_toward_goals() {
        let (sim, control) = sim_loop(200.0);
        control.start().expect("starts");
        control.set_torque(true).expect("torque on");
        control.set_goals(&[("stewart_1".into(), 0.5)]).expect("in limits");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut reached = false;
        while Instant::now() < deadline && !reached {
            if let Some(s) = control.wait_snapshot(0, Duration::from_secs(1)) {
                reached = (s.position[1] - 0.5).abs() < 0.01;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        control.stop();
        assert!(reached);
        assert!((sim.motor(11).expect("motor 11").goal - 0.5).abs() < 0.002);
    }

    fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + timeout;
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn enabling_torque_holds_present_positions_and_leaves_an_unreadable_motor_off() {
        let (sim, control) = sim_loop(200.0);
        control.start().expect("starts");
        // A goal written while torque is off: the register holds it, the motor does not move.
        control.set_goals(&[("stewart_1".into(), 0.5)]).expect("in limits");
        wait_for("the goal write", Duration::from_secs(10), || {
            sim.motor(11).is_ok_and(|m| (m.goal - 0.5).abs() < 0.002)
        });
        let before: Vec<SimMotor> =
            MOTOR_IDS.iter().map(|&id| sim.motor(id).expect("motor")).collect();
        assert!(before.iter().all(|m| !m.torque_enabled));
        sim.set_crc_corruption(Some(11), true).expect("motor 11");

        let error = control.set_torque(true).expect_err("motor 11 is unreadable");
        let message = error.to_string();
        assert!(matches!(error, Error::TorqueLeftOff(_)), "{error:?}");
        assert!(message.contains("stewart_1 (id 11): present position unreadable"), "{message}");
        assert!(!message.contains("id 10") && !message.contains("id 12"), "{message}");

        // 0.3 s is 15 time constants of the simulated motors: any motion would show.
        std::thread::sleep(Duration::from_millis(300));
        for old in &before {
            let now = sim.motor(old.id).expect("motor");
            if old.id == 11 {
                assert!(!now.torque_enabled, "motor 11 must stay torque-off");
                assert_eq!(now.position, old.position, "motor 11 moved");
                continue;
            }
            assert!(now.torque_enabled, "motor {} torque", old.id);
            // Goal register = present position, to the tick; the motor settles within a tick.
            assert_eq!(rad_to_ticks(now.goal), rad_to_ticks(old.position), "motor {}", old.id);
            assert!((now.position - old.position).abs() < 2.0 * TICK_RAD, "motor {}", old.id);
        }
        control.stop();
    }

    /// One tick of the position register, in radians.
    const TICK_RAD: f64 = 2.0 * std::f64::consts::PI / 4096.0;

    #[test]
    fn queued_goals_are_dropped_when_torque_is_enabled() {
        let (sim, control) = sim_loop(200.0);
        control.open().expect("opens");
        let start = sim.motor(12).expect("motor 12").position;
        // Queued while the loop is stopped; enabling torque must not write it afterwards.
        control.set_goals(&[("stewart_2".into(), 0.3)]).expect("in limits");
        control.set_torque(true).expect("all readable");
        control.start().expect("starts");
        std::thread::sleep(Duration::from_millis(300));
        control.stop();
        let motor = sim.motor(12).expect("motor 12");
        assert!(motor.torque_enabled);
        assert!((motor.position - start).abs() < 2.0 * TICK_RAD, "moved to {}", motor.position);
    }

    #[test]
    fn a_panicking_loop_keeps_its_reason_and_starts_again() {
        let (sim, control) = sim_loop(200.0);
        control.start().expect("starts");
        control.wait_snapshot(0, Duration::from_secs(5)).expect("a snapshot");
        assert_eq!(control.exit_reason(), None);
        sim.inject_panic();
        wait_for("the loop to end", Duration::from_secs(5), || !control.running());
        let reason = control.exit_reason().expect("a reason");
        assert!(reason.contains("loop thread panicked") && reason.contains("injected"), "{reason}");

        control.start().expect("starts again");
        assert!(control.running());
        assert_eq!(control.exit_reason(), None);
        let last = control.snapshot().map_or(0, |s| s.seq);
        let resumed = control.wait_snapshot(last, Duration::from_secs(5)).expect("snapshots flow");
        assert!(resumed.seq > last);
        control.stop();
        assert_eq!(control.exit_reason(), None, "a requested stop is not a failure");
    }

    #[test]
    fn goal_outside_limits_queues_nothing() {
        let (_sim, control) = sim_loop(200.0);
        let goals = [("stewart_1".to_string(), 0.2), ("stewart_2".to_string(), 3.0)];
        assert!(matches!(control.set_goals(&goals), Err(Error::Limit(_))));
        assert!(lock(&control.shared.pending).iter().all(|g| g.is_none()));
    }

    #[test]
    fn narrowed_limits_cannot_widen_the_table() {
        let mut config = LoopConfig::default();
        config.narrow_limits(&[("stewart_1".into(), (-5.0, 0.1))]).expect("narrowing");
        assert_eq!(config.limits[1], (JOINT_LIMITS[1].0, 0.1));
        assert!(config.narrow_limits(&[("nose".into(), (0.0, 0.1))]).is_err());
    }

    #[test]
    fn silent_motor_is_left_out_then_rejoins_when_it_answers() {
        let (sim, control) = sim_loop(200.0);
        control.start().expect("starts");
        sim.set_unresponsive(16, true).expect("motor 16");
        let first = control.wait_snapshot(0, Duration::from_secs(5)).expect("a snapshot");
        let later = control.wait_snapshot(first.seq + 100, Duration::from_secs(20)).expect("more");
        // Left out after 3 misses, then one failed ping per second: far fewer timeouts than
        // cycles, where a motor read every cycle would time out every cycle.
        let timeouts = control.stats().errors.get("timeout").copied().unwrap_or(0);
        assert!(later.comm_errors[6] >= BENCH_AFTER as u64);
        // Its position is kept but dated: older than the others', which advance.
        assert!(later.position_time[6] < later.read_time - 0.1);
        assert_eq!(later.position_time[5], later.read_time);
        assert!(timeouts < 40, "{timeouts} timeouts in {} cycles", later.seq - first.seq);
        sim.set_unresponsive(16, false).expect("motor 16");
        control.set_torque(true).expect("torque");
        control.set_goals(&[("stewart_6".into(), 0.2)]).expect("in limits");
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut tracked = false;
        while !tracked && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            tracked = control.snapshot().is_some_and(|s| (s.position[6] - 0.2).abs() < 0.01);
        }
        control.stop();
        assert!(tracked);
    }

    #[test]
    fn unplugged_bus_stops_snapshots_then_recovers() {
        let (sim, control) = sim_loop(200.0);
        control.start().expect("starts");
        let first = control.wait_snapshot(0, Duration::from_secs(5)).expect("a snapshot");
        sim.set_unplugged(true);
        let deadline = Instant::now() + Duration::from_secs(5);
        while control.bus_state() != BusState::Reconnecting && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(control.bus_state(), BusState::Reconnecting);
        let frozen = control.snapshot().expect("kept").seq;
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(control.snapshot().expect("kept").seq, frozen);
        sim.set_unplugged(false);
        let resumed = control.wait_snapshot(frozen, Duration::from_secs(10)).expect("resumes");
        control.stop();
        assert!(resumed.seq > frozen && frozen >= first.seq);
        assert!(control.stats().reconnects >= 1);
    }
}
