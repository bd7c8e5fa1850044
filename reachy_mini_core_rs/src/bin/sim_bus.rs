//! `reachy-mini-sim-bus`: serve the nine simulated motors of Reachy Mini on a pseudo-terminal.
//!
//! Usage: `reachy-mini-sim-bus [--baudrate N] [--link PATH] [--factory-fresh]`. Prints the pty
//! path as its first line on stdout, then answers until killed. `--link` also makes PATH a
//! symlink to the pty, for a stable port name in configuration files; `--factory-fresh` starts
//! motors with the e-manual's factory settings (except id and baud rate), as before the motor
//! setup flashes them.

use std::process::ExitCode;
use std::time::Duration;

use reachy_mini_core_rs::bus::pty::PtyServer;
use reachy_mini_core_rs::bus::sim::SimBus;

fn main() -> ExitCode {
    let mut baudrate = 1_000_000u32;
    let mut link: Option<String> = None;
    let mut factory_fresh = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--factory-fresh" {
            factory_fresh = true;
            continue;
        }
        match (arg.as_str(), args.next()) {
            ("--baudrate", Some(value)) => match value.parse() {
                Ok(v) => baudrate = v,
                Err(_) => {
                    eprintln!("invalid baud rate '{value}'");
                    return ExitCode::from(2);
                }
            },
            ("--link", Some(path)) => link = Some(path),
            _ => {
                eprintln!(
                    "usage: reachy-mini-sim-bus [--baudrate N] [--link PATH] [--factory-fresh]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let sim = if factory_fresh { SimBus::factory_fresh(baudrate) } else { SimBus::new(baudrate) };
    let server = match PtyServer::start(sim) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cannot start the simulated bus: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(link) = &link {
        let _ = std::fs::remove_file(link);
        if let Err(e) = std::os::unix::fs::symlink(server.path(), link) {
            eprintln!("cannot link {link} to {}: {e}", server.path());
            return ExitCode::FAILURE;
        }
    }
    println!("{}", server.path());
    // The first line is all a caller waits for; flush it before sleeping.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
