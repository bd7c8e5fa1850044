//! The real bus: a serial port (USB adapter or UART) through the `serialport` crate.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, SerialPort};

use super::Transport;
use crate::error::{Error, Result};

pub struct SerialTransport {
    path: String,
    baudrate: u32,
    port: Option<Box<dyn SerialPort>>,
}

impl SerialTransport {
    /// Open the port at the given baud rate (1,000,000 on Reachy Mini).
    pub fn open(path: &str, baudrate: u32) -> Result<Self> {
        let mut transport = SerialTransport { path: path.to_string(), baudrate, port: None };
        transport.reopen()?;
        Ok(transport)
    }

    fn port(&mut self) -> Result<&mut Box<dyn SerialPort>> {
        self.port.as_mut().ok_or_else(|| Error::Io(format!("{} is closed", self.path)))
    }
}

fn io_error(e: serialport::Error) -> Error {
    Error::Io(e.to_string())
}

impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let result = (|| {
            let port = self.port()?;
            // Stray bytes (a late reply to an earlier packet) would be taken for the answer.
            port.clear(ClearBuffer::Input).map_err(io_error)?;
            port.write_all(bytes)?;
            port.flush()?;
            Ok(())
        })();
        if result.is_err() {
            self.port = None;
        }
        result
    }

    fn recv(&mut self, buf: &mut [u8], deadline: Instant) -> Result<usize> {
        let port = self.port()?;
        let now = Instant::now();
        if now >= deadline {
            return Ok(0);
        }
        port.set_timeout((deadline - now).max(Duration::from_micros(100))).map_err(io_error)?;
        match port.read(buf) {
            Ok(0) => Err(Error::Io("serial port closed".into())),
            Ok(n) => Ok(n),
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(0),
            Err(e) => {
                self.port = None;
                Err(e.into())
            }
        }
    }

    fn reopen(&mut self) -> Result<()> {
        self.port = None;
        let port = serialport::new(&self.path, self.baudrate)
            .timeout(Duration::from_millis(20))
            .open()
            .map_err(|e| Error::Io(format!("cannot open {}: {e}", self.path)))?;
        self.port = Some(port);
        Ok(())
    }

    fn baudrate(&self) -> u32 {
        self.baudrate
    }
}
