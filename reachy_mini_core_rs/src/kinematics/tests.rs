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
    let beyond = crate::joints::envelope::MAX_TRANSLATION_M + 0.001;
    let cases = [
        (Pose { roll: 41.0 * d, ..Pose::default() }, 0.0, "roll"),
        (Pose { pitch: -41.0 * d, ..Pose::default() }, 0.0, "pitch"),
        (Pose { yaw: 66.0 * d, ..Pose::default() }, 0.0, "relative to the body"),
        (Pose { yaw: 0.0, ..Pose::default() }, -66.0 * d, "relative to the body"),
        (Pose { z: beyond, ..Pose::default() }, 0.0, "z="),
        (Pose { x: -beyond, ..Pose::default() }, 0.0, "x="),
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
        [-0.8779786380513658, -0.47344022905525773, -0.07076623939120993, -0.013384975772113106],
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
