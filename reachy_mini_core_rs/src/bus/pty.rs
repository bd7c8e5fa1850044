//! Serve a simulated bus on a pseudo-terminal, so that the serial transport (or any Dynamixel
//! tool) can talk to the simulated motors through a real tty.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use super::sim::SimBus;
use crate::error::{Error, Result};
use crate::protocol::PacketParser;
use crate::timing::{sleep_until, wire_time};

/// How often the server checks whether it must stop (ms).
const POLL_MS: i32 = 20;

/// A thread answering the simulated motors on a pty.
pub struct PtyServer {
    path: String,
    sim: SimBus,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn last_os_error(what: &str) -> Error {
    Error::Io(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl PtyServer {
    /// Open a pty and start answering on it.
    pub fn start(sim: SimBus) -> Result<Self> {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty writes two file descriptors into the given integers; the name,
        // termios and window-size arguments may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        if rc != 0 {
            return Err(last_os_error("openpty"));
        }
        // SAFETY: both descriptors were just opened by openpty and are owned here only.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        make_raw(&slave)?;
        let path = tty_name(&slave)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (sim, stop) = (sim.clone(), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("reachy-mini-pty-bus".into())
                // The slave stays open in the server so that the pty survives clients
                // closing and reopening the port.
                .spawn(move || serve(master, slave, &sim, &stop))
                .map_err(|e| Error::Io(format!("cannot start the pty thread: {e}")))?
        };
        Ok(PtyServer { path, sim, stop, thread: Some(thread) })
    }

    /// Path of the pty slave, to open as a serial port.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn sim(&self) -> &SimBus {
        &self.sim
    }

    /// Stop answering and close the pty.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // The thread only ends by itself; a panic there already closed the pty.
            let _ = thread.join();
        }
    }
}

impl Drop for PtyServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Put the tty in raw mode: no echo, no line editing, no CR/LF translation.
fn make_raw(fd: &OwnedFd) -> Result<()> {
    // SAFETY: termios is plain data; tcgetattr fills it and tcsetattr reads it.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd.as_raw_fd(), &mut t) != 0 {
            return Err(last_os_error("tcgetattr"));
        }
        libc::cfmakeraw(&mut t);
        if libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) != 0 {
            return Err(last_os_error("tcsetattr"));
        }
    }
    Ok(())
}

fn tty_name(fd: &OwnedFd) -> Result<String> {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: ttyname_r writes a NUL-terminated name of at most buf.len() bytes.
    let rc = unsafe { libc::ttyname_r(fd.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return Err(Error::Io(format!("ttyname_r failed with {rc}")));
    }
    // SAFETY: on success buf holds a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Ok(name.to_string_lossy().into_owned())
}

fn write_all(fd: &OwnedFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writes at most bytes.len() bytes from a valid slice.
        let n = unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted
                || err.kind() == std::io::ErrorKind::WouldBlock
            {
                std::thread::yield_now();
                continue;
            }
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

fn serve(master: OwnedFd, _slave: OwnedFd, sim: &SimBus, stop: &AtomicBool) {
    crate::timing::lower_timer_slack();
    let mut parser = PacketParser::new();
    let mut buf = [0u8; 1024];
    while !stop.load(Ordering::SeqCst) {
        let mut pfd = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, POLL_MS) };
        if ready <= 0 || pfd.revents & libc::POLLIN == 0 {
            continue;
        }
        let arrived = Instant::now();
        // SAFETY: reads at most buf.len() bytes into buf.
        let n = unsafe { libc::read(master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            continue;
        }
        if sim.unplugged() {
            parser.clear();
            continue;
        }
        parser.feed(&buf[..n as usize]);
        let baud = sim.baudrate();
        // The bytes came over the pty at once; they would have taken their wire time.
        let mut t = arrived + wire_time(n as usize, baud) + sim.reply_delay();
        while let Some(result) = parser.next_packet() {
            let Ok(packet) = result else { continue };
            for reply in sim.handle(&packet) {
                t += wire_time(reply.len(), baud);
                sleep_until(t);
                write_all(&master, &reply);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::serial::SerialTransport;
    use crate::bus::Bus;
    use crate::joints::{addr, MOTOR_IDS};
    use std::time::Duration;

    #[test]
    fn serial_transport_pings_and_reads_every_motor_through_the_pty() {
        let server = PtyServer::start(SimBus::new(1_000_000)).expect("pty");
        let transport = SerialTransport::open(server.path(), 1_000_000).expect("opens the pty");
        let mut bus = Bus::new(Box::new(transport), Duration::from_millis(100));
        for id in MOTOR_IDS {
            assert!(bus.ping(id).is_ok(), "motor {id}");
        }
        let reads = bus.sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4).expect("transport ok");
        assert!(reads.iter().all(|r| r.is_ok()));
        let fast = bus.fast_sync_read(&MOTOR_IDS, addr::PRESENT_POSITION, 4).expect("fast read");
        assert_eq!(fast.len(), 9);
    }

    #[test]
    fn writes_through_the_pty_reach_the_simulated_motor() {
        let sim = SimBus::new(1_000_000);
        let server = PtyServer::start(sim.clone()).expect("pty");
        let transport = SerialTransport::open(server.path(), 1_000_000).expect("opens the pty");
        let mut bus = Bus::new(Box::new(transport), Duration::from_millis(100));
        bus.write(17, addr::TORQUE_ENABLE, &[1]).expect("torque");
        bus.write(17, addr::GOAL_POSITION, &3000i32.to_le_bytes()).expect("goal");
        assert!(sim.motor(17).expect("motor").torque_enabled);
        assert_eq!(crate::joints::rad_to_ticks(sim.motor(17).expect("motor").goal), 3000);
    }
}
