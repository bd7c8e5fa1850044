//! The head pose and the Stewart inverse and forward kinematics.

use pyo3::prelude::*;

use super::errors::{to_py, IntoPy};
use crate::error::Error;
use crate::kinematics;

/// Head pose in the base frame: metres and radians, R = Rz(yaw)·Ry(pitch)·Rx(roll).
#[pyclass(module = "reachy_mini_core_rs._core")]
#[derive(Clone)]
pub(super) struct HeadPose {
    #[pyo3(get, set)]
    x: f64,
    #[pyo3(get, set)]
    y: f64,
    #[pyo3(get, set)]
    z: f64,
    #[pyo3(get, set)]
    roll: f64,
    #[pyo3(get, set)]
    pitch: f64,
    #[pyo3(get, set)]
    yaw: f64,
}

impl HeadPose {
    pub(super) fn matrix4(&self) -> kinematics::Mat4 {
        kinematics::Pose {
            x: self.x,
            y: self.y,
            z: self.z,
            roll: self.roll,
            pitch: self.pitch,
            yaw: self.yaw,
        }
        .matrix()
    }

    pub(super) fn of_matrix(m: &kinematics::Mat4) -> Self {
        let p = kinematics::Pose::from_matrix(m);
        HeadPose { x: p.x, y: p.y, z: p.z, roll: p.roll, pitch: p.pitch, yaw: p.yaw }
    }
}

#[pymethods]
impl HeadPose {
    #[new]
    #[pyo3(signature = (x = 0.0, y = 0.0, z = 0.0, roll = 0.0, pitch = 0.0, yaw = 0.0))]
    fn new(x: f64, y: f64, z: f64, roll: f64, pitch: f64, yaw: f64) -> Self {
        HeadPose { x, y, z, roll, pitch, yaw }
    }
    /// Build the pose of a 4×4 transform; KinematicsError unless finite and rigid.
    #[staticmethod]
    fn from_matrix(py: Python<'_>, m: Vec<Vec<f64>>) -> PyResult<Self> {
        let shape_error = || to_py(py, Error::Kinematics("head pose must be a 4×4 matrix".into()));
        if m.len() != 4 || m.iter().any(|row| row.len() != 4) {
            return Err(shape_error());
        }
        let matrix: kinematics::Mat4 = std::array::from_fn(|i| std::array::from_fn(|j| m[i][j]));
        kinematics::check_rigid(&matrix).py_err(py)?;
        Ok(HeadPose::of_matrix(&matrix))
    }
    /// Return the 4×4 homogeneous transform of the pose, rows first.
    fn matrix(&self) -> Vec<Vec<f64>> {
        self.matrix4().iter().map(|row| row.to_vec()).collect()
    }
    fn as_tuple(&self) -> (f64, f64, f64, f64, f64, f64) {
        (self.x, self.y, self.z, self.roll, self.pitch, self.yaw)
    }
    fn __repr__(&self) -> String {
        format!(
            "HeadPose(x={}, y={}, z={}, roll={}, pitch={}, yaw={})",
            self.x, self.y, self.z, self.roll, self.pitch, self.yaw
        )
    }
}

/// Return the six Stewart angles for a base-frame pose over a body yaw; KinematicsError if the
/// robot cannot take it.
#[pyfunction]
#[pyo3(signature = (pose, body_yaw = 0.0))]
pub(super) fn inverse_kinematics(
    py: Python<'_>,
    pose: PyRef<'_, HeadPose>,
    body_yaw: f64,
) -> PyResult<Vec<f64>> {
    let head = pose.matrix4();
    py.detach(|| kinematics::inverse(&head, body_yaw)).py_err(py).map(|a| a.to_vec())
}

/// Return the raw analytical Stewart angles of a pose, NaN where a rod cannot reach.
#[pyfunction]
#[pyo3(signature = (pose, body_yaw = 0.0))]
pub(super) fn stewart_angles(pose: PyRef<'_, HeadPose>, body_yaw: f64) -> Vec<f64> {
    kinematics::stewart_angles(&pose.matrix4(), body_yaw).to_vec()
}

/// Return the body yaw the vendor's automatic body yaw picks for a pose and a body yaw.
#[pyfunction]
pub(super) fn automatic_body_yaw(pose: PyRef<'_, HeadPose>, body_yaw: f64) -> f64 {
    kinematics::automatic_body_yaw(&pose.matrix4(), body_yaw)
}

/// Return the base-frame head pose of six Stewart angles over a body yaw.
#[pyfunction]
#[pyo3(signature = (angles, body_yaw = 0.0, start = None))]
pub(super) fn forward_kinematics(
    py: Python<'_>,
    angles: Vec<f64>,
    body_yaw: f64,
    start: Option<PyRef<'_, HeadPose>>,
) -> PyResult<HeadPose> {
    let angles: [f64; 6] = angles.try_into().map_err(|a: Vec<f64>| {
        to_py(py, Error::Kinematics(format!("expected 6 motor angles, got {}", a.len())))
    })?;
    if !body_yaw.is_finite() {
        return Err(to_py(py, Error::Kinematics("body_yaw is not finite".into())));
    }
    let start = start.map(|s| s.matrix4());
    let head = py.detach(|| kinematics::forward(&angles, body_yaw, start.as_ref())).py_err(py)?;
    Ok(HeadPose::of_matrix(&head))
}
