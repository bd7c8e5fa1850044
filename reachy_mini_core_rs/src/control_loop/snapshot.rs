//! What the loop publishes: the immutable snapshot, the bus state and the statistics.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use crate::joints::COUNT;

/// Samples kept for the percentiles: 10 s at 200 Hz.
const WINDOW: usize = 2000;

/// State of the bus as the loop sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BusState {
    Connected = 0,
    Reconnecting = 1,
    Closed = 2,
}

impl BusState {
    pub fn as_str(self) -> &'static str {
        match self {
            BusState::Connected => "connected",
            BusState::Reconnecting => "reconnecting",
            BusState::Closed => "closed",
        }
    }

    pub(super) fn from_u8(v: u8) -> Self {
        match v {
            0 => BusState::Connected,
            1 => BusState::Reconnecting,
            _ => BusState::Closed,
        }
    }
}

/// One immutable reading of the robot.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub seq: u64,
    pub read_time: f64,
    pub position: [f64; COUNT],
    /// Per motor: wall-clock time its position was last read; a motor that stopped answering
    /// keeps an old time here while the others advance.
    pub position_time: [f64; COUNT],
    pub velocity: [f64; COUNT],
    pub velocity_time: f64,
    pub current: [f64; COUNT],
    pub current_time: f64,
    pub goal: [f64; COUNT],
    pub temperature: [f64; COUNT],
    pub voltage: [f64; COUNT],
    pub hardware_error: [u8; COUNT],
    pub torque_enabled: [bool; COUNT],
    pub status_time: f64,
    pub comm_errors: [u64; COUNT],
    /// The move whose goals the last write carried, and the time in it they were computed for.
    pub move_id: Option<String>,
    pub move_time: f64,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            seq: 0,
            read_time: 0.0,
            position: [0.0; COUNT],
            position_time: [0.0; COUNT],
            velocity: [0.0; COUNT],
            velocity_time: 0.0,
            current: [0.0; COUNT],
            current_time: 0.0,
            goal: [0.0; COUNT],
            temperature: [0.0; COUNT],
            voltage: [0.0; COUNT],
            hardware_error: [0; COUNT],
            torque_enabled: [false; COUNT],
            status_time: 0.0,
            comm_errors: [0; COUNT],
            move_id: None,
            move_time: 0.0,
        }
    }
}

/// Statistics since the loop started.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopStats {
    pub configured_rate_hz: f64,
    pub achieved_rate_hz: f64,
    pub cycles: u64,
    pub jitter_p50_ms: f64,
    pub jitter_p99_ms: f64,
    pub jitter_max_ms: f64,
    pub read_ms_p50: f64,
    pub write_ms_p50: f64,
    pub errors: BTreeMap<String, u64>,
    pub bus_state: BusState,
    pub reconnects: u64,
    /// Whether the loop thread runs with real-time (SCHED_FIFO) priority.
    pub realtime: bool,
}

#[derive(Debug, Default)]
pub(super) struct StatsAcc {
    pub(super) cycles: u64,
    pub(super) jitter_ms: VecDeque<f64>,
    pub(super) jitter_max_ms: f64,
    pub(super) read_ms: VecDeque<f64>,
    pub(super) write_ms: VecDeque<f64>,
    pub(super) recent_starts: VecDeque<Instant>,
    pub(super) errors: BTreeMap<String, u64>,
    pub(super) reconnects: u64,
    pub(super) realtime: bool,
}

impl StatsAcc {
    pub(super) fn push(window: &mut VecDeque<f64>, value: f64) {
        if window.len() == WINDOW {
            window.pop_front();
        }
        window.push_back(value);
    }

    pub(super) fn error(&mut self, kind: &str, n: u64) {
        if n > 0 {
            *self.errors.entry(kind.to_string()).or_insert(0) += n;
        }
    }
}

pub(super) fn percentile(window: &VecDeque<f64>, q: f64) -> f64 {
    if window.is_empty() {
        return 0.0;
    }
    let mut sorted: Vec<f64> = window.iter().copied().collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
