//! The control loop, its snapshots and its statistics.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::errors::{motor_id, IntoPy};
use super::sim::SimBus;
use crate::bus::sim;
use crate::control_loop::{self, Backend, LoopConfig};
use crate::joints;
use crate::motor_setup::{Difference, SetupMode};

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

/// One immutable reading of the robot, published by the control loop.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
pub(super) struct Snapshot {
    pub(super) inner: Arc<control_loop::Snapshot>,
    bus_state: &'static str,
}

#[pymethods]
impl Snapshot {
    /// The move whose goals the last write carried, or None.
    #[getter]
    fn move_id(&self) -> Option<String> {
        self.inner.move_id.clone()
    }
    /// The time (s from the move's start) at which those goals were computed.
    #[getter]
    fn move_time(&self) -> f64 {
        self.inner.move_time
    }
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
pub(super) struct LoopStats {
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
pub(super) struct ControlLoop {
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
        max_velocity = None,
        max_acceleration = None,
        automatic_body_yaw = false,
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
        max_velocity: Option<&Bound<'_, PyAny>>,
        max_acceleration: Option<&Bound<'_, PyAny>>,
        automatic_body_yaw: bool,
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
        for (velocity, given) in [(true, max_velocity), (false, max_acceleration)] {
            let Some(given) = given.filter(|g| !g.is_none()) else { continue };
            let items: Vec<(String, f64)> = match given.extract::<f64>() {
                Ok(all) => vec![("*".to_string(), all)],
                Err(_) => mapping_items(given)?,
            };
            for (name, value) in items {
                config.set_motion_limit(velocity, &name, value).py_err(py)?;
            }
        }
        let inner = control_loop::ControlLoop::new(backend, config).py_err(py)?;
        inner.set_automatic_body_yaw(automatic_body_yaw);
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
    /// Set streamed targets by joint name; shaped by the loop, refused while a move runs.
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
    /// Per joint: (max velocity rad/s, max acceleration rad/s²).
    #[getter]
    fn motion_limits(&self) -> BTreeMap<&'static str, (f64, f64)> {
        let config = self.inner.config();
        joints::JOINT_NAMES
            .iter()
            .enumerate()
            .map(|(k, name)| (*name, (config.max_velocity[k], config.max_acceleration[k])))
            .collect()
    }
    fn set_automatic_body_yaw(&self, enabled: bool) {
        self.inner.set_automatic_body_yaw(enabled);
    }
    /// Start a goto from the present state; return its id.
    #[pyo3(signature = (
        move_id, duration, *, interpolation = "minjerk", head = None, body_yaw = None,
        antennas = None, joints = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn goto(
        &self,
        py: Python<'_>,
        move_id: &str,
        duration: f64,
        interpolation: &str,
        head: Option<PyRef<'_, super::kinematics::HeadPose>>,
        body_yaw: Option<f64>,
        antennas: Option<(f64, f64)>,
        joints: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let warp = crate::motion::Warp::parse(interpolation).py_err(py)?;
        let joints: Vec<(String, f64)> = match joints.filter(|j| !j.is_none()) {
            Some(j) => mapping_items(j)?,
            None => Vec::new(),
        };
        let target = super::motion::target(head, body_yaw, antennas, joints);
        py.detach(|| self.inner.goto(move_id, &target, duration, warp)).py_err(py)
    }
    /// Run a joint trajectory from the present state; return its id.
    fn joint_trajectory(
        &self,
        py: Python<'_>,
        move_id: &str,
        names: Vec<String>,
        points: Vec<super::motion::PointTuple>,
    ) -> PyResult<String> {
        let points = super::motion::points(points);
        py.detach(|| self.inner.joint_trajectory(move_id, &names, &points)).py_err(py)
    }
    /// Run head poses at times from the start; return its id.
    fn head_trajectory(
        &self,
        py: Python<'_>,
        move_id: &str,
        points: Vec<(f64, PyRef<'_, super::kinematics::HeadPose>)>,
    ) -> PyResult<String> {
        let points = super::motion::head_points(points);
        py.detach(|| self.inner.head_trajectory(move_id, &points)).py_err(py)
    }
    fn wake_up(&self, py: Python<'_>, move_id: &str) -> PyResult<String> {
        py.detach(|| self.inner.wake_up(move_id)).py_err(py)
    }
    fn goto_sleep(&self, py: Python<'_>, move_id: &str) -> PyResult<String> {
        py.detach(|| self.inner.goto_sleep(move_id)).py_err(py)
    }
    /// End the running move where it is; its id, or None.
    fn stop_move(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| self.inner.stop_move())
    }
    /// The running move: id, kind, elapsed, duration; None when none runs.
    fn running_move<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some((id, kind, elapsed, duration)) = py.detach(|| self.inner.running_move()) else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("id", id)?;
        d.set_item("kind", kind)?;
        d.set_item("elapsed", elapsed)?;
        d.set_item("duration", duration)?;
        Ok(Some(d))
    }
    /// The move events since the last call, oldest first.
    fn take_move_events<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let events = py.detach(|| self.inner.take_move_events());
        events.iter().map(|e| super::motion::event_dict(py, e)).collect()
    }
}
