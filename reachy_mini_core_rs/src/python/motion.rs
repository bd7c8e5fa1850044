//! The motion layer's Python side: move requests converted for the loop, move events and the
//! pure functions the fidelity tests compare with the vendor's.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::errors::{to_py, IntoPy};
use super::kinematics::HeadPose;
use crate::error::Error;
use crate::kinematics::Mat4;
use crate::motion::{self, MoveEvent, Target, TrajectoryPoint, Warp};

/// s(t) of a goto's time warp (linear, minjerk, ease_in_out, cartoon) at t in [0, 1].
#[pyfunction]
pub(super) fn time_warp(py: Python<'_>, interpolation: &str, t: f64) -> PyResult<f64> {
    Ok(Warp::parse(interpolation).py_err(py)?.apply(t))
}

fn matrix(py: Python<'_>, m: &[Vec<f64>]) -> PyResult<Mat4> {
    if m.len() != 4 || m.iter().any(|row| row.len() != 4) {
        return Err(to_py(py, Error::Kinematics("a pose must be a 4×4 matrix".into())));
    }
    Ok(std::array::from_fn(|i| std::array::from_fn(|j| m[i][j])))
}

/// The head pose a fraction s from start to target (4×4 matrices), as a goto interpolates it.
#[pyfunction]
pub(super) fn interpolate_head_pose(
    py: Python<'_>,
    start: Vec<Vec<f64>>,
    target: Vec<Vec<f64>>,
    s: f64,
) -> PyResult<Vec<Vec<f64>>> {
    let pose = motion::interpolate_pose(&matrix(py, &start)?, &matrix(py, &target)?, s);
    Ok(pose.iter().map(|row| row.to_vec()).collect())
}

/// A goto target from the Python arguments.
pub(super) fn target(
    head: Option<PyRef<'_, HeadPose>>,
    body_yaw: Option<f64>,
    antennas: Option<(f64, f64)>,
    joints: Vec<(String, f64)>,
) -> Target {
    Target {
        head: head.map(|h| h.matrix4()),
        body_yaw,
        antennas: antennas.map(|(r, l)| [r, l]),
        joints,
    }
}

/// Trajectory points from (time, positions, velocities, accelerations) tuples.
pub(super) type PointTuple = (f64, Vec<f64>, Option<Vec<f64>>, Option<Vec<f64>>);

pub(super) fn points(points: Vec<PointTuple>) -> Vec<TrajectoryPoint> {
    points
        .into_iter()
        .map(|(time, positions, velocities, accelerations)| TrajectoryPoint {
            time,
            positions,
            velocities,
            accelerations,
        })
        .collect()
}

pub(super) fn head_points(points: Vec<(f64, PyRef<'_, HeadPose>)>) -> Vec<(f64, Mat4)> {
    points.into_iter().map(|(t, pose)| (t, pose.matrix4())).collect()
}

/// A move event as a dict: id, kind, event, reason, time, duration.
pub(super) fn event_dict<'py>(py: Python<'py>, event: &MoveEvent) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", &event.id)?;
    d.set_item("kind", event.kind)?;
    d.set_item("event", event.event)?;
    d.set_item("reason", &event.reason)?;
    d.set_item("time", event.time)?;
    d.set_item("duration", event.duration)?;
    Ok(d)
}
