use std::time::{Duration, Instant};

use super::cycle::{Extra, BENCH_AFTER};
use super::{lock, Backend, BusState, ControlLoop, LoopConfig};
use crate::bus::sim::{SimBus, SimMotor};
use crate::error::Error;
use crate::joints::{rad_to_ticks, JOINT_LIMITS, MOTOR_IDS};

fn sim_loop(rate_hz: f64) -> (SimBus, ControlLoop) {
    let sim = SimBus::new(1_000_000);
    let config = LoopConfig { rate_hz, ..LoopConfig::default() };
    let control = ControlLoop::new(Backend::Sim(sim.clone()), config).expect("valid config");
    (sim, control)
}

#[test]
fn torque_error_index_points_at_the_torque_and_error_read() {
    assert!(matches!(Extra::ORDER[Extra::TORQUE_ERROR_INDEX], Extra::TorqueError));
}

#[test]
fn extra_telemetry_reads_the_e_manual_blocks() {
    // XL330 control table: Present Current 126 + Present Velocity 128 (4 bytes) is 6 bytes;
    // Present Input Voltage 144 (2) + Present Temperature 146 (1) is 3; Torque Enable 64 to
    // Hardware Error Status 70 is 7.
    let cases = [
        (Extra::CurrentVelocity, (126, 6)),
        (Extra::VoltageTemperature, (144, 3)),
        (Extra::TorqueError, (64, 7)),
    ];
    for (extra, span) in cases {
        assert_eq!(extra.span(), span, "{extra:?}");
    }
}

#[test]
fn open_finds_all_nine_motors() {
    let (_sim, control) = sim_loop(200.0);
    assert_eq!(control.open().expect("sim opens"), MOTOR_IDS.to_vec());
}

#[test]
fn loop_moves_motors_toward_goals() {
    let (sim, control) = sim_loop(200.0);
    control.start().expect("starts");
    control.set_torque(true).expect("torque on");
    control.set_goals(&[("stewart_1".into(), 0.5)]).expect("in limits");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut reached = false;
    while Instant::now() < deadline && !reached {
        if let Some(s) = control.wait_snapshot(0, Duration::from_secs(1)) {
            reached = (s.position[1] - 0.5).abs() < 0.01;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    control.stop();
    assert!(reached);
    assert!((sim.motor(11).expect("motor 11").goal - 0.5).abs() < 0.002);
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn enabling_torque_holds_present_positions_and_leaves_an_unreadable_motor_off() {
    let (sim, control) = sim_loop(200.0);
    control.start().expect("starts");
    // A goal written while torque is off: the register holds it, the motor does not move.
    control.set_goals(&[("stewart_1".into(), 0.5)]).expect("in limits");
    wait_for("the goal write", Duration::from_secs(10), || {
        sim.motor(11).is_ok_and(|m| (m.goal - 0.5).abs() < 0.002)
    });
    let before: Vec<SimMotor> = MOTOR_IDS.iter().map(|&id| sim.motor(id).expect("motor")).collect();
    assert!(before.iter().all(|m| !m.torque_enabled));
    sim.set_crc_corruption(Some(11), true).expect("motor 11");

    let error = control.set_torque(true).expect_err("motor 11 is unreadable");
    let message = error.to_string();
    assert!(matches!(error, Error::TorqueLeftOff(_)), "{error:?}");
    assert!(message.contains("stewart_1 (id 11): present position unreadable"), "{message}");
    assert!(!message.contains("id 10") && !message.contains("id 12"), "{message}");

    // 0.3 s is 15 time constants of the simulated motors: any motion would show.
    std::thread::sleep(Duration::from_millis(300));
    for old in &before {
        let now = sim.motor(old.id).expect("motor");
        if old.id == 11 {
            assert!(!now.torque_enabled, "motor 11 must stay torque-off");
            assert_eq!(now.position, old.position, "motor 11 moved");
            continue;
        }
        assert!(now.torque_enabled, "motor {} torque", old.id);
        // Goal register = present position, to the tick; the motor settles within a tick.
        assert_eq!(rad_to_ticks(now.goal), rad_to_ticks(old.position), "motor {}", old.id);
        assert!((now.position - old.position).abs() < 2.0 * TICK_RAD, "motor {}", old.id);
    }
    control.stop();
}

/// One tick of the position register, in radians.
const TICK_RAD: f64 = 2.0 * std::f64::consts::PI / 4096.0;

#[test]
fn queued_goals_are_dropped_when_torque_is_enabled() {
    let (sim, control) = sim_loop(200.0);
    control.open().expect("opens");
    let start = sim.motor(12).expect("motor 12").position;
    // Queued while the loop is stopped; enabling torque must not write it afterwards.
    control.set_goals(&[("stewart_2".into(), 0.3)]).expect("in limits");
    control.set_torque(true).expect("all readable");
    control.start().expect("starts");
    std::thread::sleep(Duration::from_millis(300));
    control.stop();
    let motor = sim.motor(12).expect("motor 12");
    assert!(motor.torque_enabled);
    assert!((motor.position - start).abs() < 2.0 * TICK_RAD, "moved to {}", motor.position);
}

#[test]
fn a_panicking_loop_keeps_its_reason_and_starts_again() {
    let (sim, control) = sim_loop(200.0);
    control.start().expect("starts");
    control.wait_snapshot(0, Duration::from_secs(5)).expect("a snapshot");
    assert_eq!(control.exit_reason(), None);
    sim.inject_panic();
    wait_for("the loop to end", Duration::from_secs(5), || !control.running());
    let reason = control.exit_reason().expect("a reason");
    assert!(reason.contains("loop thread panicked") && reason.contains("injected"), "{reason}");

    control.start().expect("starts again");
    assert!(control.running());
    assert_eq!(control.exit_reason(), None);
    let last = control.snapshot().map_or(0, |s| s.seq);
    let resumed = control.wait_snapshot(last, Duration::from_secs(5)).expect("snapshots flow");
    assert!(resumed.seq > last);
    control.stop();
    assert_eq!(control.exit_reason(), None, "a requested stop is not a failure");
}

#[test]
fn goal_outside_limits_queues_nothing() {
    let (_sim, control) = sim_loop(200.0);
    let goals = [("stewart_1".to_string(), 0.2), ("stewart_2".to_string(), 3.0)];
    assert!(matches!(control.set_goals(&goals), Err(Error::Limit(_))));
    assert!(lock(&control.shared.motion).shaper.axes.iter().all(|a| a.target.is_none()));
}

#[test]
fn narrowed_limits_cannot_widen_the_table() {
    let mut config = LoopConfig::default();
    config.narrow_limits(&[("stewart_1".into(), (-5.0, 0.1))]).expect("narrowing");
    assert_eq!(config.limits[1], (JOINT_LIMITS[1].0, 0.1));
    assert!(config.narrow_limits(&[("nose".into(), (0.0, 0.1))]).is_err());
}

#[test]
fn silent_motor_is_left_out_then_rejoins_when_it_answers() {
    let (sim, control) = sim_loop(200.0);
    control.start().expect("starts");
    sim.set_unresponsive(16, true).expect("motor 16");
    let first = control.wait_snapshot(0, Duration::from_secs(5)).expect("a snapshot");
    let later = control.wait_snapshot(first.seq + 100, Duration::from_secs(20)).expect("more");
    // Left out after 3 misses, then one failed ping per second: far fewer timeouts than
    // cycles, where a motor read every cycle would time out every cycle.
    let timeouts = control.stats().errors.get("timeout").copied().unwrap_or(0);
    assert!(later.comm_errors[6] >= BENCH_AFTER as u64);
    // Its position is kept but dated: older than the others', which advance.
    assert!(later.position_time[6] < later.read_time - 0.1);
    assert_eq!(later.position_time[5], later.read_time);
    assert!(timeouts < 40, "{timeouts} timeouts in {} cycles", later.seq - first.seq);
    sim.set_unresponsive(16, false).expect("motor 16");
    control.set_torque(true).expect("torque");
    control.set_goals(&[("stewart_6".into(), 0.2)]).expect("in limits");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut tracked = false;
    while !tracked && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        tracked = control.snapshot().is_some_and(|s| (s.position[6] - 0.2).abs() < 0.01);
    }
    control.stop();
    assert!(tracked);
}

#[test]
fn unplugged_bus_stops_snapshots_then_recovers() {
    let (sim, control) = sim_loop(200.0);
    control.start().expect("starts");
    let first = control.wait_snapshot(0, Duration::from_secs(5)).expect("a snapshot");
    sim.set_unplugged(true);
    let deadline = Instant::now() + Duration::from_secs(5);
    while control.bus_state() != BusState::Reconnecting && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(control.bus_state(), BusState::Reconnecting);
    let frozen = control.snapshot().expect("kept").seq;
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(control.snapshot().expect("kept").seq, frozen);
    sim.set_unplugged(false);
    let resumed = control.wait_snapshot(frozen, Duration::from_secs(10)).expect("resumes");
    control.stop();
    assert!(resumed.seq > frozen && frozen >= first.seq);
    assert!(control.stats().reconnects >= 1);
}
