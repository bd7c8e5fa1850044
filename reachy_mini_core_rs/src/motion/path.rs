//! What a move commands at each instant: its pieces (task-space gotos, joint splines, dwells)
//! and the check of the whole path before anything moves.

use super::rotation::interpolate_pose;
use super::warp::Warp;
use crate::error::{Error, Result};
use crate::joints::{COUNT, JOINT_NAMES};
use crate::kinematics::{automatic_body_yaw, inverse_in_reach, Mat4};

/// Goals of every joint, in motor order.
pub type Joints = [f64; COUNT];

/// A goto in task and joint space: the head pose interpolated as the vendor's, then IK; the
/// other driven joints linearly; everything under one time warp.
#[derive(Debug, Clone)]
pub struct TaskPiece {
    pub duration: f64,
    pub warp: Warp,
    /// The goals at its start.
    pub start: Joints,
    /// The goals at its end of the joints in `linear` (the head's joints come from the IK).
    pub end: Joints,
    pub linear: [bool; COUNT],
    /// Start and target head pose in the base frame; the Stewart joints (and, with automatic
    /// body yaw, the body) follow them by IK over the interpolated body yaw.
    pub head: Option<(Mat4, Mat4)>,
    pub automatic_body_yaw: bool,
}

impl TaskPiece {
    fn eval(&self, t: f64) -> Result<Joints> {
        let s = self.warp.apply(if self.duration > 0.0 { t / self.duration } else { 1.0 });
        let mut q = self.start;
        for (k, value) in q.iter_mut().enumerate() {
            if self.linear[k] {
                *value = self.start[k] + (self.end[k] - self.start[k]) * s;
            }
        }
        if let Some((from, to)) = &self.head {
            let pose = interpolate_pose(from, to, s);
            if self.automatic_body_yaw {
                q[0] = automatic_body_yaw(&pose, q[0]);
            }
            let stewart = inverse_in_reach(&pose, q[0])?;
            q[1..7].copy_from_slice(&stewart);
        }
        Ok(q)
    }
}

/// One knot of a joint spline: time from the trajectory's start, and per joint of the spline
/// its position, velocity and acceleration.
#[derive(Debug, Clone)]
pub struct Knot {
    pub time: f64,
    pub position: Vec<f64>,
    pub velocity: Vec<f64>,
    pub acceleration: Vec<f64>,
}

/// A joint trajectory between knots: quintic Hermite (position, velocity and acceleration at
/// both ends) or cubic Hermite (position and velocity).
#[derive(Debug, Clone)]
pub struct SplinePiece {
    pub joints: Vec<usize>,
    pub knots: Vec<Knot>,
    pub quintic: bool,
    /// Goals of the joints the spline does not drive.
    pub base: Joints,
}

impl SplinePiece {
    pub fn duration(&self) -> f64 {
        self.knots.last().map_or(0.0, |k| k.time)
    }

    fn eval(&self, t: f64) -> Joints {
        let mut q = self.base;
        let i = self.knots.windows(2).position(|w| t <= w[1].time).unwrap_or(self.knots.len() - 2);
        let (a, b) = (&self.knots[i], &self.knots[i + 1]);
        let h = b.time - a.time;
        let tau = ((t - a.time) / h).clamp(0.0, 1.0);
        for (j, &k) in self.joints.iter().enumerate() {
            q[k] = if self.quintic {
                quintic(
                    tau,
                    h,
                    (a.position[j], a.velocity[j], a.acceleration[j]),
                    (b.position[j], b.velocity[j], b.acceleration[j]),
                )
            } else {
                cubic(tau, h, (a.position[j], a.velocity[j]), (b.position[j], b.velocity[j]))
            };
        }
        q
    }
}

/// Cubic Hermite on [0, h] at τ = t/h.
fn cubic(tau: f64, h: f64, (p0, v0): (f64, f64), (p1, v1): (f64, f64)) -> f64 {
    let (t2, t3) = (tau * tau, tau * tau * tau);
    (2.0 * t3 - 3.0 * t2 + 1.0) * p0
        + (t3 - 2.0 * t2 + tau) * h * v0
        + (-2.0 * t3 + 3.0 * t2) * p1
        + (t3 - t2) * h * v1
}

/// Quintic Hermite on [0, h] at τ = t/h; with zero velocities and accelerations it is the
/// min-jerk profile.
fn quintic(tau: f64, h: f64, (p0, v0, a0): (f64, f64, f64), (p1, v1, a1): (f64, f64, f64)) -> f64 {
    let (t2, t3, t4, t5) = (tau * tau, tau.powi(3), tau.powi(4), tau.powi(5));
    (1.0 - 10.0 * t3 + 15.0 * t4 - 6.0 * t5) * p0
        + (tau - 6.0 * t3 + 8.0 * t4 - 3.0 * t5) * h * v0
        + (0.5 * t2 - 1.5 * t3 + 1.5 * t4 - 0.5 * t5) * h * h * a0
        + (0.5 * t3 - t4 + 0.5 * t5) * h * h * a1
        + (-4.0 * t3 + 7.0 * t4 - 3.0 * t5) * h * v1
        + (10.0 * t3 - 15.0 * t4 + 6.0 * t5) * p1
}

/// One piece of a move.
#[derive(Debug, Clone)]
pub enum Piece {
    Task(Box<TaskPiece>),
    Spline(SplinePiece),
    /// Hold the goals for a while (the vendor's pauses between the parts of wake up and sleep).
    Dwell {
        duration: f64,
        hold: Joints,
    },
}

impl Piece {
    pub fn duration(&self) -> f64 {
        match self {
            Piece::Task(p) => p.duration,
            Piece::Spline(p) => p.duration(),
            Piece::Dwell { duration, .. } => *duration,
        }
    }

    fn eval(&self, t: f64) -> Result<Joints> {
        match self {
            Piece::Task(p) => p.eval(t),
            Piece::Spline(p) => Ok(p.eval(t)),
            Piece::Dwell { hold, .. } => Ok(*hold),
        }
    }
}

/// The kinds of move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveKind {
    Goto,
    WakeUp,
    GotoSleep,
    JointTrajectory,
    HeadTrajectory,
}

pub const MOVE_KIND_NAMES: [&str; 5] =
    ["goto", "wake_up", "goto_sleep", "joint_trajectory", "head_trajectory"];

impl MoveKind {
    pub fn name(self) -> &'static str {
        match self {
            MoveKind::Goto => "goto",
            MoveKind::WakeUp => "wake_up",
            MoveKind::GotoSleep => "goto_sleep",
            MoveKind::JointTrajectory => "joint_trajectory",
            MoveKind::HeadTrajectory => "head_trajectory",
        }
    }
}

/// A whole move: its pieces one after the other, the joints it drives, and whether the
/// motors go limp when it completes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: String,
    pub kind: MoveKind,
    pub pieces: Vec<Piece>,
    pub driven: [bool; COUNT],
    pub torque_off_at_end: bool,
}

impl Plan {
    pub fn duration(&self) -> f64 {
        self.pieces.iter().map(Piece::duration).sum()
    }

    /// The goals at time t from the move's start (clamped to its duration).
    pub fn eval(&self, t: f64) -> Result<Joints> {
        let mut start = 0.0;
        for (i, piece) in self.pieces.iter().enumerate() {
            let end = start + piece.duration();
            if t < end || i + 1 == self.pieces.len() {
                return piece.eval((t - start).clamp(0.0, piece.duration()));
            }
            start = end;
        }
        Err(Error::Motion("the move has no piece".into()))
    }

    /// Check the path at every loop period from the start to the end, against the
    /// workspace (the IK), the joint limits and the velocity limits, from the present goals
    /// `from`; the error names the first failing time.
    pub fn check(
        &self,
        period: f64,
        from: &Joints,
        limits: &[(f64, f64); COUNT],
        max_velocity: &[f64; COUNT],
    ) -> Result<()> {
        let duration = self.duration();
        if !(duration.is_finite() && duration > 0.0) {
            return Err(Error::Motion(format!("the move's duration {duration} s is not positive")));
        }
        let steps = (duration / period).ceil() as usize;
        let mut previous = (0.0, *from);
        for n in 0..=steps {
            let t = (n as f64 * period).min(duration);
            let at = |reason: String| {
                Error::Motion(format!("at t={t:.3} s of {duration:.3} s: {reason}"))
            };
            let q = self.eval(t).map_err(|e| at(e.to_string()))?;
            for k in (0..COUNT).filter(|&k| self.driven[k]) {
                let (lower, upper) = limits[k];
                if !q[k].is_finite() || q[k] < lower - 1e-12 || q[k] > upper + 1e-12 {
                    return Err(at(format!(
                        "{} would be at {:.4} rad, outside [{lower:.4}, {upper:.4}]",
                        JOINT_NAMES[k], q[k]
                    )));
                }
                // From the present state to the first sample, a whole period is allowed.
                let dt = if n == 0 { period } else { (t - previous.0).max(1e-12) };
                let speed = (q[k] - previous.1[k]).abs() / dt;
                if speed > max_velocity[k] * (1.0 + 1e-6) {
                    return Err(at(format!(
                        "{} would move at {speed:.2} rad/s, above its velocity limit {:.2} rad/s; \
                         give the move more time",
                        JOINT_NAMES[k], max_velocity[k]
                    )));
                }
            }
            previous = (t, q);
        }
        Ok(())
    }
}
