//! Dynamixel Protocol 2.0 codec functions and the decoded status packet.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::errors::{to_py, IntoPy};
use crate::error::Error;
use crate::protocol;

/// Return the Protocol 2.0 CRC-16 (poly 0x8005, init 0) of data.
#[pyfunction]
pub(super) fn crc16(data: &[u8]) -> u16 {
    protocol::crc16(data)
}

/// Return a complete instruction packet: header, id, length, stuffed params and CRC.
#[pyfunction]
#[pyo3(signature = (id, instruction, params))]
pub(super) fn encode_instruction<'py>(
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
pub(super) fn encode_sync_read<'py>(
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
pub(super) fn encode_sync_write<'py>(
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
pub(super) fn decode_sync_read(
    stream: &[u8],
    ids: Vec<u8>,
    length: usize,
    signed: bool,
) -> Vec<Option<i64>> {
    protocol::decode_sync_read_values(stream, &ids, length, signed)
}

/// A decoded status packet.
#[pyclass(frozen, module = "reachy_mini_core_rs._core")]
pub(super) struct StatusPacket {
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
pub(super) fn decode_status(py: Python<'_>, packet: &[u8]) -> PyResult<StatusPacket> {
    protocol::decode_status(packet).py_err(py).map(|inner| StatusPacket { inner })
}
