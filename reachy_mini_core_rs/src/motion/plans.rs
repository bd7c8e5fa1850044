//! The moves the interfaces ask for, planned from the present state: gotos, the vendor's wake
//! up and sleep, joint trajectories and head trajectories.

use super::path::{Joints, Knot, MoveKind, Piece, Plan, SplinePiece, TaskPiece};
use super::rotation::magic_distance;
use super::warp::Warp;
use crate::error::{Error, Result};
use crate::joints::{
    index_of, COUNT, JOINT_NAMES, NEUTRAL_ANTENNAS, NEUTRAL_HEAD, SLEEP_ANTENNAS, SLEEP_HEAD,
};
use crate::kinematics::{forward, inverse, inverse_in_reach, Mat4, Pose};

/// Index of the body's joint, of the first Stewart joint and of the antennas.
const BODY: usize = 0;
const STEWART: std::ops::Range<usize> = 1..7;
const ANTENNAS: [usize; 2] = [7, 8];

/// The vendor's wake up: its roll and the durations of its parts.
const WAKE_ROLL_DEG: f64 = 20.0;
const WAKE_ROLL_S: f64 = 0.2;
const WAKE_PAUSE_S: f64 = 0.1;
/// Seconds per magic millimetre of the wake up's first goto (the vendor's 20 ms per 1 mm).
const WAKE_S_PER_MAGIC_MM: f64 = 0.02;
/// The vendor's sleep: a goto to neutral first when farther than this from it, a pause, the
/// goto to the sleep pose, then a rest before the motors go limp.
const SLEEP_NEAR_MAGIC_MM: f64 = 10.0;
const SLEEP_FAR_FROM_NEUTRAL_MAGIC_MM: f64 = 30.0;
const SLEEP_TO_NEUTRAL_S: f64 = 1.0;
const SLEEP_PAUSE_S: f64 = 0.2;
const SLEEP_GOTO_S: f64 = 2.0;
const SLEEP_REST_S: f64 = 2.0;
/// "Already awake at neutral": every commanded value within this of the neutral pose's.
const AWAKE_TOLERANCE: f64 = 1e-2;

/// What the planner needs to know of the robot now.
#[derive(Debug, Clone)]
pub struct Present {
    pub position: Joints,
    pub torque_enabled: [bool; COUNT],
    pub period: f64,
    pub max_velocity: [f64; COUNT],
    pub automatic_body_yaw: bool,
}

impl Present {
    /// The head pose of the present Stewart angles over the present body yaw.
    fn head(&self) -> Result<Mat4> {
        let mut angles = [0.0; 6];
        angles.copy_from_slice(&self.position[STEWART]);
        forward(&angles, self.position[BODY], None)
            .map_err(|e| Error::Motion(format!("the present head pose cannot be computed: {e}")))
    }

    /// Refuse a move that drives a motor with torque off: it would not follow.
    fn check_torque(&self, driven: &[bool; COUNT]) -> Result<()> {
        let off: Vec<&str> = (0..COUNT)
            .filter(|&k| driven[k] && !self.torque_enabled[k])
            .map(|k| JOINT_NAMES[k])
            .collect();
        if off.is_empty() {
            Ok(())
        } else {
            Err(Error::Motion(format!(
                "torque is off on {}: enable the motors before a move",
                off.join(", ")
            )))
        }
    }
}

/// The target of a goto: any subset of head pose, body yaw, antennas and joint positions.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub head: Option<Mat4>,
    pub body_yaw: Option<f64>,
    pub antennas: Option<[f64; 2]>,
    pub joints: Vec<(String, f64)>,
}

fn task_piece(
    start: Joints,
    target: &Target,
    head_from: Option<Mat4>,
    duration: f64,
    warp: Warp,
    automatic_body_yaw: bool,
) -> Result<(TaskPiece, [bool; COUNT])> {
    let mut end = start;
    let mut linear = [false; COUNT];
    let mut driven = [false; COUNT];
    for (name, value) in &target.joints {
        let k = index_of(name).ok_or_else(|| Error::Motion(format!("unknown joint '{name}'")))?;
        if linear[k] {
            return Err(Error::Motion(format!("joint '{name}' is given twice")));
        }
        if !value.is_finite() {
            return Err(Error::Motion(format!("target of '{name}' is not finite")));
        }
        end[k] = *value;
        linear[k] = true;
    }
    if let Some(antennas) = target.antennas {
        if ANTENNAS.iter().any(|&k| linear[k]) {
            return Err(Error::Motion("antennas are given both as antennas and as joints".into()));
        }
        for (&k, value) in ANTENNAS.iter().zip(antennas) {
            if !value.is_finite() {
                return Err(Error::Motion("antenna target is not finite".into()));
            }
            end[k] = value;
            linear[k] = true;
        }
    }
    let head_moves = target.head.is_some() || target.body_yaw.is_some();
    if head_moves && (linear[BODY] || STEWART.clone().any(|k| linear[k])) {
        return Err(Error::Motion(
            "a goto takes the head either as a pose (head, body_yaw) or as joints, not both".into(),
        ));
    }
    if let Some(body_yaw) = target.body_yaw {
        if !body_yaw.is_finite() {
            return Err(Error::Motion("body yaw target is not finite".into()));
        }
        end[BODY] = body_yaw;
        linear[BODY] = true;
    }
    let head = if head_moves {
        let from = head_from.ok_or_else(|| Error::Motion("no present head pose".into()))?;
        let to = target.head.unwrap_or(from);
        crate::kinematics::check_rigid(&to)?;
        for k in STEWART {
            driven[k] = true;
        }
        driven[BODY] |= automatic_body_yaw;
        Some((from, to))
    } else {
        None
    };
    for k in 0..COUNT {
        driven[k] |= linear[k];
    }
    if !driven.iter().any(|d| *d) {
        return Err(Error::Motion(
            "a goto needs a target: head, body_yaw, antennas or joints".into(),
        ));
    }
    let piece = TaskPiece {
        duration,
        warp,
        start,
        end,
        linear,
        head,
        automatic_body_yaw: head.is_some() && automatic_body_yaw,
    };
    Ok((piece, driven))
}

fn check_duration(duration: f64) -> Result<()> {
    if duration.is_finite() && duration > 0.0 && duration <= super::MAX_DURATION_S {
        Ok(())
    } else {
        Err(Error::Motion(format!(
            "duration {duration} s must be in (0, {}] s",
            super::MAX_DURATION_S
        )))
    }
}

fn union(a: &mut [bool; COUNT], b: &[bool; COUNT]) {
    for k in 0..COUNT {
        a[k] |= b[k];
    }
}

/// A goto from the present state.
pub fn goto(
    id: String,
    present: &Present,
    target: &Target,
    duration: f64,
    warp: Warp,
) -> Result<Plan> {
    check_duration(duration)?;
    let head_from = if target.head.is_some() || target.body_yaw.is_some() {
        Some(present.head()?)
    } else {
        None
    };
    if let Some(head) = target.head {
        // The target must be inside the envelope; the way there is checked for reach.
        let body_yaw = target.body_yaw.unwrap_or(present.position[BODY]);
        inverse(&head, body_yaw).map_err(|e| Error::Motion(format!("target: {e}")))?;
    }
    let (piece, driven) = task_piece(
        present.position,
        target,
        head_from,
        duration,
        warp,
        present.automatic_body_yaw,
    )?;
    present.check_torque(&driven)?;
    Ok(Plan {
        id,
        kind: MoveKind::Goto,
        pieces: vec![Piece::Task(Box::new(piece))],
        driven,
        torque_off_at_end: false,
    })
}

/// The shortest duration in which a min-jerk goto from `start` to the end of a piece keeps
/// every driven joint within its velocity limit (with 5% to spare), or `wanted` if longer.
fn lengthened(
    wanted: f64,
    start: &Joints,
    end: &Joints,
    driven: &[bool; COUNT],
    present: &Present,
) -> f64 {
    let mut duration = wanted.max(present.period);
    for k in (0..COUNT).filter(|&k| driven[k]) {
        let needed =
            Warp::MinJerk.peak_rate() * (end[k] - start[k]).abs() / present.max_velocity[k] * 1.05;
        duration = duration.max(needed);
    }
    duration
}

/// A min-jerk goto piece from `start` (with head pose `from`) to the head pose `to`, the body
/// at `body_yaw` and, if given, the antennas; `wanted` seconds, lengthened where the velocity
/// limits need it. Returns the piece, its driven joints and its end.
fn head_goto(
    start: Joints,
    from: Mat4,
    to: Mat4,
    body_yaw: f64,
    antennas: Option<[f64; 2]>,
    wanted: f64,
    present: &Present,
) -> Result<(Piece, [bool; COUNT], Joints, Mat4)> {
    let target = Target { head: Some(to), body_yaw: Some(body_yaw), antennas, joints: vec![] };
    let (mut piece, driven) = task_piece(start, &target, Some(from), wanted, Warp::MinJerk, false)?;
    let mut end = piece.end;
    end[STEWART].copy_from_slice(&inverse_in_reach(&to, body_yaw)?);
    piece.duration = lengthened(wanted, &start, &end, &driven, present);
    Ok((Piece::Task(Box::new(piece)), driven, end, to))
}

/// The vendor's wake up: a goto to the neutral head and antennas (and the body to 0) in 20 ms
/// per magic millimetre, a pause, a 20° roll in 0.2 s and back in 0.2 s. Nothing moves when
/// the robot is already awake at neutral. Durations are lengthened where the velocity limits
/// need it.
pub fn wake_up(id: String, present: &Present) -> Result<Plan> {
    let driven = [true; COUNT];
    let head = present.head()?;
    let neutral_joints = {
        let mut q = present.position;
        q[BODY] = 0.0;
        q[STEWART].copy_from_slice(&inverse_in_reach(&NEUTRAL_HEAD, 0.0)?);
        q[ANTENNAS[0]] = NEUTRAL_ANTENNAS[0];
        q[ANTENNAS[1]] = NEUTRAL_ANTENNAS[1];
        q
    };
    let awake = present.torque_enabled.iter().all(|t| *t)
        && (0..COUNT).all(|k| (present.position[k] - neutral_joints[k]).abs() <= AWAKE_TOLERANCE);
    present.check_torque(&driven)?;
    if awake {
        let hold = present.position;
        return Ok(Plan {
            id,
            kind: MoveKind::WakeUp,
            pieces: vec![Piece::Dwell { duration: present.period, hold }],
            driven: [false; COUNT],
            torque_off_at_end: false,
        });
    }
    let wanted = magic_distance(&head, &NEUTRAL_HEAD) * WAKE_S_PER_MAGIC_MM;
    let (first, _, end, _) = head_goto(
        present.position,
        head,
        NEUTRAL_HEAD,
        0.0,
        Some(NEUTRAL_ANTENNAS),
        wanted,
        present,
    )?;
    let rolled = Pose { roll: WAKE_ROLL_DEG.to_radians(), ..Pose::default() }.matrix();
    let (roll, _, rolled_end, _) =
        head_goto(end, NEUTRAL_HEAD, rolled, 0.0, None, WAKE_ROLL_S, present)?;
    let (back, _, _, _) =
        head_goto(rolled_end, rolled, NEUTRAL_HEAD, 0.0, None, WAKE_ROLL_S, present)?;
    Ok(Plan {
        id,
        kind: MoveKind::WakeUp,
        pieces: vec![first, Piece::Dwell { duration: WAKE_PAUSE_S, hold: end }, roll, back],
        driven,
        torque_off_at_end: false,
    })
}

/// The vendor's sleep: when not already near the sleep pose, a goto to neutral first if far
/// from it (1 s, then a 0.2 s pause), then the goto to the sleep head and antennas (2 s);
/// then a 2 s rest, and the motors go limp. Durations are lengthened where the velocity
/// limits need it.
pub fn goto_sleep(id: String, present: &Present) -> Result<Plan> {
    let driven = [true; COUNT];
    present.check_torque(&driven)?;
    let head = present.head()?;
    let mut pieces = Vec::new();
    let mut at = (present.position, head);
    if magic_distance(&head, &SLEEP_HEAD) > SLEEP_NEAR_MAGIC_MM {
        if magic_distance(&head, &NEUTRAL_HEAD) > SLEEP_FAR_FROM_NEUTRAL_MAGIC_MM {
            let (piece, _, end, pose) = head_goto(
                at.0,
                at.1,
                NEUTRAL_HEAD,
                0.0,
                Some(NEUTRAL_ANTENNAS),
                SLEEP_TO_NEUTRAL_S,
                present,
            )?;
            pieces.push(piece);
            pieces.push(Piece::Dwell { duration: SLEEP_PAUSE_S, hold: end });
            at = (end, pose);
        }
        let (piece, _, end, pose) =
            head_goto(at.0, at.1, SLEEP_HEAD, 0.0, Some(SLEEP_ANTENNAS), SLEEP_GOTO_S, present)?;
        pieces.push(piece);
        at = (end, pose);
    }
    pieces.push(Piece::Dwell { duration: SLEEP_REST_S, hold: at.0 });
    Ok(Plan { id, kind: MoveKind::GotoSleep, pieces, driven, torque_off_at_end: true })
}

/// One point of a joint trajectory as the interfaces give it.
#[derive(Debug, Clone)]
pub struct TrajectoryPoint {
    pub time: f64,
    pub positions: Vec<f64>,
    pub velocities: Option<Vec<f64>>,
    pub accelerations: Option<Vec<f64>>,
}

fn check_times(times: &[f64]) -> Result<()> {
    if times.is_empty() {
        return Err(Error::Motion("a trajectory needs at least one point".into()));
    }
    let mut previous = 0.0;
    for (i, &t) in times.iter().enumerate() {
        if !t.is_finite() || t <= previous {
            return Err(Error::Motion(format!(
                "point {i}: time_from_start {t} s must be after the previous point's ({previous} \
                 s; the trajectory starts from the present state at 0)"
            )));
        }
        previous = t;
    }
    if previous > super::MAX_DURATION_S {
        return Err(Error::Motion(format!(
            "the trajectory lasts {previous} s, longer than {} s",
            super::MAX_DURATION_S
        )));
    }
    Ok(())
}

/// A joint trajectory from the present state through the points: quintic between points
/// when accelerations are given (with velocities) or nothing but positions (velocities then
/// estimated, accelerations 0), cubic when velocities alone are given.
pub fn joint_trajectory(
    id: String,
    present: &Present,
    names: &[String],
    points: &[TrajectoryPoint],
) -> Result<Plan> {
    let mut joints = Vec::with_capacity(names.len());
    for name in names {
        let k = index_of(name).ok_or_else(|| Error::Motion(format!("unknown joint '{name}'")))?;
        if joints.contains(&k) {
            return Err(Error::Motion(format!("joint '{name}' is named twice")));
        }
        joints.push(k);
    }
    if joints.is_empty() {
        return Err(Error::Motion("a joint trajectory needs joint names".into()));
    }
    check_times(&points.iter().map(|p| p.time).collect::<Vec<_>>())?;
    let n = joints.len();
    let with_velocities = points.iter().filter(|p| p.velocities.is_some()).count();
    let with_accelerations = points.iter().filter(|p| p.accelerations.is_some()).count();
    if with_velocities != 0 && with_velocities != points.len() {
        return Err(Error::Motion("velocities must be given for every point or none".into()));
    }
    if with_accelerations != 0 && with_accelerations != points.len() {
        return Err(Error::Motion("accelerations must be given for every point or none".into()));
    }
    if with_accelerations > 0 && with_velocities == 0 {
        return Err(Error::Motion("accelerations need velocities".into()));
    }
    for (i, p) in points.iter().enumerate() {
        let lengths = [
            Some(p.positions.len()),
            p.velocities.as_ref().map(Vec::len),
            p.accelerations.as_ref().map(Vec::len),
        ];
        if lengths.iter().flatten().any(|&len| len != n) {
            return Err(Error::Motion(format!("point {i}: every array must have {n} values")));
        }
        let values = p.positions.iter().chain(p.velocities.iter().flatten());
        if values.chain(p.accelerations.iter().flatten()).any(|v| !v.is_finite()) {
            return Err(Error::Motion(format!("point {i}: a value is not finite")));
        }
    }
    let mut knots = vec![Knot {
        time: 0.0,
        position: joints.iter().map(|&k| present.position[k]).collect(),
        velocity: vec![0.0; n],
        acceleration: vec![0.0; n],
    }];
    for p in points {
        knots.push(Knot {
            time: p.time,
            position: p.positions.clone(),
            velocity: p.velocities.clone().unwrap_or_else(|| vec![0.0; n]),
            acceleration: p.accelerations.clone().unwrap_or_else(|| vec![0.0; n]),
        });
    }
    if with_velocities == 0 {
        // Through each inner point at the mean of its two slopes, or at rest where the
        // path turns back; at rest at the last point.
        for i in 1..knots.len() - 1 {
            for j in 0..n {
                let left = (knots[i].position[j] - knots[i - 1].position[j])
                    / (knots[i].time - knots[i - 1].time);
                let right = (knots[i + 1].position[j] - knots[i].position[j])
                    / (knots[i + 1].time - knots[i].time);
                knots[i].velocity[j] = if left * right > 0.0 { (left + right) / 2.0 } else { 0.0 };
            }
        }
    }
    let quintic = with_accelerations > 0 || with_velocities == 0;
    let mut driven = [false; COUNT];
    for &k in &joints {
        driven[k] = true;
    }
    present.check_torque(&driven)?;
    let spline = SplinePiece { joints, knots, quintic, base: present.position };
    Ok(Plan {
        id,
        kind: MoveKind::JointTrajectory,
        pieces: vec![Piece::Spline(spline)],
        driven,
        torque_off_at_end: false,
    })
}

/// A head trajectory from the present pose through poses at times from the start, each
/// segment a min-jerk goto; the body stays where it is (or turns, with automatic body yaw).
pub fn head_trajectory(id: String, present: &Present, points: &[(f64, Mat4)]) -> Result<Plan> {
    check_times(&points.iter().map(|p| p.0).collect::<Vec<_>>())?;
    let mut from = present.head()?;
    let mut start = present.position;
    let mut previous = 0.0;
    let mut pieces = Vec::new();
    let mut driven = [false; COUNT];
    for (i, (time, pose)) in points.iter().enumerate() {
        inverse(pose, present.position[BODY])
            .map_err(|e| Error::Motion(format!("point {i}: {e}")))?;
        let target = Target { head: Some(*pose), ..Target::default() };
        let (piece, d) = task_piece(
            start,
            &target,
            Some(from),
            time - previous,
            Warp::MinJerk,
            present.automatic_body_yaw,
        )?;
        union(&mut driven, &d);
        let piece = Piece::Task(Box::new(piece));
        start = piece_end(&piece, &start)?;
        pieces.push(piece);
        from = *pose;
        previous = *time;
    }
    present.check_torque(&driven)?;
    Ok(Plan { id, kind: MoveKind::HeadTrajectory, pieces, driven, torque_off_at_end: false })
}

/// The goals at a piece's end; the path check reports a failure there with its time.
fn piece_end(piece: &Piece, fallback: &Joints) -> Result<Joints> {
    let plan = Plan {
        id: String::new(),
        kind: MoveKind::Goto,
        pieces: vec![piece.clone()],
        driven: [false; COUNT],
        torque_off_at_end: false,
    };
    Ok(plan.eval(piece.duration()).unwrap_or(*fallback))
}
