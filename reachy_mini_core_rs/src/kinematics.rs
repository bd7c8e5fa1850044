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

use crate::error::{Error, Result};
use crate::joints::envelope::{
    MAX_BODY_YAW_DEG, MAX_HEAD_YAW_DEG, MAX_PITCH_DEG, MAX_RELATIVE_YAW_DEG, MAX_ROLL_DEG,
    MAX_TRANSLATION_M,
};
use crate::joints::geometry::{
    BRANCH_POSITION, HEAD_Z_OFFSET, MOTOR_ARM_LENGTH, ROD_LENGTH, SOLUTION, T_MOTOR_WORLD,
};
use crate::joints::JOINT_LIMITS;
use std::f64::consts::PI;

/// A 4×4 homogeneous transform, rows first.
pub type Mat4 = [[f64; 4]; 4];

/// The identity transform: the neutral head.
pub const IDENTITY: Mat4 =
    [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];

/// Rounding allowance on the envelope, so that a pose computed by FK of an in-limit pose passes.
const LIMIT_EPS: f64 = 1e-9;
/// How far a matrix may be from a rigid transform and still be taken as one. The vendor's
/// sleep pose, written with 3 decimals, is 1e-3 from orthonormal.
const RIGID_TOLERANCE: f64 = 5e-3;

/// Head pose as translation (m) and roll, pitch, yaw (rad), R = Rz(yaw)·Ry(pitch)·Rx(roll).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pose {
    pub x: f64,
    pub y: f64,
    pub z: f64,
    pub roll: f64,
    pub pitch: f64,
    pub yaw: f64,
}

impl Pose {
    pub fn as_array(&self) -> [f64; 6] {
        [self.x, self.y, self.z, self.roll, self.pitch, self.yaw]
    }

    pub fn from_array(v: [f64; 6]) -> Self {
        Pose { x: v[0], y: v[1], z: v[2], roll: v[3], pitch: v[4], yaw: v[5] }
    }

    /// The homogeneous transform of this pose.
    pub fn matrix(&self) -> Mat4 {
        let (sr, cr) = self.roll.sin_cos();
        let (sp, cp) = self.pitch.sin_cos();
        let (sy, cy) = self.yaw.sin_cos();
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, self.x],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, self.y],
            [-sp, cp * sr, cp * cr, self.z],
            [0.0, 0.0, 0.0, 1.0],
        ]
    }

    /// The pose of a homogeneous transform (xyz extrinsic angles, pitch in [−π/2, π/2]).
    pub fn from_matrix(m: &Mat4) -> Self {
        let pitch = (-m[2][0]).clamp(-1.0, 1.0).asin();
        let (roll, yaw) = if m[2][0].abs() < 1.0 - 1e-12 {
            (m[2][1].atan2(m[2][2]), m[1][0].atan2(m[0][0]))
        } else {
            // Gimbal lock (pitch ±90°): only roll ∓ yaw is defined; put it all in roll.
            ((-m[1][2]).atan2(m[1][1]), 0.0)
        };
        Pose { x: m[0][3], y: m[1][3], z: m[2][3], roll, pitch, yaw }
    }
}

/// Check that a matrix is a finite rigid transform (orthonormal rotation, det +1, last row
/// 0 0 0 1), within `RIGID_TOLERANCE`.
pub fn check_rigid(m: &Mat4) -> Result<()> {
    if m.iter().flatten().any(|v| !v.is_finite()) {
        return Err(Error::Kinematics("head pose is not finite".into()));
    }
    let last = [0.0, 0.0, 0.0, 1.0];
    if m[3].iter().zip(last).any(|(a, b)| (a - b).abs() > RIGID_TOLERANCE) {
        return Err(Error::Kinematics("head pose's last row is not 0 0 0 1".into()));
    }
    for i in 0..3 {
        for j in 0..3 {
            let dot: f64 = (0..3).map(|k| m[k][i] * m[k][j]).sum();
            let want = if i == j { 1.0 } else { 0.0 };
            if (dot - want).abs() > RIGID_TOLERANCE {
                return Err(Error::Kinematics("head pose's rotation is not orthonormal".into()));
            }
        }
    }
    if det3(m) < 0.0 {
        return Err(Error::Kinematics("head pose's rotation is a reflection".into()));
    }
    Ok(())
}

fn det3(m: &Mat4) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

fn mul(a: &Mat4, b: &Mat4) -> Mat4 {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..4).map(|k| a[i][k] * b[k][j]).sum()))
}

fn apply(m: &Mat4, p: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|r| m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3])
}

/// Rotation by `angle` about the base's z axis.
fn rot_z(angle: f64) -> Mat4 {
    let (s, c) = angle.sin_cos();
    [[c, -s, 0.0, 0.0], [s, c, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
}

/// Inverse of a rigid transform: (Rᵀ, −Rᵀt).
fn rigid_inverse(m: &Mat4) -> Mat4 {
    let mut out = IDENTITY;
    for i in 0..3 {
        for j in 0..3 {
            out[i][j] = m[j][i];
        }
        out[i][3] = -(0..3).map(|k| m[k][i] * m[k][3]).sum::<f64>();
    }
    out
}

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

/// Rod residuals |platform point − arm tip| − rod (m) and their Jacobian with respect to a
/// twist (v, ω) of the platform expressed in its own frame, T' = T·exp(v, ω).
fn residuals(platform: &Mat4, tips: &[[f64; 3]; 6]) -> ([f64; 6], [[f64; 6]; 6]) {
    let mut r = [0.0; 6];
    let mut jac = [[0.0; 6]; 6];
    for k in 0..6 {
        let b = BRANCH_POSITION[k];
        let q = apply(platform, b);
        let d = [q[0] - tips[k][0], q[1] - tips[k][1], q[2] - tips[k][2]];
        let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        r[k] = len - ROD_LENGTH;
        // Unit rod direction in the platform frame: u = Rᵀd/|d|; a twist moves the point b by
        // v + ω×b, so dr = u·v + (b×u)·ω.
        let u: [f64; 3] =
            std::array::from_fn(|i| (0..3).map(|j| platform[j][i] * d[j]).sum::<f64>() / len);
        let bxu = [b[1] * u[2] - b[2] * u[1], b[2] * u[0] - b[0] * u[2], b[0] * u[1] - b[1] * u[0]];
        jac[k] = [u[0], u[1], u[2], bxu[0], bxu[1], bxu[2]];
    }
    (r, jac)
}

/// T·exp(v, ω): the platform moved by a twist in its own frame (Rodrigues for the rotation).
fn step(platform: &Mat4, twist: &[f64; 6]) -> Mat4 {
    let w = [twist[3], twist[4], twist[5]];
    let angle = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
    let mut delta = IDENTITY;
    if angle > 1e-15 {
        let a = [w[0] / angle, w[1] / angle, w[2] / angle];
        let (s, c) = angle.sin_cos();
        let t = 1.0 - c;
        delta[0][..3].copy_from_slice(&[
            t * a[0] * a[0] + c,
            t * a[0] * a[1] - s * a[2],
            t * a[0] * a[2] + s * a[1],
        ]);
        delta[1][..3].copy_from_slice(&[
            t * a[0] * a[1] + s * a[2],
            t * a[1] * a[1] + c,
            t * a[1] * a[2] - s * a[0],
        ]);
        delta[2][..3].copy_from_slice(&[
            t * a[0] * a[2] - s * a[1],
            t * a[1] * a[2] + s * a[0],
            t * a[2] * a[2] + c,
        ]);
    }
    for i in 0..3 {
        delta[i][3] = twist[i];
    }
    mul(platform, &delta)
}

/// Solve a 6×6 linear system by Gaussian elimination with partial pivoting.
#[allow(clippy::needless_range_loop)] // index arithmetic reads closer to the textbook here
fn solve6(mut a: [[f64; 6]; 6], mut b: [f64; 6]) -> Option<[f64; 6]> {
    for col in 0..6 {
        let pivot = (col..6).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..6 {
            let f = a[row][col] / a[col][col];
            for k in col..6 {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 6];
    for row in (0..6).rev() {
        let mut s = b[row];
        for k in row + 1..6 {
            s -= a[row][k] * x[k];
        }
        x[row] = s / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

fn norm2(r: &[f64; 6]) -> f64 {
    r.iter().map(|x| x * x).sum()
}

/// Residual below which the rods fit (m): 1e-10 m is far below the 0.09 mm of one motor tick
/// at the 40 mm arm.
const FK_TOLERANCE: f64 = 1e-10;
/// Levenberg-Marquardt iterations; from neutral to the envelope's edge takes about 10.
const FK_MAX_ITERATIONS: usize = 100;

/// Levenberg-Marquardt on the rod residuals from `start` (platform in the body frame).
#[allow(clippy::needless_range_loop)]
fn solve_forward(tips: &[[f64; 3]; 6], start: &Mat4) -> Option<Mat4> {
    let mut platform = *start;
    let (mut r, mut jac) = residuals(&platform, tips);
    let mut cost = norm2(&r);
    let mut lambda = 1e-6;
    for _ in 0..FK_MAX_ITERATIONS {
        if r.iter().all(|v| v.abs() < FK_TOLERANCE) {
            return Some(platform);
        }
        let mut jtj = [[0.0; 6]; 6];
        let mut jtr = [0.0; 6];
        for i in 0..6 {
            for j in 0..6 {
                jtj[i][j] = (0..6).map(|k| jac[k][i] * jac[k][j]).sum();
            }
            jtr[i] = -(0..6).map(|k| jac[k][i] * r[k]).sum::<f64>();
        }
        let mut accepted = false;
        while lambda < 1e6 {
            let mut damped = jtj;
            for i in 0..6 {
                damped[i][i] += lambda * (1.0 + jtj[i][i]);
            }
            let Some(twist) = solve6(damped, jtr) else {
                lambda *= 10.0;
                continue;
            };
            let candidate = step(&platform, &twist);
            let (r2, jac2) = residuals(&candidate, tips);
            let cost2 = norm2(&r2);
            if cost2.is_finite() && cost2 < cost {
                (platform, r, jac, cost) = (candidate, r2, jac2, cost2);
                lambda = (lambda * 0.1).max(1e-12);
                accepted = true;
                break;
            }
            lambda *= 10.0;
        }
        if !accepted {
            break;
        }
    }
    r.iter().all(|v| v.abs() < FK_TOLERANCE).then_some(platform)
}

/// Head pose (base frame) of six Stewart angles over a body yaw.
///
/// Damped Newton from `start` (a base-frame head pose, typically the previous one: near the
/// workspace's edge two poses can share the same angles, and Newton returns the one it reaches
/// first); without `start`, or when that fails, from the neutral head over the body. A pose is
/// accepted only if the inverse of it gives back the angles (the same assembly mode).
pub fn forward(angles: &[f64; 6], body_yaw: f64, start: Option<&Mat4>) -> Result<Mat4> {
    if angles.iter().any(|a| !a.is_finite()) || !body_yaw.is_finite() {
        return Err(Error::Kinematics("motor angles are not finite".into()));
    }
    if let Some(start) = start {
        check_rigid(start)?;
    }
    let tips: [[f64; 3]; 6] = std::array::from_fn(|k| {
        let (s, c) = angles[k].sin_cos();
        apply(&rigid_inverse(&T_MOTOR_WORLD[k]), [MOTOR_ARM_LENGTH * c, MOTOR_ARM_LENGTH * s, 0.0])
    });
    let neutral = platform_in_body(&rot_z(body_yaw), body_yaw);
    let starts = start.map(|s| platform_in_body(s, body_yaw)).into_iter().chain([neutral]);
    for first in starts {
        let Some(platform) = solve_forward(&tips, &first) else { continue };
        let mut head = mul(&rot_z(body_yaw), &platform);
        head[2][3] -= HEAD_Z_OFFSET;
        // 1e-6 rad is 0.03 of a motor tick (1.53e-3 rad).
        let back = stewart_angles(&head, body_yaw);
        if back.iter().zip(angles).all(|(b, a)| (wrap(b - a)).abs() < 1e-6) {
            return Ok(head);
        }
    }
    Err(Error::Kinematics(format!("forward kinematics did not converge for {angles:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference answers of the vendor's `AnalyticalKinematics` (reachy_mini 1.13.0,
    /// `automatic_body_yaw=False`): pose (x, y, z, roll, pitch, yaw) in the base frame, body
    /// yaw, Stewart angles (None where the vendor gives NaN) and the vendor's automatic body yaw.
    type Case = ([f64; 6], f64, [Option<f64>; 6], f64);

    const VENDOR: [Case; 7] = [
        // Neutral.
        (
            [0.0; 6],
            0.0,
            [
                Some(0.6265471361608503),
                Some(-0.6265425506844712),
                Some(0.6265402507582244),
                Some(-0.6265361796605952),
                Some(0.6265371961549016),
                Some(-0.62653923545576),
            ],
            0.0,
        ),
        // Lifted 10 mm.
        (
            [0.0, 0.0, 0.01, 0.0, 0.0, 0.0],
            0.0,
            [
                Some(0.874635546415763),
                Some(-0.8746307988988071),
                Some(0.8746276233781763),
                Some(-0.8746234568895909),
                Some(0.8746242809588087),
                Some(-0.8746271733377969),
            ],
            0.0,
        ),
        // Every axis, over a body turned the other way.
        (
            [0.01, -0.005, 0.004, 0.1, -0.2, 0.3],
            -0.2,
            [
                Some(0.921970387494038),
                Some(-0.8255787799473625),
                Some(0.8699443625405086),
                Some(-0.5221754549122049),
                Some(0.9836324701602197),
                Some(-0.6092941200488107),
            ],
            -0.2,
        ),
        // Head at neutral in the base frame, body turned 0.7 rad under it.
        (
            [0.0; 6],
            0.7,
            [
                Some(0.5250837232221011),
                Some(-0.8954728319795547),
                Some(0.525075550965399),
                Some(-0.8954667139449273),
                Some(0.5250719309588221),
                Some(-0.8954687397753629),
            ],
            0.7,
        ),
        // Large head yaw following the body.
        (
            [-0.01, 0.02, -0.01, -0.3, 0.25, 1.9],
            1.2,
            [
                Some(0.39416944637784646),
                Some(-0.021612853222365787),
                Some(0.6515232445952462),
                Some(-0.7996064228156732),
                Some(1.2511942236440403),
                Some(-0.27508483396644573),
            ],
            1.2,
        ),
        // Head yaw 86° from the body: the automatic body yaw brings it back to 65°.
        (
            [0.0, 0.0, 0.0, 0.0, 0.0, 1.5],
            0.0,
            [
                Some(1.260211169293564),
                Some(-0.7378771481592324),
                Some(1.2602041558803507),
                Some(-0.7378695200586897),
                Some(1.2602019930473403),
                Some(-0.7378714879316459),
            ],
            0.36553598620368577,
        ),
        // Lifted 30 mm and tilted 34° both ways: out of reach of stewart_1..4.
        (
            [0.0, 0.0, 0.03, 0.6, 0.6, 0.0],
            0.0,
            [None, None, None, None, Some(0.9090655555073168), Some(-0.9387563256163628)],
            0.0,
        ),
    ];

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn stewart_angles_match_the_vendor() {
        for (pose, body_yaw, want, _) in VENDOR {
            let got = stewart_angles(&Pose::from_array(pose).matrix(), body_yaw);
            for (g, w) in got.iter().zip(want) {
                match w {
                    Some(w) => assert!(close(*g, w, 1e-9), "{pose:?} {body_yaw}: {got:?}"),
                    None => assert!(g.is_nan(), "{pose:?} {body_yaw}: {got:?}"),
                }
            }
        }
    }

    #[test]
    fn neutral_angles_are_the_vendor_neutral() {
        // vendor.md: [+0.62655, −0.62654, +0.62654, −0.62654, +0.62654, −0.62654] ±2e-5.
        let want = [0.62655, -0.62654, 0.62654, -0.62654, 0.62654, -0.62654];
        for (g, w) in neutral_angles().iter().zip(want) {
            assert!(close(*g, w, 2e-5), "{:?}", neutral_angles());
        }
    }

    #[test]
    fn a_head_turned_with_the_body_needs_the_neutral_angles() {
        let head = Pose { yaw: 0.5, ..Pose::default() }.matrix();
        for (g, w) in stewart_angles(&head, 0.5).iter().zip(neutral_angles()) {
            assert!(close(*g, w, 1e-12));
        }
    }

    #[test]
    fn automatic_body_yaw_matches_the_vendor() {
        for (pose, body_yaw, _, want) in VENDOR {
            let got = automatic_body_yaw(&Pose::from_array(pose).matrix(), body_yaw);
            assert!(close(got, want, 1e-12), "{pose:?} {body_yaw}: {got}");
        }
    }

    #[test]
    fn automatic_body_yaw_stops_the_body_at_160_degrees() {
        // Head yaw 3.0 rad over a body asked for 3.0: the body stops at 160° (2.7925 rad).
        let head = Pose { yaw: 3.0, ..Pose::default() }.matrix();
        assert!(close(automatic_body_yaw(&head, 3.0), 160f64.to_radians(), 1e-12));
    }

    #[test]
    fn forward_of_the_vendor_angles_gives_back_the_pose() {
        for (pose, body_yaw, want, _) in VENDOR {
            let Some(angles) = want.iter().copied().collect::<Option<Vec<f64>>>() else {
                continue;
            };
            let angles: [f64; 6] = std::array::from_fn(|k| angles[k]);
            let got = forward(&angles, body_yaw, None).expect("converges from neutral");
            let want = Pose::from_array(pose).matrix();
            for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
                assert!(close(*g, *w, 1e-9), "{pose:?} {body_yaw}: {got:?}");
            }
        }
    }

    #[test]
    fn inverse_names_the_motor_out_of_reach() {
        let head = Pose { z: 0.03, roll: 0.6, pitch: 0.6, ..Pose::default() }.matrix();
        let err = inverse(&head, 0.0).expect_err("beyond the rods");
        assert_eq!(err, Error::Kinematics("head pose is out of reach of motor stewart_1".into()));
    }

    #[test]
    fn inverse_refuses_poses_outside_the_envelope() {
        let d = PI / 180.0;
        let cases = [
            (Pose { roll: 41.0 * d, ..Pose::default() }, 0.0, "roll"),
            (Pose { pitch: -41.0 * d, ..Pose::default() }, 0.0, "pitch"),
            (Pose { yaw: 66.0 * d, ..Pose::default() }, 0.0, "relative to the body"),
            (Pose { yaw: 0.0, ..Pose::default() }, -66.0 * d, "relative to the body"),
            (Pose { z: 0.031, ..Pose::default() }, 0.0, "z="),
            (Pose { x: -0.031, ..Pose::default() }, 0.0, "x="),
        ];
        for (pose, body_yaw, word) in cases {
            match inverse(&pose.matrix(), body_yaw) {
                Err(Error::Kinematics(reason)) => assert!(reason.contains(word), "{reason}"),
                other => panic!("{pose:?}: {other:?}"),
            }
        }
        // 100° of head yaw is fine over a body at 60°.
        assert!(inverse(&Pose { yaw: 100.0 * d, ..Pose::default() }.matrix(), 60.0 * d).is_ok());
    }

    #[test]
    fn inverse_refuses_angles_past_the_joint_limits() {
        // Inside the envelope, and the vendor solves it with stewart_3 at 1.4923 rad, past its
        // 1.3959 rad limit (raw 2958).
        let head = [
            [-0.47089604922299294, 0.8807605828356629, -0.05017675307510365, -0.0150903407374146],
            [
                -0.8779786380513658,
                -0.47344022905525773,
                -0.07076623939120993,
                -0.013384975772113106,
            ],
            [-0.0860838077204163, 0.010730574779029889, 0.9962301103727321, 0.0163356659253293],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let body_yaw = -2.199900020517971;
        assert!(close(stewart_angles(&head, body_yaw)[2], 1.492280910512654, 1e-9));
        let err = inverse(&head, body_yaw).expect_err("past a limit");
        assert!(err.to_string().starts_with("head pose needs stewart_3 at 1.492 rad"), "{err}");
    }

    #[test]
    fn inverse_refuses_matrices_that_are_not_rigid_transforms() {
        let mut scaled = IDENTITY;
        scaled[0][0] = 1.1;
        let mut nan = IDENTITY;
        nan[1][3] = f64::NAN;
        let mut mirrored = IDENTITY;
        mirrored[2][2] = -1.0;
        for m in [scaled, nan, mirrored] {
            assert!(matches!(inverse(&m, 0.0), Err(Error::Kinematics(_))), "{m:?}");
        }
    }

    #[test]
    fn forward_of_impossible_angles_is_an_error_not_nan() {
        for angles in [[3.0; 6], [f64::NAN; 6], [0.6, -0.6, 0.6, -0.6, 0.6, f64::INFINITY]] {
            assert!(matches!(forward(&angles, 0.0, None), Err(Error::Kinematics(_))), "{angles:?}");
        }
    }

    #[test]
    fn pose_matrix_conversion_is_the_xyz_extrinsic_convention() {
        // Rz(yaw)·Ry(pitch)·Rx(roll) for yaw = 90°: x of the head points along y of the base.
        let m = Pose { yaw: PI / 2.0, ..Pose::default() }.matrix();
        assert!(close(m[1][0], 1.0, 1e-15) && close(m[0][1], -1.0, 1e-15));
        let pose = Pose { x: 0.01, y: -0.02, z: 0.005, roll: 0.3, pitch: -0.4, yaw: 2.5 };
        let back = Pose::from_matrix(&pose.matrix());
        for (a, b) in back.as_array().iter().zip(pose.as_array()) {
            assert!(close(*a, b, 1e-12));
        }
    }
}
