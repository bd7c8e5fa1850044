//! Stewart platform kinematics of the head in the vendor's conventions (reachy_mini 1.13.0).
//!
//! Head pose: the 4×4 homogeneous transform of the head in the robot's base (world) frame,
//! metres; the identity is the neutral head. It does not turn with the body: the body yaw is
//! taken out as Rz(−body_yaw)·T before solving, so a head yaw of 0.5 rad over a body yaw of
//! 0.5 rad needs the same Stewart angles as the neutral head over a body at 0.
//!
//! Model (robot table, `kinematics`): six rotary motors each turn an arm of length
//! `MOTOR_ARM_LENGTH` about the z axis of their motor frame (arm tip at rs·(cos θ, sin θ, 0));
//! a rod of length `ROD_LENGTH` joins the arm tip to the attachment point `BRANCH_POSITION` of
//! the head platform. The platform frame sits `HEAD_Z_OFFSET` above the base origin at
//! neutral. Joint angles are the motors' own (`2π·raw/4096 − π` with the homing offsets), the
//! numbers the inverse gives directly: there is no other zero.
//!
//! Inverse: per branch, the closed-form half-angle solution θ = wrap(2·atan2(y, x)), NaN when
//! the rod cannot reach the attachment point (the square root's argument is negative).
//! Forward: the six rod-length equations solved for the pose by damped Gauss-Newton steps.

mod forward;
mod pose;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};
use crate::joints::envelope::{
    MAX_BODY_YAW_DEG, MAX_HEAD_YAW_DEG, MAX_PITCH_DEG, MAX_RELATIVE_YAW_DEG, MAX_ROLL_DEG,
    MAX_TRANSLATION_M,
};
use crate::joints::geometry::{
    BRANCH_POSITION, HEAD_Z_OFFSET, MOTOR_ARM_LENGTH, ROD_LENGTH, SOLUTION, T_MOTOR_WORLD,
};
use crate::joints::JOINT_LIMITS;
use pose::{apply, mul, rot_z};
use std::f64::consts::PI;

pub use forward::forward;
pub use pose::{check_rigid, Mat4, Pose, IDENTITY};

/// Rounding allowance on the envelope, so that a pose computed by FK of an in-limit pose passes.
const LIMIT_EPS: f64 = 1e-9;

/// Wrap an angle to [−π, π), as the vendor does: a − 2π·floor((a + π)/2π).
fn wrap(a: f64) -> f64 {
    a - 2.0 * PI * ((a + PI) / (2.0 * PI)).floor()
}

/// The platform frame relative to the body: Rz(−body_yaw)·T with the head frame's height
/// above the base origin added back.
fn platform_in_body(head: &Mat4, body_yaw: f64) -> Mat4 {
    let mut t = *head;
    t[2][3] += HEAD_Z_OFFSET;
    mul(&rot_z(-body_yaw), &t)
}

/// The raw analytical inverse: the six Stewart angles, NaN where a rod cannot reach.
///
/// No check of the pose, the envelope or the joint limits; the comparisons with the vendor
/// use it as is.
pub fn stewart_angles(head: &Mat4, body_yaw: f64) -> [f64; 6] {
    let platform = platform_in_body(head, body_yaw);
    let (rs, rp) = (MOTOR_ARM_LENGTH, ROD_LENGTH);
    std::array::from_fn(|k| {
        let [px, py, pz] = apply(&T_MOTOR_WORLD[k], apply(&platform, BRANCH_POSITION[k]));
        // |p − rs·(cos θ, sin θ, 0)|² = rp² is a·cos θ + b·sin θ = c; with t = tan(θ/2) it is a
        // quadratic whose discriminant is below, negative when the rod is too short.
        let n2 = px * px + py * py + pz * pz;
        let d = rp * rp - rs * rs;
        let disc =
            -n2 * n2 + 2.0 * (px * px + py * py) * (rp * rp + rs * rs) + 2.0 * pz * pz * d - d * d;
        let x = n2 + 2.0 * px * rs - rp * rp + rs * rs;
        let y = 2.0 * py * rs + SOLUTION[k] * disc.sqrt();
        wrap(2.0 * y.atan2(x))
    })
}

/// The body yaw the vendor's IK picks for a head pose when automatic body yaw is on.
///
/// It keeps the head's yaw relative to the body within `MAX_RELATIVE_YAW_DEG` (65°) by moving
/// the body, and the body within `MAX_BODY_YAW_DEG` (160°). The head's yaw is read as
/// atan2(R01, R00), with the vendor's signs, which is exactly −yaw for a level head.
pub fn automatic_body_yaw(head: &Mat4, body_yaw: f64) -> f64 {
    let max_relative = MAX_RELATIVE_YAW_DEG.to_radians();
    let max_body = MAX_BODY_YAW_DEG.to_radians();
    let current = head[0][1].atan2(head[0][0]);
    let target = -body_yaw;
    let target = current + (target - current).clamp(-max_relative, max_relative);
    -target.clamp(-max_body, max_body)
}

/// Check a head pose against the envelope of the robot table.
fn check_envelope(head: &Mat4, body_yaw: f64) -> Result<()> {
    let pose = Pose::from_matrix(head);
    for (name, value) in [("x", pose.x), ("y", pose.y), ("z", pose.z)] {
        if value.abs() > MAX_TRANSLATION_M + LIMIT_EPS {
            return Err(Error::Kinematics(format!(
                "head {name}={value:.4} m is outside ±{MAX_TRANSLATION_M} m"
            )));
        }
    }
    let relative = wrap(pose.yaw - body_yaw);
    for (name, value, limit) in [
        ("roll", pose.roll, MAX_ROLL_DEG),
        ("pitch", pose.pitch, MAX_PITCH_DEG),
        ("yaw", pose.yaw, MAX_HEAD_YAW_DEG),
        ("yaw relative to the body", relative, MAX_RELATIVE_YAW_DEG),
    ] {
        if value.abs() > limit.to_radians() + LIMIT_EPS {
            return Err(Error::Kinematics(format!(
                "head {name} {:.1}° is outside ±{limit:.0}°",
                value.to_degrees()
            )));
        }
    }
    Ok(())
}

/// The six Stewart angles for a head pose over a body yaw, or why the robot cannot take it:
/// not a rigid transform, outside the envelope, out of reach of a rod, or past a joint limit.
pub fn inverse(head: &Mat4, body_yaw: f64) -> Result<[f64; 6]> {
    check_rigid(head)?;
    if !body_yaw.is_finite() {
        return Err(Error::Kinematics("body yaw is not finite".into()));
    }
    check_envelope(head, body_yaw)?;
    inverse_in_reach(head, body_yaw)
}

/// The six Stewart angles for a head pose, checked for reach and joint limits but not against
/// the envelope: the path of a move whose target is inside it may start outside it (from the
/// vendor's sleep pose, 44 mm below neutral).
pub fn inverse_in_reach(head: &Mat4, body_yaw: f64) -> Result<[f64; 6]> {
    check_rigid(head)?;
    if !body_yaw.is_finite() {
        return Err(Error::Kinematics("body yaw is not finite".into()));
    }
    let angles = stewart_angles(head, body_yaw);
    for (k, angle) in angles.iter().enumerate() {
        if angle.is_nan() {
            return Err(Error::Kinematics(format!(
                "head pose is out of reach of motor stewart_{}",
                k + 1
            )));
        }
    }
    for (k, angle) in angles.iter().enumerate() {
        let (lower, upper) = JOINT_LIMITS[k + 1];
        if *angle < lower || *angle > upper {
            return Err(Error::Kinematics(format!(
                "head pose needs stewart_{} at {angle:.3} rad, outside [{lower:.3}, {upper:.3}]",
                k + 1
            )));
        }
    }
    Ok(angles)
}

/// Stewart angles of the neutral head (the identity) over a body at 0.
pub fn neutral_angles() -> [f64; 6] {
    stewart_angles(&IDENTITY, 0.0)
}
