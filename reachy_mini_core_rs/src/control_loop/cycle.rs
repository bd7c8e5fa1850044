//! One cycle of the loop, phase by phase: record its timing, read the positions, update the
//! working snapshot, probe the benched motors, publish, read extra telemetry, write the goals.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::lock;
use super::shared::Shared;
use super::snapshot::StatsAcc;
use super::thread::{Cycle, BACKOFF_START};
use super::{BusState, Snapshot};
use crate::bus::{Bus, MotorRead};
use crate::error::{Error, Result};
use crate::joints::{rad_to_ticks, ticks_to_rad, COUNT, MOTOR_IDS, VELOCITY_UNIT_RAD_S};
use crate::registers::{self as r, Register, PRESENT_POSITION as POSITION};

/// After a failed fast sync read, use plain sync reads for this many cycles (1 s at 200 Hz)
/// so that a silent motor costs one timeout per cycle, not two.
const FAST_READ_COOLDOWN: u64 = 200;
/// A motor that misses this many cycles in a row is left out of the cyclic reads, so that its
/// timeout does not slow the loop down for the others (3 cycles is 15 ms at 200 Hz)...
pub(super) const BENCH_AFTER: u32 = 3;
/// ...and pinged this often until it answers again.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// Margin kept free at the end of a cycle when deciding whether extra telemetry fits.
const CYCLE_MARGIN: Duration = Duration::from_micros(300);

fn wall_time() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Present Position ticks of one motor's reply to the cyclic read.
pub(super) fn position_ticks(data: &[u8]) -> Option<i32> {
    POSITION.decode(data).ok().and_then(|ticks| i32::try_from(ticks).ok())
}

/// Telemetry blocks read in turn, one per cycle when time allows.
#[derive(Debug, Clone, Copy)]
pub(super) enum Extra {
    CurrentVelocity,
    VoltageTemperature,
    TorqueError,
}

impl Extra {
    pub(super) const ORDER: [Extra; 3] =
        [Extra::CurrentVelocity, Extra::VoltageTemperature, Extra::TorqueError];
    /// Position of TorqueError in ORDER.
    pub(super) const TORQUE_ERROR_INDEX: usize = 2;

    /// First and last register of the block; one sync read covers both and what lies between.
    fn registers(self) -> (Register, Register) {
        match self {
            Extra::CurrentVelocity => (r::PRESENT_CURRENT, r::PRESENT_VELOCITY),
            Extra::VoltageTemperature => (r::PRESENT_INPUT_VOLTAGE, r::PRESENT_TEMPERATURE),
            Extra::TorqueError => (r::TORQUE_ENABLE, r::HARDWARE_ERROR_STATUS),
        }
    }

    /// Address and length of the block's sync read.
    pub(super) fn span(self) -> (u16, u16) {
        let (first, last) = self.registers();
        r::block(first, last)
    }
}

/// Positions of every motor, with retries; None when the bus is down.
fn read_positions(
    shared: &Shared,
    bus: &mut Bus,
    cycle: &mut Cycle,
    stats: &mut StatsAcc,
    ids: &[u8],
) -> Option<Vec<MotorRead>> {
    if ids.is_empty() {
        return None;
    }
    for _attempt in 0..=shared.config.max_retries {
        if cycle.seq >= cycle.fast_read_after {
            match bus.fast_sync_read(ids, POSITION.address, POSITION.size) {
                Ok(blocks) => {
                    return Some(
                        blocks
                            .into_iter()
                            .map(|b| {
                                if b.error != 0 {
                                    Err(Error::Status { id: b.id, error: b.error })
                                } else {
                                    Ok((b.data, b.alert))
                                }
                            })
                            .collect(),
                    )
                }
                Err(Error::Io(_)) => {
                    stats.error("io", 1);
                    return None;
                }
                Err(e) => {
                    stats.error(e.kind(), 1);
                    cycle.fast_read_after = cycle.seq + FAST_READ_COOLDOWN;
                }
            }
        }
        match bus.sync_read(ids, POSITION.address, POSITION.size) {
            Ok(reads) if reads.iter().any(|r| r.is_ok()) => return Some(reads),
            Ok(reads) => {
                for read in &reads {
                    if let Err(e) = read {
                        stats.error(e.kind(), 1);
                    }
                }
            }
            Err(e) => {
                stats.error(e.kind(), 1);
                if matches!(e, Error::Io(_)) {
                    return None;
                }
            }
        }
    }
    None
}

/// One cycle: the phases below, in order, with the bus, the working snapshot and the
/// statistics held from the first to the last (taken in the module's lock order).
pub(super) fn run_cycle(
    shared: &Shared,
    cycle: &mut Cycle,
    start: Instant,
    cycle_end: Instant,
    late: Duration,
) -> Result<()> {
    let mut guard = lock(&shared.bus);
    let Some(bus) = guard.as_mut() else {
        // The port was released under the running loop: nothing is left to drive.
        shared.set_bus_state(BusState::Closed);
        return Err(Error::Io("the bus was closed while the loop ran".into()));
    };
    let mut work = lock(&shared.work);
    let mut stats = lock(&shared.stats);
    record_timing(&mut stats, start, late);

    let read_start = Instant::now();
    let active: Vec<usize> = (0..COUNT).filter(|&k| !cycle.benched[k]).collect();
    let ids: Vec<u8> = active.iter().map(|&k| MOTOR_IDS[k]).collect();
    let reads = read_positions(shared, bus, cycle, &mut stats, &ids);
    let read_time = wall_time();
    StatsAcc::push(&mut stats.read_ms, read_start.elapsed().as_secs_f64() * 1e3);
    let checksum_errors = bus.take_checksum_errors();
    stats.error("checksum", checksum_errors);
    let Some(reads) = reads else {
        // Bus down: publish nothing, so that no stale value looks fresh.
        shared.set_bus_state(BusState::Reconnecting);
        cycle.backoff = BACKOFF_START;
        cycle.next_attempt = Instant::now();
        return Ok(());
    };

    update_positions(&mut work, &mut stats, cycle, &active, &reads, read_time);
    probe_benched(bus, &mut work, &mut stats, cycle);
    publish(shared, &mut work, cycle);
    read_extra_telemetry(bus, &mut work, &mut stats, cycle, &active, cycle_end);
    write_goals(shared, bus, &mut work, &mut stats);
    Ok(())
}

/// Count the cycle, how late it started, and its start for the rate over the last second.
fn record_timing(stats: &mut StatsAcc, start: Instant, late: Duration) {
    stats.cycles += 1;
    let late_ms = late.as_secs_f64() * 1e3;
    StatsAcc::push(&mut stats.jitter_ms, late_ms);
    stats.jitter_max_ms = stats.jitter_max_ms.max(late_ms);
    if stats.recent_starts.len() >= 4096 {
        stats.recent_starts.pop_front();
    }
    stats.recent_starts.push_back(start);
    while stats
        .recent_starts
        .front()
        .is_some_and(|t| start.duration_since(*t) > Duration::from_secs(1))
    {
        stats.recent_starts.pop_front();
    }
}

/// Put the positions read into the working snapshot; bench a motor that keeps missing.
fn update_positions(
    work: &mut Snapshot,
    stats: &mut StatsAcc,
    cycle: &mut Cycle,
    active: &[usize],
    reads: &[MotorRead],
    read_time: f64,
) {
    for (&k, read) in active.iter().zip(reads) {
        match read {
            Ok((data, alert)) => {
                cycle.failures[k] = 0;
                if let Some(ticks) = position_ticks(data) {
                    work.position[k] = ticks_to_rad(ticks);
                    work.position_time[k] = read_time;
                }
                if !alert {
                    work.hardware_error[k] = 0;
                } else if work.hardware_error[k] == 0 {
                    // Alert without a known cause yet: read it next (Hardware Error Status).
                    cycle.extra = Extra::TORQUE_ERROR_INDEX;
                }
            }
            Err(e) => {
                work.comm_errors[k] += 1;
                stats.error(e.kind(), 1);
                cycle.failures[k] += 1;
                if cycle.failures[k] >= BENCH_AFTER {
                    cycle.benched[k] = true;
                    cycle.next_probe = Instant::now() + PROBE_EVERY;
                }
            }
        }
    }
    work.read_time = read_time;
}

/// Ping the motors left out; one that answers joins the cyclic reads again.
fn probe_benched(bus: &mut Bus, work: &mut Snapshot, stats: &mut StatsAcc, cycle: &mut Cycle) {
    if !(cycle.benched.iter().any(|b| *b) && Instant::now() >= cycle.next_probe) {
        return;
    }
    cycle.next_probe = Instant::now() + PROBE_EVERY;
    let benched: Vec<usize> = (0..COUNT).filter(|&k| cycle.benched[k]).collect();
    for k in benched {
        match bus.ping(MOTOR_IDS[k]) {
            Ok(_) => {
                cycle.benched[k] = false;
                cycle.failures[k] = 0;
            }
            Err(e) => {
                work.comm_errors[k] += 1;
                stats.error(e.kind(), 1);
            }
        }
    }
}

/// Publish the positions now, before the slower telemetry read and the goal write: a
/// subscriber gets them 1.5 to 2 ms sooner at 1 Mbaud, and what this cycle reads or writes
/// next shows in the next snapshot.
fn publish(shared: &Shared, work: &mut Snapshot, cycle: &mut Cycle) {
    cycle.seq += 1;
    work.seq = cycle.seq;
    *lock(&shared.latest) = Some(Arc::new(work.clone()));
    shared.published.notify_all();
}

/// Read the next block of extra telemetry, when it fits in what is left of the cycle.
fn read_extra_telemetry(
    bus: &mut Bus,
    work: &mut Snapshot,
    stats: &mut StatsAcc,
    cycle: &mut Cycle,
    active: &[usize],
    cycle_end: Instant,
) {
    let ids: Vec<u8> = active.iter().map(|&k| MOTOR_IDS[k]).collect();
    let extra = Extra::ORDER[cycle.extra % Extra::ORDER.len()];
    let (address, length) = extra.span();
    // Bytes on the wire: the sync read is 14 + one id per motor, each reply 11 + the block,
    // with 25% spare; the goal write that follows is 14 + 5 per motor (id and 4 bytes).
    let cost = bus.wire_time(14 + ids.len() * (12 + length as usize)) * 5 / 4
        + bus.wire_time(14 + 5 * MOTOR_IDS.len());
    if Instant::now() + cost + CYCLE_MARGIN >= cycle_end {
        return;
    }
    cycle.extra = (cycle.extra + 1) % Extra::ORDER.len();
    match bus.sync_read(&ids, address, length) {
        Ok(reads) => {
            let now = wall_time();
            for (&k, read) in active.iter().zip(&reads) {
                let data = match read {
                    Ok((data, _)) => data,
                    Err(e) => {
                        work.comm_errors[k] += 1;
                        stats.error(e.kind(), 1);
                        continue;
                    }
                };
                // The bus checked the block's length; a value missing all the same reads as 0,
                // as before the first read.
                let value = |register: Register| register.in_block(address, data);
                match extra {
                    Extra::CurrentVelocity => {
                        work.current[k] = value(r::PRESENT_CURRENT).unwrap_or(0) as f64;
                        work.velocity[k] =
                            value(r::PRESENT_VELOCITY).unwrap_or(0) as f64 * VELOCITY_UNIT_RAD_S;
                    }
                    Extra::VoltageTemperature => {
                        // 0.1 V units.
                        work.voltage[k] =
                            value(r::PRESENT_INPUT_VOLTAGE).unwrap_or(0) as f64 / 10.0;
                        work.temperature[k] = value(r::PRESENT_TEMPERATURE).unwrap_or(0) as f64;
                    }
                    Extra::TorqueError => {
                        work.torque_enabled[k] = value(r::TORQUE_ENABLE).is_ok_and(|t| t != 0);
                        work.hardware_error[k] =
                            u8::try_from(value(r::HARDWARE_ERROR_STATUS).unwrap_or(0)).unwrap_or(0);
                    }
                }
            }
            match extra {
                Extra::CurrentVelocity => {
                    work.current_time = now;
                    work.velocity_time = now;
                }
                _ => work.status_time = now,
            }
        }
        Err(e) => stats.error(e.kind(), 1),
    }
    stats.error("checksum", bus.take_checksum_errors());
}

/// Run this tick of the motion layer and sync-write its goals; a failed write is counted and
/// the next tick writes newer goals.
fn write_goals(shared: &Shared, bus: &mut Bus, work: &mut Snapshot, stats: &mut StatsAcc) {
    let config = &shared.config;
    let tick = lock(&shared.motion).tick(
        Instant::now(),
        1.0 / config.rate_hz,
        &work.goal,
        &config.limits,
        &config.max_velocity,
        &config.max_acceleration,
    );
    work.move_id.clone_from(&tick.move_id);
    work.move_time = tick.move_time;
    let goals = tick.goals;
    if goals.iter().any(|g| g.is_some()) {
        let write_start = Instant::now();
        // GOAL_POSITION is 4 bytes, signed: the ticks' i32 bytes as they are.
        let blocks: Vec<(u8, [u8; 4])> = goals
            .iter()
            .enumerate()
            .filter_map(|(k, g)| g.map(|g| (MOTOR_IDS[k], rad_to_ticks(g).to_le_bytes())))
            .collect();
        let refs: Vec<(u8, &[u8])> = blocks.iter().map(|(id, d)| (*id, d.as_slice())).collect();
        match bus.sync_write(r::GOAL_POSITION.address, r::GOAL_POSITION.size, &refs) {
            Ok(()) => {
                for (k, g) in goals.iter().enumerate() {
                    if let Some(g) = g {
                        work.goal[k] = *g;
                    }
                }
            }
            Err(e) => stats.error(e.kind(), 1),
        }
        StatsAcc::push(&mut stats.write_ms, write_start.elapsed().as_secs_f64() * 1e3);
    }
    if tick.torque_off {
        // The end of the sleep: the robot rests limp, as after a fresh boot.
        for (k, &id) in MOTOR_IDS.iter().enumerate() {
            match bus.write_register(id, r::TORQUE_ENABLE, 0) {
                Ok(()) => work.torque_enabled[k] = false,
                Err(e) => stats.error(e.kind(), 1),
            }
        }
    }
}
