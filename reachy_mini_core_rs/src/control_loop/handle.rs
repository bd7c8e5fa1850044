//! The public handle of the loop: open, start, stop, goals, torque, reboot, statistics.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::cycle::position_ticks;
use super::lock;
use super::shared::Shared;
use super::snapshot::{percentile, StatsAcc};
use super::thread::supervise;
use super::{Backend, BusState, LoopConfig, LoopStats, Snapshot};
use crate::bus::Bus;
use crate::error::{Error, Result};
use crate::joints::{ticks_to_rad, COUNT, JOINT_NAMES, MOTOR_IDS};
use crate::kinematics::Mat4;
use crate::motion::{self, Motion, MoveEvent, Plan, Present, Target, TrajectoryPoint, Warp};
use crate::motor_setup::{self, SetupMode, SetupReport};
use crate::registers::{GOAL_POSITION, PRESENT_POSITION, TORQUE_ENABLE};

/// The control loop and its thread.
pub struct ControlLoop {
    pub(super) shared: Arc<Shared>,
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
            motion: Mutex::new(Motion::default()),
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

    /// Stop the loop thread and wait for it; a running move ends as cancelled.
    pub fn stop(&self) {
        let mut thread = lock(&self.thread);
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = thread.take() {
            // A panic in the loop thread already stopped it; nothing more to undo here.
            let _ = handle.join();
        }
        let work = lock(&self.shared.work);
        lock(&self.shared.motion).cancel("the control loop stopped", &work.goal);
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

    /// Check every goal, then set them all as streamed targets; nothing is set on error, or
    /// while a move runs (`Error::Motion` starting with `move_running`).
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
        lock(&self.shared.motion).stream(&checked)
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
                match bus.write_register(id, TORQUE_ENABLE, 0) {
                    Ok(()) => work.torque_enabled[k] = false,
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            lock(&self.shared.motion).cancel("torque was turned off", &work.goal);
            return first_error.map_or(Ok(()), Err);
        }
        // A goal set before now must not be written after the hold: end every move and
        // target (the shaper rests at the held positions below).
        lock(&self.shared.motion).cancel("torque was turned on again", &work.goal);
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
            match bus.write_register(id, TORQUE_ENABLE, 1) {
                Ok(()) => work.torque_enabled[k] = true,
                Err(e) => left_off.push(format!(
                    "{} (id {id}): torque enable not acknowledged: {e}",
                    JOINT_NAMES[k]
                )),
            }
        }
        lock(&self.shared.motion).shaper.rest_at(&work.goal);
        if left_off.is_empty() {
            Ok(())
        } else {
            Err(Error::TorqueLeftOff(format!("torque left off on {}", left_off.join("; "))))
        }
    }

    /// What the planner needs: the latest reading, the loop's period and limits.
    fn present(&self) -> Result<Present> {
        let snapshot =
            self.snapshot().ok_or_else(|| Error::Motion("no reading of the motors yet".into()))?;
        if !self.running() {
            return Err(Error::Motion("the control loop is not running".into()));
        }
        let config = &self.shared.config;
        Ok(Present {
            position: snapshot.position,
            torque_enabled: snapshot.torque_enabled,
            period: 1.0 / config.rate_hz,
            max_velocity: config.max_velocity,
            automatic_body_yaw: lock(&self.shared.motion).automatic_body_yaw,
        })
    }

    /// Check a plan's whole path, then queue it: the next tick starts it. Returns its id.
    fn run_plan(&self, plan: Plan) -> Result<String> {
        let config = &self.shared.config;
        let from = self.snapshot().map(|s| s.position).unwrap_or([0.0; COUNT]);
        plan.check(1.0 / config.rate_hz, &from, &config.limits, &config.max_velocity)?;
        let id = plan.id.clone();
        lock(&self.shared.motion).queue(plan);
        Ok(id)
    }

    fn move_id(&self, wanted: &str) -> Result<String> {
        if wanted.len() > 64 {
            return Err(Error::Motion("a move id has at most 64 characters".into()));
        }
        Ok(lock(&self.shared.motion).new_id(wanted))
    }

    /// A goto from the present state; see `motion::plans::goto`.
    pub fn goto(&self, id: &str, target: &Target, duration: f64, warp: Warp) -> Result<String> {
        let present = self.present()?;
        self.run_plan(motion::goto(self.move_id(id)?, &present, target, duration, warp)?)
    }

    /// The vendor's wake up.
    pub fn wake_up(&self, id: &str) -> Result<String> {
        let present = self.present()?;
        self.run_plan(motion::wake_up(self.move_id(id)?, &present)?)
    }

    /// The vendor's sleep; the motors go limp at its end.
    pub fn goto_sleep(&self, id: &str) -> Result<String> {
        let present = self.present()?;
        self.run_plan(motion::goto_sleep(self.move_id(id)?, &present)?)
    }

    /// A joint trajectory from the present state.
    pub fn joint_trajectory(
        &self,
        id: &str,
        names: &[String],
        points: &[TrajectoryPoint],
    ) -> Result<String> {
        let present = self.present()?;
        self.run_plan(motion::joint_trajectory(self.move_id(id)?, &present, names, points)?)
    }

    /// A head trajectory from the present pose.
    pub fn head_trajectory(&self, id: &str, points: &[(f64, Mat4)]) -> Result<String> {
        let present = self.present()?;
        self.run_plan(motion::head_trajectory(self.move_id(id)?, &present, points)?)
    }

    /// End the running move where it is; return its id, None if no move ran.
    pub fn stop_move(&self) -> Option<String> {
        let work = lock(&self.shared.work);
        lock(&self.shared.motion).cancel("stopped", &work.goal)
    }

    /// The running (or about to start) move: id, kind, elapsed and duration in seconds.
    pub fn running_move(&self) -> Option<(String, &'static str, f64, f64)> {
        let motion = lock(&self.shared.motion);
        if let Some(plan) = &motion.queued {
            return Some((plan.id.clone(), plan.kind.name(), 0.0, plan.duration()));
        }
        motion.running.as_ref().map(|r| {
            (
                r.plan.id.clone(),
                r.plan.kind.name(),
                r.started.elapsed().as_secs_f64(),
                r.plan.duration(),
            )
        })
    }

    /// The move events since the last call, oldest first.
    pub fn take_move_events(&self) -> Vec<MoveEvent> {
        lock(&self.shared.motion).events.drain(..).collect()
    }

    pub fn set_automatic_body_yaw(&self, enabled: bool) {
        lock(&self.shared.motion).automatic_body_yaw = enabled;
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
    let first = bus.sync_read(&MOTOR_IDS, PRESENT_POSITION.address, PRESENT_POSITION.size);
    for (k, &id) in MOTOR_IDS.iter().enumerate() {
        let mut read = match &first {
            Ok(reads) => reads.get(k).cloned().unwrap_or(Err(Error::Timeout { id })),
            Err(e) => Err(e.clone()),
        }
        .and_then(|(data, _)| {
            position_ticks(&data).ok_or_else(|| Error::Length("short position reply".into()))
        });
        for _retry in 0..max_retries {
            if read.is_ok() {
                break;
            }
            read = bus.read(id, PRESENT_POSITION.address, PRESENT_POSITION.size).and_then(|data| {
                position_ticks(&data).ok_or_else(|| Error::Length("short position reply".into()))
            });
        }
        held[k] = match read {
            Err(e) => Err(format!("present position unreadable: {e}")),
            Ok(ticks) => match bus.write(id, GOAL_POSITION.address, &ticks.to_le_bytes()) {
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
