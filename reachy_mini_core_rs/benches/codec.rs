//! Codec throughput in Rust alone (no Python): one control cycle of nine motors.
//!
//! Run: `cargo bench --bench codec` from the crate directory.

use std::hint::black_box;
use std::time::{Duration, Instant};

use reachy_mini_core_rs::joints::MOTOR_IDS;
use reachy_mini_core_rs::protocol::{
    decode_sync_read_values, encode_status, sync_read, sync_write,
};

fn per_call(name: &str, mut f: impl FnMut()) {
    let budget = Duration::from_secs(1);
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget {
        for _ in 0..1000 {
            f();
        }
        calls += 1000;
    }
    let ns = start.elapsed().as_nanos() as f64 / calls as f64;
    println!("{name:<40}{ns:>10.0} ns/cycle{:>14.0} cycles/s", 1e9 / ns);
}

fn main() {
    let stream: Vec<u8> = MOTOR_IDS
        .iter()
        .enumerate()
        .flat_map(|(k, &id)| encode_status(id, 0, &(2000 + k as i32).to_le_bytes()))
        .collect();
    let goals: Vec<(u8, [u8; 4])> =
        MOTOR_IDS.iter().map(|&id| (id, (2048 + id as i32).to_le_bytes())).collect();
    println!("Rust codec, nine motors");
    per_call("sync read encode + decode of 9 replies", || {
        black_box(sync_read(132, 4, black_box(&MOTOR_IDS)));
        black_box(decode_sync_read_values(black_box(&stream), &MOTOR_IDS, 4, true));
    });
    per_call("sync write encode of 9 goals", || {
        let blocks: Vec<(u8, &[u8])> = goals.iter().map(|(id, d)| (*id, d.as_slice())).collect();
        black_box(sync_write(116, 4, black_box(&blocks)).ok());
    });
}
