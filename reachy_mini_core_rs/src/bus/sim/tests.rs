//! The simulated motors against the e-manual: byte-exact packets, EEPROM rules, faults.

use super::motor::{AMBIENT_C, WATCHDOG_TRIPPED};
use super::*;
use crate::bus::Bus;
use crate::joints::{
    addr, factory, HW_ERROR_OVERHEATING, HW_ERROR_OVERLOAD, MAX_POSITIONS, MIN_POSITIONS,
    MODEL_NUMBERS,
};
use crate::protocol::{self, decode_status};
use crate::registers::{self as reg, Register};

fn bus(sim: &SimBus) -> Bus {
    Bus::new(Box::new(SimTransport::new(sim.clone())), Duration::from_millis(20))
}

#[test]
fn motor_heats_under_sustained_load_until_overheating_clears_torque() {
    let now = Instant::now();
    let mut motor = SimMotor::flashed(1, 3, now);
    // A crawling speed limit keeps a large tracking error, so the current saturates.
    motor.write(reg::GOAL_VELOCITY.address, &[1, 0, 0, 0]).expect("goal velocity");
    motor.torque_enabled = true;
    motor.goal = 3.0;
    let mut seconds = 0;
    while motor.torque_enabled && seconds < 600 {
        motor.step(1.0, now);
        seconds += 1;
    }
    assert!(!motor.torque_enabled, "still on at {:.1} °C", motor.temperature);
    assert_eq!(motor.hardware_error & HW_ERROR_OVERHEATING, HW_ERROR_OVERHEATING);
    assert!(seconds > 10, "tripped after {seconds} s");
}

#[test]
fn idle_motor_stays_at_ambient_temperature() {
    let now = Instant::now();
    let mut motor = SimMotor::flashed(1, 3, now);
    motor.torque_enabled = true;
    for _ in 0..600 {
        motor.step(1.0, now);
    }
    assert!(motor.temperature < AMBIENT_C + 1.0);
    assert_eq!(motor.hardware_error, 0);
}

#[test]
fn shutdown_error_refuses_torque_until_reboot() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    bus.write(12, addr::TORQUE_ENABLE, &[1]).expect("torque on");
    sim.inject_hardware_error(12, HW_ERROR_OVERLOAD).expect("motor 12");
    assert!(!sim.motor(12).expect("motor").torque_enabled);
    assert_eq!(bus.write(12, addr::TORQUE_ENABLE, &[1]), Err(Error::Status { id: 12, error: 1 }));
    bus.reboot(12).expect("reboot");
    bus.write(12, addr::TORQUE_ENABLE, &[1]).expect("torque on after reboot");
}

#[test]
fn status_carries_the_alert_flag_while_a_hardware_error_is_set() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    sim.inject_hardware_error(10, crate::joints::HW_ERROR_INPUT_VOLTAGE).expect("motor 10");
    let reads = bus.sync_read(&[10, 11], addr::PRESENT_POSITION, 4).expect("transport ok");
    assert!(matches!(reads[0], Ok((_, true))));
    assert!(matches!(reads[1], Ok((_, false))));
}

/// A value each EEPROM item can take that differs from both the factory and the table.
const EEPROM_WRITES: [(Register, i64); 10] = [
    (reg::ID, 42),
    (reg::BAUD_RATE, 3),
    (reg::RETURN_DELAY_TIME, 5),
    (reg::DRIVE_MODE, 1),
    (reg::OPERATING_MODE, 4),
    (reg::HOMING_OFFSET, -1000),
    (reg::TEMPERATURE_LIMIT, 60),
    (reg::MAX_POSITION_LIMIT, 3000),
    (reg::MIN_POSITION_LIMIT, 1000),
    (reg::SHUTDOWN, 21),
];

#[test]
fn eeprom_writes_with_torque_on_get_an_access_error_and_change_nothing() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    bus.write_register(11, reg::TORQUE_ENABLE, 1).expect("torque on");
    let before = sim.motor(11).expect("motor");
    for (register, value) in EEPROM_WRITES {
        assert_eq!(
            bus.write_register(11, register, value),
            Err(Error::Status { id: 11, error: 7 }),
            "{}",
            register.name
        );
    }
    let after = sim.motor(11).expect("motor");
    for (register, _) in EEPROM_WRITES {
        assert_eq!(after.register(register), before.register(register), "{}", register.name);
    }
    assert_eq!(after.position, before.position);
}

#[test]
fn eeprom_and_ram_settings_read_back_as_written_with_torque_off() {
    let sim = SimBus::factory_fresh(1_000_000);
    let mut bus = bus(&sim);
    // The id goes last: the motor answers under its new id from then on.
    let mut writes: Vec<(Register, i64)> = EEPROM_WRITES[1..].to_vec();
    writes.extend([
        (reg::POSITION_D_GAIN, 10),
        (reg::POSITION_I_GAIN, 20),
        (reg::POSITION_P_GAIN, 640),
        (reg::LED, 1),
    ]);
    for &(register, value) in &writes {
        bus.write_register(12, register, value).expect(register.name);
        assert_eq!(bus.read_register(12, register), Ok(value), "{}", register.name);
    }
    bus.write_register(12, reg::ID, 42).expect("new id");
    assert_eq!(bus.ping(12), Err(Error::Timeout { id: 12 }));
    assert_eq!(bus.read_register(42, reg::ID), Ok(42));
    for (register, value) in writes {
        assert_eq!(bus.read_register(42, register), Ok(value), "{}", register.name);
    }
}

#[test]
fn writes_outside_an_items_range_or_to_read_only_items_are_refused() {
    let sim = SimBus::factory_fresh(1_000_000);
    let mut bus = bus(&sim);
    let cases: [(u16, &[u8], u8); 5] = [
        // Homing offset 1 044 480 is one past its ±1 044 479 range: Data Range Error.
        (reg::HOMING_OFFSET.address, &1_044_480i32.to_le_bytes(), 4),
        (reg::MAX_POSITION_LIMIT.address, &4096i32.to_le_bytes(), 4),
        (reg::BAUD_RATE.address, &[7], 4),
        (reg::PRESENT_POSITION.address, &[0; 4], 7),
        (reg::MODEL_NUMBER.address, &[0; 2], 7),
    ];
    for (address, data, error) in cases {
        assert_eq!(bus.write(10, address, data), Err(Error::Status { id: 10, error }), "{address}");
    }
    assert_eq!(bus.read_register(10, reg::HOMING_OFFSET), Ok(0));
    assert_eq!(bus.read_register(10, reg::MAX_POSITION_LIMIT), Ok(4095));
}

#[test]
fn homing_offset_shifts_present_and_goal_position() {
    let sim = SimBus::factory_fresh(1_000_000);
    let mut bus = bus(&sim);
    // The body starts at 0 rad, raw 2048, with the factory's offset 0.
    assert_eq!(bus.read_register(10, reg::PRESENT_POSITION), Ok(2048));
    for (offset, present) in [(1024, 3072), (-1024, 1024), (0, 2048)] {
        bus.write_register(10, reg::HOMING_OFFSET, offset).expect("torque is off");
        assert_eq!(bus.read_register(10, reg::PRESENT_POSITION), Ok(present), "offset {offset}");
        assert_eq!(bus.read_register(10, reg::GOAL_POSITION), Ok(present), "offset {offset}");
    }
}

#[test]
fn factory_fresh_motors_read_without_the_tables_offset_until_flashed() {
    let fresh = SimBus::factory_fresh(1_000_000);
    let flashed = SimBus::new(1_000_000);
    let (mut fresh_bus, mut flashed_bus) = (bus(&fresh), bus(&flashed));
    let defaults: [(Register, i64); 9] = [
        (reg::RETURN_DELAY_TIME, factory::RETURN_DELAY_TIME as i64),
        (reg::OPERATING_MODE, factory::OPERATING_MODE as i64),
        (reg::HOMING_OFFSET, 0),
        (reg::MIN_POSITION_LIMIT, 0),
        (reg::MAX_POSITION_LIMIT, 4095),
        (reg::SHUTDOWN, 53),
        (reg::POSITION_P_GAIN, 400),
        (reg::POSITION_I_GAIN, 0),
        (reg::POSITION_D_GAIN, 0),
    ];
    for (k, &id) in MOTOR_IDS.iter().enumerate() {
        for (register, value) in defaults {
            assert_eq!(fresh_bus.read_register(id, register), Ok(value), "{id} {}", register.name);
        }
        for (register, value) in crate::joints::configuration(k) {
            assert_eq!(
                flashed_bus.read_register(id, register),
                Ok(value),
                "{id} {}",
                register.name
            );
        }
        assert_eq!(fresh_bus.read_register(id, reg::ID), Ok(id as i64));
        assert_eq!(fresh_bus.read_register(id, reg::BAUD_RATE), Ok(3));
        let present = |b: &mut Bus| b.read_register(id, reg::PRESENT_POSITION).expect("answers");
        let (a, b) = (present(&mut fresh_bus), present(&mut flashed_bus));
        assert_eq!(a + HOMING_OFFSETS[k] as i64, b, "motor {id}");
        fresh_bus.write_register(id, reg::HOMING_OFFSET, HOMING_OFFSETS[k] as i64).expect("off");
        assert_eq!(present(&mut fresh_bus), b, "motor {id} once flashed");
    }
}

#[test]
fn goals_outside_the_position_limits_get_a_data_limit_error() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    // Stewart 1 (id 11) is limited to 1502…2958 (the table's raw limits).
    assert_eq!((MIN_POSITIONS[1], MAX_POSITIONS[1]), (1502, 2958));
    let cases: [(i64, Result<()>); 4] = [
        (1501, Err(Error::Status { id: 11, error: 6 })),
        (1502, Ok(())),
        (2958, Ok(())),
        (2959, Err(Error::Status { id: 11, error: 6 })),
    ];
    for (goal, expected) in cases {
        assert_eq!(bus.write_register(11, reg::GOAL_POSITION, goal), expected, "goal {goal}");
    }
    assert_eq!(bus.read_register(11, reg::GOAL_POSITION), Ok(2958));
    // A sync write has no reply: the refused goal is dropped and the last one stays.
    bus.sync_write(reg::GOAL_POSITION.address, 4, &[(11, &3500i32.to_le_bytes())]).expect("sent");
    assert_eq!(bus.read_register(11, reg::GOAL_POSITION), Ok(2958));
}

#[test]
fn a_motor_given_id_1_answers_the_e_manuals_packets_byte_for_byte() {
    let sim = SimBus::factory_fresh(1_000_000);
    let mut bus = bus(&sim);
    bus.write_register(10, reg::ID, 1).expect("torque is off");
    let packet = |bytes: &[u8]| {
        let mut parser = protocol::PacketParser::new();
        parser.feed(bytes);
        parser.next_packet().expect("one packet").expect("valid")
    };
    // e-manual: Write Goal Position (116) = 512 to ID 1, and its empty status reply.
    let write = [
        0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x09, 0x00, 0x03, 0x74, 0x00, 0x00, 0x02, 0x00, 0x00, 0xCA,
        0x89,
    ];
    let empty_status = vec![0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x04, 0x00, 0x55, 0x00, 0xA1, 0x0C];
    assert_eq!(sim.handle(&packet(&write)), vec![empty_status]);
    assert_eq!(bus.read_register(1, reg::GOAL_POSITION), Ok(512));
    // e-manual: Ping ID 1; the reply carries the model number and firmware.
    let ping = [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x03, 0x00, 0x01, 0x19, 0x4E];
    let reply = sim.handle(&packet(&ping));
    let status = decode_status(&reply[0]).expect("valid status");
    assert_eq!((status.id, status.error), (1, 0));
    assert_eq!(protocol::le_u16(&status.params), Some(MODEL_NUMBERS[0]));
    // With torque on, an EEPROM write (ID, address 7) gets an empty status with error 7.
    bus.write_register(1, reg::TORQUE_ENABLE, 1).expect("torque on");
    let reply = sim.handle(&packet(&protocol::write(1, reg::ID.address, &[10])));
    let status = decode_status(&reply[0]).expect("valid status");
    assert_eq!((status.id, status.error, status.params.len()), (1, 7, 0));
}

#[test]
fn a_motor_set_to_another_baud_rate_no_longer_hears_the_bus() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    // Baud Rate 1 is 57 600 baud; the bus stays at 1 Mbaud (3).
    bus.write_register(17, reg::BAUD_RATE, 1).expect("torque is off");
    assert_eq!(bus.ping(17), Err(Error::Timeout { id: 17 }));
    assert_eq!(bus.ping(18), Ok(MODEL_NUMBERS[8]));
}

#[test]
fn tripped_watchdog_refuses_goals_until_cleared() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    bus.write(10, addr::TORQUE_ENABLE, &[1]).expect("torque on");
    bus.write(10, addr::BUS_WATCHDOG, &[1]).expect("arm 20 ms");
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(sim.motor(10).expect("motor").watchdog, WATCHDOG_TRIPPED);
    let goal = 2500i32.to_le_bytes();
    assert_eq!(bus.write(10, addr::GOAL_POSITION, &goal), Err(Error::Status { id: 10, error: 4 }));
    bus.write(10, addr::BUS_WATCHDOG, &[0]).expect("clear");
    bus.write(10, addr::GOAL_POSITION, &goal).expect("accepted again");
}

#[test]
fn unresponsive_motor_breaks_a_fast_sync_read_but_not_a_sync_read() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    sim.set_unresponsive(14, true).expect("motor 14");
    assert!(matches!(
        bus.fast_sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4),
        Err(Error::Timeout { .. })
    ));
    let reads = bus.sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4).expect("transport ok");
    assert_eq!(reads.iter().filter(|r| r.is_err()).count(), 1);
    assert!(reads[4].is_err());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

    /// Whatever arrives on the bus, the motors answer or stay silent; they never panic.
    #[test]
    fn motors_survive_arbitrary_instruction_packets(
        id in proptest::prop_oneof![proptest::prelude::Just(0xFEu8), 10u8..=18, proptest::prelude::any::<u8>()],
        instruction in proptest::prop_oneof![
            proptest::sample::select(vec![0x01u8, 0x02, 0x03, 0x08, 0x82, 0x83, 0x8A]),
            proptest::prelude::any::<u8>(),
        ],
        address in 0u16..200,
        length in 0u16..40,
        tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        raw in proptest::prelude::any::<bool>(),
    ) {
        let sim = SimBus::new(1_000_000);
        // Half the packets start with a plausible address and length, the rest are noise.
        let mut params = Vec::new();
        if !raw {
            params.extend_from_slice(&address.to_le_bytes());
            params.extend_from_slice(&length.to_le_bytes());
        }
        params.extend_from_slice(&tail);
        let packet = Packet { id, instruction, params };
        for reply in sim.handle(&packet) {
            proptest::prop_assert!(reply.len() >= 4);
        }
    }
}

#[test]
fn every_transaction_takes_at_least_its_wire_time() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    let start = Instant::now();
    for _ in 0..20 {
        bus.sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4).expect("transport ok");
    }
    // 23-byte instruction + nine 15-byte replies = 158 bytes = 1.58 ms at 1 Mbaud.
    assert!(start.elapsed() >= Duration::from_micros(20 * 1580));
}

#[test]
fn unplugged_bus_fails_every_transfer_and_reopen() {
    let sim = SimBus::new(1_000_000);
    let mut bus = bus(&sim);
    sim.set_unplugged(true);
    assert!(matches!(bus.ping(10), Err(Error::Io(_))));
    assert!(matches!(bus.reopen(), Err(Error::Io(_))));
    sim.set_unplugged(false);
    bus.reopen().expect("plugged back");
    assert_eq!(bus.ping(10), Ok(1240));
}
