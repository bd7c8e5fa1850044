//! The one error type of the core; `python/errors.rs` maps each variant to a Python exception.

use std::fmt;

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// No (complete) reply arrived before the deadline.
    Timeout { id: u8 },
    /// The CRC of a packet does not match its bytes.
    Checksum { expected: u16, got: u16 },
    /// The LEN field does not match the packet, or the packet is too short.
    Length(String),
    /// The packet does not start with FF FF FD 00.
    Header,
    /// A reply came from another motor than the one asked.
    IncorrectId { expected: u8, got: u8 },
    /// A status packet carried a non-zero error number (bits 0-6 of ERR).
    Status { id: u8, error: u8 },
    /// A packet that is well formed but not what the caller expected.
    Malformed(String),
    /// The port could not be opened, failed, or was unplugged.
    Io(String),
    /// A goal that must not reach the motors.
    Limit(String),
    /// A head pose that is not finite or not reachable.
    Kinematics(String),
    /// A move or a streamed target the motion layer refuses.
    Motion(String),
    /// Torque was not enabled on some motors, because enabling it could have moved them.
    TorqueLeftOff(String),
}

impl Error {
    /// Short name of the kind, used as the key of the loop's error counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Timeout { .. } => "timeout",
            Error::Checksum { .. } => "checksum",
            Error::Length(_) | Error::Header | Error::Malformed(_) => "protocol",
            Error::IncorrectId { .. } => "incorrect_id",
            Error::Status { .. } => "status",
            Error::Io(_) => "io",
            Error::Limit(_) => "limit",
            Error::Kinematics(_) => "kinematics",
            Error::Motion(_) => "motion",
            Error::TorqueLeftOff(_) => "torque_left_off",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout { id } => write!(f, "no reply from motor {id} before the timeout"),
            Error::Checksum { expected, got } => {
                write!(f, "CRC mismatch: computed 0x{expected:04X}, packet says 0x{got:04X}")
            }
            Error::Length(msg) => write!(f, "bad packet length: {msg}"),
            Error::Header => write!(f, "packet does not start with FF FF FD 00"),
            Error::IncorrectId { expected, got } => {
                write!(f, "reply from motor {got}, expected motor {expected}")
            }
            Error::Status { id, error } => {
                write!(f, "motor {id} answered with error {error} ({})", status_name(*error))
            }
            Error::Malformed(msg) => write!(f, "unexpected packet: {msg}"),
            Error::Io(msg) => write!(f, "bus I/O error: {msg}"),
            Error::Limit(msg) => write!(f, "{msg}"),
            Error::Kinematics(msg) => write!(f, "{msg}"),
            Error::Motion(msg) => write!(f, "{msg}"),
            Error::TorqueLeftOff(msg) => write!(f, "{msg}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

/// Name of a Protocol 2.0 error number.
pub fn status_name(error: u8) -> &'static str {
    match error {
        1 => "result fail",
        2 => "instruction error",
        3 => "CRC error",
        4 => "data range error",
        5 => "data length error",
        6 => "data limit error",
        7 => "access error",
        _ => "unknown error",
    }
}

pub type Result<T> = std::result::Result<T, Error>;
