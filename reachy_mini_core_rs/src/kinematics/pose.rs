//! Rigid transforms of the head: the 4×4 matrix, the roll-pitch-yaw pose and their algebra.

use crate::error::{Error, Result};

/// A 4×4 homogeneous transform, rows first.
pub type Mat4 = [[f64; 4]; 4];

/// The identity transform: the neutral head.
pub const IDENTITY: Mat4 =
    [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];

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

pub(super) fn mul(a: &Mat4, b: &Mat4) -> Mat4 {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..4).map(|k| a[i][k] * b[k][j]).sum()))
}

pub(super) fn apply(m: &Mat4, p: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|r| m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3])
}

/// Rotation by `angle` about the base's z axis.
pub(super) fn rot_z(angle: f64) -> Mat4 {
    let (s, c) = angle.sin_cos();
    [[c, -s, 0.0, 0.0], [s, c, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
}

/// Inverse of a rigid transform: (Rᵀ, −Rᵀt).
pub(super) fn rigid_inverse(m: &Mat4) -> Mat4 {
    let mut out = IDENTITY;
    for i in 0..3 {
        for j in 0..3 {
            out[i][j] = m[j][i];
        }
        out[i][3] = -(0..3).map(|k| m[k][i] * m[k][3]).sum::<f64>();
    }
    out
}
