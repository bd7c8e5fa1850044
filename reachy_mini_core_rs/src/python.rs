//! The Python module `reachy_mini_core_rs._core`: every PyO3 type lives here.
//!
//! Errors of the core are turned into Python exceptions once, in `to_py`. Every call that may
//! wait (bus I/O, a lock, a snapshot) runs with the GIL released.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyTuple, PyType};

use crate::bus::{pty, sim};
use crate::control_loop::{self, Backend, LoopConfig};
use crate::error::Error;
use crate::joints;
use crate::kinematics;
use crate::motor_setup::{Difference, SetupMode};
use crate::protocol;
use crate::registers;

/// The exception classes, built once when the module is imported.
struct Exceptions {
    core: Py<PyType>,
    protocol: Py<PyType>,
    crc: Py<PyType>,
    length: Py<PyType>,
    header: Py<PyType>,
    bus: Py<PyType>,
    limit: Py<PyType>,
    kinematics: Py<PyType>,
}

static EXCEPTIONS: PyOnceLock<Exceptions> = PyOnceLock::new();

fn new_exception(
    py: Python<'_>,
    name: &str,
    bases: Vec<Bound<'_, PyAny>>,
    doc: &str,
) -> PyResult<Py<PyType>> {
    let namespace = PyDict::new(py);
    namespace.set_item("__doc__", doc)?;
    namespace.set_item("__module__", "reachy_mini_core_rs._core")?;
    let bases = PyTuple::new(py, bases)?;
    let class = py.get_type::<PyType>().call1((name, bases, namespace))?;
    Ok(class.cast_into::<PyType>()?.unbind())
}

fn exceptions(py: Python<'_>) -> PyResult<&'static Exceptions> {
    EXCEPTIONS.get_or_try_init(py, || {
        let exception = py.get_type::<PyException>().into_any();
        let value_error = py.get_type::<PyValueError>().into_any();
        let core = new_exception(
            py,
            "CoreError",
            vec![exception],
            "Base class of every error raised by the core.",
        )?;
        let protocol = new_exception(
            py,
            "ProtocolError",
            vec![core.bind(py).clone().into_any()],
            "A packet that is not valid Dynamixel Protocol 2.0.",
        )?;
        let sub = |name: &str, base: &Py<PyType>, doc: &str| {
            new_exception(py, name, vec![base.bind(py).clone().into_any()], doc)
        };
        let crc = sub("CrcError", &protocol, "The packet's CRC does not match its bytes.")?;
        let length = sub(
            "LengthError",
            &protocol,
            "The packet's LEN field does not match its size, or the packet is too short.",
        )?;
        let header = sub("HeaderError", &protocol, "The packet does not start with FF FF FD 00.")?;
        let bus =
            sub("BusError", &core, "The bus could not be opened, timed out, or is disconnected.")?;
        let limit = new_exception(
            py,
            "LimitError",
            vec![core.bind(py).clone().into_any(), value_error.clone()],
            "A goal names an unknown joint, is not finite, or is outside the joint limits.",
        )?;
        let kinematics = new_exception(
            py,
            "KinematicsError",
            vec![core.bind(py).clone().into_any(), value_error],
            "A head pose is not finite or not reachable.",
        )?;
        Ok(Exceptions { core, protocol, crc, length, header, bus, limit, kinematics })
    })
}

/// The one place where core errors become Python exceptions.
fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let Ok(exc) = exceptions(py) else {
        return PyException::new_err(error.to_string());
    };
    let class = match &error {
        Error::Checksum { .. } => &exc.crc,
        Error::Length(_) => &exc.length,
        Error::Header => &exc.header,
        Error::Malformed(_) => &exc.protocol,
        Error::Timeout { .. }
        | Error::IncorrectId { .. }
        | Error::Status { .. }
        | Error::Io(_)
        | Error::TorqueLeftOff(_) => &exc.bus,
        Error::Limit(_) => &exc.limit,
        Error::Kinematics(_) => &exc.kinematics,
    };
    let _ = &exc.core;
    PyErr::from_type(class.bind(py).clone(), error.to_string())
}

trait IntoPy<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for crate::error::Result<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}

/// The (key, value) pairs of any Mapping, converted.
fn mapping_items<'py, T>(mapping: &Bound<'py, PyAny>) -> PyResult<Vec<T>>
where
    T: for<'a> FromPyObject<'a, 'py>,
{
    mapping
        .call_method0("items")?
        .try_iter()?
        .map(|item| item?.extract().map_err(Into::into))
        .collect()
}

fn motor_id(py: Python<'_>, id: i64) -> PyResult<u8> {
    u8::try_from(id).map_err(|_| to_py(py, Error::Limit(format!("no motor with id {id}"))))
}

/// Return the Protocol 2.0 CRC-16 (poly 0x8005, init 0) of data.
#[pyfunction]
fn crc16(data: &[u8]) -> u16 {
    protocol::crc16(data)
}

/// Return a complete instruction packet: header, id, length, stuffed params and CRC.
#[pyfunction]
#[pyo3(signature = (id, instruction, params))]
fn encode_instruction<'py>(
    py: Python<'py>,
    id: u8,
    instruction: u8,
    params: &[u8],
) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &protocol::encode_packet(id, instruction, params))
}

/// Return a Sync Read (or Fast Sync Read) instruction for several motors.
#[pyfunction]
#[pyo3(signature = (address, length, ids, fast = false))]
fn encode_sync_read<'py>(
    py: Python<'py>,
    address: u16,
    length: u16,
    ids: Vec<u8>,
    fast: bool,
) -> Bound<'py, PyBytes> {
    let packet = if fast {
        protocol::fast_sync_read(address, length, &ids)
    } else {
        protocol::sync_read(address, length, &ids)
    };
    PyBytes::new(py, &packet)
}

/// Return a Sync Write instruction: one little-endian value of `length` bytes per motor.
#[pyfunction]
fn encode_sync_write<'py>(
    py: Python<'py>,
    address: u16,
    length: u16,
    ids: Vec<u8>,
    values: Vec<i64>,
) -> PyResult<Bound<'py, PyBytes>> {
    if length == 0 || length > 8 {
        return Err(to_py(py, Error::Length(format!("sync write of {length} bytes per motor"))));
    }
    if ids.len() != values.len() {
        return Err(to_py(
            py,
            Error::Length(format!("{} ids but {} values", ids.len(), values.len())),
        ));
    }
    let data: Vec<[u8; 8]> = values.iter().map(|v| v.to_le_bytes()).collect();
    let blocks: Vec<(u8, &[u8])> =
        ids.iter().zip(&data).map(|(id, bytes)| (*id, &bytes[..length as usize])).collect();
    let packet = protocol::sync_write(address, length, &blocks).py_err(py)?;
    Ok(PyBytes::new(py, &packet))
}

/// Return each motor's value from a stream of sync read replies (None when missing or bad).
#[pyfunction]
#[pyo3(signature = (stream, ids, length, signed = true))]
fn decode_sync_read(stream: &[u8], ids: Vec<u8>, length: usize, signed: bool) -> Vec<Option<i64>> {
    protocol::decode_sync_read_values(stream, &ids, length, signed)
}

/// A decoded status packet.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
struct StatusPacket {
    inner: protocol::StatusPacket,
}

#[pymethods]
impl StatusPacket {
    #[getter]
    fn id(&self) -> u8 {
        self.inner.id
    }
    /// Error number (bits 0-6 of the ERR byte).
    #[getter]
    fn error(&self) -> u8 {
        self.inner.error
    }
    /// Alert flag (bit 7 of the ERR byte): read Hardware Error Status for the cause.
    #[getter]
    fn alert(&self) -> bool {
        self.inner.alert
    }
    /// Parameters, with byte stuffing removed.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.params)
    }
    fn __repr__(&self) -> String {
        format!(
            "StatusPacket(id={}, error={}, alert={}, params={:02X?})",
            self.inner.id, self.inner.error, self.inner.alert, self.inner.params
        )
    }
}

/// Decode one status packet; raise CrcError, LengthError or HeaderError when it is bad.
#[pyfunction]
fn decode_status(py: Python<'_>, packet: &[u8]) -> PyResult<StatusPacket> {
    protocol::decode_status(packet).py_err(py).map(|inner| StatusPacket { inner })
}

/// A simulated Dynamixel bus with the nine Reachy Mini motors.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
struct SimBus {
    inner: sim::SimBus,
}

#[pymethods]
impl SimBus {
    #[new]
    #[pyo3(signature = (baudrate = 1_000_000, factory_fresh = false))]
    fn new(baudrate: u32, factory_fresh: bool) -> Self {
        let inner = if factory_fresh {
            sim::SimBus::factory_fresh(baudrate)
        } else {
            sim::SimBus::new(baudrate)
        };
        SimBus { inner }
    }
    #[getter]
    fn baudrate(&self) -> u32 {
        self.inner.baudrate()
    }
    /// Make a motor stop (or resume) answering.
    fn set_unresponsive(&self, py: Python<'_>, motor_id: i64, unresponsive: bool) -> PyResult<()> {
        let id = self::motor_id(py, motor_id)?;
        py.detach(|| self.inner.set_unresponsive(id, unresponsive)).py_err(py)
    }
    /// Corrupt the CRC of replies from one motor, or from all when motor_id is None.
    #[pyo3(signature = (motor_id, corrupt))]
    fn set_crc_corruption(
        &self,
        py: Python<'_>,
        motor_id: Option<i64>,
        corrupt: bool,
    ) -> PyResult<()> {
        let id = motor_id.map(|m| self::motor_id(py, m)).transpose()?;
        py.detach(|| self.inner.set_crc_corruption(id, corrupt)).py_err(py)
    }
    /// Set Hardware Error Status bits; torque is cleared until the motor is rebooted.
    fn inject_hardware_error(&self, py: Python<'_>, motor_id: i64, bits: u8) -> PyResult<()> {
        let id = self::motor_id(py, motor_id)?;
        py.detach(|| self.inner.inject_hardware_error(id, bits)).py_err(py)
    }
    /// Unplug the bus (every transfer fails as a lost port) or plug it back.
    fn set_unplugged(&self, py: Python<'_>, unplugged: bool) {
        py.detach(|| self.inner.set_unplugged(unplugged))
    }
    /// Delay every reply by this much on top of its wire time.
    fn set_reply_delay(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let delay = Duration::try_from_secs_f64(seconds).map_err(|_| {
            PyValueError::new_err("reply delay must be a finite, non-negative number")
        })?;
        py.detach(|| self.inner.set_reply_delay(delay));
        Ok(())
    }
    /// Make the handling of the next packet panic, in whichever thread sends it.
    fn inject_panic(&self, py: Python<'_>) {
        py.detach(|| self.inner.inject_panic())
    }
    /// Return the internal state of one motor (position, goal, torque, temperature...).
    fn motor<'py>(&self, py: Python<'py>, motor_id: i64) -> PyResult<Bound<'py, PyDict>> {
        let id = self::motor_id(py, motor_id)?;
        let m = py.detach(|| self.inner.motor(id)).py_err(py)?;
        let d = PyDict::new(py);
        d.set_item("id", m.id)?;
        d.set_item("model", m.model)?;
        d.set_item("position", m.position)?;
        d.set_item("velocity", m.velocity)?;
        d.set_item("goal", m.goal)?;
        d.set_item("current", m.current_ma)?;
        d.set_item("torque_enabled", m.torque_enabled)?;
        d.set_item("temperature", m.temperature)?;
        d.set_item("voltage", m.voltage)?;
        d.set_item("hardware_error", m.hardware_error)?;
        d.set_item("watchdog", m.watchdog)?;
        d.set_item("writes", m.writes)?;
        // Every stored setting, by its control-table name (shutdown, homing_offset, ...).
        for register in registers::ALL.iter().filter(|r| r.writable) {
            d.set_item(register.name, m.register(*register))?;
        }
        d.set_item("unresponsive", m.unresponsive)?;
        d.set_item("crc_corruption", m.corrupt_crc)?;
        Ok(d)
    }
}

/// Serve a SimBus on a pseudo-terminal, so the serial transport can be used against it.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
struct PtyBus {
    server: Mutex<pty::PtyServer>,
    path: String,
    sim: Py<SimBus>,
}

#[pymethods]
impl PtyBus {
    #[new]
    #[pyo3(signature = (sim = None))]
    fn new(py: Python<'_>, sim: Option<Py<SimBus>>) -> PyResult<Self> {
        let sim = match sim {
            Some(sim) => sim,
            None => Py::new(py, SimBus { inner: sim::SimBus::new(1_000_000) })?,
        };
        let inner = sim.get().inner.clone();
        let server = py.detach(|| pty::PtyServer::start(inner)).py_err(py)?;
        let path = server.path().to_string();
        Ok(PtyBus { server: Mutex::new(server), path, sim })
    }
    /// Path of the pty slave device, to open as a serial port.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }
    #[getter]
    fn sim(&self, py: Python<'_>) -> Py<SimBus> {
        self.sim.clone_ref(py)
    }
    /// Stop answering and close the pty.
    fn stop(&self, py: Python<'_>) {
        py.detach(|| self.server.lock().unwrap_or_else(|e| e.into_inner()).stop())
    }
    fn __repr__(&self) -> String {
        format!("PtyBus(path='{}')", self.path)
    }
}

/// Head pose in the base frame: metres and radians, R = Rz(yaw)·Ry(pitch)·Rx(roll).
#[pyclass(module = "reachy_mini_core_rs._core")]
#[derive(Clone)]
struct HeadPose {
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
    fn matrix4(&self) -> kinematics::Mat4 {
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

    fn of_matrix(m: &kinematics::Mat4) -> Self {
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
fn inverse_kinematics(
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
fn stewart_angles(pose: PyRef<'_, HeadPose>, body_yaw: f64) -> Vec<f64> {
    kinematics::stewart_angles(&pose.matrix4(), body_yaw).to_vec()
}

/// Return the body yaw the vendor's automatic body yaw picks for a pose and a body yaw.
#[pyfunction]
fn automatic_body_yaw(pose: PyRef<'_, HeadPose>, body_yaw: f64) -> f64 {
    kinematics::automatic_body_yaw(&pose.matrix4(), body_yaw)
}

/// Return the base-frame head pose of six Stewart angles over a body yaw.
#[pyfunction]
#[pyo3(signature = (angles, body_yaw = 0.0, start = None))]
fn forward_kinematics(
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

/// One immutable reading of the robot, published by the control loop.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
struct Snapshot {
    inner: Arc<control_loop::Snapshot>,
    bus_state: &'static str,
}

#[pymethods]
impl Snapshot {
    /// Sequence number, +1 per cycle that read positions.
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq
    }
    /// Wall-clock time (s) at which the positions were read.
    #[getter]
    fn read_time(&self) -> f64 {
        self.inner.read_time
    }
    #[getter]
    fn names(&self) -> Vec<&'static str> {
        joints::JOINT_NAMES.to_vec()
    }
    #[getter]
    fn ids(&self) -> Vec<u16> {
        joints::MOTOR_IDS.iter().map(|&id| id as u16).collect()
    }
    #[getter]
    fn position(&self) -> Vec<f64> {
        self.inner.position.to_vec()
    }
    #[getter]
    fn velocity(&self) -> Vec<f64> {
        self.inner.velocity.to_vec()
    }
    /// Wall-clock time of the last velocity read; 0.0 before the first.
    #[getter]
    fn velocity_time(&self) -> f64 {
        self.inner.velocity_time
    }
    /// Present current in mA.
    #[getter]
    fn current(&self) -> Vec<f64> {
        self.inner.current.to_vec()
    }
    #[getter]
    fn current_time(&self) -> f64 {
        self.inner.current_time
    }
    /// Last goal written to each motor.
    #[getter]
    fn goal(&self) -> Vec<f64> {
        self.inner.goal.to_vec()
    }
    #[getter]
    fn temperature(&self) -> Vec<f64> {
        self.inner.temperature.to_vec()
    }
    #[getter]
    fn voltage(&self) -> Vec<f64> {
        self.inner.voltage.to_vec()
    }
    /// Hardware Error Status byte of each motor.
    #[getter]
    fn hardware_error(&self) -> Vec<u16> {
        self.inner.hardware_error.iter().map(|&e| e as u16).collect()
    }
    #[getter]
    fn torque_enabled(&self) -> Vec<bool> {
        self.inner.torque_enabled.to_vec()
    }
    /// Wall-clock time of the last temperature/voltage/error read; 0.0 before the first.
    #[getter]
    fn status_time(&self) -> f64 {
        self.inner.status_time
    }
    /// Per motor: wall-clock time its position was last read.
    #[getter]
    fn position_time(&self) -> Vec<f64> {
        self.inner.position_time.to_vec()
    }
    /// Per motor: cumulated timeouts and corrupt replies.
    #[getter]
    fn comm_errors(&self) -> Vec<u64> {
        self.inner.comm_errors.to_vec()
    }
    /// 'connected', 'reconnecting' or 'closed'.
    #[getter]
    fn bus_state(&self) -> &'static str {
        self.bus_state
    }
    fn __repr__(&self) -> String {
        format!(
            "Snapshot(seq={}, read_time={:.6}, bus_state='{}')",
            self.inner.seq, self.inner.read_time, self.bus_state
        )
    }
}

/// Statistics of the control loop since it started.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
struct LoopStats {
    inner: control_loop::LoopStats,
}

#[pymethods]
impl LoopStats {
    #[getter]
    fn configured_rate_hz(&self) -> f64 {
        self.inner.configured_rate_hz
    }
    /// Cycles per second over the last second.
    #[getter]
    fn achieved_rate_hz(&self) -> f64 {
        self.inner.achieved_rate_hz
    }
    #[getter]
    fn cycles(&self) -> u64 {
        self.inner.cycles
    }
    #[getter]
    fn jitter_p50_ms(&self) -> f64 {
        self.inner.jitter_p50_ms
    }
    #[getter]
    fn jitter_p99_ms(&self) -> f64 {
        self.inner.jitter_p99_ms
    }
    #[getter]
    fn jitter_max_ms(&self) -> f64 {
        self.inner.jitter_max_ms
    }
    #[getter]
    fn read_ms_p50(&self) -> f64 {
        self.inner.read_ms_p50
    }
    #[getter]
    fn write_ms_p50(&self) -> f64 {
        self.inner.write_ms_p50
    }
    /// Error counts by kind: 'timeout', 'checksum', 'status', 'io', 'reconnect'...
    #[getter]
    fn errors(&self) -> BTreeMap<String, u64> {
        self.inner.errors.clone()
    }
    #[getter]
    fn bus_state(&self) -> &'static str {
        self.inner.bus_state.as_str()
    }
    #[getter]
    fn reconnects(&self) -> u64 {
        self.inner.reconnects
    }
    /// Whether the loop thread got real-time (SCHED_FIFO) priority from the system.
    #[getter]
    fn realtime(&self) -> bool {
        self.inner.realtime
    }
    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// The fixed-rate control loop: read, publish a snapshot, write goals.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
struct ControlLoop {
    inner: control_loop::ControlLoop,
}

#[pymethods]
impl ControlLoop {
    #[new]
    #[pyo3(signature = (
        *,
        backend = "sim",
        port = None,
        baudrate = 1_000_000,
        rate_hz = 200.0,
        sim = None,
        timeout_s = 0.02,
        max_retries = 3,
        watchdog_ms = 0,
        limits = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        backend: &str,
        port: Option<String>,
        baudrate: u32,
        rate_hz: f64,
        sim: Option<PyRef<'_, SimBus>>,
        timeout_s: f64,
        max_retries: u32,
        watchdog_ms: u32,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let backend = match backend {
            "sim" => {
                Backend::Sim(sim.map_or_else(|| sim::SimBus::new(baudrate), |s| s.inner.clone()))
            }
            "serial" => {
                let port =
                    port.ok_or_else(|| PyValueError::new_err("backend 'serial' needs a port"))?;
                Backend::Serial { port, baudrate }
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown backend '{other}' (use 'sim' or 'serial')"
                )))
            }
        };
        let timeout = Duration::try_from_secs_f64(timeout_s)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| PyValueError::new_err("timeout_s must be a positive number"))?;
        let mut config =
            LoopConfig { rate_hz, timeout, max_retries, watchdog_ms, ..LoopConfig::default() };
        if let Some(limits) = limits.filter(|l| !l.is_none()) {
            let limits: Vec<(String, (f64, f64))> = mapping_items(limits)?;
            config.narrow_limits(&limits).py_err(py)?;
        }
        let inner = control_loop::ControlLoop::new(backend, config).py_err(py)?;
        Ok(ControlLoop { inner })
    }

    /// Open the bus and ping every motor; return the ids that answered.
    fn open(&self, py: Python<'_>) -> PyResult<Vec<u16>> {
        let ids = py.detach(|| self.inner.open()).py_err(py)?;
        Ok(ids.into_iter().map(u16::from).collect())
    }
    /// Compare the motors' configuration with the robot table; mode is "check", "flash" or
    /// "skip". Only while the loop is stopped. Return what differed, what was written and what
    /// did not take, as dicts of id, motor, register, address, found, expected (and reason).
    fn setup_motors<'py>(&self, py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyDict>> {
        let mode = SetupMode::parse(mode).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let report = py.detach(|| self.inner.setup_motors(mode)).py_err(py)?;
        let entry = |d: &Difference| -> PyResult<Bound<'py, PyDict>> {
            let e = PyDict::new(py);
            e.set_item("id", d.id)?;
            e.set_item("motor", d.motor)?;
            e.set_item("register", d.register.name)?;
            e.set_item("address", d.register.address)?;
            e.set_item("found", d.found)?;
            e.set_item("expected", d.expected)?;
            Ok(e)
        };
        let out = PyDict::new(py);
        out.set_item("mode", report.mode.as_str())?;
        out.set_item("ok", report.ok())?;
        let differences = report.differences.iter().map(entry).collect::<PyResult<Vec<_>>>()?;
        out.set_item("differences", differences)?;
        let written = report.written.iter().map(entry).collect::<PyResult<Vec<_>>>()?;
        out.set_item("written", written)?;
        let mut failed = Vec::new();
        for failure in &report.failed {
            let e = entry(&failure.difference)?;
            e.set_item("reason", &failure.reason)?;
            failed.push(e);
        }
        out.set_item("failed", failed)?;
        Ok(out)
    }
    /// Start the loop thread (opens the bus first if needed).
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.start()).py_err(py)
    }
    /// Stop the loop thread and wait for it; goals stay where they are.
    fn stop(&self, py: Python<'_>) {
        py.detach(|| self.inner.stop())
    }
    /// Stop the loop and release the port.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.inner.close())
    }
    #[getter]
    fn running(&self) -> bool {
        self.inner.running()
    }
    /// The simulated bus the loop drives (to inject faults into), or None on a serial port.
    #[getter]
    fn sim(&self) -> Option<SimBus> {
        match self.inner.backend() {
            Backend::Sim(sim) => Some(SimBus { inner: sim.clone() }),
            Backend::Serial { .. } => None,
        }
    }
    /// Why the loop thread ended on its own (an error or a panic message), else None.
    #[getter]
    fn exit_reason(&self) -> Option<String> {
        self.inner.exit_reason()
    }
    /// Return the latest snapshot, or None before the first read.
    fn snapshot(&self, py: Python<'_>) -> Option<Snapshot> {
        let (snapshot, state) = py.detach(|| (self.inner.snapshot(), self.inner.bus_state()));
        snapshot.map(|inner| Snapshot { inner, bus_state: state.as_str() })
    }
    /// Wait (without the GIL) for a snapshot newer than after_seq; None on timeout.
    fn wait_snapshot(&self, py: Python<'_>, after_seq: i64, timeout_s: f64) -> Option<Snapshot> {
        let timeout =
            Duration::try_from_secs_f64(timeout_s.max(0.0)).unwrap_or(Duration::from_secs(3600));
        let after = u64::try_from(after_seq).unwrap_or(0);
        let after = if after_seq < 0 { None } else { Some(after) };
        let (snapshot, state) = py.detach(|| {
            let s = match after {
                Some(after) => self.inner.wait_snapshot(after, timeout),
                None => self.inner.snapshot().or_else(|| self.inner.wait_snapshot(0, timeout)),
            };
            (s, self.inner.bus_state())
        });
        snapshot.map(|inner| Snapshot { inner, bus_state: state.as_str() })
    }
    /// Queue goal positions by joint name for the next write.
    fn set_goals(&self, py: Python<'_>, goals: &Bound<'_, PyAny>) -> PyResult<()> {
        let items: Vec<(String, f64)> = mapping_items(goals)?;
        py.detach(|| self.inner.set_goals(&items)).py_err(py)
    }
    /// Enable or disable torque; enabling holds each motor at its present position first.
    fn set_torque(&self, py: Python<'_>, enabled: bool) -> PyResult<()> {
        py.detach(|| self.inner.set_torque(enabled)).py_err(py)
    }
    /// Reboot motors (all when ids is None) to clear hardware errors.
    #[pyo3(signature = (ids = None))]
    fn reboot(&self, py: Python<'_>, ids: Option<Vec<i64>>) -> PyResult<()> {
        let ids: Vec<u8> = ids
            .unwrap_or_default()
            .into_iter()
            .map(|id| motor_id(py, id))
            .collect::<PyResult<_>>()?;
        py.detach(|| self.inner.reboot(&ids)).py_err(py)
    }
    fn stats(&self, py: Python<'_>) -> LoopStats {
        LoopStats { inner: py.detach(|| self.inner.stats()) }
    }
}

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
    m.add_function(wrap_pyfunction!(crc16, m)?)?;
    m.add_function(wrap_pyfunction!(encode_instruction, m)?)?;
    m.add_function(wrap_pyfunction!(decode_status, m)?)?;
    m.add_function(wrap_pyfunction!(encode_sync_read, m)?)?;
    m.add_function(wrap_pyfunction!(encode_sync_write, m)?)?;
    m.add_function(wrap_pyfunction!(decode_sync_read, m)?)?;
    m.add_function(wrap_pyfunction!(inverse_kinematics, m)?)?;
    m.add_function(wrap_pyfunction!(forward_kinematics, m)?)?;
    m.add_function(wrap_pyfunction!(stewart_angles, m)?)?;
    m.add_function(wrap_pyfunction!(automatic_body_yaw, m)?)?;
    m.add_class::<StatusPacket>()?;
    m.add_class::<HeadPose>()?;
    m.add_class::<PtyBus>()?;
    m.add_class::<SimBus>()?;
    m.add_class::<Snapshot>()?;
    m.add_class::<LoopStats>()?;
    m.add_class::<ControlLoop>()?;
    Ok(())
}
