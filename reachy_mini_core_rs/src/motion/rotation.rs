//! Rotations for interpolating head poses: quaternions, rotation vectors and the vendor's
//! pose interpolation (`linear_pose_interpolation` with `yaw_as_scalar`).

use crate::kinematics::Mat4;

type Mat3 = [[f64; 3]; 3];

fn rotation(m: &Mat4) -> Mat3 {
    std::array::from_fn(|i| std::array::from_fn(|j| m[i][j]))
}

fn mul3(a: &Mat3, b: &Mat3) -> Mat3 {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

fn transpose(a: &Mat3) -> Mat3 {
    std::array::from_fn(|i| std::array::from_fn(|j| a[j][i]))
}

fn rot_z(angle: f64) -> Mat3 {
    let (s, c) = angle.sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// Unit quaternion (x, y, z, w) of a rotation matrix, w ≥ 0 (Shepperd's method).
fn quaternion(m: &Mat3) -> [f64; 4] {
    let trace = m[0][0] + m[1][1] + m[2][2];
    let q = if trace > m[0][0].max(m[1][1]).max(m[2][2]) {
        let s = 2.0 * (1.0 + trace).sqrt();
        [(m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s, s / 4.0]
    } else if m[0][0] >= m[1][1] && m[0][0] >= m[2][2] {
        let s = 2.0 * (1.0 + m[0][0] - m[1][1] - m[2][2]).sqrt();
        [s / 4.0, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s, (m[2][1] - m[1][2]) / s]
    } else if m[1][1] >= m[2][2] {
        let s = 2.0 * (1.0 + m[1][1] - m[0][0] - m[2][2]).sqrt();
        [(m[0][1] + m[1][0]) / s, s / 4.0, (m[1][2] + m[2][1]) / s, (m[0][2] - m[2][0]) / s]
    } else {
        let s = 2.0 * (1.0 + m[2][2] - m[0][0] - m[1][1]).sqrt();
        [(m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, s / 4.0, (m[1][0] - m[0][1]) / s]
    };
    let n = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    let sign = if q[3] < 0.0 { -1.0 } else { 1.0 };
    q.map(|v| sign * v / n)
}

/// The rotation vector (axis × angle, angle in [0, π]) of a rotation matrix.
fn rotvec(m: &Mat3) -> [f64; 3] {
    let [x, y, z, w] = quaternion(m);
    let norm = (x * x + y * y + z * z).sqrt();
    let angle = 2.0 * norm.atan2(w);
    // angle / sin(angle / 2), with its series near 0.
    let scale = if angle < 1e-3 {
        2.0 + angle * angle / 12.0 + 7.0 * angle.powi(4) / 2880.0
    } else {
        angle / (angle / 2.0).sin()
    };
    [x * scale, y * scale, z * scale]
}

/// The rotation matrix of a rotation vector.
fn from_rotvec(v: [f64; 3]) -> Mat3 {
    let angle = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    // sin(angle / 2) / angle, with its series near 0.
    let scale = if angle < 1e-3 {
        0.5 - angle * angle / 48.0 + angle.powi(4) / 3840.0
    } else {
        (angle / 2.0).sin() / angle
    };
    let (x, y, z, w) = (v[0] * scale, v[1] * scale, v[2] * scale, (angle / 2.0).cos());
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - z * w), 2.0 * (x * z + y * w)],
        [2.0 * (x * y + z * w), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - x * w)],
        [2.0 * (x * z - y * w), 2.0 * (y * z + x * w), 1.0 - 2.0 * (x * x + y * y)],
    ]
}

/// Yaw of the xyz extrinsic angles (R = Rz(yaw)·Ry(pitch)·Rx(roll)).
fn yaw(m: &Mat3) -> f64 {
    m[1][0].atan2(m[0][0])
}

/// The head pose a fraction s of the way from start to target, as the vendor's goto
/// interpolates it: translation linearly; yaw as a signed scalar (so that the head turns
/// through the front, never the back); the remaining tilt along its geodesic. s may leave
/// [0, 1] (the cartoon warp overshoots): the path is extrapolated.
pub fn interpolate_pose(start: &Mat4, target: &Mat4, s: f64) -> Mat4 {
    let (r0, r1) = (rotation(start), rotation(target));
    let (yaw0, yaw1) = (yaw(&r0), yaw(&r1));
    let yaw_s = yaw0 + (yaw1 - yaw0) * s;
    let residual0 = mul3(&rot_z(-yaw0), &r0);
    let residual1 = mul3(&rot_z(-yaw1), &r1);
    let relative = rotvec(&mul3(&transpose(&residual0), &residual1));
    let residual = mul3(&residual0, &from_rotvec(relative.map(|v| v * s)));
    let r = mul3(&rot_z(yaw_s), &residual);
    let mut out = [[0.0; 4]; 4];
    for i in 0..3 {
        out[i][..3].copy_from_slice(&r[i]);
        out[i][3] = start[i][3] + (target[i][3] - start[i][3]) * s;
    }
    out[3][3] = 1.0;
    out
}

/// The vendor's distance between two poses in "magic millimetres": the translation in mm
/// plus the rotation angle in degrees. Its wake up and sleep durations are computed from it.
pub fn magic_distance(a: &Mat4, b: &Mat4) -> f64 {
    let translation = (0..3).map(|i| (a[i][3] - b[i][3]).powi(2)).sum::<f64>().sqrt();
    let relative = mul3(&rotation(a), &transpose(&rotation(b)));
    let cos = ((relative[0][0] + relative[1][1] + relative[2][2] - 1.0) / 2.0).clamp(-1.0, 1.0);
    translation * 1000.0 + cos.acos().to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinematics::Pose;

    #[test]
    fn rotvec_round_trips() {
        for v in [[0.0, 0.0, 0.0], [0.3, -0.2, 0.1], [1e-5, 2e-5, 0.0], [0.0, 3.0, 0.1]] {
            let back = rotvec(&from_rotvec(v));
            for k in 0..3 {
                assert!((back[k] - v[k]).abs() < 1e-12, "{v:?} -> {back:?}");
            }
        }
    }

    #[test]
    fn interpolation_ends_at_both_poses() {
        let a = Pose { x: 0.01, y: -0.005, z: 0.002, roll: 0.2, pitch: -0.1, yaw: 0.4 }.matrix();
        let b = Pose { x: -0.01, y: 0.0, z: -0.01, roll: -0.1, pitch: 0.3, yaw: -2.5 }.matrix();
        for (s, want) in [(0.0, a), (1.0, b)] {
            let got = interpolate_pose(&a, &b, s);
            for i in 0..4 {
                for j in 0..4 {
                    assert!((got[i][j] - want[i][j]).abs() < 1e-12);
                }
            }
        }
        // Halfway, the yaw is the scalar mean: through the front, not the back.
        let mid = Pose::from_matrix(&interpolate_pose(&a, &b, 0.5));
        assert!((mid.yaw - (0.4 - 2.5) / 2.0).abs() < 0.05, "{mid:?}");
    }

    #[test]
    fn magic_distance_adds_mm_and_degrees() {
        let a = Pose { z: 0.01, roll: 10f64.to_radians(), ..Pose::default() }.matrix();
        let d = magic_distance(&a, &crate::kinematics::IDENTITY);
        assert!((d - 20.0).abs() < 1e-9, "{d}");
    }
}
