//! The motion layer, run by the control loop at every tick: moves (gotos, trajectories, the
//! vendor's wake up and sleep) and streamed targets shaped by velocity and acceleration
//! limits.
//!
//! A move is planned from the present state and its whole path checked (workspace, joint
//! limits, velocity limits) before it is queued; the loop starts it at its next tick, which is
//! the move's t = 0, and evaluates it at every tick after. It ends as completed (the tick at
//! or past its duration writes its end), cancelled (stopped, replaced by another move, torque
//! changed, loop stopped) or failed (a tick could not be solved, or the loop stopped driving
//! the motors for more than 0.25 s). A shorter stall of the loop delays the move by as much.
//! While a move runs, streamed targets are refused with `move_running`.

mod path;
mod plans;
mod rotation;
mod shaper;
mod warp;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub use path::{MoveKind, Plan, MOVE_KIND_NAMES};
pub use plans::{
    goto, goto_sleep, head_trajectory, joint_trajectory, wake_up, Present, Target, TrajectoryPoint,
};
pub use rotation::{interpolate_pose, magic_distance};
pub use shaper::Shaper;
pub use warp::{Warp, WARP_NAMES};

use crate::error::{Error, Result};
use crate::joints::COUNT;

/// Longest move, in seconds.
pub const MAX_DURATION_S: f64 = 60.0;
/// Default velocity limit of every joint, rad/s: the speed an XL330-M288 holds under the
/// head's load, and what the vendor's wake up and sleep need.
pub const DEFAULT_MAX_VELOCITY: f64 = 6.0;
/// Default acceleration limit of every joint, rad/s²: full speed in 60 ms.
pub const DEFAULT_MAX_ACCELERATION: f64 = 100.0;
/// A running move fails when the loop did not drive the motors for this long (bus down, loop
/// stopped): the robot may have moved meanwhile. A shorter stall (a busy machine) delays the
/// move by the stall instead: it resumes where it was, without a jump.
const MAX_GAP_S: f64 = 0.25;
/// A gap of more than this many periods is a stall.
const STALL_PERIODS: f64 = 4.0;
/// Move events kept for the caller.
const EVENT_CAPACITY: usize = 256;

/// One move's start or end.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveEvent {
    pub id: String,
    pub kind: &'static str,
    /// started, completed, cancelled or failed.
    pub event: &'static str,
    pub reason: String,
    /// Wall-clock time, s.
    pub time: f64,
    pub duration: f64,
}

/// The running move.
#[derive(Debug, Clone)]
pub struct Running {
    pub plan: Plan,
    pub started: Instant,
    pub last_tick: Instant,
}

/// What one tick asks the loop to write.
#[derive(Debug, Clone, Default)]
pub struct Tick {
    pub goals: [Option<f64>; COUNT],
    pub move_id: Option<String>,
    pub move_time: f64,
    /// Turn torque off on every motor after the write (the end of the sleep).
    pub torque_off: bool,
}

/// The motion state the loop and the callers share (behind `Shared::motion`).
#[derive(Debug, Default)]
pub struct Motion {
    pub shaper: Shaper,
    /// Joints whose streamed target came while they were at rest: they start from the goal
    /// in the motor.
    fresh: [bool; COUNT],
    pub running: Option<Running>,
    pub queued: Option<Plan>,
    pub events: VecDeque<MoveEvent>,
    pub automatic_body_yaw: bool,
    next_id: u64,
}

fn wall_time() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Motion {
    /// The id for a move: the caller's, or a new one.
    pub fn new_id(&mut self, wanted: &str) -> String {
        if wanted.is_empty() {
            self.next_id += 1;
            format!("move-{}", self.next_id)
        } else {
            wanted.to_string()
        }
    }

    fn push(&mut self, plan: &Plan, event: &'static str, reason: String) {
        if self.events.len() >= EVENT_CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(MoveEvent {
            id: plan.id.clone(),
            kind: plan.kind.name(),
            event,
            reason,
            time: wall_time(),
            duration: plan.duration(),
        });
    }

    /// The running or queued move, if any: (id, kind).
    pub fn busy(&self) -> Option<(&str, &'static str)> {
        self.queued
            .as_ref()
            .or(self.running.as_ref().map(|r| &r.plan))
            .map(|p| (p.id.as_str(), p.kind.name()))
    }

    /// Queue a checked plan: it starts at the next tick and replaces any other move.
    pub fn queue(&mut self, plan: Plan) {
        if let Some(earlier) = self.queued.take() {
            self.push(
                &earlier,
                "cancelled",
                format!("replaced by move {} before it started", plan.id),
            );
        }
        self.queued = Some(plan);
    }

    /// End the running and the queued move as cancelled; the goals stay where they are.
    /// Returns the id of the move ended.
    pub fn cancel(&mut self, reason: &str, goals: &[f64; COUNT]) -> Option<String> {
        let mut ended = None;
        if let Some(queued) = self.queued.take() {
            self.push(&queued, "cancelled", reason.to_string());
            ended = Some(queued.id);
        }
        if let Some(running) = self.running.take() {
            self.push(&running.plan, "cancelled", reason.to_string());
            ended = Some(running.plan.id);
        }
        self.shaper.rest_at(goals);
        self.fresh = [false; COUNT];
        ended
    }

    /// Set streamed targets (already checked against the limits); refused while a move runs.
    pub fn stream(&mut self, targets: &[(usize, f64)]) -> Result<()> {
        if let Some((id, kind)) = self.busy() {
            return Err(Error::Motion(format!(
                "move_running: {kind} {id} is running; streamed targets are refused until it \
                 ends (stop it first)"
            )));
        }
        for &(k, value) in targets {
            let axis = &mut self.shaper.axes[k];
            if axis.target.is_none() && axis.velocity == 0.0 {
                self.fresh[k] = true;
            }
            axis.target = Some(value);
        }
        Ok(())
    }

    /// One tick at `now`: the goals to write. `goals` are those in the motors now.
    pub fn tick(
        &mut self,
        now: Instant,
        period: f64,
        goals: &[f64; COUNT],
        limits: &[(f64, f64); COUNT],
        max_velocity: &[f64; COUNT],
        max_acceleration: &[f64; COUNT],
    ) -> Tick {
        let mut out = Tick::default();
        if let Some(plan) = self.queued.take() {
            if let Some(running) = self.running.take() {
                self.push(&running.plan, "cancelled", format!("replaced by move {}", plan.id));
            }
            self.push(&plan, "started", String::new());
            self.shaper.rest_at(goals);
            self.fresh = [false; COUNT];
            self.running = Some(Running { plan, started: now, last_tick: now });
        }
        let Some(running) = self.running.as_mut() else {
            self.stream_tick(&mut out, period, goals, limits, max_velocity, max_acceleration);
            return out;
        };
        let gap = now.saturating_duration_since(running.last_tick).as_secs_f64();
        running.last_tick = now;
        if gap > STALL_PERIODS * period && gap <= MAX_GAP_S {
            // Resume one period after the last tick's time, as if the stall had not happened;
            // a late tick of a few periods keeps the move on the wall clock.
            running.started += Duration::from_secs_f64(gap - period);
        }
        if gap > MAX_GAP_S {
            let running = self.running.take().expect("checked above");
            let reason = format!(
                "the loop did not drive the motors for {:.0} ms (bus down or loop stopped); \
                 the move stopped where it was",
                gap * 1e3
            );
            self.push(&running.plan, "failed", reason);
            self.shaper.rest_at(goals);
            return out;
        }
        let duration = running.plan.duration();
        let elapsed = now.saturating_duration_since(running.started).as_secs_f64();
        let done = elapsed >= duration;
        let t = elapsed.min(duration);
        match running.plan.eval(t) {
            Ok(q) => {
                for k in (0..COUNT).filter(|&k| running.plan.driven[k]) {
                    out.goals[k] = Some(q[k].clamp(limits[k].0, limits[k].1));
                }
                out.move_id = Some(running.plan.id.clone());
                out.move_time = t;
                if done {
                    let running = self.running.take().expect("checked above");
                    out.torque_off = running.plan.torque_off_at_end;
                    self.push(&running.plan, "completed", String::new());
                    let mut rest = *goals;
                    for (value, goal) in rest.iter_mut().zip(&out.goals) {
                        if let Some(g) = goal {
                            *value = *g;
                        }
                    }
                    self.shaper.rest_at(&rest);
                }
            }
            Err(e) => {
                let running = self.running.take().expect("checked above");
                let reason = format!("at t={t:.3} s: {e}; the move stopped where it was");
                self.push(&running.plan, "failed", reason);
                self.shaper.rest_at(goals);
            }
        }
        out
    }

    fn stream_tick(
        &mut self,
        out: &mut Tick,
        period: f64,
        goals: &[f64; COUNT],
        limits: &[(f64, f64); COUNT],
        max_velocity: &[f64; COUNT],
        max_acceleration: &[f64; COUNT],
    ) {
        for k in 0..COUNT {
            let axis = &mut self.shaper.axes[k];
            if std::mem::take(&mut self.fresh[k]) {
                axis.position = goals[k];
                axis.velocity = 0.0;
            }
            out.goals[k] = axis.step(period, max_velocity[k], max_acceleration[k], limits[k]);
        }
    }
}

#[cfg(test)]
mod tests;
