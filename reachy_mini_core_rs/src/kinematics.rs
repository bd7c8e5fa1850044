//! Stewart platform kinematics of the head: analytical inverse, numerical forward.
//!
//! Model: six rotary motors each turn an arm of length `ARM` about the z axis of the motor
//! frame (arm tip at ARM·(cos θ, sin θ, 0)); a rod of length `ROD` joins the arm tip to an
//! attachment point of the head platform. For a head pose, each attachment point is known, so
//! each motor angle follows in closed form (two solutions; the assembly mode picks one).
//! Forward kinematics solves the six rod-length equations for the pose with damped Newton
//! steps, then checks the answer against the inverse.
//!
//! Geometry: the public kinematics data of Reachy Mini published by Pollen Robotics with the
//! robot's description (`reachy_mini` repository, `src/reachy_mini/assets/kinematics_data.json`,
//! derived from the robot's URDF): motor arm 38 mm, rod 90 mm, head 177 mm above the base
//! origin at neutral, and per motor the world-to-motor transform, the attachment point in the
//! head frame and the assembly mode. The numbers below are transcribed from it.
//!
//! Motor zero: that data is taken with every joint of the description at zero and the head at
//! its neutral pose, so a motor angle is measured from where the arm sits at the neutral pose
//! (`geometric angle - NEUTRAL`). With this zero the documented envelope (roll and pitch ±40°,
//! yaw ±65°, translations as far as the rods reach) falls inside the joint limits of the motor
//! table, whose asymmetric ranges it explains; measured from the motor frame's x axis instead,
//! a 40° roll would already need 1.42 rad on stewart_2.
//!
//! Pose: x, y, z (m) and roll, pitch, yaw (rad) of the head relative to its neutral pose, in
//! the body frame; rotation R = Rz(yaw)·Ry(pitch)·Rx(roll), as ROS's RPY.

use crate::error::{Error, Result};
use crate::joints::JOINT_LIMITS;

/// Motor arm length (m).
pub const ARM: f64 = 0.038;
/// Rod length (m).
pub const ROD: f64 = 0.0900003;
/// Height of the head frame above the base origin at the neutral pose (m).
pub const HEAD_Z_OFFSET: f64 = 0.177;

/// Documented limits of the head pose, relative to neutral in the body frame.
pub const ROLL_PITCH_LIMIT: f64 = 40.0 * std::f64::consts::PI / 180.0;
pub const YAW_LIMIT: f64 = 65.0 * std::f64::consts::PI / 180.0;
pub const TRANSLATION_LIMIT: f64 = 0.03;
/// Rounding allowance on the limits, so that a pose computed by FK of an in-limit pose passes.
const LIMIT_EPS: f64 = 1e-9;

type Mat34 = [[f64; 4]; 3];

struct Branch {
    /// World (base) to motor frame: rows of a rigid transform.
    motor_from_world: Mat34,
    /// Attachment point in the head frame (m).
    platform_point: [f64; 3],
    /// +1 or -1: which of the two arm angles the mechanism is assembled in.
    solution: f64,
}

const BRANCHES: [Branch; 6] = [
    Branch {
        motor_from_world: [
            [
                0.8660247915798892,
                -0.5000010603626024,
                2.2980696749787093e-06,
                -0.010249870803819337,
            ],
            [
                -8.169833472480465e-07,
                3.181076937306543e-06,
                0.999999999994606,
                -0.07095015644698092,
            ],
            [-0.5000010603672165, -0.8660247915770963, 2.3463989512861495e-06, 0.03491131119632033],
        ],
        platform_point: [0.029923302914194896, 0.0249723116230494, -0.0012000917284306634],
        solution: -1.0,
    },
    Branch {
        motor_from_world: [
            [-0.8660284647694133, 0.4999946981757419, -2.298079422430893e-06, -0.01024979830729949],
            [
                8.170067173757841e-07,
                -3.1810904294669822e-06,
                -0.9999999999946061,
                0.07095015644692688,
            ],
            [-0.49999469818035597, -0.8660284647666201, 2.346415833955053e-06, 0.03491129648463168],
        ],
        platform_point: [0.018664936330971712, 0.03147236950257582, -0.0012001156044763872],
        solution: 1.0,
    },
    Branch {
        motor_from_world: [
            [
                -3.6732051028920366e-06,
                0.9999999999932537,
                -5.550981191998246e-17,
                -0.010249999999999974,
            ],
            [
                -6.32679489691732e-06,
                -2.323955979305758e-11,
                0.9999999999799852,
                -0.0709501564463867,
            ],
            [
                0.9999999999732392,
                3.6732051032496763e-06,
                6.326794896960002e-06,
                0.034911149429116516,
            ],
        ],
        platform_point: [-0.02458835044705289, 0.0065000597966325315, -0.0012000238760609128],
        solution: -1.0,
    },
    Branch {
        motor_from_world: [
            [
                6.3267948965194915e-06,
                -0.9999999999799852,
                7.045760515816813e-12,
                -0.010249886979833239,
            ],
            [
                6.326794896868612e-06,
                3.2982573151899846e-11,
                -0.9999999999799852,
                0.07095015644648657,
            ],
            [
                0.9999999999599714,
                6.3267948968685995e-06,
                6.3267948965194915e-06,
                0.03491117662826198,
            ],
        ],
        platform_point: [-0.024588312654416057, -0.006500000609238337, -0.0011999761241727191],
        solution: 1.0,
    },
    Branch {
        motor_from_world: [
            [
                -0.8660211183436267,
                -0.5000074225224783,
                -2.2980696739062076e-06,
                -0.01025011120207279,
            ],
            [
                -8.169599766242217e-07,
                -3.181082938921205e-06,
                0.9999999999946059,
                -0.07095015644665029,
            ],
            [-0.5000074225270917, 0.8660211183408332, 2.346398951648971e-06, 0.03491122118425945],
        ],
        platform_point: [0.018664989140337103, -0.0314722975004655, -0.001199884395804346],
        solution: -1.0,
    },
    Branch {
        motor_from_world: [
            [0.8660247915798897, 0.5000010603626028, 2.2980794226529372e-06, -0.010250183698700644],
            [
                8.169833477585368e-07,
                3.1810964318917192e-06,
                -0.9999999999946063,
                0.07095015644670434,
            ],
            [-0.5000010603672164, 0.8660247915770962, 2.346415834339648e-06, 0.0349112358954155],
        ],
        platform_point: [0.02992331793092344, -0.02497229497412101, -0.0011999082716467047],
        solution: 1.0,
    },
];

/// Head pose relative to neutral: metres and radians.
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

    /// Check that the pose is finite and inside the documented envelope.
    pub fn check_limits(&self) -> Result<()> {
        if self.as_array().iter().any(|v| !v.is_finite()) {
            return Err(Error::Kinematics("head pose is not finite".into()));
        }
        for (name, value) in [("x", self.x), ("y", self.y), ("z", self.z)] {
            if value.abs() > TRANSLATION_LIMIT + LIMIT_EPS {
                return Err(Error::Kinematics(format!(
                    "head {name}={value:.4} m is outside ±{TRANSLATION_LIMIT} m"
                )));
            }
        }
        for (name, value, limit) in [
            ("roll", self.roll, ROLL_PITCH_LIMIT),
            ("pitch", self.pitch, ROLL_PITCH_LIMIT),
            ("yaw", self.yaw, YAW_LIMIT),
        ] {
            if value.abs() > limit + LIMIT_EPS {
                return Err(Error::Kinematics(format!(
                    "head {name} {:.1}° is outside ±{:.0}°",
                    value.to_degrees(),
                    limit.to_degrees()
                )));
            }
        }
        Ok(())
    }

    /// Head (platform) to world transform, rows of a rigid transform.
    fn transform(&self) -> Mat34 {
        let (sr, cr) = self.roll.sin_cos();
        let (sp, cp) = self.pitch.sin_cos();
        let (sy, cy) = self.yaw.sin_cos();
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, self.x],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, self.y],
            [-sp, cp * sr, cp * cr, self.z + HEAD_Z_OFFSET],
        ]
    }
}

fn apply(m: &Mat34, p: [f64; 3]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (r, row) in m.iter().enumerate() {
        out[r] = row[0] * p[0] + row[1] * p[1] + row[2] * p[2] + row[3];
    }
    out
}

/// Attachment point of each branch in its motor frame, for a pose.
fn points_in_motor_frames(pose: &Pose) -> [[f64; 3]; 6] {
    let head = pose.transform();
    let mut out = [[0.0; 3]; 6];
    for (k, branch) in BRANCHES.iter().enumerate() {
        out[k] = apply(&branch.motor_from_world, apply(&head, branch.platform_point));
    }
    out
}

/// Arm angles about each motor axis (from the motor frame's x axis), without any check.
fn solve_geometric(pose: &Pose) -> Result<[f64; 6]> {
    let mut angles = [0.0; 6];
    for (k, p) in points_in_motor_frames(pose).iter().enumerate() {
        // |p - ARM·(cos θ, sin θ, 0)|² = ROD²  ⇔  px cos θ + py sin θ = K
        let norm2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
        let k_value = (norm2 + ARM * ARM - ROD * ROD) / (2.0 * ARM);
        let rho = p[0].hypot(p[1]);
        let cos_offset = k_value / rho;
        if !cos_offset.is_finite() || cos_offset.abs() > 1.0 {
            return Err(Error::Kinematics(format!(
                "head pose is out of reach of motor stewart_{}",
                k + 1
            )));
        }
        let theta = p[1].atan2(p[0]) + BRANCHES[k].solution * cos_offset.acos();
        angles[k] = wrap(theta);
    }
    Ok(angles)
}

/// Geometric arm angles at the neutral pose: the motors' zero.
fn neutral_geometric() -> [f64; 6] {
    // The neutral pose is reachable by construction of the geometry; fall back to zeros
    // rather than panic if the constants were ever edited into nonsense.
    solve_geometric(&Pose::default()).unwrap_or([0.0; 6])
}

/// Motor angles of a pose, without checking the pose or motor limits.
fn solve_angles(pose: &Pose) -> Result<[f64; 6]> {
    let zero = neutral_geometric();
    let mut angles = solve_geometric(pose)?;
    for (angle, zero) in angles.iter_mut().zip(zero) {
        *angle = wrap(*angle - zero);
    }
    Ok(angles)
}

/// Wrap an angle to (-π, π].
fn wrap(a: f64) -> f64 {
    let two_pi = 2.0 * std::f64::consts::PI;
    let mut w = a % two_pi;
    if w > std::f64::consts::PI {
        w -= two_pi;
    } else if w <= -std::f64::consts::PI {
        w += two_pi;
    }
    w
}

/// Motor angles at the neutral head pose (zero, up to rounding).
pub fn neutral_angles() -> [f64; 6] {
    solve_angles(&Pose::default()).unwrap_or([0.0; 6])
}

/// The six Stewart motor angles (stewart_1..6) for a head pose.
pub fn inverse(pose: &Pose) -> Result<[f64; 6]> {
    pose.check_limits()?;
    let angles = solve_angles(pose)?;
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

/// Rod-length residual of each branch (m²), zero when the pose fits the geometric angles.
fn residuals(pose: &Pose, geometric: &[f64; 6]) -> [f64; 6] {
    let mut out = [0.0; 6];
    for (k, p) in points_in_motor_frames(pose).iter().enumerate() {
        let (s, c) = geometric[k].sin_cos();
        let d = [p[0] - ARM * c, p[1] - ARM * s, p[2]];
        out[k] = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] - ROD * ROD;
    }
    out
}

/// Solve a 6x6 linear system by Gaussian elimination with partial pivoting.
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

/// Head pose of six motor angles, by damped Newton from `start` (neutral when None).
///
/// Near the edge of the workspace two poses can share the same six angles (the platform's
/// other assembly modes come close there); Newton returns the one it reaches from `start`, so
/// a caller that tracks motion passes its previous pose.
pub fn forward(angles: &[f64; 6], start: Option<&Pose>) -> Result<Pose> {
    if angles.iter().any(|a| !a.is_finite()) {
        return Err(Error::Kinematics("motor angles are not finite".into()));
    }
    let zero = neutral_geometric();
    let geometric: [f64; 6] = std::array::from_fn(|k| angles[k] + zero[k]);
    let mut v = start.copied().unwrap_or_default().as_array();
    let mut lambda = 1e-9;
    let mut cost = sum_sq(&residuals(&Pose::from_array(v), &geometric));
    for _ in 0..200 {
        if cost < 1e-30 {
            break;
        }
        let r = residuals(&Pose::from_array(v), &geometric);
        // Jacobian by central differences; the residuals are smooth polynomials of sin/cos.
        let mut jac = [[0.0; 6]; 6];
        for j in 0..6 {
            let h = 1e-7;
            let (mut plus, mut minus) = (v, v);
            plus[j] += h;
            minus[j] -= h;
            let rp = residuals(&Pose::from_array(plus), &geometric);
            let rm = residuals(&Pose::from_array(minus), &geometric);
            for i in 0..6 {
                jac[i][j] = (rp[i] - rm[i]) / (2.0 * h);
            }
        }
        // Levenberg-Marquardt step: (JᵀJ + λ·diag(JᵀJ)) δ = -Jᵀr.
        let mut jtj = [[0.0; 6]; 6];
        let mut jtr = [0.0; 6];
        for a in 0..6 {
            for b in 0..6 {
                jtj[a][b] = (0..6).map(|i| jac[i][a] * jac[i][b]).sum();
            }
            jtr[a] = -(0..6).map(|i| jac[i][a] * r[i]).sum::<f64>();
        }
        let mut improved = false;
        for _ in 0..20 {
            let mut damped = jtj;
            for (d, row) in damped.iter_mut().enumerate() {
                row[d] += lambda * jtj[d][d].max(1e-12);
            }
            let Some(step) = solve6(damped, jtr) else {
                lambda *= 10.0;
                continue;
            };
            let mut candidate = v;
            for k in 0..6 {
                candidate[k] += step[k];
            }
            let candidate_cost = sum_sq(&residuals(&Pose::from_array(candidate), &geometric));
            if candidate_cost < cost {
                v = candidate;
                cost = candidate_cost;
                lambda = (lambda / 10.0).max(1e-12);
                improved = true;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    let pose = Pose::from_array(v);
    // The rod equations have other solutions (other assembly modes, flipped platform): keep
    // only a pose whose inverse gives back these angles.
    let back = solve_angles(&pose)
        .map_err(|_| Error::Kinematics("forward kinematics did not converge".into()))?;
    let worst = back.iter().zip(angles).map(|(a, b)| wrap(a - b).abs()).fold(0.0, f64::max);
    if cost > 1e-20 || worst > 1e-7 || pose.as_array().iter().any(|x| !x.is_finite()) {
        return Err(Error::Kinematics(format!(
            "forward kinematics did not converge (angle error {worst:.2e} rad)"
        )));
    }
    Ok(pose)
}

fn sum_sq(r: &[f64; 6]) -> f64 {
    r.iter().map(|x| x * x).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<Pose> {
        let mut poses = Vec::new();
        let t = [-0.02, 0.0, 0.02];
        let a = [-0.35, 0.0, 0.35];
        let y = [-0.6, 0.0, 0.6];
        for &x in &t {
            for &yy in &t {
                for &z in &t {
                    for &roll in &a {
                        for &pitch in &a {
                            for &yaw in &y {
                                poses.push(Pose { x, y: yy, z, roll, pitch, yaw });
                            }
                        }
                    }
                }
            }
        }
        poses
    }

    #[test]
    fn neutral_pose_round_trips() {
        let angles = inverse(&Pose::default()).expect("neutral is reachable");
        let pose = forward(&angles, None).expect("converges");
        for v in pose.as_array() {
            assert!(v.abs() < 1e-9, "{pose:?}");
        }
    }

    #[test]
    fn motors_are_at_zero_in_the_neutral_pose() {
        for angle in neutral_angles() {
            assert!(angle.abs() < 1e-12);
        }
    }

    #[test]
    fn mirrored_motors_turn_opposite_ways_for_a_pitch() {
        let a = inverse(&Pose { pitch: 0.3, ..Pose::default() }).expect("reachable");
        for (i, j) in [(0, 5), (1, 4), (2, 3)] {
            assert!((a[i] + a[j]).abs() < 1e-4, "{a:?}");
        }
    }

    #[test]
    fn documented_envelope_extremes_are_within_the_motor_limits() {
        let d = std::f64::consts::PI / 180.0;
        let cases = [
            Pose { roll: 40.0 * d, ..Pose::default() },
            Pose { roll: -40.0 * d, ..Pose::default() },
            Pose { pitch: 40.0 * d, ..Pose::default() },
            Pose { pitch: -40.0 * d, ..Pose::default() },
            Pose { yaw: 65.0 * d, ..Pose::default() },
            Pose { yaw: -65.0 * d, ..Pose::default() },
            Pose { x: 0.03, ..Pose::default() },
            Pose { x: -0.03, ..Pose::default() },
            Pose { y: 0.03, ..Pose::default() },
            Pose { y: -0.03, ..Pose::default() },
            Pose { z: -0.03, ..Pose::default() },
            Pose { z: 0.02, ..Pose::default() },
        ];
        for pose in cases {
            assert!(inverse(&pose).is_ok(), "{pose:?}: {:?}", inverse(&pose));
        }
    }

    #[test]
    fn inverse_then_forward_round_trips_over_a_grid() {
        let mut reachable = 0;
        for pose in grid() {
            let Ok(angles) = inverse(&pose) else { continue };
            reachable += 1;
            let back = forward(&angles, None).expect("converges from neutral");
            for (got, want) in back.as_array().iter().zip(pose.as_array()) {
                assert!((got - want).abs() < 1e-6, "{pose:?} -> {back:?}");
            }
        }
        assert!(reachable > grid().len() / 2, "only {reachable} reachable poses");
    }

    #[test]
    fn out_of_envelope_and_non_finite_poses_are_errors() {
        let cases = [
            Pose { roll: 0.8, ..Pose::default() },
            Pose { yaw: -1.2, ..Pose::default() },
            Pose { z: 0.031, ..Pose::default() },
            Pose { x: f64::NAN, ..Pose::default() },
            Pose { pitch: f64::INFINITY, ..Pose::default() },
        ];
        for pose in cases {
            assert!(matches!(inverse(&pose), Err(Error::Kinematics(_))), "{pose:?}");
        }
    }

    #[test]
    fn forward_of_impossible_angles_is_an_error_not_nan() {
        for angles in [[3.0; 6], [f64::NAN; 6], [0.5, -0.7, 0.6, -0.6, 0.7, f64::INFINITY]] {
            assert!(matches!(forward(&angles, None), Err(Error::Kinematics(_))), "{angles:?}");
        }
    }

    #[test]
    fn forward_from_the_previous_pose_keeps_the_branch_near_the_workspace_edge() {
        let d = std::f64::consts::PI / 180.0;
        let pose =
            Pose { x: -0.025, y: -0.025, z: 0.0, roll: -30.0 * d, pitch: 30.0 * d, yaw: 60.0 * d };
        let angles = inverse(&pose).expect("reachable");
        // A step of motion earlier, the head was a little closer to neutral.
        let previous = Pose { roll: -29.8 * d, pitch: 29.8 * d, ..pose };
        let tracked = forward(&angles, Some(&previous)).expect("converges");
        for (got, want) in tracked.as_array().iter().zip(pose.as_array()) {
            assert!((got - want).abs() < 1e-9, "{tracked:?}");
        }
    }

    #[test]
    fn forward_from_a_nearby_estimate_agrees_with_forward_from_neutral() {
        let pose = Pose { x: 0.01, y: -0.005, z: 0.01, roll: 0.1, pitch: -0.1, yaw: 0.3 };
        let angles = inverse(&pose).expect("reachable");
        let near = Pose { x: 0.012, ..pose };
        let a = forward(&angles, Some(&near)).expect("converges");
        let b = forward(&angles, None).expect("converges");
        for (x, y) in a.as_array().iter().zip(b.as_array()) {
            assert!((x - y).abs() < 1e-9);
        }
    }
}
