use std::time::{Duration, Instant};

use super::*;
use crate::joints::{JOINT_LIMITS, NEUTRAL_ANTENNAS, SLEEP_HEAD};
use crate::kinematics::{inverse, Pose, IDENTITY};

const PERIOD: f64 = 0.005;

fn neutral() -> [f64; COUNT] {
    let mut q = [0.0; COUNT];
    q[1..7].copy_from_slice(&inverse(&IDENTITY, 0.0).unwrap());
    q[7] = NEUTRAL_ANTENNAS[0];
    q[8] = NEUTRAL_ANTENNAS[1];
    q
}

fn present(position: [f64; COUNT]) -> Present {
    Present {
        position,
        torque_enabled: [true; COUNT],
        period: PERIOD,
        max_velocity: [DEFAULT_MAX_VELOCITY; COUNT],
        automatic_body_yaw: false,
    }
}

fn check(plan: &Plan, from: &[f64; COUNT]) -> Result<()> {
    plan.check(PERIOD, from, &JOINT_LIMITS, &[DEFAULT_MAX_VELOCITY; COUNT])
}

#[test]
fn the_warps_follow_the_vendors_formulas() {
    let c2 = 1.70158 * 1.525;
    for i in 0..=1000 {
        let t = i as f64 / 1000.0;
        assert_eq!(Warp::Linear.apply(t), t);
        let minjerk = 10.0 * t.powi(3) - 15.0 * t.powi(4) + 6.0 * t.powi(5);
        assert!((Warp::MinJerk.apply(t) - minjerk).abs() < 1e-12);
        let ease = if t < 0.5 { 2.0 * t * t } else { 1.0 - (-2.0 * t + 2.0).powi(2) / 2.0 };
        assert!((Warp::EaseInOut.apply(t) - ease).abs() < 1e-12);
        let cartoon = if t < 0.5 {
            (2.0 * t).powi(2) * ((c2 + 1.0) * 2.0 * t - c2) / 2.0
        } else {
            ((2.0 * t - 2.0).powi(2) * ((c2 + 1.0) * (2.0 * t - 2.0) + c2) + 2.0) / 2.0
        };
        assert!((Warp::Cartoon.apply(t) - cartoon).abs() < 1e-12);
    }
    for warp in [Warp::Linear, Warp::MinJerk, Warp::EaseInOut, Warp::Cartoon] {
        assert_eq!(warp.apply(0.0), 0.0);
        assert!((warp.apply(1.0) - 1.0).abs() < 1e-12);
        // The peak rate is the largest slope.
        let steepest = (0..10_000)
            .map(|i| (warp.apply((i + 1) as f64 / 1e4) - warp.apply(i as f64 / 1e4)) * 1e4)
            .fold(0.0f64, |a, b| a.max(b.abs()));
        assert!((steepest - warp.peak_rate()).abs() < 5e-3, "{warp:?} {steepest}");
        assert_eq!(Warp::parse(warp.name()).unwrap(), warp);
    }
    assert!(Warp::parse("bounce").unwrap_err().to_string().contains("minjerk"));
}

#[test]
fn a_goto_ends_on_its_target_and_holds_the_other_joints() {
    let start = neutral();
    let target = Target {
        head: Some(Pose { z: 0.01, roll: 0.1, ..Pose::default() }.matrix()),
        antennas: Some([0.5, -0.5]),
        ..Target::default()
    };
    let plan = goto("a".into(), &present(start), &target, 1.0, Warp::MinJerk).unwrap();
    check(&plan, &start).unwrap();
    let end = plan.eval(1.0).unwrap();
    let want = inverse(&target.head.unwrap(), 0.0).unwrap();
    for k in 0..6 {
        assert!((end[k + 1] - want[k]).abs() < 1e-9);
    }
    assert_eq!((end[7], end[8]), (0.5, -0.5));
    assert!(!plan.driven[0], "the body is not driven without body_yaw");
    let first = plan.eval(0.0).unwrap();
    for k in 0..COUNT {
        assert!((first[k] - start[k]).abs() < 1e-7, "{k}: {} vs {}", first[k], start[k]);
    }
}

#[test]
fn a_path_that_leaves_the_workspace_is_refused_with_its_first_failing_time() {
    let start = neutral();
    // Targets the robot reaches, by a cartoon goto that overshoots them out of reach; the
    // same target by min-jerk (no overshoot) passes.
    let mut found = 0;
    for i in 0..=6 {
        for j in 0..=14 {
            let pose = Pose { z: 0.005 * i as f64, roll: 0.05 * j as f64, ..Pose::default() };
            let target = Target { head: Some(pose.matrix()), ..Target::default() };
            let Ok(cartoon) = goto("b".into(), &present(start), &target, 2.0, Warp::Cartoon) else {
                continue;
            };
            let Err(error) = check(&cartoon, &start) else { continue };
            let error = error.to_string();
            if error.contains("velocity") {
                continue;
            }
            found += 1;
            assert!(error.starts_with("at t="), "{error}");
            assert!(error.contains("of 2.000 s"), "{error}");
            let t: f64 = error["at t=".len()..].split(' ').next().unwrap().parse().unwrap();
            assert!(t > 1.0 && t < 2.0, "the overshoot is in the second half: {error}");
            let minjerk = goto("b".into(), &present(start), &target, 2.0, Warp::MinJerk).unwrap();
            check(&minjerk, &start).unwrap();
        }
    }
    assert!(found > 0, "no reachable target is overshot out of reach");
}

#[test]
fn a_goto_too_fast_for_the_velocity_limit_is_refused() {
    let start = neutral();
    let target = Target { antennas: Some([2.5, -2.5]), ..Target::default() };
    let plan = goto("c".into(), &present(start), &target, 0.2, Warp::MinJerk).unwrap();
    let error = check(&plan, &start).unwrap_err().to_string();
    assert!(error.contains("velocity limit"), "{error}");
    let slow = goto("c".into(), &present(start), &target, 2.0, Warp::MinJerk).unwrap();
    check(&slow, &start).unwrap();
}

#[test]
fn conflicting_and_empty_targets_are_refused() {
    let p = present(neutral());
    let both = Target {
        head: Some(IDENTITY),
        joints: vec![("stewart_1".into(), 0.5)],
        ..Target::default()
    };
    assert!(goto("d".into(), &p, &both, 1.0, Warp::MinJerk).is_err());
    assert!(goto("d".into(), &p, &Target::default(), 1.0, Warp::MinJerk).is_err());
    let bad = Target { joints: vec![("elbow".into(), 0.5)], ..Target::default() };
    assert!(goto("d".into(), &p, &bad, 1.0, Warp::MinJerk).is_err());
    let fine = Target { antennas: Some([0.0, 0.0]), ..Target::default() };
    assert!(goto("d".into(), &p, &fine, 0.0, Warp::MinJerk).is_err());
    let mut off = present(neutral());
    off.torque_enabled[7] = false;
    let error = goto("d".into(), &off, &fine, 1.0, Warp::MinJerk).unwrap_err().to_string();
    assert!(error.contains("torque is off on right_antenna"), "{error}");
}

#[test]
fn wake_up_and_sleep_are_the_vendors_sequences_and_pass_their_checks() {
    // From the sleep pose, as after a goto_sleep.
    let mut asleep = [0.0; COUNT];
    asleep[1..7].copy_from_slice(&crate::kinematics::inverse_in_reach(&SLEEP_HEAD, 0.0).unwrap());
    asleep[7] = -3.05;
    asleep[8] = 3.05;
    let plan = wake_up("w".into(), &present(asleep)).unwrap();
    check(&plan, &asleep).unwrap();
    assert_eq!(plan.pieces.len(), 4);
    let end = plan.eval(plan.duration()).unwrap();
    for (k, (got, want)) in end.iter().zip(neutral()).enumerate() {
        assert!((got - want).abs() < 1e-6, "{k}");
    }
    // Already awake at neutral: nothing moves.
    let awake = wake_up("w".into(), &present(neutral())).unwrap();
    assert!(awake.driven.iter().all(|d| !d));

    let sleep = goto_sleep("s".into(), &present(neutral())).unwrap();
    check(&sleep, &neutral()).unwrap();
    assert!(sleep.torque_off_at_end);
    let end = sleep.eval(sleep.duration()).unwrap();
    assert!((end[7] + 3.05).abs() < 1e-12 && (end[8] - 3.05).abs() < 1e-12);
}

#[test]
fn a_joint_trajectory_passes_through_its_points() {
    let start = neutral();
    let names = vec!["right_antenna".to_string(), "left_antenna".to_string()];
    let points = vec![
        TrajectoryPoint {
            time: 0.5,
            positions: vec![0.3, -0.3],
            velocities: None,
            accelerations: None,
        },
        TrajectoryPoint {
            time: 1.0,
            positions: vec![0.6, 0.0],
            velocities: None,
            accelerations: None,
        },
    ];
    let plan = joint_trajectory("j".into(), &present(start), &names, &points).unwrap();
    check(&plan, &start).unwrap();
    let mid = plan.eval(0.5).unwrap();
    assert!((mid[7] - 0.3).abs() < 1e-12 && (mid[8] + 0.3).abs() < 1e-12);
    let end = plan.eval(1.0).unwrap();
    assert!((end[7] - 0.6).abs() < 1e-12 && end[8].abs() < 1e-12);
    // A one-point trajectory of positions is a min-jerk goto.
    let one = vec![TrajectoryPoint {
        time: 1.0,
        positions: vec![0.6, 0.0],
        velocities: None,
        accelerations: None,
    }];
    let plan = joint_trajectory("j".into(), &present(start), &names, &one).unwrap();
    let s = Warp::MinJerk.apply(0.3);
    let q = plan.eval(0.3).unwrap();
    assert!((q[7] - (start[7] + (0.6 - start[7]) * s)).abs() < 1e-12);
    // Cubic with the given velocities.
    let cubic = vec![TrajectoryPoint {
        time: 1.0,
        positions: vec![0.6, 0.0],
        velocities: Some(vec![0.0, 0.0]),
        accelerations: None,
    }];
    let plan = joint_trajectory("j".into(), &present(start), &names, &cubic).unwrap();
    let q = plan.eval(0.5).unwrap();
    assert!((q[7] - (start[7] + 0.6) / 2.0).abs() < 1e-12);
    let late_first = vec![TrajectoryPoint {
        time: 0.0,
        positions: vec![0.6, 0.0],
        velocities: None,
        accelerations: None,
    }];
    assert!(joint_trajectory("j".into(), &present(start), &names, &late_first).is_err());
}

#[test]
fn a_head_trajectory_is_min_jerk_segments_through_its_poses() {
    let start = neutral();
    let a = Pose { z: 0.01, ..Pose::default() }.matrix();
    let b = Pose { z: -0.01, yaw: 0.3, ..Pose::default() }.matrix();
    let plan = head_trajectory("h".into(), &present(start), &[(1.0, a), (2.0, b)]).unwrap();
    check(&plan, &start).unwrap();
    let at_a = plan.eval(1.0).unwrap();
    let want = inverse(&a, 0.0).unwrap();
    for k in 0..6 {
        assert!((at_a[k + 1] - want[k]).abs() < 1e-9);
    }
}

fn tick(motion: &mut Motion, now: Instant, goals: &mut [f64; COUNT]) -> Tick {
    let out = motion.tick(
        now,
        PERIOD,
        goals,
        &JOINT_LIMITS,
        &[DEFAULT_MAX_VELOCITY; COUNT],
        &[DEFAULT_MAX_ACCELERATION; COUNT],
    );
    for (goal, written) in goals.iter_mut().zip(&out.goals) {
        if let Some(g) = written {
            *goal = *g;
        }
    }
    out
}

#[test]
fn moves_start_at_a_tick_end_within_one_period_and_preempt_each_other() {
    let mut goals = neutral();
    let mut motion = Motion::default();
    let target = Target { antennas: Some([0.5, -0.5]), ..Target::default() };
    let plan = goto("m1".into(), &present(goals), &target, 0.1, Warp::MinJerk).unwrap();
    motion.queue(plan);
    let t0 = Instant::now();
    let mut now = t0;
    let mut ended = None;
    for n in 0..100 {
        let out = tick(&mut motion, now, &mut goals);
        if motion.running.is_none() {
            ended = Some((n, out));
            break;
        }
        now += Duration::from_secs_f64(PERIOD);
    }
    let (n, out) = ended.expect("the goto ended");
    assert_eq!(n, 20, "0.1 s at 200 Hz ends at the 21st tick");
    assert_eq!(out.move_time, 0.1);
    assert_eq!((goals[7], goals[8]), (0.5, -0.5));
    let events: Vec<_> = motion.events.drain(..).map(|e| (e.id, e.event)).collect();
    assert_eq!(events, vec![("m1".into(), "started"), ("m1".into(), "completed")]);

    // A streamed target is refused while a move runs; a new move cancels the running one.
    let slow = Target { antennas: Some([0.0, 0.0]), ..Target::default() };
    motion.queue(goto("m2".into(), &present(goals), &slow, 1.0, Warp::MinJerk).unwrap());
    tick(&mut motion, now, &mut goals);
    let refused = motion.stream(&[(7, 0.1)]).unwrap_err().to_string();
    assert!(refused.starts_with("move_running"), "{refused}");
    motion.queue(goto("m3".into(), &present(goals), &slow, 1.0, Warp::MinJerk).unwrap());
    now += Duration::from_secs_f64(PERIOD);
    tick(&mut motion, now, &mut goals);
    let stopped = motion.cancel("stopped", &goals);
    assert_eq!(stopped.as_deref(), Some("m3"));
    let events: Vec<_> = motion.events.drain(..).map(|e| (e.id, e.event)).collect();
    assert_eq!(
        events,
        vec![
            ("m2".into(), "started"),
            ("m2".into(), "cancelled"),
            ("m3".into(), "started"),
            ("m3".into(), "cancelled")
        ]
    );
    // After the move, streaming works again.
    motion.stream(&[(7, 0.1)]).unwrap();
}

#[test]
fn a_short_stall_delays_a_move_and_a_long_one_fails_it() {
    let mut goals = neutral();
    let mut motion = Motion::default();
    let target = Target { antennas: Some([0.5, -0.5]), ..Target::default() };
    motion.queue(goto("p".into(), &present(goals), &target, 1.0, Warp::MinJerk).unwrap());
    let now = Instant::now();
    tick(&mut motion, now, &mut goals);
    // A stall of 100 ms delays the move: it resumes one period after where it was.
    let out = tick(&mut motion, now + Duration::from_millis(100), &mut goals);
    assert!((out.move_time - PERIOD).abs() < 1e-9, "{}", out.move_time);
    assert!(motion.running.is_some());
    // Half a second without a tick (bus down): it fails where it was.
    let out = tick(&mut motion, now + Duration::from_millis(700), &mut goals);
    assert!(out.goals.iter().all(|g| g.is_none()));
    let last = motion.events.back().unwrap();
    assert_eq!(last.event, "failed");
    assert!(last.reason.contains("did not drive the motors"), "{}", last.reason);
}
