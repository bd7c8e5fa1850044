//! The exception classes of the module and the one mapping of core errors onto them.

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::error::Error;

/// The exception classes, built once when the module is imported.
pub(super) struct Exceptions {
    pub(super) core: Py<PyType>,
    pub(super) protocol: Py<PyType>,
    pub(super) crc: Py<PyType>,
    pub(super) length: Py<PyType>,
    pub(super) header: Py<PyType>,
    pub(super) bus: Py<PyType>,
    pub(super) limit: Py<PyType>,
    pub(super) kinematics: Py<PyType>,
    pub(super) motion: Py<PyType>,
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

pub(super) fn exceptions(py: Python<'_>) -> PyResult<&'static Exceptions> {
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
            vec![core.bind(py).clone().into_any(), value_error.clone()],
            "A head pose is not finite or not reachable.",
        )?;
        let motion = new_exception(
            py,
            "MotionError",
            vec![core.bind(py).clone().into_any(), value_error],
            "A move or a streamed target the motion layer refuses.",
        )?;
        Ok(Exceptions { core, protocol, crc, length, header, bus, limit, kinematics, motion })
    })
}

/// The one place where core errors become Python exceptions.
pub(super) fn to_py(py: Python<'_>, error: Error) -> PyErr {
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
        Error::Motion(_) => &exc.motion,
    };
    let _ = &exc.core;
    PyErr::from_type(class.bind(py).clone(), error.to_string())
}

pub(super) trait IntoPy<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for crate::error::Result<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}

pub(super) fn motor_id(py: Python<'_>, id: i64) -> PyResult<u8> {
    u8::try_from(id).map_err(|_| to_py(py, Error::Limit(format!("no motor with id {id}"))))
}
