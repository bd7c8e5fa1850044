//! The simulated bus and its pseudo-terminal server.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::errors::{motor_id, IntoPy};
use crate::bus::{pty, sim};
use crate::registers;

/// A simulated Dynamixel bus with the nine Reachy Mini motors.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
pub(super) struct SimBus {
    pub(super) inner: sim::SimBus,
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
pub(super) struct PtyBus {
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
