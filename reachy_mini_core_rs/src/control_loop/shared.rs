//! The state the loop thread and the callers share, and the bus set-up both need.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use super::lock;
use super::snapshot::StatsAcc;
use super::{Backend, BusState, LoopConfig, Snapshot};
use crate::bus::serial::SerialTransport;
use crate::bus::sim::SimTransport;
use crate::bus::{Bus, Transport};
use crate::error::Result;
use crate::joints::{ticks_to_rad, MOTOR_IDS};
use crate::motion::Motion;
use crate::registers::{BUS_WATCHDOG, GOAL_POSITION, TORQUE_ENABLE};

/// What both the loop thread and the callers share; its locks are taken in the order written
/// at the top of the module (bus, work, stats, motion, latest, exit_reason).
pub(super) struct Shared {
    pub(super) config: LoopConfig,
    pub(super) backend: Backend,
    /// The open bus; held by the loop for the I/O of one cycle at a time.
    pub(super) bus: Mutex<Option<Bus>>,
    /// The working reading that snapshots are copied from.
    pub(super) work: Mutex<Snapshot>,
    pub(super) latest: Mutex<Option<Arc<Snapshot>>>,
    pub(super) published: Condvar,
    /// Moves and streamed targets: what the next ticks write.
    pub(super) motion: Mutex<Motion>,
    pub(super) stats: Mutex<StatsAcc>,
    pub(super) bus_state: AtomicU8,
    pub(super) stop: AtomicBool,
    /// Why the last loop thread ended without being asked to: its error or panic message.
    pub(super) exit_reason: Mutex<Option<String>>,
}

impl Shared {
    pub(super) fn bus_state(&self) -> BusState {
        BusState::from_u8(self.bus_state.load(Ordering::SeqCst))
    }

    pub(super) fn set_bus_state(&self, state: BusState) {
        self.bus_state.store(state as u8, Ordering::SeqCst);
    }

    pub(super) fn make_bus(&self) -> Result<Bus> {
        let transport: Box<dyn Transport> = match &self.backend {
            Backend::Sim(sim) => Box::new(SimTransport::new(sim.clone())),
            Backend::Serial { port, baudrate } => Box::new(SerialTransport::open(port, *baudrate)?),
        };
        Ok(Bus::new(transport, self.config.timeout))
    }

    /// Ping every motor, then read goals and torque and arm the watchdog of those that answer.
    pub(super) fn initialise(&self, bus: &mut Bus) -> Vec<u8> {
        let answered: Vec<u8> =
            MOTOR_IDS.iter().copied().filter(|&id| bus.ping(id).is_ok()).collect();
        let mut work = lock(&self.work);
        let mut stats = lock(&self.stats);
        for (k, &id) in MOTOR_IDS.iter().enumerate() {
            if !answered.contains(&id) {
                continue;
            }
            match bus.read_register(id, GOAL_POSITION).map(i32::try_from) {
                Ok(Ok(ticks)) => work.goal[k] = ticks_to_rad(ticks),
                // Four signed bytes always fit an i32; nothing else can come back.
                Ok(Err(_)) => {}
                Err(e) => stats.error(e.kind(), 1),
            }
            match bus.read_register(id, TORQUE_ENABLE) {
                Ok(torque) => work.torque_enabled[k] = torque != 0,
                Err(e) => stats.error(e.kind(), 1),
            }
            if self.config.watchdog_ms > 0 {
                // 20 ms units, 1..127; writing 0 first clears a trip left from a previous run.
                let units = self.config.watchdog_ms.div_ceil(20).clamp(1, 127) as u8;
                for value in [0, units] {
                    if let Err(e) = bus.write_register(id, BUS_WATCHDOG, value.into()) {
                        stats.error(e.kind(), 1);
                    }
                }
            }
        }
        // The goals just read are where the streamed targets start from.
        lock(&self.motion).shaper.rest_at(&work.goal);
        answered
    }
}
