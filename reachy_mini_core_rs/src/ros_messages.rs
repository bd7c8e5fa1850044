//! The hardware node's per-reading messages, serialized here: `sensor_msgs/JointState` and
//! `geometry_msgs/PoseStamped` in CDR (XCDR1, little endian), as rmw publishes them.
//!
//! Building them as Python objects cost the node most of its CPU at 200 Hz: tens of floats
//! boxed, lists built, then rosidl copying them all into C structures to serialize. Here a
//! reading becomes the bytes that rclpy's `Publisher.publish(bytes)` sends as they are.

use crate::control_loop::Snapshot;
use crate::joints::{self, COUNT, JOINT_NAMES};
use crate::kinematics::{self, Mat4, Pose};

/// Velocity and current are read every few cycles: they are used while at most this much older
/// than the positions (10 cycles at 200 Hz), else they are "not measured" (NaN).
pub const FRESH_FOR_S: f64 = 0.05;

/// A CDR stream: the 4-byte encapsulation header, then fields aligned from its end.
struct Cdr {
    buf: Vec<u8>,
}

impl Cdr {
    fn new(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity);
        buf.extend_from_slice(&[0x00, 0x01, 0x00, 0x00]); // CDR_LE, no options
        Cdr { buf }
    }
    fn align(&mut self, n: usize) {
        let offset = self.buf.len() - 4;
        let pad = (n - offset % n) % n;
        self.buf.resize(self.buf.len() + pad, 0);
    }
    fn u32(&mut self, v: u32) {
        self.align(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.align(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.align(8);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn string(&mut self, s: &str) {
        self.u32(s.len() as u32 + 1);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }
    fn header(&mut self, stamp: (i32, u32), frame_id: &str) {
        self.i32(stamp.0);
        self.u32(stamp.1);
        self.string(frame_id);
    }
    fn f64_sequence(&mut self, values: &[f64]) {
        self.u32(values.len() as u32);
        if !values.is_empty() {
            self.align(8);
        }
        for v in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// Split a UNIX time in seconds into a ROS stamp (sec, nanosec), as the node always did.
pub fn stamp_of(time: f64) -> (i32, u32) {
    let sec = time.trunc();
    let nanosec = ((time - sec) * 1e9) as u32;
    (sec as i32, nanosec)
}

/// Serialize a `sensor_msgs/JointState`.
pub fn joint_state(
    stamp: (i32, u32),
    frame_id: &str,
    names: &[&str],
    position: &[f64],
    velocity: &[f64],
    effort: &[f64],
) -> Vec<u8> {
    let mut cdr = Cdr::new(64 + names.len() * 40);
    cdr.header(stamp, frame_id);
    cdr.u32(names.len() as u32);
    for name in names {
        cdr.string(name);
    }
    cdr.f64_sequence(position);
    cdr.f64_sequence(velocity);
    cdr.f64_sequence(effort);
    cdr.buf
}

/// Serialize a `geometry_msgs/PoseStamped`: position (m) and orientation (x, y, z, w).
pub fn pose_stamped(
    stamp: (i32, u32),
    frame_id: &str,
    position: [f64; 3],
    orientation: [f64; 4],
) -> Vec<u8> {
    let mut cdr = Cdr::new(96);
    cdr.header(stamp, frame_id);
    for v in position.into_iter().chain(orientation) {
        cdr.f64(v);
    }
    cdr.buf
}

/// (x, y, z, w) of the rotation yaw about z, then pitch about y, then roll about x.
pub fn rpy_to_quaternion(roll: f64, pitch: f64, yaw: f64) -> [f64; 4] {
    let (sr, cr) = (roll / 2.0).sin_cos();
    let (sp, cp) = (pitch / 2.0).sin_cos();
    let (sy, cy) = (yaw / 2.0).sin_cos();
    [
        sr * cp * cy - cr * sp * sy,
        cr * sp * cy + sr * cp * sy,
        cr * cp * sy - sr * sp * cy,
        cr * cp * cy + sr * sp * sy,
    ]
}

/// The messages of one reading.
pub struct Encoded {
    pub joint_state: Vec<u8>,
    /// None when the six Stewart angles or the body yaw were not all read in this cycle, or
    /// the forward kinematics found no pose.
    pub head_pose: Option<Vec<u8>>,
}

/// Turns readings into /joint_states and head pose messages; tracks the head pose between
/// readings (near the workspace edge two poses share the same angles, and starting from the
/// previous one keeps the pose the head is actually in).
pub struct ReadingEncoder {
    /// Per motor: N·m per A, to estimate effort from the present current (mA).
    torque_constant: [f64; COUNT],
    pose_frame: String,
    /// The six joints of the head pose (x, y, z, roll, pitch, yaw) that /joint_states carries
    /// after the motors.
    pose_joint_names: [String; 6],
    last_pose: Option<Mat4>,
    /// Where the six Stewart motors and the body sit among the motors.
    stewart: [usize; 6],
    body: usize,
}

impl ReadingEncoder {
    pub fn new(
        torque_constant: [f64; COUNT],
        pose_frame: &str,
        pose_joint_names: [String; 6],
    ) -> Self {
        let index = |name: &str| joints::index_of(name).expect("a joint of the robot table");
        ReadingEncoder {
            torque_constant,
            pose_frame: pose_frame.to_owned(),
            pose_joint_names,
            last_pose: None,
            stewart: std::array::from_fn(|k| index(&format!("stewart_{}", k + 1))),
            body: index("yaw_body"),
        }
    }

    /// Encode one reading. A motor that did not answer in this cycle keeps an old reading in
    /// the snapshot: it is left out rather than stamped with this cycle's time.
    pub fn encode(&mut self, snap: &Snapshot) -> Encoded {
        let stamp = stamp_of(snap.read_time);
        let fresh: [bool; COUNT] = std::array::from_fn(|i| snap.position_time[i] == snap.read_time);
        let fresh_velocity = snap.read_time - snap.velocity_time <= FRESH_FOR_S;
        let fresh_current = snap.read_time - snap.current_time <= FRESH_FOR_S;
        let total = COUNT + self.pose_joint_names.len();
        let mut names: Vec<&str> = Vec::with_capacity(total);
        let mut position = Vec::with_capacity(total);
        let mut velocity = Vec::with_capacity(total);
        let mut effort = Vec::with_capacity(total);
        for i in (0..COUNT).filter(|&i| fresh[i]) {
            names.push(JOINT_NAMES[i]);
            position.push(snap.position[i]);
            velocity.push(if fresh_velocity { snap.velocity[i] } else { f64::NAN });
            effort.push(if fresh_current {
                snap.current[i] / 1000.0 * self.torque_constant[i]
            } else {
                f64::NAN
            });
        }
        let pose = self.head_pose(snap, &fresh);
        if let Some(p) = &pose {
            names.extend(self.pose_joint_names.iter().map(String::as_str));
            position.extend([p.x, p.y, p.z, p.roll, p.pitch, p.yaw]);
            velocity.extend([f64::NAN; 6]);
            effort.extend([f64::NAN; 6]);
        }
        let joint_state = joint_state(stamp, "", &names, &position, &velocity, &effort);
        let head_pose = pose.map(|p| {
            pose_stamped(
                stamp,
                &self.pose_frame,
                [p.x, p.y, p.z],
                rpy_to_quaternion(p.roll, p.pitch, p.yaw),
            )
        });
        Encoded { joint_state, head_pose }
    }

    fn head_pose(&mut self, snap: &Snapshot, fresh: &[bool; COUNT]) -> Option<Pose> {
        if !(fresh[self.body] && self.stewart.iter().all(|&i| fresh[i])) {
            return None;
        }
        let angles = self.stewart.map(|i| snap.position[i]);
        match kinematics::forward(&angles, snap.position[self.body], self.last_pose.as_ref()) {
            Ok(m) => {
                self.last_pose = Some(m);
                Some(Pose::from_matrix(&m))
            }
            Err(_) => {
                self.last_pose = None;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_sequences_are_aligned_from_the_encapsulation_header() {
        let bytes = joint_state((1, 2), "", &["a"], &[1.0], &[], &[]);
        // header, stamp 1 / 2, frame "" (len 1 + NUL), pad to 4, 1 name "a\0", pad, len 1,
        // pad to 8, 1.0, then two empty sequences.
        let mut want = vec![0, 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        want.extend([1, 0, 0, 0, 2, 0, 0, 0, b'a', 0, 0, 0, 1, 0, 0, 0]);
        want.extend(1.0f64.to_le_bytes());
        want.extend([0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bytes, want);
    }

    #[test]
    fn stamps_split_seconds_and_nanoseconds() {
        assert_eq!(stamp_of(12.5), (12, 500_000_000));
        assert_eq!(stamp_of(3.0), (3, 0));
    }

    #[test]
    fn quaternion_of_a_yaw_turns_about_z() {
        let q = rpy_to_quaternion(0.0, 0.0, std::f64::consts::PI);
        assert!(q[0].abs() < 1e-12 && q[1].abs() < 1e-12);
        assert!((q[2] - 1.0).abs() < 1e-12 && q[3].abs() < 1e-12);
    }
}
