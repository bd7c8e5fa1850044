//! The Python module `reachy_mini_core_rs._core`: every PyO3 type lives under here.
//!
//! Errors of the core are turned into Python exceptions once, in `errors::to_py`. Every call
//! that may wait (bus I/O, a lock, a snapshot) runs with the GIL released.

mod control_loop;
mod errors;
mod kinematics;
mod motion;
mod protocol;
mod ros_messages;
mod sim;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::joints;
use errors::exceptions;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("JOINT_NAMES", PyTuple::new(py, joints::JOINT_NAMES)?)?;
    m.add("MOTOR_IDS", PyTuple::new(py, joints::MOTOR_IDS)?)?;
    m.add("JOINT_LIMITS", PyTuple::new(py, joints::JOINT_LIMITS)?)?;
    m.add("HW_ERROR_INPUT_VOLTAGE", joints::HW_ERROR_INPUT_VOLTAGE)?;
    m.add("HW_ERROR_OVERHEATING", joints::HW_ERROR_OVERHEATING)?;
    m.add("HW_ERROR_MOTOR_ENCODER", joints::HW_ERROR_MOTOR_ENCODER)?;
    m.add("HW_ERROR_ELECTRICAL_SHOCK", joints::HW_ERROR_ELECTRICAL_SHOCK)?;
    m.add("HW_ERROR_OVERLOAD", joints::HW_ERROR_OVERLOAD)?;
    let exc = exceptions(py)?;
    m.add("CoreError", exc.core.bind(py))?;
    m.add("ProtocolError", exc.protocol.bind(py))?;
    m.add("CrcError", exc.crc.bind(py))?;
    m.add("LengthError", exc.length.bind(py))?;
    m.add("HeaderError", exc.header.bind(py))?;
    m.add("BusError", exc.bus.bind(py))?;
    m.add("LimitError", exc.limit.bind(py))?;
    m.add("KinematicsError", exc.kinematics.bind(py))?;
    m.add("MotionError", exc.motion.bind(py))?;
    m.add("DEFAULT_MAX_VELOCITY", crate::motion::DEFAULT_MAX_VELOCITY)?;
    m.add("DEFAULT_MAX_ACCELERATION", crate::motion::DEFAULT_MAX_ACCELERATION)?;
    m.add("MOVE_KINDS", PyTuple::new(py, crate::motion::MOVE_KIND_NAMES)?)?;
    m.add("INTERPOLATIONS", PyTuple::new(py, crate::motion::WARP_NAMES)?)?;
    m.add_function(wrap_pyfunction!(motion::time_warp, m)?)?;
    m.add_function(wrap_pyfunction!(motion::interpolate_head_pose, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::crc16, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::encode_instruction, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::decode_status, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::encode_sync_read, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::encode_sync_write, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::decode_sync_read, m)?)?;
    m.add_function(wrap_pyfunction!(kinematics::inverse_kinematics, m)?)?;
    m.add_function(wrap_pyfunction!(kinematics::forward_kinematics, m)?)?;
    m.add_function(wrap_pyfunction!(kinematics::stewart_angles, m)?)?;
    m.add_function(wrap_pyfunction!(kinematics::automatic_body_yaw, m)?)?;
    m.add_class::<protocol::StatusPacket>()?;
    m.add_class::<kinematics::HeadPose>()?;
    m.add_class::<sim::PtyBus>()?;
    m.add_class::<sim::SimBus>()?;
    m.add_class::<control_loop::Snapshot>()?;
    m.add_class::<control_loop::LoopStats>()?;
    m.add_class::<control_loop::ControlLoop>()?;
    m.add_class::<ros_messages::ReadingEncoder>()?;
    Ok(())
}
