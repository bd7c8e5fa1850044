//! `ReadingEncoder`: a reading of the loop as the bytes of its ROS messages.

use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::control_loop::Snapshot;
use crate::joints::COUNT;
use crate::ros_messages;

/// Serialize readings as `sensor_msgs/JointState` and `geometry_msgs/PoseStamped` (CDR, as
/// `rclpy.serialization.serialize_message` gives), for `Publisher.publish(bytes)`.
///
/// `torque_constants`: N·m per A of each motor, in the loop's motor order; effort is the
/// present current times it. `head_pose_frame`: the pose message's frame id.
/// `head_pose_joint_names`: the six joints (x, y, z, roll, pitch, yaw) that carry the head pose
/// in /joint_states.
#[pyclass(module = "reachy_mini_core_rs._core")]
pub(super) struct ReadingEncoder {
    inner: Mutex<ros_messages::ReadingEncoder>,
}

#[pymethods]
impl ReadingEncoder {
    #[new]
    fn new(
        torque_constants: Vec<f64>,
        head_pose_frame: &str,
        head_pose_joint_names: Vec<String>,
    ) -> PyResult<Self> {
        let constants: [f64; COUNT] = torque_constants.try_into().map_err(|c: Vec<f64>| {
            PyValueError::new_err(format!("expected {COUNT} torque constants, got {}", c.len()))
        })?;
        let names: [String; 6] = head_pose_joint_names.try_into().map_err(|n: Vec<String>| {
            PyValueError::new_err(format!("expected 6 head pose joint names, got {}", n.len()))
        })?;
        Ok(ReadingEncoder {
            inner: Mutex::new(ros_messages::ReadingEncoder::new(constants, head_pose_frame, names)),
        })
    }

    /// Return (JointState bytes, PoseStamped bytes or None) of a reading.
    ///
    /// The joint state holds the motors read in this cycle, then the head pose joints
    /// (head_x … head_yaw) when the forward kinematics of this cycle's angles found a pose;
    /// the pose message is None otherwise.
    fn encode<'py>(
        &self,
        py: Python<'py>,
        snapshot: PyRef<'_, Snapshot>,
    ) -> (Bound<'py, PyBytes>, Option<Bound<'py, PyBytes>>) {
        // With the GIL held: encoding takes microseconds, and handing the GIL over and back
        // would make the publishing thread queue behind any busy thread for a switch interval.
        let encoded = {
            let mut encoder = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            encoder.encode(&snapshot.inner)
        };
        (PyBytes::new(py, &encoded.joint_state), encoded.head_pose.map(|b| PyBytes::new(py, &b)))
    }
}
