//! Forward kinematics: the six rod-length equations solved for the head pose.

use super::pose::{apply, check_rigid, mul, rigid_inverse, rot_z, Mat4, IDENTITY};
use super::{platform_in_body, stewart_angles, wrap};
use crate::error::{Error, Result};
use crate::joints::geometry::{
    BRANCH_POSITION, HEAD_Z_OFFSET, MOTOR_ARM_LENGTH, ROD_LENGTH, T_MOTOR_WORLD,
};

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
